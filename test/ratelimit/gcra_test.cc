// GCRA at the exact edges of its schedule.
#include "ratelimit/gcra.h"

#include <gtest/gtest.h>

namespace tollgate::ratelimit {
namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'800'000'000 * kSec;

TEST(Gcra, BurstZeroSpacesRequestsExactly) {
  const RateLimit r{10, Period::kSecond, 0};  // one every 100 ms
  auto a = Gcra(0, kT0, r, 1);
  ASSERT_TRUE(a.allowed);
  EXPECT_EQ(a.remaining, 0);
  auto b = Gcra(a.tat, kT0 + kSec / 10 - 1, r, 1);
  EXPECT_FALSE(b.allowed);
  EXPECT_EQ(b.retry_after_ns, 1);
  auto c = Gcra(a.tat, kT0 + kSec / 10, r, 1);
  EXPECT_TRUE(c.allowed);
}

TEST(Gcra, BurstAllowsBurstPlusOneAtOnce) {
  const RateLimit r{60, Period::kMinute, 9};
  int64_t tat = 0;
  for (int i = 0; i < 10; ++i) {
    auto g = Gcra(tat, kT0, r, 1);
    ASSERT_TRUE(g.allowed) << i;
    EXPECT_EQ(g.remaining, 9 - i);
    tat = g.tat;
  }
  auto refused = Gcra(tat, kT0, r, 1);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ns, kSec);
  EXPECT_EQ(refused.reset_ns, 10 * kSec);
}

TEST(Gcra, CostCountsAsThatManyRequests) {
  const RateLimit r{10, Period::kSecond, 4};  // capacity 5
  auto a = Gcra(0, kT0, r, 3);
  ASSERT_TRUE(a.allowed);
  EXPECT_EQ(a.remaining, 2);
  EXPECT_FALSE(Gcra(a.tat, kT0, r, 3).allowed);
  EXPECT_TRUE(Gcra(a.tat, kT0, r, 2).allowed);
}

TEST(Gcra, RefundUndoesAnAdmission) {
  const RateLimit r{1, Period::kMinute, 0};
  auto a = Gcra(0, kT0, r, 1);
  ASSERT_TRUE(a.allowed);
  EXPECT_FALSE(Gcra(a.tat, kT0, r, 1).allowed);
  EXPECT_TRUE(Gcra(GcraRefund(a.tat, r, 1), kT0, r, 1).allowed);
}

TEST(Gcra, OnePerDayAndABillionPerDayDoNotOverflow) {
  const RateLimit daily{1, Period::kDay, 0};
  auto a = Gcra(0, kT0, daily, 1);
  EXPECT_FALSE(Gcra(a.tat, kT0 + 86'399 * kSec, daily, 1).allowed);
  EXPECT_TRUE(Gcra(a.tat, kT0 + 86'400 * kSec, daily, 1).allowed);
  const RateLimit huge{1'000'000'000, Period::kDay, 999'999'999};
  auto h = Gcra(0, kT0, huge, 1);
  ASSERT_TRUE(h.allowed);
  EXPECT_EQ(h.remaining, 999'999'999);
  EXPECT_EQ(EmissionIntervalNs(huge), 86'400);
}

TEST(Gcra, AdmittedCountStaysWithinTheStatedBound) {
  // 100/min, burst 9, requests every 100 ms for 10 minutes: bound = (burst+1) + L/T.
  const RateLimit r{100, Period::kMinute, 9};
  int64_t tat = 0;
  int admitted = 0;
  const int64_t length = 600 * kSec;
  for (int64_t t = 0; t <= length; t += kSec / 10) {
    auto g = Gcra(tat, kT0 + t, r, 1);
    if (g.allowed) {
      ++admitted;
      tat = g.tat;
    }
  }
  const int64_t bound = 10 + length / EmissionIntervalNs(r);
  EXPECT_LE(admitted, bound);
  EXPECT_GE(admitted, bound - 1);
}

}  // namespace
}  // namespace tollgate::ratelimit
