// Cost of one decision on the API-key path, on a small snapshot and on a large one
// (N APIs, 10·N keys), so that growth with the snapshot's size shows; a production-sized snapshot
// (10k APIs, 1M keys, 100k subscriptions: build time, resident memory, decision time); and the
// bearer-JWT path, cold (signature check) and through the verified-token cache.
#include <benchmark/benchmark.h>

#include <chrono>
#include <fstream>
#include <string>

#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "enforce/decider.h"
#include "enforce/enforcer.h"
#include "enforce/fixtures.h"
#include "enforce/limit_keys.h"
#include "ratelimit/gcra.h"
#include "ratelimit/local_counter_store.h"
#ifdef TOLLGATE_HAVE_JWT
#include "enforce/jwt_verifier.h"
#endif

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

// Resident set size of this process, in KiB (VmRSS of /proc/self/status).
int64_t RssKib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return 0;
}

// 10k APIs (4 resources each), 100k applications with 10 keys each (1M keys), one subscription
// per application (100k), plus the Petstore fixture.
const SnapshotData& Huge() {
  static const SnapshotData data = [] {
    SnapshotData d = testing::PetstoreData();
    constexpr int kApis = 10'000, kApps = 100'000, kKeysPerApp = 10;
    d.apis.reserve(kApis + 1);
    for (int i = 0; i < kApis; ++i) {
      Api a;
      a.id = "api-" + std::to_string(i);
      a.name = "Api" + std::to_string(i);
      a.version = "v1";
      a.context = "/svc" + std::to_string(i) + "/v1";
      a.lifecycle = Lifecycle::kPublished;
      a.resources = {{"GET", "/items", AuthType::kApiKey, {}, {}},
                     {"GET", "/items/{id}", AuthType::kApiKey, {}, {}},
                     {"POST", "/items", AuthType::kApiKey, {}, {}},
                     {"DELETE", "/items/{id}", AuthType::kApiKey, {}, {}}};
      a.plans = {"Gold"};
      d.apis.push_back(std::move(a));
    }
    d.applications.reserve(kApps + 2);
    d.subscriptions.reserve(kApps + 1);
    d.api_keys.reserve(static_cast<size_t>(kApps) * kKeysPerApp + 2);
    for (int i = 0; i < kApps; ++i) {
      const std::string id = "app-b" + std::to_string(i);
      d.applications.push_back(Application{.id = id, .name = "App" + std::to_string(i), .owner = "u"});
      d.subscriptions.push_back({"sub-b" + std::to_string(i), id, "api-" + std::to_string(i % kApis),
                                 "Gold", SubscriptionStatus::kActive, 0});
      for (int k = 0; k < kKeysPerApp; ++k) {
        const std::string key = "tg_huge_" + std::to_string(i) + "_" + std::to_string(k);
        d.api_keys.push_back({"k" + key, id, "b", "tg_huge", crypto::Sha256Hex(key), 0, {}});
      }
    }
    return d;
  }();
  return data;
}

// Build time and memory of the production-sized snapshot (one build per iteration).
void BM_BuildHuge(benchmark::State& state) {
  const SnapshotData& data = Huge();
  for (auto _ : state) {
    const int64_t rss_before = RssKib();
    const auto start = std::chrono::steady_clock::now();
    auto s = Snapshot::Build(data);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.counters["build_s"] = seconds;
    state.counters["snapshot_MiB"] = static_cast<double>(RssKib() - rss_before) / 1024.0;
    state.counters["keys"] = static_cast<double>(s->key_count());
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_BuildHuge)->Iterations(1)->Unit(benchmark::kMillisecond);

// Decisions on the huge snapshot, to compare with BM_Allow/0 and BM_InvalidKey/0.
void BM_AllowHuge(benchmark::State& state) {
  static const auto s = Snapshot::Build(Huge());
  Run(state, *s, testing::kGoodKey, "/petstore/v1/pets/7?limit=10");
}
BENCHMARK(BM_AllowHuge);

void BM_AllowHugeOtherApi(benchmark::State& state) {
  static const auto s = Snapshot::Build(Huge());
  testing::TestHeaders headers{{"user-agent", "bench"}, {"accept", "*/*"}, {"apikey", "tg_huge_4242_3"}};
  AccessRequest r{"GET", "api.example.com", "/svc4242/v1/items/7", &headers};
  for (auto _ : state) {
    Decision d = Decide(*s, r, 1'800'000'000);
    if (!d.allowed()) state.SkipWithError("refused");
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_AllowHugeOtherApi);

void BM_InvalidKeyHuge(benchmark::State& state) {
  static const auto s = Snapshot::Build(Huge());
  Run(state, *s, "tg_not_a_key", "/petstore/v1/pets/7");
}
BENCHMARK(BM_InvalidKeyHuge);

#ifdef TOLLGATE_HAVE_JWT
// Bearer JWT (ES256, ~400 bytes) on an oauth2 resource: `cached` = the same token again (the
// verified-token cache answers), else a new verifier per batch so that every token is verified.
struct JwtBench {
  JwtBench() : key(jwt::SignKey::Generate(jwt::Alg::kES256, "k1").value()) {
    SnapshotData d = testing::PetstoreData();
    d.apis[0].resources.push_back({"GET", "/orders", AuthType::kOAuth2, {"orders:read"}, {}});
    d.oauth_clients = {{"oc-1", "app-1", "tgc_mobile", "", "mobile", 0}};
    d.signing_keys = {{"k1", "ES256", "", key.PublicJwk(), 1, {}, {}}};
    snapshot = Snapshot::Build(d);
    token = key.Sign("{\"iss\":\"https://tg\",\"client_id\":\"tgc_mobile\",\"sub\":\"u1\","
                     "\"jti\":\"0b7c6a1e-3f2d-4c55-9a0e-8d7b2c1f4e6a\",\"exp\":1900000000,"
                     "\"iat\":1800000000,\"scope\":\"orders:read orders:write\"}")
                .value();
  }
  jwt::SignKey key;
  std::shared_ptr<const Snapshot> snapshot;
  std::string token;
};

void BM_JwtCached(benchmark::State& state) {
  JwtBench b;
  JwtVerifier verifier({"https://tg", 60, 100'000}, nullptr);
  const std::string auth = "Bearer " + b.token;
  testing::TestHeaders headers{{"user-agent", "bench"}, {"accept", "*/*"}, {"authorization", auth}};
  AccessRequest r{"GET", "api.example.com", "/petstore/v1/orders", &headers};
  for (auto _ : state) {
    Decision d = Decide(*b.snapshot, r, 1'800'000'000, nullptr, &verifier);
    if (!d.allowed()) state.SkipWithError("refused");
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_JwtCached);

void BM_JwtCold(benchmark::State& state) {
  JwtBench b;
  const std::string auth = "Bearer " + b.token;
  testing::TestHeaders headers{{"user-agent", "bench"}, {"accept", "*/*"}, {"authorization", auth}};
  AccessRequest r{"GET", "api.example.com", "/petstore/v1/orders", &headers};
  for (auto _ : state) {
    JwtVerifier verifier({"https://tg", 60, 100'000}, nullptr);  // empty cache every time
    Decision d = Decide(*b.snapshot, r, 1'800'000'000, nullptr, &verifier);
    if (!d.allowed()) state.SkipWithError("refused");
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_JwtCold);
#endif

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

// The API key's digest, as the decision takes it (crypto::Sha256: OpenSSL's low-level SHA-256 on
// a stack context) against EVP with one context per thread re-initialised per digest (what it
// used before: OpenSSL 3 frees and allocates the provider context on each re-initialisation).
void BM_KeyDigest(benchmark::State& state) {
  const std::string key(testing::kGoodKey);
  if (state.range(0) == 0) {
    for (auto _ : state) benchmark::DoNotOptimize(crypto::Sha256(key));
    return;
  }
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  for (auto _ : state) {
    EVP_DigestInit_ex2(ctx, sha256, nullptr);
    EVP_DigestUpdate(ctx, key.data(), key.size());
    EVP_DigestFinal_ex(ctx, out.data(), &len);
    benchmark::DoNotOptimize(out);
  }
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(sha256);
}
BENCHMARK(BM_KeyDigest)->Arg(0)->Arg(1)->ArgName("evp");

// The counters alone: one Acquire over N rules (rates, and a quota as the second rule). Keys are
// finalised hashes and rates come compiled, as the snapshot hands them to the counters.
void BM_Acquire(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const RateLimit rate{1'000'000'000, Period::kSecond, 1'000'000'000};
  const ratelimit::GcraRate gcra = ratelimit::CompileRate(rate);
  const Quota quota{4'000'000'000'000'000, QuotaAnchor::kCalendar, "UTC"};
  std::array<ratelimit::LimitRule, 3> rules{};
  for (size_t i = 0; i < rules.size(); ++i) {
    rules[i].key = LimitKey("bench", std::to_string(i), "acquire");
    rules[i].rate = &rate;
    rules[i].gcra = &gcra;
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
