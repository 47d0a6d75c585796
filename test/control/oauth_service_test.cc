// The service's OAuth2 rules: who may manage OAuth clients, issuers, external clients and keys,
// and what issuers must look like.
#include <gtest/gtest.h>

#include "control/service_fixture.h"

namespace tollgate::control {
namespace {

Issuer KeycloakDraft() {
  Issuer issuer;
  issuer.name = "Keycloak";
  issuer.issuer = "https://kc.example.com/realms/shop";
  issuer.jwks_uri = "https://kc.example.com/realms/shop/protocol/openid-connect/certs";
  return issuer;
}

TEST_F(ServiceTest, OAuthClientsBelongToTheApplicationsOwner) {
  auto app = service_->CreateApplication(alice_, Application{.name = "shop"});
  ASSERT_TRUE(app.ok());
  auto issued = service_->CreateOAuthClient(alice_, app->id, "");
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(issued->record.name, "default");
  EXPECT_EQ(service_->CreateOAuthClient(bob_, app->id, "x").error().code, "application_not_found");
  EXPECT_TRUE(service_->CreateOAuthClient(admin_, app->id, "admin-made").ok());
  EXPECT_EQ(service_->CreateOAuthClient(alice_, app->id, std::string(101, 'n')).error().field,
            "name");
  auto list = service_->ListOAuthClients(alice_, app->id);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
  EXPECT_FALSE(service_->ListOAuthClients(bob_, app->id).ok());
  EXPECT_EQ(service_->DeleteOAuthClient(bob_, app->id, issued->record.client_id).error().code,
            "application_not_found");
  EXPECT_EQ(service_->RegenerateOAuthClientSecret(alice_, app->id, "tgc_nope").error().code,
            "oauth_client_not_found");
  ASSERT_TRUE(service_->DeleteOAuthClient(alice_, app->id, issued->record.client_id).ok());
}

TEST_F(ServiceTest, IssuersAreAdminOnlyValidatedAndUnique) {
  EXPECT_EQ(service_->CreateIssuer(alice_, KeycloakDraft()).error().kind, ErrorKind::kForbidden);
  EXPECT_EQ(service_->ListIssuers(carol_, {0, 50}).error().kind, ErrorKind::kForbidden);
  const int changes = changes_;
  auto created = service_->CreateIssuer(admin_, KeycloakDraft());
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_GT(changes_, changes);
  EXPECT_EQ(created->client_claim, "client_id");
  EXPECT_FALSE(created->id.empty());
  EXPECT_EQ(service_->CreateIssuer(admin_, KeycloakDraft()).error().code, "issuer_taken");

  Issuer bad = KeycloakDraft();
  bad.issuer = "ftp://kc.example.com";
  EXPECT_EQ(service_->CreateIssuer(admin_, bad).error().field, "issuer");
  bad = KeycloakDraft();
  bad.jwks_uri = "";
  EXPECT_EQ(service_->CreateIssuer(admin_, bad).error().field, "jwksUri");
  bad.discovery_url = "not a url";
  EXPECT_EQ(service_->CreateIssuer(admin_, bad).error().field, "discoveryUrl");
  bad.discovery_url = "https://kc.example.com/realms/x/.well-known/openid-configuration";
  bad.issuer = "https://kc.example.com/realms/x";
  bad.client_claim = "azp";
  auto discovered = service_->CreateIssuer(admin_, bad);
  ASSERT_TRUE(discovered.ok()) << discovered.error().message;
  EXPECT_EQ(discovered->client_claim, "azp");
  bad.name = "";
  EXPECT_EQ(service_->CreateIssuer(admin_, bad).error().field, "name");

  Issuer edit = KeycloakDraft();
  edit.name = "Keycloak (shop)";
  edit.audience = "account";
  auto updated = service_->UpdateIssuer(admin_, created->id, edit);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->audience, "account");
  EXPECT_EQ(updated->created_at, created->created_at);
  EXPECT_EQ(service_->ListIssuers(admin_, {0, 50})->total, 2);
  ASSERT_TRUE(service_->DeleteIssuer(admin_, created->id).ok());
  EXPECT_EQ(service_->GetIssuer(admin_, created->id).error().code, "issuer_not_found");
}

TEST_F(ServiceTest, ExternalClientsBindAnIssuersClientToAnApplication) {
  auto app = service_->CreateApplication(alice_, Application{.name = "shop"});
  ASSERT_TRUE(app.ok());
  auto issuer = service_->CreateIssuer(admin_, KeycloakDraft());
  ASSERT_TRUE(issuer.ok());
  auto bound = service_->CreateExternalClient(alice_, app->id, issuer->id, "shop-backend");
  ASSERT_TRUE(bound.ok()) << bound.error().message;
  EXPECT_EQ(
      service_->CreateExternalClient(alice_, app->id, issuer->id, "shop-backend").error().code,
      "external_client_taken");
  auto unknown = service_->CreateExternalClient(alice_, app->id, "nope", "x");
  EXPECT_EQ(unknown.error().field, "issuerId");
  EXPECT_EQ(unknown.error().code, "issuer_not_found");
  EXPECT_EQ(service_->CreateExternalClient(alice_, app->id, issuer->id, " ").error().field,
            "clientId");
  EXPECT_EQ(service_->CreateExternalClient(bob_, app->id, issuer->id, "y").error().code,
            "application_not_found");
  EXPECT_EQ(service_->ListExternalClients(alice_, app->id)->size(), 1u);
  ASSERT_TRUE(service_->DeleteExternalClient(alice_, app->id, bound->id).ok());
  EXPECT_TRUE(service_->ListExternalClients(alice_, app->id)->empty());
}

TEST_F(ServiceTest, SigningKeysNeedAnAdminAndAKeyManager) {
  EXPECT_EQ(service_->RotateSigningKey(alice_).error().kind, ErrorKind::kForbidden);
  EXPECT_EQ(service_->RotateSigningKey(admin_).error().code, "key_manager_unavailable");
  EXPECT_EQ(service_->ListSigningKeys(admin_).error().code, "key_manager_unavailable");
}

}  // namespace
}  // namespace tollgate::control
