// The key manager over a real SQLite store with a fake clock: token contents, scope grants,
// client authentication, secrets at rest, key rotation, introspection and revocation.
#include "control/key_manager.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "control/service_fixture.h"
#include "jwt/jwt.h"

namespace tollgate::control {
namespace {

namespace json = boost::json;

constexpr const char* kIssuer = "https://auth.example.test";

class KeyManagerTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    auto master = MasterKey::FromBytes(std::string(32, 'k'));
    ASSERT_TRUE(master.ok());
    km_ =
        std::make_unique<KeyManager>(*store_, clock_, std::move(master.value()),
                                     KeyManagerOptions{kIssuer, 3600, 300}, [this] { ++changes_; });
    ASSERT_TRUE(km_->EnsureSigningKey().ok());
    service_->AttachKeyManager(km_.get());

    Api draft = Draft();
    draft.resources = {{"GET", "/pets", AuthType::kApiKey, {"pets:read"}, {}},
                       {"POST", "/pets", AuthType::kApiKey, {"pets:write", "pets:read"}, {}}};
    auto api = service_->CreateApi(admin_, draft);
    ASSERT_TRUE(api.ok()) << api.error().message;
    ASSERT_TRUE(service_->ChangeLifecycle(admin_, api->id, "publish").ok());
    api_ = api.value();
    auto app = service_->CreateApplication(alice_, Application{.name = "shop"});
    ASSERT_TRUE(app.ok());
    app_ = app.value();
    ASSERT_TRUE(service_->Subscribe(alice_, app_.id, api_.id, "Gold").ok());
    auto client = service_->CreateOAuthClient(alice_, app_.id, "backend");
    ASSERT_TRUE(client.ok()) << client.error().message;
    client_ = client.value();
  }
  void TearDown() override {
    service_->AttachKeyManager(nullptr);
    km_.reset();
    ServiceTest::TearDown();
  }

  ClientCredentials Creds() const { return {client_.record.client_id, client_.secret}; }
  Result<IssuedToken> Issue(std::optional<std::string> scope = std::nullopt,
                            std::string audience = "") {
    return km_->IssueToken(
        TokenRequest{"client_credentials", Creds(), std::move(scope), std::move(audience)});
  }
  json::object Payload(const std::string& token) {
    auto parsed = jwt::Parse(token);
    EXPECT_TRUE(parsed.ok());
    return json::parse(parsed->payload_json).as_object();
  }
  // Verifies like a resource server would, from the published JWKS.
  Result<jwt::Claims> VerifyWithJwks(const std::string& token, std::string audience = "tollgate") {
    auto jwks = km_->Jwks();
    EXPECT_TRUE(jwks.ok());
    auto set = jwt::KeySet::FromJwks(*jwks);
    EXPECT_TRUE(set.ok());
    jwt::ValidationOptions options;
    options.now = clock_.NowSeconds();
    options.issuer = kIssuer;
    options.audience = std::move(audience);
    return jwt::Verify(token, *set, options);
  }

  std::unique_ptr<KeyManager> km_;
  Api api_;
  Application app_;
  IssuedClient client_;
};

TEST_F(KeyManagerTest, TokenCarriesTheClaimsOfTheClientCredentialsGrant) {
  auto issued = Issue();
  ASSERT_TRUE(issued.ok()) << issued.error().code << ": " << issued.error().message;
  EXPECT_EQ(issued->expires_in, 3600);
  auto claims = VerifyWithJwks(issued->access_token);
  ASSERT_TRUE(claims.ok()) << claims.error().code;
  const json::object p = Payload(issued->access_token);
  const int64_t now = clock_.NowSeconds();
  EXPECT_EQ(p.at("iss").as_string(), kIssuer);
  EXPECT_EQ(p.at("sub").as_string(), client_.record.client_id);
  EXPECT_EQ(p.at("client_id").as_string(), client_.record.client_id);
  EXPECT_EQ(p.at("azp").as_string(), client_.record.client_id);
  EXPECT_EQ(p.at("aud").as_string(), "tollgate");
  EXPECT_EQ(p.at("iat").as_int64(), now);
  EXPECT_EQ(p.at("nbf").as_int64(), now);
  EXPECT_EQ(p.at("exp").as_int64(), now + 3600);
  EXPECT_EQ(p.at("jti").as_string(), issued->jti);
  EXPECT_EQ(p.at("scope").as_string(), "pets:read pets:write");
  auto header = jwt::Parse(issued->access_token);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->alg, jwt::Alg::kES256);
  EXPECT_FALSE(header->kid.empty());
  // Two tokens never share a jti.
  EXPECT_NE(Issue()->jti, issued->jti);
}

TEST_F(KeyManagerTest, GrantedScopesAreTheRequestedOnesTheApplicationMayGet) {
  auto some = Issue("pets:write admin:all");
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(some->scopes, std::vector<std::string>{"pets:write"});
  EXPECT_EQ(Payload(some->access_token).at("scope").as_string(), "pets:write");

  auto none = Issue("admin:all");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, "invalid_scope");
  auto malformed = Issue("pets:\"read");
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().code, "invalid_scope");

  // Only ACTIVE subscriptions count: without one, nothing may be granted.
  auto subs = service_->ListSubscriptions(alice_, app_.id, {0, 50});
  ASSERT_TRUE(subs.ok());
  ASSERT_TRUE(service_->Unsubscribe(alice_, app_.id, subs->items[0].id).ok());
  auto after = Issue();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->scopes.empty());
  EXPECT_FALSE(Payload(after->access_token).contains("scope"));
  EXPECT_EQ(Issue("pets:read").error().code, "invalid_scope");
}

TEST_F(KeyManagerTest, AudienceIsARequestedApiAudienceElseTollgate) {
  EXPECT_EQ(Issue(std::nullopt, "https://unknown.example")->audience, "tollgate");
  Api with_audience = api_;
  with_audience.audience = "https://petstore.example";
  ASSERT_TRUE(store_->UpdateApi(with_audience).ok());
  if (store_->GetApi(api_.id)->audience.empty()) {
    GTEST_SKIP() << "this store does not keep Api::audience yet";
  }
  auto issued = Issue(std::nullopt, "https://petstore.example");
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(issued->audience, "https://petstore.example");
  EXPECT_TRUE(VerifyWithJwks(issued->access_token, "https://petstore.example").ok());
}

TEST_F(KeyManagerTest, ClientAuthenticationAndGrantErrors) {
  auto wrong = km_->IssueToken({"client_credentials", {client_.record.client_id, "tgs_wrong"}});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, "invalid_client");
  EXPECT_EQ(wrong.error().kind, ErrorKind::kUnauthenticated);
  auto unknown = km_->IssueToken({"client_credentials", {"tgc_nobody", client_.secret}});
  EXPECT_EQ(unknown.error().code, "invalid_client");
  auto grant = km_->IssueToken({"password", Creds()});
  EXPECT_EQ(grant.error().code, "unsupported_grant_type");
  EXPECT_EQ(grant.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(km_->IssueToken({"", Creds()}).error().code, "invalid_request");

  // A regenerated secret replaces the old one at once.
  auto regenerated =
      service_->RegenerateOAuthClientSecret(alice_, app_.id, client_.record.client_id);
  ASSERT_TRUE(regenerated.ok());
  EXPECT_NE(regenerated->secret, client_.secret);
  EXPECT_EQ(Issue().error().code, "invalid_client");
  client_.secret = regenerated->secret;
  EXPECT_TRUE(Issue().ok());
  // A deleted client is unknown.
  ASSERT_TRUE(service_->DeleteOAuthClient(alice_, app_.id, client_.record.client_id).ok());
  EXPECT_EQ(Issue().error().code, "invalid_client");
}

TEST_F(KeyManagerTest, SecretsAreNeverStoredInClear) {
  EXPECT_EQ(client_.record.client_id.rfind("tgc_", 0), 0u);
  EXPECT_EQ(client_.secret.rfind("tgs_", 0), 0u);
  EXPECT_EQ(client_.secret.size(), 44u);
  auto stored = store_->GetOAuthClient(client_.record.client_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->secret_hash, crypto::Sha256Hex(client_.secret));
  auto keys = store_->ListSigningKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].private_key.rfind("v1.", 0), 0u);
  EXPECT_EQ((*keys)[0].private_key.find("PRIVATE KEY"), std::string::npos);
  EXPECT_TRUE(km_->OpenPrivateKey((*keys)[0]).ok());

  // Nothing secret anywhere in the database files (main file and write-ahead log).
  std::string all;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    all += bytes.str();
  }
  EXPECT_EQ(all.find(client_.secret), std::string::npos);
  EXPECT_EQ(all.find("PRIVATE KEY"), std::string::npos);
  EXPECT_NE(all.find(client_.record.client_id), std::string::npos);  // the files were read
}

TEST_F(KeyManagerTest, RotationKeepsTheOldKeyPublishedForTheOverlap) {
  auto before = Issue();
  ASSERT_TRUE(before.ok());
  const std::string old_kid = jwt::Parse(before->access_token)->kid;
  const int changes = changes_;
  clock_.Advance(100);
  auto rotated = service_->RotateSigningKey(admin_);
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  EXPECT_GT(changes_, changes);
  EXPECT_TRUE(rotated->private_key.empty());
  EXPECT_EQ(service_->RotateSigningKey(alice_).error().kind, ErrorKind::kForbidden);

  auto after = Issue();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(jwt::Parse(after->access_token)->kid, rotated->kid);
  EXPECT_NE(rotated->kid, old_kid);
  // Both verify: the old key stays in the JWKS, retired, until ttl + margin after rotation.
  EXPECT_TRUE(VerifyWithJwks(before->access_token).ok());
  EXPECT_TRUE(VerifyWithJwks(after->access_token).ok());
  EXPECT_TRUE(km_->Introspect(Creds(), before->access_token)->active);
  auto published = km_->PublishedKeys();
  ASSERT_TRUE(published.ok());
  ASSERT_EQ(published->size(), 2u);
  EXPECT_EQ((*published)[1].kid, old_kid);
  EXPECT_EQ((*published)[1].retired_at, clock_.NowSeconds());
  EXPECT_EQ((*published)[1].expires_at, clock_.NowSeconds() + 3600 + 300);

  clock_.Advance(3600 + 300);
  published = km_->PublishedKeys();
  ASSERT_EQ(published->size(), 1u);
  EXPECT_EQ((*published)[0].kid, rotated->kid);
  EXPECT_EQ(km_->Jwks()->find(old_kid), std::string::npos);
}

TEST_F(KeyManagerTest, IntrospectionAnswersActiveOnlyForLiveTokensOfTheCaller) {
  auto issued = Issue("pets:read");
  ASSERT_TRUE(issued.ok());
  auto answer = km_->Introspect(Creds(), issued->access_token);
  ASSERT_TRUE(answer.ok());
  EXPECT_TRUE(answer->active);
  EXPECT_EQ(answer->client_id, client_.record.client_id);
  EXPECT_EQ(answer->sub, client_.record.client_id);
  EXPECT_EQ(answer->iss, kIssuer);
  EXPECT_EQ(answer->scopes, std::vector<std::string>{"pets:read"});
  EXPECT_EQ(answer->aud, std::vector<std::string>{"tollgate"});
  EXPECT_EQ(answer->exp, clock_.NowSeconds() + 3600);
  EXPECT_EQ(answer->jti, issued->jti);

  // Tampered payload: the signature no longer matches.
  std::string tampered = issued->access_token;
  const size_t dot = tampered.find('.');
  tampered[dot + 5] = tampered[dot + 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(km_->Introspect(Creds(), tampered)->active);
  EXPECT_FALSE(km_->Introspect(Creds(), "not-a-token")->active);
  // Another client of the same application does not see it.
  auto other = service_->CreateOAuthClient(alice_, app_.id, "other");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(
      km_->Introspect({other->record.client_id, other->secret}, issued->access_token)->active);
  // Bad caller credentials are an error, not an inactive answer.
  EXPECT_EQ(km_->Introspect({client_.record.client_id, "x"}, issued->access_token).error().code,
            "invalid_client");
  // Expired from exp on (RFC 7519 §4.1.4: "on or after").
  clock_.Advance(3599);
  EXPECT_TRUE(km_->Introspect(Creds(), issued->access_token)->active);
  clock_.Advance(1);
  EXPECT_FALSE(km_->Introspect(Creds(), issued->access_token)->active);
}

TEST_F(KeyManagerTest, RevocationRecordsTheJtiUntilTheTokenExpires) {
  auto issued = Issue();
  ASSERT_TRUE(issued.ok());
  auto other = service_->CreateOAuthClient(alice_, app_.id, "other");
  ASSERT_TRUE(other.ok());
  auto refused = km_->Revoke({other->record.client_id, other->secret}, issued->access_token);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "unauthorized_client");
  EXPECT_TRUE(km_->Revoke(Creds(), "unknown-token").ok());

  const int changes = changes_;
  ASSERT_TRUE(km_->Revoke(Creds(), issued->access_token).ok());
  EXPECT_GT(changes_, changes);
  EXPECT_FALSE(km_->Introspect(Creds(), issued->access_token)->active);
  EXPECT_TRUE(*store_->IsTokenRevoked(issued->jti));
  auto snapshot = store_->LoadSnapshotData();
  ASSERT_TRUE(snapshot.ok());
  ASSERT_EQ(snapshot->revoked_tokens.size(), 1u);
  EXPECT_EQ(snapshot->revoked_tokens[0].jti, issued->jti);
  EXPECT_EQ(snapshot->revoked_tokens[0].expires_at, clock_.NowSeconds() + 3600);
  EXPECT_TRUE(km_->Revoke(Creds(), issued->access_token).ok());  // again: fine
  // Other tokens of the client stay active.
  EXPECT_TRUE(km_->Introspect(Creds(), Issue()->access_token)->active);
}

TEST_F(KeyManagerTest, SnapshotCarriesClientsAndPublicKeys) {
  auto snapshot = store_->LoadSnapshotData();
  ASSERT_TRUE(snapshot.ok());
  ASSERT_EQ(snapshot->oauth_clients.size(), 1u);
  EXPECT_EQ(snapshot->oauth_clients[0].application_id, app_.id);
  ASSERT_EQ(snapshot->signing_keys.size(), 1u);
  auto jwk = jwt::VerifyKey::FromJwk(snapshot->signing_keys[0].public_jwk);
  ASSERT_TRUE(jwk.ok());
  EXPECT_EQ((*jwk)->kid(), snapshot->signing_keys[0].kid);
  EXPECT_EQ((*jwk)->alg(), jwt::Alg::kES256);
}

TEST_F(KeyManagerTest, StartingWithAnotherMasterKeyFailsLoudly) {
  const size_t keys = store_->ListSigningKeys()->size();
  KeyManager same(*store_, clock_, MasterKey::FromBytes(std::string(32, 'k')).value(),
                  KeyManagerOptions{kIssuer}, nullptr);
  EXPECT_TRUE(same.EnsureSigningKey().ok());
  EXPECT_EQ(store_->ListSigningKeys()->size(), keys);  // the existing key is kept
  KeyManager other(*store_, clock_, MasterKey::FromBytes(std::string(32, 'x')).value(),
                   KeyManagerOptions{kIssuer}, nullptr);
  auto started = other.EnsureSigningKey();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code, "sealed_secret_invalid");
}

TEST(MasterKeyTest, SealsAndOpensBoundToTheContext) {
  auto key = MasterKey::FromBytes(std::string(32, 'm'));
  ASSERT_TRUE(key.ok());
  const std::string sealed = key->Seal("secret pem", "kid-1");
  EXPECT_EQ(sealed.find("secret"), std::string::npos);
  EXPECT_NE(key->Seal("secret pem", "kid-1"), sealed);  // fresh nonce
  EXPECT_EQ(*key->Open(sealed, "kid-1"), "secret pem");
  EXPECT_EQ(key->Open(sealed, "kid-2").error().code, "sealed_secret_invalid");
  auto other = MasterKey::FromBytes(std::string(32, 'n'));
  EXPECT_FALSE(other->Open(sealed, "kid-1").ok());
  std::string tampered = sealed;
  tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(key->Open(tampered, "kid-1").ok());
  EXPECT_EQ(MasterKey::FromBytes("short").error().code, "master_key_invalid");
}

TEST(MasterKeyTest, FileIsCreatedPrivateOnceAndEnvironmentWins) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("tollgate-mk-" + crypto::RandomToken(8));
  std::filesystem::create_directories(dir);
  auto first = MasterKey::Load("", dir);
  ASSERT_TRUE(first.ok()) << first.error().message;
  const auto perms = std::filesystem::status(dir / "master.key").permissions();
  EXPECT_EQ(perms & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto again = MasterKey::Load("", dir);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->Open(first->Seal("x", "c"), "c").ok());  // the same key
  // base64 of 32 bytes 'e'
  auto env = MasterKey::Load("ZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWU=", dir);
  ASSERT_TRUE(env.ok());
  EXPECT_FALSE(env->Open(first->Seal("x", "c"), "c").ok());
  EXPECT_EQ(MasterKey::Load("bm90IDMyIGJ5dGVz", dir).error().code, "master_key_invalid");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tollgate::control
