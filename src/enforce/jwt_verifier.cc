// Bearer JWT verification with a verified-token cache, and backend JWT signing.
#include "enforce/jwt_verifier.h"

#include <boost/json.hpp>

#include <cstring>

#include "core/hash.h"
#include "crypto/crypto.h"

namespace tollgate::enforce {
namespace {

TokenCheck Refuse(std::string_view reason, DecisionCode code = DecisionCode::kInvalidCredential) {
  return TokenCheck{nullptr, code, reason};
}

// jwt::Verify's error codes → what callers and logs see.
TokenCheck RefuseFor(const Error& e) {
  const std::string& c = e.code;
  if (c == "token_expired") return Refuse("token expired", DecisionCode::kExpiredCredential);
  if (c == "token_not_yet_valid") return Refuse("token not yet valid");
  if (c == "token_too_large") return Refuse("token too large");
  if (c == "alg_not_allowed") return Refuse("alg not allowed");
  if (c == "alg_mismatch") return Refuse("alg does not match the key");
  if (c == "unknown_kid") return Refuse("unknown signing key");
  if (c == "bad_signature") return Refuse("signature invalid");
  if (c == "wrong_issuer") return Refuse("wrong issuer");
  if (c == "wrong_audience") return Refuse("wrong audience");
  if (c == "missing_exp") return Refuse("token without exp");
  return Refuse("token malformed");
}

// Top-level scalar claims of a JSON payload, for claim-keyed limits.
std::vector<std::pair<std::string, std::string>> ScalarClaims(std::string_view payload) {
  std::vector<std::pair<std::string, std::string>> out;
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(payload, ec);
  if (ec || !v.is_object()) return out;
  for (const auto& [k, val] : v.as_object()) {
    if (val.is_string()) {
      out.emplace_back(std::string(k), std::string(val.as_string()));
    } else if (val.is_int64() || val.is_uint64() || val.is_bool()) {
      out.emplace_back(std::string(k), boost::json::serialize(val));
    }
  }
  return out;
}

}  // namespace

JwtVerifier::JwtVerifier(Options options, const JwksCache* external)
    : options_(std::move(options)), external_(external) {}

size_t JwtVerifier::cached() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::shared_lock lock(s.mu);
    n += s.map.size();
  }
  return n;
}

std::shared_ptr<const JwtVerifier::OwnKeys> JwtVerifier::OwnKeysFor(const Snapshot& snapshot) const {
  auto current = own_.load(std::memory_order_acquire);
  if (current && current->snapshot == &snapshot && current->revision == snapshot.revision()) {
    return current;
  }
  std::lock_guard lock(own_build_mu_);
  current = own_.load(std::memory_order_acquire);
  if (current && current->snapshot == &snapshot && current->revision == snapshot.revision()) {
    return current;
  }
  auto next = std::make_shared<OwnKeys>();
  next->snapshot = &snapshot;
  next->revision = snapshot.revision();
  uint64_t generation = 0x6f776e;  // "own"
  for (const CompiledSigningKey& k : snapshot.signing_keys()) {
    auto key = jwt::VerifyKey::FromJwk(k.public_jwk);
    if (!key.ok()) continue;
    next->keys.Add(std::move(key.value()));
    generation = HashCombine(generation, StableHash(k.public_jwk));
  }
  next->generation = generation;
  own_.store(next, std::memory_order_release);
  return next;
}

uint64_t JwtVerifier::GenerationOf(const VerifiedToken& t, const Snapshot& snapshot) const {
  if (t.own) return OwnKeysFor(snapshot)->generation;
  if (external_ == nullptr) return 0;
  return external_->Get(t.issuer_id).generation;
}

TokenCheck JwtVerifier::Fresh(std::shared_ptr<const VerifiedToken> token, int64_t now) const {
  // As jwt::Verify: expired from exp + leeway on (RFC 7519 §4.1.4: "on or after").
  if (token->exp != 0 && now >= token->exp + options_.leeway_seconds) {
    return Refuse("token expired", DecisionCode::kExpiredCredential);
  }
  if (token->nbf != 0 && now + options_.leeway_seconds < token->nbf) {
    return Refuse("token not yet valid");
  }
  return TokenCheck{std::move(token), DecisionCode::kAllow, {}};
}

TokenCheck JwtVerifier::Verify(std::string_view token, const Snapshot& snapshot,
                               int64_t now) const {
  if (token.size() > jwt::kMaxTokenBytes) return Refuse("token too large");
  // The cache is keyed by a digest of the token: it never holds a token.
  const auto digest = crypto::Sha256(token);
  CacheKey key;
  std::memcpy(key.data(), digest.data(), sizeof key);
  Shard& shard = shards_[key[1] % kShards];
  std::shared_ptr<const VerifiedToken> hit;
  uint64_t hit_generation = 0;
  {
    std::shared_lock lock(shard.mu);
    if (auto it = shard.map.find(key); it != shard.map.end()) {
      hit = it->second.token;
      hit_generation = it->second.generation;
    }
  }
  if (hit && hit_generation == GenerationOf(*hit, snapshot)) return Fresh(std::move(hit), now);

  TokenCheck check = VerifyCold(token, snapshot, now);
  if (check.token) {
    const uint64_t generation = GenerationOf(*check.token, snapshot);
    std::unique_lock lock(shard.mu);
    // Bounded: a full shard drops an arbitrary entry (tokens are cheap to verify again).
    if (shard.map.size() >= options_.cache_capacity / kShards + 1) shard.map.erase(shard.map.begin());
    shard.map.insert_or_assign(key, Entry{check.token, generation});
  }
  return check;
}

TokenCheck JwtVerifier::VerifyCold(std::string_view token, const Snapshot& snapshot,
                                   int64_t now) const {
  auto parsed = jwt::Parse(token);
  if (!parsed.ok()) return RefuseFor(parsed.error());
  const std::string iss = jwt::ClaimString(parsed->payload_json, "iss").value_or("");

  auto result = std::make_shared<VerifiedToken>();
  jwt::ValidationOptions options;
  options.now = now;
  options.leeway_seconds = options_.leeway_seconds;
  const CompiledIssuer* external = iss.empty() ? nullptr : snapshot.FindIssuerByIss(iss);
  std::shared_ptr<const jwt::KeySet> external_keys;
  std::shared_ptr<const OwnKeys> own;
  const jwt::KeySet* keys = nullptr;
  if (external != nullptr && iss != options_.own_issuer) {
    if (external_ == nullptr) return Refuse("unknown issuer");
    external_keys = external_->Get(external->id).keys;
    if (external_keys == nullptr || external_keys->Find(parsed->kid) == nullptr) {
      external_->RequestRefresh(external->id);  // asynchronous, rate-limited: see jwks_cache.h
      return Refuse("unknown signing key");
    }
    keys = external_keys.get();
    options.issuer = external->issuer;
    result->own = false;
    result->issuer_index = external->index;
    result->issuer_id = external->id;
  } else if (options_.own_issuer.empty() || iss == options_.own_issuer) {
    own = OwnKeysFor(snapshot);
    keys = &own->keys;
    options.issuer = options_.own_issuer;
  } else {
    return Refuse("unknown issuer");
  }

  auto claims = jwt::Verify(token, *keys, options);
  if (!claims.ok()) return RefuseFor(claims.error());
  const std::string_view payload = claims->payload_json;
  if (result->own) {
    result->client_id = jwt::ClaimString(payload, "client_id")
                            .value_or(jwt::ClaimString(payload, "azp").value_or(""));
  } else {
    result->client_id = jwt::ClaimString(payload, external->client_claim).value_or("");
  }
  result->subject = claims->sub;
  result->jti = claims->jti;
  result->audiences = claims->aud;
  result->scopes = claims->scopes;
  result->exp = claims->exp.value_or(0);
  result->nbf = claims->nbf.value_or(0);
  result->claims = ScalarClaims(payload);
  return TokenCheck{std::move(result), DecisionCode::kAllow, {}};
}

JwtBackendSigner::JwtBackendSigner(std::shared_ptr<const jwt::SignKey> key, std::string issuer,
                                   int64_t ttl_seconds, int64_t reuse_seconds)
    : key_(std::move(key)), issuer_(std::move(issuer)), ttl_(ttl_seconds), reuse_(reuse_seconds) {}

std::shared_ptr<const std::string> JwtBackendSigner::Sign(const BackendFacts& f, int64_t now) const {
  if (key_ == nullptr) return nullptr;
  const uint64_t h =
      HashCombine(HashCombine(StableHash(f.application_id), StableHash(f.api_id)), StableHash(f.plan));
  {
    std::shared_lock lock(mu_);
    if (auto it = cache_.find(h); it != cache_.end() && it->second.application == f.application_id &&
                                  it->second.api == f.api_id && it->second.plan == f.plan &&
                                  now - it->second.issued_at < reuse_ && now >= it->second.issued_at) {
      return it->second.token;
    }
  }
  boost::json::object claims;
  claims["iss"] = issuer_;
  claims["sub"] = f.application_id;
  claims["application_name"] = f.application_name;
  claims["subscriber"] = f.subscriber;
  claims["plan"] = f.plan;
  claims["api_id"] = f.api_id;
  claims["api_name"] = f.api_name;
  claims["api_version"] = f.api_version;
  claims["iat"] = now;
  claims["exp"] = now + ttl_;
  auto signed_token = key_->Sign(boost::json::serialize(claims));
  if (!signed_token.ok()) return nullptr;
  auto token = std::make_shared<const std::string>(std::move(signed_token.value()));
  std::unique_lock lock(mu_);
  if (cache_.size() >= 100'000) cache_.clear();  // bounded; refills at one signature per triple
  cache_.insert_or_assign(h, Cached{token, now, std::string(f.application_id), std::string(f.api_id),
                                    std::string(f.plan)});
  return token;
}

}  // namespace tollgate::enforce
