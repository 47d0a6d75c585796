// SqliteStore: mesh identities, the SPIFFE principals that authenticate an application's
// workloads (east-west traffic).
#include <sqlite3.h>

#include <string>
#include <utility>

#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_statement.h"
#include "store/sqlite/sqlite_store.h"

namespace tollgate::store {

using namespace sqlite;  // NOLINT(google-build-using-namespace): this backend's own helpers

namespace sqlite {

namespace {

constexpr std::string_view kMeshColumns =
    "SELECT id, application_id, principal, created_at FROM mesh_identities ";

Result<MeshIdentity> MeshFromRow(const Stmt& st) {
  return MeshIdentity{st.Text(0), st.Text(1), st.Text(2), st.Int(3)};
}

}  // namespace

Result<std::vector<MeshIdentity>> LoadMeshIdentities(sqlite3* db, std::string_view application_id) {
  Stmt st(db, std::string(kMeshColumns) +
                  (application_id.empty() ? "" : "WHERE application_id = ?1 ") +
                  "ORDER BY created_at, id");
  if (!application_id.empty()) st.Bind(1, application_id);
  return Collect<MeshIdentity>(st, MeshFromRow);
}

Result<std::vector<MeshIdentity>> LoadMeshIdentitiesByPrincipal(
    sqlite3* db, const std::vector<std::string>& principals) {
  Stmt st(db, std::string(kMeshColumns) + "WHERE principal = ?");
  return CollectEach<MeshIdentity>(
      st, principals.size(), [&](Stmt& s, size_t i) { s.Bind(1, principals[i]); }, MeshFromRow);
}

}  // namespace sqlite

namespace {

Status RequireApp(sqlite3* db, std::string_view id) {
  auto exists = RowExists(db, "SELECT 1 FROM applications WHERE id = ?", id);
  if (!exists.ok()) return exists.error();
  if (!*exists) return NotFound("application_not_found", "no application with this id");
  return Ok();
}

}  // namespace

Result<MeshIdentity> SqliteStore::CreateMeshIdentity(const MeshIdentity& identity) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<MeshIdentity> {
    Stmt st(db_,
            "INSERT INTO mesh_identities (id, application_id, principal, created_at)"
            " VALUES (?, ?, ?, ?)");
    st.Bind(1, identity.id).Bind(2, identity.application_id).Bind(3, identity.principal);
    st.Bind(4, identity.created_at);
    if (auto s = st.Exec(); !s.ok()) {
      return MapConstraint(st, s.error(),
                           {{"mesh_identities.principal",
                             Conflict("mesh_identity_taken",
                                      "this principal is registered for an application")}},
                           NotFound("application_not_found", "no application with this id"));
    }
    return identity;
  });
}

Result<std::vector<MeshIdentity>> SqliteStore::ListMeshIdentities(std::string_view application_id) {
  std::lock_guard lock(mu_);
  return InReadTx(db_, [&]() -> Result<std::vector<MeshIdentity>> {
    if (application_id.empty()) {
      return NotFound("application_not_found", "no application with this id");
    }
    if (auto s = RequireApp(db_, application_id); !s.ok()) return s.error();
    return LoadMeshIdentities(db_, application_id);
  });
}

Status SqliteStore::DeleteMeshIdentity(std::string_view application_id,
                                       std::string_view identity_id) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Status {
    Stmt st(db_, "DELETE FROM mesh_identities WHERE id = ? AND application_id = ?");
    st.Bind(1, identity_id).Bind(2, application_id);
    if (auto s = st.Exec(); !s.ok()) return s;
    if (st.Changes() > 0) return Ok();
    if (auto s = RequireApp(db_, application_id); !s.ok()) return s;
    return NotFound("mesh_identity_not_found", "no such mesh identity on this application");
  });
}

}  // namespace tollgate::store
