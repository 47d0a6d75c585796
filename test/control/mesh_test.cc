// Mesh identities through the service: who may register them and what a SPIFFE ID looks like.
#include "control/service_fixture.h"

namespace tollgate::control {
namespace {

TEST(SpiffeIdTest, AcceptsWellFormedIdsOnly) {
  EXPECT_TRUE(IsSpiffeId("spiffe://cluster.local/ns/shop/sa/checkout"));
  EXPECT_TRUE(IsSpiffeId("spiffe://example.org/a_b-c.d"));
  EXPECT_FALSE(IsSpiffeId("spiffe://cluster.local"));       // no path
  EXPECT_FALSE(IsSpiffeId("spiffe://cluster.local/"));      // empty segment
  EXPECT_FALSE(IsSpiffeId("spiffe://Cluster.local/x"));     // upper-case trust domain
  EXPECT_FALSE(IsSpiffeId("spiffe:///x"));                  // no trust domain
  EXPECT_FALSE(IsSpiffeId("https://cluster.local/x"));
  EXPECT_FALSE(IsSpiffeId("spiffe://td/a/../b"));
  EXPECT_FALSE(IsSpiffeId("spiffe://td/a?x=1"));
}

TEST_F(ServiceTest, OwnerRegistersListsAndDeletesMeshIdentities) {
  auto app = service_->CreateApplication(alice_, Application{.name = "shop"});
  ASSERT_TRUE(app.ok()) << app.error().message;
  const int before = changes_;
  auto m = service_->CreateMeshIdentity(alice_, app->id, "spiffe://cluster.local/ns/shop/sa/checkout");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_GT(changes_, before);
  EXPECT_EQ(service_->ListMeshIdentities(alice_, app->id)->size(), 1u);
  EXPECT_EQ(service_->ListMeshIdentities(admin_, app->id)->size(), 1u);
  // Someone else's application is not found, not forbidden.
  EXPECT_EQ(service_->ListMeshIdentities(bob_, app->id).error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(service_->CreateMeshIdentity(bob_, app->id, "spiffe://td/x").error().kind,
            ErrorKind::kNotFound);
  EXPECT_TRUE(service_->DeleteMeshIdentity(alice_, app->id, m->id).ok());
  EXPECT_TRUE(service_->ListMeshIdentities(alice_, app->id)->empty());
}

TEST_F(ServiceTest, MalformedPrincipalIsRefusedNamingTheField) {
  auto app = service_->CreateApplication(alice_, Application{.name = "shop"});
  ASSERT_TRUE(app.ok());
  auto m = service_->CreateMeshIdentity(alice_, app->id, "checkout");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(m.error().field, "principal");
  EXPECT_EQ(m.error().code, "invalid_spiffe_id");
}

}  // namespace
}  // namespace tollgate::control
