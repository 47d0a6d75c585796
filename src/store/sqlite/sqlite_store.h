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
  Result<SnapshotChanges> LoadSnapshotChanges(int64_t since, int64_t max_changes) override;

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

  // OAuth2 clients, signing keys, revocations, issuers: sqlite_oauth.cc.
  Result<OAuthClient> CreateOAuthClient(const OAuthClient& client) override;
  Result<OAuthClient> GetOAuthClient(std::string_view client_id) override;
  Result<std::vector<OAuthClient>> ListOAuthClients(std::string_view application_id) override;
  Result<OAuthClient> SetOAuthClientSecret(std::string_view application_id,
                                           std::string_view client_id,
                                           std::string_view secret_hash) override;
  Status DeleteOAuthClient(std::string_view application_id, std::string_view client_id) override;
  Result<SigningKey> AddSigningKey(const SigningKey& key, int64_t retired_expires_at) override;
  Result<SigningKey> EnsureSigningKey(const SigningKey& candidate) override;
  Result<std::vector<SigningKey>> ListSigningKeys() override;
  Status RevokeToken(const RevokedToken& token, int64_t now) override;
  Result<bool> IsTokenRevoked(std::string_view jti) override;
  Result<Issuer> CreateIssuer(const Issuer& issuer) override;
  Result<Issuer> GetIssuer(std::string_view id) override;
  Result<Page<Issuer>> ListIssuers(const PageRequest& page) override;
  Result<Issuer> UpdateIssuer(const Issuer& issuer) override;
  Status DeleteIssuer(std::string_view id) override;
  Result<ExternalClient> CreateExternalClient(const ExternalClient& client) override;
  Result<std::vector<ExternalClient>> ListExternalClients(std::string_view application_id) override;
  Status DeleteExternalClient(std::string_view application_id, std::string_view id) override;

  // Versions, documents, catalog, approvals, blocking: sqlite_portal.cc.
  Result<Api> DeprecateApi(const LifecycleEvent& event, int64_t deprecated_at,
                           std::optional<int64_t> sunset_at) override;
  Result<Api> CreateApiVersion(const Api& api, const std::vector<ApiDocument>& documents) override;
  Result<Page<Api>> ListCatalogApis(const CatalogQuery& query, const PageRequest& page) override;
  Result<ApiDocument> CreateDocument(const ApiDocument& doc) override;
  Result<ApiDocument> GetDocument(std::string_view api_id, std::string_view doc_id) override;
  Result<Page<ApiDocument>> ListDocuments(std::string_view api_id,
                                          const PageRequest& page) override;
  Result<ApiDocument> UpdateDocument(const ApiDocument& doc) override;
  Status DeleteDocument(std::string_view api_id, std::string_view doc_id) override;
  Result<Subscription> GetSubscription(std::string_view id) override;
  Result<Page<Subscription>> FindSubscriptions(const SubscriptionFilter& filter,
                                               const PageRequest& page) override;
  Result<Subscription> SetSubscriptionStatus(std::string_view id, SubscriptionStatus from,
                                             SubscriptionStatus to) override;
  Result<Application> SetApplicationBlocked(std::string_view id, bool blocked) override;

  // Users, tokens, sessions: sqlite_users.cc; the audit log: sqlite_audit.cc.
  Result<User> CreateUser(const User& user) override;
  Result<User> GetUser(std::string_view id) override;
  Result<User> GetUserByName(std::string_view name) override;
  Result<Page<User>> ListUsers(const PageRequest& page) override;
  Result<User> UpdateUser(const User& user) override;
  Status DeleteUser(std::string_view id) override;
  Result<int64_t> CountUsers() override;

  Result<AccessToken> CreateAccessToken(const AccessToken& token) override;
  Result<std::vector<AccessToken>> ListAccessTokens(std::string_view user) override;
  Result<AccessToken> GetAccessTokenByHash(std::string_view hash) override;
  Status DeleteAccessToken(std::string_view user, std::string_view id) override;

  Status CreateSession(const Session& session, int64_t now) override;
  Result<Session> GetSession(std::string_view hash) override;
  Status DeleteSession(std::string_view hash) override;

  Result<Page<AuditEntry>> ListAudit(const AuditQuery& query, const PageRequest& page) override;

 private:
  explicit SqliteStore(sqlite3* db);

  std::mutex mu_;
  sqlite3* const db_;  // guarded by mu_; owned, closed by the destructor
};

}  // namespace tollgate::store
