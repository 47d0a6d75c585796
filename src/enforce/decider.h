// The one decision engine: AccessRequest + Snapshot → Decision. Pure: no I/O, no locks.
#pragma once

#include <cstdint>

#include "core/access.h"
#include "enforce/snapshot.h"
#include "enforce/token_verifier.h"

namespace tollgate::enforce {

// What a decision matched, as pointers into the snapshot (null where nothing matched). The
// throttling stage reads the limits from here.
struct Match {
  const CompiledApi* api = nullptr;
  const CompiledResource* resource = nullptr;
  const CompiledApplication* application = nullptr;
  const CompiledSubscription* subscription = nullptr;
  // The verified bearer token, when one authenticated the request (claim-keyed limits read it).
  std::shared_ptr<const VerifiedToken> token;
};

// Decides one request. Order: API (api_hint, else host + longest context) → lifecycle →
// resource (method + path template) → credential by the resource's auth (API key from header or
// query, bearer JWT through `tokens`, mesh principal) → application blocked → key restrictions /
// token revocation and audience → subscription (active) → scopes. `now` is Unix seconds. Every
// refusal carries a static Decision::reason. Rate limits are not applied here (they need
// counters): see enforce/throttle.h. When `match` is given, it is filled with what was matched.
// `tokens` may be null: bearer tokens are then refused (kInternalError, "no token verifier").
Decision Decide(const Snapshot& snapshot, const AccessRequest& request, int64_t now,
                Match* match = nullptr, const TokenVerifier* tokens = nullptr);

// True when `referer` matches `pattern`, where '*' matches any run of characters, except that a
// '*' followed later by a '/' does not match '/' ("https://*.example.com/*" cannot be satisfied
// by "https://evil.com/x.example.com/"). ASCII case is ignored. Exposed for tests.
bool WildcardMatch(std::string_view pattern, std::string_view referer);
// True when `address` (IPv4 or IPv6 text) lies in `cidr`.
bool AddressInCidr(std::string_view address, const CompiledCidr& cidr);

}  // namespace tollgate::enforce
