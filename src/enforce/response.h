// What every adapter sends back, computed once from a Decision: the headers for the upstream on
// allow, and the problem+json body and WWW-Authenticate value on deny.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/access.h"

namespace tollgate::enforce {

struct HeaderPair {
  std::string_view name;  // lower case
  std::string_view value;
};

// Headers Tollgate adds towards the service on allow. Names are part of the contract:
// x-tollgate-api, x-tollgate-api-name, x-tollgate-api-version, x-tollgate-application,
// x-tollgate-application-name, x-tollgate-subscriber, x-tollgate-plan. Empty facts are skipped.
struct UpstreamHeaders {
  std::array<HeaderPair, 7> items;
  size_t size = 0;
  const HeaderPair* begin() const { return items.data(); }
  const HeaderPair* end() const { return items.data() + size; }
};
UpstreamHeaders UpstreamHeadersFor(const Decision& decision);

// Headers for the client about the limit that applied (decision.limit): RateLimit-Policy and
// RateLimit as in the IETF httpapi draft (draft-ietf-httpapi-ratelimit-headers: structured
// fields, `"name";q=LIMIT;w=WINDOW` and `"name";r=REMAINING;t=RESET`), plus Retry-After on 429.
// Empty when no limit applied.
struct LimitHeaders {
  struct Item {
    std::string_view name;  // canonical case
    std::string value;
  };
  std::array<Item, 3> items;
  size_t size = 0;
  const Item* begin() const { return items.data(); }
  const Item* end() const { return items.data() + size; }
};
LimitHeaders LimitHeadersFor(const Decision& decision);

// Headers for the client about the API's lifecycle: `Deprecation: @<unix seconds>` (RFC 9745)
// and `Sunset: <HTTP-date>` (RFC 8594) when the decision carries the instants. At most two; the
// values fit the small-string buffer, so building them does not allocate.
struct LifecycleHeaders {
  struct Item {
    std::string_view name;  // canonical case
    std::string value;
  };
  std::array<Item, 2> items;
  size_t size = 0;
  const Item* begin() const { return items.data(); }
  const Item* end() const { return items.data() + size; }
};
LifecycleHeaders LifecycleHeadersFor(const Decision& decision);

// RFC 9110 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") of a Unix time.
std::string HttpDate(int64_t unix_seconds);

// RFC 9457 problem+json body for a denial: type, title, status, code, detail.
std::string ProblemBody(const Decision& decision);

// Value of WWW-Authenticate, or empty when the answer carries none. A 401 gets a challenge for
// the credential that was expected: `Bearer realm="tollgate"[, error="invalid_token"]` (RFC 6750)
// when the caller used or was asked for an OAuth2 token (credential_kind "oauth2" or the
// credential header is Authorization), else `ApiKey realm="tollgate", header="…"[, error="…"]`.
// An insufficient_scope 403 gets `Bearer realm="tollgate", error="insufficient_scope"`.
std::string WwwAuthenticate(const Decision& decision);

// The explain header's name and value: `<code>; reason="<reason>"` (a structured-field token with
// an sf-string parameter; the reason is static text from the decision engine, never a secret).
inline constexpr std::string_view kExplainHeader = "x-tollgate-decision";
std::string ExplainValue(const Decision& decision);

// One log line about a denial, without a newline: code, status, method, host, path without its
// query (a query may carry a key), API, application, reason. Never a credential or header value.
std::string DenialLogLine(const Decision& decision, const AccessRequest& request);

// `target` ("/path?query") without the query parameters named `name` (the raw, still
// percent-encoded target; names compared after no decoding, as gateways send them). Returns the
// target unchanged when the parameter is absent; an emptied query loses its '?'.
std::string WithoutQueryParameter(std::string_view target, std::string_view name);

inline constexpr std::string_view kProblemContentType = "application/problem+json";

}  // namespace tollgate::enforce
