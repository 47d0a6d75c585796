// The bearer-token verifier: JWTs signed by our own keys (the snapshot's signing keys) or by a
// registered external issuer (keys from the JwksCache), with a verified-token cache so that a
// token seen again costs a hash and a lookup instead of a signature check.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "enforce/jwks_cache.h"
#include "enforce/token_verifier.h"
#include "jwt/jwt.h"

namespace tollgate::enforce {

class JwtVerifier final : public TokenVerifier {
 public:
  struct Options {
    std::string own_issuer;        // "iss" of our tokens; empty = ours are those no issuer claims
    int64_t leeway_seconds = 60;   // clock skew allowed on exp / nbf
    size_t cache_capacity = 100'000;  // verified tokens kept, across all shards
  };
  // `external` may be null: then only our own tokens verify.
  JwtVerifier(Options options, const JwksCache* external);

  // See TokenVerifier. Thread-safe. A cached token is re-checked for exp/nbf at `now`, and is
  // forgotten when the key set it was verified with changes (rotation, issuer refresh).
  TokenCheck Verify(std::string_view token, const Snapshot& snapshot, int64_t now) const override;

  size_t cached() const;  // for tests and metrics

 private:
  struct OwnKeys {
    const Snapshot* snapshot = nullptr;  // identity of the snapshot they were built for
    int64_t revision = -1;
    uint64_t generation = 0;  // hash of the public JWKs: unchanged keys keep cached tokens
    jwt::KeySet keys;
  };
  using CacheKey = std::array<uint64_t, 2>;  // first 128 bits of SHA-256(token)
  struct CacheKeyHash {
    size_t operator()(const CacheKey& k) const { return k[0]; }
  };
  struct Entry {
    std::shared_ptr<const VerifiedToken> token;
    uint64_t generation = 0;
  };
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::shared_mutex mu;
    std::unordered_map<CacheKey, Entry, CacheKeyHash> map;
  };

  std::shared_ptr<const OwnKeys> OwnKeysFor(const Snapshot& snapshot) const;
  uint64_t GenerationOf(const VerifiedToken& t, const Snapshot& snapshot) const;
  TokenCheck VerifyCold(std::string_view token, const Snapshot& snapshot, int64_t now) const;
  TokenCheck Fresh(std::shared_ptr<const VerifiedToken> token, int64_t now) const;

  Options options_;
  const JwksCache* external_;
  mutable std::atomic<std::shared_ptr<const OwnKeys>> own_;
  mutable std::mutex own_build_mu_;
  mutable std::array<Shard, kShards> shards_;
};

// Signs backend JWTs with our newest key: iss, sub (application id), application name,
// subscriber, plan, api id/name/version, iat, exp = now + 60 s. A token is reused for the same
// (application, API, plan) for 30 s, so signing is not per request.
class JwtBackendSigner final : public BackendTokenSigner {
 public:
  JwtBackendSigner(std::shared_ptr<const jwt::SignKey> key, std::string issuer,
                   int64_t ttl_seconds = 60, int64_t reuse_seconds = 30);
  std::shared_ptr<const std::string> Sign(const BackendFacts& facts, int64_t now) const override;

 private:
  struct Cached {
    std::shared_ptr<const std::string> token;
    int64_t issued_at = 0;
    std::string application, api, plan;  // what the hash stands for (collisions)
  };
  std::shared_ptr<const jwt::SignKey> key_;
  std::string issuer_;
  int64_t ttl_;
  int64_t reuse_;
  mutable std::shared_mutex mu_;
  mutable std::unordered_map<uint64_t, Cached> cache_;  // hash of (application, API, plan)
};

}  // namespace tollgate::enforce
