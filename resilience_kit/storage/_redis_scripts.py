"""Lua scripts behind ``RedisStorage``: each state change is one atomic script on the server.

Times come from the server's ``TIME`` inside the script (milliseconds with a microsecond
fraction), so workers' clocks never meet. Durations arrive as milliseconds; fractional values
leave a script as strings (Redis truncates Lua numbers to integers).
"""

from __future__ import annotations

from resilience_kit.storage._redis_token_scripts import TOKENS_LEARN, TOKENS_SETTLE, TOKENS_TAKE

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
