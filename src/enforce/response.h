// What every adapter sends back, computed once from a Decision: the headers for the upstream on
// allow, and the problem+json body and WWW-Authenticate value on deny.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "core/access.h"

namespace tollgate::enforce {

struct HeaderPair {
  std::string_view name;   // lower case
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

// RFC 9457 problem+json body for a denial: type, title, status, code, detail.
std::string ProblemBody(const Decision& decision);

// Value of WWW-Authenticate for a 401 (e.g. `ApiKey header="apikey"`); empty for other codes.
std::string WwwAuthenticate(const Decision& decision);

inline constexpr std::string_view kProblemContentType = "application/problem+json";

}  // namespace tollgate::enforce
