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
// - Audit: a write made while an AuditScope is open on the calling thread records the scope's
//   entry in the same transaction (see store/audit_scope.h for the exact rules).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/status.h"
#include "store/audit_scope.h"

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
  // Signing keys that have expired (expires_at <= the store's wall clock) and revoked tokens
  // past their expiry are left out.
  virtual Result<SnapshotData> LoadSnapshotData() = 0;

  // What changed after revision `since`, read in one transaction (see SnapshotChanges): patchable
  // only when every change since then is of a kind an enforcer can patch, there are at most
  // `max_changes` of them, and the store still logs back that far (it keeps the last few
  // thousand revisions). `since` equal to the current revision gives a patchable empty change.
  virtual Result<SnapshotChanges> LoadSnapshotChanges(int64_t since, int64_t max_changes) = 0;

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
  // Deletes its subscriptions, keys, OAuth clients and external clients with it.
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

  // --- OAuth2 key manager (sqlite_oauth.cc). Every write bumps the revision: the enforcer reads
  // clients, keys and revocations from its snapshot.
  // OAuth clients. Conflict: "oauth_client_taken" (same client_id). Not found:
  // "application_not_found", "oauth_client_not_found". `client_id` is the public client id.
  virtual Result<OAuthClient> CreateOAuthClient(const OAuthClient& client) = 0;
  virtual Result<OAuthClient> GetOAuthClient(std::string_view client_id) = 0;
  // Ordered by created_at then id.
  virtual Result<std::vector<OAuthClient>> ListOAuthClients(std::string_view application_id) = 0;
  // Replaces the secret hash of the application's client; answers the updated client.
  virtual Result<OAuthClient> SetOAuthClientSecret(std::string_view application_id,
                                                   std::string_view client_id,
                                                   std::string_view secret_hash) = 0;
  virtual Status DeleteOAuthClient(std::string_view application_id,
                                   std::string_view client_id) = 0;

  // Signing keys. `key` must be active (no retired_at). AddSigningKey inserts it and, in the same
  // transaction, retires every other active key (retired_at = key.created_at, expires_at =
  // `retired_expires_at`) and deletes keys that expired before key.created_at. Conflict:
  // "signing_key_taken" (same kid).
  virtual Result<SigningKey> AddSigningKey(const SigningKey& key, int64_t retired_expires_at) = 0;
  // Inserts `candidate` only when no active key exists (first start, possibly raced by another
  // process); answers the newest active key, which is `candidate` when it was inserted.
  virtual Result<SigningKey> EnsureSigningKey(const SigningKey& candidate) = 0;
  // Every stored key: the active one(s) first, then newest first (created_at, kid descending).
  virtual Result<std::vector<SigningKey>> ListSigningKeys() = 0;

  // Revoked tokens (RFC 7009). Records `token` until its expires_at (again: keeps the later
  // expiry) and deletes records that have expired at `now` (expires_at <= now).
  virtual Status RevokeToken(const RevokedToken& token, int64_t now) = 0;
  virtual Result<bool> IsTokenRevoked(std::string_view jti) = 0;

  // External identity providers. Conflict: "issuer_taken" (same issuer value). Not found:
  // "issuer_not_found". UpdateIssuer replaces every field but id and created_at. Deleting an
  // issuer deletes its external clients.
  virtual Result<Issuer> CreateIssuer(const Issuer& issuer) = 0;
  virtual Result<Issuer> GetIssuer(std::string_view id) = 0;
  virtual Result<Page<Issuer>> ListIssuers(const PageRequest& page) = 0;  // by created_at, id
  virtual Result<Issuer> UpdateIssuer(const Issuer& issuer) = 0;
  virtual Status DeleteIssuer(std::string_view id) = 0;

  // External clients: (issuer, client id) bound to an application. Conflict:
  // "external_client_taken" (same issuer and client id). Not found: "application_not_found",
  // "issuer_not_found", "external_client_not_found".
  virtual Result<ExternalClient> CreateExternalClient(const ExternalClient& client) = 0;
  virtual Result<std::vector<ExternalClient>> ListExternalClients(
      std::string_view application_id) = 0;
  virtual Status DeleteExternalClient(std::string_view application_id, std::string_view id) = 0;
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


  // --- Users, personal access tokens, sessions and the audit log. Not enforcer configuration:
  // these writes do not bump the revision (the snapshot does not contain them).
  //
  // Users. Conflict: "user_name_taken". Not found: "user_not_found". A user's name is their
  // identity (applications, tokens and sessions name it) and never changes: UpdateUser replaces
  // email, role, password_hash and disabled, keeping name and created_at. An "active admin" is a
  // user with role admin that is not disabled: UpdateUser and DeleteUser refuse, with kConflict
  // "last_admin", a change that would leave none (checked inside the write transaction).
  // DeleteUser refuses a user who still owns applications (kConflict "user_has_applications",
  // so that a later user of the same name cannot inherit them) and deletes the user's access
  // tokens and sessions with it.
  virtual Result<User> CreateUser(const User& user) = 0;
  virtual Result<User> GetUser(std::string_view id) = 0;
  virtual Result<User> GetUserByName(std::string_view name) = 0;
  // Ordered by created_at then id.
  virtual Result<Page<User>> ListUsers(const PageRequest& page) = 0;
  virtual Result<User> UpdateUser(const User& user) = 0;
  virtual Status DeleteUser(std::string_view id) = 0;
  virtual Result<int64_t> CountUsers() = 0;

  // Personal access tokens (hash only). Conflict: "access_token_taken" (same hash). Not found:
  // "user_not_found" (creating for an unknown user), "access_token_not_found".
  virtual Result<AccessToken> CreateAccessToken(const AccessToken& token) = 0;
  // The user's tokens ordered by created_at then id; an unknown user has none.
  virtual Result<std::vector<AccessToken>> ListAccessTokens(std::string_view user) = 0;
  // Finds a token by the SHA-256 (hex) of its value: one indexed lookup. Expiry is the caller's.
  virtual Result<AccessToken> GetAccessTokenByHash(std::string_view hash) = 0;
  virtual Status DeleteAccessToken(std::string_view user, std::string_view id) = 0;

  // Portal sessions, keyed by the SHA-256 (hex) of the cookie value. CreateSession also deletes
  // sessions that have expired at `now` (housekeeping). Conflict: "session_taken". Not found:
  // "user_not_found" (create), "session_not_found". Expiry is the caller's to check.
  virtual Status CreateSession(const Session& session, int64_t now) = 0;
  virtual Result<Session> GetSession(std::string_view hash) = 0;
  virtual Status DeleteSession(std::string_view hash) = 0;

  // The audit log, newest first (by seq). Empty filter fields match everything; `from`/`to`
  // bound `at` inclusively. Entries are written only through AuditScope.
  struct AuditQuery {
    std::string actor;
    std::string action;
    std::string target_type;
    std::string target_id;
    std::optional<int64_t> from;
    std::optional<int64_t> to;
  };
  virtual Result<Page<AuditEntry>> ListAudit(const AuditQuery& query, const PageRequest& page) = 0;
};

}  // namespace tollgate::store
