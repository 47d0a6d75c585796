// The control plane's rules over a real SQLite store in a temporary directory.
#include "control/service.h"

#include <gtest/gtest.h>

#include "control/demo.h"
#include "control/service_fixture.h"
#include "crypto/crypto.h"

namespace tollgate::control {
namespace {

TEST_F(ServiceTest, AdminIsCreatedOnceWithTheGivenPassword) {
  auto first = service_->EnsureAdmin(std::string("s3cret-pass"));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->created);
  EXPECT_TRUE(first->generated_password.empty());
  EXPECT_FALSE(service_->EnsureAdmin(std::string("other"))->created);
  EXPECT_TRUE(service_->Authenticate("admin", "s3cret-pass").ok());
  auto wrong = service_->Authenticate("admin", "other");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().kind, ErrorKind::kUnauthenticated);
  EXPECT_EQ(service_->Authenticate("nobody", "s3cret-pass").error().code, "invalid_login");
}

TEST_F(ServiceTest, GeneratedAdminPasswordWorksAndIsNotStoredInClear) {
  auto boot = service_->EnsureAdmin(std::nullopt);
  ASSERT_TRUE(boot.ok());
  ASSERT_GE(boot->generated_password.size(), 20u);
  EXPECT_TRUE(service_->Authenticate("admin", boot->generated_password).ok());
  auto user = store_->GetUserByName("admin");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->password_hash.rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(user->password_hash.find(boot->generated_password), std::string::npos);
}

TEST_F(ServiceTest, CreatedApiStartsInCreatedAndEveryWriteNotifies) {
  const int before = changes_;
  auto api = service_->CreateApi(admin_, Draft());
  ASSERT_TRUE(api.ok());
  EXPECT_EQ(api->lifecycle, Lifecycle::kCreated);
  EXPECT_EQ(api->created_by, "admin");
  EXPECT_FALSE(api->id.empty());
  EXPECT_EQ(changes_, before + 1);
  EXPECT_FALSE(service_->CreateApi(admin_, Draft("")).ok());
  EXPECT_EQ(changes_, before + 1) << "a refused write changes nothing";
}

TEST_F(ServiceTest, SameContextOrNameVersionIsAConflict) {
  ASSERT_TRUE(service_->CreateApi(admin_, Draft()).ok());
  auto dup = service_->CreateApi(admin_, Draft("Other", "/petstore/v1"));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "api_context_taken");
  auto dup2 = service_->CreateApi(admin_, Draft("Petstore", "/other/v1"));
  ASSERT_FALSE(dup2.ok());
  EXPECT_EQ(dup2.error().code, "api_name_version_taken");
}

TEST_F(ServiceTest, SubscribersCannotManageApis) {
  auto r = service_->CreateApi(alice_, Draft());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kForbidden);
}

TEST_F(ServiceTest, LifecycleTransitionsAreCheckedAndRecorded) {
  auto api = service_->CreateApi(admin_, Draft());
  ASSERT_TRUE(api.ok());
  auto bad = service_->ChangeLifecycle(admin_, api->id, "retire");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "illegal_transition");
  EXPECT_EQ(service_->ChangeLifecycle(admin_, api->id, "explode").error().field, "action");
  clock_.Advance(60);
  ASSERT_TRUE(service_->ChangeLifecycle(admin_, api->id, "publish").ok());
  auto history = service_->LifecycleHistory(admin_, api->id);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].to, Lifecycle::kPublished);
  EXPECT_EQ((*history)[0].actor, "admin");
  EXPECT_EQ((*history)[0].at, clock_.NowSeconds());
}

TEST_F(ServiceTest, SubscriptionNeedsAPublishedApiAndAnOfferedPlan) {
  auto app = service_->CreateApplication(alice_, Application{.name = "Mobile"});
  ASSERT_TRUE(app.ok());
  auto created = service_->CreateApi(admin_, Draft());
  auto early = service_->Subscribe(alice_, app->id, created->id, "");
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code, "api_not_subscribable");
  ASSERT_TRUE(service_->ChangeLifecycle(admin_, created->id, "publish").ok());
  EXPECT_EQ(service_->Subscribe(alice_, app->id, created->id, "Platinum").error().field, "plan");
  auto sub = service_->Subscribe(alice_, app->id, created->id, "");
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->plan, "Gold") << "the first offered plan is the default";
  EXPECT_EQ(service_->Subscribe(alice_, app->id, created->id, "").error().code, "already_subscribed");
  EXPECT_EQ(service_->Subscribe(alice_, app->id, "nope", "").error().field, "apiId");
}

TEST_F(ServiceTest, SubscribersSeeOnlyTheirOwnApplications) {
  auto mine = service_->CreateApplication(alice_, Application{.name = "Mobile"});
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->owner, "alice");
  EXPECT_EQ(service_->GetApplication(bob_, mine->id).error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(service_->CreateApiKey(bob_, mine->id, "", std::nullopt).error().kind, ErrorKind::kNotFound);
  EXPECT_TRUE(service_->GetApplication(admin_, mine->id).ok());
  EXPECT_EQ(service_->ListApplications(bob_, {})->total, 0);
  EXPECT_EQ(service_->ListApplications(alice_, {})->total, 1);
}

TEST_F(ServiceTest, ApiKeyIsShownOnceAndStoredAsItsHash) {
  auto app = service_->CreateApplication(alice_, Application{.name = "Mobile"});
  auto issued = service_->CreateApiKey(alice_, app->id, "ci", std::nullopt);
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(issued->key.rfind("tg_", 0), 0u);
  EXPECT_GE(issued->key.size(), 40u);
  EXPECT_EQ(issued->record.hash, crypto::Sha256Hex(issued->key));
  EXPECT_EQ(issued->key.rfind(issued->record.prefix, 0), 0u);
  auto listed = service_->ListApiKeys(alice_, app->id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].hash.find(issued->key), std::string::npos);
  auto again = service_->CreateApiKey(alice_, app->id, "ci", std::nullopt);
  EXPECT_NE(again->key, issued->key);
  EXPECT_EQ(service_->CreateApiKey(alice_, app->id, "", clock_.NowSeconds()).error().field, "expiresAt");
  ASSERT_TRUE(service_->DeleteApiKey(alice_, app->id, issued->record.id).ok());
  EXPECT_EQ(service_->ListApiKeys(alice_, app->id)->size(), 1u);
}

TEST_F(ServiceTest, DemoSeedIsIdempotentButIssuesAFreshKeyEachTime) {
  auto first = SeedDemo(*service_, admin_, "http://127.0.0.1:9090");
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = SeedDemo(*service_, admin_, "http://127.0.0.1:9090");
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(first->api_id, second->api_id);
  EXPECT_EQ(first->application_id, second->application_id);
  EXPECT_NE(first->key, second->key);
  EXPECT_EQ(service_->GetApi(admin_, first->api_id)->lifecycle, Lifecycle::kPublished);
  EXPECT_EQ(service_->ListSubscriptions(admin_, first->application_id, {})->total, 1);
}

}  // namespace
}  // namespace tollgate::control
