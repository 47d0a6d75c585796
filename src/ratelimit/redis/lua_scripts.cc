// The Lua source of the Redis counter store's scripts; contracts are in lua_scripts.h.
#include "ratelimit/redis/lua_scripts.h"

namespace tollgate::ratelimit {

// Shared by the rate scripts: Redis time in ms, and the bucket refilled up to that time.
// ts never moves backwards, so a clock step back on the Redis host cannot refill twice.
#define TG_RATE_PRELUDE                                                          \
  "local cap = tonumber(ARGV[1])\n"                                              \
  "local rate = tonumber(ARGV[2])\n"                                             \
  "local t = redis.call('TIME')\n"                                               \
  "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"      \
  "local h = redis.call('HMGET', KEYS[1], 'tk', 'ts')\n"                         \
  "local tokens = tonumber(h[1])\n"                                              \
  "local ts = tonumber(h[2])\n"                                                  \
  "local absent = (tokens == nil or ts == nil)\n"                                \
  "if absent then tokens = cap; ts = now end\n"                                  \
  "if now > ts then tokens = math.min(cap, tokens + (now - ts) * rate); ts = now end\n"

#define TG_RATE_STORE                                                            \
  "redis.call('HSET', KEYS[1], 'tk', tostring(tokens), 'ts', tostring(ts))\n"    \
  "redis.call('PEXPIRE', KEYS[1], math.ceil((cap - tokens) / rate) + 1000)\n"

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

const std::string_view kQuotaLeaseScript = R"lua(
local limit = tonumber(ARGV[1])
local want = tonumber(ARGV[2])
local debt = tonumber(ARGV[3])
local used = tonumber(redis.call('GET', KEYS[1]) or '0') + debt
local grant = math.max(0, math.min(want, limit - used))
if debt + grant > 0 then
  redis.call('INCRBY', KEYS[1], debt + grant)
  redis.call('EXPIREAT', KEYS[1], ARGV[4])
end
return {grant, used + grant}
)lua";

const std::string_view kQuotaReturnScript = R"lua(
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local n = math.min(tonumber(ARGV[1]), used)
if n > 0 then redis.call('DECRBY', KEYS[1], n) end
return used - n
)lua";

const std::string_view kHeartbeatScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return redis.call('ZCARD', KEYS[1])
)lua";

}  // namespace tollgate::ratelimit
