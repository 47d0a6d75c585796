// Tollgate's domain types: what a publisher, a developer and the enforcer talk about.
// Plain data, no behaviour beyond small helpers; timestamps are Unix seconds (UTC).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tollgate {

// Lifecycle of an API. Only kPublished and kDeprecated take traffic.
enum class Lifecycle { kCreated, kPublished, kDeprecated, kRetired, kBlocked };
std::string_view ToString(Lifecycle state);  // "CREATED", "PUBLISHED", …
std::optional<Lifecycle> ParseLifecycle(std::string_view text);

// How a resource authenticates its callers.
// kApiKey: an API key; kOAuth2: a bearer JWT (Tollgate's own key manager or a registered external
// issuer); kApiKeyOrOAuth2: either; kMesh: the calling workload's mesh identity (SPIFFE principal)
// registered for an application; kNone: anyone.
enum class AuthType { kApiKey, kOAuth2, kApiKeyOrOAuth2, kMesh, kNone };
std::string_view ToString(AuthType auth);  // "apiKey", "oauth2", "apiKeyOrOAuth2", "mesh", "none"
std::optional<AuthType> ParseAuthType(std::string_view text);

// --- Rate limits and quotas (enforced by ratelimit/; defined here because plans, APIs and
// applications carry them).

enum class Period { kSecond, kMinute, kHour, kDay };
std::string_view ToString(Period period);  // "second", "minute", "hour", "day"
std::optional<Period> ParsePeriod(std::string_view text);
int64_t PeriodSeconds(Period period);

// `requests` per `per`, smoothed (GCRA / token bucket): at most `burst` requests above the steady
// pace may arrive at once. burst 0 = strictly spaced (one request every per/requests).
struct RateLimit {
  int64_t requests = 0;  // > 0
  Period per = Period::kMinute;
  int64_t burst = 0;  // >= 0
};

enum class QuotaAnchor { kCalendar, kSubscription };
std::string_view ToString(QuotaAnchor anchor);  // "calendar", "subscription"
std::optional<QuotaAnchor> ParseQuotaAnchor(std::string_view text);

// `requests` per month. kCalendar: months start on the 1st at 00:00 in `time_zone`;
// kSubscription: on the subscription's start day-of-month and time of day in `time_zone`
// (clamped to the month's last day, e.g. a subscription from Jan 31 renews on Feb 28/29).
struct Quota {
  int64_t requests = 0;  // > 0
  QuotaAnchor anchor = QuotaAnchor::kCalendar;
  std::string time_zone = "UTC";  // IANA name, e.g. "Europe/Paris"
};

// A subscription tier. Neither rate nor quota = unlimited.
struct Plan {
  std::string id;
  std::string name;  // unique; what APIs offer and subscriptions name
  std::string description;
  bool requires_approval = false;  // new subscriptions start PENDING until approved
  std::optional<RateLimit> rate;
  std::optional<Quota> quota;
  int64_t created_at = 0;
};
inline constexpr std::string_view kUnlimitedPlan = "Unlimited";  // built in, always exists

// An "advanced" per-API limit keyed by something of the request rather than by application:
// `key` is "ip" (client address), "ip/N" (client address masked to N bits: a range),
// "header:NAME", "query:NAME" or "claim:NAME" (a JWT claim, once bearer tokens are verified).
// Requests without that value are not counted by this limit.
struct KeyedLimit {
  std::string key;
  RateLimit rate;
};

// One operation of an API: method + path template relative to the API's context.
struct Resource {
  std::string method;  // upper case: GET, POST, … or "*" for any method
  std::string path;    // template: "/pets", "/pets/{id}", "/files/*"
  AuthType auth = AuthType::kApiKey;
  std::vector<std::string> scopes;  // OAuth2 scopes a bearer token must all carry
  std::string plan;                 // optional resource-level rate-limit plan name
};

// A mesh service exposed as a managed API.
struct Api {
  std::string id;
  std::string name;
  std::string version;
  std::string description;
  std::string context;       // base path, e.g. "/petstore/v1"; starts with '/', no trailing '/'
  std::string virtual_host;  // optional; empty matches every host
  std::string upstream;      // e.g. "http://petstore.default.svc.cluster.local:8080"
  std::string api_key_header;  // header carrying the key; empty = "apikey" or "x-api-key"
  std::vector<Resource> resources;
  std::vector<std::string> plans;  // offered subscription plan names
  // Backend protection: one limit for the whole API, shared by every caller.
  std::optional<RateLimit> backend_rate;
  std::vector<KeyedLimit> keyed_limits;
  // When global rate-limit counters cannot be reached and the local budget is spent:
  // false = refuse (fail closed, default), true = let requests through (fail open).
  bool fail_open = false;
  Lifecycle lifecycle = Lifecycle::kCreated;
  std::vector<std::string> tags;  // catalog search
  // The default version of its name: its context without the trailing version segment also
  // routes to it (e.g. "/petstore" → "/petstore/v1"). At most one version per name.
  bool is_default_version = false;
  // Deprecation (RFC 9745) and sunset (RFC 8594) instants, Unix seconds; set when deprecated
  // (deprecated_at defaults to the transition time) and shown to callers as response headers.
  std::optional<int64_t> deprecated_at;
  std::optional<int64_t> sunset_at;
  // Audience ("aud") a bearer token must name to call this API; empty = not checked.
  std::string audience;
  // Sign a backend JWT (Tollgate's key) with the caller's facts and pass it to the service in
  // this header; empty = no backend JWT.
  std::string backend_jwt_header;
  std::string created_by;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// A consumer's application: it subscribes to APIs and owns credentials.
struct Application {
  std::string id;
  std::string name;
  std::string description;
  std::string owner;  // user name of the subscriber who owns it
  std::string plan;   // optional application-level plan: limits across all its APIs
  int64_t created_at = 0;
  bool blocked = false;  // an admin blocked it: every credential of it is refused (403)
};

// kPending: waits for approval (plans that require it); takes no traffic until approved.
enum class SubscriptionStatus { kActive, kBlocked, kPending };
std::string_view ToString(SubscriptionStatus status);  // "ACTIVE", "BLOCKED", "PENDING"
std::optional<SubscriptionStatus> ParseSubscriptionStatus(std::string_view text);

// An application's right to call an API on a plan.
struct Subscription {
  std::string id;
  std::string application_id;
  std::string api_id;
  std::string plan;
  SubscriptionStatus status = SubscriptionStatus::kActive;
  int64_t created_at = 0;
};

// An API key credential. The key itself is never stored: only its SHA-256 (hex) and a short
// non-secret prefix that lets people recognise which key is which.
struct ApiKey {
  std::string id;
  std::string application_id;
  std::string name;
  std::string prefix;  // first characters of the key, e.g. "tg_3fA9c"
  std::string hash;    // lower-case hex SHA-256 of the whole key
  int64_t created_at = 0;
  std::optional<int64_t> expires_at;
  // Optional restrictions; empty = unrestricted.
  std::vector<std::string> allowed_ips;        // CIDRs or addresses, e.g. "10.0.0.0/8"
  std::vector<std::string> allowed_referrers;  // Referer patterns, '*' wildcard, e.g. "https://*.example.com/*"
  std::vector<std::string> api_ids;            // which of the application's APIs the key may call
};

enum class Role { kAdmin, kPublisher, kSubscriber };
std::string_view ToString(Role role);  // "admin", "publisher", "subscriber"
std::optional<Role> ParseRole(std::string_view text);

struct User {
  std::string id;
  std::string name;
  Role role = Role::kSubscriber;
  std::string password_hash;  // argon2id encoded hash
  int64_t created_at = 0;
  std::string email;
  bool disabled = false;  // cannot log in or use tokens
};

// A personal access token for scripts ("Authorization: Bearer tgp_…"). Hash only, like API keys.
struct AccessToken {
  std::string id;
  std::string user;    // user name
  std::string name;
  std::string prefix;  // first characters, non-secret
  std::string hash;    // lower-case hex SHA-256 of the token
  int64_t created_at = 0;
  std::optional<int64_t> expires_at;
};

// A portal login session (cookie). The cookie value is never stored: only its SHA-256.
struct Session {
  std::string hash;        // lower-case hex SHA-256 of the cookie value
  std::string user;
  std::string csrf_token;  // sent back by the portal in X-CSRF-Token on every unsafe method
  int64_t created_at = 0;
  int64_t expires_at = 0;
};

// One recorded change: who did what to which resource, when, with a before/after summary (JSON
// text, secrets never included).
struct AuditEntry {
  int64_t seq = 0;  // assigned by the store, increasing
  int64_t at = 0;
  std::string actor;
  std::string action;       // e.g. "api.create", "api.lifecycle", "key.revoke"
  std::string target_type;  // "api", "plan", "application", …
  std::string target_id;
  std::string before;  // JSON or empty
  std::string after;   // JSON or empty
};

// A document attached to an API for the developer portal: markdown text or a link.
struct ApiDocument {
  std::string id;
  std::string api_id;
  std::string name;
  std::string type;     // "markdown" | "url"
  std::string content;  // markdown text, or the URL
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// --- OAuth2 (key manager) and identities.

// OAuth2 client credentials of an application (client-credentials grant). The secret is shown
// once; only its SHA-256 (hex) is stored.
struct OAuthClient {
  std::string id;
  std::string application_id;
  std::string client_id;    // public, e.g. "tgc_…"
  std::string secret_hash;  // lower-case hex SHA-256 of the secret
  std::string name;
  int64_t created_at = 0;
};

// A key Tollgate signs tokens with (OAuth2 access tokens, backend JWTs). New tokens are signed
// with the newest active key; retired keys stay in the JWKS until `expires_at` so that tokens
// they signed keep verifying (rotation with overlap).
struct SigningKey {
  std::string kid;
  std::string alg;          // "ES256" | "RS256"
  std::string private_key;  // PEM, encrypted at rest by the store's owner (see control/)
  std::string public_jwk;   // JSON of the public JWK (RFC 7517), with kid, alg, use "sig"
  int64_t created_at = 0;
  std::optional<int64_t> retired_at;  // no longer signs from then on
  std::optional<int64_t> expires_at;  // no longer published / trusted from then on
};

// An external identity provider whose tokens identify applications too (Keycloak, Auth0, Entra…).
struct Issuer {
  std::string id;
  std::string name;
  std::string issuer;         // exact "iss" value
  std::string jwks_uri;       // where its keys are; or found through discovery_url
  std::string discovery_url;  // optional OpenID/RFC 8414 metadata URL
  std::string audience;       // optional required "aud"
  std::string client_claim = "client_id";  // claim naming the client (azp, client_id, appid…)
  int64_t created_at = 0;
};

// Binds a client id of an external issuer to an application, like an OAuthClient does for ours.
struct ExternalClient {
  std::string id;
  std::string application_id;
  std::string issuer_id;
  std::string client_id;
  int64_t created_at = 0;
};

// A mesh workload registered as an application's credential (east-west traffic), e.g.
// "spiffe://cluster.local/ns/shop/sa/checkout".
struct MeshIdentity {
  std::string id;
  std::string application_id;
  std::string principal;
  int64_t created_at = 0;
};

// A revoked token of ours (RFC 7009), kept until it would have expired anyway.
struct RevokedToken {
  std::string jti;
  int64_t expires_at = 0;
};

// One recorded lifecycle transition (who, when).
struct LifecycleEvent {
  std::string api_id;
  Lifecycle from = Lifecycle::kCreated;
  Lifecycle to = Lifecycle::kCreated;
  std::string actor;
  int64_t at = 0;
};

// Everything the enforcer needs, read in one consistent transaction.
struct SnapshotData {
  int64_t revision = 0;
  std::vector<Api> apis;
  std::vector<Application> applications;
  std::vector<Subscription> subscriptions;
  std::vector<ApiKey> api_keys;
  std::vector<Plan> plans;
  std::vector<OAuthClient> oauth_clients;
  std::vector<SigningKey> signing_keys;  // public parts are what the enforcer needs
  std::vector<Issuer> issuers;
  std::vector<ExternalClient> external_clients;
  std::vector<MeshIdentity> mesh_identities;
  std::vector<RevokedToken> revoked_tokens;
};

// What changed in the store after a snapshot's revision, when every change is of a kind the
// enforcer can apply to its snapshot without rebuilding it (API keys, subscriptions, applications,
// OAuth clients, mesh identities, revoked tokens). `patchable` false: something else changed (an
// API, a plan, an issuer…), there were too many changes, or the store no longer logs back that
// far: rebuild from SnapshotData. Every list names what was touched; the rows are the current state of
// those that still exist (a touched entry without a row was deleted).
struct SnapshotChanges {
  int64_t since = 0;     // the snapshot revision they were read after
  int64_t revision = 0;  // the revision the changes bring the snapshot to
  bool patchable = false;
  std::vector<std::string> key_hashes;  // ApiKey::hash of every key created, changed or deleted
  std::vector<ApiKey> api_keys;
  // (application id, API id) of every subscription created, changed or deleted.
  std::vector<std::pair<std::string, std::string>> subscription_pairs;
  std::vector<Subscription> subscriptions;
  std::vector<std::string> application_ids;  // created, changed or deleted
  std::vector<Application> applications;
  std::vector<std::string> oauth_client_ids;  // OAuthClient::client_id
  std::vector<OAuthClient> oauth_clients;
  std::vector<std::string> mesh_principals;
  std::vector<MeshIdentity> mesh_identities;
  std::vector<std::string> revoked_jtis;  // revoked tokens recorded or purged
  std::vector<RevokedToken> revoked_tokens;  // those not expired yet
};

}  // namespace tollgate
