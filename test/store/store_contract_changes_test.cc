// Store contract: LoadSnapshotChanges names what changed after a revision, with the current rows,
// and refuses (patchable = false) whatever an enforcer cannot patch.
#include <algorithm>

#include "store/store_contract_test.h"

namespace tollgate::store {
namespace {

using namespace testdata;

constexpr int64_t kMax = 1000;

template <class T>
bool Has(const std::vector<T>& items, const T& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

TEST_P(StoreContractTest, ChangesAtTheCurrentRevisionAreEmptyAndPatchable) {
  const int64_t now = *store().Revision();
  auto changes = store().LoadSnapshotChanges(now, kMax);
  ASSERT_TRUE(changes.ok()) << changes.error().message;
  EXPECT_TRUE(changes->patchable);
  EXPECT_EQ(changes->since, now);
  EXPECT_EQ(changes->revision, now);
  EXPECT_TRUE(changes->key_hashes.empty());
  EXPECT_TRUE(changes->application_ids.empty());
}

TEST_P(StoreContractTest, ChangesNameKeysCreatedAndDeletedWithTheirCurrentRows) {
  ASSERT_TRUE(store().CreateApi(MakeApi("pets")).ok());
  const Application app = MakeApp("shop");
  ASSERT_TRUE(store().CreateApplication(app).ok());
  const ApiKey kept = MakeKey(app, "kept");
  const ApiKey gone = MakeKey(app, "gone");
  ASSERT_TRUE(store().CreateApiKey(gone).ok());
  const int64_t before = *store().Revision();
  ASSERT_TRUE(store().CreateApiKey(kept).ok());
  ASSERT_TRUE(store().DeleteApiKey(app.id, gone.id).ok());

  auto changes = store().LoadSnapshotChanges(before, kMax);
  ASSERT_TRUE(changes.ok()) << changes.error().message;
  EXPECT_TRUE(changes->patchable);
  EXPECT_EQ(changes->revision, before + 2);
  EXPECT_EQ(changes->key_hashes.size(), 2u);
  EXPECT_TRUE(Has(changes->key_hashes, kept.hash));
  EXPECT_TRUE(Has(changes->key_hashes, gone.hash));
  ASSERT_EQ(changes->api_keys.size(), 1u) << "a deleted key has no row";
  EXPECT_EQ(changes->api_keys[0].id, kept.id);
  EXPECT_EQ(changes->api_keys[0].application_id, app.id);
}

TEST_P(StoreContractTest, ChangesNameSubscriptionsApplicationsAndRevokedTokens) {
  const Api api = MakeApi("pets");
  ASSERT_TRUE(store().CreateApi(api).ok());
  const int64_t before = *store().Revision();
  const Application app = MakeApp("shop");
  ASSERT_TRUE(store().CreateApplication(app).ok());
  auto sub = store().CreateSubscription(MakeSub(app, api));
  ASSERT_TRUE(sub.ok()) << sub.error().message;
  ASSERT_TRUE(store().SetSubscriptionStatus(sub->id, SubscriptionStatus::kActive, SubscriptionStatus::kBlocked).ok());
  ASSERT_TRUE(store().SetApplicationBlocked(app.id, true).ok());
  ASSERT_TRUE(store().RevokeToken(RevokedToken{"jti-1", 4'000'000'000}, 1000).ok());

  auto changes = store().LoadSnapshotChanges(before, kMax);
  ASSERT_TRUE(changes.ok()) << changes.error().message;
  ASSERT_TRUE(changes->patchable);
  EXPECT_EQ(changes->application_ids, std::vector<std::string>{app.id});
  ASSERT_EQ(changes->applications.size(), 1u);
  EXPECT_TRUE(changes->applications[0].blocked);
  ASSERT_EQ(changes->subscription_pairs.size(), 1u);
  EXPECT_EQ(changes->subscription_pairs[0], std::make_pair(app.id, api.id));
  ASSERT_EQ(changes->subscriptions.size(), 1u);
  EXPECT_EQ(changes->subscriptions[0].status, SubscriptionStatus::kBlocked);
  EXPECT_EQ(changes->revoked_jtis, std::vector<std::string>{"jti-1"});
  ASSERT_EQ(changes->revoked_tokens.size(), 1u);

  // Unsubscribing names the pair and leaves no row.
  const int64_t subscribed = *store().Revision();
  ASSERT_TRUE(store().DeleteSubscription(app.id, sub->id).ok());
  changes = store().LoadSnapshotChanges(subscribed, kMax);
  ASSERT_TRUE(changes.ok() && changes->patchable);
  EXPECT_EQ(changes->subscription_pairs.size(), 1u);
  EXPECT_TRUE(changes->subscriptions.empty());
}

TEST_P(StoreContractTest, ChangesToApisAndPlansAreNotPatchableButDeletingAnApplicationIs) {
  const int64_t before = *store().Revision();
  ASSERT_TRUE(store().CreateApi(MakeApi("pets")).ok());
  auto changes = store().LoadSnapshotChanges(before, kMax);
  ASSERT_TRUE(changes.ok());
  EXPECT_FALSE(changes->patchable) << "an API change needs a rebuild";
  EXPECT_EQ(changes->revision, before + 1);

  const int64_t planned = *store().Revision();
  ASSERT_TRUE(store().CreatePlan(MakePlan("Silver")).ok());
  EXPECT_FALSE(store().LoadSnapshotChanges(planned, kMax)->patchable);

  const Application app = MakeApp("shop");
  ASSERT_TRUE(store().CreateApplication(app).ok());
  const ApiKey key = MakeKey(app, "k");
  ASSERT_TRUE(store().CreateApiKey(key).ok());
  const int64_t created = *store().Revision();
  ASSERT_TRUE(store().DeleteApplication(app.id).ok());
  changes = store().LoadSnapshotChanges(created, kMax);
  ASSERT_TRUE(changes.ok());
  ASSERT_TRUE(changes->patchable) << "deleting an application can be patched";
  EXPECT_EQ(changes->application_ids, std::vector<std::string>{app.id});
  EXPECT_TRUE(changes->applications.empty());
  EXPECT_EQ(changes->key_hashes, std::vector<std::string>{key.hash}) << "its keys went with it";
  EXPECT_TRUE(changes->api_keys.empty());
}

TEST_P(StoreContractTest, ChangesNameOAuthClientsAndMeshIdentitiesByWhatTheEnforcerLooksUp) {
  const Application app = MakeApp("shop");
  ASSERT_TRUE(store().CreateApplication(app).ok());
  const int64_t before = *store().Revision();
  ASSERT_TRUE(
      store().CreateOAuthClient({"oc-1", app.id, "tgc_client", std::string(64, 'a'), "ci", 1}).ok());
  ASSERT_TRUE(
      store().CreateMeshIdentity({"mi-1", app.id, "spiffe://cluster.local/ns/a/sa/b", 1}).ok());
  auto changes = store().LoadSnapshotChanges(before, kMax);
  ASSERT_TRUE(changes.ok() && changes->patchable);
  EXPECT_EQ(changes->oauth_client_ids, std::vector<std::string>{"tgc_client"});
  ASSERT_EQ(changes->oauth_clients.size(), 1u);
  EXPECT_EQ(changes->oauth_clients[0].application_id, app.id);
  EXPECT_EQ(changes->mesh_principals,
            std::vector<std::string>{"spiffe://cluster.local/ns/a/sa/b"});
  ASSERT_EQ(changes->mesh_identities.size(), 1u);

  const int64_t added = *store().Revision();
  ASSERT_TRUE(store().DeleteMeshIdentity(app.id, "mi-1").ok());
  changes = store().LoadSnapshotChanges(added, kMax);
  ASSERT_TRUE(changes.ok() && changes->patchable);
  EXPECT_EQ(changes->mesh_principals.size(), 1u);
  EXPECT_TRUE(changes->mesh_identities.empty());
}

TEST_P(StoreContractTest, TooManyChangesOrAnUnknownRevisionAreNotPatchable) {
  const Application app = MakeApp("shop");
  ASSERT_TRUE(store().CreateApplication(app).ok());
  const int64_t before = *store().Revision();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store().CreateApiKey(MakeKey(app, "k" + std::to_string(i))).ok());
  }
  EXPECT_TRUE(store().LoadSnapshotChanges(before, 5)->patchable);
  EXPECT_FALSE(store().LoadSnapshotChanges(before, 4)->patchable);
  EXPECT_FALSE(store().LoadSnapshotChanges(before + 100, kMax)->patchable)
      << "a revision this store never had";
}

TEST_P(StoreContractTest, ChangesMadeThroughAnotherConnectionAreSeen) {
  const Application app = MakeApp("shop");
  ASSERT_TRUE(store().CreateApplication(app).ok());
  const int64_t before = *store().Revision();
  auto other = backend().Connect();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->CreateApiKey(MakeKey(app, "elsewhere")).ok());
  auto changes = store().LoadSnapshotChanges(before, kMax);
  ASSERT_TRUE(changes.ok() && changes->patchable);
  ASSERT_EQ(changes->api_keys.size(), 1u);
  EXPECT_EQ(changes->api_keys[0].name, "elsewhere");
}

}  // namespace
}  // namespace tollgate::store
