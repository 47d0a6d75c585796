// The SQLite schema as an ordered list of migrations, and the code that applies them.
// Append new migrations at the end; never edit one that has shipped.
#include "store/sqlite/sqlite_schema.h"

#include <array>
#include <string>

#include "store/sqlite/sqlite_statement.h"

namespace tollgate::store::sqlite {
namespace {

// Enum columns hold the text names of core/model.h (ToString / Parse*); the CHECKs keep them so.
constexpr const char* kV1 = R"sql(
CREATE TABLE revision (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  value INTEGER NOT NULL
);
INSERT INTO revision (id, value) VALUES (1, 0);

CREATE TABLE apis (
  id             TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  version        TEXT NOT NULL,
  description    TEXT NOT NULL DEFAULT '',
  context        TEXT NOT NULL,
  virtual_host   TEXT NOT NULL DEFAULT '',  -- '' when absent, so that UNIQUE applies to it
  upstream       TEXT NOT NULL,
  api_key_header TEXT NOT NULL DEFAULT '',
  lifecycle      TEXT NOT NULL
                 CHECK (lifecycle IN ('CREATED', 'PUBLISHED', 'DEPRECATED', 'RETIRED', 'BLOCKED')),
  created_by     TEXT NOT NULL DEFAULT '',
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  UNIQUE (name, version),
  UNIQUE (virtual_host, context)
);
CREATE INDEX apis_by_created ON apis (created_at, id);

CREATE TABLE api_resources (
  api_id   TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  method   TEXT NOT NULL,
  path     TEXT NOT NULL,
  auth     TEXT NOT NULL CHECK (auth IN ('apiKey', 'none')),
  scopes   TEXT NOT NULL DEFAULT '',  -- space-separated, as in OAuth2's scope parameter
  plan     TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (api_id, position)
) WITHOUT ROWID;

CREATE TABLE api_plans (
  api_id   TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  plan     TEXT NOT NULL,
  PRIMARY KEY (api_id, position)
) WITHOUT ROWID;

CREATE TABLE api_lifecycle_events (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  api_id     TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
  from_state TEXT NOT NULL,
  to_state   TEXT NOT NULL,
  actor      TEXT NOT NULL,
  at         INTEGER NOT NULL
);
CREATE INDEX api_lifecycle_events_by_api ON api_lifecycle_events (api_id, seq);

CREATE TABLE applications (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  owner       TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  UNIQUE (owner, name)
);
CREATE INDEX applications_by_created ON applications (created_at, id);
CREATE INDEX applications_by_owner ON applications (owner, created_at, id);

CREATE TABLE subscriptions (
  id             TEXT PRIMARY KEY,
  application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  api_id         TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
  plan           TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('ACTIVE', 'BLOCKED')),
  created_at     INTEGER NOT NULL,
  UNIQUE (application_id, api_id)
);
CREATE INDEX subscriptions_by_api ON subscriptions (api_id);
CREATE INDEX subscriptions_by_created ON subscriptions (created_at, id);

CREATE TABLE api_keys (
  id             TEXT PRIMARY KEY,
  application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  name           TEXT NOT NULL,
  prefix         TEXT NOT NULL,
  hash           TEXT NOT NULL UNIQUE,
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER  -- NULL: never expires
);
CREATE INDEX api_keys_by_application ON api_keys (application_id, created_at, id);

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'publisher', 'subscriber')),
  password_hash TEXT NOT NULL,
  created_at    INTEGER NOT NULL
);
)sql";

// Version 2: plans (subscription tiers) with their rate and quota, API backend protection and
// keyed limits, application-level plans, and persisted quota usage. A rate (or quota) is all of
// its columns or none of them: NULL = no such limit.
constexpr const char* kV2 = R"sql(
CREATE TABLE plans (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL UNIQUE,
  description     TEXT NOT NULL DEFAULT '',
  builtin         INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),  -- 1: never changed
  rate_requests   INTEGER CHECK (rate_requests > 0),
  rate_per        TEXT CHECK (rate_per IN ('second', 'minute', 'hour', 'day')),
  rate_burst      INTEGER CHECK (rate_burst >= 0),
  quota_requests  INTEGER CHECK (quota_requests > 0),
  quota_anchor    TEXT CHECK (quota_anchor IN ('calendar', 'subscription')),
  quota_time_zone TEXT,
  created_at      INTEGER NOT NULL,
  CHECK ((rate_requests IS NULL) = (rate_per IS NULL) AND (rate_per IS NULL) = (rate_burst IS NULL)),
  CHECK ((quota_requests IS NULL) = (quota_anchor IS NULL) AND
         (quota_anchor IS NULL) = (quota_time_zone IS NULL))
);
CREATE INDEX plans_by_created ON plans (created_at, id);
INSERT INTO plans (id, name, description, builtin, created_at)
  VALUES ('unlimited', 'Unlimited', 'No rate limit and no quota.', 1, 0);
-- Plans that version-1 data names become unlimited plans (version 1 enforced no limits), so that
-- every plan reference resolves from now on.
INSERT INTO plans (id, name, description, created_at)
  SELECT lower(hex(randomblob(16))), name, 'Created when upgrading the store: no limits yet.',
         CAST(strftime('%s', 'now') AS INTEGER)
  FROM (SELECT plan AS name FROM api_plans
        UNION SELECT plan FROM api_resources WHERE plan <> ''
        UNION SELECT plan FROM subscriptions)
  WHERE name NOT IN (SELECT name FROM plans);

ALTER TABLE apis ADD COLUMN backend_rate_requests INTEGER CHECK (backend_rate_requests > 0);
ALTER TABLE apis ADD COLUMN backend_rate_per TEXT
  CHECK (backend_rate_per IN ('second', 'minute', 'hour', 'day'));
ALTER TABLE apis ADD COLUMN backend_rate_burst INTEGER CHECK (backend_rate_burst >= 0);
ALTER TABLE apis ADD COLUMN fail_open INTEGER NOT NULL DEFAULT 0 CHECK (fail_open IN (0, 1));

CREATE TABLE api_keyed_limits (
  api_id   TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  key      TEXT NOT NULL,  -- "ip", "ip/N", "header:NAME", "query:NAME", "claim:NAME"
  requests INTEGER NOT NULL CHECK (requests > 0),
  per      TEXT NOT NULL CHECK (per IN ('second', 'minute', 'hour', 'day')),
  burst    INTEGER NOT NULL CHECK (burst >= 0),
  PRIMARY KEY (api_id, position)
) WITHOUT ROWID;

ALTER TABLE applications ADD COLUMN plan TEXT NOT NULL DEFAULT '';  -- '' = none

CREATE INDEX api_plans_by_plan ON api_plans (plan);
CREATE INDEX subscriptions_by_plan ON subscriptions (plan);

-- Counters, not configuration: written without bumping the revision.
CREATE TABLE quota_usage (
  key          TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  window_end   INTEGER NOT NULL,
  used         INTEGER NOT NULL CHECK (used >= 0),
  PRIMARY KEY (key, window_start)
) WITHOUT ROWID;
CREATE INDEX quota_usage_by_end ON quota_usage (window_end);
)sql";

// Version 6: mesh identities (SPIFFE principals) registered as application credentials.
// (Versions 3-5 come from other branches; on merge, kMigrations lists kV1 … kV6 in order.)
constexpr const char* kV6 = R"sql(
CREATE TABLE mesh_identities (
  id             TEXT PRIMARY KEY,
  application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  principal      TEXT NOT NULL UNIQUE,
  created_at     INTEGER NOT NULL
);
CREATE INDEX mesh_identities_by_application ON mesh_identities (application_id, created_at, id);
)sql";

// Migration i (0-based) brings the schema to version i + 1.
// TODO(merge): versions 3-5 live on other branches; until they are merged, kV6 is applied as the
// third migration of this branch.
constexpr std::array<const char*, 3> kMigrations{kV1, kV2, kV6};

Result<int64_t> CurrentVersion(sqlite3* db) {
  Stmt st(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  auto row = st.Step();
  if (!row.ok()) return row.error();
  return *row ? st.Int(0) : 0;
}

Error TooNew(int64_t found) {
  return Error{ErrorKind::kInternal,
               "store_schema_too_new",
               "the store has schema version " + std::to_string(found) + " but this build knows " +
                   std::to_string(KnownSchemaVersion()) + "; upgrade tollgate",
               {}};
}

}  // namespace

int64_t KnownSchemaVersion() { return static_cast<int64_t>(kMigrations.size()); }

Status Migrate(sqlite3* db) { return MigrateTo(db, KnownSchemaVersion()); }

Status MigrateTo(sqlite3* db, int64_t target) {
  if (target < 0 || target > KnownSchemaVersion()) {
    return Internal("no schema version " + std::to_string(target));
  }
  // IF NOT EXISTS makes this safe to race with another process opening the same file.
  if (auto s = ExecSql(db,
                       "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
      !s.ok()) {
    return s;
  }
  auto start = CurrentVersion(db);
  if (!start.ok()) return start.error();
  if (*start > KnownSchemaVersion()) return TooNew(*start);
  // An up-to-date database is only read: no write lock is taken.
  for (int64_t version = *start + 1; version <= target; ++version) {
    if (auto s = ExecSql(db, "BEGIN IMMEDIATE"); !s.ok()) return s;
    // Read again under the write lock: another process may have migrated while we waited.
    auto current = CurrentVersion(db);
    Status applied = Ok();
    if (!current.ok()) {
      applied = current.error();
    } else if (*current > KnownSchemaVersion()) {
      applied = TooNew(*current);
    } else if (*current < version) {
      applied = ExecSql(db, kMigrations[static_cast<size_t>(version - 1)]);
      if (applied.ok()) {
        Stmt st(db,
                "INSERT INTO schema_migrations (version, applied_at)"
                " VALUES (?, CAST(strftime('%s', 'now') AS INTEGER))");
        st.Bind(1, version);
        applied = st.Exec();
      }
    }
    if (!applied.ok()) {
      RollbackIfOpen(db);
      return applied;
    }
    if (auto s = ExecSql(db, "COMMIT"); !s.ok()) {
      RollbackIfOpen(db);
      return s;
    }
  }
  return Ok();
}

}  // namespace tollgate::store::sqlite
