// Acquire() throughput with Redis counters (leases, one pipelined round trip per tick) against
// in-process counters (LocalCounterStore, when built) in the same run, on one hot key and on
// 10,000 keys, under the limit (steady load). Starts its own redis-server on a free port unless
// TOLLGATE_REDIS_URL names one. Reports Redis commands per request as a counter.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <vector>

#include "core/clock.h"
#include "ratelimit/redis/redis_counter_store.h"
#include "ratelimit_redis/redis_server.h"
#if __has_include("ratelimit/local_counter_store.h")
#include "ratelimit/local_counter_store.h"
#define TOLLGATE_HAVE_LOCAL_STORE 1
#endif

namespace tollgate::ratelimit {
namespace {

std::string g_url;
const RateLimit kRate{1'000'000'000, Period::kSecond, 1'000'000'000};  // never refuses

std::vector<LimitRule> Rules(int64_t keys) {
  std::vector<LimitRule> rules(static_cast<size_t>(keys));
  for (int64_t i = 0; i < keys; ++i) {
    rules[static_cast<size_t>(i)].key = 0xbe7c4000 + static_cast<uint64_t>(i);
    rules[static_cast<size_t>(i)].rate = &kRate;
  }
  return rules;
}

void Drive(benchmark::State& state, CounterStore& store) {
  static const std::vector<LimitRule> rules = Rules(10'000);
  const auto keys = static_cast<uint64_t>(state.range(0));
  const SystemClock clock;
  uint64_t x = 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(state.thread_index() + 1);
  int64_t now = clock.NowMillis();
  int64_t n = 0;
  for (auto _ : state) {
    x ^= x << 13;  // xorshift: a uniform key choice
    x ^= x >> 7;
    x ^= x << 17;
    if ((++n & 63) == 0) now = clock.NowMillis();
    LimitOutcome out;
    benchmark::DoNotOptimize(store.Acquire(std::span(&rules[x % keys], 1), 1, now, std::span(&out, 1)));
  }
  state.SetItemsProcessed(state.iterations());
}

RedisCounterStore& Redis() {
  static std::unique_ptr<RedisCounterStore> store = [] {
    Result<RedisOptions> options = ParseRedisUrl(g_url);
    if (!options.ok()) std::abort();
    Result<std::unique_ptr<RedisCounterStore>> s = RedisCounterStore::Connect(*options);
    if (!s.ok()) std::abort();
    (*s)->Start();
    return std::move(*s);
  }();
  return *store;
}

void BM_RedisAcquire(benchmark::State& state) {
  RedisCounterStore& store = Redis();
  const RedisCounterStore::Stats before = store.GetStats();
  Drive(state, store);
  if (state.thread_index() == 0) {
    const RedisCounterStore::Stats after = store.GetStats();
    state.counters["redis_ops_per_req"] =
        static_cast<double>(after.commands - before.commands) /
        static_cast<double>(std::max<int64_t>(1, after.requests - before.requests));
  }
}
BENCHMARK(BM_RedisAcquire)->Arg(1)->Arg(10'000)->Threads(1)->Threads(2)->UseRealTime();

#ifdef TOLLGATE_HAVE_LOCAL_STORE
void BM_LocalAcquire(benchmark::State& state) {
  static LocalCounterStore store;
  Drive(state, store);
}
BENCHMARK(BM_LocalAcquire)->Arg(1)->Arg(10'000)->Threads(1)->Threads(2)->UseRealTime();
#endif

}  // namespace
}  // namespace tollgate::ratelimit

int main(int argc, char** argv) {
  std::unique_ptr<tollgate::redis_test::RedisServer> server;
  if (const char* url = std::getenv("TOLLGATE_REDIS_URL")) {
    tollgate::ratelimit::g_url = url;
  } else {
    server = std::make_unique<tollgate::redis_test::RedisServer>();
    tollgate::ratelimit::g_url = server->url();
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  tollgate::ratelimit::Redis().Stop();
  benchmark::Shutdown();
  return 0;
}
