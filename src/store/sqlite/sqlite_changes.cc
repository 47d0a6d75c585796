// SqliteStore::LoadSnapshotChanges: what the change log (schema version 7, written by triggers)
// says changed after a revision, with the current rows of what it names.
#include <sqlite3.h>

#include <string>
#include <utility>

#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_statement.h"
#include "store/sqlite/sqlite_store.h"

namespace tollgate::store {

using namespace sqlite;  // NOLINT(google-build-using-namespace): this backend's own helpers

namespace {

// Sorts a touched row into `out`; false for a table whose changes cannot be patched.
bool Sort(std::string_view table, std::string row_key, SnapshotChanges& out) {
  if (table == "api_keys") {
    out.key_hashes.push_back(std::move(row_key));
  } else if (table == "applications") {
    out.application_ids.push_back(std::move(row_key));
  } else if (table == "revoked_tokens") {
    out.revoked_jtis.push_back(std::move(row_key));
  } else if (table == "oauth_clients") {
    out.oauth_client_ids.push_back(std::move(row_key));
  } else if (table == "mesh_identities") {
    out.mesh_principals.push_back(std::move(row_key));
  } else if (table == "subscriptions") {
    const size_t newline = row_key.find('\n');
    if (newline == std::string::npos) return false;
    out.subscription_pairs.emplace_back(row_key.substr(0, newline), row_key.substr(newline + 1));
  } else {
    return false;
  }
  return true;
}

// Reads the log after `since` into `out` (patchable stays false when it cannot be patched).
Status ReadChanges(sqlite3* db, int64_t since, int64_t max_changes, SnapshotChanges& out) {
  Stmt revision(db, "SELECT value, log_from FROM revision WHERE id = 1");
  auto row = revision.Step();
  if (!row.ok()) return row.error();
  if (!*row) return Internal("the revision row is missing");
  out.revision = revision.Int(0);
  const int64_t log_from = revision.Int(1);
  // Behind the log, or ahead of this store (another store file, restored from a backup).
  if (since < log_from || since > out.revision) return Ok();

  Stmt count(db,
             "SELECT COUNT(*) FROM (SELECT 1 FROM snapshot_changes WHERE revision >= ? LIMIT ?)");
  count.Bind(1, since).Bind(2, max_changes + 1);
  row = count.Step();
  if (!row.ok()) return row.error();
  if (*row && count.Int(0) > max_changes) return Ok();

  Stmt changed(db, "SELECT DISTINCT tbl, row_key FROM snapshot_changes WHERE revision >= ?");
  changed.Bind(1, since);
  for (;;) {
    row = changed.Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    if (!Sort(changed.Text(0), changed.Text(1), out)) return Ok();
  }

  auto keys = LoadApiKeysByHash(db, out.key_hashes);
  if (!keys.ok()) return keys.error();
  out.api_keys = std::move(keys.value());
  auto apps = LoadApplicationsById(db, out.application_ids);
  if (!apps.ok()) return apps.error();
  out.applications = std::move(apps.value());
  auto subs = LoadSubscriptionsByPair(db, out.subscription_pairs);
  if (!subs.ok()) return subs.error();
  out.subscriptions = std::move(subs.value());
  auto clients = LoadOAuthClientsByClientId(db, out.oauth_client_ids);
  if (!clients.ok()) return clients.error();
  out.oauth_clients = std::move(clients.value());
  auto mesh = LoadMeshIdentitiesByPrincipal(db, out.mesh_principals);
  if (!mesh.ok()) return mesh.error();
  out.mesh_identities = std::move(mesh.value());
  // As LoadSnapshotData: only tokens that have not expired at the database's clock.
  Stmt revoked(db,
               "SELECT jti, expires_at FROM revoked_tokens"
               " WHERE jti = ? AND expires_at > CAST(strftime('%s', 'now') AS INTEGER)");
  auto tokens = CollectEach<RevokedToken>(
      revoked, out.revoked_jtis.size(),
      [&](Stmt& st, size_t i) { st.Bind(1, out.revoked_jtis[i]); },
      [](const Stmt& st) -> Result<RevokedToken> { return RevokedToken{st.Text(0), st.Int(1)}; });
  if (!tokens.ok()) return tokens.error();
  out.revoked_tokens = std::move(tokens.value());
  out.patchable = true;
  return Ok();
}

}  // namespace

Result<SnapshotChanges> SqliteStore::LoadSnapshotChanges(int64_t since, int64_t max_changes) {
  std::lock_guard lock(mu_);
  return InReadTx(db_, [&]() -> Result<SnapshotChanges> {
    SnapshotChanges out;
    out.since = since;
    if (auto s = ReadChanges(db_, since, max_changes, out); !s.ok()) return s.error();
    return out;
  });
}

}  // namespace tollgate::store
