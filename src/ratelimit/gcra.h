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

// a·b for a, b ≥ 0, saturated at kGcraMaxSpanNs (0 when either is ≤ 0).
inline int64_t GcraSpan(int64_t a, int64_t b) {
  if (a <= 0 || b <= 0) return 0;
  int64_t product = 0;  // no division: overflow is detected by the multiply
  if (__builtin_mul_overflow(a, b, &product) || product > kGcraMaxSpanNs) return kGcraMaxSpanNs;
  return product;
}

// Emission interval T in nanoseconds (≥ 1). `requests` ≤ 0 is treated as 1 (validation rejects it).
int64_t EmissionIntervalNs(const RateLimit& rate);

// Division of 0 ≤ n < 2⁶³ by a fixed divisor 1 ≤ d < 2⁶³ without a division instruction
// (Granlund–Montgomery with N = 63): l = ⌈log₂ d⌉ and magic = ⌈2^(63+l) / d⌉ < 2⁶⁴, whose error
// magic·d − 2^(63+l) < d ≤ 2^l makes ⌊n·magic / 2^(63+l)⌋ = ⌊n / d⌋ for every such n.
__extension__ using Uint128 = unsigned __int128;  // GCC/Clang; __extension__: no -Wpedantic

struct IntervalDivisor {
  uint64_t magic = uint64_t{1} << 63;  // d = 1
  uint8_t shift = 63;
  static IntervalDivisor For(int64_t d);
  int64_t Divide(int64_t n) const {
    const Uint128 product = static_cast<Uint128>(static_cast<uint64_t>(n)) * magic;
    return static_cast<int64_t>(product >> shift);
  }
};

// The constants of one RateLimit that every decision on it needs: computed once (with the
// divisions they take) and reused for the decision, its outcome and a refund, instead of per use.
struct GcraRate {
  int64_t interval_ns = 1;  // T = EmissionIntervalNs(rate)
  int64_t window_ns = 1;    // tolerance + T = (burst + 1)·T, saturated
  int64_t capacity = 1;     // burst + 1
  bool window_exact = true;  // window_ns = capacity·T (not saturated)
  int64_t requests = 0;     // LimitOutcome::limit
  int64_t period_s = 0;     // LimitOutcome::window_seconds = PeriodSeconds(per)
  // ⌊n / interval_ns⌋ as a multiply and a shift: the remaining count needs that quotient on
  // every admitted request of a busy key, and a 64-bit division costs tens of cycles.
  IntervalDivisor divisor;
};
GcraRate CompileRate(const RateLimit& rate);

// Decides a request of `cost` at `now` given state `tat` (0 for a new key). `cost` ≥ 1 consumes;
// `cost` 0 is a pure inspection (always allowed, TAT unchanged except that a TAT in the past reads
// as `now`), used to report a rule's state without touching it. Pure; no side effects.
inline GcraResult Gcra(int64_t tat, int64_t now, const GcraRate& rate, int64_t cost) {
  const int64_t t = rate.interval_ns;
  const int64_t base = tat > now ? tat : now;
  const int64_t span = cost == 1 ? t : GcraSpan(cost, t);  // one T (≤ a day) never saturates
  const int64_t new_tat = base + span;
  const int64_t allow_at = new_tat - rate.window_ns;  // earliest `now` at which this request passes
  GcraResult r;
  if (now < allow_at) {
    r.allowed = false;
    r.tat = tat;
    r.remaining = 0;
    r.reset_ns = base - now;
    r.retry_after_ns = allow_at - now;
    return r;
  }
  r.allowed = true;
  r.tat = new_tat;
  // (now + window − new_tat) / T. On a full bucket (base = now) without saturated spans that is
  // exactly capacity − cost: no division on the most common path.
  r.remaining = base == now && rate.window_exact && span < kGcraMaxSpanNs
                    ? rate.capacity - (span == 0 ? 0 : cost)
                    : rate.divisor.Divide(now + rate.window_ns - new_tat);
  r.reset_ns = new_tat - now;
  r.retry_after_ns = 0;
  return r;
}
GcraResult Gcra(int64_t tat, int64_t now, const RateLimit& rate, int64_t cost);

// Undoes an admitted request of `cost`: returns the TAT as if it had never been admitted. Commutes
// with other admissions on the same key, so it is correct even if other requests came in between
// (a result ≤ now simply means "full"). Used for all-or-nothing decisions over several limits.
inline int64_t GcraRefund(int64_t tat, const GcraRate& rate, int64_t cost) {
  return tat - GcraSpan(cost, rate.interval_ns);
}
int64_t GcraRefund(int64_t tat, const RateLimit& rate, int64_t cost);

// True when a key in state `tat` is indistinguishable from a new one at `now` (can be forgotten).
inline bool GcraIdle(int64_t tat, int64_t now) { return tat <= now; }

// The LimitOutcome of a GCRA decision (times rounded up to whole milliseconds, degraded = false).
inline LimitOutcome RateOutcome(const GcraResult& result, const GcraRate& rate) {
  auto ceil_ms = [](int64_t ns) { return ns <= 0 ? 0 : (ns + kNsPerMs - 1) / kNsPerMs; };
  LimitOutcome out;
  out.allowed = result.allowed;
  out.limit = rate.requests;
  out.remaining = result.remaining;
  out.reset_ms = ceil_ms(result.reset_ns);
  out.retry_after_ms = ceil_ms(result.retry_after_ns);
  out.window_seconds = rate.period_s;
  out.degraded = false;
  return out;
}
LimitOutcome RateOutcome(const GcraResult& result, const RateLimit& rate);

}  // namespace tollgate::ratelimit
