// The SQLite schema as an ordered list of migrations, and the code that applies them.
// Append new migrations at the end; never edit one that has shipped.
#include "store/sqlite/sqlite_schema.h"

#include <string>
#include <string_view>
#include <vector>

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

// Version 3: the OAuth2 key manager (clients, signing keys, revoked tokens) and external identity
// providers (issuers and the client ids of theirs bound to applications).
constexpr const char* kV3 = R"sql(
CREATE TABLE oauth_clients (
  id             TEXT PRIMARY KEY,
  application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  client_id      TEXT NOT NULL UNIQUE,
  secret_hash    TEXT NOT NULL,  -- lower-case hex SHA-256 of the secret; never the secret
  name           TEXT NOT NULL DEFAULT '',
  created_at     INTEGER NOT NULL
);
CREATE INDEX oauth_clients_by_application ON oauth_clients (application_id, created_at, id);

CREATE TABLE signing_keys (
  kid         TEXT PRIMARY KEY,
  alg         TEXT NOT NULL,
  private_key TEXT NOT NULL,  -- sealed by the key manager (AES-256-GCM), never plain PEM
  public_jwk  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  retired_at  INTEGER,  -- NULL: signs new tokens
  expires_at  INTEGER   -- NULL: published until retired and expired
);

CREATE TABLE issuers (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  issuer        TEXT NOT NULL UNIQUE,
  jwks_uri      TEXT NOT NULL DEFAULT '',
  discovery_url TEXT NOT NULL DEFAULT '',
  audience      TEXT NOT NULL DEFAULT '',
  client_claim  TEXT NOT NULL DEFAULT 'client_id',
  created_at    INTEGER NOT NULL
);
CREATE INDEX issuers_by_created ON issuers (created_at, id);

CREATE TABLE external_clients (
  id             TEXT PRIMARY KEY,
  application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  issuer_id      TEXT NOT NULL REFERENCES issuers (id) ON DELETE CASCADE,
  client_id      TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  UNIQUE (issuer_id, client_id)
);
CREATE INDEX external_clients_by_application ON external_clients (application_id, created_at, id);

CREATE TABLE revoked_tokens (
  jti        TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at);
)sql";

// Version 4 (management plane: publisher and developer portal). API catalog and versioning
// fields, approval plans, application blocking, API key restrictions and API documents.
// api_resources and subscriptions are rebuilt to widen their CHECKs (SQLite cannot alter a
// CHECK); nothing references them, so a copy-drop-rename keeps every row.
// List columns (tags, key restrictions) hold their items joined by '\n' (items never contain
// control characters: validation refuses them).
constexpr const char* kV4 = R"sql(
ALTER TABLE apis ADD COLUMN tags TEXT NOT NULL DEFAULT '';
ALTER TABLE apis ADD COLUMN is_default_version INTEGER NOT NULL DEFAULT 0
  CHECK (is_default_version IN (0, 1));
ALTER TABLE apis ADD COLUMN deprecated_at INTEGER;  -- NULL: not deprecated
ALTER TABLE apis ADD COLUMN sunset_at INTEGER;      -- NULL: no sunset announced
ALTER TABLE apis ADD COLUMN audience TEXT NOT NULL DEFAULT '';
ALTER TABLE apis ADD COLUMN backend_jwt_header TEXT NOT NULL DEFAULT '';
-- At most one default version per API name.
CREATE UNIQUE INDEX apis_default_version ON apis (name) WHERE is_default_version = 1;
CREATE INDEX apis_by_lifecycle ON apis (lifecycle, created_at, id);

CREATE TABLE api_resources_v4 (
  api_id   TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  method   TEXT NOT NULL,
  path     TEXT NOT NULL,
  auth     TEXT NOT NULL CHECK (auth IN ('apiKey', 'oauth2', 'apiKeyOrOAuth2', 'mesh', 'none')),
  scopes   TEXT NOT NULL DEFAULT '',
  plan     TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (api_id, position)
) WITHOUT ROWID;
INSERT INTO api_resources_v4 (api_id, position, method, path, auth, scopes, plan)
  SELECT api_id, position, method, path, auth, scopes, plan FROM api_resources;
DROP TABLE api_resources;
ALTER TABLE api_resources_v4 RENAME TO api_resources;

CREATE TABLE subscriptions_v4 (
  id             TEXT PRIMARY KEY,
  application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  api_id         TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
  plan           TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('ACTIVE', 'BLOCKED', 'PENDING')),
  created_at     INTEGER NOT NULL,
  UNIQUE (application_id, api_id)
);
INSERT INTO subscriptions_v4 (id, application_id, api_id, plan, status, created_at)
  SELECT id, application_id, api_id, plan, status, created_at FROM subscriptions;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_v4 RENAME TO subscriptions;
CREATE INDEX subscriptions_by_api ON subscriptions (api_id);
CREATE INDEX subscriptions_by_created ON subscriptions (created_at, id);
CREATE INDEX subscriptions_by_plan ON subscriptions (plan);
CREATE INDEX subscriptions_by_status ON subscriptions (status, created_at, id);

ALTER TABLE plans ADD COLUMN requires_approval INTEGER NOT NULL DEFAULT 0
  CHECK (requires_approval IN (0, 1));

ALTER TABLE applications ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1));

ALTER TABLE api_keys ADD COLUMN allowed_ips TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN allowed_referrers TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN api_ids TEXT NOT NULL DEFAULT '';

CREATE TABLE api_documents (
  id         TEXT PRIMARY KEY,
  api_id     TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  type       TEXT NOT NULL CHECK (type IN ('markdown', 'url')),
  content    TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (api_id, name)
);
CREATE INDEX api_documents_by_api ON api_documents (api_id, created_at, id);
)sql";

// Version 5 (the management plane): users get an email and can be disabled; personal access
// tokens, portal sessions (both by the SHA-256 of their secret) and the audit log. Tokens and
// sessions name their user and go with it.
constexpr const char* kV5 = R"sql(
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));
CREATE INDEX users_by_created ON users (created_at, id);

CREATE TABLE access_tokens (
  id         TEXT PRIMARY KEY,
  user_name  TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  prefix     TEXT NOT NULL,
  hash       TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER  -- NULL: never expires
);
CREATE INDEX access_tokens_by_user ON access_tokens (user_name, created_at, id);

CREATE TABLE sessions (
  hash       TEXT PRIMARY KEY,
  user_name  TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions (user_name);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE audit_log (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id   TEXT NOT NULL,
  before      TEXT NOT NULL DEFAULT '',
  after       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_by_target ON audit_log (target_type, target_id, seq);
CREATE INDEX audit_log_by_action ON audit_log (action, seq);
CREATE INDEX audit_log_by_at ON audit_log (at);
)sql";

// Version 6: mesh identities (SPIFFE principals) registered as application credentials.
constexpr const char* kV6 = R"sql(
CREATE TABLE mesh_identities (
  id             TEXT PRIMARY KEY,
  application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  principal      TEXT NOT NULL UNIQUE,
  created_at     INTEGER NOT NULL
);
CREATE INDEX mesh_identities_by_application ON mesh_identities (application_id, created_at, id);
)sql";

// Version 7: a log of the changes to the rows the enforcer's snapshot is compiled from, so that
// an enforcer can patch its snapshot with what changed after its revision instead of reading and
// compiling everything again (Store::LoadSnapshotChanges). Triggers write it, so no write path can
// forget to. A row stamped with revision r was written by the transaction that committed r + 1.
// The log holds every change committed after revision.log_from; BumpRevision prunes it.
std::string V7() {
  // Each logged table with the SQL naming a changed row (R. stands for NEW. or OLD.): for the
  // tables an enforcer patches, the key its snapshot looks the entry up by. A change to any other
  // table makes it rebuild, so only the table name matters there.
  struct Logged {
    const char* table;
    const char* key;
  };
  static constexpr Logged kLogged[] = {
      {"api_keys", "R.hash"},
      {"subscriptions", "R.application_id || char(10) || R.api_id"},
      {"applications", "R.id"},
      {"revoked_tokens", "R.jti"},
      {"oauth_clients", "R.client_id"},
      {"mesh_identities", "R.principal"},
      {"apis", "R.id"},
      {"api_resources", "R.api_id"},
      {"api_plans", "R.api_id"},
      {"api_keyed_limits", "R.api_id"},
      {"plans", "R.id"},
      {"signing_keys", "R.kid"},
      {"issuers", "R.id"},
      {"external_clients", "R.id"},
  };
  std::string sql = R"sql(
ALTER TABLE revision ADD COLUMN log_from INTEGER NOT NULL DEFAULT 0;
UPDATE revision SET log_from = value WHERE id = 1;
CREATE TABLE snapshot_changes (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  revision INTEGER NOT NULL,
  tbl      TEXT NOT NULL,
  row_key  TEXT NOT NULL
);
CREATE INDEX snapshot_changes_by_revision ON snapshot_changes (revision);
)sql";
  auto log = [](std::string_view table, std::string key, std::string_view row) {
    for (size_t at = key.find("R."); at != std::string::npos; at = key.find("R.", at)) {
      key.replace(at, 2, std::string(row) + ".");
      at += row.size() + 1;
    }
    return "INSERT INTO snapshot_changes (revision, tbl, row_key) SELECT value, '" +
           std::string(table) + "', " + key + " FROM revision WHERE id = 1;\n";
  };
  for (const Logged& l : kLogged) {
    const std::string name = std::string("snapshot_changes_") + l.table;
    sql += "CREATE TRIGGER " + name + "_insert AFTER INSERT ON " + l.table + " BEGIN\n" +
           log(l.table, l.key, "NEW") + "END;\n";
    sql += "CREATE TRIGGER " + name + "_update AFTER UPDATE ON " + l.table + " BEGIN\n" +
           log(l.table, l.key, "OLD") + log(l.table, l.key, "NEW") + "END;\n";
    sql += "CREATE TRIGGER " + name + "_delete AFTER DELETE ON " + l.table + " BEGIN\n" +
           log(l.table, l.key, "OLD") + "END;\n";
  }
  return sql;
}

// Migration i (0-based) brings the schema to version i + 1.
const std::vector<std::string>& Migrations() {
  static const std::vector<std::string> migrations{kV1, kV2, kV3, kV4, kV5, kV6, V7()};
  return migrations;
}

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

int64_t KnownSchemaVersion() { return static_cast<int64_t>(Migrations().size()); }

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
      applied = ExecSql(db, Migrations()[static_cast<size_t>(version - 1)].c_str());
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
