// The in-process counters: exact limits, all-or-nothing, quota resets, bounded memory, persistence.
#include "ratelimit/local_counter_store.h"

#include <gtest/gtest.h>

#include <vector>

#include "ratelimit/gcra.h"
#include "ratelimit/test_rules.h"

namespace tollgate::ratelimit {
namespace {

using testing_rules::kT0;
using testing_rules::One;
using testing_rules::QuotaRule;
using testing_rules::Rate;

TEST(LocalCounterStore, RateAdmitsExactlyTheBoundAtFixedSimulatedTimes) {
  LocalCounterStore s;
  const RateLimit r{100, Period::kMinute, 9};  // T = 600 ms
  const LimitRule rule = Rate(1, r);
  int admitted = 0;
  for (int64_t t = 0; t <= 120'000; t += 50) admitted += One(s, rule, kT0 + t) ? 1 : 0;
  EXPECT_EQ(admitted, (9 + 1) + 120'000 / 600);
}

TEST(LocalCounterStore, ThreePerSecondIsExact) {
  LocalCounterStore s;
  const RateLimit r{3, Period::kSecond, 0};
  const LimitRule rule = Rate(2, r);
  int admitted = 0;
  for (int64_t t = 0; t < 60'000; ++t) admitted += One(s, rule, kT0 + t) ? 1 : 0;
  EXPECT_EQ(admitted, 180);
}

TEST(LocalCounterStore, OutcomesCarryLimitRemainingResetAndRetryAfter) {
  LocalCounterStore s;
  const RateLimit r{2, Period::kSecond, 1};
  const LimitRule rule = Rate(3, r);
  LimitOutcome o;
  ASSERT_TRUE(One(s, rule, kT0, &o));
  EXPECT_EQ(o.limit, 2);
  EXPECT_EQ(o.window_seconds, 1);
  EXPECT_EQ(o.remaining, 1);
  EXPECT_EQ(o.reset_ms, 500);
  EXPECT_EQ(o.retry_after_ms, 0);
  EXPECT_FALSE(o.degraded);
  ASSERT_TRUE(One(s, rule, kT0, &o));
  ASSERT_FALSE(One(s, rule, kT0, &o));
  EXPECT_EQ(o.retry_after_ms, 500);
  EXPECT_EQ(o.remaining, 0);
  EXPECT_EQ(o.reset_ms, 1000);
}

TEST(LocalCounterStore, ARefusalByALaterRuleLeavesEarlierBudgetsUntouched) {
  LocalCounterStore s;
  const RateLimit wide{100, Period::kMinute, 99};
  const RateLimit narrow{1, Period::kMinute, 0};
  const Quota monthly{1000, QuotaAnchor::kCalendar, "UTC"};
  const LimitRule rules[] = {Rate(10, wide), QuotaRule(11, monthly), Rate(12, narrow)};
  LimitOutcome out[3];
  ASSERT_TRUE(s.Acquire(rules, 1, kT0, out));
  EXPECT_EQ(out[0].remaining, 99);
  EXPECT_EQ(out[1].remaining, 999);
  ASSERT_FALSE(s.Acquire(rules, 1, kT0, out));
  EXPECT_FALSE(out[2].allowed);
  EXPECT_EQ(out[2].retry_after_ms, 60'000);
  EXPECT_TRUE(out[0].allowed && out[1].allowed) << "these rules alone would have admitted it";
  EXPECT_EQ(out[0].remaining, 99) << "the refused request used nothing of the first limit";
  EXPECT_EQ(out[1].remaining, 999);
  EXPECT_EQ(s.QuotaUsed(rules[1], kT0), 1);
  LimitOutcome single;
  ASSERT_TRUE(One(s, rules[0], kT0, &single));
  EXPECT_EQ(single.remaining, 98);
}

TEST(LocalCounterStore, RulesAfterTheRefusalAreDescribedWithoutBeingConsumed) {
  LocalCounterStore s;
  const RateLimit per_second{1, Period::kSecond, 0};
  const RateLimit per_hour{1, Period::kHour, 0};
  const RateLimit roomy{10, Period::kSecond, 9};
  ASSERT_TRUE(One(s, Rate(20, per_second), kT0));
  ASSERT_TRUE(One(s, Rate(21, per_hour), kT0));
  const LimitRule rules[] = {Rate(20, per_second), Rate(21, per_hour), Rate(22, roomy)};
  LimitOutcome out[3];
  ASSERT_FALSE(s.Acquire(rules, 1, kT0 + 10, out));
  EXPECT_FALSE(out[0].allowed);
  EXPECT_EQ(out[0].retry_after_ms, 990);
  EXPECT_FALSE(out[1].allowed) << "inspected: it would refuse too, and says for how long";
  EXPECT_EQ(out[1].retry_after_ms, 3'600'000 - 10);
  EXPECT_TRUE(out[2].allowed);
  EXPECT_EQ(out[2].remaining, 10) << "inspected, not consumed";
  EXPECT_EQ(s.size(), 2u) << "inspecting a new key stores nothing";
}

TEST(LocalCounterStore, TwoRulesOnOneKeyShareOneCounter) {
  LocalCounterStore s;
  const RateLimit r{4, Period::kHour, 3};  // capacity 4
  const LimitRule rules[] = {Rate(70, r), Rate(70, r)};
  LimitOutcome out[2];
  ASSERT_TRUE(s.Acquire(rules, 1, kT0, out));
  EXPECT_EQ(out[0].remaining, 3);
  EXPECT_EQ(out[1].remaining, 2) << "the second rule sees what the first took";
  ASSERT_TRUE(s.Acquire(rules, 1, kT0, out));
  EXPECT_EQ(out[1].remaining, 0);
  EXPECT_FALSE(s.Acquire(rules, 1, kT0, out));
}

TEST(LocalCounterStore, RulesWhoseKeysShareAShardAreDecidedTogether) {
  // Three keys in one shard: each rule takes and releases that shard's lock in turn.
  std::vector<uint64_t> keys = {5};
  for (uint64_t k = 6; keys.size() < 3; ++k) {
    if (LocalCounterStore::ShardIndex(k) == LocalCounterStore::ShardIndex(5)) keys.push_back(k);
  }
  LocalCounterStore s;
  const RateLimit r{2, Period::kHour, 1};
  const Quota q{3, QuotaAnchor::kCalendar, "UTC"};
  const LimitRule rules[] = {Rate(keys[0], r), QuotaRule(keys[1], q), Rate(keys[2], r)};
  LimitOutcome out[3];
  ASSERT_TRUE(s.Acquire(rules, 1, kT0, out));
  ASSERT_TRUE(s.Acquire(rules, 1, kT0, out));
  EXPECT_EQ(out[0].remaining, 0);
  EXPECT_EQ(out[1].remaining, 1);
  EXPECT_FALSE(s.Acquire(rules, 1, kT0, out));
  EXPECT_EQ(s.QuotaUsed(rules[1], kT0), 2) << "the refused request was not counted";
}

TEST(LocalCounterStore, AQuotaWindowComputedDuringACallChargesEveryRuleOnce) {
  // A quota key's first request, and its first request of a new month, compute the window: the
  // rules before it must not be charged twice.
  LocalCounterStore s;
  const RateLimit r{10, Period::kHour, 9};
  const Quota q{100, QuotaAnchor::kCalendar, "Europe/Paris"};
  const LimitRule rules[] = {Rate(80, r), QuotaRule(81, q), Rate(82, r)};
  LimitOutcome out[3];
  ASSERT_TRUE(s.Acquire(rules, 1, kT0, out));
  EXPECT_EQ(out[0].remaining, 9);
  EXPECT_EQ(out[1].remaining, 99);
  EXPECT_EQ(out[2].remaining, 9);
  const int64_t next_month = kT0 + 40LL * 86'400'000;  // the rates are full again by then
  ASSERT_TRUE(s.Acquire(rules, 1, next_month, out));
  EXPECT_EQ(out[0].remaining, 9);
  EXPECT_EQ(out[1].remaining, 99) << "a new month starts from zero";
  EXPECT_EQ(out[2].remaining, 9);
  EXPECT_EQ(s.QuotaUsed(rules[1], next_month), 1);
}

TEST(LocalCounterStore, QuotaCountsAndResetsExactlyAtTheMonthBoundary) {
  LocalCounterStore s;
  const Quota q{3, QuotaAnchor::kCalendar, "UTC"};
  const LimitRule rule = QuotaRule(30, q);
  const int64_t last_ms_of_january = 1'832'976'000'000 - 1;  // 2028-02-01T00:00:00Z − 1 ms
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(One(s, rule, last_ms_of_january - 1000));
  LimitOutcome o;
  ASSERT_FALSE(One(s, rule, last_ms_of_january, &o));
  EXPECT_EQ(o.retry_after_ms, 1) << "the month ends in one millisecond";
  EXPECT_EQ(o.window_seconds, 31 * 86'400);
  EXPECT_EQ(o.limit, 3);
  EXPECT_EQ(s.QuotaUsed(rule, last_ms_of_january), 3);
  ASSERT_TRUE(One(s, rule, last_ms_of_january + 1, &o)) << "1 Feb 00:00:00.000 starts a new month";
  EXPECT_EQ(o.remaining, 2);
  EXPECT_EQ(o.window_seconds, 29 * 86'400);
  EXPECT_EQ(s.QuotaUsed(rule, last_ms_of_january + 1), 1);
}

TEST(LocalCounterStore, QuotaInAZoneFollowsLocalMonths) {
  LocalCounterStore s;
  const Quota q{1, QuotaAnchor::kCalendar, "Asia/Kolkata"};
  const LimitRule rule = QuotaRule(31, q);
  const int64_t boundary_ms = 1'838'140'200'000;  // 2028-03-31T18:30:00Z = 1 Apr 00:00 IST
  ASSERT_TRUE(One(s, rule, boundary_ms - 1));
  EXPECT_FALSE(One(s, rule, boundary_ms - 1));
  EXPECT_TRUE(One(s, rule, boundary_ms));
}

TEST(LocalCounterStore, CostIsCountedOnEveryRule) {
  LocalCounterStore s;
  const RateLimit r{10, Period::kSecond, 9};
  const Quota q{25, QuotaAnchor::kCalendar, "UTC"};
  const LimitRule rules[] = {Rate(40, r), QuotaRule(41, q)};
  LimitOutcome out[2];
  ASSERT_TRUE(s.Acquire(rules, 4, kT0, out));
  EXPECT_EQ(out[0].remaining, 6);
  EXPECT_EQ(out[1].remaining, 21);
  ASSERT_FALSE(s.Acquire(rules, 7, kT0, out)) << "the rate has room for 6";
  EXPECT_EQ(s.QuotaUsed(rules[1], kT0), 4);
}

TEST(LocalCounterStore, SweepForgetsIdleEntriesOnly) {
  LocalCounterStore s;
  const RateLimit r{1, Period::kSecond, 0};
  const Quota q{5, QuotaAnchor::kCalendar, "UTC"};
  for (uint64_t k = 0; k < 1000; ++k) One(s, Rate(k, r), kT0);
  One(s, QuotaRule(5000, q), kT0);
  EXPECT_EQ(s.size(), 1001u);
  EXPECT_EQ(s.Sweep(kT0 + 999), 0u) << "buckets still refilling carry information";
  EXPECT_EQ(s.Sweep(kT0 + 1000), 1000u) << "full buckets are the same as absent ones";
  EXPECT_EQ(s.size(), 1u) << "the quota's month has not ended";
  EXPECT_EQ(s.Sweep(kT0 + 40LL * 86'400'000), 1u);
}

TEST(LocalCounterStore, AmortisedSweepingKeepsMemoryBoundedWithoutAnOwner) {
  LocalCounterStore s(LocalCounterStore::Options{1'000'000, 64});
  const RateLimit r{10, Period::kSecond, 0};  // an entry lives 100 ms
  size_t peak = 0;
  for (int64_t i = 0; i < 200'000; ++i) {  // 200k distinct keys, one per ms
    One(s, Rate(static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL, r), kT0 + i);
    peak = std::max(peak, s.size());
  }
  EXPECT_LT(peak, 100u + 64u * 64u) << "live keys plus at most one sweep period per shard";
}

TEST(LocalCounterStore, AtTheCapNewKeysAreDecidedAsNewAndTrackedOnesStayExact) {
  LocalCounterStore s(LocalCounterStore::Options{100, 0});
  const RateLimit r{1, Period::kHour, 0};
  for (uint64_t k = 0; k < 100; ++k) ASSERT_TRUE(One(s, Rate(k, r), kT0));
  EXPECT_EQ(s.size(), 100u);
  EXPECT_TRUE(One(s, Rate(1000, r), kT0)) << "untracked: a full bucket";
  EXPECT_TRUE(One(s, Rate(1000, r), kT0)) << "and not remembered";
  EXPECT_EQ(s.size(), 100u);
  EXPECT_FALSE(One(s, Rate(7, r), kT0)) << "tracked keys are still enforced";
  // Once old entries are idle, the cap sweeps the shard by itself and new keys are tracked again.
  const int64_t later = kT0 + 3'600'000;
  ASSERT_TRUE(One(s, Rate(1000, r), later));
  EXPECT_FALSE(One(s, Rate(1000, r), later));
  EXPECT_LE(s.size(), 100u);
}

TEST(LocalCounterStore, QuotaExportImportRoundTrip) {
  LocalCounterStore a;
  const Quota q{10, QuotaAnchor::kCalendar, "UTC"};
  for (int i = 0; i < 4; ++i) One(a, QuotaRule(50, q), kT0);
  One(a, QuotaRule(51, q), kT0);
  auto saved = a.ExportQuotas();
  ASSERT_EQ(saved.size(), 2u);
  std::sort(saved.begin(), saved.end(), [](auto& x, auto& y) { return x.key < y.key; });
  EXPECT_EQ(saved[0].used, 4);
  EXPECT_EQ(saved[0].window_end - saved[0].window_start, 31 * 86'400);  // December 2027
  LocalCounterStore b;
  b.ImportQuotas(saved);
  EXPECT_EQ(b.QuotaUsed(QuotaRule(50, q), kT0), 4);
  EXPECT_EQ(b.QuotaUsed(QuotaRule(51, q), kT0), 1);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(One(b, QuotaRule(50, q), kT0));
  EXPECT_FALSE(One(b, QuotaRule(50, q), kT0)) << "a restart does not reset the quota";
  EXPECT_EQ(b.QuotaUsed(QuotaRule(50, q), saved[0].window_end * 1000), 0) << "next month";
}

TEST(LocalCounterStore, ImportMergesWithCountsTakenSinceStart) {
  LocalCounterStore s;
  const Quota q{100, QuotaAnchor::kCalendar, "UTC"};
  const LimitRule rule = QuotaRule(60, q);
  for (int i = 0; i < 7; ++i) One(s, rule, kT0);
  const auto current = s.ExportQuotas().at(0);
  s.ImportQuotas({{60, current.window_start, current.window_end, 5}});
  EXPECT_EQ(s.QuotaUsed(rule, kT0), 7) << "the same window keeps the larger count";
  s.ImportQuotas({{60, current.window_start, current.window_end, 9}});
  EXPECT_EQ(s.QuotaUsed(rule, kT0), 9);
  s.ImportQuotas({{60, current.window_start - 2'678'400, current.window_start, 50}});
  EXPECT_EQ(s.QuotaUsed(rule, kT0), 9) << "an older month is ignored";
}

}  // namespace
}  // namespace tollgate::ratelimit
