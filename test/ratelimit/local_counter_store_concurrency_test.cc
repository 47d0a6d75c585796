// LocalCounterStore under concurrent callers: never over-admits, all-or-nothing still holds.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "ratelimit/local_counter_store.h"
#include "ratelimit/test_rules.h"

namespace tollgate::ratelimit {
namespace {

using testing_rules::kT0;
using testing_rules::One;
using testing_rules::QuotaRule;
using testing_rules::Rate;

constexpr int kThreads = 8;

// Runs `body(thread_index)` on kThreads threads released at once.
template <class Body>
void RunTogether(Body body) {
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      body(t);
    });
  }
  go.store(true, std::memory_order_release);
  for (auto& th : threads) th.join();
}

TEST(LocalCounterStoreConcurrency, ManyThreadsOnOneRateKeyAdmitExactlyTheCapacity) {
  LocalCounterStore s;
  const RateLimit r{1000, Period::kHour, 499};  // capacity 500 at one instant
  const LimitRule rule = Rate(1, r);
  std::atomic<int> admitted{0};
  RunTogether([&](int) {
    for (int i = 0; i < 1000; ++i) admitted += One(s, rule, kT0) ? 1 : 0;
  });
  EXPECT_EQ(admitted.load(), 500);
}

TEST(LocalCounterStoreConcurrency, ManyThreadsOnOneQuotaAdmitExactlyTheLimit) {
  LocalCounterStore s;
  const Quota q{1000, QuotaAnchor::kCalendar, "Europe/Paris"};
  const LimitRule rule = QuotaRule(2, q);
  std::atomic<int> admitted{0};
  RunTogether([&](int) {
    for (int i = 0; i < 500; ++i) admitted += One(s, rule, kT0) ? 1 : 0;
  });
  EXPECT_EQ(admitted.load(), 1000);
  EXPECT_EQ(s.QuotaUsed(rule, kT0), 1000);
}

TEST(LocalCounterStoreConcurrency, SharedLimitAcrossRuleSetsIsNeverExceeded) {
  // Every thread has its own per-caller limit (capacity 40) and all share one API-wide limit
  // (capacity 200) checked after it; 8 × 40 = 320 asks exceed the shared 200. Refunds must not let
  // the shared limit pass more than its capacity, and each caller's own limit must not be charged
  // for requests the shared one refused.
  LocalCounterStore s;
  const RateLimit own{40, Period::kHour, 39};
  const RateLimit shared{200, Period::kHour, 199};
  std::atomic<int> admitted{0};
  std::vector<int> per_thread(kThreads, 0);
  RunTogether([&](int t) {
    const LimitRule rules[] = {Rate(100 + static_cast<uint64_t>(t), own), Rate(99, shared)};
    LimitOutcome out[2];
    for (int i = 0; i < 100; ++i) {
      if (s.Acquire(rules, 1, kT0, out)) {
        ++admitted;
        ++per_thread[static_cast<size_t>(t)];
      }
    }
  });
  EXPECT_EQ(admitted.load(), 200);
  for (int t = 0; t < kThreads; ++t) {
    LimitOutcome o;
    One(s, Rate(100 + static_cast<uint64_t>(t), own), kT0, &o);
    EXPECT_EQ(o.allowed, per_thread[static_cast<size_t>(t)] < 40) << "thread " << t;
  }
}

TEST(LocalCounterStoreConcurrency, SweepingWhileAcquiringLosesNoCount) {
  LocalCounterStore s(LocalCounterStore::Options{1'000'000, 16});
  const RateLimit r{100, Period::kHour, 99};
  const LimitRule hot = Rate(7, r);
  std::atomic<int> admitted{0};
  RunTogether([&](int t) {
    const RateLimit idle{1000, Period::kSecond, 0};
    for (int i = 0; i < 2000; ++i) {
      One(s, Rate(1'000'000 + static_cast<uint64_t>(t * 2000 + i), idle), kT0 + i);  // churn
      admitted += One(s, hot, kT0 + i) ? 1 : 0;
      if (t == 0 && i % 100 == 0) s.Sweep(kT0 + i);
    }
  });
  // 100 at once, then one per 36 s: the run lasts 2 s, so nothing more refills.
  EXPECT_EQ(admitted.load(), 100);
}

}  // namespace
}  // namespace tollgate::ratelimit
