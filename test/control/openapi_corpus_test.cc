// Every OpenAPI 3.0 / 3.1 example document of @readme/oas-examples (JSON and YAML) either imports
// or is refused for a documented reason; what imports exports to a document that imports back to
// the same resources. Swagger 2.0 documents are all refused as such.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "control/openapi.h"

namespace tollgate::control {
namespace {

namespace fs = std::filesystem;

// The refusals docs/openapi.md documents for real documents.
const std::set<std::string> kDocumentedRefusals = {
    "unsupported_security_scheme",  // HTTP basic, cookie API keys, mutualTLS, two credentials at
                                    // once
    "missing_upstream",             // no servers / only relative ones
    "no_operations",                // webhooks only
    "unknown_security_scheme",      // security names a scheme the document does not define
    "conflicting_api_key_schemes",  // operations take the API key in different places
};

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> Documents(const std::string& version) {
  std::vector<fs::path> out;
  const fs::path root = fs::path(TOLLGATE_OAS_EXAMPLES) / version;
  if (!fs::exists(root)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".json" || ext == ".yaml" || ext == ".yml"))
      out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::multiset<std::string> Routes(const Api& api) {
  std::multiset<std::string> out;
  for (const Resource& r : api.resources) {
    std::string line = r.method + " " + r.path + " " + std::string(ToString(r.auth)) + " " + r.plan;
    for (const auto& s : r.scopes) line += " " + s;
    out.insert(line);
  }
  return out;
}

TEST(OpenApiCorpus, EveryDocumentImportsOrIsRefusedForADocumentedReason) {
  std::vector<fs::path> docs = Documents("3.0");
  for (const auto& p : Documents("3.1")) docs.push_back(p);
  if (docs.empty()) GTEST_SKIP() << "no @readme/oas-examples under " << TOLLGATE_OAS_EXAMPLES;
  std::map<std::string, int> refusals;
  int imported = 0;
  for (const fs::path& path : docs) {
    SCOPED_TRACE(path.string());
    const std::string text = Read(path);
    auto api = ImportOpenApi(text);
    if (!api.ok()) {
      EXPECT_TRUE(kDocumentedRefusals.contains(api.error().code))
          << api.error().code << " " << api.error().field << ": " << api.error().message;
      EXPECT_FALSE(api.error().field.empty());
      ++refusals[api.error().code];
      std::cout << "[ refused  ] " << path.filename().string() << ": " << api.error().code << " "
                << api.error().field << "\n";
      continue;
    }
    ++imported;
    EXPECT_FALSE(api->resources.empty());
    // Export (alone, and merged with the original) and import back: the same routes.
    for (const std::string& original : {std::string(), text}) {
      const std::string exported = ExportOpenApi(*api, original);
      auto back = ImportOpenApi(exported);
      ASSERT_TRUE(back.ok()) << back.error().code << " " << back.error().field << ": "
                             << back.error().message;
      EXPECT_EQ(Routes(*api), Routes(*back));
      EXPECT_EQ(api->context, back->context);
      EXPECT_EQ(api->upstream, back->upstream);
      EXPECT_EQ(api->api_key_header, back->api_key_header);
    }
  }
  std::string summary =
      "imported " + std::to_string(imported) + " of " + std::to_string(docs.size());
  for (const auto& [code, n] : refusals) summary += ", " + code + " " + std::to_string(n);
  std::cout << "[ corpus   ] " << summary << "\n";
  EXPECT_GT(imported, static_cast<int>(docs.size()) / 2) << summary;
}

TEST(OpenApiCorpus, Swagger2DocumentsAreRefusedAsSuch) {
  const auto docs = Documents("2.0");
  if (docs.empty()) GTEST_SKIP();
  for (const fs::path& path : docs) {
    auto api = ImportOpenApi(Read(path));
    ASSERT_FALSE(api.ok()) << path;
    EXPECT_EQ(api.error().code, "unsupported_openapi_version") << path;
    EXPECT_EQ(api.error().field, "/swagger") << path;
  }
}

}  // namespace
}  // namespace tollgate::control
