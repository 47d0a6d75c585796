// The bearer-token seam of the decider: a TokenVerifier turns "Authorization: Bearer <jwt>" into a
// verified claims summary (signature, exp/nbf, issuer checked), or a precise refusal. The decider
// then does what needs the snapshot: client → application, revoked jti, audience, scopes,
// subscription. The JWT implementation is enforce/jwt_verifier.h; tests use fakes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/access.h"

namespace tollgate::enforce {

class Snapshot;

// What a verified token says, kept by the verified-token cache. Holds no token text.
struct VerifiedToken {
  // Signed by one of our own keys (true) or by the external issuer `issuer_index` (snapshot
  // issuers()) as it was when verified (`issuer_id` guards against a renumbered snapshot).
  bool own = true;
  uint32_t issuer_index = 0;
  std::string issuer_id;
  std::string client_id;  // ours: "client_id" or "azp"; external: the issuer's client_claim
  std::string subject;
  std::string jti;
  std::vector<std::string> audiences;
  std::vector<std::string> scopes;
  int64_t exp = 0;  // 0 = none
  int64_t nbf = 0;  // 0 = none
  // Top-level scalar claims (strings as-is, numbers and booleans printed), for claim-keyed limits.
  std::vector<std::pair<std::string, std::string>> claims;

  std::optional<std::string_view> Claim(std::string_view name) const {
    for (const auto& [k, v] : claims) {
      if (k == name) return std::string_view(v);
    }
    return std::nullopt;
  }
  bool HasAudience(std::string_view audience) const {
    for (const std::string& a : audiences) {
      if (a == audience) return true;
    }
    return false;
  }
  bool HasScope(std::string_view scope) const {
    for (const std::string& s : scopes) {
      if (s == scope) return true;
    }
    return false;
  }
};

// A verification's outcome: `token` on success; else `code` (kInvalidCredential or
// kExpiredCredential) and a static `reason` ("token expired", "unknown signing key", …).
struct TokenCheck {
  std::shared_ptr<const VerifiedToken> token;
  DecisionCode code = DecisionCode::kInvalidCredential;
  std::string_view reason;
};

class TokenVerifier {
 public:
  virtual ~TokenVerifier() = default;
  // Verifies `token` against our keys in `snapshot` or the external issuer its "iss" names.
  // Checks signature, algorithm, exp/nbf (with the verifier's leeway) and issuer; not audience,
  // revocation or scopes (the decider does, per API). Thread-safe; must not block on I/O.
  virtual TokenCheck Verify(std::string_view token, const Snapshot& snapshot,
                            int64_t now) const = 0;
};

// Signs the backend JWT an API asks for (Api::backend_jwt_header). Thread-safe; implementations
// cache tokens so that signing is not per request.
struct BackendFacts {
  std::string_view application_id;
  std::string_view application_name;
  std::string_view subscriber;
  std::string_view plan;
  std::string_view api_id;
  std::string_view api_name;
  std::string_view api_version;
};
class BackendTokenSigner {
 public:
  virtual ~BackendTokenSigner() = default;
  // A compact JWT for these facts valid at `now` (Unix seconds), or null when none can be made.
  // The returned string stays valid while the caller holds the pointer.
  virtual std::shared_ptr<const std::string> Sign(const BackendFacts& facts, int64_t now) const = 0;
};

}  // namespace tollgate::enforce
