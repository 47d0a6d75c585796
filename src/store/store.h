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
#include <optional>
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
  // Keeps `blocked` (SetApplicationBlocked changes it).
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

  // --- Plans. Conflict: "plan_name_taken"; "plan_in_use" when deleting a plan that an API
  // offers or a subscription or application uses. Not found: "plan_not_found". A plan's name is
  // its identity for APIs and subscriptions: UpdatePlan keeps the stored name (and created_at)
  // and replaces description, rate, quota and requires_approval. The built-in plan Unlimited always exists;
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

  // --- Management plane: versions, documents, catalog, approvals, blocking (sqlite_portal.cc).
  //
  // Default versions: at most one API per name has is_default_version. Writing an API with
  // is_default_version set (CreateApi, UpdateApi, CreateApiVersion) takes the flag from the other
  // versions of that name in the same transaction: the default moves, it never conflicts.
  // UpdateApi keeps deprecated_at (the lifecycle owns it) and replaces sunset_at.
  // TransitionApi to DEPRECATED sets deprecated_at to the event's time; back to PUBLISHED (an
  // undone deprecation) clears deprecated_at and sunset_at.

  // Like TransitionApi to DEPRECATED, with the caller's deprecation and sunset instants.
  virtual Result<Api> DeprecateApi(const LifecycleEvent& event, int64_t deprecated_at,
                                   std::optional<int64_t> sunset_at) = 0;
  // Creates `api` (a new version of an existing one, ids assigned by the caller) with its
  // documents in one transaction. Errors as CreateApi; "document_name_taken" for duplicate names.
  virtual Result<Api> CreateApiVersion(const Api& api, const std::vector<ApiDocument>& documents) = 0;

  // The developer portal's catalog: PUBLISHED and DEPRECATED APIs whose name, description or a
  // tag contains `text` (ASCII case-insensitive; empty = any) and that carry tag `tag` (exact,
  // case-insensitive; empty = any), ordered by name, then version, then id.
  struct CatalogQuery {
    std::string text;
    std::string tag;
  };
  virtual Result<Page<Api>> ListCatalogApis(const CatalogQuery& query, const PageRequest& page) = 0;

  // --- Documents of an API. Conflict: "document_name_taken" (same API, same name). Not found:
  // "api_not_found", "document_not_found" (also when the document belongs to another API).
  // UpdateDocument replaces name, type, content and updated_at.
  virtual Result<ApiDocument> CreateDocument(const ApiDocument& doc) = 0;
  virtual Result<ApiDocument> GetDocument(std::string_view api_id, std::string_view doc_id) = 0;
  // Ordered by created_at, then id.
  virtual Result<Page<ApiDocument>> ListDocuments(std::string_view api_id,
                                                  const PageRequest& page) = 0;
  virtual Result<ApiDocument> UpdateDocument(const ApiDocument& doc) = 0;
  virtual Status DeleteDocument(std::string_view api_id, std::string_view doc_id) = 0;

  // --- Subscriptions across applications (approvals, blocking). Not found:
  // "subscription_not_found".
  struct SubscriptionFilter {
    std::optional<SubscriptionStatus> status;  // nullopt: any
    std::string api_created_by;                // only APIs created by this user; empty: any API
  };
  virtual Result<Subscription> GetSubscription(std::string_view id) = 0;
  // Ordered by created_at, then id.
  virtual Result<Page<Subscription>> FindSubscriptions(const SubscriptionFilter& filter,
                                                       const PageRequest& page) = 0;
  // Compare-and-set: moves the subscription from `from` to `to` only if it is still `from`,
  // else kConflict "subscription_status_changed".
  virtual Result<Subscription> SetSubscriptionStatus(std::string_view id,
                                                     SubscriptionStatus from,
                                                     SubscriptionStatus to) = 0;
  // Sets Application::blocked. Not found: "application_not_found".
  virtual Result<Application> SetApplicationBlocked(std::string_view id, bool blocked) = 0;

  // --- Users. Conflict: "user_name_taken". Not found: "user_not_found".
  virtual Result<User> CreateUser(const User& user) = 0;
  virtual Result<User> GetUserByName(std::string_view name) = 0;
  virtual Result<int64_t> CountUsers() = 0;
};

}  // namespace tollgate::store
