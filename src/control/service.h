// The management plane's business rules: validation, ownership, lifecycle, credentials. Callers
// (REST, CLI, demo seeding) pass who is acting; the service checks and writes through the Store.
// Every successful write calls `on_change` so the enforcer refreshes its snapshot at once.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/model.h"
#include "control/usage.h"
#include "core/status.h"
#include "store/store.h"

namespace tollgate::control {

// Who is acting.
struct Principal {
  std::string user;
  Role role = Role::kSubscriber;
};

// A freshly issued API key: the stored record and the key itself, which is shown only once.
struct IssuedKey {
  ApiKey record;
  std::string key;
};

// Result of ensuring that an admin exists at first start.
struct AdminBootstrap {
  bool created = false;
  std::string generated_password;  // set when created without a given password
};

// Prefix of every API key Tollgate issues: makes leaked keys recognisable by scanners.
inline constexpr std::string_view kApiKeyPrefix = "tg_";

// True when `id` is a well-formed SPIFFE ID ("spiffe://trust-domain/path"); see mesh.cc.
bool IsSpiffeId(std::string_view id);

class Service {
 public:
  // `store` and `clock` must outlive the service. `on_change` runs after each committed write;
  // it must be cheap and thread-safe (e.g. wake the snapshot refresher).
  Service(store::Store& store, const Clock& clock, std::function<void()> on_change);

  // --- Users and authentication.
  // Creates user `admin` when the store has no user yet, with `password` or a generated one.
  Result<AdminBootstrap> EnsureAdmin(std::optional<std::string> password);
  // Checks a user's password (argon2). Unknown user and wrong password give the same error.
  Result<Principal> Authenticate(std::string_view user, std::string_view password);

  // --- Publisher. Drafts are validated and normalised; ids and timestamps are assigned here.
  Result<Api> CreateApi(const Principal& who, Api draft);
  Result<Api> GetApi(const Principal& who, std::string_view id);
  Result<store::Page<Api>> ListApis(const Principal& who, store::PageRequest page);
  Result<Api> UpdateApi(const Principal& who, std::string_view id, Api draft);
  Status DeleteApi(const Principal& who, std::string_view id);
  // `action`: publish | deprecate | retire | block | unblock.
  Result<Api> ChangeLifecycle(const Principal& who, std::string_view id, std::string_view action);
  Result<std::vector<LifecycleEvent>> LifecycleHistory(const Principal& who, std::string_view id);

  // --- Admin: plans (plans.cc). Every authenticated user may list and read plans (publishers
  // offer them, subscribers choose among them); only admins create, change and delete them.
  // A plan's name cannot change (APIs and subscriptions refer to it by name): an UpdatePlan
  // draft with another name is refused ("name", "plan_name_immutable"); an empty name keeps it.
  // The built-in Unlimited is never changed or deleted (kConflict "plan_builtin"); a plan in use
  // is not deleted (kConflict "plan_in_use").
  Result<Plan> CreatePlan(const Principal& who, Plan draft);
  Result<Plan> GetPlan(const Principal& who, std::string_view id);
  Result<store::Page<Plan>> ListPlans(const Principal& who, store::PageRequest page);
  Result<Plan> UpdatePlan(const Principal& who, std::string_view id, Plan draft);
  Status DeletePlan(const Principal& who, std::string_view id);

  // --- Developer portal. Subscribers see and change only their own applications.
  // An application's `plan` (optional) must name an existing plan ("plan", "unknown_plan").
  Result<Application> CreateApplication(const Principal& who, Application draft);
  Result<Application> GetApplication(const Principal& who, std::string_view id);
  Result<store::Page<Application>> ListApplications(const Principal& who, store::PageRequest page);
  Result<Application> UpdateApplication(const Principal& who, std::string_view id,
                                        Application draft);
  Status DeleteApplication(const Principal& who, std::string_view id);

  // Subscribes on `plan` (empty: the API's first offered plan). Only PUBLISHED APIs accept.
  Result<Subscription> Subscribe(const Principal& who, std::string_view application_id,
                                 std::string_view api_id, std::string plan);
  Result<store::Page<Subscription>> ListSubscriptions(const Principal& who,
                                                      std::string_view application_id,
                                                      store::PageRequest page);
  Status Unsubscribe(const Principal& who, std::string_view application_id,
                     std::string_view subscription_id);
  // A subscription's plan and, when the plan has a quota, its consumption now as `usage` knows
  // it (nullptr: unknown). Owner or admin only, like the application's other routes.
  Result<SubscriptionUsage> SubscriptionUsageOf(const Principal& who,
                                                std::string_view application_id,
                                                std::string_view subscription_id,
                                                UsageSource* usage);

  Result<IssuedKey> CreateApiKey(const Principal& who, std::string_view application_id,
                                 std::string name, std::optional<int64_t> expires_at);
  Result<std::vector<ApiKey>> ListApiKeys(const Principal& who, std::string_view application_id);
  Status DeleteApiKey(const Principal& who, std::string_view application_id,
                      std::string_view key_id);

  // --- Mesh identities (mesh.cc): the application's owner or an admin registers a workload's
  // SPIFFE ID ("spiffe://trust-domain/path") as a credential for resources with auth "mesh".
  // Invalid: field "principal", code "invalid_spiffe_id". Conflict: "mesh_identity_taken".
  Result<MeshIdentity> CreateMeshIdentity(const Principal& who, std::string_view application_id,
                                          std::string principal);
  Result<std::vector<MeshIdentity>> ListMeshIdentities(const Principal& who,
                                                       std::string_view application_id);
  Status DeleteMeshIdentity(const Principal& who, std::string_view application_id,
                            std::string_view identity_id);

 private:
  Status RequirePublisher(const Principal& who) const;
  Status RequireAdmin(const Principal& who) const;
  // Every plan the API names (plans[i], resources[i].plan) exists; else kInvalid naming the
  // field, code "unknown_plan".
  Status CheckApiPlans(const Api& api);
  // The application's plan, when set, exists; else kInvalid "plan" / "unknown_plan".
  Status CheckApplicationPlan(const Application& app);
  // The application, if `who` may act on it (owner or admin); not found otherwise, so that
  // subscribers cannot probe for other people's application ids.
  Result<Application> OwnedApplication(const Principal& who, std::string_view id);
  // Passes `result` through, notifying on_change_ when it is a success (a committed write).
  template <class T>
  Result<T> Changed(Result<T> result) {
    if (result.ok() && on_change_) on_change_();
    return result;
  }

  store::Store& store_;
  const Clock& clock_;
  std::function<void()> on_change_;
};

}  // namespace tollgate::control
