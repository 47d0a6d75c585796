// The protocol-neutral question every gateway adapter asks (AccessRequest) and the one answer the
// decision engine gives (Decision). Adapters translate their protocol into these and back; the
// decision logic exists once (enforce/decider.h).
#pragma once

#include <optional>
#include <string_view>

namespace tollgate {

// Read access to the original request's headers. Names are passed in lower case; an adapter
// answers case-insensitively. Implementations must not allocate per lookup.
class HeaderLookup {
 public:
  virtual ~HeaderLookup() = default;
  virtual std::optional<std::string_view> Get(std::string_view lower_name) const = 0;
};

// One request as the gateway saw it. Views stay valid for the duration of the decision.
struct AccessRequest {
  std::string_view method;  // "GET", …
  std::string_view host;    // authority as sent, may carry ":port"
  std::string_view path;    // path as sent, may carry "?query"
  const HeaderLookup* headers = nullptr;  // never null when deciding
  // The calling client's IP address as the gateway saw it (no port), for IP-keyed limits;
  // empty when unknown.
  std::string_view client_address;
  // The calling workload's mesh identity as the proxy authenticated it (SPIFFE ID from Envoy's
  // source.principal, or the URI of x-forwarded-client-cert on HTTP); empty when none.
  std::string_view principal;
  // The API named explicitly by the gateway route (Envoy context_extensions "tollgate_api": an
  // API id); empty = match by host + path.
  std::string_view api_hint;
};

// Why a decision came out as it did. Each value has a stable snake_case name (CodeName) that is
// part of the product's contract: it appears in problem+json bodies and in logs.
enum class DecisionCode {
  kAllow,
  kApiNotFound,          // 404: no published API at this host + path
  kResourceNotFound,     // 404: API found, no resource for this method + path
  kMissingCredential,    // 401: the resource needs an API key and none was sent
  kInvalidCredential,    // 401: the key is unknown
  kExpiredCredential,    // 401: the key has expired
  kNotSubscribed,        // 403: the key's application has no subscription to this API
  kSubscriptionBlocked,  // 403: the subscription exists but is blocked
  kApiRetired,           // 410: the API was retired
  kApiBlocked,           // 503: the API is blocked by its publisher
  kRateLimited,          // 429: a rate limit (plan, application, API or keyed) is exhausted
  kQuotaExceeded,        // 429: the monthly quota is used up
  kInsufficientScope,    // 403: the token lacks a scope the resource requires
  kApplicationBlocked,   // 403: the credential's application is blocked
  kCredentialRestricted, // 403: the key may not be used from here / for this API
  kSubscriptionPending,  // 403: the subscription waits for approval
  kInternalError,        // 503: the decision could not be made (fail closed)
};

std::string_view CodeName(DecisionCode code);  // "missing_credential", …
std::optional<DecisionCode> ParseDecisionCode(std::string_view name);  // inverse of CodeName
std::string_view Title(DecisionCode code);     // one-line human explanation
int HttpStatus(DecisionCode code);             // 200, 401, 403, 404, 410, 503

// The most restrictive limit that applied to a request, for the RateLimit / RateLimit-Policy
// headers (IETF httpapi draft) and Retry-After. `present` is false when no limit applied.
struct LimitInfo {
  bool present = false;
  std::string_view policy;     // name of the policy, e.g. the plan name
  int64_t limit = 0;           // requests per window
  int64_t window_seconds = 0;  // the policy's window
  int64_t remaining = 0;
  int64_t reset_seconds = 0;   // until the limit is fully available again / the window ends
  int64_t retry_after_seconds = 0;  // on 429: when a retry can succeed (>= 1)
};

// The answer. On allow, the facts name what was matched; they are views into the snapshot the
// decision was made on and stay valid only while that snapshot is held.
struct Decision {
  DecisionCode code = DecisionCode::kApiNotFound;
  std::string_view api_id;
  std::string_view api_name;
  std::string_view api_version;
  std::string_view application_id;
  std::string_view application_name;
  std::string_view subscriber;  // owner of the application
  std::string_view plan;
  // The header that carried the credential: the adapter removes it before forwarding (allow) and
  // names it in WWW-Authenticate (401). Empty when no credential was involved.
  std::string_view credential_header;
  // The query parameter that carried the API key: the adapter removes it before forwarding.
  std::string_view credential_query;
  // Which credential authenticated the caller: "apiKey", "oauth2", "mesh" or empty.
  std::string_view credential_kind;
  // Why, in a few words, for logs and the explain header ("key expired", "signature invalid",
  // "no resource GET /x"). Static text; never a secret.
  std::string_view reason;
  // DEPRECATED APIs: the Deprecation (RFC 9745) and Sunset (RFC 8594) instants, Unix seconds;
  // 0 = absent.
  int64_t deprecated_at = 0;
  int64_t sunset_at = 0;
  LimitInfo limit;
  // A signed JWT describing the caller for the service (backend JWT), and the header that carries
  // it; both empty when the API does not ask for one.
  std::string_view backend_jwt;
  std::string_view backend_jwt_header;

  bool allowed() const { return code == DecisionCode::kAllow; }
  int http_status() const { return HttpStatus(code); }
};

}  // namespace tollgate
