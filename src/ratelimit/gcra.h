// GCRA (generic cell rate algorithm) for RateLimit: pure functions over one number of state, the
// theoretical arrival time (TAT). Shared by every CounterStore (local and Redis-backed), so that a
// limit means the same thing wherever its counter lives.
//
// Semantics of RateLimit{requests, per, burst} (times are integer nanoseconds):
//   T         = PeriodSeconds(per)·10⁹ / requests   emission interval (the steady pace)
//   tolerance = burst · T                            how far ahead of the pace a caller may run
//   capacity  = burst + 1                            requests that pass at once on a full bucket
// State: TAT, the time at which the key would be back to "full" (TAT ≤ now ⇔ full ⇔ same as a key
// never seen: 0 works as the initial state). A request of cost c at `now` is admitted iff
//   max(TAT, now) + c·T − (tolerance + T) ≤ now,
// and then TAT := max(TAT, now) + c·T. Consequences:
//   * burst 0 spaces requests exactly T apart; burst b lets b + 1 through at once, then one per T;
//   * over ANY interval of length L, at most (burst + 1) + L / T requests (of cost 1) are admitted.
// T is rounded down to whole nanoseconds (≥ 1). Relative to the exact rational pace that admits at
// most one extra request per 10⁹·T of uninterrupted saturation (3/s: one per ~10 years), so e.g.
// 3/second or 100/minute behave exactly at every realistic horizon.
//
// Overflow: spans (c·T and the tolerance) saturate at kGcraMaxSpanNs (~31 years), so 1 per day with
// a huge burst, or 10⁹ per day, cannot overflow int64 for any `now` up to year 2250.
//
// Mapping to LimitOutcome (see RateOutcome()): limit = requests, window_seconds = PeriodSeconds(per),
// remaining = GcraResult::remaining, reset_ms = ⌈reset_ns⌉ ms, retry_after_ms = ⌈retry_after_ns⌉ ms.
#pragma once

#include <cstdint>

#include "core/model.h"
#include "ratelimit/counter_store.h"

namespace tollgate::ratelimit {

inline constexpr int64_t kNsPerMs = 1'000'000;
inline constexpr int64_t kGcraMaxSpanNs = 1'000'000'000'000'000'000;  // 10¹⁸ ns ≈ 31.7 years

struct GcraResult {
  bool allowed = false;
  int64_t tat = 0;             // the new state; equal to the input `tat` when refused
  int64_t remaining = 0;       // requests of cost 1 that would still pass at `now` after this one
  int64_t reset_ns = 0;        // until the bucket is full again (new TAT − now; ≥ 0)
  int64_t retry_after_ns = 0;  // refused: until this same request would pass; admitted: 0
};

// Emission interval T in nanoseconds (≥ 1). `requests` ≤ 0 is treated as 1 (validation rejects it).
int64_t EmissionIntervalNs(const RateLimit& rate);

// Decides a request of `cost` at `now` given state `tat` (0 for a new key). `cost` ≥ 1 consumes;
// `cost` 0 is a pure inspection (always allowed, TAT unchanged except that a TAT in the past reads
// as `now`), used to report a rule's state without touching it. Pure; no side effects.
GcraResult Gcra(int64_t tat, int64_t now, const RateLimit& rate, int64_t cost);

// Undoes an admitted request of `cost`: returns the TAT as if it had never been admitted. Commutes
// with other admissions on the same key, so it is correct even if other requests came in between
// (a result ≤ now simply means "full"). Used for all-or-nothing decisions over several limits.
int64_t GcraRefund(int64_t tat, const RateLimit& rate, int64_t cost);

// True when a key in state `tat` is indistinguishable from a new one at `now` (can be forgotten).
inline bool GcraIdle(int64_t tat, int64_t now) { return tat <= now; }

// The LimitOutcome of a GCRA decision (times rounded up to whole milliseconds, degraded = false).
LimitOutcome RateOutcome(const GcraResult& result, const RateLimit& rate);

}  // namespace tollgate::ratelimit
