// The Lua source of the Redis counter store's scripts; contracts are in lua_scripts.h.
#include "ratelimit/redis/lua_scripts.h"

namespace tollgate::ratelimit {

// A rate bucket is one string "<tokens> <ts: Redis ms>" so that it is read with one GET and
// stored, with its expiry, by one SET … PX (a hash needed HMGET + HSET + PEXPIRE). ts never moves
// backwards, so a clock step back on the Redis host cannot refill twice. A quota lease counts
// debt + want at once (INCRBY answers the new total), then takes back what the limit does not
// cover; the counter's expiry is set by the call that created it.
// Many keys' leases and settlements in one call: the per-call costs (parsing, script set-up and
// reply, Redis TIME) are paid once per batch instead of once per key.
const std::string_view kLeaseBatchScript = R"lua(
local nrate = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i = 1, #KEYS do
  local a = 4 * i - 2
  local key = KEYS[i]
  local grant = 0
  if i <= nrate then
    local cap = tonumber(ARGV[a])
    local rate = tonumber(ARGV[a + 1])
    local want = tonumber(ARGV[a + 2])
    local debt = tonumber(ARGV[a + 3])
    local v = redis.call('GET', key)
    local tokens, ts
    if v then
      local sp = string.find(v, ' ', 1, true)
      if sp then tokens = tonumber(string.sub(v, 1, sp - 1)); ts = tonumber(string.sub(v, sp + 1)) end
    end
    if (tokens == nil or ts == nil) and debt <= 0 and want <= 0 then
      tokens = cap  -- a return to an absent bucket: it is full already
    else
      if tokens == nil or ts == nil then tokens = cap; ts = now end
      if now > ts then tokens = math.min(cap, tokens + (now - ts) * rate); ts = now end
      tokens = math.max(-cap, tokens - debt)
      if want > 0 then
        if tokens >= 1 then grant = math.min(want, math.floor(tokens)) end
        tokens = tokens - grant
      else
        tokens = math.min(cap, tokens - want)
      end
      local text = string.format('%.17g %d', tokens, ts)
      if rate > 0 then  -- one key's zero rate must not fail the whole batch
        redis.call('SET', key, text, 'PX', math.ceil((cap - tokens) / rate) + 1000)
      else
        redis.call('SET', key, text)
      end
    end
    out[2 * i - 1] = grant
    out[2 * i] = math.floor(tokens)
  else
    local limit = tonumber(ARGV[a])
    local want = tonumber(ARGV[a + 1])
    local debt = tonumber(ARGV[a + 2])
    local used
    if want >= 0 and debt + want > 0 then
      local n = debt + want
      used = redis.call('INCRBY', key, n)
      if used == n then redis.call('EXPIREAT', key, ARGV[a + 3]) end
      grant = want
      local over = used - limit
      if over > 0 then
        local back = math.min(want, over)
        grant = want - back
        if back > 0 then used = redis.call('DECRBY', key, back) end
      end
    else
      if debt > 0 then
        used = redis.call('INCRBY', key, debt)
        if used == debt then redis.call('EXPIREAT', key, ARGV[a + 3]) end
      else
        used = tonumber(redis.call('GET', key) or '0')
      end
      local back = math.min(math.max(0, -want), used)
      if back > 0 then used = redis.call('DECRBY', key, back) end
    end
    out[2 * i - 1] = grant
    out[2 * i] = used
  end
end
return out
)lua";

// Counts the live members with ZCOUNT; the stale ones are removed (and the registry's expiry
// pushed back) only when ARGV[3] is '1', every few heartbeats.
const std::string_view kHeartbeatScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
if ARGV[3] == '1' then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
end
return redis.call('ZCOUNT', KEYS[1], now - ttl, '+inf')
)lua";

}  // namespace tollgate::ratelimit
