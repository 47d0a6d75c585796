// The key manager: client authentication, token issuance, introspection, revocation, keys.
#include "control/key_manager.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>
#include <utility>

#include "crypto/crypto.h"
#include "jwt/jwt.h"

namespace tollgate::control {
namespace json = boost::json;
namespace {

constexpr jwt::Alg kAlg = jwt::Alg::kES256;
constexpr size_t kKidChars = 16;
constexpr int64_t kPageSize = 500;  // the store's largest page

Error OAuthError(std::string code, std::string description) {
  const ErrorKind kind =
      code == "invalid_client" ? ErrorKind::kUnauthenticated : ErrorKind::kInvalid;
  return Error{kind, std::move(code), std::move(description), {}};
}

Error InvalidClient() {
  return OAuthError("invalid_client", "unknown client or wrong client secret");
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by spaces.
Result<std::vector<std::string>> ParseScope(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    const size_t end = std::min(text.find(' ', i), text.size());
    std::string_view token = text.substr(i, end - i);
    for (char c : token) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x21 || u > 0x7e || u == 0x22 || u == 0x5c) {
        return OAuthError("invalid_scope", "the scope parameter has a malformed scope token");
      }
    }
    out.emplace_back(token);
    i = end;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const std::string& s : scopes) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

void SortUnique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

struct KeyManager::VerifiedToken {
  jwt::Claims claims;
  std::string client_id;
};

KeyManager::KeyManager(store::Store& store, const Clock& clock, MasterKey master,
                       KeyManagerOptions options, std::function<void()> on_change)
    : store_(store),
      clock_(clock),
      master_(std::move(master)),
      options_(std::move(options)),
      on_change_(std::move(on_change)) {}

KeyManager::~KeyManager() = default;

std::string KeyManager::SealPrivateKey(std::string_view pem, std::string_view kid) const {
  return master_.Seal(pem, kid);
}

Result<std::string> KeyManager::OpenPrivateKey(const SigningKey& key) const {
  return master_.Open(key.private_key, key.kid);
}

// ---------------------------------------------------------------------------------------------
// Keys

Result<SigningKey> KeyManager::NewKey(int64_t now) {
  const std::string kid = crypto::RandomToken(kKidChars);
  auto generated = jwt::SignKey::Generate(kAlg, kid);
  if (!generated.ok())
    return Internal("cannot generate a signing key: " + generated.error().message);
  SigningKey key;
  key.kid = kid;
  key.alg = std::string(jwt::ToString(kAlg));
  key.private_key = SealPrivateKey(generated->PrivatePem(), kid);
  key.public_jwk = generated->PublicJwk();
  key.created_at = now;
  return key;
}

Status KeyManager::EnsureSigningKey() {
  // Usually a key exists: look without writing, so that a restart does not wake every reader.
  auto keys = store_.ListSigningKeys();
  if (!keys.ok()) return keys.error();
  SigningKey active;
  if (!keys->empty() && !keys->front().retired_at) {
    active = std::move(keys->front());
  } else {
    auto candidate = NewKey(clock_.NowSeconds());
    if (!candidate.ok()) return candidate.error();
    auto ensured = store_.EnsureSigningKey(*candidate);  // another process may win the race
    if (!ensured.ok()) return ensured.error();
    if (ensured->kid == candidate->kid && on_change_) on_change_();
    active = std::move(ensured.value());
  }
  // A key sealed under another master key would fail every token: say so at start.
  if (auto opened = OpenPrivateKey(active); !opened.ok()) return opened.error();
  return Ok();
}

Result<SigningKey> KeyManager::RotateSigningKey() {
  const int64_t now = clock_.NowSeconds();
  auto key = NewKey(now);
  if (!key.ok()) return key.error();
  const int64_t retired_expiry =
      now + options_.token_ttl_seconds + options_.rotation_margin_seconds;
  auto added = store_.AddSigningKey(*key, retired_expiry);
  if (!added.ok()) return added.error();
  if (on_change_) on_change_();
  added->private_key.clear();
  return added;
}

Result<std::vector<SigningKey>> KeyManager::PublishedKeys() {
  auto keys = store_.ListSigningKeys();
  if (!keys.ok()) return keys.error();
  const int64_t now = clock_.NowSeconds();
  std::vector<SigningKey> out;
  for (SigningKey& key : *keys) {
    if (key.expires_at && *key.expires_at <= now) continue;
    key.private_key.clear();
    out.push_back(std::move(key));
  }
  return out;
}

Result<std::string> KeyManager::Jwks() {
  auto keys = PublishedKeys();
  if (!keys.ok()) return keys.error();
  json::array items;
  for (const SigningKey& key : *keys) {
    boost::system::error_code ec;
    json::value jwk = json::parse(key.public_jwk, ec);
    if (ec || !jwk.is_object()) return Internal("stored public JWK of " + key.kid + " is not JSON");
    items.push_back(std::move(jwk));
  }
  return json::serialize(json::object{{"keys", std::move(items)}});
}

Result<std::shared_ptr<const jwt::SignKey>> KeyManager::CurrentSignKey() {
  // Read every time: another process sharing the store may have rotated.
  auto keys = store_.ListSigningKeys();
  if (!keys.ok()) return keys.error();
  auto active = std::find_if(keys->begin(), keys->end(),
                             [](const SigningKey& k) { return !k.retired_at.has_value(); });
  if (active == keys->end()) {
    return Error{ErrorKind::kUnavailable, "no_signing_key", "no active signing key", {}};
  }
  {
    std::lock_guard lock(mu_);
    if (auto it = sign_keys_.find(active->kid); it != sign_keys_.end()) return it->second;
  }
  auto pem = OpenPrivateKey(*active);
  if (!pem.ok()) return pem.error();
  auto alg = jwt::ParseAlg(active->alg);
  if (!alg) return Internal("stored signing key " + active->kid + " has an unknown alg");
  auto key = jwt::SignKey::FromPem(*pem, *alg, active->kid);
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!key.ok()) return Internal("stored signing key " + active->kid + " cannot be loaded");
  auto shared = std::make_shared<const jwt::SignKey>(std::move(key.value()));
  std::lock_guard lock(mu_);
  sign_keys_.clear();  // only the current one is needed
  sign_keys_.emplace(active->kid, shared);
  return shared;
}

// ---------------------------------------------------------------------------------------------
// Clients and grants

Result<OAuthClient> KeyManager::AuthenticateClient(const ClientCredentials& credentials) {
  if (credentials.client_id.empty()) {
    return OAuthError("invalid_client", "client authentication is required");
  }
  const std::string presented = crypto::Sha256Hex(credentials.client_secret);
  auto client = store_.GetOAuthClient(credentials.client_id);
  if (!client.ok()) {
    if (client.error().kind != ErrorKind::kNotFound) return client.error();
    // Same work as a real check, so that client ids cannot be probed by timing.
    (void)crypto::ConstantTimeEquals(presented, std::string(64, '0'));
    return InvalidClient();
  }
  if (!crypto::ConstantTimeEquals(presented, client->secret_hash)) return InvalidClient();
  return client;
}

Status KeyManager::CollectGrants(std::string_view application_id, std::vector<std::string>& scopes,
                                 std::vector<std::string>& audiences) {
  for (store::PageRequest page{0, kPageSize};; page.offset += page.limit) {
    auto subs = store_.ListSubscriptions(application_id, page);
    if (!subs.ok()) return subs.error();
    for (const Subscription& sub : subs->items) {
      if (sub.status != SubscriptionStatus::kActive) continue;
      auto api = store_.GetApi(sub.api_id);
      if (!api.ok()) {
        if (api.error().kind == ErrorKind::kNotFound) continue;  // deleted meanwhile
        return api.error();
      }
      for (const Resource& r : api->resources) {
        scopes.insert(scopes.end(), r.scopes.begin(), r.scopes.end());
      }
      if (!api->audience.empty()) audiences.push_back(api->audience);
    }
    if (page.offset + page.limit >= subs->total) break;
  }
  SortUnique(scopes);
  SortUnique(audiences);
  return Ok();
}

Result<std::vector<std::string>> KeyManager::GrantableScopes(std::string_view application_id) {
  std::vector<std::string> scopes, audiences;
  if (auto s = CollectGrants(application_id, scopes, audiences); !s.ok()) return s.error();
  return scopes;
}

Result<std::vector<std::string>> KeyManager::SupportedScopes() {
  std::vector<std::string> scopes;
  for (store::PageRequest page{0, kPageSize};; page.offset += page.limit) {
    auto apis = store_.ListApis(page);
    if (!apis.ok()) return apis.error();
    for (const Api& api : apis->items) {
      if (api.lifecycle != Lifecycle::kPublished && api.lifecycle != Lifecycle::kDeprecated) {
        continue;
      }
      for (const Resource& r : api.resources) {
        scopes.insert(scopes.end(), r.scopes.begin(), r.scopes.end());
      }
    }
    if (page.offset + page.limit >= apis->total) break;
  }
  SortUnique(scopes);
  return scopes;
}

Result<IssuedToken> KeyManager::IssueToken(const TokenRequest& request) {
  if (request.grant_type.empty()) return OAuthError("invalid_request", "grant_type is required");
  auto client = AuthenticateClient(request.client);
  if (!client.ok()) return client.error();
  if (request.grant_type != "client_credentials") {
    return OAuthError("unsupported_grant_type", "only the client_credentials grant is supported");
  }
  auto app = store_.GetApplication(client->application_id);
  if (!app.ok()) {
    if (app.error().kind == ErrorKind::kNotFound) return InvalidClient();
    return app.error();
  }
  if (app->blocked) {
    return OAuthError("unauthorized_client", "the client's application is blocked");
  }
  std::vector<std::string> allowed, audiences;
  if (auto s = CollectGrants(app->id, allowed, audiences); !s.ok()) return s.error();

  IssuedToken out;
  if (request.scope && !request.scope->empty()) {
    auto requested = ParseScope(*request.scope);
    if (!requested.ok()) return requested.error();
    std::set_intersection(requested->begin(), requested->end(), allowed.begin(), allowed.end(),
                          std::back_inserter(out.scopes));
    if (out.scopes.empty() && !requested->empty()) {
      return OAuthError("invalid_scope",
                        "none of the requested scopes may be granted to this "
                        "client (subscribe to an API whose resources name them)");
    }
  } else {
    out.scopes = allowed;
  }
  out.audience = std::binary_search(audiences.begin(), audiences.end(), request.audience)
                     ? request.audience
                     : std::string(kDefaultAudience);

  auto key = CurrentSignKey();
  if (!key.ok()) return key.error();
  const int64_t now = clock_.NowSeconds();
  out.expires_in = options_.token_ttl_seconds;
  out.jti = crypto::RandomUuid();
  json::object claims{{"iss", options_.issuer},
                      {"sub", client->client_id},
                      {"client_id", client->client_id},
                      {"azp", client->client_id},
                      {"aud", out.audience},
                      {"iat", now},
                      {"nbf", now},
                      {"exp", now + options_.token_ttl_seconds},
                      {"jti", out.jti}};
  if (!out.scopes.empty()) claims["scope"] = JoinScopes(out.scopes);
  auto signed_token = (*key)->Sign(json::serialize(claims));
  if (!signed_token.ok()) return signed_token.error();
  out.access_token = std::move(signed_token.value());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Introspection and revocation

Result<KeyManager::VerifiedToken> KeyManager::VerifyOurs(std::string_view token) {
  auto published = PublishedKeys();
  if (!published.ok()) return published.error();
  jwt::KeySet set;
  {
    std::lock_guard lock(mu_);
    for (const SigningKey& key : *published) {
      auto it = verify_keys_.find(key.kid);
      if (it == verify_keys_.end()) {
        auto verify = jwt::VerifyKey::FromJwk(key.public_jwk);
        if (!verify.ok()) continue;  // unusable: tokens it signed simply do not verify
        it = verify_keys_.emplace(key.kid, std::move(verify.value())).first;
      }
      set.Add(it->second);
    }
  }
  jwt::ValidationOptions options;
  options.now = clock_.NowSeconds();
  options.leeway_seconds = 0;  // our own clock signed it
  options.issuer = options_.issuer;
  auto claims = jwt::Verify(token, set, options);
  if (!claims.ok()) return claims.error();
  VerifiedToken out{std::move(claims.value()), {}};
  out.client_id = jwt::ClaimString(out.claims.payload_json, "client_id").value_or("");
  if (out.claims.jti.empty() || !out.claims.exp) {
    return Error{ErrorKind::kUnauthenticated, "token_malformed", "no jti or exp", {}};
  }
  return out;
}

Result<Introspection> KeyManager::Introspect(const ClientCredentials& caller,
                                             std::string_view token) {
  auto client = AuthenticateClient(caller);
  if (!client.ok()) return client.error();
  auto verified = VerifyOurs(token);
  if (!verified.ok()) {
    if (verified.error().kind == ErrorKind::kUnauthenticated) return Introspection{};
    return verified.error();
  }
  if (verified->client_id != client->client_id) return Introspection{};
  auto revoked = store_.IsTokenRevoked(verified->claims.jti);
  if (!revoked.ok()) return revoked.error();
  if (*revoked) return Introspection{};
  const jwt::Claims& c = verified->claims;
  Introspection out;
  out.active = true;
  out.client_id = verified->client_id;
  out.sub = c.sub;
  out.iss = c.iss;
  out.jti = c.jti;
  out.aud = c.aud;
  out.scopes = c.scopes;
  out.exp = c.exp.value_or(0);
  out.iat = c.iat.value_or(0);
  out.nbf = c.nbf.value_or(0);
  return out;
}

Status KeyManager::Revoke(const ClientCredentials& caller, std::string_view token) {
  auto client = AuthenticateClient(caller);
  if (!client.ok()) return client.error();
  auto verified = VerifyOurs(token);
  if (!verified.ok()) {
    // Not a live token of ours: nothing to revoke (RFC 7009 §2.2: still a success).
    if (verified.error().kind == ErrorKind::kUnauthenticated) return Ok();
    return verified.error();
  }
  if (verified->client_id != client->client_id) {
    return OAuthError("unauthorized_client", "a client may revoke only its own tokens");
  }
  const RevokedToken revoked{verified->claims.jti, *verified->claims.exp};
  if (auto s = store_.RevokeToken(revoked, clock_.NowSeconds()); !s.ok()) return s;
  if (on_change_) on_change_();
  return Ok();
}

}  // namespace tollgate::control
