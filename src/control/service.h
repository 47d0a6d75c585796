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
// Options of a lifecycle change. Only "deprecate" takes them: when the deprecation counts from
// (default: now) and when the API will be switched off (RFC 8594 Sunset; not before
// deprecated_at). Any other action with options set is refused ("sunsetAt"/"deprecatedAt").
struct LifecycleOptions {
  std::optional<int64_t> deprecated_at;
  std::optional<int64_t> sunset_at;
};

// What a developer asks for when creating an API key (see Service::IssueApiKey).
struct ApiKeyRequest {
  std::string name;
  std::optional<int64_t> expires_at;
  std::vector<std::string> allowed_ips;        // addresses or CIDRs, IPv4 or IPv6
  std::vector<std::string> allowed_referrers;  // Referer patterns, '*' wildcard
  std::vector<std::string> api_ids;            // APIs the application is subscribed to
};

// A new version of an existing API (Service::CreateApiVersion).
struct NewVersionRequest {
  std::string version;
  std::string context;  // empty: derived from the source's context (see CreateApiVersion)
  bool is_default_version = false;
};

// The developer portal's view of one API: what it offers and how to learn it.
struct CatalogEntry {
  Api api;                               // callers must not show api.upstream to developers
  std::vector<Plan> plans;               // the offered plans, in the API's order
  std::vector<ApiDocument> documents;    // every document (id, name, type; content included)
  std::string openapi_path;              // "/api/v1/apis/{id}/openapi"
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
  // `action`: publish | deprecate | retire | block | unblock. `options` only with deprecate
  // (publisher.cc). Deprecating sets deprecated_at; publishing a deprecated API again clears it.
  Result<Api> ChangeLifecycle(const Principal& who, std::string_view id, std::string_view action,
                              const LifecycleOptions& options = {});
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

  // Subscribes on `plan` (empty: the API's first offered plan). Only PUBLISHED APIs accept
  // (kConflict "api_not_subscribable"); a blocked application cannot subscribe (kConflict
  // "application_blocked"). On a plan that requires approval the subscription starts PENDING.
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
  // CreateApiKey with restrictions (keys.cc): allowed addresses and referrers (validated), and
  // the APIs the key may call, each one the application is subscribed to ("apiIds[i]",
  // "api_not_subscribed"). Several keys per application; the key is shown once.
  Result<IssuedKey> IssueApiKey(const Principal& who, std::string_view application_id,
                                ApiKeyRequest request);
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
  // --- Publisher: versions and documents (publisher.cc). Publishers and admins.
  // Copies the API (resources, plans, limits, settings, tags, documents) as a new CREATED API
  // named like it with `version`. Context: the request's, else the source's context with its last
  // segment equal to the source's version replaced by `version`, else the source's context +
  // "/" + `version`. kConflict "api_name_version_taken" / "api_context_taken" when taken.
  Result<Api> CreateApiVersion(const Principal& who, std::string_view source_id,
                               NewVersionRequest request);
  // Reading: publishers and admins any API's; everyone else only documents of catalog-visible
  // (PUBLISHED, DEPRECATED) APIs, others answer "api_not_found". Writing: publishers and admins.
  Result<store::Page<ApiDocument>> ListDocuments(const Principal& who, std::string_view api_id,
                                                 store::PageRequest page);
  Result<ApiDocument> GetDocument(const Principal& who, std::string_view api_id,
                                  std::string_view doc_id);
  Result<ApiDocument> CreateDocument(const Principal& who, std::string_view api_id,
                                     ApiDocument draft);
  Result<ApiDocument> UpdateDocument(const Principal& who, std::string_view api_id,
                                     std::string_view doc_id, ApiDocument draft);
  Status DeleteDocument(const Principal& who, std::string_view api_id, std::string_view doc_id);

  // --- Approvals and blocking (publisher.cc). "The API's publisher" is its creator; admins act
  // on every API. Others: kForbidden.
  // Admins: every subscription; publishers: those to their APIs; subscribers: kForbidden.
  Result<store::Page<Subscription>> FindSubscriptions(const Principal& who,
                                                      std::optional<SubscriptionStatus> status,
                                                      store::PageRequest page);
  // PENDING → ACTIVE. kConflict "subscription_not_pending" otherwise.
  Result<Subscription> ApproveSubscription(const Principal& who, std::string_view id);
  // Deletes a PENDING subscription. kConflict "subscription_not_pending" otherwise.
  Status RejectSubscription(const Principal& who, std::string_view id);
  // ACTIVE → BLOCKED (no traffic) and back. kConflict "subscription_not_active" /
  // "subscription_not_blocked".
  Result<Subscription> BlockSubscription(const Principal& who, std::string_view id);
  Result<Subscription> UnblockSubscription(const Principal& who, std::string_view id);
  // Admins only: a blocked application's credentials are all refused.
  Result<Application> SetApplicationBlocked(const Principal& who, std::string_view id,
                                            bool blocked);

  // --- Developer portal catalog (catalog.cc). Every authenticated user; PUBLISHED and
  // DEPRECATED APIs only (others: "api_not_found").
  Result<store::Page<Api>> SearchCatalog(const Principal& who, store::Store::CatalogQuery query,
                                         store::PageRequest page);
  Result<CatalogEntry> GetCatalogEntry(const Principal& who, std::string_view api_id);
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
  // The subscription, if `who` may approve or block it (admin, or publisher of its API).
  Result<Subscription> ManagedSubscription(const Principal& who, std::string_view id);
  // Lifecycle transition through the store, with deprecation instants (publisher.cc).
  Result<Api> Transition(const LifecycleEvent& event, const LifecycleOptions& options);
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
