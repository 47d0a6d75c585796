// SqliteStore: APIs, their resources, plans and keyed limits, and lifecycle transitions.
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

Error ApiNotFound() { return NotFound("api_not_found", "no API with this id"); }

// The UNIQUE constraints of `apis` and the contract errors they stand for.
Error MapApiWriteError(const Stmt& st, Error raw) {
  return MapConstraint(
      st, std::move(raw),
      {{"apis.name, apis.version",
        Conflict("api_name_version_taken", "an API with this name and version exists")},
       {"apis.virtual_host, apis.context",
        Conflict("api_context_taken", "another API uses this context on this virtual host")}});
}

// Every plan an API names (offered, or on a resource) must exist: kNotFound "plan_not_found".
// Checked inside the write transaction, so a plan cannot be deleted in between.
Status RequireApiPlans(sqlite3* db, const Api& api) {
  for (const std::string& plan : api.plans) {
    if (auto s = RequirePlan(db, plan); !s.ok()) return s;
  }
  for (const Resource& r : api.resources) {
    if (r.plan.empty()) continue;
    if (auto s = RequirePlan(db, r.plan); !s.ok()) return s;
  }
  return Ok();
}

// Writes resources, plans and keyed limits in their order; the API row must exist.
Status InsertApiChildren(sqlite3* db, const Api& api) {
  Stmt resource(db,
                "INSERT INTO api_resources (api_id, position, method, path, auth, scopes, plan)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)");
  for (size_t i = 0; i < api.resources.size(); ++i) {
    const Resource& r = api.resources[i];
    resource.Reset();
    resource.Bind(1, api.id).Bind(2, static_cast<int64_t>(i)).Bind(3, r.method).Bind(4, r.path);
    resource.Bind(5, ToString(r.auth)).Bind(6, JoinScopes(r.scopes)).Bind(7, r.plan);
    if (auto s = resource.Exec(); !s.ok()) return s;
  }
  Stmt plan(db, "INSERT INTO api_plans (api_id, position, plan) VALUES (?, ?, ?)");
  for (size_t i = 0; i < api.plans.size(); ++i) {
    plan.Reset();
    plan.Bind(1, api.id).Bind(2, static_cast<int64_t>(i)).Bind(3, api.plans[i]);
    if (auto s = plan.Exec(); !s.ok()) return s;
  }
  Stmt keyed(db,
             "INSERT INTO api_keyed_limits (api_id, position, key, requests, per, burst)"
             " VALUES (?, ?, ?, ?, ?, ?)");
  for (size_t i = 0; i < api.keyed_limits.size(); ++i) {
    const KeyedLimit& k = api.keyed_limits[i];
    keyed.Reset();
    keyed.Bind(1, api.id).Bind(2, static_cast<int64_t>(i)).Bind(3, k.key);
    BindRate(keyed, 4, k.rate);
    if (auto s = keyed.Exec(); !s.ok()) return s;
  }
  return Ok();
}

}  // namespace

namespace sqlite {

Status TakeDefaultVersion(sqlite3* db, const Api& api) {
  if (!api.is_default_version) return Ok();
  Stmt st(db, "UPDATE apis SET is_default_version = 0 WHERE name = ? AND id <> ?"
              " AND is_default_version = 1");
  st.Bind(1, api.name).Bind(2, api.id);
  return st.Exec();
}

Result<Api> InsertApi(sqlite3* db, const Api& api) {
  if (auto s = RequireApiPlans(db, api); !s.ok()) return s.error();
  if (auto s = TakeDefaultVersion(db, api); !s.ok()) return s.error();
  Stmt st(db,
          "INSERT INTO apis (id, name, version, description, context, virtual_host, upstream,"
          " api_key_header, lifecycle, created_by, created_at, updated_at,"
          " backend_rate_requests, backend_rate_per, backend_rate_burst, fail_open,"
          " tags, is_default_version, deprecated_at, sunset_at, audience, backend_jwt_header)"
          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  st.Bind(1, api.id).Bind(2, api.name).Bind(3, api.version).Bind(4, api.description);
  st.Bind(5, api.context).Bind(6, api.virtual_host).Bind(7, api.upstream);
  st.Bind(8, api.api_key_header).Bind(9, ToString(api.lifecycle)).Bind(10, api.created_by);
  st.Bind(11, api.created_at).Bind(12, api.updated_at);
  BindRate(st, 13, api.backend_rate);
  st.Bind(16, int64_t{api.fail_open ? 1 : 0});
  st.Bind(17, JoinLines(api.tags)).Bind(18, int64_t{api.is_default_version ? 1 : 0});
  st.Bind(19, api.deprecated_at).Bind(20, api.sunset_at).Bind(21, api.audience);
  st.Bind(22, api.backend_jwt_header);
  if (auto s = st.Exec(); !s.ok()) return MapApiWriteError(st, s.error());
  if (auto s = InsertApiChildren(db, api); !s.ok()) return s.error();
  return LoadApi(db, api.id);
}

Result<Api> TransitionApiRow(sqlite3* db, const LifecycleEvent& event,
                             std::optional<int64_t> deprecated_at,
                             std::optional<int64_t> sunset_at) {
  // Conditional on the state the caller decided from, so two concurrent transitions cannot
  // both apply (compare-and-set). Deprecation instants follow the state: set on entering
  // DEPRECATED, cleared when a deprecation is undone (back to PUBLISHED), kept otherwise.
  const char* sql =
      event.to == Lifecycle::kDeprecated
          ? "UPDATE apis SET lifecycle = ?1, updated_at = ?2, deprecated_at = ?5, sunset_at = ?6"
            " WHERE id = ?3 AND lifecycle = ?4"
      : event.to == Lifecycle::kPublished && event.from == Lifecycle::kDeprecated
          ? "UPDATE apis SET lifecycle = ?1, updated_at = ?2, deprecated_at = NULL,"
            " sunset_at = NULL WHERE id = ?3 AND lifecycle = ?4"
          : "UPDATE apis SET lifecycle = ?1, updated_at = ?2 WHERE id = ?3 AND lifecycle = ?4";
  Stmt st(db, sql);
  st.Bind(1, ToString(event.to)).Bind(2, event.at).Bind(3, event.api_id);
  st.Bind(4, ToString(event.from));
  if (event.to == Lifecycle::kDeprecated) {
    st.Bind(5, deprecated_at.value_or(event.at)).Bind(6, sunset_at);
  }
  if (auto s = st.Exec(); !s.ok()) return s.error();
  if (st.Changes() == 0) {
    auto exists = RowExists(db, "SELECT 1 FROM apis WHERE id = ?", event.api_id);
    if (!exists.ok()) return exists.error();
    if (!*exists) return ApiNotFound();
    return Conflict("lifecycle_changed", "the API is no longer " +
                                             std::string(ToString(event.from)) +
                                             "; reload it and try again");
  }
  Stmt record(db,
              "INSERT INTO api_lifecycle_events (api_id, from_state, to_state, actor, at)"
              " VALUES (?, ?, ?, ?, ?)");
  record.Bind(1, event.api_id).Bind(2, ToString(event.from)).Bind(3, ToString(event.to));
  record.Bind(4, event.actor).Bind(5, event.at);
  if (auto s = record.Exec(); !s.ok()) return s.error();
  return LoadApi(db, event.api_id);
}

}  // namespace sqlite

Result<Api> SqliteStore::CreateApi(const Api& api) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<Api> { return InsertApi(db_, api); });
}

Result<Api> SqliteStore::GetApi(std::string_view id) {
  std::lock_guard lock(mu_);
  return InReadTx(db_, [&] { return LoadApi(db_, id); });
}

Result<Page<Api>> SqliteStore::ListApis(const PageRequest& page) {
  std::lock_guard lock(mu_);
  return InReadTx(db_, [&]() -> Result<Page<Api>> {
    auto total = QueryInt(db_, "SELECT COUNT(*) FROM apis");
    if (!total.ok()) return total.error();
    auto items = LoadApis(db_, Window{page.offset, page.limit});
    if (!items.ok()) return items.error();
    return Page<Api>{std::move(items.value()), *total};
  });
}

Result<Api> SqliteStore::UpdateApi(const Api& api) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<Api> {
    // lifecycle, created_by, created_at and deprecated_at are deliberately not in the SET list.
    Stmt st(db_,
            "UPDATE apis SET name = ?, version = ?, description = ?, context = ?,"
            " virtual_host = ?, upstream = ?, api_key_header = ?, updated_at = ?,"
            " backend_rate_requests = ?, backend_rate_per = ?, backend_rate_burst = ?,"
            " fail_open = ?, tags = ?, is_default_version = ?, sunset_at = ?, audience = ?,"
            " backend_jwt_header = ? WHERE id = ?");
    st.Bind(1, api.name).Bind(2, api.version).Bind(3, api.description).Bind(4, api.context);
    st.Bind(5, api.virtual_host).Bind(6, api.upstream).Bind(7, api.api_key_header);
    st.Bind(8, api.updated_at);
    BindRate(st, 9, api.backend_rate);
    st.Bind(12, int64_t{api.fail_open ? 1 : 0}).Bind(13, JoinLines(api.tags));
    st.Bind(14, int64_t{api.is_default_version ? 1 : 0}).Bind(15, api.sunset_at);
    st.Bind(16, api.audience).Bind(17, api.backend_jwt_header).Bind(18, api.id);
    if (auto s = TakeDefaultVersion(db_, api); !s.ok()) return s.error();
    if (auto s = st.Exec(); !s.ok()) return MapApiWriteError(st, s.error());
    if (st.Changes() == 0) return ApiNotFound();
    if (auto s = RequireApiPlans(db_, api); !s.ok()) return s.error();
    for (const char* sql : {"DELETE FROM api_resources WHERE api_id = ?",
                            "DELETE FROM api_plans WHERE api_id = ?",
                            "DELETE FROM api_keyed_limits WHERE api_id = ?"}) {
      Stmt drop(db_, sql);
      drop.Bind(1, api.id);
      if (auto s = drop.Exec(); !s.ok()) return s.error();
    }
    if (auto s = InsertApiChildren(db_, api); !s.ok()) return s.error();
    return LoadApi(db_, api.id);
  });
}

Status SqliteStore::DeleteApi(std::string_view id) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Status {
    // Resources, plans, keyed limits, lifecycle events and subscriptions go with it (CASCADE).
    Stmt st(db_, "DELETE FROM apis WHERE id = ?");
    st.Bind(1, id);
    if (auto s = st.Exec(); !s.ok()) return s;
    if (st.Changes() == 0) return ApiNotFound();
    return Ok();
  });
}

Result<Api> SqliteStore::TransitionApi(const LifecycleEvent& event) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<Api> {
    return TransitionApiRow(db_, event, std::nullopt, std::nullopt);
  });
}

Result<std::vector<LifecycleEvent>> SqliteStore::ListLifecycleEvents(std::string_view api_id) {
  std::lock_guard lock(mu_);
  return InReadTx(db_, [&]() -> Result<std::vector<LifecycleEvent>> {
    auto exists = RowExists(db_, "SELECT 1 FROM apis WHERE id = ?", api_id);
    if (!exists.ok()) return exists.error();
    if (!*exists) return ApiNotFound();
    Stmt st(db_,
            "SELECT api_id, from_state, to_state, actor, at FROM api_lifecycle_events"
            " WHERE api_id = ? ORDER BY seq");
    st.Bind(1, api_id);
    std::vector<LifecycleEvent> events;
    while (true) {
      auto row = st.Step();
      if (!row.ok()) return row.error();
      if (!*row) return events;
      auto from = ParseLifecycle(st.Text(1));
      auto to = ParseLifecycle(st.Text(2));
      if (!from || !to) return Internal("corrupt row in api_lifecycle_events");
      events.push_back(LifecycleEvent{st.Text(0), *from, *to, st.Text(3), st.Int(4)});
    }
  });
}

}  // namespace tollgate::store
