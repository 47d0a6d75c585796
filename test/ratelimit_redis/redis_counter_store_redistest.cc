// RedisCounterStore with Redis up: the stated error bound for rates on one and two replicas,
// exact shared quotas, and Redis operations per request at steady load.
#include <array>
#include <atomic>
#include <thread>
#include <vector>

#include "ratelimit_redis/store_fixture.h"

namespace tollgate::ratelimit {
namespace {

using redis_internal::ColdAllowance;
using redis_internal::LeaseCap;
using std::chrono::milliseconds;

struct Traffic {
  int64_t admitted = 0;
  int64_t attempts = 0;
  int64_t first_ms = 0;
  int64_t last_ms = 0;
};

// Attempts one request every `gap` until `duration` has passed.
Traffic Drive(RedisCounterStore& store, const LimitRule& rule, milliseconds duration,
          std::chrono::microseconds gap) {
  Traffic run;
  run.first_ms = NowMs();
  while (NowMs() - run.first_ms < duration.count()) {
    LimitOutcome out;
    const int64_t now = NowMs();
    if (store.Acquire(std::span(&rule, 1), 1, now, std::span(&out, 1))) ++run.admitted;
    ++run.attempts;
    run.last_ms = now;
    std::this_thread::sleep_for(gap);
  }
  return run;
}

// The bound of redis_counter_store.h: C + rate·t + R·(Lmax + A).
double RateBound(const RateLimit& rate, int64_t replicas, double seconds) {
  const int64_t capacity = rate.burst + 1;
  const double per_second =
      static_cast<double>(rate.requests) / static_cast<double>(PeriodSeconds(rate.per));
  return static_cast<double>(capacity) + per_second * seconds +
         static_cast<double>(replicas * (LeaseCap(capacity, replicas) +
                                         ColdAllowance(capacity, replicas, 4)));
}

class RedisCounterStoreTest : public RedisStoreTest {};

TEST_F(RedisCounterStoreTest, OneReplicaAdmitsWithinTheStatedBoundOfARate) {
  auto store = NewStore("solo");
  ASSERT_NE(store, nullptr);
  store->Start();
  const RateLimit rate{200, Period::kSecond, 49};  // capacity 50
  const LimitRule rule = RateRule(0x1111, rate);
  const Traffic run = Drive(*store, rule, milliseconds(1000), std::chrono::microseconds(200));
  store->Stop();
  // The Redis bucket's clock may differ from ours by a few ms: allow 20 ms of refill either way.
  const double seconds = static_cast<double>(run.last_ms - run.first_ms + 20) / 1000.0;
  const double steady = 200.0 * (seconds - 0.04);
  std::printf("one replica: %" PRId64 " admitted of %" PRId64 " in %.3f s; bound %.1f\n",
              run.admitted, run.attempts, seconds, RateBound(rate, 1, seconds));
  EXPECT_LE(run.admitted, RateBound(rate, 1, seconds)) << "attempts " << run.attempts;
  EXPECT_GE(run.admitted, 0.9 * (50 + steady)) << "attempts " << run.attempts;
  EXPECT_GT(run.attempts, 2 * run.admitted);  // the limit was really exceeded
}

TEST_F(RedisCounterStoreTest, TwoReplicasSharingARateStayWithinTheStatedBound) {
  auto a = NewStore("replica-a");
  auto b = NewStore("replica-b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  a->Start();
  b->Start();
  const RateLimit rate{400, Period::kSecond, 199};  // capacity 200
  const LimitRule rule = RateRule(0x2222, rate);
  Traffic ra, rb;
  std::thread ta([&] { ra = Drive(*a, rule, milliseconds(1200), std::chrono::microseconds(150)); });
  std::thread tb([&] { rb = Drive(*b, rule, milliseconds(1200), std::chrono::microseconds(150)); });
  ta.join();
  tb.join();
  EXPECT_EQ(a->GetStats().replicas, 2);
  a->Stop();
  b->Stop();
  const int64_t first = std::min(ra.first_ms, rb.first_ms);
  const int64_t last = std::max(ra.last_ms, rb.last_ms);
  const double seconds = static_cast<double>(last - first + 20) / 1000.0;
  const int64_t admitted = ra.admitted + rb.admitted;
  std::printf("two replicas: %" PRId64 " + %" PRId64 " admitted of %" PRId64 " in %.3f s; bound %.1f; "
              "%" PRId64 " Redis commands\n", ra.admitted, rb.admitted, ra.attempts + rb.attempts,
              seconds, RateBound(rate, 2, seconds), a->GetStats().commands + b->GetStats().commands);
  EXPECT_LE(admitted, RateBound(rate, 2, seconds)) << ra.admitted << " + " << rb.admitted;
  EXPECT_GE(admitted, 0.9 * (200 + 400.0 * (seconds - 0.04))) << ra.admitted << " + " << rb.admitted;
  EXPECT_GT(ra.admitted, 0);
  EXPECT_GT(rb.admitted, 0);
}

TEST_F(RedisCounterStoreTest, QuotaSharedByTwoReplicasIsExactOnceLeasesAreReturned) {
  auto a = NewStore("replica-a");
  auto b = NewStore("replica-b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  a->Start();
  b->Start();
  const Quota quota{500, QuotaAnchor::kCalendar, "UTC"};
  const LimitRule rule = QuotaRule(0x3333, quota);
  // Each replica asks until it has been refused 100 times in a row (its leases are spent and
  // Redis has said the quota is gone).
  auto drive = [&](RedisCounterStore& store, std::atomic<int64_t>& admitted) {
    int refused_in_a_row = 0;
    while (refused_in_a_row < 100) {
      if (One(store, rule)) {
        admitted.fetch_add(1);
        refused_in_a_row = 0;
      } else {
        ++refused_in_a_row;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  };
  std::atomic<int64_t> admitted_a{0}, admitted_b{0};
  std::thread ta([&] { drive(*a, admitted_a); });
  std::thread tb([&] { drive(*b, admitted_b); });
  ta.join();
  tb.join();
  const int64_t now = NowMs();
  EXPECT_EQ(a->QuotaUsed(rule, now) + b->QuotaUsed(rule, now) >= 500, true);
  a->Stop();
  b->Stop();
  const int64_t admitted = admitted_a + admitted_b;
  const int64_t bound = 500 + 2 * ColdAllowance(500, 2, 4);
  EXPECT_GE(admitted, 500);
  EXPECT_LE(admitted, bound) << admitted_a << " + " << admitted_b;
  EXPECT_EQ(QuotaCounter(0x3333, quota, now), admitted);  // every admitted request is counted
}

TEST_F(RedisCounterStoreTest, SteadyLoadCostsAtMostOneRedisOperationPer20Requests) {
  auto store = NewStore("steady");
  ASSERT_NE(store, nullptr);
  store->Start();
  const RateLimit rate{100'000, Period::kSecond, 99'999};
  const LimitRule rule = RateRule(0x4444, rate);
  // A steady 20 requests per ms, all under the limit: 100 ms to warm the key up (its first
  // requests may be refused while the first lease is in flight, see the header), then 20,000
  // requests (one second of real time) measured.
  auto drive = [&](int ms_count) {
    int64_t admitted = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int ms = 0; ms < ms_count; ++ms) {
      for (int i = 0; i < 20; ++i) admitted += One(*store, rule) ? 1 : 0;
      std::this_thread::sleep_until(start + milliseconds(ms + 1));
    }
    return admitted;
  };
  drive(100);
  const RedisCounterStore::Stats before = store->GetStats();
  const int64_t admitted = drive(1000);
  RedisCounterStore::Stats stats = store->GetStats();
  store->Stop();
  // All are under the limit; a lease arriving late on a loaded machine may refuse a few (local
  // budgets never wait for Redis). Accuracy target: within 1%.
  EXPECT_GE(admitted, 19'800);
  EXPECT_LE(admitted, 20'000);
  stats.requests -= before.requests;
  stats.commands -= before.commands;
  stats.round_trips -= before.round_trips;
  stats.credit_admits -= before.credit_admits;
  const double per_request = static_cast<double>(stats.commands) / static_cast<double>(stats.requests);
  RecordProperty("redis_ops_per_request", std::to_string(per_request));
  std::printf("steady load: %" PRId64 " requests, %" PRId64 " Redis commands in %" PRId64
              " round trips (%.5f ops/request), %" PRId64 " on credit\n",
              stats.requests, stats.commands, stats.round_trips, per_request, stats.credit_admits);
  EXPECT_LE(per_request, 0.05);
}

// Leases of many keys share batched script calls (kMaxBatchKeys each, rate buckets and quota
// counters mixed): every key must still get its own answer and every admission be counted.
TEST_F(RedisCounterStoreTest, ManyKeysLeasedTogetherAreEachAnsweredAndCounted) {
  auto store = NewStore("many");
  ASSERT_NE(store, nullptr);
  store->Start();
  constexpr int kKeys = 300;  // more than two batched calls' worth of leases per tick
  const RedisCounterStore::Stats stats =
      DrainManyKeys(*store, kKeys, Quota{40, QuotaAnchor::kCalendar, "UTC"}).stats;
  std::printf("%d keys × 2 rules: %" PRId64 " leases in %" PRId64 " commands, %" PRId64
              " round trips\n", kKeys, stats.leases, stats.commands, stats.round_trips);
  EXPECT_GE(stats.leases, 2 * kKeys);
  EXPECT_LT(stats.commands, stats.leases);  // several leases per script call
}

// A lukewarm key of a generous quota leases 1 % of it at once (LeaseFloor), so it seldom calls
// Redis; what it holds unused counts in Redis until Stop() gives it back.
TEST_F(RedisCounterStoreTest, AGenerousQuotaIsLeasedInPiecesOfOnePercent) {
  auto store = NewStore("generous");
  ASSERT_NE(store, nullptr);
  store->Start();
  const Quota quota{1'000'000, QuotaAnchor::kCalendar, "UTC"};
  const LimitRule rule = QuotaRule(0x6e4e, quota);
  int64_t admitted = 0;
  for (int i = 0; i < 200; ++i) {  // ~200 requests/s: a 1 s horizon alone would lease ≈ 64–200
    admitted += One(*store, rule) ? 1 : 0;
    std::this_thread::sleep_for(milliseconds(1));
  }
  const int64_t now = NowMs();
  const RedisCounterStore::Stats stats = store->GetStats();
  EXPECT_EQ(admitted, 200);
  EXPECT_GE(stats.granted, 10'000);  // 1 % of the quota, one replica
  EXPECT_LE(stats.leases, 3);
  EXPECT_EQ(store->QuotaUsed(rule, now), admitted);  // this replica's view excludes its lease
  store->Stop();
  EXPECT_EQ(QuotaCounter(0x6e4e, quota, now), admitted);  // the unused lease was given back
}

// An idle key's unspent lease goes back to its Redis bucket (a settlement riding in the batched
// call): the bucket then holds exactly what was not admitted.
TEST_F(RedisCounterStoreTest, AnIdleKeysUnusedLeaseReturnsToTheBucket) {
  auto store = NewStore("idle", [](RedisOptions& o) { o.idle_return = milliseconds(200); });
  ASSERT_NE(store, nullptr);
  store->Start();
  const RateLimit slow{1, Period::kHour, 999};  // capacity 1000, no refill during the test
  const LimitRule rule = RateRule(0x1d1e, slow);
  int64_t admitted = 0;
  for (int i = 0; i < 100; ++i) {
    admitted += One(*store, rule) ? 1 : 0;
    std::this_thread::sleep_for(milliseconds(1));
  }
  EXPECT_EQ(admitted, 100);
  // Idle for 200 ms, then the next sweep (every 50 ms) returns the lease; allow 3 s.
  int64_t in_bucket = 0;  // whole tokens of "<tokens> <ts>"
  for (int i = 0; i < 300 && in_bucket != 1000 - admitted; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
    in_bucket = Integer({"GET", "tg:{0000000000001d1e}:b"});
  }
  EXPECT_EQ(in_bucket, 1000 - admitted);
  EXPECT_GE(store->GetStats().returns, 1);
  store->Stop();
}

// The sweep visits a share of the keys per tick and holds a shard's lock for at most 256 states
// at a time. With 20,000 keys (≈ 310 a shard, so a pass goes on from inside a shard after
// letting requests in) every idle key's unused lease still goes back within a few passes.
TEST_F(RedisCounterStoreTest, EveryIdleLeaseOfManyKeysGoesBackThroughChunkedSweeps) {
  auto store = NewStore("sweep", [](RedisOptions& o) { o.idle_return = milliseconds(200); });
  ASSERT_NE(store, nullptr);
  store->Start();
  constexpr int kKeys = 20'000;
  const Quota quota{1000, QuotaAnchor::kCalendar, "UTC"};
  std::vector<LimitRule> rules;
  for (int i = 0; i < kKeys; ++i) rules.push_back(QuotaRule(0x5eed0000 + i, quota));
  const int64_t start = NowMs();
  int64_t admitted = 0;
  for (const LimitRule& rule : rules) admitted += One(*store, rule) ? 1 : 0;
  ASSERT_EQ(admitted, kKeys);
  // The sum of every counter, server-side: once every lease is back, each holds its one request.
  std::vector<std::string> names;
  for (const LimitRule& rule : rules) names.push_back(QuotaKey(rule.key, quota, start));
  const std::string count = std::to_string(kKeys);
  std::vector<std::string_view> sum = {
      "EVAL",
      "local s = 0 for _, k in ipairs(KEYS) do s = s + tonumber(redis.call('GET', k) or '0') end "
      "return s",
      count};
  for (const std::string& name : names) sum.push_back(name);
  const int64_t leased = Integer(sum);
  EXPECT_GT(leased, kKeys) << "leases larger than what was used, to be given back";
  int64_t counted = leased;
  EXPECT_TRUE(Eventually([&] { return (counted = Integer(sum)) == kKeys; }, std::chrono::seconds(10)))
      << counted << " counted for " << kKeys << " requests: not every lease came back";
  EXPECT_EQ(store->GetStats().keys, kKeys) << "states are kept (evict_after 30 s)";
  EXPECT_GT(store->GetStats().longest_sweep_hold_ns, 0) << "the sweep's lock holds are measured";
  store->Stop();
}

TEST_F(RedisCounterStoreTest, ARequestRefusedByOneRuleConsumesNoOtherRule) {
  auto store = NewStore("solo");
  ASSERT_NE(store, nullptr);
  store->Start();
  const Quota tiny{3, QuotaAnchor::kCalendar, "UTC"};
  const RateLimit slow{1, Period::kHour, 5};  // capacity 6, no refill during the test
  const LimitRule rules[] = {QuotaRule(0x6666, tiny), RateRule(0x5555, slow)};
  LimitOutcome out[2];
  int admitted = 0;
  for (int i = 0; i < 10; ++i) {
    admitted += store->Acquire(rules, 1, NowMs(), out) ? 1 : 0;
    std::this_thread::sleep_for(milliseconds(5));
  }
  // 3, or one more on credit when a lease's reply came later than the next request (loaded
  // machine): the quota bound limit + R·A.
  EXPECT_GE(admitted, 3);
  EXPECT_LE(admitted, 3 + ColdAllowance(3, 1, 4));
  EXPECT_FALSE(out[0].allowed);
  EXPECT_TRUE(out[1].allowed);
  EXPECT_EQ(out[0].limit, 3);
  EXPECT_GT(out[0].retry_after_ms, 0);
  // The refused requests left the rate's remaining tokens (6 - admitted) alone.
  int rate_only = 0;
  for (int i = 0; i < 10; ++i) {
    rate_only += One(*store, rules[1]) ? 1 : 0;
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_GE(rate_only, 6 - admitted);
  EXPECT_LE(rate_only, 6 - admitted + ColdAllowance(6, 1, 4));
  store->Stop();
  EXPECT_EQ(QuotaCounter(0x6666, tiny, NowMs()), admitted);  // every admitted request counted
}

}  // namespace
}  // namespace tollgate::ratelimit

namespace tollgate::ratelimit {
namespace {

// A burst on a key nobody has used yet is admitted on credit while its first lease is on the
// way, when the limit is generous: no spurious 429 for a plan allowing a billion a second.
TEST_F(RedisStoreTest, AColdKeyOfAGenerousLimitAdmitsABurstBeforeItsFirstLease) {
  auto store = NewStore("cold");
  ASSERT_NE(store, nullptr);
  store->Start();
  for (int i = 0; i < 200 && !store->GetStats().connected; ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  ASSERT_TRUE(store->GetStats().connected);
  // 64 requests in a few µs: far sooner than a lease's round trip; all of them are admitted (on
  // credit, or from a lease if one came back that fast), none refused as before.
  const RateLimit generous{1'000'000'000, Period::kSecond, 999'999'999};  // outlives the rule
  const LimitRule rule = RateRule(0x7777, generous);
  int64_t admitted = 0;
  for (int i = 0; i < 64; ++i) {
    LimitOutcome out;
    if (store->Acquire(std::span(&rule, 1), 1, NowMs(), std::span(&out, 1))) ++admitted;
  }
  store->Stop();
  EXPECT_EQ(admitted, 64);
  // The allowance: 1 % of the capacity across replicas for large budgets, the small cap of the
  // stated bound for small ones.
  EXPECT_EQ(ColdAllowance(300, 1, 4), 4);
  EXPECT_EQ(ColdAllowance(300, 3, 4), 4);
  EXPECT_EQ(ColdAllowance(6, 1, 4), 1);
  EXPECT_EQ(ColdAllowance(1'000'000'000, 2, 4), 5'000'000);
}

}  // namespace
}  // namespace tollgate::ratelimit
