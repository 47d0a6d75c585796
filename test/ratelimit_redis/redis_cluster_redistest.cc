// RedisCounterStore against a real three-master Redis Cluster: mode detection from any node,
// limits on keys spread over every master enforced and counted as on one server, settlements
// to every master, a slot moved mid-run or held half-migrated (ASK), a master killed and
// restarted.
#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "ratelimit/redis/cluster_slots.h"
#include "ratelimit_redis/redis_cluster.h"
#include "ratelimit_redis/store_fixture.h"

namespace tollgate::ratelimit {
namespace {

using redis_internal::ColdAllowance;
using redis_internal::KeySlot;
using std::chrono::milliseconds;

// The master RedisCluster gives `slot` to (slots split in thirds).
size_t MasterOfSlot(int slot) { return std::min<size_t>(2, static_cast<size_t>(slot / (16384 / 3))); }

std::string RateKey(uint64_t key) {
  char name[48];
  std::snprintf(name, sizeof name, "tg:{%016" PRIx64 "}:b", key);
  return name;
}

class RedisClusterTest : public StoreTestBase {
 protected:
  explicit RedisClusterTest(bool appendonly = false, bool replicas = false)
      : cluster_(appendonly, replicas) {}

  void SetUp() override { ASSERT_TRUE(cluster_.ready()) << "the test cluster did not form"; }

  std::unique_ptr<RedisCounterStore> NewStore(const std::string& replica,
                                              const std::function<void(RedisOptions&)>& adjust = {},
                                              size_t seed = 0) {
    return ConnectStore(cluster_.url(seed), replica, adjust);
  }

  // A quota counter read on the node that serves it (-1 when no node does).
  int64_t QuotaCounter(uint64_t key, const Quota& quota, int64_t now_ms) override {
    const std::string name = QuotaKey(key, quota, now_ms);
    const size_t owner = cluster_.Owner(name);
    if (owner == cluster_.size()) return -1;
    const RedisReply r = cluster_.Command(owner, {"GET", name});
    return r.type == RedisReply::Type::kString ? std::stoll(r.text) : 0;
  }

  // The first key at or after `from` whose hash tag's slot the test cluster gives `master`.
  static uint64_t KeyOn(size_t master, uint64_t from) {
    for (uint64_t key = from;; ++key) {
      if (MasterOfSlot(KeySlot(RateKey(key))) == master) return key;
    }
  }

  // A store for the outage tests: short leases, no 1 % floor, a reconnect within 100 ms of
  // the cluster being ready again.
  std::unique_ptr<RedisCounterStore> NewOutageStore(const std::string& replica) {
    return NewStore(replica, [](RedisOptions& o) {
      o.lease_horizon = milliseconds(100);
      o.min_lease_percent = 0;
      o.reconnect_backoff_max = milliseconds(100);
    });
  }

  // A store for the resharding tests: small leases (20 ms of demand, at least 4), so that a
  // busy limit leases again several times while its slot moves.
  std::unique_ptr<RedisCounterStore> NewReshardStore(const std::string& replica) {
    return NewStore(replica, [](RedisOptions& o) {
      o.lease_horizon = milliseconds(20);
      o.min_lease = 4;
      o.min_lease_percent = 0;
    });
  }

  // Requests on two quota keys (100 000 each, fail open): key 0 served by master 1 (the one the
  // outage tests kill), key 1 by master 0; what each admitted, and how many were degraded.
  struct Traffic {
    Traffic(RedisCounterStore& s, uint64_t on_master_1, uint64_t on_master_0)
        : store(s),
          counted{QuotaRule(on_master_1, quota, /*fail_open=*/true),
                  QuotaRule(on_master_0, quota, /*fail_open=*/true)} {}
    Traffic(const Traffic&) = delete;  // the rules point at `quota`

    LimitOutcome Send(size_t i) {
      LimitOutcome out;
      admitted[i] += One(store, counted[i], &out) ? 1 : 0;
      degraded[i] += out.degraded ? 1 : 0;
      return out;
    }
    // 50 requests on each key, 1 ms apart: leases and counters in place, nothing degraded.
    void Warm() {
      for (int i = 0; i < 50; ++i) {
        Send(0);
        Send(1);
        std::this_thread::sleep_for(milliseconds(1));
      }
    }

    RedisCounterStore& store;
    const Quota quota{100'000, QuotaAnchor::kCalendar, "UTC"};
    const std::array<LimitRule, 2> counted;
    int64_t admitted[2] = {0, 0};
    int64_t degraded[2] = {0, 0};
  };

  // Every node's cluster stats added up.
  static RedisCounterStore::NodeStats Total(const RedisCounterStore::ClusterStats& cs) {
    RedisCounterStore::NodeStats total;
    for (const RedisCounterStore::NodeStats& n : cs.nodes) {
      total.keys += n.keys;
      total.commands += n.commands;
      total.round_trips += n.round_trips;
      total.redirects += n.redirects;
      total.asked += n.asked;
    }
    return total;
  }

  // A quota counter read on node `node` after ASKING: what a master importing its slot holds.
  int64_t QuotaCounterOn(size_t node, uint64_t key, const Quota& quota, int64_t now_ms) {
    const RedisReply r = cluster_.Command(node, {"GET", QuotaKey(key, quota, now_ms)}, true);
    return r.type == RedisReply::Type::kString ? std::stoll(r.text)
           : r.type == RedisReply::Type::kNil  ? 0
                                               : -1;
  }

  // Requests from a thread until Stop(), one round every ~1 ms: each limit of `limits` (its
  // rules in one Acquire) in turn. Counts are read after Stop(), `attempts` at any time.
  class Driver {
   public:
    Driver(RedisCounterStore& store, std::vector<std::vector<LimitRule>> limits)
        : admitted(limits.size(), 0), store_(store), limits_(std::move(limits)) {
      thread_ = std::thread([this] { Run(); });
    }
    ~Driver() { Stop(); }
    void Stop() {
      done_ = true;
      if (thread_.joinable()) thread_.join();
    }

    std::atomic<int64_t> attempts{0};  // rounds
    std::vector<int64_t> admitted;     // per limit
    int64_t degraded = 0;              // outcomes with degraded set

   private:
    void Run() {
      std::vector<LimitOutcome> out;
      while (!done_.load()) {
        for (size_t i = 0; i < limits_.size(); ++i) {
          out.assign(limits_[i].size(), LimitOutcome{});
          admitted[i] += store_.Acquire(limits_[i], 1, NowMs(), out) ? 1 : 0;
          degraded += std::count_if(out.begin(), out.end(),
                                    [](const LimitOutcome& o) { return o.degraded; });
        }
        ++attempts;
        std::this_thread::sleep_for(milliseconds(1));
      }
    }

    RedisCounterStore& store_;
    const std::vector<std::vector<LimitRule>> limits_;
    std::atomic<bool> done_{false};
    std::thread thread_;
  };

  redis_test::RedisCluster cluster_;
};

TEST_F(RedisClusterTest, AnyNodeAsSeedFindsEveryMasterAndKeysHashAsTheClusterSays) {
  auto store = NewStore("seed-is-node-2", {}, /*seed=*/2);
  ASSERT_NE(store, nullptr);
  store->Start();
  const Quota quota{100, QuotaAnchor::kCalendar, "UTC"};
  std::vector<uint64_t> keys;
  for (size_t master = 0; master < 3; ++master) {
    for (uint64_t k = 0; k < 3; ++k) keys.push_back(KeyOn(master, 0xa000 + 100 * master + 10 * k));
  }
  int64_t admitted = 0;
  for (int round = 0; round < 3; ++round) {
    for (uint64_t key : keys) admitted += One(*store, QuotaRule(key, quota)) ? 1 : 0;
    std::this_thread::sleep_for(milliseconds(5));
  }
  const int64_t now = NowMs();
  store->Stop();
  EXPECT_EQ(admitted, 3 * static_cast<int64_t>(keys.size()));
  const RedisCounterStore::ClusterStats cs = store->GetClusterStats();
  EXPECT_TRUE(cs.cluster);
  EXPECT_GE(cs.slot_map_loads, 1);
  EXPECT_EQ(cs.nodes.size(), 3u);  // the seed's slot map named the other two masters
  for (uint64_t key : keys) {
    const std::string name = QuotaKey(key, quota, now);
    EXPECT_EQ(QuotaCounter(key, quota, now), 3) << name;
    // The store's slot of its own key names is the one Redis computes.
    const RedisReply slot = cluster_.Command(0, {"CLUSTER", "KEYSLOT", name});
    EXPECT_EQ(slot.integer, KeySlot(name)) << name;
    EXPECT_EQ(cluster_.Owner(name), MasterOfSlot(KeySlot(name))) << name;
  }
}

// The single-server test of the same name, over three masters: most batched calls now carry one
// limit's keys, and every answer must still reach its key.
TEST_F(RedisClusterTest, ManyKeysOverEveryMasterAreEachAnsweredAndCounted) {
  auto store = NewStore("many");
  ASSERT_NE(store, nullptr);
  store->Start();
  constexpr int kKeys = 150;
  const Quota quota{40, QuotaAnchor::kCalendar, "UTC"};
  const Drained run = DrainManyKeys(*store, kKeys, quota);
  const RedisCounterStore::Stats& stats = run.stats;
  std::array<int, 3> quota_keys_per_master{};
  for (int i = 0; i < kKeys; ++i) {
    ++quota_keys_per_master[MasterOfSlot(KeySlot(QuotaKey(0x8000 + i, quota, run.now_ms)))];
  }
  EXPECT_EQ(stats.degraded_decisions, 0);
  EXPECT_EQ(stats.failures, 0);
  const RedisCounterStore::ClusterStats cs = store->GetClusterStats();
  ASSERT_EQ(cs.nodes.size(), 3u);
  for (const RedisCounterStore::NodeStats& n : cs.nodes) {
    std::printf("%s: %" PRId64 " keys in %" PRId64 " commands, %" PRId64 " round trips\n",
                n.address.c_str(), n.keys, n.commands, n.round_trips);
    EXPECT_GE(n.keys, 40) << n.address;  // every master served its share of the limits
    EXPECT_EQ(n.redirects, 0) << n.address;
  }
  for (int n : quota_keys_per_master) EXPECT_GT(n, 20);
  EXPECT_GE(stats.leases, 2 * kKeys);
}

// Stop() gives every unused lease back, each to the master serving it.
TEST_F(RedisClusterTest, StopReturnsEveryLeaseToItsMaster) {
  auto store = NewStore("generous");
  ASSERT_NE(store, nullptr);
  store->Start();
  const Quota quota{1'000'000, QuotaAnchor::kCalendar, "UTC"};  // leased in pieces of 10 000
  constexpr int kKeys = 30;
  int64_t admitted = 0;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < kKeys; ++i) admitted += One(*store, QuotaRule(0x6e00 + i, quota)) ? 1 : 0;
    std::this_thread::sleep_for(milliseconds(10));
  }
  const int64_t now = NowMs();
  EXPECT_EQ(admitted, 5 * kKeys);
  EXPECT_GE(store->GetStats().granted, 10'000 * kKeys);
  store->Stop();
  std::array<int, 3> per_master{};
  for (int i = 0; i < kKeys; ++i) {
    EXPECT_EQ(QuotaCounter(0x6e00 + i, quota, now), 5) << "key " << i;
    ++per_master[MasterOfSlot(KeySlot(QuotaKey(0x6e00 + i, quota, now)))];
  }
  for (int n : per_master) EXPECT_GT(n, 0);
}

// A slot resharded while its limit is in use (IMPORTING/MIGRATING, MIGRATE key by key, SETSLOT
// NODE): the store meets TRYAGAIN/ASK/MOVED, reloads the slot map and follows the slot, without
// a degraded outcome and without losing a count.
TEST_F(RedisClusterTest, ASlotMovedMidRunIsFollowedWithoutLosingCounts) {
  auto store = NewReshardStore("resharded");
  ASSERT_NE(store, nullptr);
  store->Start();
  const RateLimit rate{1'000'000, Period::kSecond, 999'999};
  const Quota quota{1'000'000, QuotaAnchor::kCalendar, "UTC"};
  const uint64_t moved = KeyOn(0, 0x5107);  // its rate bucket and quota counter share a slot
  const uint64_t stays = KeyOn(2, 0x5200);
  const int slot = KeySlot(RateKey(moved));
  Driver driver(*store,
                {{RateRule(moved, rate), QuotaRule(moved, quota)}, {QuotaRule(stays, quota)}});
  std::this_thread::sleep_for(milliseconds(200));
  const bool ok = cluster_.MoveSlot(slot, 0, 1, milliseconds(30));
  std::this_thread::sleep_for(milliseconds(200));
  driver.Stop();
  ASSERT_TRUE(ok) << "the test could not move slot " << slot;
  const int64_t now = NowMs();
  const RedisCounterStore::Stats stats = store->GetStats();
  store->Stop();
  const RedisCounterStore::ClusterStats cs = store->GetClusterStats();
  const int64_t redirects = Total(cs).redirects;
  const int64_t attempts = driver.attempts;
  std::printf("slot %d moved: %" PRId64 " attempts, %" PRId64 " redirected calls, %" PRId64
              " slot maps loaded\n", slot, attempts, redirects, cs.slot_map_loads);
  EXPECT_GT(redirects, 0);  // the store did meet the move…
  EXPECT_GE(cs.slot_map_loads, 2);
  EXPECT_EQ(driver.degraded, 0);  // …and it was not an outage
  EXPECT_EQ(stats.failures, 0);
  EXPECT_EQ(driver.admitted[0], attempts);
  EXPECT_EQ(driver.admitted[1], attempts);
  EXPECT_EQ(cluster_.Owner(QuotaKey(moved, quota, now)), 1u);
  EXPECT_EQ(QuotaCounter(moved, quota, now), driver.admitted[0]);
  EXPECT_EQ(QuotaCounter(stays, quota, now), driver.admitted[1]);
}

// A limit in a slot left half-migrated: a rate and a quota of 5 000 (a replica's credit: 50) on
// one key of master 0, whose slot HalfMigrate() hands to master 1 — keys MIGRATEd, the slot still
// MIGRATING/IMPORTING, so that master 0 answers ASK for them — without finishing.
class RedisClusterAskTest : public RedisClusterTest {
 protected:
  std::vector<std::vector<LimitRule>> Limit() const {
    return {{RateRule(key_, rate_), QuotaRule(key_, quota_)}};
  }
  bool HalfMigrate() {
    return cluster_.BeginMigration(slot_, 0, 1) &&
           cluster_.MigrateKeys(slot_, 0, 1, milliseconds(0));
  }

  const RateLimit rate_{5'000, Period::kSecond, 4'999};
  const Quota quota_{5'000, QuotaAnchor::kCalendar, "UTC"};  // ≈ 1 000 requests: far from spent
  const uint64_t key_ = KeyOn(0, 0xa5c0);  // its rate bucket and quota counter share a slot
  const int slot_ = KeySlot(RateKey(key_));
};

// The slot is held half-migrated for 600 ms, then SETSLOT NODE, while the limit is used well
// beyond what the replica may admit on credit: the old master answers ASK, the store sends the
// call to the importing master after ASKING in the same tick, and leases keep coming. Nothing is
// refused or degraded, the counter grows on the importing master during the window, and every
// count ends up on the new master.
TEST_F(RedisClusterAskTest, AHalfMigratedSlotKeepsLeasingThroughAsking) {
  auto store = NewReshardStore("asking");
  ASSERT_NE(store, nullptr);
  store->Start();
  const int64_t credit = ColdAllowance(5'000, 1, store->options().max_allowance);
  Driver driver(*store, Limit());
  std::this_thread::sleep_for(milliseconds(200));
  ASSERT_TRUE(HalfMigrate()) << "slot " << slot_;
  const int64_t window_ms = NowMs();
  const int64_t attempts_before = driver.attempts;
  const int64_t counter_before = QuotaCounterOn(1, key_, quota_, window_ms);
  std::this_thread::sleep_for(milliseconds(600));
  const int64_t counter_after = QuotaCounterOn(1, key_, quota_, window_ms);
  const int64_t window_attempts = driver.attempts - attempts_before;
  ASSERT_TRUE(cluster_.FinishMigration(slot_, 0, 1)) << "slot " << slot_;
  std::this_thread::sleep_for(milliseconds(200));
  driver.Stop();
  const int64_t now = NowMs();
  const RedisCounterStore::Stats stats = store->GetStats();
  store->Stop();
  const RedisCounterStore::NodeStats total = Total(store->GetClusterStats());
  std::printf("slot %d half-migrated for 600 ms: %" PRId64 " attempts (%" PRId64
              " in the window, credit %" PRId64 "), %" PRId64 " admitted; %" PRId64
              " redirected calls, %" PRId64 " sent with ASKING; importing master's counter %" PRId64
              " -> %" PRId64 "\n",
              slot_, driver.attempts.load(), window_attempts, credit, driver.admitted[0],
              total.redirects, total.asked, counter_before, counter_after);
  ASSERT_GT(window_attempts, 4 * credit) << "the window must outlast the replica's credit";
  EXPECT_EQ(driver.admitted[0], driver.attempts);
  EXPECT_EQ(driver.degraded, 0);
  EXPECT_EQ(stats.failures, 0);
  EXPECT_GT(total.redirects, 0);
  EXPECT_GT(total.asked, 0);
  EXPECT_GT(counter_after, counter_before);  // leases granted by the importing master
  EXPECT_EQ(cluster_.Owner(QuotaKey(key_, quota_, now)), 1u);
  EXPECT_EQ(QuotaCounter(key_, quota_, now), driver.admitted[0]);
}

// Stop() while the slot is half-migrated: the settlement of the limit (its unused lease, given
// back) is answered ASK and follows it to the importing master, so the counter there equals what
// was admitted once the migration ends.
TEST_F(RedisClusterAskTest, StopInAHalfMigratedSlotSettlesThroughAsking) {
  auto store = NewStore("asking-stop");  // default leases: much more leased than used
  ASSERT_NE(store, nullptr);
  store->Start();
  Driver driver(*store, Limit());
  std::this_thread::sleep_for(milliseconds(100));
  driver.Stop();
  ASSERT_EQ(driver.admitted[0], driver.attempts);
  ASSERT_TRUE(HalfMigrate()) << "slot " << slot_;
  const int64_t now = NowMs();
  const int64_t leased = QuotaCounterOn(1, key_, quota_, now);
  store->Stop();
  const int64_t settled = QuotaCounterOn(1, key_, quota_, now);
  ASSERT_TRUE(cluster_.FinishMigration(slot_, 0, 1)) << "slot " << slot_;
  const int64_t asked = Total(store->GetClusterStats()).asked;
  std::printf("Stop() in half-migrated slot %d: %" PRId64 " admitted, counter %" PRId64
              " before Stop(), %" PRId64 " after; %" PRId64 " calls sent with ASKING\n",
              slot_, driver.admitted[0], leased, settled, asked);
  EXPECT_GT(leased, driver.admitted[0]);   // a lease was held, unused…
  EXPECT_EQ(settled, driver.admitted[0]);  // …and given back through the ASK
  EXPECT_GT(asked, 0);
  EXPECT_EQ(QuotaCounter(key_, quota_, now), driver.admitted[0]);
}

class RedisClusterOutageTest : public RedisClusterTest {
 protected:
  RedisClusterOutageTest() : RedisClusterTest(/*appendonly=*/true) {}
};

// A master SIGKILLed and restarted (AOF): the cluster is one unit, so every key is degraded
// while it is down (not only the dead master's); afterwards every quota count is in Redis.
TEST_F(RedisClusterOutageTest, AKilledMasterDegradesThenRecoversWithQuotaCountsKept) {
  auto store = NewOutageStore("outage");
  ASSERT_NE(store, nullptr);
  store->Start();
  const uint64_t on_killed = KeyOn(1, 0xdead);
  const uint64_t on_live = KeyOn(0, 0xa11e);
  Traffic t(*store, on_killed, on_live);
  t.Warm();
  ASSERT_EQ(t.degraded[0] + t.degraded[1], 0);

  cluster_.node(1).Kill();
  const int64_t outage_start = NowMs();
  while (NowMs() - outage_start < 400) {
    t.Send(0);
    t.Send(1);
    std::this_thread::sleep_for(milliseconds(1));
  }
  EXPECT_FALSE(store->GetStats().connected);
  EXPECT_GT(t.degraded[0], 100);
  EXPECT_GT(t.degraded[1], 100);  // a live master's key too: one unit

  ASSERT_TRUE(cluster_.node(1).Start());
  ASSERT_TRUE(cluster_.WaitOk(1));
  ASSERT_TRUE(Eventually([&] {
    const LimitOutcome a = t.Send(0), b = t.Send(1);
    return !a.degraded && a.allowed && !b.degraded && b.allowed;
  }));
  EXPECT_TRUE(store->GetStats().connected);
  const int64_t now = NowMs();
  store->Stop();
  EXPECT_EQ(QuotaCounter(on_killed, t.quota, now), t.admitted[0]);
  EXPECT_EQ(QuotaCounter(on_live, t.quota, now), t.admitted[1]);
}

class RedisClusterFailoverTest : public RedisClusterTest {
 protected:
  RedisClusterFailoverTest() : RedisClusterTest(/*appendonly=*/false, /*replicas=*/true) {}
};

// A master SIGKILLed for good with a replica behind it: the cluster promotes the replica (node
// timeout 1 s), and the store — degraded meanwhile, the cluster being one unit — finds the new
// master through the slot map and carries on without a restart. What the old master had
// acknowledged was replicated first (WAIT), so every count is kept: debts of the outage are
// charged to the new master.
TEST_F(RedisClusterFailoverTest, AMasterFailsOverToItsReplicaAndCountsAreKept) {
  auto store = NewOutageStore("failover");
  ASSERT_NE(store, nullptr);
  store->Start();
  const uint64_t on_failed = KeyOn(1, 0xfa11);
  const uint64_t on_live = KeyOn(0, 0x11fe);
  Traffic t(*store, on_failed, on_live);
  t.Warm();
  ASSERT_EQ(t.degraded[0] + t.degraded[1], 0);
  // Let the sync thread's last exchange land, then make sure master 1's replica has it all.
  std::this_thread::sleep_for(milliseconds(50));
  const RedisReply acked = cluster_.Command(1, {"WAIT", "1", "2000"});
  ASSERT_EQ(acked.type, RedisReply::Type::kInteger);
  ASSERT_EQ(acked.integer, 1);

  cluster_.node(1).Kill();
  const int64_t killed_at = NowMs();
  const size_t replica = redis_test::RedisCluster::kMasters + 1;
  // The store notices at its next exchange with the dead master (a lease or the heartbeat):
  // from then on both keys are degraded (one unit) until the replica is promoted and the store
  // has reconnected through the new slot map.
  bool noticed = false;
  while (!noticed && NowMs() - killed_at < 5'000) {
    noticed = t.Send(0).degraded && t.Send(1).degraded;
    std::this_thread::sleep_for(milliseconds(1));
  }
  ASSERT_TRUE(noticed) << "the store did not notice the dead master within 5 s";
  const int64_t noticed_ms = NowMs() - killed_at;
  bool recovered = false;
  while (!recovered && NowMs() - killed_at < 20'000) {
    const LimitOutcome a = t.Send(0), b = t.Send(1);
    recovered = !a.degraded && a.allowed && !b.degraded && b.allowed;
    std::this_thread::sleep_for(milliseconds(1));
  }
  const int64_t recovered_ms = NowMs() - killed_at;
  ASSERT_TRUE(recovered) << "not recovered 20 s after the kill";
  EXPECT_TRUE(cluster_.WaitMaster(replica));
  for (int i = 0; i < 50; ++i) {  // and it stays up
    EXPECT_FALSE(t.Send(0).degraded);
    EXPECT_FALSE(t.Send(1).degraded);
  }
  const RedisCounterStore::ClusterStats cs = store->GetClusterStats();
  const std::string promoted = "127.0.0.1:" + std::to_string(cluster_.node(replica).port());
  EXPECT_TRUE(std::any_of(cs.nodes.begin(), cs.nodes.end(),
                          [&](const auto& n) { return n.address == promoted && n.keys > 0; }))
      << "no lease or settlement went to the promoted replica " << promoted;
  const int64_t now = NowMs();
  store->Stop();
  EXPECT_EQ(cluster_.Owner(QuotaKey(on_failed, t.quota, now)), replica);
  EXPECT_EQ(QuotaCounter(on_failed, t.quota, now), t.admitted[0]);
  EXPECT_EQ(QuotaCounter(on_live, t.quota, now), t.admitted[1]);
  std::printf("failover: noticed %" PRId64 " ms and recovered %" PRId64
              " ms after the kill; degraded %" PRId64 " + %" PRId64 " decisions\n",
              noticed_ms, recovered_ms, t.degraded[0], t.degraded[1]);
}

// Without Cluster support a server is used alone, exactly as before; an unreachable seed is an
// error naming it.
TEST(RedisNodesTest, APlainServerIsUsedAloneAndAnUnreachableSeedIsNamed) {
  redis_test::RedisServer plain;
  {
    Result<RedisOptions> options = ParseRedisUrl(plain.url());
    ASSERT_TRUE(options.ok());
    auto store = RedisCounterStore::Connect(*options);
    ASSERT_TRUE(store.ok()) << store.error().message;
    (*store)->Start();
    const Quota quota{10, QuotaAnchor::kCalendar, "UTC"};
    LimitRule rule;
    rule.kind = LimitRule::Kind::kQuota;
    rule.key = 0x51;
    rule.quota = &quota;
    LimitOutcome out;
    EXPECT_TRUE((*store)->Acquire(std::span(&rule, 1), 1, NowMs(), std::span(&out, 1)));
    (*store)->Stop();
    const RedisCounterStore::ClusterStats cs = (*store)->GetClusterStats();
    EXPECT_FALSE(cs.cluster);
    EXPECT_EQ(cs.slot_map_loads, 0);
    ASSERT_EQ(cs.nodes.size(), 1u);
    EXPECT_EQ(cs.nodes[0].address, "127.0.0.1:" + std::to_string(plain.port()));
  }
  plain.Kill();
  Result<RedisOptions> options = ParseRedisUrl(plain.url());
  ASSERT_TRUE(options.ok());
  auto store = RedisCounterStore::Connect(*options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(store.error().message.find("127.0.0.1:" + std::to_string(plain.port())),
            std::string::npos)
      << store.error().message;
}

}  // namespace
}  // namespace tollgate::ratelimit
