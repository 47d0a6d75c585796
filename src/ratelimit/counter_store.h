// The limiter's one storage interface: where rate and quota counters live. Implementations:
// LocalCounterStore (in process, exact on one node) and RedisCounterStore (shared by replicas,
// with local budgets leased from Redis so that no request waits for the network).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/model.h"
#include "ratelimit/calendar.h"

namespace tollgate::ratelimit {

struct GcraRate;  // gcra.h

// One limit that applies to one request. Built per request by the enforcer from its snapshot;
// the pointers point into the snapshot and stay valid during Acquire().
struct LimitRule {
  enum class Kind : uint8_t { kRate, kQuota };
  Kind kind = Kind::kRate;
  // Identifies the counter across processes and restarts (stable hash of what is limited, e.g.
  // subscription id + "rate"); two rules with the same key share one counter.
  uint64_t key = 0;
  const RateLimit* rate = nullptr;  // kRate
  const Quota* quota = nullptr;     // kQuota
  int64_t anchor = 0;  // kQuota with kSubscription anchor: subscription start, Unix seconds
  bool fail_open = false;  // what to do when a global store is unreachable and budgets are spent
  std::string_view name;   // policy name for RateLimit-Policy, e.g. "Gold"
  // kRate, optional: `rate` compiled once by its owner (gcra.h CompileRate), which spares the
  // store its divisions on every request. Null: the store compiles `rate` itself.
  const GcraRate* gcra = nullptr;
};

// What one rule said. `remaining` and `reset` feed the RateLimit headers. No default member
// values: callers pass uninitialised storage and Acquire() sets every field (start from
// `LimitOutcome{}`), which keeps the per-request path free of needless stores.
struct LimitOutcome {
  bool allowed;
  int64_t limit;           // requests per window (rate: requests per `per`; quota: per month)
  int64_t remaining;       // after this request
  int64_t reset_ms;        // until the counter is back to full (rate) or the window ends (quota)
  int64_t retry_after_ms;  // when refused: earliest time a retry can succeed
  int64_t window_seconds;  // rate: PeriodSeconds(per); quota: length of the current month
  bool degraded;           // decided without the global store (it was unreachable)
};

class CounterStore {
 public:
  virtual ~CounterStore() = default;

  // Checks every rule and, only if all allow, consumes `cost` from each (a request refused by one
  // limit uses up no other limit's budget). `out[i]` answers `rules[i]` (every field set); `out.size() ==
  // rules.size()`. `now_ms` is Unix milliseconds. Thread-safe; never blocks on the network.
  // Returns true when every rule allowed.
  virtual bool Acquire(std::span<const LimitRule> rules, int64_t cost, int64_t now_ms,
                       std::span<LimitOutcome> out) = 0;

  // How much of a quota counter is used in the window containing `now_ms` (0 when unknown).
  // For the usage REST endpoint; may be approximate for global stores (local view + last sync).
  virtual int64_t QuotaUsed(const LimitRule& rule, int64_t now_ms) = 0;
};

}  // namespace tollgate::ratelimit
