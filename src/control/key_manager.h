// The OAuth2 authorization server of Tollgate: signs access tokens for applications' OAuth clients
// (client-credentials grant, RFC 6749 §4.4), publishes its keys (JWKS), introspects (RFC 7662) and
// revokes (RFC 7009) its tokens, and rotates its signing keys.
//
// Keys: ES256, private parts sealed with the MasterKey before they reach the store. New tokens are
// signed with the newest active key; a rotated-out key stays published until every token it signed
// has expired (token lifetime + a margin).
//
// Errors carry the RFC 6749 §5.2 error code as Error::code ("invalid_request", "invalid_client",
// "unauthorized_client", "unsupported_grant_type", "invalid_scope"); invalid_client is
// kUnauthenticated, the others kInvalid. Storage failures pass through unchanged.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/master_key.h"
#include "core/clock.h"
#include "core/model.h"
#include "core/status.h"
#include "store/store.h"

namespace tollgate::jwt {
class SignKey;
class VerifyKey;
}  // namespace tollgate::jwt

namespace tollgate::control {

inline constexpr std::string_view kOAuthClientIdPrefix = "tgc_";
inline constexpr std::string_view kOAuthSecretPrefix = "tgs_";
inline constexpr std::string_view kDefaultAudience = "tollgate";

struct KeyManagerOptions {
  std::string issuer;                     // "iss" of every token, e.g. "https://auth.example.com"
  int64_t token_ttl_seconds = 3600;       // lifetime of access tokens
  int64_t rotation_margin_seconds = 300;  // a retired key stays published ttl + this long
};

// Client authentication as the token, introspection and revocation endpoints received it
// (client_secret_basic or client_secret_post; the adapter decodes either into this).
struct ClientCredentials {
  std::string client_id;
  std::string client_secret;
};

struct TokenRequest {
  std::string grant_type;
  ClientCredentials client;
  std::optional<std::string> scope;  // the "scope" parameter; nullopt when not sent
  std::string audience;              // the "audience" (or "resource") parameter, may be empty
};

struct IssuedToken {
  std::string access_token;  // a JWT
  int64_t expires_in = 0;
  std::vector<std::string> scopes;  // granted
  std::string audience;
  std::string jti;
};

// RFC 7662's answer. Inactive answers carry nothing else.
struct Introspection {
  bool active = false;
  std::string client_id, sub, iss, jti;
  std::vector<std::string> aud, scopes;
  int64_t exp = 0, iat = 0, nbf = 0;
};

class KeyManager {
 public:
  // `store` and `clock` must outlive this. `on_change` runs after each committed write (new key,
  // revocation), like control::Service's.
  KeyManager(store::Store& store, const Clock& clock, MasterKey master, KeyManagerOptions options,
             std::function<void()> on_change);
  ~KeyManager();
  KeyManager(const KeyManager&) = delete;
  KeyManager& operator=(const KeyManager&) = delete;

  const KeyManagerOptions& options() const { return options_; }

  // Makes sure an active signing key exists (first start); safe when processes race.
  Status EnsureSigningKey();
  // A new active key; the previous one stops signing and expires after ttl + margin.
  Result<SigningKey> RotateSigningKey();
  // Keys still published (not expired now), newest first, private parts cleared.
  Result<std::vector<SigningKey>> PublishedKeys();
  // {"keys":[…]} of PublishedKeys' public JWKs.
  Result<std::string> Jwks();

  // Checks a client's id and secret (constant-time on the secret's hash). Unknown client and
  // wrong secret are the same error: invalid_client.
  Result<OAuthClient> AuthenticateClient(const ClientCredentials& credentials);

  // The client-credentials grant: granted scopes = requested ∩ what the client's application may
  // get (scopes of the resources of APIs it has ACTIVE subscriptions to); no scope parameter =
  // all of them. aud = the requested audience when one of those APIs has it, else "tollgate".
  Result<IssuedToken> IssueToken(const TokenRequest& request);

  // Scopes an application may be granted (sorted, unique).
  Result<std::vector<std::string>> GrantableScopes(std::string_view application_id);
  // Every scope that some API's resource names (sorted, unique): the metadata's scopes_supported.
  Result<std::vector<std::string>> SupportedScopes();

  // Authenticates the caller, then answers active only for a valid, unexpired, unrevoked token
  // of ours that was issued to that same client.
  Result<Introspection> Introspect(const ClientCredentials& caller, std::string_view token);
  // Authenticates the caller and revokes the token until it expires. Tokens that are not valid
  // tokens of ours (or already expired) are ignored (success). A token of another client is
  // refused: unauthorized_client.
  Status Revoke(const ClientCredentials& caller, std::string_view token);

  // Seals / opens a private key for the store (bound to its kid).
  std::string SealPrivateKey(std::string_view pem, std::string_view kid) const;
  Result<std::string> OpenPrivateKey(const SigningKey& key) const;

 private:
  struct VerifiedToken;
  Result<SigningKey> NewKey(int64_t now);
  // The key new tokens are signed with, opened once and cached.
  Result<std::shared_ptr<const jwt::SignKey>> CurrentSignKey();
  // Verifies signature, issuer and expiry (now) against the published keys.
  Result<VerifiedToken> VerifyOurs(std::string_view token);
  // Scopes and audiences of the APIs the application has ACTIVE subscriptions to.
  Status CollectGrants(std::string_view application_id, std::vector<std::string>& scopes,
                       std::vector<std::string>& audiences);

  store::Store& store_;
  const Clock& clock_;
  const MasterKey master_;
  const KeyManagerOptions options_;
  std::function<void()> on_change_;

  std::mutex mu_;  // guards the caches below
  std::map<std::string, std::shared_ptr<const jwt::SignKey>, std::less<>> sign_keys_;
  std::map<std::string, std::shared_ptr<const jwt::VerifyKey>, std::less<>> verify_keys_;
};

}  // namespace tollgate::control
