// Store contract, part 2: applications, subscriptions, API keys and users.
// Written against Store& only, so that every backend runs it unchanged.
#include "store/store_contract_test.h"
#include "store/store_test_data.h"

namespace tollgate::store {
namespace {

using namespace testdata;  // NOLINT(google-build-using-namespace)

TEST_P(StoreContractTest, ApplicationReadsBackAndUpdatesNameAndDescription) {
  Application app = MakeApp("shop");
  auto created = store().CreateApplication(app);
  ASSERT_TRUE(Succeeds(created));
  EXPECT_EQ(created->name, "shop");
  auto got = store().GetApplication(app.id);
  ASSERT_TRUE(Succeeds(got));
  EXPECT_EQ(got->id, app.id);
  EXPECT_EQ(got->description, app.description);
  EXPECT_EQ(got->owner, "bob");
  EXPECT_EQ(got->created_at, app.created_at);

  Application edit = app;
  edit.name = "store";
  edit.description = "renamed";
  auto updated = store().UpdateApplication(edit);
  ASSERT_TRUE(Succeeds(updated));
  EXPECT_EQ(updated->name, "store");
  EXPECT_EQ(store().GetApplication(app.id)->description, "renamed");
}

TEST_P(StoreContractTest, UnknownApplicationIsNotFound) {
  const auto code = "application_not_found";
  EXPECT_TRUE(FailsWith(store().GetApplication("nope"), ErrorKind::kNotFound, code));
  EXPECT_TRUE(FailsWith(store().UpdateApplication(MakeApp("ghost")), ErrorKind::kNotFound, code));
  EXPECT_TRUE(FailsWith(store().DeleteApplication("nope"), ErrorKind::kNotFound, code));
  EXPECT_TRUE(FailsWith(store().ListSubscriptions("nope", {0, 50}), ErrorKind::kNotFound, code));
  EXPECT_TRUE(FailsWith(store().ListApiKeys("nope"), ErrorKind::kNotFound, code));
  EXPECT_TRUE(FailsWith(store().DeleteSubscription("nope", "s"), ErrorKind::kNotFound, code));
  EXPECT_TRUE(FailsWith(store().DeleteApiKey("nope", "k"), ErrorKind::kNotFound, code));
}

TEST_P(StoreContractTest, ApplicationNameIsUniquePerOwner) {
  ASSERT_TRUE(Succeeds(store().CreateApplication(MakeApp("shop", "bob"))));
  Application twin = MakeApp("shop", "bob");
  twin.id = "another-id";
  EXPECT_TRUE(
      FailsWith(store().CreateApplication(twin), ErrorKind::kConflict, "application_name_taken"));
  ASSERT_TRUE(Succeeds(store().CreateApplication(MakeApp("shop", "carol"))));

  Application other = MakeApp("blog", "bob");
  ASSERT_TRUE(Succeeds(store().CreateApplication(other)));
  other.name = "shop";
  EXPECT_TRUE(
      FailsWith(store().UpdateApplication(other), ErrorKind::kConflict, "application_name_taken"));
  EXPECT_EQ(store().GetApplication(other.id)->name, "blog");
}

TEST_P(StoreContractTest, ListApplicationsFiltersByOwnerAndPages) {
  ASSERT_TRUE(Succeeds(store().CreateApplication(MakeApp("b", "bob", 20))));
  ASSERT_TRUE(Succeeds(store().CreateApplication(MakeApp("a", "bob", 10))));
  ASSERT_TRUE(Succeeds(store().CreateApplication(MakeApp("c", "carol", 15))));

  auto bobs = store().ListApplications("bob", {0, 50});
  ASSERT_TRUE(Succeeds(bobs));
  EXPECT_EQ(bobs->total, 2);
  ASSERT_EQ(bobs->items.size(), 2u);
  EXPECT_EQ(bobs->items[0].name, "a");
  EXPECT_EQ(bobs->items[1].name, "b");

  auto everyone = store().ListApplications("", {1, 1});
  ASSERT_TRUE(Succeeds(everyone));
  EXPECT_EQ(everyone->total, 3);
  ASSERT_EQ(everyone->items.size(), 1u);
  EXPECT_EQ(everyone->items[0].owner, "carol");

  EXPECT_EQ(store().ListApplications("nobody", {0, 50})->total, 0);
}

TEST_P(StoreContractTest, DeleteApplicationTakesItsKeysAndSubscriptions) {
  Api api = MakeApi("petstore");
  Application app = MakeApp("shop");
  Application keep = MakeApp("blog");
  ASSERT_TRUE(Succeeds(store().CreateApi(api)));
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  ASSERT_TRUE(Succeeds(store().CreateApplication(keep)));
  ASSERT_TRUE(Succeeds(store().CreateSubscription(MakeSub(app, api))));
  ASSERT_TRUE(Succeeds(store().CreateSubscription(MakeSub(keep, api))));
  ApiKey key = MakeKey(app, "ci");
  ASSERT_TRUE(Succeeds(store().CreateApiKey(key)));
  ASSERT_TRUE(Succeeds(store().CreateApiKey(MakeKey(keep, "prod"))));

  ASSERT_TRUE(Succeeds(store().DeleteApplication(app.id)));
  auto snap = store().LoadSnapshotData();
  ASSERT_TRUE(Succeeds(snap));
  ASSERT_EQ(snap->subscriptions.size(), 1u);
  EXPECT_EQ(snap->subscriptions[0].application_id, keep.id);
  ASSERT_EQ(snap->api_keys.size(), 1u);
  EXPECT_EQ(snap->api_keys[0].application_id, keep.id);
  EXPECT_TRUE(Succeeds(store().GetApi(api.id)));
  // The deleted key's hash is free again.
  key.application_id = keep.id;
  EXPECT_TRUE(Succeeds(store().CreateApiKey(key)));
}

TEST_P(StoreContractTest, SubscriptionsAreCreatedListedAndDeleted) {
  Api pets = MakeApi("petstore");
  Api zoo = MakeApi("zoo");
  Application app = MakeApp("shop");
  ASSERT_TRUE(Succeeds(store().CreateApi(pets)));
  ASSERT_TRUE(Succeeds(store().CreateApi(zoo)));
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  Subscription first = MakeSub(app, pets, 20);
  first.status = SubscriptionStatus::kBlocked;
  ASSERT_TRUE(Succeeds(store().CreateSubscription(first)));
  ASSERT_TRUE(Succeeds(store().CreateSubscription(MakeSub(app, zoo, 10))));

  auto page = store().ListSubscriptions(app.id, {0, 50});
  ASSERT_TRUE(Succeeds(page));
  EXPECT_EQ(page->total, 2);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].api_id, zoo.id);  // created earlier
  EXPECT_EQ(page->items[1].id, first.id);
  EXPECT_EQ(page->items[1].status, SubscriptionStatus::kBlocked);
  EXPECT_EQ(page->items[1].plan, "Gold");
  EXPECT_EQ(page->items[1].created_at, 20);
  EXPECT_EQ(store().ListSubscriptions(app.id, {1, 1})->items[0].id, first.id);

  ASSERT_TRUE(Succeeds(store().DeleteSubscription(app.id, first.id)));
  EXPECT_EQ(store().ListSubscriptions(app.id, {0, 50})->total, 1);
  EXPECT_TRUE(FailsWith(store().DeleteSubscription(app.id, first.id), ErrorKind::kNotFound,
                        "subscription_not_found"));
}

TEST_P(StoreContractTest, SubscriptionRulesAreEnforcedByTheStore) {
  Api api = MakeApi("petstore");
  Application app = MakeApp("shop");
  Application other = MakeApp("blog");
  ASSERT_TRUE(Succeeds(store().CreateApi(api)));
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  ASSERT_TRUE(Succeeds(store().CreateApplication(other)));
  Subscription sub = MakeSub(app, api);
  ASSERT_TRUE(Succeeds(store().CreateSubscription(sub)));

  Subscription again = sub;
  again.id = "another-id";
  EXPECT_TRUE(
      FailsWith(store().CreateSubscription(again), ErrorKind::kConflict, "already_subscribed"));
  Subscription no_app = MakeSub(MakeApp("ghost"), api);
  EXPECT_TRUE(
      FailsWith(store().CreateSubscription(no_app), ErrorKind::kNotFound, "application_not_found"));
  Subscription no_api = MakeSub(app, MakeApi("ghost"));
  EXPECT_TRUE(FailsWith(store().CreateSubscription(no_api), ErrorKind::kNotFound, "api_not_found"));
  // A subscription is addressed through its own application only.
  EXPECT_TRUE(FailsWith(store().DeleteSubscription(other.id, sub.id), ErrorKind::kNotFound,
                        "subscription_not_found"));
  EXPECT_EQ(store().ListSubscriptions(app.id, {0, 50})->total, 1);
}

TEST_P(StoreContractTest, ApiKeysAreCreatedListedAndDeleted) {
  Application app = MakeApp("shop");
  Application other = MakeApp("blog");
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  ASSERT_TRUE(Succeeds(store().CreateApplication(other)));
  ApiKey forever = MakeKey(app, "ci", 20);
  ApiKey expiring = MakeKey(app, "prod", 10);
  expiring.expires_at = 1'900'000'000;
  ASSERT_TRUE(Succeeds(store().CreateApiKey(forever)));
  ASSERT_TRUE(Succeeds(store().CreateApiKey(expiring)));

  auto keys = store().ListApiKeys(app.id);
  ASSERT_TRUE(Succeeds(keys));
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].id, expiring.id);
  EXPECT_EQ((*keys)[0].expires_at, 1'900'000'000);
  EXPECT_EQ((*keys)[0].prefix, expiring.prefix);
  EXPECT_EQ((*keys)[1].hash, forever.hash);
  EXPECT_EQ((*keys)[1].name, "ci");
  EXPECT_FALSE((*keys)[1].expires_at.has_value());
  EXPECT_TRUE(store().ListApiKeys(other.id)->empty());

  EXPECT_TRUE(FailsWith(store().DeleteApiKey(other.id, forever.id), ErrorKind::kNotFound,
                        "api_key_not_found"));
  ASSERT_TRUE(Succeeds(store().DeleteApiKey(app.id, forever.id)));
  EXPECT_EQ(store().ListApiKeys(app.id)->size(), 1u);
  EXPECT_TRUE(FailsWith(store().DeleteApiKey(app.id, forever.id), ErrorKind::kNotFound,
                        "api_key_not_found"));
}

TEST_P(StoreContractTest, ApiKeyHashIsUniqueAndNeedsItsApplication) {
  Application app = MakeApp("shop");
  Application other = MakeApp("blog");
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  ASSERT_TRUE(Succeeds(store().CreateApplication(other)));
  ApiKey key = MakeKey(app, "ci");
  ASSERT_TRUE(Succeeds(store().CreateApiKey(key)));
  ApiKey same_hash = MakeKey(other, "other");
  same_hash.hash = key.hash;
  EXPECT_TRUE(FailsWith(store().CreateApiKey(same_hash), ErrorKind::kConflict, "api_key_taken"));
  ApiKey orphan = MakeKey(MakeApp("ghost"), "x");
  EXPECT_TRUE(
      FailsWith(store().CreateApiKey(orphan), ErrorKind::kNotFound, "application_not_found"));
  EXPECT_TRUE(store().ListApiKeys(other.id)->empty());
}

TEST_P(StoreContractTest, UsersAreUniqueByNameAndCounted) {
  EXPECT_EQ(*store().CountUsers(), 0);
  User admin = MakeUser("admin", Role::kAdmin);
  ASSERT_TRUE(Succeeds(store().CreateUser(admin)));
  ASSERT_TRUE(Succeeds(store().CreateUser(MakeUser("pub", Role::kPublisher))));
  User twin = MakeUser("admin");
  twin.id = "another-id";
  EXPECT_TRUE(FailsWith(store().CreateUser(twin), ErrorKind::kConflict, "user_name_taken"));
  EXPECT_EQ(*store().CountUsers(), 2);

  auto got = store().GetUserByName("admin");
  ASSERT_TRUE(Succeeds(got));
  EXPECT_EQ(got->id, admin.id);
  EXPECT_EQ(got->role, Role::kAdmin);
  EXPECT_EQ(got->password_hash, admin.password_hash);
  EXPECT_EQ(got->created_at, admin.created_at);
  EXPECT_EQ(store().GetUserByName("pub")->role, Role::kPublisher);
  EXPECT_TRUE(FailsWith(store().GetUserByName("nobody"), ErrorKind::kNotFound, "user_not_found"));
}

}  // namespace
}  // namespace tollgate::store
