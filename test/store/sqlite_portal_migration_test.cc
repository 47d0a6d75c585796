// The SQLite migration of the management plane (schema "v4"): a database left by the previous
// release (version 2) keeps every row, gains the new columns with their defaults, and accepts
// the widened CHECKs (auth types, PENDING subscriptions).
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "store/sqlite/sqlite_schema.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_test_data.h"
#include "temp_dir.h"

namespace tollgate::store {
namespace {

using namespace testdata;  // NOLINT(google-build-using-namespace)

// A file as the release with schema version 2 left it, with an API, a subscription, a key.
void WriteVersion2File(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_TRUE(Succeeds(sqlite::MigrateTo(db, 2)));
  const char* rows = R"sql(
    INSERT INTO plans (id, name, created_at, rate_requests, rate_per, rate_burst)
      VALUES ('plan-gold', 'Gold', 5, 10, 'minute', 9);
    INSERT INTO apis (id, name, version, context, upstream, lifecycle, created_at, updated_at,
                      fail_open)
      VALUES ('api-1', 'petstore', 'v1', '/petstore/v1', 'http://petstore:8080', 'PUBLISHED',
              10, 10, 1);
    INSERT INTO api_resources (api_id, position, method, path, auth, scopes, plan)
      VALUES ('api-1', 0, 'GET', '/pets', 'apiKey', 'read', 'Gold'),
             ('api-1', 1, 'GET', '/health', 'none', '', '');
    INSERT INTO api_plans (api_id, position, plan) VALUES ('api-1', 0, 'Gold');
    INSERT INTO applications (id, name, owner, created_at, plan)
      VALUES ('app-1', 'shop', 'bob', 20, 'Gold');
    INSERT INTO subscriptions (id, application_id, api_id, plan, status, created_at)
      VALUES ('sub-1', 'app-1', 'api-1', 'Gold', 'BLOCKED', 30);
    INSERT INTO api_keys (id, application_id, name, prefix, hash, created_at, expires_at)
      VALUES ('key-1', 'app-1', 'ci', 'tg_abcde', 'feed', 40, 99999);
    UPDATE revision SET value = 7 WHERE id = 1;
  )sql";
  EXPECT_EQ(sqlite3_exec(db, rows, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

TEST(SqlitePortalMigrationTest, Version2FileKeepsItsDataAndGainsThePortalSchema) {
  TempDir dir;
  const std::string path = dir.File("v2.db");
  WriteVersion2File(path);
  auto opened = SqliteStore::Open(path);
  ASSERT_TRUE(Succeeds(opened));
  Store& store = **opened;
  EXPECT_EQ(*store.Revision(), 7) << "migrating is not a configuration change";

  auto api = store.GetApi("api-1");
  ASSERT_TRUE(Succeeds(api));
  EXPECT_EQ(api->lifecycle, Lifecycle::kPublished);
  EXPECT_TRUE(api->fail_open);
  ASSERT_EQ(api->resources.size(), 2u);
  EXPECT_EQ(api->resources[0].path, "/pets");
  EXPECT_EQ(api->resources[0].scopes, std::vector<std::string>{"read"});
  EXPECT_EQ(api->resources[0].plan, "Gold");
  EXPECT_EQ(api->resources[1].auth, AuthType::kNone);
  EXPECT_TRUE(api->tags.empty());
  EXPECT_FALSE(api->is_default_version);
  EXPECT_FALSE(api->deprecated_at.has_value());
  EXPECT_EQ(api->audience, "");

  auto subs = store.ListSubscriptions("app-1", {0, 10});
  ASSERT_TRUE(Succeeds(subs));
  ASSERT_EQ(subs->items.size(), 1u);
  EXPECT_EQ(subs->items[0].status, SubscriptionStatus::kBlocked);
  EXPECT_EQ(subs->items[0].created_at, 30);
  auto keys = store.ListApiKeys("app-1");
  ASSERT_TRUE(Succeeds(keys));
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].expires_at, std::optional<int64_t>(99999));
  EXPECT_TRUE((*keys)[0].allowed_ips.empty());
  EXPECT_FALSE(store.GetApplication("app-1")->blocked);
  EXPECT_FALSE(store.GetPlan("plan-gold")->requires_approval);

  // The widened CHECKs and the rebuilt tables' references and cascades work.
  Api updated = *api;
  updated.resources[0].auth = AuthType::kOAuth2;
  updated.resources[1].auth = AuthType::kMesh;
  ASSERT_TRUE(Succeeds(store.UpdateApi(updated)));
  EXPECT_EQ(store.GetApi("api-1")->resources[1].auth, AuthType::kMesh);
  ASSERT_TRUE(Succeeds(store.CreateApi(MakeApi("other"))));
  Subscription pending{"sub-2", "app-1", "api-other", "Unlimited", SubscriptionStatus::kPending,
                       50};
  ASSERT_TRUE(Succeeds(store.CreateSubscription(pending)));
  EXPECT_TRUE(FailsWith(store.CreateSubscription(pending), ErrorKind::kConflict,
                        "already_subscribed"));
  ASSERT_TRUE(Succeeds(store.DeleteApi("api-1")));
  EXPECT_EQ(store.ListSubscriptions("app-1", {0, 10})->total, 1) << "cascade still applies";
}

}  // namespace
}  // namespace tollgate::store
