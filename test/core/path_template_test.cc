// Path templates: parsing rules and matching as OpenAPI users expect.
#include "core/path_template.h"

#include <algorithm>
#include <gtest/gtest.h>

namespace tollgate {
namespace {

PathTemplate T(std::string_view text) {
  auto t = PathTemplate::Parse(text);
  EXPECT_TRUE(t.ok()) << text;
  return t.value();
}

TEST(PathTemplate, LiteralMatchesExactlyWithOptionalTrailingSlash) {
  EXPECT_TRUE(T("/pets").Matches("/pets"));
  EXPECT_TRUE(T("/pets").Matches("/pets/"));
  EXPECT_FALSE(T("/pets").Matches("/pets/7"));
  EXPECT_FALSE(T("/pets").Matches("/petsx"));
  EXPECT_FALSE(T("/pets").Matches("/"));
}

TEST(PathTemplate, ParamMatchesOneNonEmptySegment) {
  const PathTemplate t = T("/pets/{id}");
  EXPECT_TRUE(t.Matches("/pets/7"));
  EXPECT_TRUE(t.Matches("/pets/abc-def"));
  EXPECT_FALSE(t.Matches("/pets/"));
  EXPECT_FALSE(t.Matches("/pets"));
  EXPECT_FALSE(t.Matches("/pets/7/toys"));
  EXPECT_TRUE(T("/pets/{id}/toys/{toy}").Matches("/pets/7/toys/ball"));
}

TEST(PathTemplate, WildcardMatchesTheRestEvenNothing) {
  const PathTemplate t = T("/files/*");
  EXPECT_TRUE(t.Matches("/files"));
  EXPECT_TRUE(t.Matches("/files/a"));
  EXPECT_TRUE(t.Matches("/files/a/b/c.txt"));
  EXPECT_FALSE(t.Matches("/filesystem"));
  EXPECT_TRUE(T("/*").Matches("/anything/at/all"));
}

TEST(PathTemplate, RootMatchesOnlyRoot) {
  EXPECT_TRUE(T("/").Matches("/"));
  EXPECT_TRUE(T("/").Matches(""));
  EXPECT_FALSE(T("/").Matches("/pets"));
}

TEST(PathTemplate, RejectsMalformedTemplatesNamingTheField) {
  for (std::string_view bad : {"", "pets", "/pets/", "/pets//x", "/pets/{", "/pets/{}", "/pets/a{id}",
                               "/files/*/x", "/a b", "/pets?x=1"}) {
    auto t = PathTemplate::Parse(bad, "resources[3].path");
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.error().field, "resources[3].path");
    EXPECT_EQ(t.error().code, "invalid_path_template");
  }
}

TEST(PathTemplate, LiteralBeatsParamBeatsWildcard) {
  std::vector<PathTemplate> ts = {T("/pets/*"), T("/pets/{id}"), T("/pets/mine"), T("/pets")};
  std::sort(ts.begin(), ts.end(),
            [](const PathTemplate& a, const PathTemplate& b) { return a.specificity() < b.specificity(); });
  std::vector<std::string> order;
  for (const auto& t : ts) order.push_back(t.text());
  EXPECT_EQ(order, (std::vector<std::string>{"/pets/mine", "/pets/{id}", "/pets/*", "/pets"}));
  // "/pets" and "/pets/*" both match "/pets": the first in order that matches wins.
  const PathTemplate* first = nullptr;
  for (const auto& t : ts) {
    if (t.Matches("/pets/mine")) { first = &t; break; }
  }
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->text(), "/pets/mine");
}

}  // namespace
}  // namespace tollgate
