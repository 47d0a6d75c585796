// GCRA arithmetic: integer nanoseconds, spans saturated so that nothing overflows. The decision
// itself is inline in gcra.h so that counter stores compile it into their loops.
#include "ratelimit/gcra.h"

#include <algorithm>

namespace tollgate::ratelimit {

int64_t EmissionIntervalNs(const RateLimit& rate) {
  const int64_t period_ns = PeriodSeconds(rate.per) * 1'000'000'000;
  return std::max<int64_t>(1, period_ns / std::max<int64_t>(1, rate.requests));
}

IntervalDivisor IntervalDivisor::For(int64_t d) {
  const auto t = static_cast<uint64_t>(std::max<int64_t>(1, d));
  const int l = t == 1 ? 0 : 64 - __builtin_clzll(t - 1);  // ⌈log₂ t⌉
  const Uint128 scaled = static_cast<Uint128>(1) << (63 + l);
  IntervalDivisor out;
  out.magic = static_cast<uint64_t>((scaled + t - 1) / t);
  out.shift = static_cast<uint8_t>(63 + l);
  return out;
}

GcraRate CompileRate(const RateLimit& rate) {
  GcraRate r;
  r.period_s = PeriodSeconds(rate.per);
  r.interval_ns = EmissionIntervalNs(rate);
  r.capacity = std::max<int64_t>(0, rate.burst) + 1;
  r.window_ns = GcraSpan(r.capacity, r.interval_ns);
  int64_t exact = 0;
  r.window_exact = !__builtin_mul_overflow(r.capacity, r.interval_ns, &exact) && exact == r.window_ns;
  r.requests = rate.requests;
  r.divisor = IntervalDivisor::For(r.interval_ns);
  return r;
}

GcraResult Gcra(int64_t tat, int64_t now, const RateLimit& rate, int64_t cost) {
  return Gcra(tat, now, CompileRate(rate), cost);
}

int64_t GcraRefund(int64_t tat, const RateLimit& rate, int64_t cost) {
  return GcraRefund(tat, CompileRate(rate), cost);
}

LimitOutcome RateOutcome(const GcraResult& result, const RateLimit& rate) {
  return RateOutcome(result, CompileRate(rate));
}

}  // namespace tollgate::ratelimit
