// JSON Web Tokens over OpenSSL 3: JWK/JWKS (RFC 7517), JWS compact signatures (RFC 7515) with
// the asymmetric algorithms of RFC 7518/8037, and JWT claims (RFC 7519). No I/O: fetching an
// issuer's JWKS is the caller's business.
//
// Safety rules applied everywhere:
// - the algorithm comes from the *key*, never from the token: a token whose "alg" differs from its
//   key's alg (or key type) is refused (no algorithm confusion); "none" and HS* are never accepted;
// - tokens above kMaxTokenBytes, or not three base64url parts, or with non-JSON parts, are refused
//   before any cryptography;
// - every failure has a stable short reason (JwtError::reason) that can be shown to callers and
//   logged; a token or key is never part of a message.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace tollgate::jwt {

inline constexpr size_t kMaxTokenBytes = 8192;

// Supported signature algorithms ("alg" names of RFC 7518 / RFC 8037).
enum class Alg { kRS256, kRS384, kRS512, kPS256, kPS384, kPS512, kES256, kES384, kES512, kEdDSA };
std::string_view ToString(Alg alg);
std::optional<Alg> ParseAlg(std::string_view name);  // nullopt for "none", HS*, unknown

// base64url without padding (RFC 7515 §2).
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

// A public key that verifies signatures, from a JWK. Immutable and thread-safe once built.
class VerifyKey {
 public:
  // From one JWK (JSON object text or parsed members). Accepts kty RSA (n, e), EC (crv P-256,
  // P-384, P-521; x, y), OKP (crv Ed25519; x). `alg` is taken from the JWK's "alg" member when
  // present, else derived from the key type (RSA → RS256, P-256 → ES256, …). Keys whose "use" is
  // present and not "sig" are refused.
  static Result<std::shared_ptr<const VerifyKey>> FromJwk(std::string_view jwk_json);

  const std::string& kid() const { return kid_; }
  Alg alg() const { return alg_; }
  // True when `signature` is valid for `signing_input` under this key and `alg` (which must be
  // this key's alg or, for RSA keys, another RS*/PS* alg only if the JWK named no alg).
  bool Verify(Alg alg, std::string_view signing_input, std::string_view signature) const;
  // True when a token signed with `alg` may be checked with this key (the rule of Verify above);
  // lets a caller tell "alg_mismatch" from "bad_signature".
  bool Accepts(Alg alg) const;

  ~VerifyKey();
  struct Impl;

 private:
  VerifyKey() = default;
  std::string kid_;
  Alg alg_ = Alg::kRS256;
  bool alg_from_jwk_ = false;
  std::unique_ptr<Impl> impl_;
};

// A set of keys by kid (an issuer's JWKS).
class KeySet {
 public:
  // From a JWKS document {"keys": [...]}. Keys that cannot be used (unknown kty, enc use) are
  // skipped; an invalid document is an error.
  static Result<KeySet> FromJwks(std::string_view jwks_json);
  void Add(std::shared_ptr<const VerifyKey> key);
  // By kid; when the token names no kid and the set has exactly one key, that key.
  const VerifyKey* Find(std::string_view kid) const;
  size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }

 private:
  std::vector<std::shared_ptr<const VerifyKey>> keys_;
};

// A private key Tollgate signs with.
class SignKey {
 public:
  // Generates a fresh key: ES256 (P-256) or RS256 (RSA 2048); EdDSA (Ed25519) also works.
  static Result<SignKey> Generate(Alg alg, std::string kid);
  // From PKCS#8 PEM (as written by PrivatePem()).
  static Result<SignKey> FromPem(std::string_view pem, Alg alg, std::string kid);

  const std::string& kid() const { return kid_; }
  Alg alg() const { return alg_; }
  std::string PrivatePem() const;  // PKCS#8 PEM; a secret: store encrypted
  // The public JWK as JSON text: kty, crv/n/e/x/y, kid, alg, use "sig".
  std::string PublicJwk() const;
  // Compact JWS of `claims_json` (a JSON object), with header {"alg","typ":"JWT","kid"}.
  Result<std::string> Sign(std::string_view claims_json) const;

  SignKey(SignKey&&) noexcept;
  SignKey& operator=(SignKey&&) noexcept;
  ~SignKey();
  struct Impl;

 private:
  SignKey() = default;
  std::string kid_;
  Alg alg_ = Alg::kES256;
  std::unique_ptr<Impl> impl_;
};

// A token split and decoded but not yet verified.
struct ParsedToken {
  std::string header_json;
  std::string payload_json;
  Alg alg = Alg::kRS256;
  std::string kid;
  std::string_view signing_input;  // view into the token: "header.payload"
  std::string signature;           // raw bytes
};
// Splits and decodes; refuses oversize, malformed parts, "alg":"none"/HS*/unknown, "crit".
Result<ParsedToken> Parse(std::string_view token);

// The registered claims Tollgate uses, plus the scopes (space-separated "scope", or "scp" as a
// string or an array).
struct Claims {
  std::string iss;
  std::string sub;
  std::vector<std::string> aud;
  std::optional<int64_t> exp;
  std::optional<int64_t> nbf;
  std::optional<int64_t> iat;
  std::string jti;
  std::vector<std::string> scopes;
  std::string payload_json;  // the whole payload, for other claims (ClaimString)
};
// A top-level claim as text: strings as-is, numbers and booleans printed; nullopt when absent or
// an object/array.
std::optional<std::string> ClaimString(std::string_view payload_json, std::string_view name);

struct ValidationOptions {
  int64_t now = 0;            // Unix seconds
  int64_t leeway_seconds = 60;  // skew allowed on exp / nbf / iat
  std::string issuer;         // required "iss" (empty = not checked)
  std::string audience;       // must be one of "aud" (empty = not checked)
  bool require_exp = true;
};

// Parse → find key by kid → verify signature with the key's alg → decode and check claims.
// Errors are kUnauthenticated with codes: "token_malformed", "token_too_large",
// "alg_not_allowed", "unknown_kid", "alg_mismatch", "bad_signature", "token_expired",
// "token_not_yet_valid", "wrong_issuer", "wrong_audience", "missing_exp".
Result<Claims> Verify(std::string_view token, const KeySet& keys, const ValidationOptions& options);

}  // namespace tollgate::jwt
