// Store contract, part 4: the key manager's OAuth clients, signing keys and revoked tokens, and
// external identity providers. Written against Store& only, so that every backend runs it.
#include "store/store_contract_test.h"
#include "store/store_test_data.h"

namespace tollgate::store {
namespace {

using namespace testdata;  // NOLINT(google-build-using-namespace)

// Far beyond the test machine's wall clock, which the snapshot uses to drop expired rows.
constexpr int64_t kFuture = 4'000'000'000;

OAuthClient MakeClient(const Application& app, const std::string& name, int64_t at = 6000) {
  return OAuthClient{"oc-" + name, app.id, "tgc_" + name, std::string(64, 'a'), name, at};
}

SigningKey MakeSigningKey(const std::string& kid, int64_t created_at) {
  return SigningKey{kid,        "ES256",      "sealed:" + kid, R"({"kid":")" + kid + R"("})",
                    created_at, std::nullopt, std::nullopt};
}

Issuer MakeIssuer(const std::string& name, int64_t at = 7000) {
  return Issuer{"iss-" + name,
                name,
                "https://" + name + ".example.com/",
                "https://" + name + ".example.com/jwks",
                "",
                "api://" + name,
                "azp",
                at};
}

TEST_P(StoreContractTest, OAuthClientsAreStoredListedAndDeleted) {
  Application app = MakeApp("shop");
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  const int64_t before = *store().Revision();
  ASSERT_TRUE(Succeeds(store().CreateOAuthClient(MakeClient(app, "b", 6002))));
  ASSERT_TRUE(Succeeds(store().CreateOAuthClient(MakeClient(app, "a", 6001))));
  EXPECT_GT(*store().Revision(), before);

  auto got = store().GetOAuthClient("tgc_a");
  ASSERT_TRUE(Succeeds(got));
  EXPECT_EQ(got->application_id, app.id);
  EXPECT_EQ(got->secret_hash, std::string(64, 'a'));
  EXPECT_EQ(got->created_at, 6001);
  auto list = store().ListOAuthClients(app.id);
  ASSERT_TRUE(Succeeds(list));
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].client_id, "tgc_a");

  auto updated = store().SetOAuthClientSecret(app.id, "tgc_a", std::string(64, 'b'));
  ASSERT_TRUE(Succeeds(updated));
  EXPECT_EQ(updated->secret_hash, std::string(64, 'b'));
  EXPECT_EQ(store().GetOAuthClient("tgc_a")->secret_hash, std::string(64, 'b'));

  ASSERT_TRUE(Succeeds(store().DeleteOAuthClient(app.id, "tgc_a")));
  EXPECT_TRUE(
      FailsWith(store().GetOAuthClient("tgc_a"), ErrorKind::kNotFound, "oauth_client_not_found"));
  EXPECT_TRUE(FailsWith(store().DeleteOAuthClient(app.id, "tgc_a"), ErrorKind::kNotFound,
                        "oauth_client_not_found"));
}

TEST_P(StoreContractTest, OAuthClientIdIsUniqueAndBelongsToItsApplication) {
  Application app = MakeApp("shop");
  Application other = MakeApp("blog");
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  ASSERT_TRUE(Succeeds(store().CreateApplication(other)));
  ASSERT_TRUE(Succeeds(store().CreateOAuthClient(MakeClient(app, "a"))));
  OAuthClient twin = MakeClient(other, "a");
  twin.id = "oc-twin";
  EXPECT_TRUE(
      FailsWith(store().CreateOAuthClient(twin), ErrorKind::kConflict, "oauth_client_taken"));
  EXPECT_TRUE(FailsWith(store().CreateOAuthClient(MakeClient(MakeApp("ghost"), "g")),
                        ErrorKind::kNotFound, "application_not_found"));
  // Another application cannot touch it.
  EXPECT_TRUE(FailsWith(store().DeleteOAuthClient(other.id, "tgc_a"), ErrorKind::kNotFound,
                        "oauth_client_not_found"));
  EXPECT_TRUE(FailsWith(store().SetOAuthClientSecret(other.id, "tgc_a", "x"), ErrorKind::kNotFound,
                        "oauth_client_not_found"));
  EXPECT_TRUE(
      FailsWith(store().ListOAuthClients("nope"), ErrorKind::kNotFound, "application_not_found"));
  // Deleting the application deletes its clients.
  ASSERT_TRUE(Succeeds(store().DeleteApplication(app.id)));
  EXPECT_TRUE(
      FailsWith(store().GetOAuthClient("tgc_a"), ErrorKind::kNotFound, "oauth_client_not_found"));
}

TEST_P(StoreContractTest, EnsureSigningKeyInsertsOnlyTheFirstKey) {
  auto first = store().EnsureSigningKey(MakeSigningKey("k1", 100));
  ASSERT_TRUE(Succeeds(first));
  EXPECT_EQ(first->kid, "k1");
  auto again = store().EnsureSigningKey(MakeSigningKey("k2", 200));
  ASSERT_TRUE(Succeeds(again));
  EXPECT_EQ(again->kid, "k1");
  auto keys = store().ListSigningKeys();
  ASSERT_TRUE(Succeeds(keys));
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].private_key, "sealed:k1");
  EXPECT_FALSE((*keys)[0].retired_at.has_value());
}

TEST_P(StoreContractTest, AddSigningKeyRetiresTheActiveOnesAndPurgesExpired) {
  ASSERT_TRUE(Succeeds(store().EnsureSigningKey(MakeSigningKey("k1", 100))));
  const int64_t before = *store().Revision();
  ASSERT_TRUE(Succeeds(store().AddSigningKey(MakeSigningKey("k2", 200), 5000)));
  EXPECT_GT(*store().Revision(), before);
  auto keys = store().ListSigningKeys();
  ASSERT_TRUE(Succeeds(keys));
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].kid, "k2");  // newest first
  EXPECT_FALSE((*keys)[0].retired_at.has_value());
  EXPECT_EQ((*keys)[1].retired_at, 200);
  EXPECT_EQ((*keys)[1].expires_at, 5000);

  // k1 expired at 5000: gone when k3 arrives later; k2 retires in turn.
  ASSERT_TRUE(Succeeds(store().AddSigningKey(MakeSigningKey("k3", 6000), 9000)));
  keys = store().ListSigningKeys();
  ASSERT_TRUE(Succeeds(keys));
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].kid, "k3");
  EXPECT_EQ((*keys)[1].kid, "k2");
  EXPECT_EQ((*keys)[1].retired_at, 6000);
}

TEST_P(StoreContractTest, RevokedTokensAreRecordedUntilTheyExpire) {
  const int64_t before = *store().Revision();
  ASSERT_TRUE(Succeeds(store().RevokeToken({"jti-1", kFuture}, 1000)));
  EXPECT_GT(*store().Revision(), before);
  ASSERT_TRUE(Succeeds(store().RevokeToken({"jti-1", 100}, 1000)));  // again: keeps the later
  ASSERT_TRUE(Succeeds(store().RevokeToken({"jti-old", 1500}, 1000)));
  EXPECT_TRUE(*store().IsTokenRevoked("jti-1"));
  EXPECT_TRUE(*store().IsTokenRevoked("jti-old"));
  EXPECT_FALSE(*store().IsTokenRevoked("jti-2"));
  // A later revocation purges records expired by then.
  ASSERT_TRUE(Succeeds(store().RevokeToken({"jti-2", kFuture}, 2000)));
  EXPECT_FALSE(*store().IsTokenRevoked("jti-old"));
  auto snap = store().LoadSnapshotData();
  ASSERT_TRUE(Succeeds(snap));
  ASSERT_EQ(snap->revoked_tokens.size(), 2u);
  EXPECT_EQ(snap->revoked_tokens[0].jti, "jti-1");
  EXPECT_EQ(snap->revoked_tokens[0].expires_at, kFuture);
}

TEST_P(StoreContractTest, IssuersAreUniqueByIssuerAndUpdatable) {
  ASSERT_TRUE(Succeeds(store().CreateIssuer(MakeIssuer("kc", 7002))));
  ASSERT_TRUE(Succeeds(store().CreateIssuer(MakeIssuer("auth0", 7001))));
  Issuer twin = MakeIssuer("kc");
  twin.id = "iss-twin";
  EXPECT_TRUE(FailsWith(store().CreateIssuer(twin), ErrorKind::kConflict, "issuer_taken"));

  auto got = store().GetIssuer("iss-kc");
  ASSERT_TRUE(Succeeds(got));
  EXPECT_EQ(got->issuer, "https://kc.example.com/");
  EXPECT_EQ(got->audience, "api://kc");
  EXPECT_EQ(got->client_claim, "azp");
  auto page = store().ListIssuers({0, 1});
  ASSERT_TRUE(Succeeds(page));
  EXPECT_EQ(page->total, 2);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].id, "iss-auth0");

  Issuer edit = *got;
  edit.name = "Keycloak";
  edit.jwks_uri = "";
  edit.discovery_url = "https://kc.example.com/.well-known/openid-configuration";
  edit.created_at = 1;  // ignored
  auto updated = store().UpdateIssuer(edit);
  ASSERT_TRUE(Succeeds(updated));
  EXPECT_EQ(updated->name, "Keycloak");
  EXPECT_EQ(updated->created_at, 7002);
  edit.issuer = "https://auth0.example.com/";
  EXPECT_TRUE(FailsWith(store().UpdateIssuer(edit), ErrorKind::kConflict, "issuer_taken"));
  EXPECT_TRUE(FailsWith(store().UpdateIssuer(MakeIssuer("ghost")), ErrorKind::kNotFound,
                        "issuer_not_found"));
  EXPECT_TRUE(FailsWith(store().DeleteIssuer("nope"), ErrorKind::kNotFound, "issuer_not_found"));
  EXPECT_TRUE(FailsWith(store().GetIssuer("nope"), ErrorKind::kNotFound, "issuer_not_found"));
}

TEST_P(StoreContractTest, ExternalClientsBindIssuerClientIdsToApplications) {
  Application app = MakeApp("shop");
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  ASSERT_TRUE(Succeeds(store().CreateIssuer(MakeIssuer("kc"))));
  ExternalClient ext{"ext-1", app.id, "iss-kc", "shop-backend", 8000};
  ASSERT_TRUE(Succeeds(store().CreateExternalClient(ext)));
  ExternalClient twin = ext;
  twin.id = "ext-2";
  EXPECT_TRUE(
      FailsWith(store().CreateExternalClient(twin), ErrorKind::kConflict, "external_client_taken"));
  twin.issuer_id = "nope";
  EXPECT_TRUE(
      FailsWith(store().CreateExternalClient(twin), ErrorKind::kNotFound, "issuer_not_found"));
  twin.application_id = "nope";
  EXPECT_TRUE(
      FailsWith(store().CreateExternalClient(twin), ErrorKind::kNotFound, "application_not_found"));
  auto list = store().ListExternalClients(app.id);
  ASSERT_TRUE(Succeeds(list));
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].client_id, "shop-backend");

  EXPECT_TRUE(FailsWith(store().DeleteExternalClient(app.id, "nope"), ErrorKind::kNotFound,
                        "external_client_not_found"));
  // Deleting the issuer deletes its bindings.
  ASSERT_TRUE(Succeeds(store().DeleteIssuer("iss-kc")));
  EXPECT_TRUE(store().ListExternalClients(app.id)->empty());
}

TEST_P(StoreContractTest, SnapshotCarriesTheKeyManagersData) {
  Application app = MakeApp("shop");
  ASSERT_TRUE(Succeeds(store().CreateApplication(app)));
  ASSERT_TRUE(Succeeds(store().CreateOAuthClient(MakeClient(app, "a"))));
  ASSERT_TRUE(Succeeds(store().CreateIssuer(MakeIssuer("kc"))));
  ASSERT_TRUE(Succeeds(store().CreateExternalClient({"ext-1", app.id, "iss-kc", "x", 8000})));
  ASSERT_TRUE(Succeeds(store().EnsureSigningKey(MakeSigningKey("old", 100))));
  // "old" retires with an expiry in the past of the wall clock: not in the snapshot.
  ASSERT_TRUE(Succeeds(store().AddSigningKey(MakeSigningKey("mid", 200), 300)));
  ASSERT_TRUE(Succeeds(store().AddSigningKey(MakeSigningKey("new", 250), kFuture)));
  ASSERT_TRUE(Succeeds(store().RevokeToken({"gone", 10}, 5)));
  ASSERT_TRUE(Succeeds(store().RevokeToken({"live", kFuture}, 5)));

  auto snap = store().LoadSnapshotData();
  ASSERT_TRUE(Succeeds(snap));
  ASSERT_EQ(snap->oauth_clients.size(), 1u);
  EXPECT_EQ(snap->oauth_clients[0].client_id, "tgc_a");
  ASSERT_EQ(snap->issuers.size(), 1u);
  ASSERT_EQ(snap->external_clients.size(), 1u);
  EXPECT_EQ(snap->external_clients[0].issuer_id, "iss-kc");
  ASSERT_EQ(snap->signing_keys.size(), 2u);
  EXPECT_EQ(snap->signing_keys[0].kid, "new");
  EXPECT_EQ(snap->signing_keys[1].kid, "mid");
  EXPECT_EQ(snap->signing_keys[1].expires_at, kFuture);
  EXPECT_EQ(snap->signing_keys[0].public_jwk, R"({"kid":"new"})");
  ASSERT_EQ(snap->revoked_tokens.size(), 1u);
  EXPECT_EQ(snap->revoked_tokens[0].jti, "live");
}

}  // namespace
}  // namespace tollgate::store
