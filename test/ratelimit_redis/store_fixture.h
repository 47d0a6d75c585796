// Shared set-up of the Redis counter store tests: a redis-server per test, stores connected to
// it, rules, and a direct connection to read what Redis holds. (The Cluster tests' fixture is in
// redis_cluster_redistest.cc.)
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "ratelimit/redis/redis_connection.h"
#include "ratelimit/redis/redis_counter_store.h"
#include "ratelimit_redis/redis_server.h"

namespace tollgate::ratelimit {

// Time: the Lua scripts refill by Redis TIME, so these tests cannot use a fake clock; they run
// briefly in real time and derive their bounds from the measured elapsed time.
inline int64_t NowMs() { return SystemClock().NowMillis(); }

// Waits (≤ `limit`) until `done` holds, polling every 10 ms.
template <class F>
bool Eventually(F done, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  const int64_t until = NowMs() + limit.count();
  while (NowMs() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// Rules, one-request helpers and store set-up shared by the single-server and Cluster tests.
class StoreTestBase : public ::testing::Test {
 protected:
  static std::unique_ptr<RedisCounterStore> ConnectStore(
      const std::string& url, const std::string& replica,
      const std::function<void(RedisOptions&)>& adjust) {
    Result<RedisOptions> options = ParseRedisUrl(url);
    EXPECT_TRUE(options.ok());
    options->replica_id = replica;
    if (adjust) adjust(*options);
    Result<std::unique_ptr<RedisCounterStore>> store = RedisCounterStore::Connect(*options);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(*store) : nullptr;
  }

  static LimitRule RateRule(uint64_t key, const RateLimit& rate, bool fail_open = false) {
    LimitRule rule;
    rule.kind = LimitRule::Kind::kRate;
    rule.key = key;
    rule.rate = &rate;
    rule.fail_open = fail_open;
    return rule;
  }
  static LimitRule QuotaRule(uint64_t key, const Quota& quota, bool fail_open = false) {
    LimitRule rule;
    rule.kind = LimitRule::Kind::kQuota;
    rule.key = key;
    rule.quota = &quota;
    rule.fail_open = fail_open;
    return rule;
  }

  static bool One(RedisCounterStore& store, const LimitRule& rule, LimitOutcome* outcome = nullptr) {
    LimitOutcome out;
    const bool ok = store.Acquire(std::span(&rule, 1), 1, NowMs(), std::span(&out, 1));
    if (outcome != nullptr) *outcome = out;
    return ok;
  }

  // `keys` callers, caller i with a rate rule (key 0x7000 + i) and a quota rule (0x8000 + i).
  static std::vector<std::array<LimitRule, 2>> RateAndQuotaRules(int keys, const RateLimit& rate,
                                                                 const Quota& quota) {
    std::vector<std::array<LimitRule, 2>> rules;
    for (int i = 0; i < keys; ++i) {
      rules.push_back({RateRule(0x7000 + i, rate), QuotaRule(0x8000 + i, quota)});
    }
    return rules;
  }

  // Requests on every key in turn (each key: its rules together) until each key has been refused
  // for 200 ms in a row — its quota spent, not merely waiting for a late first lease. Returns
  // how many each key admitted.
  template <size_t N>
  static std::vector<int64_t> DrainRoundRobin(RedisCounterStore& store,
                                              const std::vector<std::array<LimitRule, N>>& rules) {
    std::vector<int64_t> admitted(rules.size(), 0);
    std::vector<int64_t> refused_since(rules.size(), 0);  // 0: last request admitted
    for (bool more = true; more;) {
      more = false;
      for (size_t i = 0; i < rules.size(); ++i) {
        const int64_t now = NowMs();
        if (refused_since[i] != 0 && now - refused_since[i] >= 200) continue;
        more = true;
        std::array<LimitOutcome, N> out;
        if (store.Acquire(rules[i], 1, now, out)) {
          ++admitted[i];
          refused_since[i] = 0;
        } else if (refused_since[i] == 0) {
          refused_since[i] = now;
        }
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return admitted;
  }

  // A quota counter (window of `now_ms`) read from Redis, wherever the fixture's Redis keeps it.
  virtual int64_t QuotaCounter(uint64_t key, const Quota& quota, int64_t now_ms) = 0;

  // `keys` callers × (a generous rate + a quota of 40), drained round robin (DrainRoundRobin),
  // then Stop(): each key admitted its 40 and at most its cold-start credit more, and its counter
  // in Redis equals what it admitted. Returns the store's statistics taken before Stop() and the
  // time the counters' windows were read for.
  struct Drained {
    RedisCounterStore::Stats stats;
    int64_t now_ms = 0;
  };
  Drained DrainManyKeys(RedisCounterStore& store, int keys, const Quota& quota) {
    EXPECT_EQ(quota.requests, 40);
    const RateLimit rate{1'000'000, Period::kSecond, 999'999};
    const std::vector<int64_t> admitted =
        DrainRoundRobin(store, RateAndQuotaRules(keys, rate, quota));
    Drained run{store.GetStats(), NowMs()};
    store.Stop();
    const int64_t bound = 40 + redis_internal::ColdAllowance(40, 1, 4);
    for (int i = 0; i < keys; ++i) {
      EXPECT_GE(admitted[i], 40) << "key " << i;
      EXPECT_LE(admitted[i], bound) << "key " << i;
      EXPECT_EQ(QuotaCounter(0x8000 + i, quota, run.now_ms), admitted[i]) << "key " << i;
    }
    return run;
  }

  // The Redis key of a quota counter (window of `now_ms`).
  static std::string QuotaKey(uint64_t key, const Quota& quota, int64_t now_ms) {
    Result<Window> window = QuotaWindow(quota, 0, now_ms / 1000);
    EXPECT_TRUE(window.ok());
    char name[96];
    std::snprintf(name, sizeof name, "tg:{%016" PRIx64 "}:q:%" PRId64, key, window->start);
    return name;
  }
};

class RedisStoreTest : public StoreTestBase {
 protected:
  explicit RedisStoreTest(bool appendonly = false) : server_(appendonly) {}

  std::unique_ptr<RedisCounterStore> NewStore(
      const std::string& replica, const std::function<void(RedisOptions&)>& adjust = {}) {
    return ConnectStore(server_.url(), replica, adjust);
  }

  // GET of a quota counter (window of `now_ms`), read directly from Redis.
  int64_t QuotaCounter(uint64_t key, const Quota& quota, int64_t now_ms) override {
    return Integer({"GET", QuotaKey(key, quota, now_ms)});
  }

  int64_t Integer(std::initializer_list<std::string_view> command) {
    return Integer(std::span(command.begin(), command.size()));
  }
  int64_t Integer(std::span<const std::string_view> command) {
    // Generous timeouts: a test may read while the store's sync thread keeps Redis busy.
    auto conn = RedisConnection::Open(ConnectionOptions{.host = "127.0.0.1",
                                                        .port = server_.port(),
                                                        .connect_timeout = std::chrono::seconds(2),
                                                        .command_timeout = std::chrono::seconds(2)});
    EXPECT_TRUE(conn.ok());
    if (!conn.ok()) return -1;
    (*conn)->Append(command);
    std::vector<RedisReply> replies;
    EXPECT_TRUE((*conn)->Exchange(replies).ok());
    const RedisReply& r = replies.at(0);
    if (r.type == RedisReply::Type::kString) return std::stoll(r.text);
    return r.type == RedisReply::Type::kInteger ? r.integer : 0;
  }

  redis_test::RedisServer server_;
};

}  // namespace tollgate::ratelimit
