// Store contract: the management plane's portal data — API catalog fields and default versions,
// deprecation instants, new versions with documents, the catalog, documents, approval plans,
// subscription status changes, application blocking and API key restrictions.
#include <algorithm>

#include "store/store_contract_test.h"
#include "store/store_test_data.h"

namespace tollgate::store {
namespace {

using namespace testdata;  // NOLINT(google-build-using-namespace)

Api Versioned(const std::string& name, const std::string& version, bool is_default) {
  Api api = MakeApi(name);
  api.id = "api-" + name + "-" + version;
  api.version = version;
  api.context = "/" + name + "/" + version;
  api.is_default_version = is_default;
  return api;
}

ApiDocument MakeDoc(const std::string& api_id, const std::string& name, int64_t at = 100) {
  return ApiDocument{"doc-" + api_id + "-" + name, api_id, name, "markdown", "# " + name, at, at};
}

TEST_P(StoreContractTest, PortalFieldsOfAnApiReadBackAndUpdate) {
  Api api = MakeApi("petstore");
  api.tags = {"pets", "Animals & more"};
  api.is_default_version = true;
  api.sunset_at = 9000;
  api.audience = "https://api.example.com";
  api.backend_jwt_header = "x-jwt-assertion";
  ASSERT_TRUE(Succeeds(store().CreateApi(api)));
  auto got = store().GetApi(api.id);
  ASSERT_TRUE(Succeeds(got));
  EXPECT_EQ(got->tags, api.tags);
  EXPECT_TRUE(got->is_default_version);
  EXPECT_FALSE(got->deprecated_at.has_value());
  EXPECT_EQ(got->sunset_at, std::optional<int64_t>(9000));
  EXPECT_EQ(got->audience, api.audience);
  EXPECT_EQ(got->backend_jwt_header, api.backend_jwt_header);

  api.tags = {};
  api.sunset_at.reset();
  api.audience = "";
  api.backend_jwt_header = "";
  api.is_default_version = false;
  auto updated = store().UpdateApi(api);
  ASSERT_TRUE(Succeeds(updated));
  EXPECT_TRUE(updated->tags.empty());
  EXPECT_FALSE(updated->sunset_at.has_value());
  EXPECT_FALSE(updated->is_default_version);
  EXPECT_EQ(updated->audience, "");
}

TEST_P(StoreContractTest, SettingADefaultVersionMovesTheDefaultFromTheOthersOfThatName) {
  ASSERT_TRUE(Succeeds(store().CreateApi(Versioned("petstore", "v1", true))));
  ASSERT_TRUE(Succeeds(store().CreateApi(Versioned("other", "v1", true))));
  ASSERT_TRUE(Succeeds(store().CreateApi(Versioned("petstore", "v2", true))));
  EXPECT_FALSE(store().GetApi("api-petstore-v1")->is_default_version);
  EXPECT_TRUE(store().GetApi("api-petstore-v2")->is_default_version);
  EXPECT_TRUE(store().GetApi("api-other-v1")->is_default_version) << "another name keeps its own";

  Api v1 = *store().GetApi("api-petstore-v1");
  v1.is_default_version = true;
  ASSERT_TRUE(Succeeds(store().UpdateApi(v1)));
  EXPECT_TRUE(store().GetApi("api-petstore-v1")->is_default_version);
  EXPECT_FALSE(store().GetApi("api-petstore-v2")->is_default_version);
}

TEST_P(StoreContractTest, DeprecationInstantsFollowTheLifecycle) {
  Api api = MakeApi("petstore");
  ASSERT_TRUE(Succeeds(store().CreateApi(api)));
  ASSERT_TRUE(Succeeds(store().TransitionApi(
      {api.id, Lifecycle::kCreated, Lifecycle::kPublished, "alice", 1100})));
  auto deprecated = store().DeprecateApi(
      {api.id, Lifecycle::kPublished, Lifecycle::kDeprecated, "alice", 1200}, 1150, 5000);
  ASSERT_TRUE(Succeeds(deprecated));
  EXPECT_EQ(deprecated->lifecycle, Lifecycle::kDeprecated);
  EXPECT_EQ(deprecated->deprecated_at, std::optional<int64_t>(1150));
  EXPECT_EQ(deprecated->sunset_at, std::optional<int64_t>(5000));
  EXPECT_EQ(store().ListLifecycleEvents(api.id)->size(), 2u) << "the deprecation is recorded";

  // A PUT keeps the lifecycle-owned deprecated_at.
  Api draft = *deprecated;
  draft.deprecated_at.reset();
  EXPECT_EQ(store().UpdateApi(draft)->deprecated_at, std::optional<int64_t>(1150));

  auto undone = store().TransitionApi(
      {api.id, Lifecycle::kDeprecated, Lifecycle::kPublished, "alice", 1300});
  ASSERT_TRUE(Succeeds(undone));
  EXPECT_FALSE(undone->deprecated_at.has_value());
  EXPECT_FALSE(undone->sunset_at.has_value());

  auto plain = store().TransitionApi(
      {api.id, Lifecycle::kPublished, Lifecycle::kDeprecated, "alice", 1400});
  ASSERT_TRUE(Succeeds(plain));
  EXPECT_EQ(plain->deprecated_at, std::optional<int64_t>(1400)) << "defaults to the event time";

  EXPECT_TRUE(FailsWith(store().DeprecateApi({api.id, Lifecycle::kPublished,
                                              Lifecycle::kDeprecated, "alice", 1500},
                                             1500, std::nullopt),
                        ErrorKind::kConflict, "lifecycle_changed"));
}

TEST_P(StoreContractTest, NewVersionIsCreatedWithItsDocumentsInOneWrite) {
  Api v1 = Versioned("petstore", "v1", false);
  ASSERT_TRUE(Succeeds(store().CreateApi(v1)));
  Api v2 = Versioned("petstore", "v2", true);
  const int64_t before = *store().Revision();
  auto created = store().CreateApiVersion(v2, {MakeDoc(v2.id, "Guide"), MakeDoc(v2.id, "FAQ")});
  ASSERT_TRUE(Succeeds(created));
  EXPECT_EQ(*store().Revision(), before + 1);
  auto docs = store().ListDocuments(v2.id, {0, 10});
  ASSERT_TRUE(Succeeds(docs));
  EXPECT_EQ(docs->total, 2);

  // Taken name + version: nothing is written, not even the documents.
  Api again = Versioned("petstore", "v2", false);
  again.id = "api-other-id";
  again.context = "/petstore/v2b";
  EXPECT_TRUE(FailsWith(store().CreateApiVersion(again, {MakeDoc(again.id, "Guide")}),
                        ErrorKind::kConflict, "api_name_version_taken"));
  EXPECT_TRUE(FailsWith(store().GetApi("api-other-id"), ErrorKind::kNotFound, "api_not_found"));
  // Two documents with one name: the whole write is refused.
  Api v3 = Versioned("petstore", "v3", false);
  EXPECT_TRUE(FailsWith(store().CreateApiVersion(v3, {MakeDoc(v3.id, "A"), MakeDoc(v3.id, "A")}),
                        ErrorKind::kConflict, "document_name_taken"));
  EXPECT_TRUE(FailsWith(store().GetApi(v3.id), ErrorKind::kNotFound, "api_not_found"));
}

TEST_P(StoreContractTest, DocumentsAreCreatedListedUpdatedAndDeletedPerApi) {
  Api api = MakeApi("petstore");
  Api other = MakeApi("other");
  ASSERT_TRUE(Succeeds(store().CreateApi(api)));
  ASSERT_TRUE(Succeeds(store().CreateApi(other)));
  ApiDocument guide = MakeDoc(api.id, "Guide", 100);
  ApiDocument link{"doc-link", api.id, "Spec", "url", "https://example.com/spec", 200, 200};
  ASSERT_TRUE(Succeeds(store().CreateDocument(guide)));
  ASSERT_TRUE(Succeeds(store().CreateDocument(link)));
  EXPECT_TRUE(FailsWith(store().CreateDocument(MakeDoc(api.id, "Guide", 300)),
                        ErrorKind::kConflict, "document_name_taken"));
  ApiDocument orphan = MakeDoc("api-nope", "Guide");
  EXPECT_TRUE(FailsWith(store().CreateDocument(orphan), ErrorKind::kNotFound, "api_not_found"));

  auto page = store().ListDocuments(api.id, {1, 1});
  ASSERT_TRUE(Succeeds(page));
  EXPECT_EQ(page->total, 2);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].id, "doc-link");
  EXPECT_TRUE(FailsWith(store().ListDocuments("api-nope", {0, 10}), ErrorKind::kNotFound,
                        "api_not_found"));

  EXPECT_TRUE(FailsWith(store().GetDocument(other.id, guide.id), ErrorKind::kNotFound,
                        "document_not_found"))
      << "a document is reached only through its own API";
  guide.content = "# Guide, second edition";
  guide.updated_at = 400;
  auto updated = store().UpdateDocument(guide);
  ASSERT_TRUE(Succeeds(updated));
  EXPECT_EQ(updated->content, guide.content);
  EXPECT_EQ(updated->created_at, 100);
  EXPECT_EQ(updated->updated_at, 400);
  guide.name = "Spec";
  EXPECT_TRUE(FailsWith(store().UpdateDocument(guide), ErrorKind::kConflict, "document_name_taken"));

  ASSERT_TRUE(Succeeds(store().DeleteDocument(api.id, link.id)));
  EXPECT_TRUE(FailsWith(store().DeleteDocument(api.id, link.id), ErrorKind::kNotFound,
                        "document_not_found"));
  ASSERT_TRUE(Succeeds(store().DeleteApi(api.id)));
  EXPECT_TRUE(FailsWith(store().GetDocument(api.id, guide.id), ErrorKind::kNotFound,
                        "api_not_found"));
}

TEST_P(StoreContractTest, CatalogListsOnlyPublishedAndDeprecatedApisMatchingTheQuery) {
  struct Row {
    const char* name;
    Lifecycle to;
    std::vector<std::string> tags;
    const char* description;
  };
  for (const Row& row : {Row{"petstore", Lifecycle::kPublished, {"Pets", "demo"}, "Cats and dogs"},
                         Row{"weather", Lifecycle::kDeprecated, {"climate"}, "Forecasts"},
                         Row{"draft", Lifecycle::kCreated, {"pets"}, "Not yet"},
                         Row{"blocked", Lifecycle::kBlocked, {"pets"}, "Blocked"},
                         Row{"zoo", Lifecycle::kPublished, {"petshop"}, "Animals"}}) {
    Api api = MakeApi(row.name);
    api.tags = row.tags;
    api.description = row.description;
    ASSERT_TRUE(Succeeds(store().CreateApi(api)));
    std::vector<Lifecycle> path = {Lifecycle::kCreated};
    if (row.to != Lifecycle::kCreated) path.push_back(Lifecycle::kPublished);
    if (row.to == Lifecycle::kDeprecated || row.to == Lifecycle::kBlocked) path.push_back(row.to);
    for (size_t i = 1; i < path.size(); ++i) {
      ASSERT_TRUE(Succeeds(store().TransitionApi({api.id, path[i - 1], path[i], "alice", 1100})));
    }
    ASSERT_EQ(store().GetApi(api.id)->lifecycle, row.to);
  }
  auto names = [&](const Store::CatalogQuery& q, PageRequest page = {0, 50}) {
    std::vector<std::string> out;
    auto result = store().ListCatalogApis(q, page);
    EXPECT_TRUE(Succeeds(result));
    if (result.ok()) {
      for (const Api& api : result->items) out.push_back(api.name);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names({}), (V{"petstore", "weather", "zoo"}));
  EXPECT_EQ(names({"PET", ""}), (V{"petstore", "zoo"})) << "name or tag, any case";
  EXPECT_EQ(names({"forecast", ""}), (V{"weather"})) << "description";
  EXPECT_EQ(names({"", "pets"}), (V{"petstore"})) << "a tag filter matches whole tags";
  EXPECT_EQ(names({"nothing", ""}), V{});
  auto page = store().ListCatalogApis({}, {1, 1});
  ASSERT_TRUE(Succeeds(page));
  EXPECT_EQ(page->total, 3);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].name, "weather");
  EXPECT_EQ(page->items[0].resources.size(), 2u) << "catalog APIs come whole";
}

TEST_P(StoreContractTest, ApprovalPlanPendingSubscriptionsAndStatusChanges) {
  Plan gated = MakePlan("Gated");
  gated.requires_approval = true;
  ASSERT_TRUE(Succeeds(store().CreatePlan(gated)));
  EXPECT_TRUE(store().GetPlan(gated.id)->requires_approval);
  gated.requires_approval = false;
  EXPECT_FALSE(store().UpdatePlan(gated)->requires_approval);

  Api mine = MakeApi("mine");
  Api theirs = MakeApi("theirs");
  theirs.created_by = "carol";
  Application app = MakeApp("shop");
  for (const Api& api : {mine, theirs}) ASSERT_TRUE(Succeeds(store().CreateApi(api)));
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  Subscription pending = MakeSub(app, mine, 3000);
  pending.status = SubscriptionStatus::kPending;
  Subscription active = MakeSub(app, theirs, 3100);
  ASSERT_TRUE(Succeeds(store().CreateSubscription(pending)));
  ASSERT_TRUE(Succeeds(store().CreateSubscription(active)));

  EXPECT_EQ(store().GetSubscription(pending.id)->status, SubscriptionStatus::kPending);
  EXPECT_TRUE(FailsWith(store().GetSubscription("sub-nope"), ErrorKind::kNotFound,
                        "subscription_not_found"));
  auto all = store().FindSubscriptions({}, {0, 10});
  ASSERT_TRUE(Succeeds(all));
  EXPECT_EQ(all->total, 2);
  auto waiting = store().FindSubscriptions({SubscriptionStatus::kPending, ""}, {0, 10});
  ASSERT_TRUE(Succeeds(waiting));
  ASSERT_EQ(waiting->total, 1);
  EXPECT_EQ(waiting->items[0].id, pending.id);
  auto carols = store().FindSubscriptions({std::nullopt, "carol"}, {0, 10});
  ASSERT_TRUE(Succeeds(carols));
  ASSERT_EQ(carols->total, 1);
  EXPECT_EQ(carols->items[0].id, active.id);

  auto approved =
      store().SetSubscriptionStatus(pending.id, SubscriptionStatus::kPending,
                                    SubscriptionStatus::kActive);
  ASSERT_TRUE(Succeeds(approved));
  EXPECT_EQ(approved->status, SubscriptionStatus::kActive);
  EXPECT_TRUE(FailsWith(store().SetSubscriptionStatus(pending.id, SubscriptionStatus::kPending,
                                                      SubscriptionStatus::kActive),
                        ErrorKind::kConflict, "subscription_status_changed"));
  EXPECT_TRUE(FailsWith(store().SetSubscriptionStatus("sub-nope", SubscriptionStatus::kActive,
                                                      SubscriptionStatus::kBlocked),
                        ErrorKind::kNotFound, "subscription_not_found"));
  auto snapshot = store().LoadSnapshotData();
  ASSERT_TRUE(Succeeds(snapshot));
  EXPECT_TRUE(std::all_of(snapshot->subscriptions.begin(), snapshot->subscriptions.end(),
                          [](const Subscription& s) {
                            return s.status == SubscriptionStatus::kActive;
                          }));
}

TEST_P(StoreContractTest, ApplicationBlockingIsKeptByUpdatesAndSeenByTheSnapshot) {
  Application app = MakeApp("shop");
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  EXPECT_FALSE(store().GetApplication(app.id)->blocked);
  const int64_t before = *store().Revision();
  auto blocked = store().SetApplicationBlocked(app.id, true);
  ASSERT_TRUE(Succeeds(blocked));
  EXPECT_TRUE(blocked->blocked);
  EXPECT_GT(*store().Revision(), before);
  app.description = "renamed";
  EXPECT_TRUE(store().UpdateApplication(app)->blocked) << "UpdateApplication keeps blocked";
  auto snapshot = store().LoadSnapshotData();
  ASSERT_TRUE(Succeeds(snapshot));
  ASSERT_EQ(snapshot->applications.size(), 1u);
  EXPECT_TRUE(snapshot->applications[0].blocked);
  EXPECT_FALSE(store().SetApplicationBlocked(app.id, false)->blocked);
  EXPECT_TRUE(FailsWith(store().SetApplicationBlocked("app-nope", true), ErrorKind::kNotFound,
                        "application_not_found"));
}

TEST_P(StoreContractTest, ApiKeyRestrictionsReadBackAndReachTheSnapshot) {
  Application app = MakeApp("shop");
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  ApiKey key = MakeKey(app, "restricted");
  key.allowed_ips = {"10.0.0.0/8", "2001:db8::/32", "192.0.2.7"};
  key.allowed_referrers = {"https://*.example.com/*"};
  key.api_ids = {"api-a", "api-b"};
  ASSERT_TRUE(Succeeds(store().CreateApiKey(key)));
  auto keys = store().ListApiKeys(app.id);
  ASSERT_TRUE(Succeeds(keys));
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].allowed_ips, key.allowed_ips);
  EXPECT_EQ((*keys)[0].allowed_referrers, key.allowed_referrers);
  EXPECT_EQ((*keys)[0].api_ids, key.api_ids);

  Api api = MakeApi("petstore");
  api.tags = {"pets"};
  api.audience = "aud";
  ASSERT_TRUE(Succeeds(store().CreateApi(api)));
  auto snapshot = store().LoadSnapshotData();
  ASSERT_TRUE(Succeeds(snapshot));
  ASSERT_EQ(snapshot->api_keys.size(), 1u);
  EXPECT_EQ(snapshot->api_keys[0].allowed_ips, key.allowed_ips);
  EXPECT_EQ(snapshot->api_keys[0].api_ids, key.api_ids);
  ASSERT_EQ(snapshot->apis.size(), 1u);
  EXPECT_EQ(snapshot->apis[0].tags, api.tags);
  EXPECT_EQ(snapshot->apis[0].audience, "aud");
}

}  // namespace
}  // namespace tollgate::store
