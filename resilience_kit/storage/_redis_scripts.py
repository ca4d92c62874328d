"""Lua scripts behind ``RedisStorage``: each state change is one atomic script on the server.

Times come from the server's ``TIME`` inside the script (milliseconds with a microsecond
fraction), so workers' clocks never meet. Durations arrive as milliseconds; fractional values
leave a script as strings (Redis truncates Lua numbers to integers).
"""

from __future__ import annotations

from resilience_kit.storage._redis_token_scripts import (
    CLOCK,
    TOKENS_LEARN,
    TOKENS_SETTLE,
    TOKENS_TAKE,
)

_COMMON = (
    CLOCK
    + """
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
)

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

SCRIPTS: dict[str, str] = {
    "load": BREAKER_LOAD,
    "publish": BREAKER_PUBLISH,
    "merge": BREAKER_MERGE,
    "acquire": PROBE_ACQUIRE,
    "gate": GATE_EXTEND,
    "request": BUDGET_RECORD,
    "retry": BUDGET_RETRY,
    "tokens_take": TOKENS_TAKE,
    "tokens_learn": TOKENS_LEARN,
    "tokens_settle": TOKENS_SETTLE,
}
