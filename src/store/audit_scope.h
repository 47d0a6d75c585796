// The audit contract between control/ and every Store backend: a change made through the Service
// is recorded in the audit log in the same transaction as the change itself.
#pragma once

#include <utility>

#include "core/model.h"

namespace tollgate::store {

// Marks the store writes made on this thread, while it lives, as the change `entry` describes.
//
// Contract (every backend follows it; see SqliteStore's InTx for the reference):
// - The Service opens one AuditScope around the one store write that makes a change, with the
//   entry filled in (at, actor, action, target type/id, before/after summaries without secrets).
// - A backend's *write* transaction (any method that changes rows, including writes that do not
//   bump the revision) checks Current() on the calling thread. When a scope is open and its entry
//   is not yet recorded, it inserts the entry into the audit log inside that same transaction,
//   right before COMMIT, assigning `seq`. After the COMMIT succeeds it calls MarkRecorded(), so a
//   scope records at most once even if the service writes again inside it.
// - A write that fails (validation, constraint, busy, COMMIT error) rolls back and records
//   nothing; the scope stays unrecorded. Read transactions never record.
// - No scope open: nothing is recorded (system writes such as bootstrap and quota counters).
// Scopes nest: the innermost open scope is Current(). Not shared between threads: a write on
// another thread does not see this thread's scope.
class AuditScope {
 public:
  explicit AuditScope(AuditEntry entry) : entry_(std::move(entry)), outer_(current_) {
    current_ = this;
  }
  ~AuditScope() { current_ = outer_; }
  AuditScope(const AuditScope&) = delete;
  AuditScope& operator=(const AuditScope&) = delete;

  // The innermost scope open on this thread, or nullptr.
  static AuditScope* Current() { return current_; }

  const AuditEntry& entry() const { return entry_; }
  // Summaries known only after the write was prepared may still be set before the write runs.
  AuditEntry& mutable_entry() { return entry_; }
  bool recorded() const { return recorded_; }
  // Called by a backend after the transaction holding the entry committed.
  void MarkRecorded() { recorded_ = true; }

 private:
  AuditEntry entry_;
  AuditScope* outer_;
  bool recorded_ = false;
  static inline thread_local AuditScope* current_ = nullptr;
};

}  // namespace tollgate::store
