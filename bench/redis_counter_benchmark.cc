// Acquire() throughput with Redis counters (leases, batched into one pipelined round trip per
// tick) against in-process counters (LocalCounterStore, when built) in the same run, on one hot
// key and on 10,000 keys, with one rule or the enforcer's three (subscription rate + monthly
// quota + application rate), under the limit (steady load); limits:0 are generous limits,
// limits:1 plan-like ones (see below). Starts its own redis-server on a free port unless
// TOLLGATE_REDIS_URL names one. Counters: Redis commands sent per request (redis_ops_per_req),
// key leases per request (leases_per_req: one batched call carries many), CPU per request of this
// whole process — request threads and the Redis store's sync thread — (cpu_ns_per_req) and of
// redis-server (redis_cpu_ns_per_req, from INFO).
// Run with --benchmark_repetitions=N --benchmark_enable_random_interleaving=true so that local
// and Redis runs alternate (see docs/benchmarks.md).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <memory>
#include <vector>

#include "core/clock.h"
#include "ratelimit/redis/lua_scripts.h"
#include "ratelimit/redis/redis_connection.h"
#include "ratelimit/redis/redis_counter_store.h"
#include "ratelimit_redis/redis_server.h"
#if __has_include("ratelimit/local_counter_store.h")
#include "ratelimit/local_counter_store.h"
#define TOLLGATE_HAVE_LOCAL_STORE 1
#endif

namespace tollgate::ratelimit {
namespace {

std::string g_url;
// limits:0 — generous limits, never reached (a lease may take 1 % of them at once).
const RateLimit kRate{1'000'000'000, Period::kSecond, 1'000'000'000};
const Quota kQuota{4'000'000'000'000'000, QuotaAnchor::kCalendar, "UTC"};
// limits:1 — plan-like limits above the benchmark's per-key traffic (≈ 100-300 requests/s per
// key with 10k keys) but small enough that leases stay small: a subscription rate of 1000/s with
// a burst of 100 (leases ≤ 50), a monthly quota of 10⁶ and an application rate of 5000/s, burst
// 500.
const RateLimit kPlanRate{1'000, Period::kSecond, 100};
const Quota kPlanQuota{1'000'000, QuotaAnchor::kCalendar, "UTC"};
const RateLimit kAppRate{5'000, Period::kSecond, 500};

// Caller i's rules: its subscription rate and quota, and an application rate (three distinct
// counters per caller, as the enforcer sends for a plan with rate + quota and an app tier).
std::vector<std::array<LimitRule, 3>> Rules(int64_t keys, bool plan) {
  std::vector<std::array<LimitRule, 3>> rules(static_cast<size_t>(keys));
  for (int64_t i = 0; i < keys; ++i) {
    auto& r = rules[static_cast<size_t>(i)];
    const uint64_t k = (plan ? 0x91a40000 : 0xbe7c4000) + static_cast<uint64_t>(i);
    r[0].key = k;
    r[0].rate = plan ? &kPlanRate : &kRate;
    r[1].kind = LimitRule::Kind::kQuota;
    r[1].key = k ^ 0x5157'0000'0000;
    r[1].quota = plan ? &kPlanQuota : &kQuota;
    r[2].key = k ^ 0xa991'0000'0000;
    r[2].rate = plan ? &kAppRate : &kRate;
  }
  return rules;
}

int64_t ProcessCpuNs() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1'000'000'000LL +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1'000LL;
}

// used_cpu_user + used_cpu_sys of the redis-server, from INFO cpu (ns); -1 if unreadable.
int64_t RedisCpuNs() {
  Result<RedisOptions> o = ParseRedisUrl(g_url);
  if (!o.ok()) return -1;
  auto conn = RedisConnection::Open(ConnectionOptions{o->host, o->port, o->password, o->db,
                                                      std::chrono::milliseconds(500),
                                                      std::chrono::milliseconds(500)});
  if (!conn.ok()) return -1;
  const std::string_view info[] = {"INFO", "cpu"};
  (*conn)->Append(info);
  std::vector<RedisReply> replies;
  if (!(*conn)->Exchange(replies).ok() || replies.empty()) return -1;
  double total = 0;
  for (const char* field : {"used_cpu_user:", "used_cpu_sys:"}) {
    const size_t at = replies[0].text.find(field);
    if (at == std::string::npos) return -1;
    total += std::strtod(replies[0].text.c_str() + at + std::strlen(field), nullptr);
  }
  return static_cast<int64_t>(total * 1e9);
}

// CPU per request of this process (all threads) and of redis-server, measured by thread 0.
struct CpuMeter {
  explicit CpuMeter(const benchmark::State& state, bool redis)
      : on(state.thread_index() == 0), redis_too(redis) {
    if (!on) return;
    process = ProcessCpuNs();
    server = redis_too ? RedisCpuNs() : 0;
  }
  void Report(benchmark::State& state) const {
    if (!on) return;
    const auto requests = static_cast<double>(state.iterations() * state.threads());
    state.counters["cpu_ns_per_req"] = static_cast<double>(ProcessCpuNs() - process) / requests;
    if (redis_too) {
      state.counters["redis_cpu_ns_per_req"] = static_cast<double>(RedisCpuNs() - server) / requests;
    }
  }
  bool on;
  bool redis_too;
  int64_t process = 0;
  int64_t server = 0;
};

// range(0): keys (callers); range(1): rules per request (1 or 3); range(2): limits (0 generous,
// 1 plan-like).
void Drive(benchmark::State& state, CounterStore& store) {
  static const std::vector<std::array<LimitRule, 3>> generous = Rules(10'000, false);
  static const std::vector<std::array<LimitRule, 3>> plan = Rules(10'000, true);
  const std::vector<std::array<LimitRule, 3>>& rules = state.range(2) == 0 ? generous : plan;
  const auto keys = static_cast<uint64_t>(state.range(0));
  const auto per_request = static_cast<size_t>(state.range(1));
  const SystemClock clock;
  uint64_t x = 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(state.thread_index() + 1);
  int64_t now = clock.NowMillis();
  int64_t n = 0;
  for (auto _ : state) {
    x ^= x << 13;  // xorshift: a uniform key choice
    x ^= x >> 7;
    x ^= x << 17;
    if ((++n & 63) == 0) now = clock.NowMillis();
    std::array<LimitOutcome, 3> out;
    benchmark::DoNotOptimize(store.Acquire(std::span(rules[x % keys].data(), per_request), 1, now,
                                           std::span(out.data(), per_request)));
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
  const CpuMeter cpu(state, true);
  Drive(state, store);
  cpu.Report(state);
  if (state.thread_index() == 0) {
    const RedisCounterStore::Stats after = store.GetStats();
    const auto requests = static_cast<double>(std::max<int64_t>(1, after.requests - before.requests));
    state.counters["redis_ops_per_req"] = static_cast<double>(after.commands - before.commands) / requests;
    // Key leases (several may share one batched script call).
    state.counters["leases_per_req"] = static_cast<double>(after.leases - before.leases) / requests;
  }
}
void Cases(benchmark::internal::Benchmark* b) {
  b->ArgNames({"keys", "rules", "limits"});
  for (int64_t rules : {1, 3}) {
    for (int64_t keys : {1, 10'000}) b->Args({keys, rules, 0});
  }
  b->Args({10'000, 3, 1});
  b->Threads(1)->Threads(2)->UseRealTime();
}
BENCHMARK(BM_RedisAcquire)->Apply(Cases);

// Latency of a request while the store holds many other keys: the sync thread sweeps every
// key's state (idle returns, eviction) and holds a shard's lock while it does. range(0): idle
// keys (callers × 3 rules) created first, in a store of their own; requests then go to 100
// other callers, one at a time, each timed. Reports percentiles and the worst, in ns. Run it
// without CPU pinning: pinned to one core with the sync thread, the worst cases are that
// thread's time slices, not its locks.
void BM_RedisAcquireAmongIdleKeys(benchmark::State& state) {
  const auto idle_callers = static_cast<uint64_t>(state.range(0));
  Result<RedisOptions> options = ParseRedisUrl(g_url);
  if (!options.ok()) std::abort();
  options->key_prefix = "tg:idle" + std::to_string(idle_callers) + ":";
  Result<std::unique_ptr<RedisCounterStore>> s = RedisCounterStore::Connect(*options);
  if (!s.ok()) std::abort();
  RedisCounterStore& store = **s;
  store.Start();
  const SystemClock clock;
  std::vector<std::array<LimitRule, 3>> idle(idle_callers);
  for (uint64_t c = 0; c < idle_callers; ++c) {
    for (size_t r = 0; r < 3; ++r) {
      idle[c][r] = LimitRule{};
      idle[c][r].kind = r == 1 ? LimitRule::Kind::kQuota : LimitRule::Kind::kRate;
      idle[c][r].key = (0x1d1e0000'0000'0000ULL | (c << 2 | r)) * 0x9E3779B97F4A7C15ULL;
      idle[c][r].rate = &kRate;
      idle[c][r].quota = &kQuota;
    }
    std::array<LimitOutcome, 3> out;
    store.Acquire(idle[c], 1, clock.NowMillis(), out);
  }
  static const std::vector<std::array<LimitRule, 3>> hot = Rules(100, false);
  std::vector<int64_t> ns;
  ns.reserve(1 << 22);
  uint64_t n = 0;
  for (auto _ : state) {
    std::array<LimitOutcome, 3> out;
    const auto start = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(store.Acquire(hot[n++ % hot.size()], 1, clock.NowMillis(), out));
    const auto end = std::chrono::steady_clock::now();
    if (ns.size() < ns.capacity()) {
      ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
    }
  }
  const int64_t longest_hold_ns = store.GetStats().longest_sweep_hold_ns;
  store.Stop();
  std::sort(ns.begin(), ns.end());
  auto at = [&](double q) {
    return static_cast<double>(ns[std::min(ns.size() - 1, static_cast<size_t>(q * ns.size()))]);
  };
  state.counters["p50_ns"] = at(0.5);
  state.counters["p99_ns"] = at(0.99);
  state.counters["p999_ns"] = at(0.999);
  state.counters["p9999_ns"] = at(0.9999);
  state.counters["max_ns"] = static_cast<double>(ns.back());
  state.counters["states"] = static_cast<double>(3 * idle_callers);
  state.counters["sweep_hold_max_ns"] = static_cast<double>(longest_hold_ns);
}
BENCHMARK(BM_RedisAcquireAmongIdleKeys)
    ->ArgName("idle_callers")
    ->Arg(1'000)
    ->Arg(100'000)
    ->Iterations(5'000'000)  // one run per case: the set-up leases every idle key first
    ->Unit(benchmark::kNanosecond);

#ifdef TOLLGATE_HAVE_LOCAL_STORE
void BM_LocalAcquire(benchmark::State& state) {
  static LocalCounterStore store;
  const CpuMeter cpu(state, false);
  Drive(state, store);
  cpu.Report(state);
}
BENCHMARK(BM_LocalAcquire)->Apply(Cases);
#endif

}  // namespace
}  // namespace tollgate::ratelimit

int main(int argc, char** argv) {
  // For the redis-benchmark reference (docs/benchmarks.md): the batched lease script's text.
  if (argc == 2 && std::string_view(argv[1]) == "--print-lease-batch-script") {
    std::fwrite(tollgate::ratelimit::kLeaseBatchScript.data(), 1,
                tollgate::ratelimit::kLeaseBatchScript.size(), stdout);
    return 0;
  }
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
