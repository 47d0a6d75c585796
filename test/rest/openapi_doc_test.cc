// The management API's own OpenAPI document matches the implementation: every route the router
// serves is described with its method, and the document describes no route that does not exist.
// Also: the document is served as JSON without credentials.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "adapters/rest/management_api.h"
#include "adapters/rest/management_doc.h"
#include "core/clock.h"
#include "crypto/crypto.h"
#include "store/sqlite/sqlite_store.h"

namespace tollgate::adapters::rest {
namespace {

namespace json = boost::json;
namespace beast_http = boost::beast::http;

// "/api/v1/apis/{id}/documents/{docId}" → "/api/v1/apis/{}/documents/{}": parameter names may
// differ between the router and the document, positions may not.
std::string Shape(std::string_view pattern) {
  std::string out;
  bool in_param = false;
  for (char c : pattern) {
    if (c == '{') {
      in_param = true;
      out += "{}";
    } else if (c == '}') {
      in_param = false;
    } else if (!in_param) {
      out += c;
    }
  }
  return out;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

class OpenApiDocTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tollgate-doc-" + crypto::RandomToken(10));
    std::filesystem::create_directories(dir_);
    auto s = store::SqliteStore::Open((dir_ / "t.db").string());
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s.value());
    service_ = std::make_unique<control::Service>(*store_, clock_, nullptr);
    api_ = std::make_unique<ManagementApi>(*service_, nullptr);
  }
  void TearDown() override {
    api_.reset();
    service_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<control::Service> service_;
  std::unique_ptr<ManagementApi> api_;
};

TEST_F(OpenApiDocTest, DocumentParsesAsOpenApi3) {
  const std::string& text = ManagementOpenApiJson();
  ASSERT_FALSE(text.empty()) << "the embedded management.yaml does not parse";
  json::value doc = json::parse(text);
  EXPECT_EQ(doc.at("openapi").as_string(), "3.0.3");
  EXPECT_TRUE(doc.at("paths").is_object());
  EXPECT_TRUE(doc.at("components").at("schemas").as_object().contains("Problem"));
}

TEST_F(OpenApiDocTest, EveryRouteIsDescribedAndNothingElse) {
  json::value doc = json::parse(ManagementOpenApiJson());
  std::set<std::string> documented;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, operation] : item.as_object()) {
      if (method == "parameters" || method == "summary" || method == "description") continue;
      documented.insert(Lower(method) + " " + Shape(path));
    }
  }
  std::set<std::string> served;
  for (const auto& route : api_->router().Routes()) {
    served.insert(Lower(std::string(beast_http::to_string(route.method))) + " " +
                  Shape(route.pattern));
  }
  for (const std::string& route : served) {
    EXPECT_TRUE(documented.count(route)) << route << " is served but not in management.yaml";
  }
  for (const std::string& route : documented) {
    EXPECT_TRUE(served.count(route)) << route << " is in management.yaml but not served";
  }
}

TEST_F(OpenApiDocTest, ServedAsJsonWithoutCredentials) {
  tollgate::http::Request req{beast_http::verb::get, "/api/v1/openapi.json", 11};
  auto res = (*api_)(req, tollgate::http::RequestContext{"127.0.0.1"});
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(res[beast_http::field::content_type], "application/json");
  json::value doc = json::parse(res.body());
  EXPECT_EQ(doc.at("info").at("title").as_string(), "Tollgate management API");
}

}  // namespace
}  // namespace tollgate::adapters::rest
