// REST shapes of the key manager: the OAuth2 protocol endpoints (form bodies, client
// authentication, RFC 6749 errors, metadata, JWKS) and the management routes of OAuth clients,
// issuers, external clients and signing keys.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <memory>

#include "adapters/rest/management_api.h"
#include "control/key_manager.h"
#include "core/clock.h"
#include "crypto/crypto.h"
#include "jwt/jwt.h"
#include "store/sqlite/sqlite_store.h"

namespace tollgate::adapters::rest {
namespace {

namespace json = boost::json;
namespace beast_http = boost::beast::http;
using beast_http::verb;

constexpr const char* kAdminAuth = "Basic YWRtaW46czNjcmV0LXBhc3M=";  // admin:s3cret-pass
constexpr const char* kAliceAuth = "Basic YWxpY2U6YWxpY2UtcGFzcw==";  // alice:alice-pass
constexpr const char* kForm = "application/x-www-form-urlencoded";

std::string Base64(std::string_view text) {
  // Base64 from base64url (same alphabet but 2 characters) plus padding.
  std::string out = jwt::Base64UrlEncode(text);
  for (char& c : out) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (out.size() % 4 != 0) out += '=';
  return out;
}

class OAuthRestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("tollgate-oauth-rest-" + crypto::RandomToken(10));
    std::filesystem::create_directories(dir_);
    auto s = store::SqliteStore::Open((dir_ / "t.db").string());
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s.value());
    service_ = std::make_unique<control::Service>(*store_, clock_, nullptr);
    ASSERT_TRUE(service_->EnsureAdmin(std::string("s3cret-pass")).ok());
    User alice{"user-alice", "alice", Role::kSubscriber, crypto::HashPassword("alice-pass").value(),
               0};
    ASSERT_TRUE(store_->CreateUser(alice).ok());
    auto master = control::MasterKey::FromBytes(std::string(32, 'k'));
    km_ = std::make_unique<control::KeyManager>(*store_, clock_, std::move(master.value()),
                                                control::KeyManagerOptions{"http://tollgate.test/"},
                                                nullptr);
    ASSERT_TRUE(km_->EnsureSigningKey().ok());
    service_->AttachKeyManager(km_.get());
    api_ = std::make_unique<ManagementApi>(*service_, nullptr);

    // Alice's application with an OAuth client, subscribed to an API with scopes.
    auto app = Call(verb::post, "/api/v1/applications", kAliceAuth, R"({"name":"shop"})");
    ASSERT_EQ(app.status, 201u);
    app_id_ = std::string(app.body.at("id").as_string());
    auto api =
        Call(verb::post, "/api/v1/apis", kAdminAuth,
             R"({"name":"Pets","version":"v1","context":"/pets/v1","upstream":"http://pets:80",
                        "resources":[{"method":"GET","path":"/pets","auth":"apiKey","scopes":["pets:read"]}]})");
    ASSERT_EQ(api.status, 201u) << json::serialize(api.body);
    const std::string api_id(api.body.at("id").as_string());
    ASSERT_EQ(Call(verb::post, "/api/v1/apis/" + api_id + "/lifecycle", kAdminAuth,
                   R"({"action":"publish"})")
                  .status,
              200u);
    ASSERT_EQ(Call(verb::post, "/api/v1/applications/" + app_id_ + "/subscriptions", kAliceAuth,
                   R"({"apiId":")" + api_id + R"("})")
                  .status,
              201u);
    auto client = Call(verb::post, "/api/v1/applications/" + app_id_ + "/oauth-clients", kAliceAuth,
                       R"({"name":"backend"})");
    ASSERT_EQ(client.status, 201u) << json::serialize(client.body);
    client_id_ = std::string(client.body.at("clientId").as_string());
    secret_ = std::string(client.body.at("clientSecret").as_string());
  }
  void TearDown() override {
    api_.reset();
    km_.reset();
    service_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  struct Answer {
    unsigned status;
    json::value body;
    tollgate::http::Response raw;
  };
  Answer Send(tollgate::http::Request req) {
    req.prepare_payload();
    auto res = (*api_)(req, tollgate::http::RequestContext{"127.0.0.1"});
    json::value parsed;
    if (!res.body().empty()) {
      boost::system::error_code ec;
      parsed = json::parse(res.body(), ec);
    }
    return {res.result_int(), parsed, res};
  }
  Answer Call(verb method, const std::string& target, const char* auth,
              const std::string& body = "") {
    tollgate::http::Request req{method, target, 11};
    if (auth != nullptr) req.set(beast_http::field::authorization, auth);
    if (!body.empty()) req.set(beast_http::field::content_type, "application/json");
    req.body() = body;
    return Send(std::move(req));
  }
  Answer PostForm(const std::string& target, const std::string& form, const std::string& basic = "",
                  const char* content_type = kForm) {
    tollgate::http::Request req{verb::post, target, 11};
    req.set(beast_http::field::content_type, content_type);
    if (!basic.empty()) req.set(beast_http::field::authorization, "Basic " + Base64(basic));
    req.body() = form;
    return Send(std::move(req));
  }
  std::string Basic() const { return client_id_ + ":" + secret_; }
  std::string Token(const std::string& extra = "") {
    auto res = PostForm("/oauth2/token", "grant_type=client_credentials" + extra, Basic());
    EXPECT_EQ(res.status, 200u) << json::serialize(res.body);
    return res.status == 200 ? std::string(res.body.at("access_token").as_string()) : "";
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<control::Service> service_;
  std::unique_ptr<control::KeyManager> km_;
  std::unique_ptr<ManagementApi> api_;
  std::string app_id_, client_id_, secret_;
};

TEST_F(OAuthRestTest, TokenEndpointIssuesBearerTokensByBasicOrPostAuthentication) {
  auto basic =
      PostForm("/oauth2/token", "grant_type=client_credentials&scope=pets%3Aread+other", Basic());
  ASSERT_EQ(basic.status, 200u) << json::serialize(basic.body);
  EXPECT_EQ(basic.body.at("token_type"), "Bearer");
  EXPECT_EQ(basic.body.at("expires_in"), 3600);
  EXPECT_EQ(basic.body.at("scope"), "pets:read");
  EXPECT_EQ(basic.raw[beast_http::field::cache_control], "no-store");
  EXPECT_EQ(basic.raw[beast_http::field::content_type], "application/json");

  auto post = PostForm("/oauth2/token", "grant_type=client_credentials&client_id=" + client_id_ +
                                            "&client_secret=" + secret_);
  ASSERT_EQ(post.status, 200u) << json::serialize(post.body);
  EXPECT_EQ(post.body.at("scope"), "pets:read");
}

TEST_F(OAuthRestTest, TokenEndpointErrorsFollowRfc6749) {
  auto wrong =
      PostForm("/oauth2/token", "grant_type=client_credentials", client_id_ + ":tgs_wrong");
  EXPECT_EQ(wrong.status, 401u);
  EXPECT_EQ(wrong.body.at("error"), "invalid_client");
  EXPECT_TRUE(wrong.body.as_object().contains("error_description"));
  EXPECT_EQ(wrong.raw[beast_http::field::www_authenticate].substr(0, 5), "Basic");
  EXPECT_EQ(wrong.raw[beast_http::field::cache_control], "no-store");

  EXPECT_EQ(PostForm("/oauth2/token", "grant_type=client_credentials").status, 401u);
  auto json_body = PostForm("/oauth2/token", R"({"grant_type":"client_credentials"})", Basic(),
                            "application/json");
  EXPECT_EQ(json_body.status, 400u);
  EXPECT_EQ(json_body.body.at("error"), "invalid_request");
  auto grant = PostForm("/oauth2/token", "grant_type=password", Basic());
  EXPECT_EQ(grant.status, 400u);
  EXPECT_EQ(grant.body.at("error"), "unsupported_grant_type");
  EXPECT_EQ(PostForm("/oauth2/token", "", Basic()).body.at("error"), "invalid_request");
  auto scope = PostForm("/oauth2/token", "grant_type=client_credentials&scope=admin", Basic());
  EXPECT_EQ(scope.status, 400u);
  EXPECT_EQ(scope.body.at("error"), "invalid_scope");
  auto twice = PostForm("/oauth2/token",
                        "grant_type=client_credentials&grant_type=client_credentials", Basic());
  EXPECT_EQ(twice.body.at("error"), "invalid_request");
  auto both =
      PostForm("/oauth2/token", "grant_type=client_credentials&client_secret=" + secret_, Basic());
  EXPECT_EQ(both.body.at("error"), "invalid_request");
}

TEST_F(OAuthRestTest, MetadataAndJwksDescribeTheServer) {
  auto meta = Call(verb::get, "/.well-known/oauth-authorization-server", nullptr);
  ASSERT_EQ(meta.status, 200u);
  EXPECT_EQ(meta.body.at("issuer"), "http://tollgate.test/");
  EXPECT_EQ(meta.body.at("token_endpoint"), "http://tollgate.test/oauth2/token");
  EXPECT_EQ(meta.body.at("jwks_uri"), "http://tollgate.test/oauth2/jwks");
  EXPECT_EQ(meta.body.at("introspection_endpoint"), "http://tollgate.test/oauth2/introspect");
  EXPECT_EQ(meta.body.at("revocation_endpoint"), "http://tollgate.test/oauth2/revoke");
  EXPECT_EQ(meta.body.at("grant_types_supported"), json::parse(R"(["client_credentials"])"));
  EXPECT_EQ(meta.body.at("token_endpoint_auth_methods_supported"),
            json::parse(R"(["client_secret_basic","client_secret_post"])"));
  EXPECT_EQ(meta.body.at("scopes_supported"), json::parse(R"(["pets:read"])"));

  auto jwks = Call(verb::get, "/oauth2/jwks", nullptr);
  ASSERT_EQ(jwks.status, 200u);
  EXPECT_NE(jwks.raw[beast_http::field::cache_control].find("max-age"), std::string::npos);
  const json::array& keys = jwks.body.at("keys").as_array();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].at("kty"), "EC");
  EXPECT_FALSE(keys[0].as_object().contains("d"));
}

TEST_F(OAuthRestTest, IntrospectThenRevoke) {
  const std::string token = Token();
  auto active = PostForm("/oauth2/introspect", "token=" + token, Basic());
  ASSERT_EQ(active.status, 200u) << json::serialize(active.body);
  EXPECT_EQ(active.body.at("active"), true);
  EXPECT_EQ(active.body.at("client_id").as_string(), client_id_);
  EXPECT_EQ(active.body.at("token_type"), "Bearer");
  EXPECT_EQ(active.body.at("aud"), "tollgate");
  EXPECT_EQ(active.body.at("scope"), "pets:read");
  EXPECT_EQ(active.body.at("iss"), "http://tollgate.test/");
  EXPECT_EQ(PostForm("/oauth2/introspect", "token=" + token, client_id_ + ":bad").status, 401u);
  EXPECT_EQ(PostForm("/oauth2/introspect", "", Basic()).body.at("error"), "invalid_request");

  auto revoked =
      PostForm("/oauth2/revoke", "token=" + token + "&token_type_hint=access_token", Basic());
  EXPECT_EQ(revoked.status, 200u);
  EXPECT_EQ(PostForm("/oauth2/revoke", "token=garbage", Basic()).status, 200u);
  auto inactive = PostForm("/oauth2/introspect", "token=" + token, Basic());
  ASSERT_EQ(inactive.status, 200u);
  EXPECT_EQ(inactive.body, json::parse(R"({"active":false})"));
}

TEST_F(OAuthRestTest, OAuthClientRoutesShowTheSecretOnlyOnce) {
  auto list = Call(verb::get, "/api/v1/applications/" + app_id_ + "/oauth-clients", kAliceAuth);
  ASSERT_EQ(list.status, 200u);
  ASSERT_EQ(list.body.at("items").as_array().size(), 1u);
  const json::object& item = list.body.at("items").at(0).as_object();
  EXPECT_EQ(item.at("clientId").as_string(), client_id_);
  EXPECT_FALSE(item.contains("clientSecret"));
  EXPECT_FALSE(item.contains("secretHash"));

  auto regenerated = Call(
      verb::post, "/api/v1/applications/" + app_id_ + "/oauth-clients/" + client_id_ + "/secret",
      kAliceAuth);
  ASSERT_EQ(regenerated.status, 200u);
  const std::string fresh(regenerated.body.at("clientSecret").as_string());
  EXPECT_NE(fresh, secret_);
  EXPECT_EQ(PostForm("/oauth2/token", "grant_type=client_credentials", Basic()).status, 401u);
  secret_ = fresh;
  EXPECT_FALSE(Token().empty());

  EXPECT_EQ(Call(verb::delete_, "/api/v1/applications/" + app_id_ + "/oauth-clients/" + client_id_,
                 kAdminAuth)
                .status,
            204u);
  auto gone = Call(verb::delete_,
                   "/api/v1/applications/" + app_id_ + "/oauth-clients/" + client_id_, kAliceAuth);
  EXPECT_EQ(gone.status, 404u);
  EXPECT_EQ(gone.body.at("code"), "oauth_client_not_found");
}

TEST_F(OAuthRestTest, IssuersAndExternalClients) {
  const std::string keycloak =
      R"({"name":"Keycloak","issuer":"https://kc.example.com/realms/shop",
          "jwksUri":"https://kc.example.com/realms/shop/certs","clientClaim":"azp"})";
  auto forbidden = Call(verb::post, "/api/v1/issuers", kAliceAuth, keycloak);
  EXPECT_EQ(forbidden.status, 403u);
  auto created = Call(verb::post, "/api/v1/issuers", kAdminAuth, keycloak);
  ASSERT_EQ(created.status, 201u) << json::serialize(created.body);
  EXPECT_EQ(created.body.at("clientClaim"), "azp");
  const std::string id(created.body.at("id").as_string());
  auto twin = Call(verb::post, "/api/v1/issuers", kAdminAuth, keycloak);
  EXPECT_EQ(twin.status, 409u);
  EXPECT_EQ(twin.body.at("code"), "issuer_taken");
  auto bad = Call(verb::post, "/api/v1/issuers", kAdminAuth,
                  R"({"name":"x","issuer":"https://x","jwksUri":"file:///etc"})");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(bad.body.at("field"), "jwksUri");

  auto list = Call(verb::get, "/api/v1/issuers?limit=10", kAdminAuth);
  ASSERT_EQ(list.status, 200u);
  EXPECT_EQ(list.body.at("total"), 1);
  EXPECT_EQ(list.body.at("limit"), 10);
  auto updated = Call(verb::put, "/api/v1/issuers/" + id, kAdminAuth,
                      R"({"name":"KC","issuer":"https://kc.example.com/realms/shop",
                          "discoveryUrl":"https://kc.example.com/realms/shop/.well-known/openid-configuration"})");
  ASSERT_EQ(updated.status, 200u) << json::serialize(updated.body);
  EXPECT_EQ(updated.body.at("clientClaim"), "client_id");
  EXPECT_EQ(Call(verb::get, "/api/v1/issuers/" + id, kAdminAuth).body.at("name"), "KC");

  const std::string ext_path = "/api/v1/applications/" + app_id_ + "/external-clients";
  auto bound = Call(verb::post, ext_path, kAliceAuth,
                    R"({"issuerId":")" + id + R"(","clientId":"shop-svc"})");
  ASSERT_EQ(bound.status, 201u) << json::serialize(bound.body);
  EXPECT_EQ(Call(verb::post, ext_path, kAliceAuth,
                 R"({"issuerId":")" + id + R"(","clientId":"shop-svc"})")
                .status,
            409u);
  EXPECT_EQ(Call(verb::get, ext_path, kAliceAuth).body.at("items").as_array().size(), 1u);
  EXPECT_EQ(
      Call(verb::delete_, ext_path + "/" + std::string(bound.body.at("id").as_string()), kAliceAuth)
          .status,
      204u);
  EXPECT_EQ(Call(verb::delete_, "/api/v1/issuers/" + id, kAdminAuth).status, 204u);
}

TEST_F(OAuthRestTest, SigningKeysAreRotatedByAdminsAndShownWithoutPrivateParts) {
  EXPECT_EQ(Call(verb::post, "/api/v1/signing-keys/rotate", kAliceAuth).status, 403u);
  const std::string before = Token();
  auto rotated = Call(verb::post, "/api/v1/signing-keys/rotate", kAdminAuth);
  ASSERT_EQ(rotated.status, 201u) << json::serialize(rotated.body);
  EXPECT_EQ(rotated.body.at("active"), true);
  auto keys = Call(verb::get, "/api/v1/signing-keys", kAdminAuth);
  ASSERT_EQ(keys.status, 200u);
  ASSERT_EQ(keys.body.at("items").as_array().size(), 2u);
  EXPECT_EQ(keys.body.at("items").at(1).at("active"), false);
  EXPECT_TRUE(keys.body.at("items").at(1).at("expiresAt").is_string());
  EXPECT_EQ(keys.raw.body().find("privateKey"), std::string::npos);
  EXPECT_EQ(keys.raw.body().find("\"d\""), std::string::npos);
  EXPECT_EQ(Call(verb::get, "/oauth2/jwks", nullptr).body.at("keys").as_array().size(), 2u);
  EXPECT_EQ(PostForm("/oauth2/introspect", "token=" + before, Basic()).body.at("active"), true);
}

}  // namespace
}  // namespace tollgate::adapters::rest
