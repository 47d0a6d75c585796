// GCRA at the exact edges of its schedule: tolerance, spacing, cost, refunds, huge and tiny rates.
#include "ratelimit/gcra.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace tollgate::ratelimit {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'800'000'000 * kSec;

// Admits `n` requests of cost 1 at `now`, asserting each passes; returns the TAT.
int64_t Fill(int64_t tat, int64_t now, const RateLimit& r, int n) {
  for (int i = 0; i < n; ++i) {
    const GcraResult g = Gcra(tat, now, r, 1);
    EXPECT_TRUE(g.allowed) << "request " << i;
    tat = g.tat;
  }
  return tat;
}

TEST(Gcra, EmissionIntervalIsThePeriodOverRequests) {
  EXPECT_EQ(EmissionIntervalNs({100, Period::kMinute, 0}), 600 * kMs);
  EXPECT_EQ(EmissionIntervalNs({3, Period::kSecond, 0}), 333'333'333);
  EXPECT_EQ(EmissionIntervalNs({1, Period::kDay, 0}), 86'400 * kSec);
  EXPECT_EQ(EmissionIntervalNs({1'000'000'000, Period::kDay, 0}), 86'400);
}

TEST(Gcra, ARequestPassesExactlyAtTatMinusToleranceAndNotOneMsEarlier) {
  const RateLimit r{10, Period::kSecond, 4};  // T = 100 ms, tolerance = 400 ms, capacity 5
  const int64_t tat = Fill(0, kT0, r, 5);
  ASSERT_EQ(tat, kT0 + 500 * kMs);
  const int64_t edge = tat - 400 * kMs;  // TAT − tolerance
  const GcraResult early = Gcra(tat, edge - kMs, r, 1);
  EXPECT_FALSE(early.allowed);
  EXPECT_EQ(early.tat, tat) << "a refusal leaves the state alone";
  EXPECT_EQ(early.retry_after_ns, kMs);
  EXPECT_EQ(early.remaining, 0);
  const GcraResult at = Gcra(tat, edge, r, 1);
  EXPECT_TRUE(at.allowed);
  EXPECT_EQ(at.tat, tat + 100 * kMs);
  EXPECT_EQ(at.remaining, 0);
  EXPECT_EQ(at.retry_after_ns, 0);
}

TEST(Gcra, BurstZeroSpacesRequestsExactlyOneIntervalApart) {
  const RateLimit r{10, Period::kSecond, 0};
  const GcraResult a = Gcra(0, kT0, r, 1);
  ASSERT_TRUE(a.allowed);
  EXPECT_EQ(a.remaining, 0);
  EXPECT_EQ(a.reset_ns, 100 * kMs);
  const GcraResult b = Gcra(a.tat, kT0 + 100 * kMs - 1, r, 1);
  EXPECT_FALSE(b.allowed);
  EXPECT_EQ(b.retry_after_ns, 1);
  EXPECT_TRUE(Gcra(a.tat, kT0 + 100 * kMs, r, 1).allowed);
}

TEST(Gcra, BurstLetsBurstPlusOneThroughAtOnceThenOnePerInterval) {
  const RateLimit r{60, Period::kMinute, 9};
  int64_t tat = 0;
  for (int i = 0; i < 10; ++i) {
    const GcraResult g = Gcra(tat, kT0, r, 1);
    ASSERT_TRUE(g.allowed) << i;
    EXPECT_EQ(g.remaining, 9 - i);
    tat = g.tat;
  }
  const GcraResult refused = Gcra(tat, kT0, r, 1);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ns, kSec);
  EXPECT_EQ(refused.reset_ns, 10 * kSec);
  EXPECT_TRUE(Gcra(tat, kT0 + kSec, r, 1).allowed);
}

TEST(Gcra, CostCountsAsThatManyRequests) {
  const RateLimit r{10, Period::kSecond, 4};  // capacity 5
  const GcraResult a = Gcra(0, kT0, r, 3);
  ASSERT_TRUE(a.allowed);
  EXPECT_EQ(a.remaining, 2);
  const GcraResult b = Gcra(a.tat, kT0, r, 3);
  EXPECT_FALSE(b.allowed);
  EXPECT_EQ(b.retry_after_ns, 100 * kMs) << "one interval frees the missing request";
  EXPECT_TRUE(Gcra(a.tat, kT0, r, 2).allowed);
  EXPECT_FALSE(Gcra(0, kT0, r, 6).allowed) << "more than the capacity never passes";
}

TEST(Gcra, CostZeroInspectsWithoutConsuming) {
  const RateLimit r{10, Period::kSecond, 4};
  const int64_t tat = Fill(0, kT0, r, 2);
  const GcraResult peek = Gcra(tat, kT0, r, 0);
  EXPECT_TRUE(peek.allowed);
  EXPECT_EQ(peek.tat, tat);
  EXPECT_EQ(peek.remaining, 3);
  EXPECT_EQ(peek.reset_ns, 200 * kMs);
  EXPECT_EQ(Gcra(0, kT0, r, 0).remaining, 5) << "a new key is a full bucket";
}

TEST(Gcra, RefundUndoesAnAdmissionEvenAfterOthers) {
  const RateLimit r{1, Period::kMinute, 1};  // capacity 2
  const GcraResult a = Gcra(0, kT0, r, 1);
  const GcraResult b = Gcra(a.tat, kT0, r, 1);
  ASSERT_TRUE(a.allowed && b.allowed);
  EXPECT_FALSE(Gcra(b.tat, kT0, r, 1).allowed);
  // Undo the first admission after the second one happened: one request's room comes back.
  const int64_t refunded = GcraRefund(b.tat, r, 1);
  EXPECT_EQ(refunded, a.tat);
  const GcraResult c = Gcra(refunded, kT0, r, 1);
  EXPECT_TRUE(c.allowed);
  EXPECT_EQ(c.remaining, 0);
  EXPECT_TRUE(GcraIdle(GcraRefund(a.tat, r, 1), kT0)) << "refunding the only request = full";
}

TEST(Gcra, OnePerDayIsExactToTheNanosecond) {
  const RateLimit daily{1, Period::kDay, 0};
  const GcraResult a = Gcra(0, kT0, daily, 1);
  ASSERT_TRUE(a.allowed);
  EXPECT_EQ(a.reset_ns, 86'400 * kSec);
  const GcraResult b = Gcra(a.tat, kT0 + 86'400 * kSec - 1, daily, 1);
  EXPECT_FALSE(b.allowed);
  EXPECT_EQ(b.retry_after_ns, 1);
  EXPECT_TRUE(Gcra(a.tat, kT0 + 86'400 * kSec, daily, 1).allowed);
}

TEST(Gcra, ABillionPerDayAndHugeBurstsDoNotOverflow) {
  const RateLimit huge{1'000'000'000, Period::kDay, 999'999'999};  // capacity 10⁹
  const GcraResult all = Gcra(0, kT0, huge, 1'000'000'000);
  ASSERT_TRUE(all.allowed);
  EXPECT_EQ(all.remaining, 0);
  EXPECT_EQ(all.reset_ns, 86'400 * kSec);
  const GcraResult next = Gcra(all.tat, kT0, huge, 1);
  EXPECT_FALSE(next.allowed);
  EXPECT_EQ(next.retry_after_ns, 86'400);
  // 1/day with a burst far beyond what int64 nanoseconds can hold: saturates, stays sane.
  const RateLimit silly{1, Period::kDay, 4'000'000'000'000};
  const GcraResult s = Gcra(0, kT0, silly, 1);
  EXPECT_TRUE(s.allowed);
  EXPECT_GT(s.remaining, 0);
  EXPECT_GT(s.tat, kT0);
  const GcraResult big_cost = Gcra(0, kT0, {1, Period::kDay, 0}, 1'000'000'000'000);
  EXPECT_FALSE(big_cost.allowed);
  EXPECT_GT(big_cost.retry_after_ns, 0);
}

TEST(Gcra, AdmittedCountNeverExceedsTheStatedBoundOverAnyInterval) {
  // 3/s, burst 2: every interval [a, a+L] admits at most (burst+1) + L/T; a request every ms.
  const RateLimit r{3, Period::kSecond, 2};
  const int64_t t = EmissionIntervalNs(r);
  std::vector<int64_t> admitted;
  int64_t tat = 0;
  for (int64_t ms = 0; ms <= 20'000; ++ms) {
    const GcraResult g = Gcra(tat, kT0 + ms * kMs, r, 1);
    if (g.allowed) {
      admitted.push_back(ms * kMs);
      tat = g.tat;
    }
  }
  EXPECT_EQ(admitted.size(), 3u + 60u) << "3 at once, then exactly 3 per second";
  for (size_t i = 0; i < admitted.size(); ++i) {
    for (size_t j = i; j < admitted.size(); ++j) {
      const int64_t length = admitted[j] - admitted[i];
      ASSERT_LE(static_cast<int64_t>(j - i + 1), 3 + length / t) << i << ".." << j;
    }
  }
}

TEST(Gcra, RateOutcomeMapsToTheHeadersFields) {
  const RateLimit r{100, Period::kMinute, 9};
  const GcraResult g = Gcra(0, kT0, r, 1);
  const LimitOutcome o = RateOutcome(g, r);
  EXPECT_TRUE(o.allowed);
  EXPECT_EQ(o.limit, 100);
  EXPECT_EQ(o.window_seconds, 60);
  EXPECT_EQ(o.remaining, 9);
  EXPECT_EQ(o.reset_ms, 600);
  EXPECT_EQ(o.retry_after_ms, 0);
  EXPECT_FALSE(o.degraded);
  GcraResult refused;
  refused.retry_after_ns = 1;  // rounds up: never tell a client to retry too early
  EXPECT_EQ(RateOutcome(refused, r).retry_after_ms, 1);
}

// The arithmetic as gcra.h states it, written the plain way (a division wherever the formula has
// one), to check the precompiled path against.
GcraResult Reference(int64_t tat, int64_t now, const RateLimit& rate, int64_t cost) {
  auto span = [](int64_t a, int64_t b) -> int64_t {
    if (a <= 0 || b <= 0) return 0;
    if (a > kGcraMaxSpanNs / b) return kGcraMaxSpanNs;
    return std::min(a * b, kGcraMaxSpanNs);
  };
  const int64_t t = std::max<int64_t>(1, PeriodSeconds(rate.per) * kSec / std::max<int64_t>(1, rate.requests));
  const int64_t window = span(std::max<int64_t>(0, rate.burst) + 1, t);
  const int64_t base = std::max(tat, now);
  const int64_t new_tat = base + span(cost, t);
  GcraResult r;
  if (now < new_tat - window) {
    r.tat = tat;
    r.reset_ns = base - now;
    r.retry_after_ns = new_tat - window - now;
    return r;
  }
  r.allowed = true;
  r.tat = new_tat;
  r.remaining = (now + window - new_tat) / t;
  r.reset_ns = new_tat - now;
  return r;
}

TEST(Gcra, CompiledRateDecidesExactlyAsTheStatedFormulas) {
  const RateLimit rates[] = {{1, Period::kSecond, 0},          {3, Period::kSecond, 2},
                             {100, Period::kMinute, 9},        {7, Period::kHour, 0},
                             {1, Period::kDay, 4'000'000'000'000}, {1'000'000'000, Period::kSecond, 1'000'000'000},
                             {1'000'000'000, Period::kDay, 999'999'999}};
  const int64_t costs[] = {0, 1, 2, 7, 1'000'000'000'000};
  const int64_t offsets[] = {-kSec, -1, 0, 1, 333'333'333, 59 * kSec, 86'400 * kSec};
  for (const RateLimit& rate : rates) {
    const GcraRate compiled = CompileRate(rate);
    EXPECT_EQ(compiled.interval_ns, EmissionIntervalNs(rate));
    for (int64_t cost : costs) {
      for (int64_t offset : offsets) {
        const int64_t tat = offset < 0 ? 0 : kT0 + offset;  // 0 = a new key
        const GcraResult want = Reference(tat, kT0, rate, cost);
        for (const GcraResult& got : {Gcra(tat, kT0, compiled, cost), Gcra(tat, kT0, rate, cost)}) {
          SCOPED_TRACE(::testing::Message() << rate.requests << "/" << PeriodSeconds(rate.per)
                                            << "s burst " << rate.burst << " cost " << cost
                                            << " tat +" << offset);
          EXPECT_EQ(got.allowed, want.allowed);
          EXPECT_EQ(got.tat, want.tat);
          EXPECT_EQ(got.remaining, want.remaining);
          EXPECT_EQ(got.reset_ns, want.reset_ns);
          EXPECT_EQ(got.retry_after_ns, want.retry_after_ns);
        }
        if (want.allowed) {
          EXPECT_EQ(GcraRefund(want.tat, compiled, cost), GcraRefund(want.tat, rate, cost));
        }
      }
    }
    const GcraResult g = Gcra(0, kT0, rate, 1);
    const LimitOutcome a = RateOutcome(g, compiled);
    const LimitOutcome b = RateOutcome(g, rate);
    EXPECT_EQ(a.limit, b.limit);
    EXPECT_EQ(a.window_seconds, b.window_seconds);
    EXPECT_EQ(a.reset_ms, b.reset_ms);
  }
}


// The remaining count divides by the emission interval with a multiply and a shift: it must equal
// the division for every divisor below 2⁶³ and every numerator the decision can pass
// (0 ≤ n < 2⁶³), including the edges around multiples of d and the largest n.
TEST(Gcra, IntervalDivisorEqualsTheDivisionForEveryDivisorAndNumerator) {
  std::vector<int64_t> divisors = {1, 3, 5, 7, 10, 333'333'333, 1'000'000, 1'000'000'000,
                                   60'000'000'000, 86'400'000'000'000, INT64_MAX, INT64_MAX - 1};
  for (int shift = 1; shift < 63; ++shift) {
    for (int64_t delta : {-1, 0, 1}) divisors.push_back((int64_t{1} << shift) + delta);
  }
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int i = 0; i < 300; ++i) divisors.push_back(static_cast<int64_t>(next() >> (1 + i % 60)) + 1);
  for (const int64_t d : divisors) {
    const IntervalDivisor divisor = IntervalDivisor::For(d);
    std::vector<int64_t> numerators = {0, 1, d - 1, d, INT64_MAX, INT64_MAX - 1, INT64_MAX / d * d,
                                       INT64_MAX / d * d - 1};
    if (d < INT64_MAX / 2) numerators.insert(numerators.end(), {d + 1, 2 * d - 1, 2 * d});
    for (int i = 0; i < 300; ++i) numerators.push_back(static_cast<int64_t>(next() >> (1 + i % 63)));
    for (const int64_t n : numerators) {
      ASSERT_EQ(divisor.Divide(n), n / d) << "n " << n << " d " << d;
    }
  }
  // A compiled rate carries the divisor of its interval.
  const GcraRate rate = CompileRate(RateLimit{7, Period::kMinute, 0});
  EXPECT_EQ(rate.divisor.Divide(1'000'000'000'000), 1'000'000'000'000 / rate.interval_ns);
}

}  // namespace
}  // namespace tollgate::ratelimit
