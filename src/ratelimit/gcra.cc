// GCRA arithmetic: integer nanoseconds, spans saturated so that nothing overflows. The decision
// itself is inline in gcra.h so that counter stores compile it into their loops.
#include "ratelimit/gcra.h"

#include <algorithm>

namespace tollgate::ratelimit {

int64_t EmissionIntervalNs(const RateLimit& rate) {
  const int64_t period_ns = PeriodSeconds(rate.per) * 1'000'000'000;
  return std::max<int64_t>(1, period_ns / std::max<int64_t>(1, rate.requests));
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
