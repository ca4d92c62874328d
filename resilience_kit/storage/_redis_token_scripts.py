"""Lua scripts of ``RedisStorage``'s token budgets of any number of limits (``_redis_tokens``).

Times come from the server's ``TIME`` (milliseconds with a microsecond fraction); fractional values
leave a script as strings (Redis truncates Lua numbers to integers).
"""

from __future__ import annotations

__all__ = ["CLOCK", "TOKENS_LEARN", "TOKENS_SETTLE", "TOKENS_TAKE"]

# The server's time in ms, and a fraction as a string: the prelude of every script of RedisStorage.
CLOCK = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local function fmt(x)
  return string.format('%.3f', x)
end
"""

# Token budgets of n limits (``tokens_take``/``_learn``/``_settle``): one hash with n, the levels
# l1..ln, the sent counters s1..sn and the time ts (ms) of the last refill. ARGV starts with n and
# the n rates and n caps; a rate of 0 leaves that level alone. Nothing is ever pending: a take
# either charges the whole cost at once or nothing.
_VECTOR = (
    CLOCK
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
