// RedisCounterStore when Redis goes away: degraded outcomes, fail-open vs fail-closed once the
// local fair share is spent, recovery and settlement of what was admitted meanwhile, and quota
// counts that survive a Redis restart (AOF).
#include <thread>

#include "ratelimit_redis/store_fixture.h"

namespace tollgate::ratelimit {
namespace {

using std::chrono::milliseconds;

class RedisOutageTest : public RedisStoreTest {
 protected:
  RedisOutageTest() : RedisStoreTest(/*appendonly=*/true) {}
};

TEST_F(RedisOutageTest, KilledRedisDegradesThenRecoversAndSettlesEveryCount) {
  // Leases of ~100 ms of demand (not 1 % of the generous quota), so that the 0.4 s outage
  // outlasts what the replica holds.
  auto store = NewStore("solo", [](RedisOptions& o) {
    o.lease_horizon = milliseconds(100);
    o.min_lease_percent = 0;
  });
  ASSERT_NE(store, nullptr);
  store->Start();
  const RateLimit rate{100, Period::kSecond, 19};  // capacity 20
  const Quota quota{100'000, QuotaAnchor::kCalendar, "UTC"};
  const LimitRule closed = RateRule(0xc105ed, rate, /*fail_open=*/false);
  const LimitRule open = RateRule(0x0be4, rate, /*fail_open=*/true);
  const LimitRule counted = QuotaRule(0xc0, quota);
  int64_t quota_admitted = 0;
  for (int i = 0; i < 50; ++i) {  // healthy: leases in place
    quota_admitted += One(*store, counted) ? 1 : 0;
    std::this_thread::sleep_for(milliseconds(1));
  }
  ASSERT_EQ(quota_admitted, 50);

  server_.Kill();
  int64_t closed_ok = 0, closed_refused_degraded = 0, open_ok = 0, open_degraded = 0;
  int64_t quota_degraded = 0, attempts = 0;
  const int64_t outage_start = NowMs();
  while (NowMs() - outage_start < 400) {  // 100/s offered at ~1000/s for 0.4 s
    LimitOutcome out;
    if (One(*store, closed, &out)) {
      ++closed_ok;
    } else if (out.degraded) {
      ++closed_refused_degraded;
    }
    open_ok += One(*store, open, &out) ? 1 : 0;
    open_degraded += out.degraded ? 1 : 0;
    quota_admitted += One(*store, counted, &out) ? 1 : 0;
    quota_degraded += out.degraded ? 1 : 0;
    ++attempts;
    std::this_thread::sleep_for(milliseconds(1));
  }
  const RedisCounterStore::Stats down = store->GetStats();
  EXPECT_FALSE(down.connected);
  EXPECT_GT(down.degraded_decisions, 0);
  // Fail closed: the local fair share (burst 20 + 100/s over 0.4 s), then refusals.
  EXPECT_GT(closed_refused_degraded, 100);
  EXPECT_LE(closed_ok, 20 + 20 + 100 * 0.45 + 20);  // leases + local burst + refill + slack
  // Fail open: everything passes, marked degraded.
  EXPECT_EQ(open_ok, attempts);
  EXPECT_GT(open_degraded, 100);
  EXPECT_GT(quota_degraded, 100);

  ASSERT_TRUE(server_.Start());
  ASSERT_TRUE(Eventually([&] { return store->GetStats().connected; }));
  LimitOutcome out;
  ASSERT_TRUE(Eventually([&] {
    One(*store, counted, &out);
    ++quota_admitted;
    return !out.degraded && out.allowed;
  }));
  store->Stop();  // returns unused leases
  // Every quota request admitted before, during and after the outage is in Redis.
  EXPECT_EQ(QuotaCounter(0xc0, quota, NowMs()), quota_admitted);
}

TEST_F(RedisOutageTest, QuotaCountsSurviveARedisRestart) {
  const Quota quota{40, QuotaAnchor::kCalendar, "UTC"};
  const LimitRule rule = QuotaRule(0x9e75, quota);
  {
    auto store = NewStore("before");
    ASSERT_NE(store, nullptr);
    store->Start();
    // 30 admitted (a request may be refused while a lease is late on a loaded machine: only
    // admitted ones count, and those are what the counter must hold).
    int admitted = 0;
    for (int i = 0; i < 300 && admitted < 30; ++i) {
      admitted += One(*store, rule) ? 1 : 0;
      std::this_thread::sleep_for(milliseconds(1));
    }
    ASSERT_EQ(admitted, 30);
    store->Stop();
  }
  server_.Kill();  // a crash: the AOF (fsync always) keeps what was acknowledged
  ASSERT_TRUE(server_.Start());
  EXPECT_EQ(QuotaCounter(0x9e75, quota, NowMs()), 30);
  auto store = NewStore("after");
  ASSERT_NE(store, nullptr);
  store->Start();
  int admitted = 0;
  for (int i = 0; i < 40; ++i) {
    admitted += One(*store, rule) ? 1 : 0;
    std::this_thread::sleep_for(milliseconds(2));
  }
  store->Stop();
  // The 10 left, plus at most the cold-start credit a restarted replica may admit before its
  // first lease answers (the documented bound); every admitted request is counted exactly.
  EXPECT_GE(admitted, 10);
  EXPECT_LE(admitted, 10 + redis_internal::ColdAllowance(40, 1, 4));
  EXPECT_EQ(QuotaCounter(0x9e75, quota, NowMs()), 30 + admitted);
}

}  // namespace
}  // namespace tollgate::ratelimit
