// The authorization matrix of the management REST API: every route the router knows × every kind
// of caller → the status class it must get. Each cell runs on a fresh copy of one seeded store,
// through a real ManagementApi, authenticated by personal access tokens.
//
// A route without a row fails this test: whoever adds a route adds its row here (and to
// docs/roles.md).
#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "rest/rest_harness.h"

namespace tollgate::adapters::rest {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace)
using beast_http::verb;

enum Caller { kAnonymous, kOwner, kOtherSubscriber, kPublisher, kAdmin, kCallers };
constexpr std::array<const char*, kCallers> kCallerNames{"anonymous", "subscriber-owner",
                                                         "other subscriber", "publisher", "admin"};

// "2xx", "401", "403", "404" (or another exact status) per caller, in Caller order.
struct Row {
  verb method;
  std::string pattern;
  std::string body;  // a valid body, so that an allowed caller gets 2xx
  std::array<std::string, kCallers> expect;
};

const std::array<std::string, kCallers> kEveryone{"2xx", "2xx", "2xx", "2xx", "2xx"};
const std::array<std::string, kCallers> kAnyUser{"401", "2xx", "2xx", "2xx", "2xx"};
const std::array<std::string, kCallers> kPublishers{"401", "403", "403", "2xx", "2xx"};
const std::array<std::string, kCallers> kAdmins{"401", "403", "403", "403", "2xx"};
// Owner-scoped: other people's applications do not exist for them (404, no probing).
const std::array<std::string, kCallers> kOwnerOrAdmin{"401", "2xx", "404", "404", "2xx"};
const std::array<std::string, kCallers> kSelfOnly{"401", "2xx", "404", "404", "404"};
const std::array<std::string, kCallers> kSessionOnly{"401", "401", "401", "401", "401"};
// The OAuth2 protocol endpoints authenticate OAuth clients (client_secret_basic/_post), never
// users: no caller here brings client credentials, and a user's bearer token is not one.
const std::array<std::string, kCallers> kClientOnly{"401", "401", "401", "401", "401"};

const std::string kNewApi =
    R"({"name":"New","version":"v1","context":"/new/v1","upstream":"http://new:80",)"
    R"("resources":[{"method":"GET","path":"/x"}]})";
const std::string kApiA =
    R"({"name":"A","version":"v1","context":"/a/v1","upstream":"http://a:80","description":"edited",)"
    R"("resources":[{"method":"GET","path":"/x"}],"plans":["Gold"]})";
const std::string kPassword = "matrix password 1";
const std::string kImport = R"({"openapi":"3.0.3","info":{"title":"Imported","version":"v1"},)"
                            R"("servers":[{"url":"http://imported:80"}],)"
                            R"("paths":{"/x":{"get":{"responses":{"200":{"description":"ok"}}}}}})";
const std::string kIssuerBody = R"({"name":"Corp IdP","issuer":"https://idp.example.com",)"
                                R"("jwksUri":"https://idp.example.com/keys2"})";

std::vector<Row> Table(const std::string& api_b_id, const std::string& issuer_id) {
  const std::string app = "/api/v1/applications/{id}";
  const std::string doc = R"({"name":"Guide 2","type":"markdown","content":"# more"})";
  return {
      {verb::get, "/healthz", "", kEveryone},
      {verb::get, "/readyz", "", kEveryone},
      {verb::get, "/api/v1/openapi.json", "", kEveryone},
      {verb::get, "/api/v1/me", "", kAnyUser},

      {verb::get, "/api/v1/apis", "", kPublishers},
      {verb::post, "/api/v1/apis", kNewApi, kPublishers},
      {verb::get, "/api/v1/apis/{id}", "", kPublishers},
      {verb::put, "/api/v1/apis/{id}", kApiA, kPublishers},
      {verb::delete_, "/api/v1/apis/{id}", "", kPublishers},
      {verb::post, "/api/v1/apis/{id}/lifecycle", R"({"action":"deprecate"})", kPublishers},
      {verb::get, "/api/v1/apis/{id}/lifecycle", "", kPublishers},
      {verb::post, "/api/v1/apis/{id}/versions", R"({"version":"v2"})", kPublishers},
      {verb::post, "/api/v1/apis/import", kImport, kPublishers},
      // The export carries x-tollgate (the upstream): publishers only, unlike the catalog.
      {verb::get, "/api/v1/apis/{id}/openapi", "", kPublishers},
      // Documents: publishers write; every user reads those of catalog (published) APIs.
      {verb::get, "/api/v1/apis/{id}/documents", "", kAnyUser},
      {verb::post, "/api/v1/apis/{id}/documents", doc, kPublishers},
      {verb::get, "/api/v1/apis/{id}/documents/{docId}", "", kAnyUser},
      {verb::put, "/api/v1/apis/{id}/documents/{docId}", doc, kPublishers},
      {verb::delete_, "/api/v1/apis/{id}/documents/{docId}", "", kPublishers},

      {verb::get, "/api/v1/catalog", "", kAnyUser},
      {verb::get, "/api/v1/catalog/{apiId}", "", kAnyUser},
      {verb::get, "/api/v1/catalog/{apiId}/openapi", "", kAnyUser},

      // Approval and blocking: the API's publisher (its creator, "pub" here) or an admin.
      {verb::get, "/api/v1/subscriptions", "", kPublishers},
      {verb::post, "/api/v1/subscriptions/{id}/approve", "", kPublishers},  // a PENDING one
      {verb::post, "/api/v1/subscriptions/{id}/reject", "", kPublishers},   // a PENDING one
      {verb::post, "/api/v1/subscriptions/{id}/block", "", kPublishers},    // an ACTIVE one
      {verb::post, "/api/v1/subscriptions/{id}/unblock", "", kPublishers},  // a BLOCKED one

      {verb::get, "/api/v1/applications", "", kAnyUser},
      {verb::post, "/api/v1/applications", R"({"name":"new-app"})", kAnyUser},
      {verb::get, app, "", kOwnerOrAdmin},
      {verb::put, app, R"({"name":"renamed"})", kOwnerOrAdmin},
      {verb::delete_, app, "", kOwnerOrAdmin},
      {verb::get, app + "/subscriptions", "", kOwnerOrAdmin},
      {verb::post, app + "/subscriptions", R"({"apiId":")" + api_b_id + R"("})", kOwnerOrAdmin},
      {verb::delete_, app + "/subscriptions/{subId}", "", kOwnerOrAdmin},
      {verb::get, app + "/subscriptions/{subId}/usage", "", kOwnerOrAdmin},
      {verb::get, app + "/api-keys", "", kOwnerOrAdmin},
      {verb::post, app + "/api-keys", R"({"name":"k"})", kOwnerOrAdmin},
      {verb::delete_, app + "/api-keys/{keyId}", "", kOwnerOrAdmin},
      {verb::get, app + "/oauth-clients", "", kOwnerOrAdmin},
      {verb::post, app + "/oauth-clients", R"({"name":"c2"})", kOwnerOrAdmin},
      {verb::delete_, app + "/oauth-clients/{clientId}", "", kOwnerOrAdmin},
      {verb::post, app + "/oauth-clients/{clientId}/secret", "", kOwnerOrAdmin},
      {verb::get, app + "/external-clients", "", kOwnerOrAdmin},
      {verb::post, app + "/external-clients",
       R"({"issuerId":")" + issuer_id + R"(","clientId":"ext-client-2"})", kOwnerOrAdmin},
      {verb::delete_, app + "/external-clients/{extId}", "", kOwnerOrAdmin},
      {verb::get, app + "/mesh-identities", "", kOwnerOrAdmin},
      {verb::post, app + "/mesh-identities",
       R"({"principal":"spiffe://cluster.local/ns/shop/sa/other"})", kOwnerOrAdmin},
      {verb::delete_, app + "/mesh-identities/{identityId}", "", kOwnerOrAdmin},
      // Blocking an application is the admins' (not its owner's) sanction.
      {verb::post, app + "/block", "", kAdmins},
      {verb::post, app + "/unblock", "", kAdmins},  // a blocked application

      {verb::get, "/api/v1/plans", "", kAnyUser},
      {verb::post, "/api/v1/plans", R"({"name":"Platinum"})", kAdmins},
      {verb::get, "/api/v1/plans/{id}", "", kAnyUser},
      {verb::put, "/api/v1/plans/{id}", R"({"description":"cheaper"})", kAdmins},
      {verb::delete_, "/api/v1/plans/{id}", "", kAdmins},

      {verb::get, "/api/v1/users", "", kAdmins},
      {verb::post, "/api/v1/users", R"({"name":"newuser","password":")" + kPassword + R"("})",
       kAdmins},
      {verb::get, "/api/v1/users/{id}", "", kAdmins},
      {verb::put, "/api/v1/users/{id}", R"({"email":"v@example.com"})", kAdmins},
      {verb::delete_, "/api/v1/users/{id}", "", kAdmins},
      {verb::get, "/api/v1/audit", "", kAdmins},

      {verb::get, "/api/v1/issuers", "", kAdmins},
      {verb::post, "/api/v1/issuers",
       R"({"name":"Other IdP","issuer":"https://other.example.com",)"
       R"("jwksUri":"https://other.example.com/keys"})",
       kAdmins},
      {verb::get, "/api/v1/issuers/{id}", "", kAdmins},
      {verb::put, "/api/v1/issuers/{id}", kIssuerBody, kAdmins},
      {verb::delete_, "/api/v1/issuers/{id}", "", kAdmins},
      {verb::get, "/api/v1/signing-keys", "", kAdmins},
      {verb::post, "/api/v1/signing-keys/rotate", "", kAdmins},

      {verb::get, "/api/v1/me/tokens", "", kAnyUser},
      {verb::post, "/api/v1/me/tokens", R"({"name":"t"})", kAnyUser},
      {verb::delete_, "/api/v1/me/tokens/{id}", "", kSelfOnly},  // the owner's token

      // Public: signup (enabled here) and login ignore who calls.
      {verb::post, "/api/v1/signup", R"({"name":"newbie","password":")" + kPassword + R"("})",
       kEveryone},
      {verb::post, "/api/v1/session", R"({"name":"owner","password":")" + kPassword + R"("})",
       kEveryone},
      {verb::get, "/api/v1/session", "", kSessionOnly},  // answers the session cookie only
      {verb::delete_, "/api/v1/session", "", kAnyUser},

      // OAuth2 protocol endpoints (form bodies). Token, introspection and revocation need client
      // credentials (the seeded client gets 200: OAuthEndpointsServeTheSeededClient); JWKS and the
      // metadata are public.
      {verb::post, "/oauth2/token", "grant_type=client_credentials", kClientOnly},
      {verb::post, "/oauth2/introspect", "token=tgp_not_a_client_token", kClientOnly},
      {verb::post, "/oauth2/revoke", "token=tgp_not_a_client_token", kClientOnly},
      {verb::get, "/oauth2/jwks", "", kEveryone},
      {verb::get, "/.well-known/oauth-authorization-server", "", kEveryone},
  };
}

// One seeded store, copied for every cell.
class AuthzMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto template_db = dir_.path() / "template.db";
    RestHarness seed(template_db);
    seed.AttachKeyManager();  // its signing key goes into the template
    auto& store = seed.store();
    const std::string hash = crypto::HashPassword(kPassword).value();
    const std::array<std::pair<const char*, Role>, kCallers> users{{{"", Role::kSubscriber},
                                                                    {"owner", Role::kSubscriber},
                                                                    {"other", Role::kSubscriber},
                                                                    {"pub", Role::kPublisher},
                                                                    {"root", Role::kAdmin}}};
    for (int c = kOwner; c < kCallers; ++c) {
      User u{std::string("user-") + users[c].first, users[c].first, users[c].second, hash, 1};
      ASSERT_TRUE(store.CreateUser(u).ok());
      auto token = seed.accounts().CreateToken({u.name, u.role}, "matrix", std::nullopt);
      ASSERT_TRUE(token.ok());
      tokens_[c] = token->token;
      if (c == kOwner) ids_["/api/v1/me/tokens/{id}"] = token->record.id;
    }
    User victim{"user-victim", "victim", Role::kSubscriber, hash, 1};
    ASSERT_TRUE(store.CreateUser(victim).ok());
    ids_["/api/v1/users/{id}"] = victim.id;

    const control::Principal root{"root", Role::kAdmin}, owner{"owner", Role::kSubscriber},
        pub{"pub", Role::kPublisher};
    auto& service = seed.service();
    ASSERT_TRUE(service.CreatePlan(root, Plan{.name = "Gold"}).ok());
    ASSERT_TRUE(service.CreatePlan(root, Plan{.name = "Approval", .requires_approval = true}).ok());
    auto spare = service.CreatePlan(root, Plan{.name = "Spare"});
    ASSERT_TRUE(spare.ok());
    ids_["/api/v1/plans/{id}"] = spare->id;
    auto make_api = [&](const std::string& name,
                        const control::Principal& by = {"root", Role::kAdmin},
                        std::vector<std::string> plans = {"Gold"}) {
      Api api;
      api.name = name;
      api.version = "v1";
      api.context = "/" + std::string(1, static_cast<char>(std::tolower(name[0]))) + "/v1";
      api.upstream = "http://" + name + ":80";
      api.resources = {{"GET", "/x", AuthType::kApiKey, {}, {}}};
      api.plans = std::move(plans);
      auto created = service.CreateApi(by, api);
      EXPECT_TRUE(created.ok()) << created.error().message;
      EXPECT_TRUE(service.ChangeLifecycle(by, created->id, "publish").ok());
      return created->id;
    };
    ids_["/api/v1/apis/{id}"] = make_api("A");
    api_b_ = make_api("B");
    auto app = service.CreateApplication(owner, Application{.name = "owned"});
    ASSERT_TRUE(app.ok());
    ids_["/api/v1/applications/{id}"] = app->id;
    auto sub = service.Subscribe(owner, app->id, ids_["/api/v1/apis/{id}"], "Gold");
    ASSERT_TRUE(sub.ok());
    ids_["{subId}"] = sub->id;
    auto key = service.CreateApiKey(owner, app->id, "k", std::nullopt);
    ASSERT_TRUE(key.ok());
    ids_["{keyId}"] = key->record.id;
    ids_["{apiId}"] = ids_["/api/v1/apis/{id}"];

    ApiDocument guide;
    guide.name = "Guide";
    guide.type = "markdown";
    guide.content = "# Getting started";
    auto doc = service.CreateDocument(root, ids_["/api/v1/apis/{id}"], guide);
    ASSERT_TRUE(doc.ok()) << doc.error().message;
    ids_["{docId}"] = doc->id;

    auto client = service.CreateOAuthClient(owner, app->id, "backend");
    ASSERT_TRUE(client.ok()) << client.error().message;
    ids_["{clientId}"] = client_id_ = client->record.client_id;
    client_secret_ = client->secret;
    Issuer idp;
    idp.name = "Corp IdP";
    idp.issuer = "https://idp.example.com";
    idp.jwks_uri = "https://idp.example.com/keys";
    auto issuer = service.CreateIssuer(root, idp);
    ASSERT_TRUE(issuer.ok()) << issuer.error().message;
    issuer_id_ = ids_["/api/v1/issuers/{id}"] = issuer->id;
    auto ext = service.CreateExternalClient(owner, app->id, issuer->id, "ext-client-1");
    ASSERT_TRUE(ext.ok()) << ext.error().message;
    ids_["{extId}"] = ext->id;
    auto mesh =
        service.CreateMeshIdentity(owner, app->id, "spiffe://cluster.local/ns/shop/sa/checkout");
    ASSERT_TRUE(mesh.ok()) << mesh.error().message;
    ids_["{identityId}"] = mesh->id;

    // The publisher's own APIs, with one subscription of the owner's in each state.
    const std::string p = make_api("P", pub, {"Gold", "Approval"});
    auto pending = service.Subscribe(owner, app->id, p, "Approval");
    ASSERT_TRUE(pending.ok()) << pending.error().message;
    ASSERT_EQ(pending->status, SubscriptionStatus::kPending);
    ids_["/api/v1/subscriptions/{id}/approve"] = pending->id;
    ids_["/api/v1/subscriptions/{id}/reject"] = pending->id;
    auto active = service.Subscribe(owner, app->id, make_api("Q", pub), "Gold");
    ASSERT_TRUE(active.ok()) << active.error().message;
    ids_["/api/v1/subscriptions/{id}/block"] = active->id;
    auto blocked = service.Subscribe(owner, app->id, make_api("R", pub), "Gold");
    ASSERT_TRUE(blocked.ok()) << blocked.error().message;
    ASSERT_TRUE(service.BlockSubscription(pub, blocked->id).ok());
    ids_["/api/v1/subscriptions/{id}/unblock"] = blocked->id;

    // A blocked application of the owner's, for unblock.
    auto sanctioned = service.CreateApplication(owner, Application{.name = "sanctioned"});
    ASSERT_TRUE(sanctioned.ok());
    ASSERT_TRUE(service.SetApplicationBlocked(root, sanctioned->id, true).ok());
    ids_["/api/v1/applications/{id}/unblock"] = sanctioned->id;
  }

  // The request path for `pattern`: {id} is the seeded resource under that prefix.
  std::string PathFor(const std::string& pattern) {
    std::string path = pattern;
    auto replace = [&](const std::string& token, const std::string& value) {
      if (const size_t at = path.find(token); at != std::string::npos) {
        path.replace(at, token.size(), value);
      }
    };
    // The longest matching prefix names {id} (".../{id}/unblock" before ".../{id}").
    size_t longest = 0;
    std::string id;
    for (const auto& [prefix, value] : ids_) {
      if (prefix.front() == '/' && pattern.rfind(prefix, 0) == 0 && prefix.size() > longest) {
        longest = prefix.size();
        id = value;
      }
    }
    if (longest > 0) replace("{id}", id);
    for (const auto& [token, value] : ids_) {
      if (token.front() == '{') replace(token, value);
    }
    return path;
  }

  std::string Run(const Row& row, int caller, int cell) {
    const auto db = dir_.path() / ("cell-" + std::to_string(cell) + ".db");
    std::filesystem::copy_file(dir_.path() / "template.db", db);
    RestHarness rest(db);
    rest.AttachKeyManager();
    rest.accounts().SetSignupEnabled(true);
    std::map<std::string, std::string> headers;
    if (caller != kAnonymous) headers["Authorization"] = "Bearer " + tokens_[caller];
    if (row.pattern.rfind("/oauth2/", 0) == 0) {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
    }
    Answer a = rest.Call(row.method, PathFor(row.pattern), headers, row.body);
    last_body_ = a.raw.body();
    return a.status / 100 == 2 ? "2xx" : std::to_string(a.status);
  }

  TempDir dir_;
  std::array<std::string, kCallers> tokens_;
  std::map<std::string, std::string> ids_;
  std::string api_b_;
  std::string issuer_id_;
  std::string client_id_, client_secret_;
  std::string last_body_;
};

TEST_F(AuthzMatrixTest, EveryRouteAnswersEveryCallerAsTheTableSays) {
  const std::vector<Row> table = Table(api_b_, issuer_id_);
  std::set<std::pair<std::string, std::string>> rows;
  for (const Row& row : table) {
    rows.emplace(std::string(beast_http::to_string(row.method)), row.pattern);
  }

  // The router's routes and the table's rows are the same set.
  std::set<std::pair<std::string, std::string>> routes;
  {
    RestHarness probe(dir_.path() / "probe.db");
    for (const auto& r : probe.api().router().Routes()) {
      routes.emplace(std::string(beast_http::to_string(r.method)), r.pattern);
    }
  }
  for (const auto& route : routes) {
    EXPECT_TRUE(rows.count(route)) << "route " << route.first << " " << route.second
                                   << " has no row in the authorization matrix: add one (and "
                                      "to docs/roles.md)";
  }
  for (const auto& row : rows) {
    EXPECT_TRUE(routes.count(row)) << "row " << row.first << " " << row.second << " names no route";
  }

  int cell = 0;
  for (const Row& row : table) {
    if (!routes.count({std::string(beast_http::to_string(row.method)), row.pattern})) continue;
    for (int caller = 0; caller < kCallers; ++caller) {
      const std::string got = Run(row, caller, cell++);
      EXPECT_EQ(got, row.expect[caller]) << beast_http::to_string(row.method) << " " << row.pattern
                                         << " as " << kCallerNames[caller] << ": " << last_body_;
    }
  }
}

// The client-authenticated rows above answer 401 to every user; the seeded OAuth client, with its
// credentials, is served by the same endpoints.
TEST_F(AuthzMatrixTest, OAuthEndpointsServeTheSeededClient) {
  const auto db = dir_.path() / "oauth.db";
  std::filesystem::copy_file(dir_.path() / "template.db", db);
  RestHarness rest(db);
  rest.AttachKeyManager();
  const std::map<std::string, std::string> client{
      {"Authorization", BasicAuth(client_id_, client_secret_)},
      {"Content-Type", "application/x-www-form-urlencoded"}};
  Answer token = rest.Call(verb::post, "/oauth2/token", client, "grant_type=client_credentials");
  ASSERT_EQ(token.status, 200u) << token.raw.body();
  const std::string access(token.body.at("access_token").as_string());
  Answer introspected = rest.Call(verb::post, "/oauth2/introspect", client, "token=" + access);
  ASSERT_EQ(introspected.status, 200u) << introspected.raw.body();
  EXPECT_TRUE(introspected.body.at("active").as_bool());
  EXPECT_EQ(rest.Call(verb::post, "/oauth2/revoke", client, "token=" + access).status, 200u);

  // A wrong secret is no client.
  const std::map<std::string, std::string> wrong{
      {"Authorization", BasicAuth(client_id_, client_secret_ + "x")},
      {"Content-Type", "application/x-www-form-urlencoded"}};
  EXPECT_EQ(rest.Call(verb::post, "/oauth2/token", wrong, "grant_type=client_credentials").status,
            401u);
}

}  // namespace
}  // namespace tollgate::adapters::rest
