// The management plane's business rules: validation, ownership, lifecycle, credentials. Callers
// (REST, CLI, demo seeding) pass who is acting; the service checks and writes through the Store.
// Every successful write calls `on_change` so the enforcer refreshes its snapshot at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
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

class KeyManager;

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

// A freshly created OAuth client (or one whose secret was regenerated) and its secret, which is
// shown only once.
struct IssuedClient {
  OAuthClient record;
  std::string secret;
};

// Result of ensuring that an admin exists at first start.
struct AdminBootstrap {
  bool created = false;
  std::string generated_password;  // set when created without a given password
};

class Accounts;  // control/accounts.h: users, sessions, tokens, audit log

// Prefix of every API key Tollgate issues: makes leaked keys recognisable by scanners.
inline constexpr std::string_view kApiKeyPrefix = "tg_";

class Service {
 public:
  // `store` and `clock` must outlive the service. `on_change` runs after each committed write;
  // it must be cheap and thread-safe (e.g. wake the snapshot refresher).
  Service(store::Store& store, const Clock& clock, std::function<void()> on_change);
  ~Service();

  // Users, sessions, personal access tokens and the audit log (control/accounts.h).
  Accounts& accounts() { return *accounts_; }

  // Roles (docs/roles.md is the full table): admins may do everything; publishers manage every
  // API (and its lifecycle); every user reads plans and owns applications, subscriptions and
  // keys, seeing only their own (admins see all); only admins change plans and users. Every
  // change records an audit entry in the same transaction (control/audit.h).

  // --- Users and authentication.
  // Creates user `admin` when the store has no user yet, with `password` or a generated one.
  Result<AdminBootstrap> EnsureAdmin(std::optional<std::string> password);
  // Checks a user's password (Accounts::AuthenticatePassword). Unknown user, wrong password and
  // disabled user give the same error.
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

  // --- OAuth2 key manager and external identity providers (oauth.cc).
  // The key manager that signs tokens; without one, RotateSigningKey and ListSigningKeys answer
  // kUnavailable "key_manager_unavailable". Set once at start, before serving.
  void AttachKeyManager(KeyManager* key_manager) { key_manager_ = key_manager; }
  KeyManager* key_manager() const { return key_manager_; }
  // OAuth clients of an application (owner or admin): client id "tgc_…", secret "tgs_…" (only
  // its SHA-256 is stored). `name` at most 100 characters.
  Result<IssuedClient> CreateOAuthClient(const Principal& who, std::string_view application_id,
                                         std::string name);
  Result<std::vector<OAuthClient>> ListOAuthClients(const Principal& who,
                                                    std::string_view application_id);
  Status DeleteOAuthClient(const Principal& who, std::string_view application_id,
                           std::string_view client_id);
  Result<IssuedClient> RegenerateOAuthClientSecret(const Principal& who,
                                                   std::string_view application_id,
                                                   std::string_view client_id);
  // Admin: a new signing key (the old one stays published for the overlap); the keys published
  // now, public parts only.
  Result<SigningKey> RotateSigningKey(const Principal& who);
  Result<std::vector<SigningKey>> ListSigningKeys(const Principal& who);
  // Admin: external issuers. name and issuer are required; jwksUri or discoveryUrl (http or
  // https URLs); clientClaim defaults to "client_id". Conflict "issuer_taken".
  Result<Issuer> CreateIssuer(const Principal& who, Issuer draft);
  Result<Issuer> GetIssuer(const Principal& who, std::string_view id);
  Result<store::Page<Issuer>> ListIssuers(const Principal& who, store::PageRequest page);
  Result<Issuer> UpdateIssuer(const Principal& who, std::string_view id, Issuer draft);
  Status DeleteIssuer(const Principal& who, std::string_view id);
  // An external issuer's client id bound to an application (owner or admin). The issuer must
  // exist ("issuerId", "issuer_not_found"); conflict "external_client_taken".
  Result<ExternalClient> CreateExternalClient(const Principal& who,
                                              std::string_view application_id,
                                              std::string issuer_id, std::string client_id);
  Result<std::vector<ExternalClient>> ListExternalClients(const Principal& who,
                                                          std::string_view application_id);
  Status DeleteExternalClient(const Principal& who, std::string_view application_id,
                              std::string_view id);

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
  std::unique_ptr<Accounts> accounts_;
  KeyManager* key_manager_ = nullptr;
};

}  // namespace tollgate::control
