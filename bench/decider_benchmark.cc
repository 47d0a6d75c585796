// Cost of one decision on the API-key path, on a small snapshot and on a large one
// (N APIs, 10·N keys), so that growth with the snapshot's size shows.
#include <benchmark/benchmark.h>

#include "enforce/decider.h"
#include "enforce/fixtures.h"

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

}  // namespace
}  // namespace tollgate::enforce

BENCHMARK_MAIN();
