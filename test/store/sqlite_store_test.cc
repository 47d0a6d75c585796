// The SQLite backend: runs the Store contract suite on a database file, plus what only SQLite has
// (migrations, pragmas, file handling).
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_schema.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "store/store_contract_test.h"
#include "store/store_test_data.h"
#include "temp_dir.h"

namespace tollgate::store {
namespace {

using namespace testdata;  // NOLINT(google-build-using-namespace)

class SqliteBackend final : public StoreBackend {
 public:
  std::unique_ptr<Store> Connect() override {
    auto opened = SqliteStore::Open(dir_.File("tollgate.db"));
    if (!opened.ok()) {
      ADD_FAILURE() << "open: " << opened.error().message;
      return nullptr;
    }
    return std::move(opened.value());
  }

 private:
  TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContractTest,
                         ::testing::Values(StoreBackendFactory{
                             "Sqlite", [] { return std::make_unique<SqliteBackend>(); }}),
                         [](const auto& info) { return info.param.name; });

// Raw access to the file, to check what the store wrote beneath the interface.
class RawDb {
 public:
  explicit RawDb(const std::string& path) { sqlite3_open(path.c_str(), &db_); }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  // The first column of the first row, as text ("" when none).
  std::string Query(const char* sql) {
    sqlite3_stmt* st = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql, -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
  }
  bool Exec(const char* sql) {
    return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST(SqliteStoreTest, NewFileIsMigratedToTheCurrentSchemaInWalMode) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  ASSERT_TRUE(Succeeds(SqliteStore::Open(path)));
  RawDb raw(path);
  EXPECT_EQ(raw.Query("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.Query("SELECT COUNT(*) FROM schema_migrations"),
            std::to_string(SqliteStore::SchemaVersion()));
  EXPECT_EQ(raw.Query("SELECT MAX(version) FROM schema_migrations"),
            std::to_string(SqliteStore::SchemaVersion()));
  EXPECT_EQ(raw.Query("SELECT value FROM revision WHERE id = 1"), "0");
}

TEST(SqliteStoreTest, ReopeningAnUpToDateFileAppliesNothing) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  ASSERT_TRUE(Succeeds(SqliteStore::Open(path)));
  RawDb raw(path);
  ASSERT_TRUE(raw.Exec("UPDATE schema_migrations SET applied_at = 42"));
  const std::string schema = raw.Query("SELECT group_concat(sql, ';') FROM sqlite_schema");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Succeeds(SqliteStore::Open(path)));
  EXPECT_EQ(raw.Query("SELECT COUNT(*) FROM schema_migrations WHERE applied_at = 42"),
            std::to_string(SqliteStore::SchemaVersion()));
  EXPECT_EQ(raw.Query("SELECT COUNT(*) FROM schema_migrations"),
            std::to_string(SqliteStore::SchemaVersion()));
  EXPECT_EQ(raw.Query("SELECT group_concat(sql, ';') FROM sqlite_schema"), schema);
}

TEST(SqliteStoreTest, RefusesAFileWithANewerSchema) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  ASSERT_TRUE(Succeeds(SqliteStore::Open(path)));
  {
    RawDb raw(path);
    ASSERT_TRUE(raw.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)"));
  }
  EXPECT_TRUE(FailsWith(SqliteStore::Open(path), ErrorKind::kInternal, "store_schema_too_new"));
}

TEST(SqliteStoreTest, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  const std::string path = dir.File("notes.txt");
  std::ofstream(path) << "these are not the pages you are looking for, not even one of them\n";
  auto opened = SqliteStore::Open(path);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind, ErrorKind::kInternal);
}

TEST(SqliteStoreTest, MissingDirectoryIsAnError) {
  auto opened = SqliteStore::Open("/nonexistent-tollgate-dir/sub/t.db");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind, ErrorKind::kInternal);
}

TEST(SqliteStoreTest, InMemoryDatabaseWorksForTests) {
  auto opened = SqliteStore::Open(":memory:");
  ASSERT_TRUE(Succeeds(opened));
  Store& store = **opened;
  ASSERT_TRUE(Succeeds(store.CreatePlan(MakePlan("Gold"))));
  ASSERT_TRUE(Succeeds(store.CreateApi(MakeApi("petstore"))));
  EXPECT_EQ(*store.Revision(), 2);
}

TEST(SqliteStoreTest, ForeignKeysAreEnforcedAndEnumsStoredAsText) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  auto opened = SqliteStore::Open(path);
  ASSERT_TRUE(Succeeds(opened));
  ASSERT_TRUE(Succeeds((*opened)->CreatePlan(MakePlan("Gold"))));
  Api api = MakeApi("petstore");
  ASSERT_TRUE(Succeeds((*opened)->CreateApi(api)));
  ASSERT_TRUE(Succeeds(
      (*opened)->TransitionApi({api.id, Lifecycle::kCreated, Lifecycle::kPublished, "alice", 5})));
  RawDb raw(path);
  EXPECT_EQ(raw.Query("SELECT lifecycle FROM apis"), "PUBLISHED");
  EXPECT_EQ(raw.Query("SELECT auth FROM api_resources WHERE position = 1"), "none");
  EXPECT_EQ(raw.Query("SELECT scopes FROM api_resources WHERE position = 1"),
            "items:write items:admin");
  EXPECT_EQ(raw.Query("SELECT virtual_host FROM apis"), "");
  EXPECT_EQ(raw.Query("SELECT to_state FROM api_lifecycle_events"), "PUBLISHED");
}

TEST(SqliteStoreTest, RatesAndQuotasAreStoredAsNullableColumns) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  auto opened = SqliteStore::Open(path);
  ASSERT_TRUE(Succeeds(opened));
  Plan plan = MakePlan("Gold");
  plan.quota.reset();
  ASSERT_TRUE(Succeeds((*opened)->CreatePlan(plan)));
  RawDb raw(path);
  EXPECT_EQ(raw.Query("SELECT rate_per FROM plans WHERE name = 'Gold'"), "minute");
  EXPECT_EQ(raw.Query("SELECT quota_requests IS NULL FROM plans WHERE name = 'Gold'"), "1");
  EXPECT_EQ(raw.Query("SELECT rate_requests IS NULL FROM plans WHERE name = 'Unlimited'"), "1");
  EXPECT_EQ(raw.Query("SELECT builtin FROM plans WHERE name = 'Unlimited'"), "1");
  // A half-present rate is refused by the schema itself.
  EXPECT_FALSE(raw.Exec("UPDATE plans SET rate_per = NULL WHERE name = 'Gold'"));
}

// A file written by a release that knew only migration 1, with data in it.
void WriteVersion1File(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_TRUE(Succeeds(sqlite::MigrateTo(db, 1)));
  const char* rows = R"sql(
    INSERT INTO apis (id, name, version, context, upstream, lifecycle, created_at, updated_at)
      VALUES ('api-1', 'petstore', 'v1', '/petstore/v1', 'http://petstore:8080', 'PUBLISHED', 10, 10);
    INSERT INTO api_resources (api_id, position, method, path, auth, plan)
      VALUES ('api-1', 0, 'GET', '/pets', 'apiKey', 'Bronze');
    INSERT INTO api_plans (api_id, position, plan) VALUES ('api-1', 0, 'Gold'), ('api-1', 1, 'Unlimited');
    INSERT INTO applications (id, name, owner, created_at) VALUES ('app-1', 'shop', 'bob', 20);
    INSERT INTO subscriptions (id, application_id, api_id, plan, status, created_at)
      VALUES ('sub-1', 'app-1', 'api-1', 'Gold', 'ACTIVE', 30);
    UPDATE revision SET value = 4 WHERE id = 1;
  )sql";
  EXPECT_EQ(sqlite3_exec(db, rows, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

TEST(SqliteStoreTest, Version1FileIsUpgradedKeepingItsDataAndGainsUnlimited) {
  TempDir dir;
  const std::string path = dir.File("v1.db");
  WriteVersion1File(path);
  {
    RawDb raw(path);
    EXPECT_EQ(raw.Query("SELECT MAX(version) FROM schema_migrations"), "1");
  }
  auto opened = SqliteStore::Open(path);
  ASSERT_TRUE(Succeeds(opened));
  Store& store = **opened;
  RawDb raw(path);
  EXPECT_EQ(raw.Query("SELECT MAX(version) FROM schema_migrations"),
            std::to_string(SqliteStore::SchemaVersion()));
  EXPECT_EQ(*store.Revision(), 4) << "migrating is not a configuration change";

  auto api = store.GetApi("api-1");
  ASSERT_TRUE(Succeeds(api));
  EXPECT_EQ(api->plans, (std::vector<std::string>{"Gold", "Unlimited"}));
  EXPECT_EQ(api->resources.at(0).plan, "Bronze");
  EXPECT_FALSE(api->backend_rate.has_value());
  EXPECT_TRUE(api->keyed_limits.empty());
  EXPECT_FALSE(api->fail_open);
  EXPECT_EQ(store.GetApplication("app-1")->plan, "");
  EXPECT_EQ(store.ListSubscriptions("app-1", {0, 50})->items.at(0).plan, "Gold");

  // Unlimited is built in; the plans version 1 data named exist, without limits (as before).
  auto plans = store.ListPlans({0, 50});
  ASSERT_TRUE(Succeeds(plans));
  std::vector<std::string> names;
  for (const Plan& p : plans->items) {
    names.push_back(p.name);
    EXPECT_FALSE(p.rate.has_value()) << p.name;
    EXPECT_FALSE(p.quota.has_value()) << p.name;
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"Bronze", "Gold", "Unlimited"}));
  EXPECT_TRUE(FailsWith(store.DeletePlan(store.GetPlanByName("Gold")->id), ErrorKind::kConflict,
                        "plan_in_use"));
  EXPECT_TRUE(FailsWith(store.DeletePlan(store.GetPlanByName("Unlimited")->id),
                        ErrorKind::kConflict, "plan_builtin"));
  EXPECT_EQ(store.LoadSnapshotData()->plans.size(), 3u);
}

TEST(SqliteStoreTest, WriterWaitsForAnotherProcessesTransaction) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  auto opened = SqliteStore::Open(path);
  ASSERT_TRUE(Succeeds(opened));
  ASSERT_TRUE(Succeeds((*opened)->CreatePlan(MakePlan("Gold"))));
  RawDb other(path);
  ASSERT_TRUE(other.Exec("BEGIN IMMEDIATE"));
  // The write blocks on the lock (busy_timeout) and goes through once the other side commits.
  Result<Api> created = Internal("not run");
  std::thread writer([&] { created = (*opened)->CreateApi(MakeApi("petstore")); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(other.Exec("COMMIT"));
  writer.join();
  EXPECT_TRUE(Succeeds(created));
}

// Every table either feeds the enforcer's snapshot, and then its changes are logged for patching,
// or is named here as not doing so: a new table cannot be forgotten by the change log.
TEST(SqliteStoreTest, EveryTableIsEitherLoggedForTheSnapshotOrKnownNotToFeedIt) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  ASSERT_TRUE(Succeeds(SqliteStore::Open(path)));
  RawDb raw(path);
  const std::string unlogged = raw.Query(
      "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE type = 'table'"
      " AND name NOT LIKE 'sqlite_%' AND name NOT IN (SELECT tbl_name FROM sqlite_schema"
      " WHERE type = 'trigger' AND name LIKE 'snapshot_changes_%') ORDER BY name)");
  EXPECT_EQ(unlogged,
            "access_tokens api_documents api_lifecycle_events audit_log quota_usage revision "
            "schema_migrations sessions snapshot_changes users");
}

TEST(SqliteStoreTest, TheChangeLogIsPrunedAndAnEnforcerFurtherBehindRebuilds) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  auto store = SqliteStore::Open(path);
  ASSERT_TRUE(Succeeds(store));
  const Application app = MakeApp("shop");
  ASSERT_TRUE(Succeeds((*store)->CreateApplication(app)));
  const int64_t start = *(*store)->Revision();
  // 4096 revisions are kept; 4200 one-key writes push the first ones out.
  for (int i = 0; i < 4200; ++i) {
    ASSERT_TRUE(Succeeds((*store)->CreateApiKey(MakeKey(app, "k" + std::to_string(i)))));
  }
  const int64_t now = *(*store)->Revision();
  RawDb raw(path);
  EXPECT_LE(std::stoll(raw.Query("SELECT COUNT(*) FROM snapshot_changes")), 4097);
  const int64_t log_from = std::stoll(raw.Query("SELECT log_from FROM revision"));
  EXPECT_GT(log_from, start);
  EXPECT_FALSE((*store)->LoadSnapshotChanges(start, 100'000)->patchable);
  EXPECT_FALSE((*store)->LoadSnapshotChanges(log_from - 1, 100'000)->patchable);
  auto recent = (*store)->LoadSnapshotChanges(log_from, 100'000);
  ASSERT_TRUE(Succeeds(recent));
  EXPECT_TRUE(recent->patchable);
  EXPECT_EQ(static_cast<int64_t>(recent->key_hashes.size()), now - log_from);
}

TEST(SqliteStoreTest, UpgradingToTheChangeLogStartsItAtTheCurrentRevision) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_TRUE(sqlite::MigrateTo(db, 6).ok());
    ASSERT_EQ(sqlite3_exec(db, "UPDATE revision SET value = 41", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = SqliteStore::Open(path);
  ASSERT_TRUE(Succeeds(store));
  EXPECT_FALSE((*store)->LoadSnapshotChanges(40, 100)->patchable) << "not logged before";
  EXPECT_TRUE((*store)->LoadSnapshotChanges(41, 100)->patchable);
}

}  // namespace
}  // namespace tollgate::store
