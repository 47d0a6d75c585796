// Bearer JWTs end to end through the decider: our own tokens, an external issuer with a fake
// JWKS endpoint, refusals with their reasons, the verified-token cache, backend JWTs.
#include "enforce/jwt_verifier.h"

#include <gtest/gtest.h>

#include "core/clock.h"
#include "enforce/decider.h"
#include "enforce/fixtures.h"
#include "enforce/throttle.h"

namespace tollgate::enforce {
namespace {

using testing::TestHeaders;

constexpr int64_t kNow = 1'800'000'000;
constexpr const char* kOwnIssuer = "https://tollgate.example.com";

std::string Claims(std::string_view iss, std::string_view client, int64_t exp,
                   std::string_view extra = "") {
  std::string c = "{\"iss\":\"" + std::string(iss) + "\",\"client_id\":\"" + std::string(client) +
                  "\",\"sub\":\"u1\",\"jti\":\"j-" + std::to_string(exp) + "\",\"exp\":" +
                  std::to_string(exp) + ",\"scope\":\"orders:read orders:list\",\"tenant\":\"acme\"";
  if (!extra.empty()) c += "," + std::string(extra);
  return c + "}";
}

class FakeFetcher final : public JwksFetcher {
 public:
  Result<std::string> Fetch(const std::string& uri) override {
    ++calls;
    if (down) return Error{ErrorKind::kUnavailable, "down", "down", {}};
    EXPECT_EQ(uri, "https://kc/jwks");
    return body;
  }
  std::string body;
  bool down = false;
  int calls = 0;
};

// RSA keys are generated once: RSA-2048 generation takes seconds on a busy machine.
const jwt::SignKey& RsaKey(int which) {
  static const jwt::SignKey keys[] = {jwt::SignKey::Generate(jwt::Alg::kRS256, "kc-1").value(),
                                      jwt::SignKey::Generate(jwt::Alg::kRS256, "kc-2").value(),
                                      jwt::SignKey::Generate(jwt::Alg::kRS256, "own-1").value()};
  return keys[which];
}

class JwtVerifierTest : public ::testing::Test {
 protected:
  JwtVerifierTest()
      : own_(jwt::SignKey::Generate(jwt::Alg::kES256, "own-1").value()),
        other_(jwt::SignKey::Generate(jwt::Alg::kES256, "own-1").value()),
        kc_(RsaKey(0)),
        kc2_(RsaKey(1)) {
    data_.apis[0].resources.push_back(
        {"GET", "/orders", AuthType::kOAuth2, {"orders:read"}, {}});
    data_.oauth_clients = {{"oc-1", "app-1", "tgc_mobile", "", "mobile", 0}};
    data_.signing_keys = {{"own-1", "ES256", "", own_.PublicJwk(), 1, {}, {}}};
    data_.issuers = {Issuer{.id = "iss-kc", .name = "KC", .issuer = "https://kc",
                            .jwks_uri = "https://kc/jwks", .client_claim = "azp"}};
    data_.external_clients = {{"ec-1", "app-1", "iss-kc", "kc-mobile", 0}};
    fetcher_.body = "{\"keys\":[" + kc_.PublicJwk() + "]}";
    Rebuild();
  }
  void Rebuild() { snapshot_ = Snapshot::Build(data_); }
  Decision Ask(const std::string& token, int64_t now = kNow) {
    TestHeaders h{{"authorization", "Bearer " + token}};
    AccessRequest r{"GET", "api.example.com", "/petstore/v1/orders", &h};
    return Decide(*snapshot_, r, now, nullptr, &verifier_);
  }
  std::string Own(int64_t exp, std::string_view extra = "") {
    return own_.Sign(Claims(kOwnIssuer, "tgc_mobile", exp, extra)).value();
  }
  JwksRefresher Refresher() {
    return JwksRefresher(jwks_, fetcher_, clock_, [this] { return snapshot_->issuers(); }, {});
  }

  jwt::SignKey own_, other_;
  const jwt::SignKey& kc_;
  const jwt::SignKey& kc2_;
  SnapshotData data_ = testing::PetstoreData();
  std::shared_ptr<const Snapshot> snapshot_;
  JwksCache jwks_;
  FakeFetcher fetcher_;
  FakeClock clock_{kNow};
  JwtVerifier verifier_{{kOwnIssuer, 60, 1000}, &jwks_};
};

TEST_F(JwtVerifierTest, OwnTokenIsAllowedForItsClientsApplication) {
  const Decision d = Ask(Own(kNow + 300));
  EXPECT_EQ(d.code, DecisionCode::kAllow) << d.reason;
  EXPECT_EQ(d.application_id, "app-1");
  EXPECT_EQ(d.credential_kind, "oauth2");
}

TEST_F(JwtVerifierTest, ExpiredTokenIsRefusedFromTheCacheToo) {
  const std::string token = Own(kNow);
  EXPECT_EQ(Ask(token, kNow).code, DecisionCode::kAllow);
  EXPECT_EQ(Ask(token, kNow + 60).code, DecisionCode::kExpiredCredential);
  EXPECT_EQ(Ask(token, kNow + 3600).reason, "token expired");
}

TEST_F(JwtVerifierTest, ExpiryHonoursTheLeewayExactly) {
  const std::string token = Own(kNow);
  EXPECT_EQ(Ask(token, kNow + 59).code, DecisionCode::kAllow);
  EXPECT_EQ(Ask(token, kNow + 59).code, DecisionCode::kAllow);  // from the cache
  const Decision d = Ask(token, kNow + 60);
  EXPECT_EQ(d.code, DecisionCode::kExpiredCredential);
  EXPECT_EQ(d.reason, "token expired");
  EXPECT_EQ(d.http_status(), 401);
}

TEST_F(JwtVerifierTest, NotYetValidTokenIsRefused) {
  const Decision d = Ask(Own(kNow + 600, "\"nbf\":" + std::to_string(kNow + 61)));
  EXPECT_EQ(d.code, DecisionCode::kInvalidCredential);
  EXPECT_EQ(d.reason, "token not yet valid");
  EXPECT_EQ(Ask(Own(kNow + 600, "\"nbf\":" + std::to_string(kNow + 60))).code, DecisionCode::kAllow);
}

TEST_F(JwtVerifierTest, ForeignSignatureIsRefused) {
  const Decision d = Ask(other_.Sign(Claims(kOwnIssuer, "tgc_mobile", kNow + 300)).value());
  EXPECT_EQ(d.code, DecisionCode::kInvalidCredential);
  EXPECT_EQ(d.reason, "signature invalid");
}

TEST_F(JwtVerifierTest, AlgNoneIsRefused) {
  const std::string unsigned_part = jwt::Base64UrlEncode("{\"alg\":\"none\",\"typ\":\"JWT\"}") +
                                    "." +
                                    jwt::Base64UrlEncode(Claims(kOwnIssuer, "tgc_mobile", kNow + 300));
  const Decision d = Ask(unsigned_part + ".c2ln");
  EXPECT_EQ(d.code, DecisionCode::kInvalidCredential);
  EXPECT_EQ(d.reason, "alg not allowed");
  // The usual shape, with an empty signature, is refused even before the algorithm is read.
  const Decision empty = Ask(unsigned_part + ".");
  EXPECT_EQ(empty.code, DecisionCode::kInvalidCredential);
  EXPECT_EQ(empty.reason, "token malformed");
}

TEST_F(JwtVerifierTest, HmacConfusionIsRefused) {
  const std::string token =
      jwt::Base64UrlEncode("{\"alg\":\"HS256\",\"kid\":\"own-1\"}") + "." +
      jwt::Base64UrlEncode(Claims(kOwnIssuer, "tgc_mobile", kNow + 300)) + ".c2lnbmF0dXJl";
  const Decision d = Ask(token);
  EXPECT_EQ(d.code, DecisionCode::kInvalidCredential);
  EXPECT_EQ(d.reason, "alg not allowed");
}

TEST_F(JwtVerifierTest, AlgOfAnotherKeyTypeIsRefused) {
  // RS256 token naming our ES256 key's kid.
  const Decision d = Ask(RsaKey(2).Sign(Claims(kOwnIssuer, "tgc_mobile", kNow + 300)).value());
  EXPECT_EQ(d.code, DecisionCode::kInvalidCredential);
  EXPECT_EQ(d.reason, "alg does not match the key");
}

TEST_F(JwtVerifierTest, OversizeTokenIsRefusedBeforeAnyWork) {
  const Decision d = Ask(std::string(jwt::kMaxTokenBytes + 1, 'a'));
  EXPECT_EQ(d.code, DecisionCode::kInvalidCredential);
  EXPECT_EQ(d.reason, "token too large");
  EXPECT_EQ(Ask("not-a-jwt").reason, "token malformed");
}

TEST_F(JwtVerifierTest, RevokedJtiIsRefused) {
  const std::string token = Own(kNow + 300);
  ASSERT_EQ(Ask(token).code, DecisionCode::kAllow);
  data_.revoked_tokens = {{"j-" + std::to_string(kNow + 300), kNow + 300}};
  Rebuild();
  EXPECT_EQ(Ask(token).reason, "token revoked");  // even from the cache
}

TEST_F(JwtVerifierTest, WrongIssuerAndAudienceAreRefused) {
  EXPECT_EQ(Ask(own_.Sign(Claims("https://elsewhere", "tgc_mobile", kNow + 300)).value()).reason,
            "unknown issuer");
  data_.apis[0].audience = "petstore";
  Rebuild();
  EXPECT_EQ(Ask(Own(kNow + 300)).reason, "wrong audience");
  EXPECT_EQ(Ask(Own(kNow + 300, "\"aud\":[\"x\",\"petstore\"]")).code, DecisionCode::kAllow);
}

TEST_F(JwtVerifierTest, InsufficientScopeIs403) {
  data_.apis[0].resources.back().scopes = {"orders:write"};
  Rebuild();
  const Decision d = Ask(Own(kNow + 300));
  EXPECT_EQ(d.code, DecisionCode::kInsufficientScope);
  EXPECT_EQ(d.required_scopes, "orders:write");
}

TEST_F(JwtVerifierTest, RepeatTokenComesFromTheCacheUntilKeysRotate) {
  const std::string token = Own(kNow + 300);
  ASSERT_EQ(Ask(token).code, DecisionCode::kAllow);
  EXPECT_EQ(verifier_.cached(), 1u);
  ASSERT_EQ(Ask(token).code, DecisionCode::kAllow);
  EXPECT_EQ(verifier_.cached(), 1u);
  // Our key is withdrawn: the cached verdict no longer counts.
  data_.signing_keys = {{"own-2", "ES256", "", other_.PublicJwk(), 2, {}, {}}};
  Rebuild();
  EXPECT_EQ(Ask(token).code, DecisionCode::kInvalidCredential);
}

TEST_F(JwtVerifierTest, ExternalTokenNeedsItsIssuersKeys) {
  const std::string token = kc_.Sign("{\"iss\":\"https://kc\",\"azp\":\"kc-mobile\",\"exp\":" +
                                     std::to_string(kNow + 300) + ",\"scp\":[\"orders:read\"]}")
                                .value();
  EXPECT_EQ(Ask(token).reason, "unknown signing key");  // nothing fetched yet: asks for a refresh
  auto refresher = Refresher();
  EXPECT_EQ(refresher.RunOnce(), 1);
  const Decision d = Ask(token);
  EXPECT_EQ(d.code, DecisionCode::kAllow) << d.reason;
  EXPECT_EQ(d.application_id, "app-1");
}

TEST_F(JwtVerifierTest, UnknownKidRefetchesAtMostEvery30Seconds) {
  auto refresher = Refresher();
  ASSERT_EQ(refresher.RunOnce(), 1);
  ASSERT_EQ(fetcher_.calls, 1);
  // The issuer rotates in kc-2; a token with it asks for a refresh.
  fetcher_.body = "{\"keys\":[" + kc_.PublicJwk() + "," + kc2_.PublicJwk() + "]}";
  const std::string token = kc2_.Sign("{\"iss\":\"https://kc\",\"azp\":\"kc-mobile\",\"exp\":" +
                                      std::to_string(kNow + 300) + ",\"scp\":\"orders:read\"}")
                                .value();
  EXPECT_EQ(Ask(token).reason, "unknown signing key");
  clock_.Advance(10);
  EXPECT_EQ(refresher.RunOnce(), 0);  // too soon after the last fetch
  EXPECT_EQ(fetcher_.calls, 1);
  EXPECT_EQ(Ask(token).reason, "unknown signing key");
  clock_.Advance(20);
  EXPECT_EQ(refresher.RunOnce(), 1);
  EXPECT_EQ(Ask(token).code, DecisionCode::kAllow);
}

TEST_F(JwtVerifierTest, OutageKeepsTheLastGoodKeys) {
  auto refresher = Refresher();
  ASSERT_EQ(refresher.RunOnce(), 1);
  fetcher_.down = true;
  clock_.Advance(660);
  EXPECT_EQ(refresher.RunOnce(), 0);
  const std::string token = kc_.Sign("{\"iss\":\"https://kc\",\"azp\":\"kc-mobile\",\"exp\":" +
                                     std::to_string(kNow + 1000) + ",\"scp\":\"orders:read\"}")
                                .value();
  EXPECT_EQ(Ask(token, kNow + 700).code, DecisionCode::kAllow);
}

TEST_F(JwtVerifierTest, ClaimsAreKeptForClaimKeyedLimits) {
  data_.apis[0].keyed_limits = {{"claim:tenant", {5, Period::kMinute, 0}}};
  Rebuild();
  TestHeaders h{{"authorization", "Bearer " + Own(kNow + 300)}};
  AccessRequest r{"GET", "api.example.com", "/petstore/v1/orders", &h};
  Match m;
  ASSERT_EQ(Decide(*snapshot_, r, kNow, &m, &verifier_).code, DecisionCode::kAllow);
  ASSERT_NE(m.token, nullptr);
  EXPECT_EQ(m.token->Claim("tenant").value_or(""), "acme");
  EXPECT_EQ(CollectRules(m, r).size, 1u);
}

TEST_F(JwtVerifierTest, BackendTokenIsSignedOnceAndReused) {
  auto key = std::make_shared<const jwt::SignKey>(std::move(own_));
  JwtBackendSigner signer(key, kOwnIssuer);
  BackendFacts f{"app-1", "Mobile", "alice", "Gold", "api-petstore", "Petstore", "v1"};
  auto a = signer.Sign(f, kNow);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(signer.Sign(f, kNow + 29), a);
  EXPECT_NE(signer.Sign(f, kNow + 31), a);
  jwt::KeySet keys;
  keys.Add(jwt::VerifyKey::FromJwk(key->PublicJwk()).value());
  auto claims = jwt::Verify(*a, keys, {.now = kNow, .issuer = kOwnIssuer});
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->sub, "app-1");
  EXPECT_EQ(claims->exp.value_or(0), kNow + 60);
  EXPECT_EQ(jwt::ClaimString(claims->payload_json, "plan").value_or(""), "Gold");
}

}  // namespace
}  // namespace tollgate::enforce
