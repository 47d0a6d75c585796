// GCRA arithmetic.
#include "ratelimit/gcra.h"

#include <algorithm>

namespace tollgate::ratelimit {

int64_t EmissionIntervalNs(const RateLimit& rate) {
  const int64_t period_ns = PeriodSeconds(rate.per) * 1'000'000'000;
  return std::max<int64_t>(1, period_ns / std::max<int64_t>(1, rate.requests));
}

GcraResult Gcra(int64_t tat, int64_t now, const RateLimit& rate, int64_t cost) {
  const int64_t t = EmissionIntervalNs(rate);
  const int64_t window = (std::max<int64_t>(0, rate.burst) + 1) * t;  // tolerance + T
  const int64_t base = std::max(tat, now);
  const int64_t new_tat = base + cost * t;
  const int64_t allow_at = new_tat - window;
  GcraResult r;
  if (now < allow_at) {
    r.allowed = false;
    r.tat = tat;
    r.retry_after_ns = allow_at - now;
    r.reset_ns = std::max<int64_t>(0, base - now);
    r.remaining = 0;
    return r;
  }
  r.allowed = true;
  r.tat = new_tat;
  r.reset_ns = new_tat - now;
  r.remaining = (now + window - new_tat) / t;
  return r;
}

int64_t GcraRefund(int64_t tat, const RateLimit& rate, int64_t cost) {
  return tat - cost * EmissionIntervalNs(rate);
}

}  // namespace tollgate::ratelimit
