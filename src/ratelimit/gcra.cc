// GCRA arithmetic: integer nanoseconds, spans saturated so that nothing overflows.
#include "ratelimit/gcra.h"

#include <algorithm>

namespace tollgate::ratelimit {
namespace {

// a·b for a, b ≥ 0, saturated at kGcraMaxSpanNs.
int64_t SpanProduct(int64_t a, int64_t b) {
  if (a <= 0 || b <= 0) return 0;
  int64_t product = 0;  // no division on the hot path: overflow is detected by the multiply
  if (__builtin_mul_overflow(a, b, &product) || product > kGcraMaxSpanNs) return kGcraMaxSpanNs;
  return product;
}

int64_t CeilMs(int64_t ns) { return ns <= 0 ? 0 : (ns + kNsPerMs - 1) / kNsPerMs; }

}  // namespace

int64_t EmissionIntervalNs(const RateLimit& rate) {
  const int64_t period_ns = PeriodSeconds(rate.per) * 1'000'000'000;
  return std::max<int64_t>(1, period_ns / std::max<int64_t>(1, rate.requests));
}

GcraResult Gcra(int64_t tat, int64_t now, const RateLimit& rate, int64_t cost) {
  const int64_t t = EmissionIntervalNs(rate);
  // tolerance + T = (burst + 1)·T: how far ahead of `now` the TAT may run after an admission.
  const int64_t window = SpanProduct(std::max<int64_t>(0, rate.burst) + 1, t);
  const int64_t base = std::max(tat, now);
  const int64_t new_tat = base + SpanProduct(cost, t);
  const int64_t allow_at = new_tat - window;  // earliest `now` at which this request passes
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
  r.remaining = (now + window - new_tat) / t;
  r.reset_ns = new_tat - now;
  r.retry_after_ns = 0;
  return r;
}

int64_t GcraRefund(int64_t tat, const RateLimit& rate, int64_t cost) {
  return tat - SpanProduct(cost, EmissionIntervalNs(rate));
}

LimitOutcome RateOutcome(const GcraResult& result, const RateLimit& rate) {
  LimitOutcome out;
  out.allowed = result.allowed;
  out.limit = rate.requests;
  out.remaining = result.remaining;
  out.reset_ms = CeilMs(result.reset_ns);
  out.retry_after_ms = CeilMs(result.retry_after_ns);
  out.window_seconds = PeriodSeconds(rate.per);
  out.degraded = false;
  return out;
}

}  // namespace tollgate::ratelimit
