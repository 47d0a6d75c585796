// Internal to the SQLite backend: a RAII prepared statement, error mapping and transaction helpers.
// Nothing outside src/store/sqlite includes this header (SQLite is linked PRIVATE).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "core/status.h"
#include "store/audit_scope.h"

namespace tollgate::store::sqlite {

// The error for a failed SQLite call: kUnavailable "store_busy" when another connection held the
// lock past busy_timeout, kInternal otherwise.
Error ErrorFromCode(int rc, std::string_view message);

// Runs SQL that has no parameters (schema, BEGIN/COMMIT). Never use it with values.
Status ExecSql(sqlite3* db, const char* sql);

// One prepared statement. Errors are sticky: a failed prepare or bind is reported by the next
// Step()/Exec(), so call sites bind without checking each call. Not copyable.
class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Parameters are 1-based, as in SQLite. Text is copied (SQLITE_TRANSIENT).
  Stmt& Bind(int index, std::string_view value);
  Stmt& Bind(int index, int64_t value);
  Stmt& Bind(int index, const std::optional<int64_t>& value);  // nullopt binds NULL
  Stmt& BindNull(int index);

  // Advances the statement: true when a row is available, false when done.
  Result<bool> Step();
  // Runs to completion; for statements that return no rows.
  Status Exec();
  // Makes the statement runnable again (bindings are kept; rebind as needed).
  void Reset();

  // Column accessors for the current row (0-based). NULL text reads as "".
  std::string Text(int column) const;
  int64_t Int(int column) const;
  bool IsNull(int column) const;

  // Rows changed by the last Exec() on this connection.
  int64_t Changes() const;
  // The extended result code and message of the last failure (SQLITE_OK if none).
  int extended_code() const { return rc_; }
  const std::string& message() const { return message_; }

 private:
  void Fail(int rc);

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
  std::string message_;
};

// A UNIQUE constraint and the contract error it stands for. `columns` is how SQLite names the
// index's columns in its message, e.g. "apis.name, apis.version".
struct UniqueRule {
  std::string_view columns;
  Error error;
};

// Maps a failed write to the contract's error: a UNIQUE violation matching a rule becomes that
// rule's error, a FOREIGN KEY violation becomes `on_foreign_key` (if given); anything else stays
// `raw`.
Error MapConstraint(const Stmt& stmt, Error raw, std::initializer_list<UniqueRule> unique,
                    std::optional<Error> on_foreign_key = std::nullopt);

// Bumps the single-row revision table; called by InWriteTx inside the write's transaction.
Status BumpRevision(sqlite3* db);

// Rolls back if a transaction is still open (some errors make SQLite roll back by itself).
void RollbackIfOpen(sqlite3* db);

// Inserts `entry` into audit_log (seq assigned by SQLite); sqlite_audit.cc.
Status InsertAuditEntry(sqlite3* db, const AuditEntry& entry);

enum class TxMode {
  kRead,              // BEGIN: a consistent read
  kWrite,             // BEGIN IMMEDIATE, bump the revision, record the pending audit entry
  kUnversionedWrite,  // BEGIN IMMEDIATE, record the pending audit entry, no revision bump
};

// Runs `fn` (returning Result<T> or Status) in a transaction of `mode`; on any error nothing is
// kept. Writes follow store/audit_scope.h: the calling thread's unrecorded AuditScope entry is
// inserted right before COMMIT and marked recorded once COMMIT succeeded.
template <class F>
auto InTx(sqlite3* db, TxMode mode, F&& fn) -> std::invoke_result_t<F&> {
  const bool write = mode != TxMode::kRead;
  if (auto s = ExecSql(db, write ? "BEGIN IMMEDIATE" : "BEGIN"); !s.ok()) return s.error();
  auto result = fn();
  if (!result.ok()) {
    RollbackIfOpen(db);
    return result;
  }
  if (mode == TxMode::kWrite) {
    if (auto s = BumpRevision(db); !s.ok()) {
      RollbackIfOpen(db);
      return s.error();
    }
  }
  AuditScope* audit = write ? AuditScope::Current() : nullptr;
  if (audit != nullptr && audit->recorded()) audit = nullptr;
  if (audit != nullptr) {
    if (auto s = InsertAuditEntry(db, audit->entry()); !s.ok()) {
      RollbackIfOpen(db);
      return s.error();
    }
  }
  if (auto s = ExecSql(db, "COMMIT"); !s.ok()) {
    RollbackIfOpen(db);
    return s.error();
  }
  if (audit != nullptr) audit->MarkRecorded();
  return result;
}

// One write transaction: BEGIN IMMEDIATE takes the write lock up front, so concurrent processes
// serialise on it (waiting up to busy_timeout) rather than failing at COMMIT. On success the
// revision is bumped and everything commits together.
template <class F>
auto InWriteTx(sqlite3* db, F&& fn) -> std::invoke_result_t<F&> {
  return InTx(db, TxMode::kWrite, std::forward<F>(fn));
}

// Like InWriteTx but without bumping the revision: for writes that are not enforcer
// configuration (quota counters, users, tokens, sessions), which readers of the snapshot must not
// be woken for.
template <class F>
auto InUnversionedWriteTx(sqlite3* db, F&& fn) -> std::invoke_result_t<F&> {
  return InTx(db, TxMode::kUnversionedWrite, std::forward<F>(fn));
}

// One read transaction: every SELECT inside sees the same committed state (WAL snapshot taken at
// the first read).
template <class F>
auto InReadTx(sqlite3* db, F&& fn) -> std::invoke_result_t<F&> {
  return InTx(db, TxMode::kRead, std::forward<F>(fn));
}

}  // namespace tollgate::store::sqlite
