// Snapshot building and the lookups the decider relies on.
#include "enforce/snapshot.h"

#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "enforce/fixtures.h"

namespace tollgate::enforce {
namespace {

Api ApiAt(std::string id, std::string context, std::string host = {}) {
  Api a = testing::PetstoreApi();
  a.id = std::move(id);
  a.context = std::move(context);
  a.virtual_host = std::move(host);
  return a;
}

TEST(Snapshot, LongestContextPrefixWinsAtSegmentBoundaries) {
  SnapshotData d;
  d.apis = {ApiAt("short", "/shop"), ApiAt("long", "/shop/v2")};
  auto s = Snapshot::Build(d);
  std::string_view rest;
  ASSERT_NE(s->MatchApi("h", "/shop/v2/pets", &rest), nullptr);
  EXPECT_EQ(s->MatchApi("h", "/shop/v2/pets", &rest)->id, "long");
  EXPECT_EQ(rest, "/pets");
  EXPECT_EQ(s->MatchApi("h", "/shop/v3/pets", &rest)->id, "short");
  EXPECT_EQ(rest, "/v3/pets");
  EXPECT_EQ(s->MatchApi("h", "/shop/v2", &rest)->id, "long");
  EXPECT_EQ(rest, "/");
  EXPECT_EQ(s->MatchApi("h", "/shopping", &rest), nullptr);
}

TEST(Snapshot, HostSpecificApiWinsOverHostlessOneAtTheSameContext) {
  SnapshotData d;
  d.apis = {ApiAt("any", "/pets"), ApiAt("ours", "/pets", "API.example.com")};
  auto s = Snapshot::Build(d);
  std::string_view rest;
  EXPECT_EQ(s->MatchApi("api.example.com", "/pets/1", &rest)->id, "ours");
  EXPECT_EQ(s->MatchApi("Api.Example.Com:8443", "/pets/1", &rest)->id, "ours");
  EXPECT_EQ(s->MatchApi("other.example.com", "/pets/1", &rest)->id, "any");
}

TEST(Snapshot, HostOnlyApiIgnoresOtherHosts) {
  SnapshotData d;
  d.apis = {ApiAt("ours", "/pets", "api.example.com")};
  auto s = Snapshot::Build(d);
  std::string_view rest;
  EXPECT_EQ(s->MatchApi("evil.example.com", "/pets/1", &rest), nullptr);
  EXPECT_EQ(s->MatchApi("[::1]:8080", "/pets/1", &rest), nullptr);
}

TEST(Snapshot, QueryAndFragmentAreIgnoredForMatching) {
  auto s = Snapshot::Build(testing::PetstoreData());
  std::string_view rest;
  ASSERT_NE(s->MatchApi("h", "/petstore/v1/pets?x=/y", &rest), nullptr);
  EXPECT_EQ(rest, "/pets");
}

TEST(Snapshot, KeysAreFoundByDigestOnly) {
  auto s = Snapshot::Build(testing::PetstoreData());
  EXPECT_EQ(s->key_count(), 2u);
  const auto digest = crypto::Sha256(testing::kGoodKey);
  const CompiledKey* k =
      s->FindKey(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(s->application(k->application).id, "app-1");
  EXPECT_EQ(s->FindKey(testing::kGoodKey), nullptr);
}

TEST(Snapshot, BrokenEntriesAreSkippedNotFatal) {
  SnapshotData d = testing::PetstoreData();
  d.apis[0].resources.push_back({"GET", "no-leading-slash", AuthType::kApiKey, {}, {}});
  d.api_keys.push_back({"key-x", "app-missing", "x", "x", crypto::Sha256Hex("x"), 0, {}});
  d.api_keys.push_back({"key-y", "app-1", "y", "y", "not-hex", 0, {}});
  d.subscriptions.push_back({"sub-x", "app-1", "api-missing", "Gold", SubscriptionStatus::kActive, 0});
  auto s = Snapshot::Build(d);
  EXPECT_EQ(s->apis()[0].resources.size(), testing::PetstoreApi().resources.size());
  EXPECT_EQ(s->key_count(), 2u);
}

TEST(Snapshot, ResourcesAreOrderedMostSpecificFirst) {
  auto s = Snapshot::Build(testing::PetstoreData());
  const CompiledApi& api = s->apis()[0];
  EXPECT_EQ(s->MatchResource(api, "GET", "/pets/mine")->path.text(), "/pets/mine");
  EXPECT_EQ(s->MatchResource(api, "GET", "/pets/7")->path.text(), "/pets/{id}");
}

TEST(Snapshot, CarriesItsRevision) {
  EXPECT_EQ(Snapshot::Build(testing::PetstoreData())->revision(), 7);
  EXPECT_EQ(Snapshot::Empty()->revision(), 0);
}

}  // namespace
}  // namespace tollgate::enforce
