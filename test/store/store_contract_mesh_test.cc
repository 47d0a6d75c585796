// Store contract, mesh identities: SPIFFE principals registered as application credentials.
#include "store/store_contract_test.h"
#include "store/store_test_data.h"

namespace tollgate::store {
namespace {

using namespace testdata;  // NOLINT(google-build-using-namespace)

constexpr const char* kCheckout = "spiffe://cluster.local/ns/shop/sa/checkout";

TEST_P(StoreContractTest, MeshIdentityIsListedAndReachesTheSnapshot) {
  const Application app = MakeApp("shop");
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  const int64_t before = *store().Revision();
  auto created = store().CreateMeshIdentity({"m-1", app.id, kCheckout, 100});
  ASSERT_TRUE(Succeeds(created));
  EXPECT_GT(*store().Revision(), before);
  auto list = store().ListMeshIdentities(app.id);
  ASSERT_TRUE(Succeeds(list));
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].principal, kCheckout);
  EXPECT_EQ((*list)[0].created_at, 100);
  auto data = store().LoadSnapshotData();
  ASSERT_TRUE(Succeeds(data));
  ASSERT_EQ(data->mesh_identities.size(), 1u);
  EXPECT_EQ(data->mesh_identities[0].application_id, app.id);
}

TEST_P(StoreContractTest, PrincipalBelongsToOneApplication) {
  const Application a = MakeApp("a");
  const Application b = MakeApp("b");
  ASSERT_TRUE(Succeeds(store().CreateApplication(a)));
  ASSERT_TRUE(Succeeds(store().CreateApplication(b)));
  ASSERT_TRUE(Succeeds(store().CreateMeshIdentity({"m-1", a.id, kCheckout, 100})));
  EXPECT_TRUE(FailsWith(store().CreateMeshIdentity({"m-2", b.id, kCheckout, 100}),
                        ErrorKind::kConflict, "mesh_identity_taken"));
}

TEST_P(StoreContractTest, MeshIdentityIsDeletedAloneOrWithItsApplication) {
  const Application app = MakeApp("shop");
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  ASSERT_TRUE(Succeeds(store().CreateMeshIdentity({"m-1", app.id, kCheckout, 100})));
  ASSERT_TRUE(Succeeds(store().CreateMeshIdentity({"m-2", app.id, "spiffe://td/x", 101})));
  EXPECT_TRUE(FailsWith(store().DeleteMeshIdentity(app.id, "nope"), ErrorKind::kNotFound,
                        "mesh_identity_not_found"));
  EXPECT_TRUE(Succeeds(store().DeleteMeshIdentity(app.id, "m-1")));
  EXPECT_EQ(store().ListMeshIdentities(app.id)->size(), 1u);
  ASSERT_TRUE(Succeeds(store().DeleteApplication(app.id)));
  EXPECT_TRUE(store().LoadSnapshotData()->mesh_identities.empty());
}

TEST_P(StoreContractTest, MeshIdentityOfUnknownApplicationIsNotFound) {
  const auto code = "application_not_found";
  EXPECT_TRUE(FailsWith(store().CreateMeshIdentity({"m-1", "nope", kCheckout, 1}),
                        ErrorKind::kNotFound, code));
  EXPECT_TRUE(FailsWith(store().ListMeshIdentities("nope"), ErrorKind::kNotFound, code));
  EXPECT_TRUE(FailsWith(store().DeleteMeshIdentity("nope", "m"), ErrorKind::kNotFound, code));
}

}  // namespace
}  // namespace tollgate::store
