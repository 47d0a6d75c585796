// SqliteStore: applications and what hangs off them — subscriptions and API keys.
#include <sqlite3.h>

#include <string>
#include <utility>

#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_statement.h"
#include "store/sqlite/sqlite_store.h"

namespace tollgate::store {

using namespace sqlite;  // NOLINT(google-build-using-namespace): this backend's own helpers

namespace {

Error ApplicationNotFound() {
  return NotFound("application_not_found", "no application with this id");
}

Error MapApplicationWriteError(const Stmt& st, Error raw) {
  return MapConstraint(st, std::move(raw),
                       {{"applications.owner, applications.name",
                         Conflict("application_name_taken",
                                  "this owner already has an application with this name")}});
}

// Inside a transaction: kNotFound "application_not_found" unless the application exists.
Status RequireApplication(sqlite3* db, std::string_view id) {
  auto exists = RowExists(db, "SELECT 1 FROM applications WHERE id = ?", id);
  if (!exists.ok()) return exists.error();
  if (!*exists) return ApplicationNotFound();
  return Ok();
}

// An application-level plan, when set, must exist: kNotFound "plan_not_found".
Status RequireApplicationPlan(sqlite3* db, const Application& app) {
  return app.plan.empty() ? Ok() : RequirePlan(db, app.plan);
}

}  // namespace

Result<Application> SqliteStore::CreateApplication(const Application& app) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<Application> {
    if (auto s = RequireApplicationPlan(db_, app); !s.ok()) return s.error();
    Stmt st(db_,
            "INSERT INTO applications (id, name, description, owner, plan, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)");
    st.Bind(1, app.id).Bind(2, app.name).Bind(3, app.description).Bind(4, app.owner);
    st.Bind(5, app.plan).Bind(6, app.created_at);
    if (auto s = st.Exec(); !s.ok()) return MapApplicationWriteError(st, s.error());
    return LoadApplication(db_, app.id);
  });
}

Result<Application> SqliteStore::GetApplication(std::string_view id) {
  std::lock_guard lock(mu_);
  return LoadApplication(db_, id);  // one SELECT: its own transaction
}

Result<Page<Application>> SqliteStore::ListApplications(std::string_view owner,
                                                        const PageRequest& page) {
  std::lock_guard lock(mu_);
  return InReadTx(db_, [&]() -> Result<Page<Application>> {
    auto total = owner.empty()
                     ? QueryInt(db_, "SELECT COUNT(*) FROM applications")
                     : QueryInt(db_, "SELECT COUNT(*) FROM applications WHERE owner = ?", owner);
    if (!total.ok()) return total.error();
    auto items = LoadApplications(db_, owner, Window{page.offset, page.limit});
    if (!items.ok()) return items.error();
    return Page<Application>{std::move(items.value()), *total};
  });
}

Result<Application> SqliteStore::UpdateApplication(const Application& app) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<Application> {
    if (auto s = RequireApplicationPlan(db_, app); !s.ok()) return s.error();
    Stmt st(db_, "UPDATE applications SET name = ?, description = ?, plan = ? WHERE id = ?");
    st.Bind(1, app.name).Bind(2, app.description).Bind(3, app.plan).Bind(4, app.id);
    if (auto s = st.Exec(); !s.ok()) return MapApplicationWriteError(st, s.error());
    if (st.Changes() == 0) return ApplicationNotFound();
    return LoadApplication(db_, app.id);
  });
}

Status SqliteStore::DeleteApplication(std::string_view id) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Status {
    // Subscriptions and keys go with it (ON DELETE CASCADE).
    Stmt st(db_, "DELETE FROM applications WHERE id = ?");
    st.Bind(1, id);
    if (auto s = st.Exec(); !s.ok()) return s;
    if (st.Changes() == 0) return ApplicationNotFound();
    return Ok();
  });
}

Result<Subscription> SqliteStore::CreateSubscription(const Subscription& sub) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<Subscription> {
    // SQLite's foreign-key error does not say which reference failed, so look first; the write
    // lock held since BEGIN IMMEDIATE keeps the answer true until COMMIT.
    if (auto s = RequireApplication(db_, sub.application_id); !s.ok()) return s.error();
    auto api = RowExists(db_, "SELECT 1 FROM apis WHERE id = ?", sub.api_id);
    if (!api.ok()) return api.error();
    if (!*api) return NotFound("api_not_found", "no API with this id");
    if (auto s = RequirePlan(db_, sub.plan); !s.ok()) return s.error();
    Stmt st(db_,
            "INSERT INTO subscriptions (id, application_id, api_id, plan, status, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)");
    st.Bind(1, sub.id).Bind(2, sub.application_id).Bind(3, sub.api_id).Bind(4, sub.plan);
    st.Bind(5, ToString(sub.status)).Bind(6, sub.created_at);
    if (auto s = st.Exec(); !s.ok()) {
      return MapConstraint(
          st, s.error(),
          {{"subscriptions.application_id, subscriptions.api_id",
            Conflict("already_subscribed", "this application is already subscribed to this API")}});
    }
    return sub;
  });
}

Result<Page<Subscription>> SqliteStore::ListSubscriptions(std::string_view application_id,
                                                          const PageRequest& page) {
  std::lock_guard lock(mu_);
  return InReadTx(db_, [&]() -> Result<Page<Subscription>> {
    if (application_id.empty()) return ApplicationNotFound();  // empty would mean "all" below
    if (auto s = RequireApplication(db_, application_id); !s.ok()) return s.error();
    auto total = QueryInt(db_, "SELECT COUNT(*) FROM subscriptions WHERE application_id = ?",
                          application_id);
    if (!total.ok()) return total.error();
    auto items = LoadSubscriptions(db_, application_id, Window{page.offset, page.limit});
    if (!items.ok()) return items.error();
    return Page<Subscription>{std::move(items.value()), *total};
  });
}

Status SqliteStore::DeleteSubscription(std::string_view application_id,
                                       std::string_view subscription_id) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Status {
    Stmt st(db_, "DELETE FROM subscriptions WHERE id = ? AND application_id = ?");
    st.Bind(1, subscription_id).Bind(2, application_id);
    if (auto s = st.Exec(); !s.ok()) return s;
    if (st.Changes() > 0) return Ok();
    if (auto s = RequireApplication(db_, application_id); !s.ok()) return s;
    return NotFound("subscription_not_found", "no such subscription on this application");
  });
}

Result<ApiKey> SqliteStore::CreateApiKey(const ApiKey& key) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Result<ApiKey> {
    Stmt st(db_,
            "INSERT INTO api_keys (id, application_id, name, prefix, hash, created_at, expires_at,"
            " allowed_ips, allowed_referrers, api_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    st.Bind(1, key.id).Bind(2, key.application_id).Bind(3, key.name).Bind(4, key.prefix);
    st.Bind(5, key.hash).Bind(6, key.created_at).Bind(7, key.expires_at);
    st.Bind(8, JoinLines(key.allowed_ips)).Bind(9, JoinLines(key.allowed_referrers));
    st.Bind(10, JoinLines(key.api_ids));
    if (auto s = st.Exec(); !s.ok()) {
      // The only reference of api_keys is its application.
      return MapConstraint(st, s.error(),
                           {{"api_keys.hash", Conflict("api_key_taken", "this key exists")}},
                           ApplicationNotFound());
    }
    return key;
  });
}

Result<std::vector<ApiKey>> SqliteStore::ListApiKeys(std::string_view application_id) {
  std::lock_guard lock(mu_);
  return InReadTx(db_, [&]() -> Result<std::vector<ApiKey>> {
    if (application_id.empty()) return ApplicationNotFound();  // empty would mean "all" below
    if (auto s = RequireApplication(db_, application_id); !s.ok()) return s.error();
    return LoadApiKeys(db_, application_id);
  });
}

Status SqliteStore::DeleteApiKey(std::string_view application_id, std::string_view key_id) {
  std::lock_guard lock(mu_);
  return InWriteTx(db_, [&]() -> Status {
    Stmt st(db_, "DELETE FROM api_keys WHERE id = ? AND application_id = ?");
    st.Bind(1, key_id).Bind(2, application_id);
    if (auto s = st.Exec(); !s.ok()) return s;
    if (st.Changes() > 0) return Ok();
    if (auto s = RequireApplication(db_, application_id); !s.ok()) return s;
    return NotFound("api_key_not_found", "no such API key on this application");
  });
}

}  // namespace tollgate::store
