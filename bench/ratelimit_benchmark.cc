// Cost of LocalCounterStore::Acquire per request: 0, 1 and 3 rules (subscription rate, API-wide rate,
// monthly quota), one hot set of keys or 100k distinct callers, on 1 and 2 threads. Limits are high
// enough never to refuse, so every iteration does the full work of an admitted request; simulated
// time advances 1 ms per 1024 requests, so idle entries appear and the amortised sweep has work.
#include <benchmark/benchmark.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ratelimit/local_counter_store.h"

namespace tollgate::ratelimit {
namespace {

constexpr int64_t kT0 = 1'830'000'000'000;  // Unix ms
constexpr uint64_t kDistinctKeys = 100'000;

const RateLimit kSubscriptionRate{1'000'000'000, Period::kSecond, 60'000'000'000};  // 60 s burst
const RateLimit kApiRate{1'000'000'000, Period::kSecond, 60'000'000'000};
const Quota kMonthly{1'000'000'000'000, QuotaAnchor::kCalendar, "Europe/Paris"};

// The rules of the caller numbered `caller` (distinct counters per caller; the API-wide one shared).
std::array<LimitRule, 3> RulesFor(uint64_t caller) {
  const uint64_t h = (caller + 1) * 0x9E3779B97F4A7C15ULL;
  std::array<LimitRule, 3> rules{};
  rules[0].kind = LimitRule::Kind::kRate;
  rules[0].key = h;
  rules[0].rate = &kSubscriptionRate;
  rules[1].kind = LimitRule::Kind::kRate;
  rules[1].key = 0xA91;  // shared by every caller: backend protection
  rules[1].rate = &kApiRate;
  rules[2].kind = LimitRule::Kind::kQuota;
  rules[2].key = h ^ 0x5157;
  rules[2].quota = &kMonthly;
  return rules;
}

// The simulated clock, shared by all threads and all runs so that it never goes back (Google
// Benchmark runs each case several times against the same static store). Only thread 0 advances
// it, 1 ms per 1024 of its requests; the others just read it. The 60 s tolerance of the rates
// absorbs a thread that loaded the time and then waited (lock, preemption) while the clock moved.
std::atomic<int64_t> sim_now_ms{kT0};

int64_t Tick(const benchmark::State& state, int64_t& i) {
  if (state.thread_index() == 0 && (++i & 1023) == 0) {
    sim_now_ms.store(sim_now_ms.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  return sim_now_ms.load(std::memory_order_relaxed);
}

// The rule sets of 100k callers, built once (in production they come from the snapshot).
const std::vector<std::array<LimitRule, 3>>& Callers() {
  static const auto* callers = [] {
    auto* v = new std::vector<std::array<LimitRule, 3>>();
    v->reserve(kDistinctKeys);
    for (uint64_t c = 0; c < kDistinctKeys; ++c) v->push_back(RulesFor(c));
    return v;
  }();
  return *callers;
}

// range(0): number of rules (0, 1, 3); range(1): 0 = one hot caller, 1 = 100k distinct callers.
void BM_Acquire(benchmark::State& state) {
  static LocalCounterStore store;  // shared by the benchmark's threads
  const auto rule_count = static_cast<size_t>(state.range(0));
  const bool distinct = state.range(1) != 0;
  const auto& callers = Callers();
  // Threads start at different callers so that they do not walk the same keys in step.
  size_t caller = static_cast<size_t>(state.thread_index()) * 7919;
  std::array<LimitOutcome, 3> out{};
  int64_t i = 0;
  for (auto _ : state) {
    const std::array<LimitRule, 3>& rules = callers[distinct ? caller : 0];
    const int64_t now = Tick(state, i);
    const bool ok = store.Acquire(std::span(rules.data(), rule_count), 1, now,
                                  std::span(out.data(), rule_count));
    benchmark::DoNotOptimize(ok);
    if (++caller == kDistinctKeys) caller = 0;
    if (!ok) state.SkipWithError("refused: the limits are meant never to refuse");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::to_string(rule_count) + " rules, " + (distinct ? "100k keys" : "hot key"));
}
BENCHMARK(BM_Acquire)
    ->ArgsProduct({{0, 1, 3}, {0, 1}})
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

// A refused request on 3 rules: the third refuses, the first two are refunded (the all-or-nothing
// path), measured on a hot caller.
void BM_AcquireRefusedByLastRule(benchmark::State& state) {
  static LocalCounterStore store;
  static const Quota kSpent{1, QuotaAnchor::kCalendar, "UTC"};
  std::array<LimitRule, 3> rules = RulesFor(1);
  rules[2].quota = &kSpent;
  std::array<LimitOutcome, 3> out{};
  store.Acquire(rules, 1, sim_now_ms.load(), out);  // spends the quota (once per month)
  int64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(store.Acquire(rules, 1, Tick(state, i), out));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AcquireRefusedByLastRule);

}  // namespace
}  // namespace tollgate::ratelimit

BENCHMARK_MAIN();
