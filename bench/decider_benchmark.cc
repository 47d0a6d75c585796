// Cost of one decision on the API-key path, on a small snapshot and on a large one
// (N APIs, 10·N keys), so that growth with the snapshot's size shows.
#include <benchmark/benchmark.h>

#include "enforce/decider.h"
#include "enforce/enforcer.h"
#include "enforce/fixtures.h"
#include "ratelimit/local_counter_store.h"

namespace tollgate::enforce {
namespace {

SnapshotData Large(int apis) {
  SnapshotData d = testing::PetstoreData();
  for (int i = 0; i < apis; ++i) {
    Api a = testing::PetstoreApi();
    a.id = "api-" + std::to_string(i);
    a.name = "Api" + std::to_string(i);
    a.context = "/svc" + std::to_string(i) + "/v1";
    d.apis.push_back(std::move(a));
    for (int k = 0; k < 10; ++k) {
      const std::string key = "tg_bench_" + std::to_string(i) + "_" + std::to_string(k);
      d.api_keys.push_back({"k" + key, "app-1", "b", "tg_", crypto::Sha256Hex(key), 0, {}});
    }
  }
  return d;
}

void Run(benchmark::State& state, const Snapshot& snapshot, const char* key, const char* path) {
  testing::TestHeaders headers{{"user-agent", "bench"}, {"accept", "*/*"}, {"apikey", key}};
  AccessRequest r{"GET", "api.example.com", path, &headers};
  for (auto _ : state) {
    Decision d = Decide(snapshot, r, 1'800'000'000);
    benchmark::DoNotOptimize(d);
  }
}

void BM_Allow(benchmark::State& state) {
  auto s = Snapshot::Build(Large(static_cast<int>(state.range(0))));
  Run(state, *s, testing::kGoodKey, "/petstore/v1/pets/7?limit=10");
}
BENCHMARK(BM_Allow)->Arg(0)->Arg(10'000);

void BM_InvalidKey(benchmark::State& state) {
  auto s = Snapshot::Build(Large(static_cast<int>(state.range(0))));
  Run(state, *s, "tg_not_a_key", "/petstore/v1/pets/7");
}
BENCHMARK(BM_InvalidKey)->Arg(0)->Arg(10'000);

void BM_UnknownApi(benchmark::State& state) {
  auto s = Snapshot::Build(Large(static_cast<int>(state.range(0))));
  Run(state, *s, testing::kGoodKey, "/nothing/here/at/all");
}
BENCHMARK(BM_UnknownApi)->Arg(0)->Arg(10'000);

// The whole enforcer path (decide + throttle) on the API-key allow path: no limit, then three
// limits (subscription rate + quota, application rate) on in-process counters. Limits are high
// enough never to refuse, so every iteration does the full work of an admitted request.
void BM_EnforceLimits(benchmark::State& state) {
  const int limits = static_cast<int>(state.range(0));
  SnapshotData d = testing::PetstoreData();
  Plan gold;
  gold.name = "Gold";
  if (limits >= 1) gold.rate = RateLimit{1'000'000'000, Period::kSecond, 1'000'000'000};
  if (limits >= 2) gold.quota = Quota{4'000'000'000'000'000, QuotaAnchor::kCalendar, "UTC"};
  Plan app_tier;
  app_tier.name = "AppTier";
  app_tier.rate = RateLimit{1'000'000'000, Period::kSecond, 1'000'000'000};
  d.plans = {gold, app_tier};
  if (limits >= 3) d.applications[0].plan = "AppTier";
  SnapshotHolder holder;
  holder.Set(Snapshot::Build(d));
  SystemClock clock;
  ratelimit::LocalCounterStore counters;
  Enforcer enforcer(holder, clock, &counters);
  testing::TestHeaders headers{{"user-agent", "bench"}, {"accept", "*/*"}, {"apikey", testing::kGoodKey}};
  AccessRequest r{"GET", "api.example.com", "/petstore/v1/pets/7", &headers, "203.0.113.9"};
  for (auto _ : state) {
    const bool ok = enforcer.Check(r, [](const Decision& decision) { return decision.allowed(); });
    if (!ok) state.SkipWithError("refused");
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_EnforceLimits)->Arg(0)->Arg(3);

// The counters alone: one Acquire over N rules (rates, and a quota as the second rule).
void BM_Acquire(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const RateLimit rate{1'000'000'000, Period::kSecond, 1'000'000'000};
  const Quota quota{4'000'000'000'000'000, QuotaAnchor::kCalendar, "UTC"};
  std::array<ratelimit::LimitRule, 3> rules{};
  for (size_t i = 0; i < rules.size(); ++i) {
    rules[i].key = 1000 + i;
    rules[i].rate = &rate;
    rules[i].quota = &quota;
    rules[i].kind = i == 1 ? ratelimit::LimitRule::Kind::kQuota : ratelimit::LimitRule::Kind::kRate;
  }
  ratelimit::LocalCounterStore counters;
  std::array<ratelimit::LimitOutcome, 3> out;
  int64_t now = 1'830'000'000'000;
  for (auto _ : state) {
    benchmark::DoNotOptimize(counters.Acquire(std::span(rules.data(), n), 1, ++now, std::span(out.data(), n)));
  }
}
BENCHMARK(BM_Acquire)->Arg(1)->Arg(3);

}  // namespace
}  // namespace tollgate::enforce

BENCHMARK_MAIN();
