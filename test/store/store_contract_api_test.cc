// Store contract, part 1: APIs, lifecycle transitions, revision, snapshot, restart and sharing.
// Written against Store& only, so that every backend runs it unchanged.
#include <thread>

#include "store/store_contract_test.h"
#include "store/store_test_data.h"

namespace tollgate::store {
namespace {

using namespace testdata;  // NOLINT(google-build-using-namespace)

TEST_P(StoreContractTest, CreatedApiReadsBackWithEveryField) {
  Api api = MakeApi("petstore");
  api.virtual_host = "api.example.com";
  api.api_key_header = "x-key";
  auto created = store().CreateApi(api);
  ASSERT_TRUE(Succeeds(created));
  ExpectSameApi(api, *created);
  auto got = store().GetApi(api.id);
  ASSERT_TRUE(Succeeds(got));
  ExpectSameApi(api, *got);
}

TEST_P(StoreContractTest, UnknownApiIsNotFound) {
  EXPECT_TRUE(FailsWith(store().GetApi("nope"), ErrorKind::kNotFound, "api_not_found"));
  EXPECT_TRUE(FailsWith(store().DeleteApi("nope"), ErrorKind::kNotFound, "api_not_found"));
  Api ghost = MakeApi("ghost");
  EXPECT_TRUE(FailsWith(store().UpdateApi(ghost), ErrorKind::kNotFound, "api_not_found"));
  EXPECT_TRUE(
      FailsWith(store().ListLifecycleEvents("nope"), ErrorKind::kNotFound, "api_not_found"));
}

TEST_P(StoreContractTest, NameAndVersionAreUnique) {
  ASSERT_TRUE(Succeeds(store().CreateApi(MakeApi("petstore"))));
  Api twin = MakeApi("other");
  twin.name = "petstore";
  EXPECT_TRUE(FailsWith(store().CreateApi(twin), ErrorKind::kConflict, "api_name_version_taken"));
  twin.version = "v2";
  EXPECT_TRUE(Succeeds(store().CreateApi(twin)));
}

TEST_P(StoreContractTest, ContextIsUniquePerVirtualHost) {
  Api first = MakeApi("petstore");
  ASSERT_TRUE(Succeeds(store().CreateApi(first)));
  Api same_context = MakeApi("zoo");
  same_context.context = first.context;
  EXPECT_TRUE(
      FailsWith(store().CreateApi(same_context), ErrorKind::kConflict, "api_context_taken"));
  same_context.virtual_host = "zoo.example.com";  // another host may reuse the context
  ASSERT_TRUE(Succeeds(store().CreateApi(same_context)));
  Api same_host = MakeApi("farm");
  same_host.context = first.context;
  same_host.virtual_host = "zoo.example.com";
  EXPECT_TRUE(FailsWith(store().CreateApi(same_host), ErrorKind::kConflict, "api_context_taken"));
}

TEST_P(StoreContractTest, ListApisPagesInCreationOrder) {
  // Created out of order; equal created_at falls back to id order.
  ASSERT_TRUE(Succeeds(store().CreateApi(MakeApi("c", 30))));
  ASSERT_TRUE(Succeeds(store().CreateApi(MakeApi("b", 10))));
  ASSERT_TRUE(Succeeds(store().CreateApi(MakeApi("a", 30))));
  ASSERT_TRUE(Succeeds(store().CreateApi(MakeApi("d", 20))));
  auto all = store().ListApis({0, 50});
  ASSERT_TRUE(Succeeds(all));
  EXPECT_EQ(all->total, 4);
  std::vector<std::string> names;
  for (const auto& api : all->items) names.push_back(api.name);
  EXPECT_EQ(names, (std::vector<std::string>{"b", "d", "a", "c"}));
  EXPECT_EQ(all->items[0].resources.size(), 2u);  // list items are whole APIs

  auto page = store().ListApis({1, 2});
  ASSERT_TRUE(Succeeds(page));
  EXPECT_EQ(page->total, 4);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].name, "d");
  EXPECT_EQ(page->items[1].name, "a");
  auto past_end = store().ListApis({10, 5});
  ASSERT_TRUE(Succeeds(past_end));
  EXPECT_TRUE(past_end->items.empty());
  EXPECT_EQ(past_end->total, 4);
}

TEST_P(StoreContractTest, UpdateApiReplacesContentButKeepsLifecycleAndAuthorship) {
  Api api = MakeApi("petstore", 100);
  ASSERT_TRUE(Succeeds(store().CreateApi(api)));
  ASSERT_TRUE(Succeeds(
      store().TransitionApi({api.id, Lifecycle::kCreated, Lifecycle::kPublished, "alice", 150})));
  ASSERT_TRUE(Succeeds(store().CreatePlan(MakePlan("Bronze"))));

  Api edit = api;
  edit.description = "new";
  edit.upstream = "http://petstore-v2:8080";
  edit.resources = {Resource{"DELETE", "/pets/{id}", AuthType::kApiKey, {"pets:admin"}, ""}};
  edit.plans = {"Bronze"};
  edit.lifecycle = Lifecycle::kBlocked;  // ignored
  edit.created_by = "mallory";           // ignored
  edit.created_at = 1;                   // ignored
  edit.updated_at = 200;
  auto updated = store().UpdateApi(edit);
  ASSERT_TRUE(Succeeds(updated));

  Api want = edit;
  want.lifecycle = Lifecycle::kPublished;
  want.created_by = "alice";
  want.created_at = 100;
  ExpectSameApi(want, *updated);
  ExpectSameApi(want, *store().GetApi(api.id));
}

TEST_P(StoreContractTest, UpdateApiIntoTakenNameChangesNothing) {
  ASSERT_TRUE(Succeeds(store().CreateApi(MakeApi("petstore"))));
  Api zoo = MakeApi("zoo");
  ASSERT_TRUE(Succeeds(store().CreateApi(zoo)));
  const int64_t before = *store().Revision();

  Api edit = zoo;
  edit.name = "petstore";
  edit.resources.clear();
  EXPECT_TRUE(FailsWith(store().UpdateApi(edit), ErrorKind::kConflict, "api_name_version_taken"));
  edit = zoo;
  edit.context = "/petstore/v1";
  EXPECT_TRUE(FailsWith(store().UpdateApi(edit), ErrorKind::kConflict, "api_context_taken"));

  ExpectSameApi(zoo, *store().GetApi(zoo.id));  // resources were not dropped
  EXPECT_EQ(*store().Revision(), before);
}

TEST_P(StoreContractTest, DeleteApiTakesItsSubscriptionsAndHistory) {
  Api api = MakeApi("petstore");
  Api other = MakeApi("zoo");
  Application app = MakeApp("shop");
  ASSERT_TRUE(Succeeds(store().CreateApi(api)));
  ASSERT_TRUE(Succeeds(store().CreateApi(other)));
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  ASSERT_TRUE(Succeeds(store().CreateSubscription(MakeSub(app, api))));
  ASSERT_TRUE(Succeeds(store().CreateSubscription(MakeSub(app, other))));
  ASSERT_TRUE(Succeeds(
      store().TransitionApi({api.id, Lifecycle::kCreated, Lifecycle::kPublished, "alice", 5})));

  ASSERT_TRUE(Succeeds(store().DeleteApi(api.id)));
  EXPECT_TRUE(FailsWith(store().GetApi(api.id), ErrorKind::kNotFound, "api_not_found"));
  auto subs = store().ListSubscriptions(app.id, {0, 50});
  ASSERT_TRUE(Succeeds(subs));
  ASSERT_EQ(subs->total, 1);
  EXPECT_EQ(subs->items[0].api_id, other.id);
  // A new API under the same id starts with no history.
  ASSERT_TRUE(Succeeds(store().CreateApi(api)));
  EXPECT_TRUE(store().ListLifecycleEvents(api.id)->empty());
  EXPECT_TRUE(Succeeds(store().GetApplication(app.id)));
}

TEST_P(StoreContractTest, TransitionAppliesOnlyFromTheExpectedStateAndIsRecorded) {
  Api api = MakeApi("petstore");
  ASSERT_TRUE(Succeeds(store().CreateApi(api)));
  auto published =
      store().TransitionApi({api.id, Lifecycle::kCreated, Lifecycle::kPublished, "alice", 1234});
  ASSERT_TRUE(Succeeds(published));
  EXPECT_EQ(published->lifecycle, Lifecycle::kPublished);
  EXPECT_EQ(published->updated_at, 1234);

  const int64_t before = *store().Revision();
  // Someone decided from a stale read: the API is no longer CREATED.
  EXPECT_TRUE(FailsWith(
      store().TransitionApi({api.id, Lifecycle::kCreated, Lifecycle::kRetired, "bob", 1300}),
      ErrorKind::kConflict, "lifecycle_changed"));
  EXPECT_EQ(store().GetApi(api.id)->lifecycle, Lifecycle::kPublished);
  EXPECT_EQ(*store().Revision(), before);
  EXPECT_TRUE(FailsWith(
      store().TransitionApi({"nope", Lifecycle::kCreated, Lifecycle::kPublished, "bob", 1300}),
      ErrorKind::kNotFound, "api_not_found"));

  ASSERT_TRUE(Succeeds(store().TransitionApi(
      {api.id, Lifecycle::kPublished, Lifecycle::kDeprecated, "carol", 1400})));
  auto events = store().ListLifecycleEvents(api.id);
  ASSERT_TRUE(Succeeds(events));
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].from, Lifecycle::kCreated);
  EXPECT_EQ((*events)[0].to, Lifecycle::kPublished);
  EXPECT_EQ((*events)[0].actor, "alice");
  EXPECT_EQ((*events)[0].at, 1234);
  EXPECT_EQ((*events)[1].to, Lifecycle::kDeprecated);
  EXPECT_EQ((*events)[1].actor, "carol");
  EXPECT_EQ((*events)[1].api_id, api.id);
}

TEST_P(StoreContractTest, RevisionGrowsWithEveryWriteAndOnlyThen) {
  auto last = store().Revision();
  ASSERT_TRUE(Succeeds(last));
  int64_t revision = *last;
  auto expect_bumped = [&](const char* what) {
    const int64_t now = *store().Revision();
    EXPECT_GT(now, revision) << what;
    revision = now;
  };
  auto expect_same = [&](const char* what) { EXPECT_EQ(*store().Revision(), revision) << what; };

  Api api = MakeApi("petstore");
  Application app = MakeApp("shop");
  ASSERT_TRUE(Succeeds(store().CreateApi(api)));
  expect_bumped("CreateApi");
  ASSERT_TRUE(Succeeds(store().UpdateApi(api)));
  expect_bumped("UpdateApi");
  ASSERT_TRUE(Succeeds(
      store().TransitionApi({api.id, Lifecycle::kCreated, Lifecycle::kPublished, "alice", 5})));
  expect_bumped("TransitionApi");
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  expect_bumped("CreateApplication");
  ASSERT_TRUE(Succeeds(store().UpdateApplication(app)));
  expect_bumped("UpdateApplication");
  Subscription sub = MakeSub(app, api);
  ASSERT_TRUE(Succeeds(store().CreateSubscription(sub)));
  expect_bumped("CreateSubscription");
  ApiKey key = MakeKey(app, "ci");
  ASSERT_TRUE(Succeeds(store().CreateApiKey(key)));
  expect_bumped("CreateApiKey");
  ASSERT_TRUE(Succeeds(store().CreateUser(MakeUser("dave"))));
  expect_same("CreateUser: users are not enforcer configuration");

  (void)store().GetApi(api.id);
  (void)store().ListApis({0, 50});
  (void)store().ListLifecycleEvents(api.id);
  (void)store().GetApplication(app.id);
  (void)store().ListApplications("", {0, 50});
  (void)store().ListSubscriptions(app.id, {0, 50});
  (void)store().ListApiKeys(app.id);
  (void)store().GetUserByName("dave");
  (void)store().CountUsers();
  (void)store().LoadSnapshotData();
  expect_same("reads");
  (void)store().CreateApi(api);           // conflict
  (void)store().DeleteApi("nope");        // not found
  (void)store().CreateSubscription(sub);  // conflict
  expect_same("failed writes");

  ASSERT_TRUE(Succeeds(store().DeleteApiKey(app.id, key.id)));
  expect_bumped("DeleteApiKey");
  ASSERT_TRUE(Succeeds(store().DeleteSubscription(app.id, sub.id)));
  expect_bumped("DeleteSubscription");
  ASSERT_TRUE(Succeeds(store().DeleteApplication(app.id)));
  expect_bumped("DeleteApplication");
  ASSERT_TRUE(Succeeds(store().DeleteApi(api.id)));
  expect_bumped("DeleteApi");
}

TEST_P(StoreContractTest, SnapshotHoldsEverythingAtItsRevision) {
  Api api = MakeApi("petstore");
  Application app = MakeApp("shop");
  ASSERT_TRUE(Succeeds(store().CreateApi(api)));
  ASSERT_TRUE(Succeeds(store().CreateApi(MakeApi("zoo"))));
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  ASSERT_TRUE(Succeeds(store().CreateSubscription(MakeSub(app, api))));
  ApiKey key = MakeKey(app, "ci");
  key.expires_at = 99999;
  ASSERT_TRUE(Succeeds(store().CreateApiKey(key)));
  ASSERT_TRUE(Succeeds(store().CreateUser(MakeUser("dave"))));  // users are not in the snapshot

  auto snap = store().LoadSnapshotData();
  ASSERT_TRUE(Succeeds(snap));
  EXPECT_EQ(snap->revision, *store().Revision());
  ASSERT_EQ(snap->apis.size(), 2u);
  ExpectSameApi(api, snap->apis[0]);
  ASSERT_EQ(snap->applications.size(), 1u);
  EXPECT_EQ(snap->applications[0].owner, "bob");
  ASSERT_EQ(snap->subscriptions.size(), 1u);
  EXPECT_EQ(snap->subscriptions[0].plan, "Gold");
  ASSERT_EQ(snap->api_keys.size(), 1u);
  EXPECT_EQ(snap->api_keys[0].hash, key.hash);
  EXPECT_EQ(snap->api_keys[0].expires_at, 99999);
}

TEST_P(StoreContractTest, SnapshotIsConsistentWhileAnotherConnectionWrites) {
  ASSERT_TRUE(Succeeds(store().CreateApplication(MakeApp("shop"))));
  auto writer = backend().Connect();
  ASSERT_NE(writer, nullptr);
  // Each write adds one API and bumps the revision once; a consistent snapshot therefore always
  // has revision - apis.size() equal to what it was before the writes began.
  const int64_t base = *store().Revision();
  std::thread writes([&] {
    for (int i = 0; i < 40; ++i) {
      ASSERT_TRUE(Succeeds(writer->CreateApi(MakeApi("w" + std::to_string(i), i))));
    }
  });
  for (int i = 0; i < 40; ++i) {
    auto snap = store().LoadSnapshotData();
    ASSERT_TRUE(Succeeds(snap));
    EXPECT_EQ(snap->revision - static_cast<int64_t>(snap->apis.size()), base);
  }
  writes.join();
  EXPECT_EQ(store().LoadSnapshotData()->apis.size(), 40u);
}

TEST_P(StoreContractTest, DataSurvivesRestart) {
  Api api = MakeApi("petstore");
  ASSERT_TRUE(Succeeds(store().CreateApi(api)));
  ASSERT_TRUE(Succeeds(store().CreateApplication(MakeApp("shop"))));
  ASSERT_TRUE(Succeeds(store().CreateUser(MakeUser("dave", Role::kAdmin))));
  const int64_t revision = *store().Revision();
  Restart();
  EXPECT_EQ(*store().Revision(), revision);
  ExpectSameApi(api, *store().GetApi(api.id));
  EXPECT_EQ(store().ListApplications("bob", {0, 50})->total, 1);
  EXPECT_EQ(store().GetUserByName("dave")->role, Role::kAdmin);
}

TEST_P(StoreContractTest, ConnectionsSeeEachOthersCommits) {
  auto other = backend().Connect();
  ASSERT_NE(other, nullptr);
  const int64_t before = *other->Revision();
  ASSERT_TRUE(Succeeds(store().CreateApi(MakeApi("petstore"))));
  EXPECT_GT(*other->Revision(), before);
  EXPECT_TRUE(Succeeds(other->GetApi("api-petstore")));
  // And uniqueness holds across them.
  Api twin = MakeApi("zoo");
  twin.name = "petstore";
  EXPECT_TRUE(FailsWith(other->CreateApi(twin), ErrorKind::kConflict, "api_name_version_taken"));
}

TEST_P(StoreContractTest, ConcurrentTransitionsFromTheSameStateOnlyOneWins) {
  Api api = MakeApi("petstore");
  ASSERT_TRUE(Succeeds(store().CreateApi(api)));
  auto other = backend().Connect();
  ASSERT_NE(other, nullptr);
  Result<Api> a = Internal("not run"), b = Internal("not run");
  std::thread t1([&] {
    a = store().TransitionApi({api.id, Lifecycle::kCreated, Lifecycle::kPublished, "x", 1});
  });
  std::thread t2([&] {
    b = other->TransitionApi({api.id, Lifecycle::kCreated, Lifecycle::kBlocked, "y", 1});
  });
  t1.join();
  t2.join();
  EXPECT_NE(a.ok(), b.ok());
  const auto& loser = a.ok() ? b : a;
  EXPECT_TRUE(FailsWith(loser, ErrorKind::kConflict, "lifecycle_changed"));
  EXPECT_EQ(store().ListLifecycleEvents(api.id)->size(), 1u);
}

}  // namespace
}  // namespace tollgate::store
