// SqliteStore: opening the database, the revision and the snapshot read.
// APIs live in sqlite_apis.cc; applications, subscriptions and keys in sqlite_applications.cc;
// plans and quota usage in sqlite_plans.cc; users, tokens and sessions in sqlite_users.cc; the
// audit log in sqlite_audit.cc.
// plans and quota usage in sqlite_plans.cc; the key manager's tables in sqlite_oauth.cc.
#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <utility>

#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_schema.h"
#include "store/sqlite/sqlite_statement.h"

namespace tollgate::store {

using namespace sqlite;  // NOLINT(google-build-using-namespace): this backend's own helpers

namespace {

constexpr int kBusyTimeoutMs = 5000;

// WAL lets readers (other processes' snapshot builders) run while one writer commits;
// synchronous=NORMAL is durable across application crashes in WAL mode, and only the last commits
// may be lost on power failure. foreign_keys is per connection, so it is set on every open.
Status Configure(sqlite3* db) {
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  sqlite3_extended_result_codes(db, 1);
  if (auto s = ExecSql(db, "PRAGMA foreign_keys = ON"); !s.ok()) return s;
  // journal_mode answers a row; an in-memory database stays "memory", which is fine.
  if (auto s = ExecSql(db, "PRAGMA journal_mode = WAL"); !s.ok()) return s;
  return ExecSql(db, "PRAGMA synchronous = NORMAL");
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr); rc != SQLITE_OK) {
    Error error = Internal("cannot open " + path + ": " +
                           (db ? sqlite3_errmsg(db) : std::string(sqlite3_errstr(rc))));
    sqlite3_close(db);
    return error;
  }
  // From here the store owns the connection and closes it on every path.
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));
  if (auto s = Configure(db); !s.ok()) return s.error();
  if (auto s = Migrate(db); !s.ok()) return s.error();
  return store;
}

int64_t SqliteStore::SchemaVersion() { return KnownSchemaVersion(); }

SqliteStore::SqliteStore(sqlite3* db) : db_(db) {}

SqliteStore::~SqliteStore() { sqlite3_close_v2(db_); }

Result<int64_t> SqliteStore::Revision() {
  std::lock_guard lock(mu_);
  return QueryInt(db_, "SELECT value FROM revision WHERE id = 1");
}

Result<SnapshotData> SqliteStore::LoadSnapshotData() {
  std::lock_guard lock(mu_);
  return InReadTx(db_, [&]() -> Result<SnapshotData> {
    SnapshotData data;
    auto revision = QueryInt(db_, "SELECT value FROM revision WHERE id = 1");
    if (!revision.ok()) return revision.error();
    data.revision = *revision;
    auto apis = LoadApis(db_, Window{});
    if (!apis.ok()) return apis.error();
    data.apis = std::move(apis.value());
    auto apps = LoadApplications(db_, {}, Window{});
    if (!apps.ok()) return apps.error();
    data.applications = std::move(apps.value());
    auto subs = LoadSubscriptions(db_, {}, Window{});
    if (!subs.ok()) return subs.error();
    data.subscriptions = std::move(subs.value());
    auto keys = LoadApiKeys(db_, {});
    if (!keys.ok()) return keys.error();
    data.api_keys = std::move(keys.value());
    auto plans = LoadPlans(db_, Window{});
    if (!plans.ok()) return plans.error();
    data.plans = std::move(plans.value());
    if (auto s = LoadOAuthSnapshot(db_, data); !s.ok()) return s.error();
    auto mesh = LoadMeshIdentities(db_, {});
    if (!mesh.ok()) return mesh.error();
    data.mesh_identities = std::move(mesh.value());
    return data;
  });
}

}  // namespace tollgate::store
