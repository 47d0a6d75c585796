// REST shapes of the publisher and developer-portal features: API catalog fields, lifecycle
// dates, versions, documents, catalog, approvals, blocking and API key options — JSON in and out,
// status codes, and role checks.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <memory>

#include "adapters/rest/management_api.h"
#include "core/clock.h"
#include "crypto/crypto.h"
#include "store/sqlite/sqlite_store.h"

namespace tollgate::adapters::rest {
namespace {

namespace json = boost::json;
using boost::beast::http::verb;

constexpr const char* kAdmin = "Basic YWRtaW46czNjcmV0LXBhc3M=";  // admin:s3cret-pass
constexpr const char* kAlice = "Basic YWxpY2U6YWxpY2UtcGFzcw==";  // alice:alice-pass (subscriber)
constexpr const char* kCarol = "Basic Y2Fyb2w6Y2Fyb2wtcGFzcw==";  // carol:carol-pass (publisher)
constexpr const char* kDave = "Basic ZGF2ZTpkYXZlLXBhc3M=";       // dave:dave-pass (publisher)

class PortalRestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tollgate-rest-" + crypto::RandomToken(10));
    std::filesystem::create_directories(dir_);
    auto s = store::SqliteStore::Open((dir_ / "t.db").string());
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s.value());
    service_ = std::make_unique<control::Service>(*store_, clock_, nullptr);
    ASSERT_TRUE(service_->EnsureAdmin(std::string("s3cret-pass")).ok());
    for (auto [name, role] : {std::pair{"alice", Role::kSubscriber},
                              std::pair{"carol", Role::kPublisher},
                              std::pair{"dave", Role::kPublisher}}) {
      User user{std::string("user-") + name, name, role,
                crypto::HashPassword(std::string(name) + "-pass").value(), 0};
      ASSERT_TRUE(store_->CreateUser(user).ok());
    }
    api_ = std::make_unique<ManagementApi>(*service_, nullptr);
    ASSERT_EQ(Call(verb::post, "/api/v1/plans", kAdmin,
                   R"({"name":"Gold","rate":{"requests":100,"per":"minute"}})")
                  .status,
              201u);
    auto gated = Call(verb::post, "/api/v1/plans", kAdmin,
                      R"({"name":"Gated","requiresApproval":true})");
    ASSERT_EQ(gated.status, 201u);
    EXPECT_EQ(gated.body.at("requiresApproval"), true);
  }
  void TearDown() override {
    api_.reset();
    service_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  struct Answer {
    unsigned status;
    json::value body;
  };
  Answer Call(verb method, const std::string& target, const char* auth,
              const std::string& body = "") {
    tollgate::http::Request req{method, target, 11};
    req.set(boost::beast::http::field::authorization, auth);
    if (!body.empty()) req.set(boost::beast::http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    auto res = (*api_)(req, tollgate::http::RequestContext{"127.0.0.1"});
    json::value parsed = res.body().empty() ? json::value() : json::parse(res.body());
    return {res.result_int(), parsed};
  }
  static std::string Id(const Answer& a) { return std::string(a.body.at("id").as_string()); }

  // Carol's published API offering Gold and Gated.
  std::string PublishedApi(const std::string& name = "Pets", const std::string& extra = "") {
    auto api = Call(verb::post, "/api/v1/apis", kCarol,
                    R"({"name":")" + name + R"(","version":"v1","context":"/)" + name +
                        R"(/v1","upstream":"http://secret-upstream:8080","plans":["Gold","Gated"],
                        "resources":[{"method":"GET","path":"/pets","auth":"apiKeyOrOAuth2"}])" +
                        extra + "}");
    EXPECT_EQ(api.status, 201u) << json::serialize(api.body);
    const std::string id = Id(api);
    EXPECT_EQ(Call(verb::post, "/api/v1/apis/" + id + "/lifecycle", kCarol,
                   R"({"action":"publish"})")
                  .status,
              200u);
    return id;
  }
  std::string AlicesApp() {
    auto app = Call(verb::post, "/api/v1/applications", kAlice, R"({"name":"Mobile"})");
    EXPECT_EQ(app.status, 201u);
    return Id(app);
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<control::Service> service_;
  std::unique_ptr<ManagementApi> api_;
};

TEST_F(PortalRestTest, ApiPortalFieldsRoundTripAndAreValidated) {
  auto created = Call(verb::post, "/api/v1/apis", kCarol,
                      R"({"name":"Pets","version":"v1","context":"/pets/v1",
                          "upstream":"http://pets:8080","tags":["pets","demo"],
                          "isDefaultVersion":true,"sunsetAt":"2027-06-01T00:00:00Z",
                          "audience":"https://api.example.com",
                          "backendJwtHeader":"X-JWT-Assertion",
                          "resources":[{"method":"GET","path":"/pets","auth":"oauth2"}]})");
  ASSERT_EQ(created.status, 201u) << json::serialize(created.body);
  const json::object& o = created.body.as_object();
  EXPECT_EQ(o.at("tags"), json::parse(R"(["pets","demo"])"));
  EXPECT_EQ(o.at("isDefaultVersion"), true);
  EXPECT_EQ(o.at("sunsetAt"), "2027-06-01T00:00:00Z");
  EXPECT_FALSE(o.contains("deprecatedAt"));
  EXPECT_EQ(o.at("audience"), "https://api.example.com");
  EXPECT_EQ(o.at("backendJwtHeader"), "x-jwt-assertion");
  EXPECT_EQ(o.at("resources").at(0).at("auth"), "oauth2");

  auto bad_time = Call(verb::post, "/api/v1/apis", kCarol,
                       R"({"name":"P2","version":"v1","context":"/p2/v1",
                           "upstream":"http://pets:8080","sunsetAt":"next tuesday"})");
  EXPECT_EQ(bad_time.status, 400u);
  EXPECT_EQ(bad_time.body.at("field"), "sunsetAt");
  auto bad_tags = Call(verb::post, "/api/v1/apis", kCarol,
                       R"({"name":"P2","version":"v1","context":"/p2/v1",
                           "upstream":"http://pets:8080","tags":"pets"})");
  EXPECT_EQ(bad_tags.status, 400u);
  EXPECT_EQ(bad_tags.body.at("field"), "tags");
  auto bad_default = Call(verb::post, "/api/v1/apis", kCarol,
                          R"({"name":"P2","version":"v1","context":"/p2/v1",
                              "upstream":"http://pets:8080","isDefaultVersion":"yes"})");
  EXPECT_EQ(bad_default.status, 400u);
  EXPECT_EQ(bad_default.body.at("field"), "isDefaultVersion");
}

TEST_F(PortalRestTest, DeprecateTakesASunsetAndRefusesNewSubscriptions) {
  const std::string api = PublishedApi();
  clock_.Set(1'800'000'000);  // 2027-01-15T08:00:00Z
  auto deprecated = Call(verb::post, "/api/v1/apis/" + api + "/lifecycle", kCarol,
                         R"({"action":"deprecate","sunsetAt":"2027-06-01T00:00:00Z"})");
  ASSERT_EQ(deprecated.status, 200u) << json::serialize(deprecated.body);
  EXPECT_EQ(deprecated.body.at("lifecycle"), "DEPRECATED");
  EXPECT_EQ(deprecated.body.at("deprecatedAt"), "2027-01-15T08:00:00Z");
  EXPECT_EQ(deprecated.body.at("sunsetAt"), "2027-06-01T00:00:00Z");
  const std::string app = AlicesApp();
  auto refused = Call(verb::post, "/api/v1/applications/" + app + "/subscriptions", kAlice,
                      R"({"apiId":")" + api + R"(","plan":"Gold"})");
  EXPECT_EQ(refused.status, 409u);
  EXPECT_EQ(refused.body.at("code"), "api_not_subscribable");
  auto history = Call(verb::get, "/api/v1/apis/" + api + "/lifecycle", kCarol);
  EXPECT_EQ(history.body.at("items").as_array().size(), 2u);
}

TEST_F(PortalRestTest, VersionsAreCopiesUnderANewContext) {
  const std::string v1 = PublishedApi();
  ASSERT_EQ(Call(verb::post, "/api/v1/apis/" + v1 + "/documents", kCarol,
                 R"({"name":"Guide","content":"# Pets"})")
                .status,
            201u);
  auto v2 = Call(verb::post, "/api/v1/apis/" + v1 + "/versions", kCarol,
                 R"({"version":"v2","isDefaultVersion":true})");
  ASSERT_EQ(v2.status, 201u) << json::serialize(v2.body);
  EXPECT_EQ(v2.body.at("version"), "v2");
  EXPECT_EQ(v2.body.at("context"), "/Pets/v2");
  EXPECT_EQ(v2.body.at("lifecycle"), "CREATED");
  EXPECT_EQ(v2.body.at("isDefaultVersion"), true);
  EXPECT_EQ(v2.body.at("plans"), json::parse(R"(["Gold","Gated"])"));
  auto docs = Call(verb::get, "/api/v1/apis/" + Id(v2) + "/documents", kCarol);
  EXPECT_EQ(docs.body.at("total"), 1);

  auto again = Call(verb::post, "/api/v1/apis/" + v1 + "/versions", kCarol,
                    R"({"version":"v2","context":"/other"})");
  EXPECT_EQ(again.status, 409u);
  EXPECT_EQ(again.body.at("code"), "api_name_version_taken");
  auto context = Call(verb::post, "/api/v1/apis/" + v1 + "/versions", kCarol,
                      R"({"version":"v3","context":"/Pets/v2"})");
  EXPECT_EQ(context.status, 409u);
  EXPECT_EQ(context.body.at("code"), "api_context_taken");
  EXPECT_EQ(Call(verb::post, "/api/v1/apis/nope/versions", kCarol, R"({"version":"v3"})").status,
            404u);
  EXPECT_EQ(Call(verb::post, "/api/v1/apis/" + v1 + "/versions", kAlice, R"({"version":"v3"})")
                .status,
            403u);

  // The default moves: making v1 the default again takes it from v2.
  auto v1_body = Call(verb::get, "/api/v1/apis/" + v1, kCarol).body.as_object();
  v1_body["isDefaultVersion"] = true;
  ASSERT_EQ(Call(verb::put, "/api/v1/apis/" + v1, kCarol, json::serialize(v1_body)).status, 200u);
  EXPECT_EQ(Call(verb::get, "/api/v1/apis/" + Id(v2), kCarol).body.at("isDefaultVersion"), false);
}

TEST_F(PortalRestTest, DocumentsCrudWithRolesAndPaging) {
  const std::string api = PublishedApi();
  const std::string base = "/api/v1/apis/" + api + "/documents";
  EXPECT_EQ(Call(verb::post, base, kAlice, R"({"name":"Mine"})").status, 403u);
  auto guide = Call(verb::post, base, kCarol, R"({"name":"Guide","content":"# Pets"})");
  ASSERT_EQ(guide.status, 201u) << json::serialize(guide.body);
  EXPECT_EQ(guide.body.at("type"), "markdown");
  EXPECT_EQ(guide.body.at("apiId"), json::value(api));
  clock_.Advance(1);  // documents list in creation order
  auto link = Call(verb::post, base, kAdmin,
                   R"({"name":"Spec","type":"url","content":"https://docs.example.com/pets"})");
  ASSERT_EQ(link.status, 201u);
  auto bad_url = Call(verb::post, base, kCarol,
                      R"({"name":"Bad","type":"url","content":"javascript:void"})");
  EXPECT_EQ(bad_url.status, 400u);
  EXPECT_EQ(bad_url.body.at("field"), "content");
  EXPECT_EQ(Call(verb::post, base, kCarol, R"({"name":"Guide"})").status, 409u);

  auto page = Call(verb::get, base + "?offset=1&limit=1", kAlice);
  ASSERT_EQ(page.status, 200u);
  EXPECT_EQ(page.body.at("total"), 2);
  EXPECT_EQ(page.body.at("items").at(0).at("name"), "Spec");
  EXPECT_EQ(Call(verb::get, base + "/" + Id(guide), kAlice).body.at("content"), "# Pets");

  auto updated = Call(verb::put, base + "/" + Id(guide), kCarol,
                      R"({"name":"Guide","content":"# Pets, 2nd edition"})");
  ASSERT_EQ(updated.status, 200u);
  EXPECT_EQ(updated.body.at("content"), "# Pets, 2nd edition");
  EXPECT_EQ(Call(verb::put, base + "/nope", kCarol, R"({"name":"X"})").status, 404u);
  EXPECT_EQ(Call(verb::delete_, base + "/" + Id(guide), kAlice).status, 403u);
  EXPECT_EQ(Call(verb::delete_, base + "/" + Id(guide), kCarol).status, 204u);
  EXPECT_EQ(Call(verb::get, base + "/" + Id(guide), kCarol).status, 404u);
  EXPECT_EQ(Call(verb::get, "/api/v1/apis/nope/documents", kCarol).status, 404u);
}

TEST_F(PortalRestTest, CatalogShowsOnlyVisibleApisWithoutTheirUpstream) {
  const std::string pets = PublishedApi("Pets", R"(,"tags":["animals"])");
  const std::string old = PublishedApi("Weather");
  ASSERT_EQ(Call(verb::post, "/api/v1/apis/" + old + "/lifecycle", kCarol,
                 R"({"action":"deprecate"})")
                .status,
            200u);
  auto draft = Call(verb::post, "/api/v1/apis", kCarol,
                    R"({"name":"Draft","version":"v1","context":"/draft/v1",
                        "upstream":"http://draft:8080"})");
  ASSERT_EQ(draft.status, 201u);
  ASSERT_EQ(Call(verb::post, "/api/v1/apis/" + pets + "/documents", kCarol,
                 R"({"name":"Spec","type":"url","content":"https://docs.example.com"})")
                .status,
            201u);

  auto all = Call(verb::get, "/api/v1/catalog", kAlice);
  ASSERT_EQ(all.status, 200u) << json::serialize(all.body);
  EXPECT_EQ(all.body.at("total"), 2) << "the CREATED draft is not in the catalog";
  EXPECT_EQ(all.body.at("items").at(0).at("name"), "Pets");
  EXPECT_EQ(all.body.at("items").at(1).at("lifecycle"), "DEPRECATED");
  for (const json::value& item : all.body.at("items").as_array()) {
    EXPECT_FALSE(item.as_object().contains("upstream"));
  }
  EXPECT_EQ(Call(verb::get, "/api/v1/catalog?q=ANIMAL", kAlice).body.at("total"), 1);
  EXPECT_EQ(Call(verb::get, "/api/v1/catalog?tag=animals", kAlice).body.at("total"), 1);
  EXPECT_EQ(Call(verb::get, "/api/v1/catalog?tag=anim", kAlice).body.at("total"), 0);
  auto paged = Call(verb::get, "/api/v1/catalog?offset=1&limit=1", kAlice);
  EXPECT_EQ(paged.body.at("total"), 2);
  EXPECT_EQ(paged.body.at("items").as_array().size(), 1u);
  EXPECT_EQ(Call(verb::get, "/api/v1/catalog?limit=0", kAlice).status, 400u);

  auto entry = Call(verb::get, "/api/v1/catalog/" + pets, kAlice);
  ASSERT_EQ(entry.status, 200u);
  const std::string text = json::serialize(entry.body);
  EXPECT_EQ(text.find("secret-upstream"), std::string::npos) << text;
  EXPECT_EQ(entry.body.at("api").at("name"), "Pets");
  EXPECT_EQ(entry.body.at("plans").at(0).at("name"), "Gold");
  EXPECT_EQ(entry.body.at("plans").at(0).at("rate").at("requests"), 100);
  EXPECT_EQ(entry.body.at("plans").at(1).at("requiresApproval"), true);
  EXPECT_EQ(entry.body.at("documents").at(0).at("url"), "https://docs.example.com");
  EXPECT_EQ(entry.body.at("openapi"), json::value("/api/v1/catalog/" + pets + "/openapi"));
  // Developers get the API's OpenAPI document without Tollgate's settings (no upstream).
  auto spec = Call(verb::get, "/api/v1/catalog/" + pets + "/openapi", kAlice);
  ASSERT_EQ(spec.status, 200u);
  const std::string spec_text = json::serialize(spec.body);
  EXPECT_EQ(spec_text.find("secret-upstream"), std::string::npos) << spec_text;
  EXPECT_EQ(spec_text.find("x-tollgate"), std::string::npos) << spec_text;
  EXPECT_EQ(spec.body.at("openapi"), "3.0.3");
  EXPECT_TRUE(spec.body.at("paths").as_object().size() > 0);
  EXPECT_EQ(Call(verb::get, "/api/v1/catalog/" + Id(draft) + "/openapi", kAlice).status, 404u);
  auto hidden = Call(verb::get, "/api/v1/catalog/" + Id(draft), kAlice);
  EXPECT_EQ(hidden.status, 404u);
  EXPECT_EQ(hidden.body.at("code"), "api_not_found");
  EXPECT_EQ(Call(verb::get, "/api/v1/apis/" + Id(draft) + "/documents", kAlice).status, 404u);
  EXPECT_EQ(Call(verb::get, "/api/v1/catalog", "Basic bm9ib2R5Om5vcGU=").status, 401u);
}

TEST_F(PortalRestTest, PendingSubscriptionsAreApprovedOrRejectedByThePublisher) {
  const std::string api = PublishedApi();
  const std::string app = AlicesApp();
  auto sub = Call(verb::post, "/api/v1/applications/" + app + "/subscriptions", kAlice,
                  R"({"apiId":")" + api + R"(","plan":"Gated"})");
  ASSERT_EQ(sub.status, 201u) << json::serialize(sub.body);
  EXPECT_EQ(sub.body.at("status"), "PENDING");
  const std::string id = Id(sub);

  EXPECT_EQ(Call(verb::get, "/api/v1/subscriptions?status=PENDING", kAlice).status, 403u);
  auto pending = Call(verb::get, "/api/v1/subscriptions?status=PENDING", kCarol);
  ASSERT_EQ(pending.status, 200u);
  EXPECT_EQ(pending.body.at("total"), 1);
  EXPECT_EQ(pending.body.at("items").at(0).at("id"), json::value(id));
  EXPECT_EQ(Call(verb::get, "/api/v1/subscriptions?status=PENDING", kDave).body.at("total"), 0);
  EXPECT_EQ(Call(verb::get, "/api/v1/subscriptions?status=WAITING", kCarol).status, 400u);

  auto by_subscriber = Call(verb::post, "/api/v1/subscriptions/" + id + "/approve", kAlice);
  EXPECT_EQ(by_subscriber.status, 403u) << "a subscriber cannot approve";
  EXPECT_EQ(Call(verb::post, "/api/v1/subscriptions/" + id + "/approve", kDave).status, 403u)
      << "nor another API's publisher";
  auto approved = Call(verb::post, "/api/v1/subscriptions/" + id + "/approve", kCarol);
  ASSERT_EQ(approved.status, 200u);
  EXPECT_EQ(approved.body.at("status"), "ACTIVE");
  auto twice = Call(verb::post, "/api/v1/subscriptions/" + id + "/approve", kCarol);
  EXPECT_EQ(twice.status, 409u);
  EXPECT_EQ(twice.body.at("code"), "subscription_not_pending");
  EXPECT_EQ(Call(verb::post, "/api/v1/subscriptions/nope/approve", kAdmin).status, 404u);

  auto blocked = Call(verb::post, "/api/v1/subscriptions/" + id + "/block", kCarol);
  ASSERT_EQ(blocked.status, 200u);
  EXPECT_EQ(blocked.body.at("status"), "BLOCKED");
  EXPECT_EQ(Call(verb::post, "/api/v1/subscriptions/" + id + "/unblock", kAlice).status, 403u);
  EXPECT_EQ(Call(verb::post, "/api/v1/subscriptions/" + id + "/unblock", kAdmin)
                .body.at("status"),
            "ACTIVE");

  // Reject: the pending subscription is gone.
  const std::string other = PublishedApi("Other");
  auto second = Call(verb::post, "/api/v1/applications/" + app + "/subscriptions", kAlice,
                     R"({"apiId":")" + other + R"(","plan":"Gated"})");
  ASSERT_EQ(second.status, 201u);
  EXPECT_EQ(Call(verb::post, "/api/v1/subscriptions/" + Id(second) + "/reject", kCarol).status,
            204u);
  EXPECT_EQ(Call(verb::get, "/api/v1/applications/" + app + "/subscriptions", kAlice)
                .body.at("total"),
            1);
}

TEST_F(PortalRestTest, OnlyAdminsBlockApplications) {
  const std::string api = PublishedApi();
  const std::string app = AlicesApp();
  EXPECT_EQ(Call(verb::post, "/api/v1/applications/" + app + "/block", kCarol).status, 403u)
      << "a publisher cannot block applications";
  EXPECT_EQ(Call(verb::post, "/api/v1/applications/" + app + "/block", kAlice).status, 403u);
  auto blocked = Call(verb::post, "/api/v1/applications/" + app + "/block", kAdmin);
  ASSERT_EQ(blocked.status, 200u);
  EXPECT_EQ(blocked.body.at("blocked"), true);
  EXPECT_EQ(Call(verb::get, "/api/v1/applications/" + app, kAlice).body.at("blocked"), true);
  auto refused = Call(verb::post, "/api/v1/applications/" + app + "/subscriptions", kAlice,
                      R"({"apiId":")" + api + R"("})");
  EXPECT_EQ(refused.status, 409u);
  EXPECT_EQ(refused.body.at("code"), "application_blocked");
  EXPECT_EQ(Call(verb::post, "/api/v1/applications/" + app + "/unblock", kAdmin)
                .body.at("blocked"),
            false);
  EXPECT_EQ(Call(verb::post, "/api/v1/applications/nope/block", kAdmin).status, 404u);
}

TEST_F(PortalRestTest, ApiKeyOptionsAreStoredAndReturnedWithoutTheHash) {
  const std::string api = PublishedApi();
  const std::string other = PublishedApi("Other");
  const std::string app = AlicesApp();
  ASSERT_EQ(Call(verb::post, "/api/v1/applications/" + app + "/subscriptions", kAlice,
                 R"({"apiId":")" + api + R"(","plan":"Gold"})")
                .status,
            201u);
  const std::string keys = "/api/v1/applications/" + app + "/api-keys";
  auto key = Call(verb::post, keys, kAlice,
                  R"({"name":"ci","expiresAt":"2027-12-31T00:00:00Z",
                      "allowedIps":["203.0.113.0/24","2001:db8::/32"],
                      "allowedReferrers":["https://*.example.com/*"],
                      "apiIds":[")" + api + R"("]})");
  ASSERT_EQ(key.status, 201u) << json::serialize(key.body);
  EXPECT_EQ(key.body.at("allowedIps"), json::parse(R"(["203.0.113.0/24","2001:db8::/32"])"));
  EXPECT_EQ(key.body.at("allowedReferrers"), json::parse(R"(["https://*.example.com/*"])"));
  EXPECT_EQ(key.body.at("apiIds"), json::array{json::value(api)});
  EXPECT_EQ(key.body.at("expiresAt"), "2027-12-31T00:00:00Z");
  EXPECT_TRUE(key.body.as_object().contains("key"));
  EXPECT_FALSE(key.body.as_object().contains("hash"));

  auto listed = Call(verb::get, keys, kAlice);
  ASSERT_EQ(listed.status, 200u);
  EXPECT_EQ(listed.body.at("total"), 1);
  const json::object& item = listed.body.at("items").at(0).as_object();
  EXPECT_FALSE(item.contains("key"));
  EXPECT_FALSE(item.contains("hash"));
  EXPECT_EQ(item.at("allowedIps"), key.body.at("allowedIps"));

  auto bad_ip = Call(verb::post, keys, kAlice, R"({"allowedIps":["300.1.1.1"]})");
  EXPECT_EQ(bad_ip.status, 400u);
  EXPECT_EQ(bad_ip.body.at("field"), "allowedIps[0]");
  EXPECT_EQ(bad_ip.body.at("code"), "invalid_address");
  auto not_subscribed =
      Call(verb::post, keys, kAlice, R"({"apiIds":[")" + other + R"("]})");
  EXPECT_EQ(not_subscribed.status, 400u);
  EXPECT_EQ(not_subscribed.body.at("code"), "api_not_subscribed");
  auto wrong_type = Call(verb::post, keys, kAlice, R"({"allowedReferrers":"x"})");
  EXPECT_EQ(wrong_type.status, 400u);
  EXPECT_EQ(wrong_type.body.at("field"), "allowedReferrers");

  auto second = Call(verb::post, keys, kAlice, R"({"name":"second"})");
  ASSERT_EQ(second.status, 201u);
  EXPECT_EQ(Call(verb::get, keys, kAlice).body.at("total"), 2);
  EXPECT_EQ(Call(verb::delete_, keys + "/" + Id(second), kAlice).status, 204u);
  EXPECT_EQ(Call(verb::get, keys, kAlice).body.at("total"), 1);
}

}  // namespace
}  // namespace tollgate::adapters::rest
