// Cost of one JWT check without a verified-token cache: jwt::Verify (parse, key lookup, signature,
// claims) for ES256, RS256 (2048) and EdDSA, against OpenSSL's bare ES256 verify as the floor;
// Parse alone (the non-cryptographic share); and SignKey::Sign for ES256 (backend tokens).
#include <benchmark/benchmark.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <string>

#include "jwt/internal.h"
#include "jwt/jwt.h"

namespace tollgate::jwt {
namespace {

constexpr int64_t kNow = 1'800'000'000;
const std::string kClaims =
    R"({"iss":"https://idp.example.com","sub":"app-42","aud":"tollgate","exp":1800003600,)"
    R"("iat":1800000000,"jti":"2f6c0a8e","scope":"pets:read pets:write","client_id":"app-42"})";

struct Fixture {
  explicit Fixture(Alg alg) : key(SignKey::Generate(alg, "k1").value()) {
    keys.Add(VerifyKey::FromJwk(key.PublicJwk()).value());
    token = key.Sign(kClaims).value();
    options.now = kNow;
    options.issuer = "https://idp.example.com";
    options.audience = "tollgate";
  }
  SignKey key;
  KeySet keys;
  std::string token;
  ValidationOptions options;
};

void VerifyToken(benchmark::State& state, Alg alg) {
  const Fixture f(alg);
  for (auto _ : state) {
    auto claims = Verify(f.token, f.keys, f.options);
    if (!claims.ok()) state.SkipWithError("refused");
    benchmark::DoNotOptimize(claims);
  }
}
void BM_VerifyES256(benchmark::State& state) { VerifyToken(state, Alg::kES256); }
void BM_VerifyRS256(benchmark::State& state) { VerifyToken(state, Alg::kRS256); }
void BM_VerifyEdDSA(benchmark::State& state) { VerifyToken(state, Alg::kEdDSA); }
BENCHMARK(BM_VerifyES256);
BENCHMARK(BM_VerifyRS256);
BENCHMARK(BM_VerifyEdDSA);

// The floor: OpenSSL's own ES256 verification of the same input (DER signature, reused context).
void BM_OpenSslES256Floor(benchmark::State& state) {
  const Fixture f(Alg::kES256);
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  const std::string input = f.token.substr(0, f.token.rfind('.'));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char der[80];
  size_t der_len = sizeof(der);
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey);
  EVP_DigestSign(ctx, der, &der_len, reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  for (auto _ : state) {
    EVP_MD_CTX_reset(ctx);
    EVP_DigestVerifyInit(ctx, nullptr, sha256, nullptr, pkey);
    const int ok = EVP_DigestVerify(
        ctx, der, der_len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
    if (ok != 1) state.SkipWithError("refused");
  }
  EVP_MD_free(sha256);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
}
BENCHMARK(BM_OpenSslES256Floor);

// VerifyKey::Verify alone: the signature step of BM_VerifyES256, comparable to the floor.
void BM_VerifyKeyES256(benchmark::State& state) {
  const Fixture f(Alg::kES256);
  const size_t dot = f.token.rfind('.');
  const std::string input = f.token.substr(0, dot);
  const std::string signature = Base64UrlDecode(f.token.substr(dot + 1)).value();
  const VerifyKey* key = f.keys.Find("k1");
  for (auto _ : state) {
    if (!key->Verify(Alg::kES256, input, signature)) state.SkipWithError("refused");
  }
}
BENCHMARK(BM_VerifyKeyES256);

// The signature step with a fresh OpenSSL context per call (arg 0) or this thread's initialised
// context for the key (arg 1): what reusing contexts saves, A and B in the same run.
void SignatureStep(benchmark::State& state, const char* type, Alg alg) {
  internal::PkeyPtr pkey(std::string_view(type) == "RSA"
                             ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
                             : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  const std::string input(250, 'x');
  const std::string signature = internal::Sign(pkey.get(), alg, input).value();
  const uint64_t key_id = state.range(0) != 0 ? internal::NewKeyId() : 0;
  for (auto _ : state) {
    if (!internal::VerifySignature(pkey.get(), key_id, alg, input, signature)) {
      state.SkipWithError("refused");
    }
  }
}
void BM_SignatureRS256(benchmark::State& state) { SignatureStep(state, "RSA", Alg::kRS256); }
void BM_SignatureES256(benchmark::State& state) { SignatureStep(state, "EC", Alg::kES256); }
BENCHMARK(BM_SignatureRS256)->Arg(0)->Arg(1);
BENCHMARK(BM_SignatureES256)->Arg(0)->Arg(1);

// What a forged or stale token costs before any cryptography (decode, JSON, key lookup).
void BM_VerifyUnknownKid(benchmark::State& state) {
  const Fixture f(Alg::kES256);
  const KeySet empty;
  for (auto _ : state) {
    auto claims = Verify(f.token, empty, f.options);
    benchmark::DoNotOptimize(claims);
  }
}
BENCHMARK(BM_VerifyUnknownKid);

void BM_Parse(benchmark::State& state) {
  const Fixture f(Alg::kES256);
  for (auto _ : state) {
    auto parsed = Parse(f.token);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_Parse);

void BM_SignES256(benchmark::State& state) {
  const Fixture f(Alg::kES256);
  for (auto _ : state) {
    auto token = f.key.Sign(kClaims);
    benchmark::DoNotOptimize(token);
  }
}
BENCHMARK(BM_SignES256);

}  // namespace
}  // namespace tollgate::jwt

BENCHMARK_MAIN();
