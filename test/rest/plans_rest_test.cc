// REST shapes of plans, API rate settings and subscription usage: JSON in and out, problems
// naming the field, and the usage source seam.
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
namespace beast_http = boost::beast::http;

constexpr const char* kAdminAuth = "Basic YWRtaW46czNjcmV0LXBhc3M=";  // admin:s3cret-pass
constexpr const char* kAliceAuth = "Basic YWxpY2U6YWxpY2UtcGFzcw==";  // alice:alice-pass

class FixedUsage final : public control::UsageSource {
 public:
  std::optional<control::QuotaUsageView> QuotaUsage(const Subscription&, const Plan&,
                                                    int64_t) override {
    return control::QuotaUsageView{4990, 1'798'761'600, 1'801'440'000};
  }
};

class PlansRestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tollgate-rest-" + crypto::RandomToken(10));
    std::filesystem::create_directories(dir_);
    auto s = store::SqliteStore::Open((dir_ / "t.db").string());
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s.value());
    service_ = std::make_unique<control::Service>(*store_, clock_, nullptr);
    ASSERT_TRUE(service_->EnsureAdmin(std::string("s3cret-pass")).ok());
    User alice{"user-alice", "alice", Role::kSubscriber,
               crypto::HashPassword("alice-pass").value(), 0};
    ASSERT_TRUE(store_->CreateUser(alice).ok());
    api_ = std::make_unique<ManagementApi>(*service_, nullptr);
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
  Answer Call(const ManagementApi& api, beast_http::verb method, const std::string& target,
              const char* auth, const std::string& body = "") {
    tollgate::http::Request req{method, target, 11};
    req.set(beast_http::field::authorization, auth);
    if (!body.empty()) req.set(beast_http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    auto res = api(req, tollgate::http::RequestContext{"127.0.0.1"});
    json::value parsed = res.body().empty() ? json::value() : json::parse(res.body());
    return {res.result_int(), parsed};
  }
  Answer Call(beast_http::verb method, const std::string& target, const char* auth,
              const std::string& body = "") {
    return Call(*api_, method, target, auth, body);
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<control::Service> service_;
  std::unique_ptr<ManagementApi> api_;
};

TEST_F(PlansRestTest, PlanJsonRoundTripsWithTheBurstDefaultedToAWholeWindow) {
  auto created = Call(beast_http::verb::post, "/api/v1/plans", kAdminAuth,
                      R"({"name":"Gold","description":"for teams",
                          "rate":{"requests":100,"per":"minute"},
                          "quota":{"requests":5000,"period":"month","anchor":"subscription",
                                   "timeZone":"Europe/Paris"}})");
  ASSERT_EQ(created.status, 201u) << json::serialize(created.body);
  const json::object& plan = created.body.as_object();
  EXPECT_EQ(plan.at("name"), "Gold");
  EXPECT_EQ(plan.at("description"), "for teams");
  EXPECT_EQ(plan.at("rate"), json::parse(R"({"requests":100,"per":"minute","burst":99})"));
  EXPECT_EQ(plan.at("quota"), json::parse(R"({"requests":5000,"period":"month",
                                              "anchor":"subscription","timeZone":"Europe/Paris"})"));
  EXPECT_TRUE(plan.contains("createdAt"));
  const std::string id(plan.at("id").as_string());

  auto read = Call(beast_http::verb::get, "/api/v1/plans/" + id, kAliceAuth);
  ASSERT_EQ(read.status, 200u);
  EXPECT_EQ(read.body, created.body);

  auto updated = Call(beast_http::verb::put, "/api/v1/plans/" + id, kAdminAuth,
                      R"({"name":"Gold","rate":{"requests":10,"per":"second","burst":0}})");
  ASSERT_EQ(updated.status, 200u) << json::serialize(updated.body);
  EXPECT_FALSE(updated.body.as_object().contains("quota")) << "no quota = unlimited per month";
  EXPECT_EQ(updated.body.at("rate").at("burst"), 0);

  auto list = Call(beast_http::verb::get, "/api/v1/plans", kAliceAuth);
  ASSERT_EQ(list.status, 200u);
  EXPECT_EQ(list.body.at("total"), 2);
  EXPECT_EQ(list.body.at("items").at(0).at("name"), "Unlimited");
  EXPECT_FALSE(list.body.at("items").at(0).as_object().contains("rate"));
}

TEST_F(PlansRestTest, ProblemsNameTheFieldAndRolesAreChecked) {
  auto bad_per = Call(beast_http::verb::post, "/api/v1/plans", kAdminAuth,
                      R"({"name":"Gold","rate":{"requests":100,"per":"fortnight"}})");
  EXPECT_EQ(bad_per.status, 400u);
  EXPECT_EQ(bad_per.body.at("field"), "rate.per");
  auto bad_zone = Call(beast_http::verb::post, "/api/v1/plans", kAdminAuth,
                       R"({"name":"Gold","quota":{"requests":1,"timeZone":"Mars/Olympus"}})");
  EXPECT_EQ(bad_zone.status, 400u);
  EXPECT_EQ(bad_zone.body.at("field"), "quota.timeZone");
  auto bad_key = Call(beast_http::verb::post, "/api/v1/apis", kAdminAuth,
                      R"({"name":"Pets","version":"v1","context":"/pets/v1",
                          "upstream":"http://pets:8080",
                          "keyedLimits":[{"key":"cookie:x","rate":{"requests":1,"per":"second"}}]})");
  EXPECT_EQ(bad_key.status, 400u);
  EXPECT_EQ(bad_key.body.at("field"), "keyedLimits[0].key");

  auto forbidden = Call(beast_http::verb::post, "/api/v1/plans", kAliceAuth, R"({"name":"Mine"})");
  EXPECT_EQ(forbidden.status, 403u);
  auto builtin = Call(beast_http::verb::delete_, "/api/v1/plans/unlimited", kAdminAuth);
  EXPECT_EQ(builtin.status, 409u);
  EXPECT_EQ(builtin.body.at("code"), "plan_builtin");
}

TEST_F(PlansRestTest, ApiRateSettingsAndUsageShowOverRest) {
  ASSERT_EQ(Call(beast_http::verb::post, "/api/v1/plans", kAdminAuth,
                 R"({"name":"Gold","rate":{"requests":100,"per":"minute","burst":10},
                     "quota":{"requests":5000}})")
                .status,
            201u);
  auto api = Call(beast_http::verb::post, "/api/v1/apis", kAdminAuth,
                  R"({"name":"Pets","version":"v1","context":"/pets/v1",
                      "upstream":"http://pets:8080","plans":["Gold"],
                      "backendRate":{"requests":1000,"per":"second","burst":100},
                      "keyedLimits":[{"key":"ip/24","rate":{"requests":10,"per":"second"}}],
                      "failOpen":true})");
  ASSERT_EQ(api.status, 201u) << json::serialize(api.body);
  EXPECT_EQ(api.body.at("backendRate"),
            json::parse(R"({"requests":1000,"per":"second","burst":100})"));
  EXPECT_EQ(api.body.at("keyedLimits"),
            json::parse(R"([{"key":"ip/24","rate":{"requests":10,"per":"second","burst":9}}])"));
  EXPECT_EQ(api.body.at("failOpen"), true);
  const std::string api_id(api.body.at("id").as_string());
  ASSERT_EQ(Call(beast_http::verb::post, "/api/v1/apis/" + api_id + "/lifecycle", kAdminAuth,
                 R"({"action":"publish"})")
                .status,
            200u);

  auto app = Call(beast_http::verb::post, "/api/v1/applications", kAliceAuth,
                  R"({"name":"Mobile","plan":"Gold"})");
  ASSERT_EQ(app.status, 201u) << json::serialize(app.body);
  EXPECT_EQ(app.body.at("plan"), "Gold");
  const std::string app_id(app.body.at("id").as_string());
  auto sub = Call(beast_http::verb::post, "/api/v1/applications/" + app_id + "/subscriptions",
                  kAliceAuth, R"({"apiId":")" + api_id + R"("})");
  ASSERT_EQ(sub.status, 201u) << json::serialize(sub.body);
  const std::string sub_id(sub.body.at("id").as_string());
  const std::string usage_path =
      "/api/v1/applications/" + app_id + "/subscriptions/" + sub_id + "/usage";

  auto unknown = Call(beast_http::verb::get, usage_path, kAliceAuth);
  ASSERT_EQ(unknown.status, 200u) << json::serialize(unknown.body);
  EXPECT_EQ(unknown.body, json::parse(R"({"subscriptionId":")" + sub_id + R"(","plan":"Gold",
      "quota":{"limit":5000,"used":null,"remaining":null,"windowStart":null,"windowEnd":null},
      "rate":{"requests":100,"per":"minute","burst":10}})"));

  FixedUsage usage;
  ManagementApi with_usage(*service_, nullptr, &usage);
  auto known = Call(with_usage, beast_http::verb::get, usage_path, kAliceAuth);
  ASSERT_EQ(known.status, 200u);
  EXPECT_EQ(known.body.at("quota"), json::parse(R"({"limit":5000,"used":4990,"remaining":10,
      "windowStart":"2027-01-01T00:00:00Z","windowEnd":"2027-02-01T00:00:00Z"})"));
}

}  // namespace
}  // namespace tollgate::adapters::rest
