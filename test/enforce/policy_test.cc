// Policies in the decision as a caller meets them: blocked applications, pending subscriptions,
// key restrictions, keys in the query, deprecation facts, default versions, route hints, mesh
// identities, bearer tokens (through a fake verifier), claim-keyed limits and failing open.
#include <gtest/gtest.h>

#include "core/clock.h"
#include "enforce/counting_store.h"
#include "enforce/decider.h"
#include "enforce/enforcer.h"
#include "enforce/fixtures.h"

namespace tollgate::enforce {
namespace {

using testing::kGoodKey;
using testing::TestHeaders;

constexpr int64_t kNow = 1'800'000'000;

// Accepts tokens named in its table ("tok-…" → summary) and refuses others as it is told.
class FakeVerifier final : public TokenVerifier {
 public:
  TokenCheck Verify(std::string_view token, const Snapshot&, int64_t) const override {
    ++calls;
    for (const auto& [name, t] : tokens) {
      if (name == token) return {std::make_shared<VerifiedToken>(t), DecisionCode::kAllow, {}};
    }
    return {nullptr, DecisionCode::kExpiredCredential, "token expired"};
  }
  std::vector<std::pair<std::string, VerifiedToken>> tokens;
  mutable int calls = 0;
};

VerifiedToken OwnToken(std::string client, std::vector<std::string> scopes) {
  VerifiedToken t;
  t.own = true;
  t.client_id = std::move(client);
  t.jti = "jti-1";
  t.scopes = std::move(scopes);
  t.claims = {{"sub", "user-7"}, {"tenant", "acme"}};
  return t;
}

class PolicyTest : public ::testing::Test {
 protected:
  PolicyTest() {
    data_.oauth_clients = {{"oc-1", "app-1", "tgc_mobile", "", "mobile", 0}};
    data_.apis[0].resources.push_back(
        {"GET", "/orders", AuthType::kOAuth2, {"orders:read", "orders:list"}, {}});
    data_.apis[0].resources.push_back({"GET", "/either", AuthType::kApiKeyOrOAuth2, {}, {}});
    data_.apis[0].resources.push_back({"GET", "/internal", AuthType::kMesh, {}, {}});
    verifier_.tokens = {{"tok-good", OwnToken("tgc_mobile", {"orders:read", "orders:list"})},
                        {"tok-narrow", OwnToken("tgc_mobile", {"orders:read"})},
                        {"tok-stranger", OwnToken("tgc_nobody", {})}};
    Rebuild();
  }
  Decision Ask(std::string_view method, std::string_view path, const TestHeaders& headers,
               std::string_view hint = {}, std::string_view principal = {},
               std::string_view address = {}, Match* match = nullptr) {
    AccessRequest r{method, "api.example.com", path, &headers, address, principal, hint};
    return Decide(*snapshot_, r, kNow, match, &verifier_);
  }
  void Rebuild() { snapshot_ = Snapshot::Build(data_); }

  SnapshotData data_ = testing::PetstoreData();
  FakeVerifier verifier_;
  std::shared_ptr<const Snapshot> snapshot_;
};

TEST_F(PolicyTest, EveryRefusalSaysWhy) {
  EXPECT_EQ(Ask("GET", "/nowhere", {}).reason, "no API at this address");
  EXPECT_EQ(Ask("GET", "/petstore/v1/nothing", {}).reason, "no resource for this method and path");
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {}).reason, "API key required");
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"apikey", "nope"}}).reason, "unknown API key");
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"apikey", testing::kLonelyKey}}).reason,
            "application not subscribed");
}

TEST_F(PolicyTest, BlockedApplicationIsRefusedWith403) {
  data_.applications[0].blocked = true;
  Rebuild();
  const Decision d = Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}});
  EXPECT_EQ(d.code, DecisionCode::kApplicationBlocked);
  EXPECT_EQ(d.http_status(), 403);
  EXPECT_EQ(d.application_id, "app-1");
}

TEST_F(PolicyTest, PendingSubscriptionIsRefusedUntilApproved) {
  data_.subscriptions[0].status = SubscriptionStatus::kPending;
  Rebuild();
  const Decision d = Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}});
  EXPECT_EQ(d.code, DecisionCode::kSubscriptionPending);
  EXPECT_EQ(d.http_status(), 403);
}

TEST_F(PolicyTest, KeyRestrictedToAddressesRefusesOthers) {
  data_.api_keys[0].allowed_ips = {"10.0.0.0/8", "2001:db8::/32"};
  Rebuild();
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}}, {}, {}, "10.1.2.3").code,
            DecisionCode::kAllow);
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}}, {}, {}, "2001:db8::9").code,
            DecisionCode::kAllow);
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}}, {}, {}, "::ffff:10.0.0.1").code,
            DecisionCode::kAllow);
  const Decision d = Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}}, {}, {}, "11.0.0.1");
  EXPECT_EQ(d.code, DecisionCode::kCredentialRestricted);
  EXPECT_EQ(d.reason, "client address not allowed for this key");
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}}).code,
            DecisionCode::kCredentialRestricted);  // unknown address
}

TEST_F(PolicyTest, UnparsableRangeAllowsNothing) {
  data_.api_keys[0].allowed_ips = {"not-an-address"};
  Rebuild();
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}}, {}, {}, "10.1.2.3").code,
            DecisionCode::kCredentialRestricted);
}

TEST_F(PolicyTest, KeyRestrictedToReferrersMatchesWildcards) {
  data_.api_keys[0].allowed_referrers = {"https://*.example.com/*"};
  Rebuild();
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets",
                {{"apikey", kGoodKey}, {"referer", "https://shop.example.com/cart"}})
                .code,
            DecisionCode::kAllow);
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets",
                {{"apikey", kGoodKey}, {"referer", "https://evil.com/x.example.com/"}})
                .code,
            DecisionCode::kCredentialRestricted);
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}}).reason,
            "referer not allowed for this key");
}

TEST_F(PolicyTest, WildcardMatchIsAnchoredAtBothEnds) {
  EXPECT_TRUE(WildcardMatch("*", ""));
  EXPECT_TRUE(WildcardMatch("a*c", "abbbc"));
  EXPECT_TRUE(WildcardMatch("HTTPS://a.com/*", "https://A.com/x"));
  EXPECT_FALSE(WildcardMatch("a*c", "abcd"));
  EXPECT_FALSE(WildcardMatch("https://a.com", "https://a.com.evil"));
  EXPECT_FALSE(WildcardMatch("https://*.a.com/*", "https://e.com/x.a.com/"));
  EXPECT_TRUE(WildcardMatch("https://*.a.com/*", "https://x.a.com/p/q"));
}

TEST_F(PolicyTest, KeyRestrictedToOtherApisIsRefusedHere) {
  data_.api_keys[0].api_ids = {"api-other"};
  Rebuild();
  const Decision d = Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}});
  EXPECT_EQ(d.code, DecisionCode::kCredentialRestricted);
  EXPECT_EQ(d.reason, "key not valid for this API");
  data_.api_keys[0].api_ids = {"api-petstore"};
  Rebuild();
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}}).code, DecisionCode::kAllow);
}

TEST_F(PolicyTest, KeyInQueryIsAcceptedAndNamedForStripping) {
  const Decision d = Ask("GET", std::string("/petstore/v1/pets?x=1&apikey=") + kGoodKey, {});
  EXPECT_EQ(d.code, DecisionCode::kAllow);
  EXPECT_EQ(d.credential_query, "apikey");
  EXPECT_EQ(d.credential_header, "");
  EXPECT_EQ(d.credential_kind, "apiKey");
}

TEST_F(PolicyTest, ApiCanTakeItsKeyFromANamedQueryParameterOnly) {
  data_.apis[0].api_key_header = "query:key";
  Rebuild();
  EXPECT_EQ(Ask("GET", std::string("/petstore/v1/pets?key=") + kGoodKey, {}).credential_query,
            "key");
  const Decision d = Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}});
  EXPECT_EQ(d.code, DecisionCode::kMissingCredential);
  EXPECT_EQ(d.credential_query, "key");
}

TEST_F(PolicyTest, DeprecatedApiAnswersWithItsInstants) {
  data_.apis[0].lifecycle = Lifecycle::kDeprecated;
  data_.apis[0].deprecated_at = 1'700'000'000;
  data_.apis[0].sunset_at = 1'900'000'000;
  Rebuild();
  const Decision d = Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}});
  EXPECT_EQ(d.code, DecisionCode::kAllow);
  EXPECT_EQ(d.deprecated_at, 1'700'000'000);
  EXPECT_EQ(d.sunset_at, 1'900'000'000);
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {}).deprecated_at, 1'700'000'000);  // on 401 too
}

TEST_F(PolicyTest, RetiredAndBlockedApisSayWhy) {
  data_.apis[0].lifecycle = Lifecycle::kRetired;
  Rebuild();
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {}).http_status(), 410);
  data_.apis[0].lifecycle = Lifecycle::kBlocked;
  Rebuild();
  const Decision d = Ask("GET", "/petstore/v1/pets", {});
  EXPECT_EQ(d.http_status(), 503);
  EXPECT_EQ(d.reason, "API blocked by its publisher");
}

TEST_F(PolicyTest, DefaultVersionAnswersWithoutItsVersionSegment) {
  data_.apis[0].is_default_version = true;
  Rebuild();
  const Decision d = Ask("GET", "/petstore/pets/7", {{"apikey", kGoodKey}});
  EXPECT_EQ(d.code, DecisionCode::kAllow);
  EXPECT_EQ(d.api_id, "api-petstore");
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}}).code, DecisionCode::kAllow);
}

TEST_F(PolicyTest, RealContextWinsOverDefaultVersionAlias) {
  data_.apis[0].is_default_version = true;
  Api other = testing::PetstoreApi();
  other.id = "api-bare";
  other.context = "/petstore";
  data_.apis.push_back(other);
  data_.subscriptions.push_back({"sub-2", "app-1", "api-bare", "Gold", SubscriptionStatus::kActive, 0});
  Rebuild();
  EXPECT_EQ(Ask("GET", "/petstore/pets", {{"apikey", kGoodKey}}).api_id, "api-bare");
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}}).api_id, "api-petstore");
}

TEST_F(PolicyTest, NonDefaultVersionHasNoAlias) {
  EXPECT_EQ(Ask("GET", "/petstore/pets", {{"apikey", kGoodKey}}).code, DecisionCode::kApiNotFound);
}

TEST_F(PolicyTest, RouteHintSelectsTheApiById) {
  const Decision a = Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}}, "api-petstore");
  EXPECT_EQ(a.code, DecisionCode::kAllow);
  // A route that rewrote the prefix away: resources match against the whole path.
  const Decision b = Ask("GET", "/pets/7?x=1", {{"apikey", kGoodKey}}, "api-petstore");
  EXPECT_EQ(b.code, DecisionCode::kAllow);
  const Decision c = Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}}, "api-missing");
  EXPECT_EQ(c.code, DecisionCode::kApiNotFound);
  EXPECT_EQ(c.reason, "unknown API in route hint");
}

TEST_F(PolicyTest, MeshIdentityAuthenticatesItsApplication) {
  data_.mesh_identities = {{"m-1", "app-1", "spiffe://cluster.local/ns/shop/sa/checkout", 0}};
  Rebuild();
  const Decision d =
      Ask("GET", "/petstore/v1/internal", {}, {}, "spiffe://cluster.local/ns/shop/sa/checkout");
  EXPECT_EQ(d.code, DecisionCode::kAllow);
  EXPECT_EQ(d.application_id, "app-1");
  EXPECT_EQ(d.credential_kind, "mesh");
  EXPECT_EQ(Ask("GET", "/petstore/v1/internal", {}, {}, "spiffe://cluster.local/ns/x/sa/y").code,
            DecisionCode::kInvalidCredential);
  EXPECT_EQ(Ask("GET", "/petstore/v1/internal", {}).code, DecisionCode::kMissingCredential);
  // An API key does not open a mesh resource.
  EXPECT_EQ(Ask("GET", "/petstore/v1/internal", {{"apikey", kGoodKey}}).code,
            DecisionCode::kMissingCredential);
}

TEST_F(PolicyTest, PrincipalIsNotEnoughForApiKeyOrOAuth2) {
  data_.mesh_identities = {{"m-1", "app-1", "spiffe://cluster.local/ns/shop/sa/checkout", 0}};
  Rebuild();
  EXPECT_EQ(Ask("GET", "/petstore/v1/either", {}, {}, "spiffe://cluster.local/ns/shop/sa/checkout")
                .code,
            DecisionCode::kMissingCredential);
}

TEST_F(PolicyTest, BearerTokenOfOurClientIsAllowed) {
  const Decision d = Ask("GET", "/petstore/v1/orders", {{"authorization", "Bearer tok-good"}});
  EXPECT_EQ(d.code, DecisionCode::kAllow);
  EXPECT_EQ(d.application_id, "app-1");
  EXPECT_EQ(d.credential_kind, "oauth2");
  EXPECT_EQ(d.credential_header, "authorization");
  EXPECT_EQ(Ask("GET", "/petstore/v1/either", {{"authorization", "bearer tok-good"}}).code,
            DecisionCode::kAllow);
  EXPECT_EQ(Ask("GET", "/petstore/v1/either", {{"apikey", kGoodKey}}).code, DecisionCode::kAllow);
}

TEST_F(PolicyTest, MissingBearerTokenIs401) {
  const Decision d = Ask("GET", "/petstore/v1/orders", {{"apikey", kGoodKey}});
  EXPECT_EQ(d.code, DecisionCode::kMissingCredential);
  EXPECT_EQ(d.credential_header, "authorization");
  EXPECT_EQ(d.reason, "bearer token required");
}

TEST_F(PolicyTest, VerifierRefusalIsPassedOnWithItsReason) {
  const Decision d = Ask("GET", "/petstore/v1/orders", {{"authorization", "Bearer tok-old"}});
  EXPECT_EQ(d.code, DecisionCode::kExpiredCredential);
  EXPECT_EQ(d.reason, "token expired");
}

TEST_F(PolicyTest, TokenLackingAScopeIs403NamingTheScopes) {
  const Decision d = Ask("GET", "/petstore/v1/orders", {{"authorization", "Bearer tok-narrow"}});
  EXPECT_EQ(d.code, DecisionCode::kInsufficientScope);
  EXPECT_EQ(d.http_status(), 403);
  EXPECT_EQ(d.required_scopes, "orders:read orders:list");
}

TEST_F(PolicyTest, RevokedTokenIsRefused) {
  data_.revoked_tokens = {{"jti-1", kNow + 100}};
  Rebuild();
  const Decision d = Ask("GET", "/petstore/v1/orders", {{"authorization", "Bearer tok-good"}});
  EXPECT_EQ(d.code, DecisionCode::kInvalidCredential);
  EXPECT_EQ(d.reason, "token revoked");
}

TEST_F(PolicyTest, TokenOfUnknownClientIsRefused) {
  const Decision d = Ask("GET", "/petstore/v1/orders", {{"authorization", "Bearer tok-stranger"}});
  EXPECT_EQ(d.code, DecisionCode::kInvalidCredential);
  EXPECT_EQ(d.reason, "unknown client");
}

TEST_F(PolicyTest, ApiAudienceMustBeNamedByTheToken) {
  data_.apis[0].audience = "https://petstore";
  Rebuild();
  EXPECT_EQ(Ask("GET", "/petstore/v1/orders", {{"authorization", "Bearer tok-good"}}).reason,
            "wrong audience");
  verifier_.tokens[0].second.audiences = {"other", "https://petstore"};
  EXPECT_EQ(Ask("GET", "/petstore/v1/orders", {{"authorization", "Bearer tok-good"}}).code,
            DecisionCode::kAllow);
}

TEST_F(PolicyTest, ExternalIssuerTokenMapsThroughItsClientBinding) {
  data_.issuers = {Issuer{.id = "iss-kc", .name = "Keycloak", .issuer = "https://kc/realms/x",
                          .audience = "tollgate"}};
  data_.external_clients = {{"ec-1", "app-1", "iss-kc", "kc-mobile", 0}};
  Rebuild();
  VerifiedToken t;
  t.own = false;
  t.issuer_index = 0;
  t.issuer_id = "iss-kc";
  t.client_id = "kc-mobile";
  t.jti = "jti-1";
  t.audiences = {"tollgate"};
  t.scopes = {"orders:read", "orders:list"};
  verifier_.tokens.push_back({"tok-kc", t});
  data_.revoked_tokens = {{"jti-1", 0}};  // our revocations do not apply to other issuers
  Rebuild();
  EXPECT_EQ(Ask("GET", "/petstore/v1/orders", {{"authorization", "Bearer tok-kc"}}).code,
            DecisionCode::kAllow);
  verifier_.tokens.back().second.audiences = {"someone-else"};
  EXPECT_EQ(Ask("GET", "/petstore/v1/orders", {{"authorization", "Bearer tok-kc"}}).reason,
            "wrong audience");
}

TEST_F(PolicyTest, ClaimKeyedLimitCountsPerClaimValue) {
  data_.apis[0].keyed_limits = {{"claim:tenant", {1, Period::kMinute, 0}}};
  Rebuild();
  Match m;
  ASSERT_EQ(Ask("GET", "/petstore/v1/orders", {{"authorization", "Bearer tok-good"}}, {}, {}, {}, &m)
                .code,
            DecisionCode::kAllow);
  TestHeaders none{};
  AccessRequest r{"GET", "h", "/petstore/v1/orders", &none};
  const RuleSet rules = CollectRules(m, r);
  ASSERT_EQ(rules.size, 1u);
  EXPECT_EQ(rules.rules[0].name, "claim:tenant");
  // Another tenant gets another counter; no token, no rule.
  Match other = m;
  auto t = std::make_shared<VerifiedToken>(*m.token);
  t->claims = {{"tenant", "globex"}};
  other.token = t;
  EXPECT_NE(CollectRules(other, r).rules[0].key, rules.rules[0].key);
  other.token = nullptr;
  EXPECT_EQ(CollectRules(other, r).size, 0u);
}

// --- The Enforcer wraps internal failures.

class ThrowingVerifier final : public TokenVerifier {
 public:
  TokenCheck Verify(std::string_view, const Snapshot&, int64_t) const override {
    throw std::runtime_error("boom");
  }
};

class FixedClock final : public Clock {
 public:
  int64_t NowMillis() const override { return kNow * 1000; }
};

TEST_F(PolicyTest, InternalFailureIs503UnlessTheApiFailsOpen) {
  SnapshotHolder holder;
  holder.Set(snapshot_);
  FixedClock clock;
  Enforcer enforcer(holder, clock);
  enforcer.SetTokenVerifier(std::make_shared<ThrowingVerifier>());
  TestHeaders h{{"authorization", "Bearer x"}};
  AccessRequest r{"GET", "api.example.com", "/petstore/v1/orders", &h};
  enforcer.Check(r, [](const Decision& d) {
    EXPECT_EQ(d.code, DecisionCode::kInternalError);
    EXPECT_EQ(d.http_status(), 503);
  });
  data_.apis[0].fail_open = true;
  holder.Set(Snapshot::Build(data_));
  enforcer.Check(r, [](const Decision& d) {
    EXPECT_EQ(d.code, DecisionCode::kAllow);
    EXPECT_EQ(d.reason, "failed open");
  });
}

class FakeSigner final : public BackendTokenSigner {
 public:
  std::shared_ptr<const std::string> Sign(const BackendFacts& f, int64_t) const override {
    return std::make_shared<const std::string>("jwt-for-" + std::string(f.application_id));
  }
};

TEST_F(PolicyTest, BackendJwtIsAttachedWhenTheApiAsksForIt) {
  data_.apis[0].backend_jwt_header = "X-Backend-JWT";
  SnapshotHolder holder;
  holder.Set(Snapshot::Build(data_));
  FixedClock clock;
  Enforcer enforcer(holder, clock);
  TestHeaders h{{"apikey", kGoodKey}};
  AccessRequest r{"GET", "api.example.com", "/petstore/v1/pets", &h};
  enforcer.Check(r, [](const Decision& d) {
    EXPECT_EQ(d.code, DecisionCode::kInternalError);  // no signer configured
    EXPECT_EQ(d.reason, "backend token unavailable");
  });
  enforcer.SetBackendSigner(std::make_shared<FakeSigner>());
  enforcer.Check(r, [](const Decision& d) {
    EXPECT_EQ(d.code, DecisionCode::kAllow);
    EXPECT_EQ(d.backend_jwt_header, "x-backend-jwt");
    EXPECT_EQ(d.backend_jwt, "jwt-for-app-1");
  });
}

}  // namespace
}  // namespace tollgate::enforce
