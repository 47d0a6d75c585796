// The decision engine, case by case, as a gateway's client experiences it.
#include "enforce/decider.h"

#include <gtest/gtest.h>

#include "enforce/fixtures.h"
#include "enforce/response.h"

namespace tollgate::enforce {
namespace {

using testing::kGoodKey;
using testing::kLonelyKey;
using testing::TestHeaders;

constexpr int64_t kNow = 1'800'000'000;

class DeciderTest : public ::testing::Test {
 protected:
  Decision Ask(std::string_view method, std::string_view path, const TestHeaders& headers,
               std::string_view host = "api.example.com") {
    AccessRequest r{method, host, path, &headers};
    return Decide(*snapshot_, r, kNow);
  }
  void Rebuild() { snapshot_ = Snapshot::Build(data_); }

  SnapshotData data_ = testing::PetstoreData();
  std::shared_ptr<const Snapshot> snapshot_ = Snapshot::Build(data_);
};

TEST_F(DeciderTest, ValidKeyIsAllowedWithItsFacts) {
  const Decision d = Ask("GET", "/petstore/v1/pets/7?verbose=1", {{"apikey", kGoodKey}});
  ASSERT_EQ(d.code, DecisionCode::kAllow);
  EXPECT_EQ(d.http_status(), 200);
  EXPECT_EQ(d.api_id, "api-petstore");
  EXPECT_EQ(d.application_id, "app-1");
  EXPECT_EQ(d.application_name, "Mobile");
  EXPECT_EQ(d.subscriber, "alice");
  EXPECT_EQ(d.plan, "Gold");
  EXPECT_EQ(d.credential_header, "apikey");
}

TEST_F(DeciderTest, KeyIsAlsoAcceptedInXApiKey) {
  const Decision d = Ask("GET", "/petstore/v1/pets", {{"x-api-key", kGoodKey}});
  EXPECT_EQ(d.code, DecisionCode::kAllow);
  EXPECT_EQ(d.credential_header, "x-api-key");
}

TEST_F(DeciderTest, ApiCanNameItsOwnKeyHeader) {
  data_.apis[0].api_key_header = "X-Petstore-Key";
  Rebuild();
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"x-petstore-key", kGoodKey}}).code, DecisionCode::kAllow);
  const Decision d = Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}});
  EXPECT_EQ(d.code, DecisionCode::kMissingCredential);
  EXPECT_EQ(d.credential_header, "x-petstore-key");
}

TEST_F(DeciderTest, MissingKeyIs401NamingTheHeader) {
  const Decision d = Ask("GET", "/petstore/v1/pets", {});
  EXPECT_EQ(d.code, DecisionCode::kMissingCredential);
  EXPECT_EQ(d.http_status(), 401);
  EXPECT_EQ(d.credential_header, "apikey");
  EXPECT_NE(WwwAuthenticate(d).find("header=\"apikey\""), std::string::npos);
}

TEST_F(DeciderTest, EmptyKeyCountsAsMissing) {
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"apikey", ""}}).code, DecisionCode::kMissingCredential);
}

TEST_F(DeciderTest, UnknownKeyIs401) {
  const Decision d = Ask("GET", "/petstore/v1/pets", {{"apikey", "tg_wrong"}});
  EXPECT_EQ(d.code, DecisionCode::kInvalidCredential);
  EXPECT_EQ(d.http_status(), 401);
  EXPECT_TRUE(d.application_id.empty());
}

TEST_F(DeciderTest, ExpiredKeyIs401ExactlyAtItsExpiry) {
  data_.api_keys[0].expires_at = kNow + 1;
  Rebuild();
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}}).code, DecisionCode::kAllow);
  data_.api_keys[0].expires_at = kNow;
  Rebuild();
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}}).code, DecisionCode::kExpiredCredential);
}

TEST_F(DeciderTest, UnsubscribedApplicationIs403) {
  const Decision d = Ask("GET", "/petstore/v1/pets", {{"apikey", kLonelyKey}});
  EXPECT_EQ(d.code, DecisionCode::kNotSubscribed);
  EXPECT_EQ(d.http_status(), 403);
  EXPECT_EQ(d.application_id, "app-2");
}

TEST_F(DeciderTest, BlockedSubscriptionIs403) {
  data_.subscriptions[0].status = SubscriptionStatus::kBlocked;
  Rebuild();
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}}).code, DecisionCode::kSubscriptionBlocked);
}

TEST_F(DeciderTest, UnknownResourceIs404) {
  EXPECT_EQ(Ask("GET", "/petstore/v1/owners", {{"apikey", kGoodKey}}).code, DecisionCode::kResourceNotFound);
  EXPECT_EQ(Ask("DELETE", "/petstore/v1/pets/7", {{"apikey", kGoodKey}}).code,
            DecisionCode::kResourceNotFound);
}

TEST_F(DeciderTest, ResourceIsCheckedBeforeTheCredential) {
  // A 404 for a path that does not exist, whatever the key: no need to own a key to learn it.
  EXPECT_EQ(Ask("GET", "/petstore/v1/owners", {}).code, DecisionCode::kResourceNotFound);
}

TEST_F(DeciderTest, UnknownApiIs404) {
  EXPECT_EQ(Ask("GET", "/other/v1/pets", {{"apikey", kGoodKey}}).code, DecisionCode::kApiNotFound);
  EXPECT_EQ(Ask("GET", "/petstore/v10/pets", {{"apikey", kGoodKey}}).code, DecisionCode::kApiNotFound);
  EXPECT_EQ(Ask("GET", "/", {}).code, DecisionCode::kApiNotFound);
}

TEST_F(DeciderTest, OpenResourceNeedsNoKey) {
  const Decision d = Ask("GET", "/petstore/v1/health", {});
  EXPECT_EQ(d.code, DecisionCode::kAllow);
  EXPECT_TRUE(d.application_id.empty());
}

TEST_F(DeciderTest, HeadIsAllowedWhereGetIs) {
  EXPECT_EQ(Ask("HEAD", "/petstore/v1/pets", {{"apikey", kGoodKey}}).code, DecisionCode::kAllow);
}

TEST_F(DeciderTest, WildcardResourceCoversDeepPaths) {
  EXPECT_EQ(Ask("GET", "/petstore/v1/files/a/b/c.txt", {{"apikey", kGoodKey}}).code, DecisionCode::kAllow);
}

TEST_F(DeciderTest, CreatedApiIsInvisible) {
  data_.apis[0].lifecycle = Lifecycle::kCreated;
  Rebuild();
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}}).code, DecisionCode::kApiNotFound);
}

TEST_F(DeciderTest, RetiredApiIs410AndBlockedIs503) {
  data_.apis[0].lifecycle = Lifecycle::kRetired;
  Rebuild();
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}}).http_status(), 410);
  data_.apis[0].lifecycle = Lifecycle::kBlocked;
  Rebuild();
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}}).http_status(), 503);
}

TEST_F(DeciderTest, DeprecatedApiStillTakesTraffic) {
  data_.apis[0].lifecycle = Lifecycle::kDeprecated;
  Rebuild();
  EXPECT_EQ(Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}}).code, DecisionCode::kAllow);
}

TEST_F(DeciderTest, ProblemBodyCarriesTheStableCode) {
  const std::string body = ProblemBody(Ask("GET", "/petstore/v1/pets", {{"apikey", kLonelyKey}}));
  EXPECT_NE(body.find("\"code\":\"not_subscribed\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"status\":403"), std::string::npos) << body;
  EXPECT_EQ(body.find(kLonelyKey), std::string::npos) << "never echo the credential";
}

TEST_F(DeciderTest, UpstreamHeadersNameApplicationApiAndPlan) {
  const Decision d = Ask("GET", "/petstore/v1/pets", {{"apikey", kGoodKey}});
  std::map<std::string, std::string> h;
  for (const HeaderPair& p : UpstreamHeadersFor(d)) h[std::string(p.name)] = std::string(p.value);
  EXPECT_EQ(h["x-tollgate-application"], "app-1");
  EXPECT_EQ(h["x-tollgate-api"], "api-petstore");
  EXPECT_EQ(h["x-tollgate-plan"], "Gold");
  EXPECT_EQ(h["x-tollgate-subscriber"], "alice");
}

}  // namespace
}  // namespace tollgate::enforce
