// The embedded SQLite backend of the Store interface: one database file (WAL mode) that several
// Tollgate processes on one machine may share.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

struct sqlite3;

namespace tollgate::store {

// Store over one SQLite connection. Thread-safe: every method takes an internal mutex, so calls
// from several threads serialise on the connection. Processes sharing the file serialise through
// SQLite's locks: writers take the write lock at the start of their transaction and wait up to
// 5 s for it (busy_timeout), then fail with kUnavailable "store_busy"; readers never block writers.
//
// Ids and timestamps are the caller's: the store persists them as given.
class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) the database at `path` and migrates its schema. The parent directory
  // must exist. ":memory:" gives a private in-memory database (tests only: it cannot be shared and
  // is gone on close). Errors: kInternal when the file cannot be opened, is not a Tollgate store,
  // or has a newer schema than this build ("store_schema_too_new"); kUnavailable "store_busy" when
  // another process holds the write lock past the timeout while migrating.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path);

  // The schema version this build creates and understands.
  static int64_t SchemaVersion();

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Result<int64_t> Revision() override;
  Result<SnapshotData> LoadSnapshotData() override;

  Result<Api> CreateApi(const Api& api) override;
  Result<Api> GetApi(std::string_view id) override;
  Result<Page<Api>> ListApis(const PageRequest& page) override;
  Result<Api> UpdateApi(const Api& api) override;
  Status DeleteApi(std::string_view id) override;
  Result<Api> TransitionApi(const LifecycleEvent& event) override;
  Result<std::vector<LifecycleEvent>> ListLifecycleEvents(std::string_view api_id) override;

  // UpdateApplication replaces name, description and plan; id, owner and created_at stay.
  Result<Application> CreateApplication(const Application& app) override;
  Result<Application> GetApplication(std::string_view id) override;
  Result<Page<Application>> ListApplications(std::string_view owner,
                                             const PageRequest& page) override;
  Result<Application> UpdateApplication(const Application& app) override;
  Status DeleteApplication(std::string_view id) override;

  // ListSubscriptions and ListApiKeys answer "application_not_found" for an unknown application.
  Result<Subscription> CreateSubscription(const Subscription& sub) override;
  Result<Page<Subscription>> ListSubscriptions(std::string_view application_id,
                                               const PageRequest& page) override;
  Status DeleteSubscription(std::string_view application_id,
                            std::string_view subscription_id) override;

  Result<ApiKey> CreateApiKey(const ApiKey& key) override;
  Result<std::vector<ApiKey>> ListApiKeys(std::string_view application_id) override;
  Status DeleteApiKey(std::string_view application_id, std::string_view key_id) override;

  Result<MeshIdentity> CreateMeshIdentity(const MeshIdentity& identity) override;
  Result<std::vector<MeshIdentity>> ListMeshIdentities(std::string_view application_id) override;
  Status DeleteMeshIdentity(std::string_view application_id,
                            std::string_view identity_id) override;

  // Migration 2 seeds the built-in plan Unlimited (id "unlimited"); UpdatePlan and DeletePlan
  // refuse it with kConflict "plan_builtin".
  Result<Plan> CreatePlan(const Plan& plan) override;
  Result<Plan> GetPlan(std::string_view id) override;
  Result<Plan> GetPlanByName(std::string_view name) override;
  Result<Page<Plan>> ListPlans(const PageRequest& page) override;
  Result<Plan> UpdatePlan(const Plan& plan) override;
  Status DeletePlan(std::string_view id) override;

  Status SaveQuotaUsage(const std::vector<QuotaUsage>& usage, int64_t now) override;
  Result<std::vector<QuotaUsage>> LoadQuotaUsage(int64_t now) override;

  Result<User> CreateUser(const User& user) override;
  Result<User> GetUserByName(std::string_view name) override;
  Result<int64_t> CountUsers() override;

 private:
  explicit SqliteStore(sqlite3* db);

  std::mutex mu_;
  sqlite3* const db_;  // guarded by mu_; owned, closed by the destructor
};

}  // namespace tollgate::store
