// Tollgate's domain types: what a publisher, a developer and the enforcer talk about.
// Plain data, no behaviour beyond small helpers; timestamps are Unix seconds (UTC).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tollgate {

// Lifecycle of an API. Only kPublished and kDeprecated take traffic.
enum class Lifecycle { kCreated, kPublished, kDeprecated, kRetired, kBlocked };
std::string_view ToString(Lifecycle state);  // "CREATED", "PUBLISHED", …
std::optional<Lifecycle> ParseLifecycle(std::string_view text);

// How a resource authenticates its callers.
enum class AuthType { kApiKey, kNone };
std::string_view ToString(AuthType auth);  // "apiKey", "none"
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
  std::vector<std::string> scopes;  // required OAuth2 scopes (enforced once OAuth2 exists)
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
};

enum class SubscriptionStatus { kActive, kBlocked };
std::string_view ToString(SubscriptionStatus status);  // "ACTIVE", "BLOCKED"
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
};

}  // namespace tollgate
