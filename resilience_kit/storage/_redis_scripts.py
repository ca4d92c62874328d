"""Lua scripts behind ``RedisStorage``: each state change is one atomic script on the server.

Times come from the server's ``TIME`` inside the script (milliseconds with a microsecond
fraction), so workers' clocks never meet. Durations arrive as milliseconds; fractional values
leave a script as strings (Redis truncates Lua numbers to integers).
"""

from __future__ import annotations

_COMMON = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local function fmt(x)
  return string.format('%.3f', x)
end
local function record(key, now)
  local r = redis.call('HMGET', key, 'state', 'gen', 'until', 'trips')
  if not r[2] then
    return false
  end
  local remaining = 0
  if r[1] == 'open' then
    remaining = math.max((tonumber(r[3]) or 0) - now, 0)
  end
  return {r[1], r[2], fmt(remaining), r[4]}
end
"""

# KEYS: record hash. Returns the record or nil.
BREAKER_LOAD = _COMMON + "return record(KEYS[1], now_ms())"

# KEYS: record hash, probe leases. ARGV: expected generation, state, open ms, trips.
# Compare-and-set on the generation (a stored record newer than expected wins; one that is
# behind, or unreadable, is overwritten, so generations never go back). Closing drops every
# probe lease; other transitions keep them, so running probes count in the next half-open spell.
BREAKER_PUBLISH = (
    _COMMON
    + """
local now = now_ms()
local cur = tonumber(redis.call('HGET', KEYS[1], 'gen'))
if cur and cur > tonumber(ARGV[1]) then
  return record(KEYS[1], now)
end
local open_ms = math.max(tonumber(ARGV[3]), 0)
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'gen', tostring(tonumber(ARGV[1]) + 1),
           'until', fmt(now + open_ms), 'trips', ARGV[4])
if ARGV[2] == 'closed' then
  redis.call('DEL', KEYS[2])
end
return record(KEYS[1], now)
"""
)

# KEYS: record hash, probe leases. ARGV: state, generation, open ms, trips.
# Resync after an outage: a record written locally wins only if it is newer than the stored one.
BREAKER_MERGE = (
    _COMMON
    + """
local now = now_ms()
local cur = tonumber(redis.call('HGET', KEYS[1], 'gen'))
if not cur or cur < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'state', ARGV[1], 'gen', ARGV[2],
             'until', fmt(now + math.max(tonumber(ARGV[3]), 0)), 'trips', ARGV[4])
  redis.call('DEL', KEYS[2])
end
return record(KEYS[1], now)
"""
)

# KEYS: record hash, probe leases (sorted set scored by lease expiry in ms).
# ARGV: generation, limit, lease ms, token. Returns 1 when the lease was taken, else 0.
PROBE_ACQUIRE = (
    _COMMON
    + """
local cur = redis.call('HGET', KEYS[1], 'gen')
if not cur or tonumber(cur) ~= tonumber(ARGV[1]) then
  return 0
end
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', fmt(now))
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then
  return 0
end
local lease = tonumber(ARGV[3])
redis.call('ZADD', KEYS[2], fmt(now + lease), ARGV[4])
if redis.call('PTTL', KEYS[2]) < math.ceil(lease) then
  redis.call('PEXPIRE', KEYS[2], math.ceil(lease))
end
return 1
"""
)

# KEYS: gate. ARGV: block ms (integer). The key's TTL is the block: max(existing, new).
GATE_EXTEND = """
local want = tonumber(ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if want > 0 and ttl < want then
  redis.call('SET', KEYS[1], '1', 'PX', want)
  return want
end
return math.max(ttl, 0)
"""

# KEYS: requests. ARGV: window ms, member.
BUDGET_RECORD = (
    _COMMON
    + """
local now = now_ms()
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt(now - window))
redis.call('ZADD', KEYS[1], fmt(now), ARGV[2])
redis.call('PEXPIRE', KEYS[1], math.ceil(window) + 1)
return 1
"""
)

# KEYS: requests, retries. ARGV: ratio, min per second, window seconds, member.
# Takes one retry if retries stay within ratio * requests + min_per_second * window.
BUDGET_RETRY = (
    _COMMON
    + """
local now = now_ms()
local window = tonumber(ARGV[3])
local horizon = fmt(now - window * 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', horizon)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', horizon)
local allowed = tonumber(ARGV[1]) * redis.call('ZCARD', KEYS[1]) + tonumber(ARGV[2]) * window
if redis.call('ZCARD', KEYS[2]) + 1 > allowed then
  return 0
end
redis.call('ZADD', KEYS[2], fmt(now), ARGV[4])
redis.call('PEXPIRE', KEYS[2], math.ceil(window * 1000) + 1)
return 1
"""
)

# Token budgets (TokenLimiter): one hash per budget with the levels l0/l1 (requests, tokens), the
# sent counters s0/s1, the pending counters p0/p1 and the time ts (ms) of the last refill. Rates
# (per second) and caps arrive with each call; a rate of 0 leaves that level alone.
_TOKENS = (
    _COMMON
    + """
local function num(x)
  return string.format('%.6f', x)
end
local function load(key, now, rate, cap)
  local r = redis.call('HMGET', key, 'l0', 'l1', 's0', 's1', 'p0', 'p1', 'ts')
  local st = {}
  if not r[7] then
    st = {l = {cap[1], cap[2]}, s = {0, 0}, p = {0, 0}}
  else
    st = {l = {tonumber(r[1]), tonumber(r[2])}, s = {tonumber(r[3]), tonumber(r[4])},
          p = {tonumber(r[5]), tonumber(r[6])}}
    local elapsed = math.max(now - tonumber(r[7]), 0) / 1000
    for i = 1, 2 do
      if rate[i] > 0 then
        st.l[i] = math.min(cap[i], st.l[i] + elapsed * rate[i])
      end
    end
  end
  return st
end
local function save(key, st, now, rate, cap)
  redis.call('HSET', key, 'l0', num(st.l[1]), 'l1', num(st.l[2]), 's0', num(st.s[1]),
             's1', num(st.s[2]), 'p0', num(st.p[1]), 'p1', num(st.p[2]), 'ts', fmt(now))
  local ttl = 3600000
  for i = 1, 2 do
    if rate[i] > 0 then
      ttl = math.max(ttl, math.ceil(cap[i] / rate[i] * 1000) * 2)
    end
  end
  redis.call('PEXPIRE', key, ttl)
end
"""
)

# KEYS: budget hash. ARGV: cost0, cost1, rate0, rate1, cap0, cap1.
# Returns {wait ms, sent0, sent1}; the sent counters only when the call may go out at once.
TOKENS_RESERVE = (
    _TOKENS
    + """
local now = now_ms()
local cost = {tonumber(ARGV[1]), tonumber(ARGV[2])}
local rate = {tonumber(ARGV[3]), tonumber(ARGV[4])}
local cap = {tonumber(ARGV[5]), tonumber(ARGV[6])}
local st = load(KEYS[1], now, rate, cap)
local wait = 0
for i = 1, 2 do
  if rate[i] > 0 then
    st.l[i] = st.l[i] - cost[i]
    if st.l[i] < 0 then
      wait = math.max(wait, -st.l[i] / rate[i] * 1000)
    end
  end
end
local counter = st.p
if wait <= 0 then
  counter = st.s
end
for i = 1, 2 do
  counter[i] = counter[i] + cost[i]
end
save(KEYS[1], st, now, rate, cap)
if wait > 0 then
  return {fmt(wait), '', ''}
end
return {'0', num(st.s[1]), num(st.s[2])}
"""
)

# KEYS: budget hash. ARGV: cost0, cost1. A pending reservation goes out: returns {sent0, sent1}.
TOKENS_SEND = (
    _TOKENS
    + """
local r = redis.call('HMGET', KEYS[1], 's0', 's1', 'p0', 'p1')
local s0 = (tonumber(r[1]) or 0) + tonumber(ARGV[1])
local s1 = (tonumber(r[2]) or 0) + tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 's0', num(s0), 's1', num(s1),
           'p0', num((tonumber(r[3]) or 0) - tonumber(ARGV[1])),
           'p1', num((tonumber(r[4]) or 0) - tonumber(ARGV[2])))
return {num(s0), num(s1)}
"""
)

# KEYS: budget hash. ARGV: remaining0, remaining1 ('' when unknown), age ms, sent0, sent1,
# rate0, rate1, cap0, cap1. level = min(cap, remaining + rate * age - (sent now - sent)) - pending.
TOKENS_SYNC = (
    _TOKENS
    + """
local now = now_ms()
local rate = {tonumber(ARGV[6]), tonumber(ARGV[7])}
local cap = {tonumber(ARGV[8]), tonumber(ARGV[9])}
local st = load(KEYS[1], now, rate, cap)
local age = math.max(tonumber(ARGV[3]), 0) / 1000
local sent = {tonumber(ARGV[4]), tonumber(ARGV[5])}
for i = 1, 2 do
  local left = tonumber(ARGV[i])
  if left and rate[i] > 0 then
    local server = left + rate[i] * age - (st.s[i] - sent[i])
    st.l[i] = math.min(cap[i], server) - st.p[i]
  end
end
save(KEYS[1], st, now, rate, cap)
return 1
"""
)

# KEYS: budget hash. ARGV: level0, level1, sent0, sent1, pending0, pending1, rate0, rate1, cap0,
# cap1. Adds to the levels (refund or charge) and the counters.
TOKENS_ADJUST = (
    _TOKENS
    + """
local now = now_ms()
local rate = {tonumber(ARGV[7]), tonumber(ARGV[8])}
local cap = {tonumber(ARGV[9]), tonumber(ARGV[10])}
local st = load(KEYS[1], now, rate, cap)
for i = 1, 2 do
  if rate[i] > 0 then
    st.l[i] = math.min(cap[i], st.l[i] + tonumber(ARGV[i]))
  end
  st.s[i] = st.s[i] + tonumber(ARGV[2 + i])
  st.p[i] = st.p[i] + tonumber(ARGV[4 + i])
end
save(KEYS[1], st, now, rate, cap)
return 1
"""
)

# Token budgets of n limits (``tokens_take``/``_learn``/``_settle``): one hash with n, the levels
# l1..ln, the sent counters s1..sn and the time ts (ms) of the last refill. ARGV starts with n and
# the n rates and n caps; a rate of 0 leaves that level alone. Nothing is ever pending: a take
# either charges the whole cost at once or nothing.
_VECTOR = (
    _COMMON
    + """
local function num(x)
  return string.format('%.6f', x)
end
local n = tonumber(ARGV[1])
local rate, cap = {}, {}
for i = 1, n do
  rate[i] = tonumber(ARGV[1 + i])
  cap[i] = tonumber(ARGV[1 + n + i])
end
local now = now_ms()
local function load(key)
  local st = {l = {}, s = {}}
  local stored = tonumber(redis.call('HGET', key, 'n'))
  local ts = tonumber(redis.call('HGET', key, 'ts'))
  if stored ~= n or not ts then
    for i = 1, n do
      st.l[i] = cap[i]
      st.s[i] = 0
    end
    return st
  end
  local elapsed = math.max(now - ts, 0) / 1000
  for i = 1, n do
    st.l[i] = tonumber(redis.call('HGET', key, 'l' .. i)) or cap[i]
    st.s[i] = tonumber(redis.call('HGET', key, 's' .. i)) or 0
    if rate[i] > 0 then
      st.l[i] = math.min(cap[i], st.l[i] + elapsed * rate[i])
    end
  end
  return st
end
local function save(key, st)
  local ttl = 3600000
  redis.call('HSET', key, 'n', n, 'ts', fmt(now))
  for i = 1, n do
    redis.call('HSET', key, 'l' .. i, num(st.l[i]), 's' .. i, num(st.s[i]))
    if rate[i] > 0 then
      ttl = math.max(ttl, math.ceil(cap[i] / rate[i] * 1000) * 2)
    end
  end
  redis.call('PEXPIRE', key, ttl)
end
local function sent(st)
  local out = {}
  for i = 1, n do
    out[i] = num(st.s[i])
  end
  return out
end
local base = 1 + 2 * n
"""
)

# ARGV: n, rates, caps, costs. Returns {wait ms} when it does not fit (nothing taken), else
# {'0', sent1, ..., sentn} after taking the whole cost.
TOKENS_TAKE = (
    _VECTOR
    + """
local st = load(KEYS[1])
local wait = 0
for i = 1, n do
  local need = math.min(tonumber(ARGV[base + i]), cap[i])
  if rate[i] > 0 and st.l[i] < need then
    wait = math.max(wait, (need - st.l[i]) / rate[i] * 1000)
  end
end
if wait > 0 then
  save(KEYS[1], st)
  return {fmt(wait)}
end
for i = 1, n do
  local cost = tonumber(ARGV[base + i])
  if rate[i] > 0 then
    st.l[i] = st.l[i] - cost
  end
  st.s[i] = st.s[i] + cost
end
save(KEYS[1], st)
local out = sent(st)
table.insert(out, 1, '0')
return out
"""
)

# ARGV: n, rates, caps, age ms, gain up, gain down, remaining1..n ('' when unknown), sent1..n when
# the request went (none: nothing was sent since). target = min(cap, remaining + rate * age -
# (sent now - sent)); level += gain * (target - level), gain up or down as the target lies.
TOKENS_LEARN = (
    _VECTOR
    + """
local st = load(KEYS[1])
local age = math.max(tonumber(ARGV[base + 1]), 0) / 1000
local up, down = tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3])
for i = 1, n do
  local left = tonumber(ARGV[base + 3 + i])
  local then_sent = tonumber(ARGV[base + 3 + n + i]) or st.s[i]
  if left and rate[i] > 0 then
    local target = math.min(cap[i], left + rate[i] * age - (st.s[i] - then_sent))
    local step = down
    if target > st.l[i] then
      step = up
    end
    st.l[i] = st.l[i] + step * (target - st.l[i])
  end
end
save(KEYS[1], st)
return 1
"""
)

# ARGV: n, rates, caps, level1..n (added, capped), sent1..n (added to the counters).
TOKENS_SETTLE = (
    _VECTOR
    + """
local st = load(KEYS[1])
for i = 1, n do
  if rate[i] > 0 then
    st.l[i] = math.min(cap[i], st.l[i] + tonumber(ARGV[base + i]))
  end
  st.s[i] = st.s[i] + tonumber(ARGV[base + n + i])
end
save(KEYS[1], st)
return 1
"""
)

SCRIPTS: dict[str, str] = {
    "load": BREAKER_LOAD,
    "publish": BREAKER_PUBLISH,
    "merge": BREAKER_MERGE,
    "acquire": PROBE_ACQUIRE,
    "gate": GATE_EXTEND,
    "request": BUDGET_RECORD,
    "retry": BUDGET_RETRY,
    "tokens_reserve": TOKENS_RESERVE,
    "tokens_send": TOKENS_SEND,
    "tokens_sync": TOKENS_SYNC,
    "tokens_adjust": TOKENS_ADJUST,
    "tokens_take": TOKENS_TAKE,
    "tokens_learn": TOKENS_LEARN,
    "tokens_settle": TOKENS_SETTLE,
}
