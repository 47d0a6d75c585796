// SqliteStore: the audit log. Entries are inserted only by InTx (sqlite_statement.h), inside the
// write transaction of the change they describe; this file writes and reads them.
#include <sqlite3.h>

#include <string>
#include <utility>
#include <vector>

#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_statement.h"
#include "store/sqlite/sqlite_store.h"

namespace tollgate::store {

using namespace sqlite;  // NOLINT(google-build-using-namespace): this backend's own helpers

namespace sqlite {

Status InsertAuditEntry(sqlite3* db, const AuditEntry& entry) {
  Stmt st(db,
          "INSERT INTO audit_log (at, actor, action, target_type, target_id, before, after)"
          " VALUES (?, ?, ?, ?, ?, ?, ?)");
  st.Bind(1, entry.at).Bind(2, entry.actor).Bind(3, entry.action).Bind(4, entry.target_type);
  st.Bind(5, entry.target_id).Bind(6, entry.before).Bind(7, entry.after);
  return st.Exec();
}

}  // namespace sqlite

namespace {

// The WHERE clause of `query` and its parameters: the texts first, then the integers.
struct Filter {
  std::string where;
  std::vector<std::string> texts;
  std::vector<int64_t> ints;
};

Filter FilterOf(const Store::AuditQuery& query) {
  Filter f;
  auto add_text = [&](const char* column, const std::string& value) {
    if (value.empty()) return;
    f.where += f.where.empty() ? " WHERE " : " AND ";
    f.where += std::string(column) + " = ?";
    f.texts.push_back(value);
  };
  add_text("actor", query.actor);
  add_text("action", query.action);
  add_text("target_type", query.target_type);
  add_text("target_id", query.target_id);
  auto add_int = [&](const char* condition, const std::optional<int64_t>& value) {
    if (!value) return;
    f.where += f.where.empty() ? " WHERE " : " AND ";
    f.where += condition;
    f.ints.push_back(*value);
  };
  add_int("at >= ?", query.from);
  add_int("at <= ?", query.to);
  return f;
}

int Bind(Stmt& st, const Filter& f) {
  int index = 1;
  for (const std::string& t : f.texts) st.Bind(index++, t);
  for (int64_t i : f.ints) st.Bind(index++, i);
  return index;
}

}  // namespace

Result<Page<AuditEntry>> SqliteStore::ListAudit(const AuditQuery& query, const PageRequest& page) {
  std::lock_guard lock(mu_);
  const Filter filter = FilterOf(query);
  return InReadTx(db_, [&]() -> Result<Page<AuditEntry>> {
    Stmt count(db_, "SELECT COUNT(*) FROM audit_log" + filter.where);
    Bind(count, filter);
    auto counted = count.Step();
    if (!counted.ok()) return counted.error();
    Page<AuditEntry> out{{}, *counted ? count.Int(0) : 0};
    Stmt st(db_,
            "SELECT seq, at, actor, action, target_type, target_id, before, after FROM audit_log" +
                filter.where + " ORDER BY seq DESC LIMIT ? OFFSET ?");
    const int next = Bind(st, filter);
    st.Bind(next, page.limit).Bind(next + 1, page.offset);
    while (true) {
      auto row = st.Step();
      if (!row.ok()) return row.error();
      if (!*row) return out;
      out.items.push_back(AuditEntry{st.Int(0), st.Int(1), st.Text(2), st.Text(3), st.Text(4),
                                     st.Text(5), st.Text(6), st.Text(7)});
    }
  });
}

}  // namespace tollgate::store
