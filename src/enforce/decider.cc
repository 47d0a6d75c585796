// The decision engine. Every gateway protocol ends here; see decider.h for the order of checks.
#include "enforce/decider.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstring>
#include <vector>

#include "crypto/crypto.h"
#include "enforce/query.h"

namespace tollgate::enforce {
namespace {

Decision Deny(Decision d, DecisionCode code, std::string_view reason) {
  d.code = code;
  d.reason = reason;
  return d;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

// The token of "Authorization: Bearer <token>", or nullopt when the header is absent or names
// another scheme.
std::optional<std::string_view> BearerToken(const AccessRequest& request) {
  auto value = request.headers->Get("authorization");
  if (!value || !StartsWithNoCase(*value, "bearer ")) return std::nullopt;
  std::string_view token = value->substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

// The API key from the API's headers, then its query parameter; names the carrier in `d`.
std::optional<std::string_view> ApiKeyOf(const CompiledApi& api, const AccessRequest& request,
                                         Decision& d) {
  for (const std::string& header : api.key_headers) {
    auto key = request.headers->Get(header);
    if (key && !key->empty()) {
      d.credential_header = header;
      return key;
    }
  }
  if (!api.key_query.empty()) {
    auto key = QueryParam(request.path, api.key_query);
    if (key && !key->empty()) {
      d.credential_query = api.key_query;
      return key;
    }
  }
  return std::nullopt;
}

void NameMissingCarrier(const CompiledApi& api, Decision& d) {
  if (!api.key_headers.empty()) {
    d.credential_header = api.key_headers.front();
  } else {
    d.credential_query = api.key_query;
  }
}

// Why a key may not be used for this request, or empty when it may.
std::string_view Restricted(const CompiledKeyRestriction& r, const CompiledApi& api,
                            const AccessRequest& request) {
  if (r.limit_apis) {
    bool found = false;
    for (uint32_t i : r.apis) found = found || i == api.index;
    if (!found) return "key not valid for this API";
  }
  if (!r.ips.empty()) {
    bool found = false;
    for (const CompiledCidr& c : r.ips) found = found || AddressInCidr(request.client_address, c);
    if (!found) return "client address not allowed for this key";
  }
  if (!r.referrers.empty()) {
    const auto referer = request.headers->Get("referer");
    bool found = false;
    if (referer && !referer->empty()) {
      for (const std::string& p : r.referrers) found = found || WildcardMatch(p, *referer);
    }
    if (!found) return "referer not allowed for this key";
  }
  return {};
}

}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view text) {
  // DP over the pattern, one row of text positions: O(|pattern| · |text|), no recursion.
  // row[j]: pattern[0, i) matches text[0, j).
  std::vector<char> row(text.size() + 1, 0);
  row[0] = 1;
  auto eq = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  };
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '*') {
      // A '*' with a '/' after it stays within one part of the URL (host, segment).
      const bool any = pattern.find('/', i + 1) == std::string_view::npos;
      for (size_t j = 1; j <= text.size(); ++j) {
        if (!row[j] && row[j - 1] && (any || text[j - 1] != '/')) row[j] = 1;
      }
    } else {
      for (size_t j = text.size(); j > 0; --j) row[j] = row[j - 1] && eq(pattern[i], text[j - 1]);
      row[0] = 0;
    }
  }
  return row[text.size()] != 0;
}

bool AddressInCidr(std::string_view address, const CompiledCidr& cidr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.empty() || address.size() >= sizeof text || cidr.length == 0) return false;
  std::memcpy(text, address.data(), address.size());
  unsigned char bytes[16] = {};
  size_t len = 0;
  if (inet_pton(AF_INET, text, bytes) == 1) {
    len = 4;
  } else if (inet_pton(AF_INET6, text, bytes) == 1) {
    len = 16;
    // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) matches IPv4 ranges.
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (cidr.length == 4 && std::memcmp(bytes, kMapped, 12) == 0) {
      std::memmove(bytes, bytes + 12, 4);
      len = 4;
    }
  } else {
    return false;
  }
  if (len != cidr.length) return false;
  const size_t full = cidr.bits / 8;
  if (std::memcmp(bytes, cidr.bytes.data(), full) != 0) return false;
  const unsigned rest = cidr.bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (bytes[full] & mask) == (cidr.bytes[full] & mask);
}

Decision Decide(const Snapshot& snapshot, const AccessRequest& request, int64_t now,
                Match* match, const TokenVerifier* tokens) {
  Match unused;
  Match& m = match != nullptr ? *match : unused;
  Decision d;
  std::string_view rest;
  const CompiledApi* api = request.api_hint.empty()
                               ? snapshot.MatchApi(request.host, request.path, &rest)
                               : snapshot.MatchHintedApi(request.api_hint, request.path, &rest);
  if (api == nullptr) {
    return Deny(d, DecisionCode::kApiNotFound,
                request.api_hint.empty() ? "no API at this address" : "unknown API in route hint");
  }
  m.api = api;
  d.api_id = api->id;
  d.api_name = api->name;
  d.api_version = api->version;

  switch (api->lifecycle) {
    case Lifecycle::kPublished:
      break;
    case Lifecycle::kDeprecated:
      d.deprecated_at = api->deprecated_at;
      d.sunset_at = api->sunset_at;
      break;
    case Lifecycle::kRetired:
      return Deny(d, DecisionCode::kApiRetired, "API retired");
    case Lifecycle::kBlocked:
      return Deny(d, DecisionCode::kApiBlocked, "API blocked by its publisher");
    case Lifecycle::kCreated:
      return Deny(Decision{}, DecisionCode::kApiNotFound, "API not published");
  }

  const CompiledResource* resource = snapshot.MatchResource(*api, request.method, rest);
  if (resource == nullptr) {
    return Deny(d, DecisionCode::kResourceNotFound, "no resource for this method and path");
  }
  m.resource = resource;
  if (resource->auth == AuthType::kNone) {
    d.code = DecisionCode::kAllow;
    return d;
  }

  // --- Credential → application.
  std::optional<uint32_t> app_index;
  const CompiledKey* key = nullptr;
  const auto auth = resource->auth;
  std::optional<std::string_view> bearer;
  if (auth == AuthType::kOAuth2 || auth == AuthType::kApiKeyOrOAuth2) bearer = BearerToken(request);

  if (auth == AuthType::kMesh) {
    d.credential_kind = "mesh";
    if (request.principal.empty()) {
      return Deny(d, DecisionCode::kMissingCredential, "no mesh identity");
    }
    app_index = snapshot.FindMeshApplication(request.principal);
    if (!app_index) return Deny(d, DecisionCode::kInvalidCredential, "unknown mesh identity");
  } else if (bearer) {
    d.credential_kind = "oauth2";
    d.credential_header = "authorization";
    if (bearer->empty()) return Deny(d, DecisionCode::kMissingCredential, "empty bearer token");
    if (tokens == nullptr) return Deny(d, DecisionCode::kInternalError, "no token verifier");
    TokenCheck check = tokens->Verify(*bearer, snapshot, now);
    if (!check.token) return Deny(d, check.code, check.reason);
    const VerifiedToken& t = *check.token;
    if (t.own) {
      if (snapshot.IsRevoked(t.jti)) return Deny(d, DecisionCode::kInvalidCredential, "token revoked");
      app_index = snapshot.FindOAuthClientApplication(t.client_id);
    } else {
      const auto& issuers = snapshot.issuers();
      if (t.issuer_index >= issuers.size() || issuers[t.issuer_index].id != t.issuer_id) {
        return Deny(d, DecisionCode::kInvalidCredential, "unknown issuer");
      }
      const CompiledIssuer& issuer = issuers[t.issuer_index];
      if (!issuer.audience.empty() && !t.HasAudience(issuer.audience)) {
        return Deny(d, DecisionCode::kInvalidCredential, "wrong audience");
      }
      app_index = snapshot.FindExternalClientApplication(t.issuer_index, t.client_id);
    }
    if (!api->audience.empty() && !t.HasAudience(api->audience)) {
      return Deny(d, DecisionCode::kInvalidCredential, "wrong audience");
    }
    if (!app_index) return Deny(d, DecisionCode::kInvalidCredential, "unknown client");
    m.token = std::move(check.token);
  } else if (auth == AuthType::kOAuth2) {
    d.credential_kind = "oauth2";
    d.credential_header = "authorization";
    return Deny(d, DecisionCode::kMissingCredential, "bearer token required");
  } else {
    d.credential_kind = "apiKey";
    auto value = ApiKeyOf(*api, request, d);
    if (!value) {
      NameMissingCarrier(*api, d);
      return Deny(d, DecisionCode::kMissingCredential,
                  auth == AuthType::kApiKeyOrOAuth2 ? "API key or bearer token required"
                                                    : "API key required");
    }
    // Keys are looked up by digest: the table never holds a key, and lookup time says nothing
    // about how close a guess was.
    const auto digest = crypto::Sha256(*value);
    key = snapshot.FindKey(
        std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
    if (key == nullptr) return Deny(d, DecisionCode::kInvalidCredential, "unknown API key");
    if (key->expires_at != 0 && key->expires_at <= now) {
      return Deny(d, DecisionCode::kExpiredCredential, "API key expired");
    }
    app_index = key->application;
  }

  const CompiledApplication& app = snapshot.application(*app_index);
  m.application = &app;
  d.application_id = app.id;
  d.application_name = app.name;
  d.subscriber = app.owner;
  if (app.blocked) return Deny(d, DecisionCode::kApplicationBlocked, "application blocked");
  if (key != nullptr && key->restriction != kNoRestriction) {
    const std::string_view why = Restricted(snapshot.key_restriction(key->restriction), *api, request);
    if (!why.empty()) return Deny(d, DecisionCode::kCredentialRestricted, why);
  }

  // --- Subscription, then scopes.
  const CompiledSubscription* sub = snapshot.FindSubscription(app.index, api->index);
  if (sub == nullptr) return Deny(d, DecisionCode::kNotSubscribed, "application not subscribed");
  d.plan = sub->plan;
  m.subscription = sub;
  switch (sub->status) {
    case SubscriptionStatus::kActive:
      break;
    case SubscriptionStatus::kBlocked:
      return Deny(d, DecisionCode::kSubscriptionBlocked, "subscription blocked");
    case SubscriptionStatus::kPending:
      return Deny(d, DecisionCode::kSubscriptionPending, "subscription pending approval");
  }
  if (m.token) {
    for (const std::string& scope : resource->scopes) {
      if (!m.token->HasScope(scope)) {
        d.required_scopes = resource->scope_text;
        return Deny(d, DecisionCode::kInsufficientScope, "insufficient scope");
      }
    }
  }
  d.code = DecisionCode::kAllow;
  return d;
}

}  // namespace tollgate::enforce
