// The one storage interface of Tollgate. Backends: SQLite (embedded default); PostgreSQL later.
//
// Contract shared by every backend:
// - Every method is one transaction: it commits whole or changes nothing.
// - Every committed write increases the store's revision, so that readers (the enforcer's snapshot
//   builder, other processes sharing the store) can tell that something changed.
// - Uniqueness and references are enforced by the store itself (a concurrent writer cannot slip past
//   a check made by the caller): violations come back as kConflict / kNotFound errors with stable
//   codes, never as partial writes.
// - Methods are thread-safe; a backend serialises or pools connections as it needs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/status.h"

namespace tollgate::store {

struct PageRequest {
  int64_t offset = 0;
  int64_t limit = 50;  // callers clamp to [1, 500]
};

template <class T>
struct Page {
  std::vector<T> items;
  int64_t total = 0;  // number of items across all pages
};

class Store {
 public:
  virtual ~Store() = default;

  // Current revision: a number that grows with every committed write.
  virtual Result<int64_t> Revision() = 0;

  // Everything the enforcer needs, read in one transaction, with the revision it reflects.
  virtual Result<SnapshotData> LoadSnapshotData() = 0;

  // --- APIs. Conflicts: "api_name_version_taken" (name + version), "api_context_taken"
  // (virtual host + context). Not found: "api_not_found"; "plan_not_found" when a plan the API
  // offers or a resource names does not exist.
  virtual Result<Api> CreateApi(const Api& api) = 0;
  virtual Result<Api> GetApi(std::string_view id) = 0;
  virtual Result<Page<Api>> ListApis(const PageRequest& page) = 0;
  // Replaces every field but id, created_by, created_at and lifecycle.
  virtual Result<Api> UpdateApi(const Api& api) = 0;
  // Deleting an API deletes its subscriptions and lifecycle history with it.
  virtual Status DeleteApi(std::string_view id) = 0;
  // Moves the API from `event.from` to `event.to` only if it is still in `event.from`
  // (else kConflict "lifecycle_changed"), and records the event.
  virtual Result<Api> TransitionApi(const LifecycleEvent& event) = 0;
  virtual Result<std::vector<LifecycleEvent>> ListLifecycleEvents(std::string_view api_id) = 0;

  // --- Applications. Conflict: "application_name_taken" (same owner, same name).
  // Not found: "application_not_found"; "plan_not_found" when `plan` is set but does not exist.
  // `owner` empty lists every owner's applications.
  virtual Result<Application> CreateApplication(const Application& app) = 0;
  virtual Result<Application> GetApplication(std::string_view id) = 0;
  virtual Result<Page<Application>> ListApplications(std::string_view owner,
                                                     const PageRequest& page) = 0;
  virtual Result<Application> UpdateApplication(const Application& app) = 0;
  // Deletes its subscriptions and keys with it.
  virtual Status DeleteApplication(std::string_view id) = 0;

  // --- Subscriptions. Conflict: "already_subscribed" (same application and API).
  // Not found: "application_not_found", "api_not_found", "subscription_not_found",
  // "plan_not_found".
  virtual Result<Subscription> CreateSubscription(const Subscription& sub) = 0;
  virtual Result<Page<Subscription>> ListSubscriptions(std::string_view application_id,
                                                       const PageRequest& page) = 0;
  virtual Status DeleteSubscription(std::string_view application_id,
                                    std::string_view subscription_id) = 0;

  // --- API keys (hash only). Conflict: "api_key_taken" (same hash). Not found:
  // "application_not_found", "api_key_not_found".
  virtual Result<ApiKey> CreateApiKey(const ApiKey& key) = 0;
  virtual Result<std::vector<ApiKey>> ListApiKeys(std::string_view application_id) = 0;
  virtual Status DeleteApiKey(std::string_view application_id, std::string_view key_id) = 0;

  // --- Mesh identities (SPIFFE principals as application credentials). Conflict:
  // "mesh_identity_taken" (a principal belongs to one application). Not found:
  // "application_not_found", "mesh_identity_not_found".
  virtual Result<MeshIdentity> CreateMeshIdentity(const MeshIdentity& identity) = 0;
  virtual Result<std::vector<MeshIdentity>> ListMeshIdentities(std::string_view application_id) = 0;
  virtual Status DeleteMeshIdentity(std::string_view application_id,
                                    std::string_view identity_id) = 0;

  // --- Plans. Conflict: "plan_name_taken"; "plan_in_use" when deleting a plan that an API
  // offers or a subscription or application uses. Not found: "plan_not_found". A plan's name is
  // its identity for APIs and subscriptions: UpdatePlan keeps the stored name (and created_at)
  // and replaces description, rate and quota. The built-in plan Unlimited always exists;
  // UpdatePlan and DeletePlan on it fail with kConflict "plan_builtin".
  virtual Result<Plan> CreatePlan(const Plan& plan) = 0;
  virtual Result<Plan> GetPlan(std::string_view id) = 0;
  virtual Result<Plan> GetPlanByName(std::string_view name) = 0;
  virtual Result<Page<Plan>> ListPlans(const PageRequest& page) = 0;
  virtual Result<Plan> UpdatePlan(const Plan& plan) = 0;
  virtual Status DeletePlan(std::string_view id) = 0;

  // --- Quota usage of counters kept in this process, saved periodically so that a restart does
  // not reset monthly quotas. Not configuration: these writes do not bump the revision.
  struct QuotaUsage {
    std::string key;           // counter key (see ratelimit/)
    int64_t window_start = 0;  // Unix seconds
    int64_t window_end = 0;
    int64_t used = 0;
  };
  // Upserts by (key, window_start) and deletes rows whose window has ended at `now` (a window is
  // [window_start, window_end): it has ended once now >= window_end).
  virtual Status SaveQuotaUsage(const std::vector<QuotaUsage>& usage, int64_t now) = 0;
  // Rows whose window has not ended at `now` (window_end > now), ordered by key, window_start.
  virtual Result<std::vector<QuotaUsage>> LoadQuotaUsage(int64_t now) = 0;

  // --- Users. Conflict: "user_name_taken". Not found: "user_not_found".
  virtual Result<User> CreateUser(const User& user) = 0;
  virtual Result<User> GetUserByName(std::string_view name) = 0;
  virtual Result<int64_t> CountUsers() = 0;
};

}  // namespace tollgate::store
