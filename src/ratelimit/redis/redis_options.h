// Settings of the Redis counter store and the `--counters redis://…` URL that carries them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"

namespace tollgate::ratelimit {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::optional<std::string> password;
  int db = 0;
  std::string key_prefix = "tg:";  // every key the store writes starts with it
  // Names this process in the replica registry; empty = "<hostname>-<pid>-<random>".
  std::string replica_id;

  // Sync thread: one pipelined round trip per tick at most; woken early when a key runs dry.
  std::chrono::milliseconds tick{3};
  std::chrono::milliseconds connect_timeout{50};
  std::chrono::milliseconds command_timeout{50};
  std::chrono::milliseconds reconnect_backoff_max{1000};  // backoff doubles from `tick` up to this
  std::chrono::milliseconds heartbeat{1000};    // replica registry refresh
  std::chrono::milliseconds replica_ttl{5000};  // a replica silent this long no longer counts

  // Lease sizing: aim to hold `lease_horizon` of this key's observed local traffic, never more
  // than the fair share (see LeaseCap in redis_counter_store.h), at least the larger of
  // `min_lease` and `min_lease_percent` % of the budget divided among the replicas (rate: of
  // burst+1; quota: of what is left) when the fair share allows it (LeaseFloor in key_state.h).
  // (1 s, 64 and 1 %: a lease of a steady key costs about one script call per second, and a
  // generous limit — a monthly quota, a large burst — is leased in pieces of 1 % so that its
  // lukewarm keys seldom call at all, while all replicas together hold at most 1 % of it unused;
  // the error bound depends on the fair-share cap only, not on these.)
  std::chrono::milliseconds lease_horizon{1000};
  int64_t min_lease = 64;
  int64_t min_lease_percent = 1;  // 0: `min_lease` only
  int64_t max_allowance = 4;  // cold-start allowance cap per key and replica (ColdAllowance)
  std::chrono::milliseconds idle_return{1000};  // unused leases of a key idle this long go back
  std::chrono::milliseconds evict_after{30000};  // idle keys' local state is freed after this

  // Time for the sync thread (demand estimates, backoff). Acquire() takes `now_ms` from its
  // caller; both must be the same clock. nullptr = system clock. Refills use Redis TIME.
  const Clock* clock = nullptr;
};

// Parses `redis://[[user]:password@]host[:port][/db]` (user ignored; percent-encoding decoded).
// Errors are kInvalid with field "counters" and a message naming the problem: wrong scheme
// ("rediss" TLS is not supported), missing host, port not in 1..65535, db not a number,
// query or fragment present.
Result<RedisOptions> ParseRedisUrl(std::string_view url);

}  // namespace tollgate::ratelimit
