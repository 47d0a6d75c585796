// Local state of one global counter on one replica: leased tokens, debt, demand estimate and
// the degraded-mode budget. Internal to the Redis counter store (hot path + sync thread).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "ratelimit/calendar.h"
#include "ratelimit/counter_store.h"

namespace tollgate::ratelimit::redis_internal {

// The most one replica may hold of a budget of `capacity` (rate: burst+1; quota: what is left)
// when `replicas` share it: half of an equal share, at least 1.
inline int64_t LeaseCap(int64_t capacity, int64_t replicas) {
  return std::max<int64_t>(1, capacity / (2 * std::max<int64_t>(1, replicas)));
}

// The smallest lease worth asking for (when the fair share allows it): `min_lease`, or for a
// generous budget `percent` % of it divided among the replicas, whichever is more — so that all
// replicas together hold at most that percentage of the budget in such leases.
inline int64_t LeaseFloor(int64_t budget, int64_t replicas, int64_t min_lease, int64_t percent) {
  return std::max(min_lease, budget / 100 * percent / std::max<int64_t>(1, replicas));
}

// What one replica may admit on credit (debt) while no lease covers a request: at most a quarter
// of an equal share, at least 1; within that, `max_allowance` or, for large budgets, 1 % of the
// capacity across all replicas, whichever is more — so a generous limit's cold or idle key does
// not refuse a burst while its first lease is on the way, and credit stays within 1 % or a few
// requests of the limit.
inline int64_t ColdAllowance(int64_t capacity, int64_t replicas, int64_t max_allowance) {
  const int64_t r = std::max<int64_t>(1, replicas);
  const int64_t share = capacity / (4 * r);
  const int64_t percent = capacity / (100 * r);
  return std::max<int64_t>(1, std::min(share, std::max(max_allowance, percent)));
}

// How a request was (or was not) paid for; kept to undo it when another rule refuses.
enum class Paid : uint8_t { kRefused, kLease, kAllowance, kDegradedLocal, kFailOpen };

// Laid out for the request path on many keys, where reaching a state is a cache miss: what
// Acquire() reads and writes for a rate rule that has tokens fits in the first 64 bytes (one
// cache line); a quota's window and what the credit path reads come in the second line; the sync
// thread's and the degraded mode's fields after them. The request path derives a rate's refill
// (tokens_per_ms, window_ms) from the rule instead of reading it; they are kept here, written
// only when the rule changes, for the sync thread.
//
// Every field except key and kind is guarded by the lock of the key's shard (Shard::mu in
// shard.h): taken by Acquire() (hot path) and briefly by the sync thread, never while waiting for
// Redis. Lock order: shard locks by index, then the store's queue mutex.
struct alignas(64) KeyState {
  KeyState(uint64_t k, LimitRule::Kind kd) : kind(kd), key(k) {}

  // -- Line 0: the request path.
  const LimitRule::Kind kind;
  bool queued = false;        // owned by the sync thread's work list (queued, in flight, waiting)
  bool known = false;         // a reply from Redis has been applied (global_left, used are real)
  uint8_t rate_per = 0;       // rate: the rule's period (a Period), with rate_requests what
                              // window_ms and tokens_per_ms were computed from
  uint32_t hits = 0;          // demand: requests since hits_since_ms (saturates; sync thread resets)
  int64_t capacity = 1;       // rate: burst + 1; quota: requests per window (from the rule)
  int64_t rate_requests = 0;  // rate: the rule's requests (see rate_per)
  int64_t tokens = 0;         // leased from Redis, not yet spent: paid for
  int64_t debt = 0;           // admitted without a lease; charged to Redis with the next lease
  int64_t low_water = 1;      // prefetch when tokens drop below this
  int64_t global_left = 0;    // what Redis said last: rate: whole tokens in the bucket; quota:
                              // limit - used (approximate global view, for headers)
  int64_t last_used_ms = 0;

  // -- Line 1: a quota's window, the credit path, the refill.
  Window window;              // quota: the window the budget fields belong to
  int64_t used = 0;           // quota: used in Redis (includes this replica's unspent tokens)
  int64_t allowance = 0;      // may still be admitted on credit; re-armed only by a reply that
                              // shows the global budget covered every debt (see Apply)
  int64_t empty_until_ms = 0; // Redis said the budget is empty: no credit before this time
  double tokens_per_ms = 0;   // rate refill
  int64_t window_ms = 0;      // rate: PeriodSeconds(per) * 1000
  const uint64_t key;

  // -- Sync thread.
  int64_t inflight_debt = 0;  // debt sent with the lease in flight (back to `debt` if it fails)
  int64_t lease_cap = 1;      // LeaseCap for the last known budget and replica count
  int64_t hits_since_ms = 0;
  double demand_per_ms = 0;

  // -- Degraded mode (Redis unreachable): a local fair share, reset on each new outage.
  uint64_t outage = 0;        // outage number the fields below belong to
  double local_tokens = 0;    // rate: local bucket of capacity/replicas refilled at rate/replicas
  int64_t local_ts_ms = 0;
  int64_t local_quota = 0;    // quota: fair share of what was left at the last sync
};
static_assert(offsetof(KeyState, window) == 64, "the request path's fields fill line 0");
static_assert(sizeof(KeyState) == 192);

// A lease request in flight (sync thread only); also carries a settlement in a batched call. Planned under the key's shard lock; the command
// itself is formatted and sent without any lock.
struct Lease {
  KeyState* state = nullptr;
  int64_t want = 0;
  int64_t debt = 0;
  int64_t window_start = 0;  // quota: the window it was asked for
  int64_t sent_ms = 0;
  // Copied from the state for the command.
  uint64_t key = 0;
  LimitRule::Kind kind = LimitRule::Kind::kRate;
  int64_t capacity = 1;
  double tokens_per_ms = 0;
  int64_t window_end = 0;
  // ≥ 0: not a lease but the settlement settles_[settle] (want = -give_back), sent in the same
  // batched calls.
  int64_t settle = -1;
  // Redis Cluster: the slot of this item's Redis key (a batched call's keys must share one).
  uint16_t slot = 0;
};

// The key map's shard (defined in shard.h, private to the store's .cc files).
struct Shard;

// Tokens to give back and/or debt to charge for a counter that no KeyState is leasing for any
// more (idle return, a quota window left behind, shutdown). Sync thread only.
struct Settle {
  uint64_t key = 0;
  LimitRule::Kind kind = LimitRule::Kind::kRate;
  Window window;  // quota
  int64_t capacity = 1;
  double tokens_per_ms = 0;
  int64_t give_back = 0;
  int64_t debt = 0;
};

}  // namespace tollgate::ratelimit::redis_internal
