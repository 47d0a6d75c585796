// SqliteStore: plans (subscription tiers, with the built-in Unlimited) and persisted quota usage.
#include <sqlite3.h>

#include <string>
#include <utility>

#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_statement.h"
#include "store/sqlite/sqlite_store.h"

namespace tollgate::store {

using namespace sqlite;  // NOLINT(google-build-using-namespace): this backend's own helpers

namespace {

Error PlanNotFound() { return NotFound("plan_not_found", "no plan with this id"); }

Error MapPlanWriteError(const Stmt& st, Error raw) {
  return MapConstraint(st, std::move(raw),
                       {{"plans.name", Conflict("plan_name_taken", "a plan with this name exists")}});
}

// Binds description, rate and quota to parameters 1..8 (the columns both writes set).
void BindPlanSettings(Stmt& st, const Plan& plan) {
  st.Bind(1, plan.description);
  BindRate(st, 2, plan.rate);
  if (plan.quota) {
    st.Bind(5, plan.quota->requests).Bind(6, ToString(plan.quota->anchor));
    st.Bind(7, plan.quota->time_zone);
  } else {
    st.BindNull(5).BindNull(6).BindNull(7);
  }
}

// Inside a transaction: the plan's name, or not found; kConflict "plan_builtin" for a built-in
// plan, which nobody may change or delete.
Result<std::string> ChangeablePlanName(sqlite3* db, std::string_view id) {
  Stmt st(db, "SELECT name, builtin FROM plans WHERE id = ?");
  st.Bind(1, id);
  auto row = st.Step();
  if (!row.ok()) return row.error();
  if (!*row) return PlanNotFound();
  if (st.Int(1) != 0) {
    return Conflict("plan_builtin", "the built-in plan " + st.Text(0) + " cannot be changed");
  }
  return st.Text(0);
}

}  // namespace

Result<Plan> SqliteStore::CreatePlan(const Plan& plan) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<Plan> {
    Stmt st(db_,
            "INSERT INTO plans (description, rate_requests, rate_per, rate_burst, quota_requests,"
            " quota_anchor, quota_time_zone, id, name, created_at, requires_approval)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    BindPlanSettings(st, plan);
    st.Bind(8, plan.id).Bind(9, plan.name).Bind(10, plan.created_at);
    st.Bind(11, int64_t{plan.requires_approval ? 1 : 0});
    if (auto s = st.Exec(); !s.ok()) return MapPlanWriteError(st, s.error());
    return LoadPlan(db_, plan.id);
  });
}

Result<Plan> SqliteStore::GetPlan(std::string_view id) {
  std::lock_guard lock(mu_);
  return LoadPlan(db_, id);  // one SELECT: its own transaction
}

Result<Plan> SqliteStore::GetPlanByName(std::string_view name) {
  std::lock_guard lock(mu_);
  return LoadPlanByName(db_, name);
}

Result<Page<Plan>> SqliteStore::ListPlans(const PageRequest& page) {
  std::lock_guard lock(mu_);
  return InReadTx(db_, [&]() -> Result<Page<Plan>> {
    auto total = QueryInt(db_, "SELECT COUNT(*) FROM plans");
    if (!total.ok()) return total.error();
    auto items = LoadPlans(db_, Window{page.offset, page.limit});
    if (!items.ok()) return items.error();
    return Page<Plan>{std::move(items.value()), *total};
  });
}

Result<Plan> SqliteStore::UpdatePlan(const Plan& plan) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<Plan> {
    if (auto name = ChangeablePlanName(db_, plan.id); !name.ok()) return name.error();
    // name and created_at stay: the name is how APIs and subscriptions refer to the plan.
    Stmt st(db_,
            "UPDATE plans SET description = ?, rate_requests = ?, rate_per = ?, rate_burst = ?,"
            " quota_requests = ?, quota_anchor = ?, quota_time_zone = ?, requires_approval = ?"
            " WHERE id = ?");
    BindPlanSettings(st, plan);
    st.Bind(8, int64_t{plan.requires_approval ? 1 : 0}).Bind(9, plan.id);
    if (auto s = st.Exec(); !s.ok()) return s.error();
    return LoadPlan(db_, plan.id);
  });
}

Status SqliteStore::DeletePlan(std::string_view id) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Status {
    auto name = ChangeablePlanName(db_, id);
    if (!name.ok()) return name.error();
    // The write lock (BEGIN IMMEDIATE) keeps these answers true until COMMIT.
    auto uses = QueryInt(db_,
                         "SELECT (SELECT COUNT(*) FROM api_plans WHERE plan = ?1)"
                         " + (SELECT COUNT(*) FROM api_resources WHERE plan = ?1)"
                         " + (SELECT COUNT(*) FROM subscriptions WHERE plan = ?1)"
                         " + (SELECT COUNT(*) FROM applications WHERE plan = ?1)",
                         *name);
    if (!uses.ok()) return uses.error();
    if (*uses > 0) {
      return Conflict("plan_in_use", "plan " + *name +
                                         " is offered by an API or used by a subscription or an "
                                         "application; remove those uses first");
    }
    Stmt st(db_, "DELETE FROM plans WHERE id = ?");
    st.Bind(1, id);
    return st.Exec();
  });
}

Status SqliteStore::SaveQuotaUsage(const std::vector<QuotaUsage>& usage, int64_t now) {
  std::lock_guard lock(mu_);
  return InUnversionedWriteTx(db_, [&]() -> Status {
    Stmt upsert(db_,
                "INSERT INTO quota_usage (key, window_start, window_end, used) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key, window_start)"
                " DO UPDATE SET window_end = excluded.window_end, used = excluded.used");
    for (const QuotaUsage& u : usage) {
      upsert.Reset();
      upsert.Bind(1, u.key).Bind(2, u.window_start).Bind(3, u.window_end).Bind(4, u.used);
      if (auto s = upsert.Exec(); !s.ok()) return s;
    }
    // A window [start, end) has ended once `now` reaches its end.
    Stmt expire(db_, "DELETE FROM quota_usage WHERE window_end <= ?");
    expire.Bind(1, now);
    return expire.Exec();
  });
}

Result<std::vector<Store::QuotaUsage>> SqliteStore::LoadQuotaUsage(int64_t now) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "SELECT key, window_start, window_end, used FROM quota_usage WHERE window_end > ?"
          " ORDER BY key, window_start");
  st.Bind(1, now);
  std::vector<QuotaUsage> out;
  while (true) {
    auto row = st.Step();
    if (!row.ok()) return row.error();
    if (!*row) return out;
    out.push_back(QuotaUsage{st.Text(0), st.Int(1), st.Int(2), st.Int(3)});
  }
}

}  // namespace tollgate::store
