// SqliteStore: the management plane's publisher and developer-portal writes and reads — new API
// versions, deprecation instants, the catalog, API documents, subscription approval and blocking,
// and application blocking.
#include <sqlite3.h>

#include <string>
#include <utility>

#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_statement.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_writes.h"

namespace tollgate::store {

using namespace sqlite;  // NOLINT(google-build-using-namespace): this backend's own helpers

namespace {

Error DocumentNotFound() { return NotFound("document_not_found", "no such document on this API"); }

Error SubscriptionNotFound() {
  return NotFound("subscription_not_found", "no subscription with this id");
}

Error MapDocumentWriteError(const Stmt& st, Error raw) {
  return MapConstraint(st, std::move(raw),
                       {{"api_documents.api_id, api_documents.name",
                         Conflict("document_name_taken", "this API has a document with this name")}},
                       NotFound("api_not_found", "no API with this id"));
}

Status RequireApi(sqlite3* db, std::string_view id) {
  auto exists = RowExists(db, "SELECT 1 FROM apis WHERE id = ?", id);
  if (!exists.ok()) return exists.error();
  if (!*exists) return NotFound("api_not_found", "no API with this id");
  return Ok();
}

Status InsertDocument(sqlite3* db, const ApiDocument& doc) {
  Stmt st(db,
          "INSERT INTO api_documents (id, api_id, name, type, content, created_at, updated_at)"
          " VALUES (?, ?, ?, ?, ?, ?, ?)");
  st.Bind(1, doc.id).Bind(2, doc.api_id).Bind(3, doc.name).Bind(4, doc.type);
  st.Bind(5, doc.content).Bind(6, doc.created_at).Bind(7, doc.updated_at);
  if (auto s = st.Exec(); !s.ok()) return MapDocumentWriteError(st, s.error());
  return Ok();
}

Result<ApiDocument> LoadDocument(sqlite3* db, std::string_view api_id, std::string_view doc_id) {
  Stmt st(db, std::string(kDocumentColumns) + "WHERE id = ? AND api_id = ?");
  st.Bind(1, doc_id).Bind(2, api_id);
  auto docs = Collect<ApiDocument>(st, DocumentFromRow);
  if (!docs.ok()) return docs.error();
  if (docs->empty()) {
    if (auto s = RequireApi(db, api_id); !s.ok()) return s.error();
    return DocumentNotFound();
  }
  return std::move(docs->front());
}

Result<Subscription> SubscriptionFromRow(const Stmt& st) {
  const std::string status = st.Text(4);
  auto parsed = ParseSubscriptionStatus(status);
  if (!parsed) return Internal("corrupt row in subscriptions: status = '" + status + "'");
  return Subscription{st.Text(0), st.Text(1), st.Text(2), st.Text(3), *parsed, st.Int(5)};
}

Result<Subscription> LoadSubscription(sqlite3* db, std::string_view id) {
  Stmt st(db,
          "SELECT id, application_id, api_id, plan, status, created_at FROM subscriptions"
          " WHERE id = ?");
  st.Bind(1, id);
  auto subs = Collect<Subscription>(st, SubscriptionFromRow);
  if (!subs.ok()) return subs.error();
  if (subs->empty()) return SubscriptionNotFound();
  return std::move(subs->front());
}

// The catalog's filter over `apis`: parameters ?1 = text (lower case), ?2 = tag (lower case).
// Tags are stored joined by '\n', so a whole-tag match looks for '\n' + tag + '\n' in
// '\n' + tags + '\n'.
constexpr std::string_view kCatalogWhere =
    "WHERE lifecycle IN ('PUBLISHED', 'DEPRECATED')"
    " AND (?1 = '' OR instr(lower(name), ?1) > 0 OR instr(lower(description), ?1) > 0"
    "      OR instr(lower(tags), ?1) > 0)"
    " AND (?2 = '' OR instr(char(10) || lower(tags) || char(10), char(10) || ?2 || char(10)) > 0) ";

std::string AsciiLower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

}  // namespace

Result<Api> SqliteStore::DeprecateApi(const LifecycleEvent& event, int64_t deprecated_at,
                                      std::optional<int64_t> sunset_at) {
  if (event.to != Lifecycle::kDeprecated) return Internal("DeprecateApi needs to = DEPRECATED");
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<Api> {
    return TransitionApiRow(db_, event, deprecated_at, sunset_at);
  });
}

Result<Api> SqliteStore::CreateApiVersion(const Api& api, const std::vector<ApiDocument>& documents) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<Api> {
    auto created = InsertApi(db_, api);
    if (!created.ok()) return created.error();
    for (const ApiDocument& doc : documents) {
      if (doc.api_id != api.id) return Internal("a new version's documents must name it");
      if (auto s = InsertDocument(db_, doc); !s.ok()) return s.error();
    }
    return created;
  });
}

Result<Page<Api>> SqliteStore::ListCatalogApis(const CatalogQuery& query, const PageRequest& page) {
  std::lock_guard lock(mu_);
  const std::string text = AsciiLower(query.text);
  const std::string tag = AsciiLower(query.tag);
  return InReadTx(db_, [&]() -> Result<Page<Api>> {
    Stmt count(db_, "SELECT COUNT(*) FROM apis " + std::string(kCatalogWhere));
    count.Bind(1, text).Bind(2, tag);
    auto row = count.Step();
    if (!row.ok()) return row.error();
    const int64_t total = *row ? count.Int(0) : 0;
    auto items = LoadApisWhere(
        db_, std::string(kCatalogWhere) + "ORDER BY name, version, id LIMIT ?3 OFFSET ?4",
        [&](Stmt& st) { st.Bind(1, text).Bind(2, tag).Bind(3, page.limit).Bind(4, page.offset); });
    if (!items.ok()) return items.error();
    return Page<Api>{std::move(items.value()), total};
  });
}

Result<ApiDocument> SqliteStore::CreateDocument(const ApiDocument& doc) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<ApiDocument> {
    if (auto s = RequireApi(db_, doc.api_id); !s.ok()) return s.error();
    if (auto s = InsertDocument(db_, doc); !s.ok()) return s.error();
    return LoadDocument(db_, doc.api_id, doc.id);
  });
}

Result<ApiDocument> SqliteStore::GetDocument(std::string_view api_id, std::string_view doc_id) {
  std::lock_guard lock(mu_);
  return InReadTx(db_, [&] { return LoadDocument(db_, api_id, doc_id); });
}

Result<Page<ApiDocument>> SqliteStore::ListDocuments(std::string_view api_id,
                                                     const PageRequest& page) {
  std::lock_guard lock(mu_);
  return InReadTx(db_, [&]() -> Result<Page<ApiDocument>> {
    if (auto s = RequireApi(db_, api_id); !s.ok()) return s.error();
    auto total = QueryInt(db_, "SELECT COUNT(*) FROM api_documents WHERE api_id = ?", api_id);
    if (!total.ok()) return total.error();
    Stmt st(db_, std::string(kDocumentColumns) +
                     "WHERE api_id = ? ORDER BY created_at, id LIMIT ? OFFSET ?");
    st.Bind(1, api_id).Bind(2, page.limit).Bind(3, page.offset);
    auto items = Collect<ApiDocument>(st, DocumentFromRow);
    if (!items.ok()) return items.error();
    return Page<ApiDocument>{std::move(items.value()), *total};
  });
}

Result<ApiDocument> SqliteStore::UpdateDocument(const ApiDocument& doc) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<ApiDocument> {
    Stmt st(db_,
            "UPDATE api_documents SET name = ?, type = ?, content = ?, updated_at = ?"
            " WHERE id = ? AND api_id = ?");
    st.Bind(1, doc.name).Bind(2, doc.type).Bind(3, doc.content).Bind(4, doc.updated_at);
    st.Bind(5, doc.id).Bind(6, doc.api_id);
    if (auto s = st.Exec(); !s.ok()) return MapDocumentWriteError(st, s.error());
    if (st.Changes() == 0) {
      if (auto s = RequireApi(db_, doc.api_id); !s.ok()) return s.error();
      return DocumentNotFound();
    }
    return LoadDocument(db_, doc.api_id, doc.id);
  });
}

Status SqliteStore::DeleteDocument(std::string_view api_id, std::string_view doc_id) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Status {
    Stmt st(db_, "DELETE FROM api_documents WHERE id = ? AND api_id = ?");
    st.Bind(1, doc_id).Bind(2, api_id);
    if (auto s = st.Exec(); !s.ok()) return s;
    if (st.Changes() > 0) return Ok();
    if (auto s = RequireApi(db_, api_id); !s.ok()) return s;
    return DocumentNotFound();
  });
}

Result<Subscription> SqliteStore::GetSubscription(std::string_view id) {
  std::lock_guard lock(mu_);
  return InReadTx(db_, [&] { return LoadSubscription(db_, id); });
}

Result<Page<Subscription>> SqliteStore::FindSubscriptions(const SubscriptionFilter& filter,
                                                          const PageRequest& page) {
  std::lock_guard lock(mu_);
  const std::string status = filter.status ? std::string(ToString(*filter.status)) : "";
  // ?1 status ('' = any), ?2 creator of the API ('' = any).
  const std::string where =
      " FROM subscriptions s JOIN apis a ON a.id = s.api_id"
      " WHERE (?1 = '' OR s.status = ?1) AND (?2 = '' OR a.created_by = ?2) ";
  return InReadTx(db_, [&]() -> Result<Page<Subscription>> {
    Stmt count(db_, "SELECT COUNT(*)" + where);
    count.Bind(1, status).Bind(2, filter.api_created_by);
    auto row = count.Step();
    if (!row.ok()) return row.error();
    const int64_t total = *row ? count.Int(0) : 0;
    Stmt st(db_, "SELECT s.id, s.application_id, s.api_id, s.plan, s.status, s.created_at" +
                     where + "ORDER BY s.created_at, s.id LIMIT ?3 OFFSET ?4");
    st.Bind(1, status).Bind(2, filter.api_created_by).Bind(3, page.limit).Bind(4, page.offset);
    auto items = Collect<Subscription>(st, SubscriptionFromRow);
    if (!items.ok()) return items.error();
    return Page<Subscription>{std::move(items.value()), total};
  });
}

Result<Subscription> SqliteStore::SetSubscriptionStatus(std::string_view id,
                                                        SubscriptionStatus from,
                                                        SubscriptionStatus to) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<Subscription> {
    Stmt st(db_, "UPDATE subscriptions SET status = ? WHERE id = ? AND status = ?");
    st.Bind(1, ToString(to)).Bind(2, id).Bind(3, ToString(from));
    if (auto s = st.Exec(); !s.ok()) return s.error();
    if (st.Changes() == 0) {
      auto current = LoadSubscription(db_, id);
      if (!current.ok()) return current.error();
      return Conflict("subscription_status_changed",
                      "the subscription is " + std::string(ToString(current->status)) +
                          ", not " + std::string(ToString(from)) + "; reload it and try again");
    }
    return LoadSubscription(db_, id);
  });
}

Result<Application> SqliteStore::SetApplicationBlocked(std::string_view id, bool blocked) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<Application> {
    Stmt st(db_, "UPDATE applications SET blocked = ? WHERE id = ?");
    st.Bind(1, int64_t{blocked ? 1 : 0}).Bind(2, id);
    if (auto s = st.Exec(); !s.ok()) return s.error();
    if (st.Changes() == 0) {
      return NotFound("application_not_found", "no application with this id");
    }
    return LoadApplication(db_, id);
  });
}

}  // namespace tollgate::store
