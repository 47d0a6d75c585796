// The in-process counters: exact limits, all-or-nothing, quota resets, bounded memory.
#include "ratelimit/local_counter_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace tollgate::ratelimit {
namespace {

constexpr int64_t kT0 = 1'830'000'000'000;  // ms, 2027-12-28

LimitRule Rate(uint64_t key, const RateLimit& r) {
  LimitRule rule;
  rule.kind = LimitRule::Kind::kRate;
  rule.key = key;
  rule.rate = &r;
  rule.name = "test";
  return rule;
}

LimitRule QuotaRule(uint64_t key, const Quota& q) {
  LimitRule rule;
  rule.kind = LimitRule::Kind::kQuota;
  rule.key = key;
  rule.quota = &q;
  return rule;
}

bool One(LocalCounterStore& s, const LimitRule& rule, int64_t now_ms, LimitOutcome* out = nullptr) {
  LimitOutcome o;
  const bool ok = s.Acquire(std::span(&rule, 1), 1, now_ms, std::span(&o, 1));
  if (out != nullptr) *out = o;
  return ok;
}

TEST(LocalCounterStore, RateIsExactOverTime) {
  LocalCounterStore s;
  const RateLimit r{100, Period::kMinute, 9};
  const LimitRule rule = Rate(1, r);
  int admitted = 0;
  for (int64_t t = 0; t <= 120'000; t += 50) admitted += One(s, rule, kT0 + t) ? 1 : 0;
  EXPECT_EQ(admitted, 10 + 120'000 / 600);
}

TEST(LocalCounterStore, RefusalReportsRetryAfterAndRemaining) {
  LocalCounterStore s;
  const RateLimit r{2, Period::kSecond, 1};
  const LimitRule rule = Rate(2, r);
  LimitOutcome o;
  ASSERT_TRUE(One(s, rule, kT0, &o));
  EXPECT_EQ(o.remaining, 1);
  EXPECT_EQ(o.limit, 2);
  EXPECT_EQ(o.window_seconds, 1);
  ASSERT_TRUE(One(s, rule, kT0, &o));
  ASSERT_FALSE(One(s, rule, kT0, &o));
  EXPECT_EQ(o.retry_after_ms, 500);
  EXPECT_EQ(o.remaining, 0);
}

TEST(LocalCounterStore, AllOrNothingAcrossRules) {
  LocalCounterStore s;
  const RateLimit wide{100, Period::kMinute, 99};
  const RateLimit narrow{1, Period::kMinute, 0};
  const LimitRule rules[] = {Rate(10, wide), Rate(11, narrow)};
  LimitOutcome out[2];
  ASSERT_TRUE(s.Acquire(rules, 1, kT0, out));
  EXPECT_EQ(out[0].remaining, 99);
  ASSERT_FALSE(s.Acquire(rules, 1, kT0, out));
  EXPECT_FALSE(out[1].allowed);
  EXPECT_EQ(out[0].remaining, 99) << "the refused request used nothing of the first limit";
  LimitOutcome single;
  ASSERT_TRUE(One(s, rules[0], kT0, &single));
  EXPECT_EQ(single.remaining, 98);
}

TEST(LocalCounterStore, QuotaCountsAndResetsExactlyAtTheMonthBoundary) {
  LocalCounterStore s;
  const Quota q{3, QuotaAnchor::kCalendar, "UTC"};
  const LimitRule rule = QuotaRule(20, q);
  const int64_t jan31_end = 1'832'975'999'000;  // 2028-01-31T23:59:59Z in ms
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(One(s, rule, jan31_end));
  LimitOutcome o;
  ASSERT_FALSE(One(s, rule, jan31_end, &o));
  EXPECT_EQ(o.retry_after_ms, 1000);
  EXPECT_EQ(s.QuotaUsed(rule, jan31_end), 3);
  EXPECT_TRUE(One(s, rule, jan31_end + 1000)) << "1 Feb 00:00:00 starts a new month";
  EXPECT_EQ(s.QuotaUsed(rule, jan31_end + 1000), 1);
}

TEST(LocalCounterStore, SweepForgetsIdleEntriesOnly) {
  LocalCounterStore s;
  const RateLimit r{1, Period::kSecond, 0};
  for (uint64_t k = 0; k < 1000; ++k) One(s, Rate(k, r), kT0);
  EXPECT_EQ(s.size(), 1000u);
  EXPECT_EQ(s.Sweep(kT0 + 500), 0u) << "buckets still refilling carry information";
  EXPECT_EQ(s.Sweep(kT0 + 1000), 1000u);
  EXPECT_EQ(s.size(), 0u);
}

TEST(LocalCounterStore, MemoryIsCappedAndTheCapIsDocumentedBehaviour) {
  LocalCounterStore s(LocalCounterStore::Options{100, 1'000'000});
  const RateLimit r{1, Period::kHour, 0};
  for (uint64_t k = 0; k < 1000; ++k) One(s, Rate(k, r), kT0);
  EXPECT_LE(s.size(), 100u);
}

TEST(LocalCounterStore, QuotaExportImportRoundTrip) {
  LocalCounterStore a;
  const Quota q{10, QuotaAnchor::kCalendar, "UTC"};
  for (int i = 0; i < 4; ++i) One(a, QuotaRule(30, q), kT0);
  const auto saved = a.ExportQuotas();
  ASSERT_EQ(saved.size(), 1u);
  EXPECT_EQ(saved[0].used, 4);
  LocalCounterStore b;
  b.ImportQuotas(saved);
  EXPECT_EQ(b.QuotaUsed(QuotaRule(30, q), kT0), 4);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(One(b, QuotaRule(30, q), kT0));
  EXPECT_FALSE(One(b, QuotaRule(30, q), kT0)) << "a restart does not reset the quota";
}

TEST(LocalCounterStore, ConcurrentCallersNeverOverAdmit) {
  LocalCounterStore s;
  const RateLimit r{1000, Period::kHour, 499};  // capacity 500 at one instant
  const LimitRule rule = Rate(40, r);
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) admitted += One(s, rule, kT0) ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted, 500);
}

}  // namespace
}  // namespace tollgate::ratelimit
