// Internal to the SQLite backend: reading domain objects out of rows. Every function expects to
// run inside a transaction opened by the caller (InReadTx / InWriteTx).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <optional>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/status.h"
#include "store/sqlite/sqlite_statement.h"

namespace tollgate::store::sqlite {

// Steps `st` to the end, converting each row with `from_row` (returning Result<T>).
template <class T, class F>
Result<std::vector<T>> Collect(Stmt& st, F from_row) {
  std::vector<T> out;
  while (true) {
    auto row = st.Step();
    if (!row.ok()) return row.error();
    if (!*row) return out;
    auto item = from_row(st);
    if (!item.ok()) return item.error();
    out.push_back(std::move(item.value()));
  }
}

// Runs `st` once per item i in [0, n) after `bind(st, i)`, gathering the rows of all runs.
template <class T, class B, class F>
Result<std::vector<T>> CollectEach(Stmt& st, size_t n, B bind, F from_row) {
  std::vector<T> out;
  for (size_t i = 0; i < n; ++i) {
    st.Reset();
    bind(st, i);
    auto rows = Collect<T>(st, from_row);
    if (!rows.ok()) return rows.error();
    for (T& row : *rows) out.push_back(std::move(row));
  }
  return out;
}

// A page window in SQLite terms: limit < 0 means "no limit".
struct Window {
  int64_t offset = 0;
  int64_t limit = -1;
};

// Not found: "api_not_found". Resources and plans are loaded in their stored order.
Result<Api> LoadApi(sqlite3* db, std::string_view id);
// Every API, ordered by created_at then id.
Result<std::vector<Api>> LoadApis(sqlite3* db, Window window);

// The APIs that `tail` (SQL after "SELECT … FROM apis ": WHERE / ORDER BY / LIMIT) selects, with
// their children; `bind` binds its parameters.
Result<std::vector<Api>> LoadApisWhere(sqlite3* db, std::string_view tail,
                                       const std::function<void(Stmt&)>& bind);

// Not found: "application_not_found".
Result<Application> LoadApplication(sqlite3* db, std::string_view id);
// `owner` empty: every owner's. Ordered by created_at then id.
Result<std::vector<Application>> LoadApplications(sqlite3* db, std::string_view owner,
                                                  Window window);

// `application_id` empty: every application's. Ordered by created_at then id.
Result<std::vector<Subscription>> LoadSubscriptions(sqlite3* db, std::string_view application_id,
                                                    Window window);
Result<std::vector<ApiKey>> LoadApiKeys(sqlite3* db, std::string_view application_id);
// The rows among these unique keys that exist (for patching a snapshot; missing ones are left
// out). One prepared statement, one indexed lookup per item.
Result<std::vector<ApiKey>> LoadApiKeysByHash(sqlite3* db, const std::vector<std::string>& hashes);
Result<std::vector<Application>> LoadApplicationsById(sqlite3* db,
                                                      const std::vector<std::string>& ids);
// By (application id, API id).
Result<std::vector<Subscription>> LoadSubscriptionsByPair(
    sqlite3* db, const std::vector<std::pair<std::string, std::string>>& pairs);
// Mesh identities of one application, or of all when `application_id` is empty (sqlite_mesh.cc).
Result<std::vector<MeshIdentity>> LoadMeshIdentities(sqlite3* db, std::string_view application_id);
// The rows among these principals / client ids that exist, as the By* loaders above
// (sqlite_mesh.cc, sqlite_oauth.cc).
Result<std::vector<MeshIdentity>> LoadMeshIdentitiesByPrincipal(
    sqlite3* db, const std::vector<std::string>& principals);
Result<std::vector<OAuthClient>> LoadOAuthClientsByClientId(
    sqlite3* db, const std::vector<std::string>& client_ids);

// Not found: "plan_not_found".
Result<Plan> LoadPlan(sqlite3* db, std::string_view id);
Result<Plan> LoadPlanByName(sqlite3* db, std::string_view name);
// Every plan, ordered by created_at then id (the built-in Unlimited, created at 0, comes first).
Result<std::vector<Plan>> LoadPlans(sqlite3* db, Window window);
// kNotFound "plan_not_found" unless a plan with this name exists.
Status RequirePlan(sqlite3* db, std::string_view name);

// A rate is stored in three consecutive columns (requests, per, burst), all NULL when absent.
void BindRate(Stmt& st, int first, const std::optional<RateLimit>& rate);
Result<std::optional<RateLimit>> RateFromColumns(const Stmt& st, int first, std::string_view table);

// Runs a one-integer query (`SELECT COUNT(*) …`) with at most one text parameter, bound when
// `sql` has one. No row reads as 0.
Result<int64_t> QueryInt(sqlite3* db, std::string_view sql, std::string_view param = {});
// Whether `SELECT 1 FROM … WHERE id = ?` finds a row.
Result<bool> RowExists(sqlite3* db, std::string_view sql, std::string_view id);

// Fills the key manager's part of a snapshot (sqlite_oauth.cc): OAuth clients, signing keys and
// revoked tokens not yet expired at the database's wall clock, issuers, external clients.
Status LoadOAuthSnapshot(sqlite3* db, SnapshotData& data);

// Scopes are stored space-separated (OAuth2 scope tokens never contain spaces).
std::string JoinScopes(const std::vector<std::string>& scopes);
std::vector<std::string> SplitScopes(std::string_view text);

// Lists of short items (tags, key restrictions) are stored joined by '\n'; validation keeps
// control characters out of the items. An empty list is "".
std::string JoinLines(const std::vector<std::string>& items);
std::vector<std::string> SplitLines(std::string_view text);

// The columns of api_documents in their SELECT order, and the reader of such rows.
inline constexpr std::string_view kDocumentColumns =
    "SELECT id, api_id, name, type, content, created_at, updated_at FROM api_documents ";
Result<ApiDocument> DocumentFromRow(const Stmt& st);

}  // namespace tollgate::store::sqlite
