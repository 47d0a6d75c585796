// The management API's own OpenAPI document matches the implementation: every route the router
// serves is described with its method, and the document describes no route that does not exist.
// Also: the document is served as JSON without credentials.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>
#include <string>

#include "adapters/rest/management_doc.h"
#include "rest/rest_harness.h"

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
  testing::TempDir dir_;
  testing::RestHarness harness_{dir_.path() / "t.db"};
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
  for (const auto& route : harness_.api().router().Routes()) {
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
  const testing::Answer res = harness_.Call(beast_http::verb::get, "/api/v1/openapi.json");
  ASSERT_EQ(res.status, 200u) << res.raw.body();
  EXPECT_EQ(res.raw[beast_http::field::content_type], "application/json");
  EXPECT_EQ(res.body.at("info").at("title").as_string(), "Tollgate management API");
}

}  // namespace
}  // namespace tollgate::adapters::rest
