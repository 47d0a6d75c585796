// Prepared-statement wrapper and error mapping for the SQLite backend.
#include "store/sqlite/sqlite_statement.h"

#include <algorithm>

namespace tollgate::store::sqlite {

Error ErrorFromCode(int rc, std::string_view message) {
  const int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return Error{ErrorKind::kUnavailable,
                 "store_busy",
                 "the store is locked by another writer: " + std::string(message),
                 {}};
  }
  return Internal("sqlite: " + std::string(message));
}

Status ExecSql(sqlite3* db, const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Ok();
  std::string message = err ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return ErrorFromCode(sqlite3_extended_errcode(db) ? sqlite3_extended_errcode(db) : rc, message);
}

Stmt::Stmt(sqlite3* db, std::string_view sql) : db_(db) {
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) Fail(rc);
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

void Stmt::Fail(int rc) {
  if (rc_ != SQLITE_OK) return;  // keep the first failure
  rc_ = sqlite3_extended_errcode(db_);
  if (rc_ == SQLITE_OK) rc_ = rc;
  message_ = sqlite3_errmsg(db_);
}

Stmt& Stmt::Bind(int index, std::string_view value) {
  if (rc_ == SQLITE_OK) {
    const int rc = sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                                     SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) Fail(rc);
  }
  return *this;
}

Stmt& Stmt::Bind(int index, int64_t value) {
  if (rc_ == SQLITE_OK) {
    const int rc = sqlite3_bind_int64(stmt_, index, value);
    if (rc != SQLITE_OK) Fail(rc);
  }
  return *this;
}

Stmt& Stmt::Bind(int index, const std::optional<int64_t>& value) {
  if (value) return Bind(index, *value);
  return BindNull(index);
}

Stmt& Stmt::BindNull(int index) {
  if (rc_ == SQLITE_OK) {
    const int rc = sqlite3_bind_null(stmt_, index);
    if (rc != SQLITE_OK) Fail(rc);
  }
  return *this;
}

Result<bool> Stmt::Step() {
  if (rc_ == SQLITE_OK) {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    Fail(rc);
  }
  return ErrorFromCode(rc_, message_);
}

Status Stmt::Exec() {
  while (true) {
    auto row = Step();
    if (!row.ok()) return row.error();
    if (!*row) return Ok();
  }
}

void Stmt::Reset() {
  if (stmt_) sqlite3_reset(stmt_);
}

std::string Stmt::Text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  if (!text) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

int64_t Stmt::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Stmt::IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

int64_t Stmt::Changes() const { return sqlite3_changes64(db_); }

Error MapConstraint(const Stmt& stmt, Error raw, std::initializer_list<UniqueRule> unique,
                    std::optional<Error> on_foreign_key) {
  const int rc = stmt.extended_code();
  if (rc == SQLITE_CONSTRAINT_UNIQUE) {
    for (const auto& rule : unique) {
      // SQLite's message: "UNIQUE constraint failed: apis.name, apis.version".
      const std::string_view message = stmt.message();
      const auto at = message.find(rule.columns);
      if (at != std::string_view::npos && at + rule.columns.size() == message.size()) {
        return rule.error;
      }
    }
  }
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY && on_foreign_key) return *on_foreign_key;
  return raw;
}

Status BumpRevision(sqlite3* db) {
  Stmt st(db, "UPDATE revision SET value = value + 1 WHERE id = 1");
  if (auto s = st.Exec(); !s.ok()) return s;
  if (st.Changes() != 1) return Internal("the revision row is missing");
  // Keeps the change log (schema version 7) bounded: the last kLogRevisions revisions, at most
  // kLogRows rows. A revision whose rows are pruned, even in part, moves log_from past it, so
  // that an enforcer further behind rebuilds instead of patching with half a change.
  constexpr int64_t kLogRevisions = 4096;
  constexpr int64_t kLogRows = 250'000;
  Stmt prune(db,
             "DELETE FROM snapshot_changes"
             " WHERE revision < (SELECT value FROM revision WHERE id = 1) - ?1"
             " OR seq <= (SELECT MAX(seq) FROM snapshot_changes) - ?2 RETURNING revision");
  prune.Bind(1, kLogRevisions).Bind(2, kLogRows);
  int64_t pruned = -1;
  for (;;) {
    auto row = prune.Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    pruned = std::max(pruned, prune.Int(0));
  }
  if (pruned < 0) return Ok();
  Stmt from(db, "UPDATE revision SET log_from = MAX(log_from, ?) WHERE id = 1");
  from.Bind(1, pruned + 1);
  return from.Exec();
}

void RollbackIfOpen(sqlite3* db) {
  if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace tollgate::store::sqlite
