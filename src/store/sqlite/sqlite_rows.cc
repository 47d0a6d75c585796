// Row readers of the SQLite backend: turn result rows into core/model.h types.
#include "store/sqlite/sqlite_rows.h"

#include <string>
#include <unordered_map>
#include <utility>

#include "store/sqlite/sqlite_statement.h"

namespace tollgate::store::sqlite {
namespace {

Error Corrupt(std::string_view table, std::string_view column, std::string_view value) {
  return Internal("corrupt row in " + std::string(table) + ": " + std::string(column) + " = '" +
                  std::string(value) + "'");
}

constexpr std::string_view kApiColumns =
    "SELECT id, name, version, description, context, virtual_host, upstream, api_key_header,"
    " lifecycle, created_by, created_at, updated_at, backend_rate_requests, backend_rate_per,"
    " backend_rate_burst, fail_open, tags, is_default_version, deprecated_at, sunset_at, audience,"
    " backend_jwt_header FROM apis ";

constexpr std::string_view kApplicationColumns =
    "SELECT id, name, description, owner, plan, created_at, blocked FROM applications ";

constexpr std::string_view kPlanColumns =
    "SELECT id, name, description, rate_requests, rate_per, rate_burst, quota_requests,"
    " quota_anchor, quota_time_zone, created_at, requires_approval FROM plans ";

Result<Api> ApiFromRow(const Stmt& st) {
  Api api;
  api.id = st.Text(0);
  api.name = st.Text(1);
  api.version = st.Text(2);
  api.description = st.Text(3);
  api.context = st.Text(4);
  api.virtual_host = st.Text(5);
  api.upstream = st.Text(6);
  api.api_key_header = st.Text(7);
  const std::string lifecycle = st.Text(8);
  auto parsed = ParseLifecycle(lifecycle);
  if (!parsed) return Corrupt("apis", "lifecycle", lifecycle);
  api.lifecycle = *parsed;
  api.created_by = st.Text(9);
  api.created_at = st.Int(10);
  api.updated_at = st.Int(11);
  auto backend_rate = RateFromColumns(st, 12, "apis");
  if (!backend_rate.ok()) return backend_rate.error();
  api.backend_rate = *backend_rate;
  api.fail_open = st.Int(15) != 0;
  api.tags = SplitLines(st.Text(16));
  api.is_default_version = st.Int(17) != 0;
  if (!st.IsNull(18)) api.deprecated_at = st.Int(18);
  if (!st.IsNull(19)) api.sunset_at = st.Int(19);
  api.audience = st.Text(20);
  api.backend_jwt_header = st.Text(21);
  return api;
}

// Fills resources, plans and keyed limits of each API; statements reused across all of them.
Status LoadApiChildren(sqlite3* db, std::vector<Api>& apis) {
  Stmt resources(db,
                 "SELECT method, path, auth, scopes, plan FROM api_resources"
                 " WHERE api_id = ? ORDER BY position");
  Stmt plans(db, "SELECT plan FROM api_plans WHERE api_id = ? ORDER BY position");
  Stmt keyed(db,
             "SELECT key, requests, per, burst FROM api_keyed_limits"
             " WHERE api_id = ? ORDER BY position");
  for (Api& api : apis) {
    resources.Reset();
    resources.Bind(1, api.id);
    while (true) {
      auto row = resources.Step();
      if (!row.ok()) return row.error();
      if (!*row) break;
      Resource r;
      r.method = resources.Text(0);
      r.path = resources.Text(1);
      const std::string auth = resources.Text(2);
      auto parsed = ParseAuthType(auth);
      if (!parsed) return Corrupt("api_resources", "auth", auth);
      r.auth = *parsed;
      r.scopes = SplitScopes(resources.Text(3));
      r.plan = resources.Text(4);
      api.resources.push_back(std::move(r));
    }
    plans.Reset();
    plans.Bind(1, api.id);
    while (true) {
      auto row = plans.Step();
      if (!row.ok()) return row.error();
      if (!*row) break;
      api.plans.push_back(plans.Text(0));
    }
    keyed.Reset();
    keyed.Bind(1, api.id);
    while (true) {
      auto row = keyed.Step();
      if (!row.ok()) return row.error();
      if (!*row) break;
      auto rate = RateFromColumns(keyed, 1, "api_keyed_limits");
      if (!rate.ok()) return rate.error();
      if (!*rate) return Internal("corrupt row in api_keyed_limits: no rate");
      api.keyed_limits.push_back(KeyedLimit{keyed.Text(0), **rate});
    }
  }
  return Ok();
}

Result<Application> ApplicationFromRow(const Stmt& st) {
  return Application{st.Text(0), st.Text(1), st.Text(2), st.Text(3),
                     st.Text(4), st.Int(5),  st.Int(6) != 0};
}

Result<Subscription> SubscriptionFromRow(const Stmt& st) {
  const std::string status = st.Text(4);
  auto parsed = ParseSubscriptionStatus(status);
  if (!parsed) return Corrupt("subscriptions", "status", status);
  return Subscription{st.Text(0), st.Text(1), st.Text(2), st.Text(3), *parsed, st.Int(5)};
}

Result<Plan> PlanFromRow(const Stmt& st) {
  Plan plan;
  plan.id = st.Text(0);
  plan.name = st.Text(1);
  plan.description = st.Text(2);
  auto rate = RateFromColumns(st, 3, "plans");
  if (!rate.ok()) return rate.error();
  plan.rate = *rate;
  if (!st.IsNull(6)) {
    const std::string anchor = st.Text(7);
    auto parsed = ParseQuotaAnchor(anchor);
    if (!parsed) return Corrupt("plans", "quota_anchor", anchor);
    plan.quota = Quota{st.Int(6), *parsed, st.Text(8)};
  }
  plan.created_at = st.Int(9);
  plan.requires_approval = st.Int(10) != 0;
  return plan;
}

Result<ApiKey> ApiKeyFromRow(const Stmt& st) {
  ApiKey key{st.Text(0), st.Text(1), st.Text(2), st.Text(3), st.Text(4), st.Int(5), std::nullopt};
  if (!st.IsNull(6)) key.expires_at = st.Int(6);
  key.allowed_ips = SplitLines(st.Text(7));
  key.allowed_referrers = SplitLines(st.Text(8));
  key.api_ids = SplitLines(st.Text(9));
  return key;
}

}  // namespace

Result<Api> LoadApi(sqlite3* db, std::string_view id) {
  Stmt st(db, std::string(kApiColumns) + "WHERE id = ?");
  st.Bind(1, id);
  auto apis = Collect<Api>(st, ApiFromRow);
  if (!apis.ok()) return apis.error();
  if (apis->empty()) return NotFound("api_not_found", "no API with this id");
  if (auto s = LoadApiChildren(db, *apis); !s.ok()) return s.error();
  return std::move(apis->front());
}

Result<std::vector<Api>> LoadApisWhere(sqlite3* db, std::string_view tail,
                                       const std::function<void(Stmt&)>& bind) {
  Stmt st(db, std::string(kApiColumns) + std::string(tail));
  bind(st);
  auto apis = Collect<Api>(st, ApiFromRow);
  if (!apis.ok()) return apis.error();
  if (auto s = LoadApiChildren(db, *apis); !s.ok()) return s.error();
  return apis;
}

Result<ApiDocument> DocumentFromRow(const Stmt& st) {
  return ApiDocument{st.Text(0), st.Text(1), st.Text(2), st.Text(3),
                     st.Text(4), st.Int(5),  st.Int(6)};
}

Result<std::vector<Api>> LoadApis(sqlite3* db, Window window) {
  Stmt st(db, std::string(kApiColumns) + "ORDER BY created_at, id LIMIT ? OFFSET ?");
  st.Bind(1, window.limit).Bind(2, window.offset);
  auto apis = Collect<Api>(st, ApiFromRow);
  if (!apis.ok()) return apis.error();
  if (auto s = LoadApiChildren(db, *apis); !s.ok()) return s.error();
  return apis;
}

Result<Application> LoadApplication(sqlite3* db, std::string_view id) {
  Stmt st(db, std::string(kApplicationColumns) + "WHERE id = ?");
  st.Bind(1, id);
  auto apps = Collect<Application>(st, ApplicationFromRow);
  if (!apps.ok()) return apps.error();
  if (apps->empty()) return NotFound("application_not_found", "no application with this id");
  return std::move(apps->front());
}

Result<std::vector<Application>> LoadApplications(sqlite3* db, std::string_view owner,
                                                  Window window) {
  // Two shapes of the query, so that a filtered one can use its index.
  Stmt st(db, std::string(kApplicationColumns) +
                  (owner.empty() ? "" : "WHERE owner = ?1 ") +
                  "ORDER BY created_at, id LIMIT ?2 OFFSET ?3");
  st.Bind(1, owner).Bind(2, window.limit).Bind(3, window.offset);
  return Collect<Application>(st, ApplicationFromRow);
}

Result<std::vector<Subscription>> LoadSubscriptions(sqlite3* db, std::string_view application_id,
                                                    Window window) {
  Stmt st(db, std::string("SELECT id, application_id, api_id, plan, status, created_at"
                          " FROM subscriptions ") +
                  (application_id.empty() ? "" : "WHERE application_id = ?1 ") +
                  "ORDER BY created_at, id LIMIT ?2 OFFSET ?3");
  st.Bind(1, application_id).Bind(2, window.limit).Bind(3, window.offset);
  return Collect<Subscription>(st, SubscriptionFromRow);
}

Result<std::vector<ApiKey>> LoadApiKeys(sqlite3* db, std::string_view application_id) {
  Stmt st(db, std::string("SELECT id, application_id, name, prefix, hash, created_at, expires_at,"
                          " allowed_ips, allowed_referrers, api_ids FROM api_keys ") +
                  (application_id.empty() ? "" : "WHERE application_id = ?1 ") +
                  "ORDER BY created_at, id");
  if (!application_id.empty()) st.Bind(1, application_id);
  return Collect<ApiKey>(st, ApiKeyFromRow);
}

Result<std::vector<ApiKey>> LoadApiKeysByHash(sqlite3* db, const std::vector<std::string>& hashes) {
  Stmt st(db, "SELECT id, application_id, name, prefix, hash, created_at, expires_at,"
              " allowed_ips, allowed_referrers, api_ids FROM api_keys WHERE hash = ?");
  return CollectEach<ApiKey>(st, hashes.size(), [&](Stmt& s, size_t i) { s.Bind(1, hashes[i]); },
                             ApiKeyFromRow);
}

Result<std::vector<Application>> LoadApplicationsById(sqlite3* db,
                                                      const std::vector<std::string>& ids) {
  Stmt st(db, std::string(kApplicationColumns) + "WHERE id = ?");
  return CollectEach<Application>(st, ids.size(), [&](Stmt& s, size_t i) { s.Bind(1, ids[i]); },
                                  ApplicationFromRow);
}

Result<std::vector<Subscription>> LoadSubscriptionsByPair(
    sqlite3* db, const std::vector<std::pair<std::string, std::string>>& pairs) {
  Stmt st(db, "SELECT id, application_id, api_id, plan, status, created_at FROM subscriptions"
              " WHERE application_id = ? AND api_id = ?");
  return CollectEach<Subscription>(
      st, pairs.size(),
      [&](Stmt& s, size_t i) { s.Bind(1, pairs[i].first).Bind(2, pairs[i].second); },
      SubscriptionFromRow);
}

Result<Plan> LoadPlan(sqlite3* db, std::string_view id) {
  Stmt st(db, std::string(kPlanColumns) + "WHERE id = ?");
  st.Bind(1, id);
  auto plans = Collect<Plan>(st, PlanFromRow);
  if (!plans.ok()) return plans.error();
  if (plans->empty()) return NotFound("plan_not_found", "no plan with this id");
  return std::move(plans->front());
}

Result<Plan> LoadPlanByName(sqlite3* db, std::string_view name) {
  Stmt st(db, std::string(kPlanColumns) + "WHERE name = ?");
  st.Bind(1, name);
  auto plans = Collect<Plan>(st, PlanFromRow);
  if (!plans.ok()) return plans.error();
  if (plans->empty()) return NotFound("plan_not_found", "no plan named '" + std::string(name) + "'");
  return std::move(plans->front());
}

Result<std::vector<Plan>> LoadPlans(sqlite3* db, Window window) {
  Stmt st(db, std::string(kPlanColumns) + "ORDER BY created_at, id LIMIT ? OFFSET ?");
  st.Bind(1, window.limit).Bind(2, window.offset);
  return Collect<Plan>(st, PlanFromRow);
}

Status RequirePlan(sqlite3* db, std::string_view name) {
  auto exists = RowExists(db, "SELECT 1 FROM plans WHERE name = ?", name);
  if (!exists.ok()) return exists.error();
  if (!*exists) return NotFound("plan_not_found", "no plan named '" + std::string(name) + "'");
  return Ok();
}

void BindRate(Stmt& st, int first, const std::optional<RateLimit>& rate) {
  if (rate) {
    st.Bind(first, rate->requests).Bind(first + 1, ToString(rate->per)).Bind(first + 2, rate->burst);
  } else {
    st.BindNull(first).BindNull(first + 1).BindNull(first + 2);
  }
}

Result<std::optional<RateLimit>> RateFromColumns(const Stmt& st, int first,
                                                 std::string_view table) {
  if (st.IsNull(first)) return std::optional<RateLimit>();
  const std::string per = st.Text(first + 1);
  auto parsed = ParsePeriod(per);
  if (!parsed) return Corrupt(table, "per", per);
  return std::optional<RateLimit>(RateLimit{st.Int(first), *parsed, st.Int(first + 2)});
}

Result<int64_t> QueryInt(sqlite3* db, std::string_view sql, std::string_view param) {
  Stmt st(db, sql);
  if (sql.find('?') != std::string_view::npos) st.Bind(1, param);
  auto row = st.Step();
  if (!row.ok()) return row.error();
  return *row ? st.Int(0) : 0;
}

Result<bool> RowExists(sqlite3* db, std::string_view sql, std::string_view id) {
  Stmt st(db, sql);
  st.Bind(1, id);
  return st.Step();
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& scope : scopes) {
    if (!out.empty()) out += ' ';
    out += scope;
  }
  return out;
}

std::vector<std::string> SplitScopes(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string JoinLines(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += '\n';
    out += items[i];
  }
  return out;
}

std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t start = 0;
  while (true) {
    const size_t end = text.find('\n', start);
    out.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

}  // namespace tollgate::store::sqlite
