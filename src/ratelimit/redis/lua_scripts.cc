// The Lua source of the Redis counter store's scripts; contracts are in lua_scripts.h.
#include "ratelimit/redis/lua_scripts.h"

namespace tollgate::ratelimit {

// Shared by the rate scripts: Redis time in ms, and the bucket refilled up to that time. The
// bucket is one string "<tokens> <ts>" so that it is read with one GET and stored, with its
// expiry, by one SET … PX (a hash needed HMGET + HSET + PEXPIRE). ts never moves backwards, so a
// clock step back on the Redis host cannot refill twice.
#define TG_RATE_PRELUDE                                                          \
  "local cap = tonumber(ARGV[1])\n"                                              \
  "local rate = tonumber(ARGV[2])\n"                                             \
  "local t = redis.call('TIME')\n"                                               \
  "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"      \
  "local v = redis.call('GET', KEYS[1])\n"                                       \
  "local tokens, ts\n"                                                           \
  "if v then\n"                                                                  \
  "  local sp = string.find(v, ' ', 1, true)\n"                                  \
  "  if sp then tokens = tonumber(string.sub(v, 1, sp - 1)); ts = tonumber(string.sub(v, sp + 1)) end\n" \
  "end\n"                                                                        \
  "local absent = (tokens == nil or ts == nil)\n"                                \
  "if absent then tokens = cap; ts = now end\n"                                  \
  "if now > ts then tokens = math.min(cap, tokens + (now - ts) * rate); ts = now end\n"

// Kept until it would be full again (+1 s): an absent bucket reads as full.
#define TG_RATE_STORE                                                            \
  "redis.call('SET', KEYS[1], string.format('%.17g %d', tokens, ts), 'PX', math.ceil((cap - tokens) / rate) + 1000)\n"

const std::string_view kRateLeaseScript =
    TG_RATE_PRELUDE
    "local want = tonumber(ARGV[3])\n"
    "local debt = tonumber(ARGV[4])\n"
    "tokens = math.max(-cap, tokens - debt)\n"
    "local grant = 0\n"
    "if tokens >= 1 then grant = math.min(want, math.floor(tokens)) end\n"
    "tokens = tokens - grant\n"
    TG_RATE_STORE
    "local wait = 0\n"
    "if tokens < 1 then wait = math.ceil((1 - tokens) / rate) end\n"
    "return {grant, math.floor(tokens), wait}\n";

const std::string_view kRateReturnScript =
    TG_RATE_PRELUDE
    "if absent then return math.floor(cap) end\n"
    "tokens = math.min(cap, tokens + tonumber(ARGV[3]))\n"
    TG_RATE_STORE
    "return math.floor(tokens)\n";

#undef TG_RATE_PRELUDE
#undef TG_RATE_STORE

// Many keys' leases and settlements in one call: the per-call costs (parsing, script set-up and
// reply, Redis TIME) are paid once per batch instead of once per key. Each key's arithmetic is
// that of the single-key scripts; a negative `want` gives -want back as the return scripts do.
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

// Counts debt + want at once (INCRBY answers the new total), then takes back what the limit does
// not cover: one or two commands instead of GET + INCRBY + EXPIREAT. The expiry is set when this
// call created the counter.
const std::string_view kQuotaLeaseScript = R"lua(
local limit = tonumber(ARGV[1])
local want = tonumber(ARGV[2])
local debt = tonumber(ARGV[3])
local n = debt + want
if n <= 0 then return {0, tonumber(redis.call('GET', KEYS[1]) or '0')} end
local used = redis.call('INCRBY', KEYS[1], n)
if used == n then redis.call('EXPIREAT', KEYS[1], ARGV[4]) end
local grant = want
local over = used - limit
if over > 0 then
  local back = math.min(want, over)
  grant = want - back
  if back > 0 then used = redis.call('DECRBY', KEYS[1], back) end
end
return {grant, used}
)lua";

const std::string_view kQuotaReturnScript = R"lua(
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local n = math.min(tonumber(ARGV[1]), used)
if n > 0 then redis.call('DECRBY', KEYS[1], n) end
return used - n
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
