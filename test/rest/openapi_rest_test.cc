// The OpenAPI routes called as a function: import (YAML and JSON bodies, overrides, dry run,
// refusals with a JSON pointer, roles) and export (JSON, YAML, gateway server URL).
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
using beast_http::verb;

constexpr const char* kAdminAuth = "Basic YWRtaW46czNjcmV0LXBhc3M=";  // admin:s3cret-pass
constexpr const char* kAliceAuth = "Basic YWxpY2U6YWxpY2UtcGFzcw==";  // alice:alice-pass

constexpr const char* kDoc = R"(openapi: 3.1.0
info: {title: Orders, version: '2.0'}
servers: [{url: 'http://orders.shop.svc:8080/orders/v2'}]
components:
  securitySchemes:
    key: {type: apiKey, in: query, name: key}
security: [{key: []}]
paths:
  /orders: {get: {responses: {'200': {description: ok}}}}
  /orders/{id}: {delete: {security: [], responses: {'204': {description: gone}}}}
)";

class OpenApiRestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tollgate-oas-" + crypto::RandomToken(10));
    std::filesystem::create_directories(dir_);
    auto s = store::SqliteStore::Open((dir_ / "t.db").string());
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s.value());
    service_ = std::make_unique<control::Service>(*store_, clock_, nullptr);
    ASSERT_TRUE(service_->EnsureAdmin(std::string("s3cret-pass")).ok());
    User alice{"user-alice", "alice", Role::kSubscriber, crypto::HashPassword("alice-pass").value(),
               0};
    ASSERT_TRUE(store_->CreateUser(alice).ok());
    api_ = std::make_unique<ManagementApi>(*service_, nullptr);
  }
  void TearDown() override {
    api_.reset();
    service_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  tollgate::http::Response Call(verb method, const std::string& target, const char* auth,
                                const std::string& body = "",
                                const std::string& type = "application/yaml") {
    tollgate::http::Request req{method, target, 11};
    req.set(beast_http::field::authorization, auth);
    if (!body.empty()) req.set(beast_http::field::content_type, type);
    req.body() = body;
    req.prepare_payload();
    return (*api_)(req, tollgate::http::RequestContext{"127.0.0.1"});
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<control::Service> service_;
  std::unique_ptr<ManagementApi> api_;
};

TEST_F(OpenApiRestTest, ImportsAYamlDocumentAndExportsItBack) {
  auto res = Call(verb::post, "/api/v1/apis/import", kAdminAuth, kDoc);
  ASSERT_EQ(res.result_int(), 201u) << res.body();
  const json::value api = json::parse(res.body());
  EXPECT_EQ(api.at("name"), "Orders");
  EXPECT_EQ(api.at("version"), "2.0");
  EXPECT_EQ(api.at("context"), "/orders/v2");
  EXPECT_EQ(api.at("upstream"), "http://orders.shop.svc:8080");
  EXPECT_EQ(api.at("apiKeyHeader"), "query:key");
  EXPECT_EQ(api.at("resources").at(1).at("auth"), "none");
  const std::string id(api.at("id").as_string());

  auto exported =
      Call(verb::get, "/api/v1/apis/" + id + "/openapi?server=https://gw.example.com", kAdminAuth);
  ASSERT_EQ(exported.result_int(), 200u);
  EXPECT_EQ(exported[beast_http::field::content_type], "application/json");
  const json::value doc = json::parse(exported.body());
  EXPECT_EQ(doc.at("servers").at(0).at("url"), "https://gw.example.com/orders/v2");
  EXPECT_EQ(doc.at("components").at("securitySchemes").at("apiKey").at("in"), "query");

  auto as_yaml = Call(verb::get, "/api/v1/apis/" + id + "/openapi?format=yaml", kAdminAuth);
  ASSERT_EQ(as_yaml.result_int(), 200u);
  EXPECT_EQ(as_yaml[beast_http::field::content_type], "application/yaml");
  EXPECT_NE(as_yaml.body().find("openapi: \"3.0.3\""), std::string::npos) << as_yaml.body();
  EXPECT_EQ(Call(verb::get, "/api/v1/apis/" + id + "/openapi?format=xml", kAdminAuth).result_int(),
            400u);
}

TEST_F(OpenApiRestTest, QueryParametersOverrideAndDryRunCreatesNothing) {
  auto res =
      Call(verb::post,
           "/api/v1/apis/import?dryRun=true&name=Shop%20Orders&version=v9&context=%2Fshop%2Fv9",
           kAdminAuth, kDoc, "text/yaml; charset=utf-8");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  const json::value api = json::parse(res.body());
  EXPECT_EQ(api.at("name"), "Shop Orders");
  EXPECT_EQ(api.at("version"), "v9");
  EXPECT_EQ(api.at("context"), "/shop/v9");
  auto list = Call(verb::get, "/api/v1/apis", kAdminAuth);
  EXPECT_EQ(json::parse(list.body()).at("total"), 0);
}

TEST_F(OpenApiRestTest, RefusalsAreProblemsWithAPointer) {
  auto res =
      Call(verb::post, "/api/v1/apis/import", kAdminAuth,
           R"({"openapi":"3.0.3","info":{"title":"X","version":"1"},"paths":{"/a":{"get":{}}}})",
           "application/json");
  ASSERT_EQ(res.result_int(), 400u);
  const json::value problem = json::parse(res.body());
  EXPECT_EQ(problem.at("code"), "missing_upstream");
  EXPECT_EQ(problem.at("field"), "/servers");
  EXPECT_EQ(Call(verb::post, "/api/v1/apis/import", kAdminAuth, kDoc, "text/plain").result_int(),
            415u);
  EXPECT_EQ(
      Call(verb::post, "/api/v1/apis/import?fallbackAuth=magic", kAdminAuth, kDoc).result_int(),
      400u);
  EXPECT_EQ(Call(verb::post, "/api/v1/apis/import", kAliceAuth, kDoc).result_int(),
            403u);  // subscribers may not
  EXPECT_EQ(Call(verb::get, "/api/v1/apis/missing/openapi", kAdminAuth).result_int(), 404u);
}

}  // namespace
}  // namespace tollgate::adapters::rest
