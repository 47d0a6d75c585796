// SqliteStore: opening the database, the revision, the snapshot read and users.
// APIs live in sqlite_apis.cc; applications, subscriptions and keys in sqlite_applications.cc;
// plans and quota usage in sqlite_plans.cc.
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
    auto mesh = LoadMeshIdentities(db_, {});
    if (!mesh.ok()) return mesh.error();
    data.mesh_identities = std::move(mesh.value());
    return data;
  });
}

Result<User> SqliteStore::CreateUser(const User& user) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<User> {
    Stmt st(db_,
            "INSERT INTO users (id, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)");
    st.Bind(1, user.id).Bind(2, user.name).Bind(3, ToString(user.role));
    st.Bind(4, user.password_hash).Bind(5, user.created_at);
    if (auto s = st.Exec(); !s.ok()) {
      return MapConstraint(
          st, s.error(),
          {{"users.name", Conflict("user_name_taken", "a user with this name exists")}});
    }
    return user;
  });
}

Result<User> SqliteStore::GetUserByName(std::string_view name) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "SELECT id, name, role, password_hash, created_at FROM users WHERE name = ?");
  st.Bind(1, name);
  auto row = st.Step();
  if (!row.ok()) return row.error();
  if (!*row) return NotFound("user_not_found", "no user with this name");
  const std::string role = st.Text(2);
  auto parsed = ParseRole(role);
  if (!parsed) return Internal("corrupt row in users: role = '" + role + "'");
  return User{st.Text(0), st.Text(1), *parsed, st.Text(3), st.Int(4)};
}

Result<int64_t> SqliteStore::CountUsers() {
  std::lock_guard lock(mu_);
  return QueryInt(db_, "SELECT COUNT(*) FROM users");
}

}  // namespace tollgate::store
