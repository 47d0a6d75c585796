// The enforcer's immutable view of everything published, compiled for lookups with no database
// call: APIs by host + context, resources by method + template, keys by hash, subscriptions by
// (application, API). Built from SnapshotData, or patched from an older snapshot with what changed
// since (Patch: the compiled tables are shared, changed entries sit in a small overlay); never
// changed once made, so it is shared by pointer between threads without locks.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/hash/hash.h>
#include <absl/strings/string_view.h>

#include "core/model.h"
#include "core/path_template.h"
#include "ratelimit/gcra.h"

namespace tollgate::enforce {

// String-keyed tables of the snapshot: open addressing and absl's hash (cheaper than
// std::hash's on short keys), transparent so that lookups by string_view do not allocate.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const {
    // Through absl::string_view: absl's own hash (this absl hashes std::string_view with
    // std::hash).
    return absl::Hash<absl::string_view>{}(absl::string_view(s.data(), s.size()));
  }
};
struct StringEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};
template <class V>
using StringMap = absl::flat_hash_map<std::string, V, StringHash, StringEq>;

// A limit as the throttling stage needs it: the policy, the name it is reported under, and the
// stable counter key (see core/hash.h) that identifies it across processes.
struct CompiledRate {
  RateLimit rate;
  std::string name;
  uint64_t key = 0;
  ratelimit::GcraRate gcra;  // `rate`'s GCRA constants (CompileRate), computed once at build
};
struct CompiledQuota {
  Quota quota;
  std::string name;
  uint64_t key = 0;
};

// The limits of a plan for one holder (subscription, application, resource × application).
struct CompiledPlanLimits {
  std::optional<CompiledRate> rate;
  std::optional<CompiledQuota> quota;
  bool empty() const { return !rate && !quota; }
};

struct CompiledKeyedLimit {
  enum class Source : uint8_t { kIp, kHeader, kQuery, kClaim };
  Source source = Source::kIp;
  int prefix_bits = -1;  // kIp: mask the address to this many bits; -1 = whole address
  std::string name;      // header (lower case), query parameter or claim name
  CompiledRate rate;     // key = base; the request's value is hashed into it
};

struct CompiledResource {
  std::string method;  // "*" = any
  PathTemplate path;
  AuthType auth = AuthType::kApiKey;
  std::vector<std::string> scopes;  // a bearer token must carry all of them
  std::string scope_text;           // the same, space-separated, for WWW-Authenticate
  // Resource-level plan, counted per application: the key here is the base that the
  // application's key is combined with.
  CompiledPlanLimits limits;
};

struct CompiledApi {
  uint32_t index = 0;  // position in Snapshot::apis()
  std::string id;
  std::string name;
  std::string version;
  std::string context;
  std::string virtual_host;  // lower case, no port; empty = any host
  Lifecycle lifecycle = Lifecycle::kCreated;
  // Header names tried for the API key, lower case, in order; then the query parameter
  // `key_query` when not empty. Api::api_key_header "query:NAME" means the query parameter NAME
  // only; a header name means that header only; empty means headers "apikey", "x-api-key", then
  // the query parameter "apikey".
  std::vector<std::string> key_headers;
  std::string key_query;
  std::string audience;            // required "aud" of bearer tokens; empty = not checked
  std::string backend_jwt_header;  // lower case; empty = no backend JWT
  int64_t deprecated_at = 0;       // 0 = absent
  int64_t sunset_at = 0;
  bool default_version = false;    // also routed by its context without the version segment
  std::optional<CompiledRate> backend_rate;  // shared by every caller
  std::vector<CompiledKeyedLimit> keyed_limits;
  bool fail_open = false;
  // Most specific first (see PathTemplate::specificity).
  std::vector<CompiledResource> resources;
};

struct CompiledApplication {
  uint32_t index = 0;
  std::string id;
  std::string name;
  std::string owner;
  uint64_t key = 0;            // stable hash of the id, for per-application resource limits
  CompiledPlanLimits limits;   // application-level plan, across all its APIs
  bool blocked = false;
};

// An address range of an API key's allowed_ips: the first `bits` bits of `bytes` (4 or 16 long).
struct CompiledCidr {
  std::array<unsigned char, 16> bytes{};
  uint8_t length = 4;
  uint8_t bits = 32;
};

// An API key's optional restrictions; a key without any has none (CompiledKey::restriction).
struct CompiledKeyRestriction {
  std::vector<CompiledCidr> ips;          // empty = any address
  std::vector<std::string> referrers;     // '*' patterns; empty = any Referer
  bool limit_apis = false;                // true: only the APIs in `apis`
  std::vector<uint32_t> apis;             // API indexes (unknown ids dropped)
};

inline constexpr uint32_t kNoRestriction = UINT32_MAX;

struct CompiledKey {
  uint32_t application = 0;               // Snapshot::application(index)
  uint32_t restriction = kNoRestriction;  // index into key_restrictions()
  int64_t expires_at = 0;                 // 0 = never
};

// An external token issuer as the bearer path needs it.
struct CompiledIssuer {
  uint32_t index = 0;
  std::string id;
  std::string issuer;        // exact "iss"
  std::string jwks_uri;
  std::string discovery_url;  // used when jwks_uri is empty
  std::string audience;      // issuer-wide required "aud"; empty = not checked
  std::string client_claim;  // claim naming the client
};

// A public signing key of ours, as published in the JWKS.
struct CompiledSigningKey {
  std::string kid;
  std::string public_jwk;
  int64_t created_at = 0;
  int64_t expires_at = 0;  // 0 = never
};

using Digest = std::array<unsigned char, 32>;
struct DigestHash {
  size_t operator()(const Digest& d) const {  // SHA-256 output is uniform already
    size_t h;
    std::memcpy(&h, d.data(), sizeof h);
    return h;
  }
};

struct CompiledSubscription {
  std::string plan;
  SubscriptionStatus status = SubscriptionStatus::kActive;
  int64_t created_at = 0;    // anchor of subscription-anchored quotas
  CompiledPlanLimits limits;
};

class Snapshot {
 public:
  // Compiles `data`. Only APIs that can answer traffic or explain why not (PUBLISHED, DEPRECATED,
  // RETIRED, BLOCKED) are indexed; CREATED APIs are invisible (404). Entries that do not compile
  // (a bad template stored by an older version) are skipped, never fatal. `now` (Unix seconds)
  // drops signing keys and revoked tokens that have expired; 0 keeps everything.
  static std::shared_ptr<const Snapshot> Build(const SnapshotData& data, int64_t now = 0);
  static std::shared_ptr<const Snapshot> Empty();

  // Changes entries in the overlay of a patched snapshot beyond which Patch() refuses (the
  // overlay is copied by every patch; a rebuild folds it into the tables).
  static constexpr size_t kMaxPatchEntries = 65536;

  // This snapshot with `changes` (read from the store after revision()) applied, as Build() would
  // compile them: the compiled tables are shared, the changed entries sit in a small overlay that
  // lookups consult first. nullptr when the changes cannot be applied that way — not patchable,
  // read after another revision, a snapshot not built from the store (Empty()), or an overlay
  // over kMaxPatchEntries — and the caller rebuilds. Entries naming an application or API the
  // snapshot does not have are left out, as Build() leaves them out.
  std::shared_ptr<const Snapshot> Patch(const SnapshotChanges& changes) const;
  // Entries in the overlay (0 for a snapshot fresh from Build()).
  size_t patch_size() const;
  // Whether Patch() can apply to it at all (built from the store, not Empty()).
  bool patchable() const { return t_->from_store; }

  int64_t revision() const { return revision_; }

  // The API for `host` (any case, may carry ":port") whose context is the longest prefix of
  // `path` at a segment boundary; host-specific APIs win over host-less ones at equal length.
  // On a match, `*rest` is the path after the context (always starting with '/', query removed).
  // A default version (Api::is_default_version) also answers at its context without the last
  // segment ("/petstore" for "/petstore/v1"); a real context of the same length wins over it.
  const CompiledApi* MatchApi(std::string_view host, std::string_view path,
                              std::string_view* rest) const;

  // The API named by a gateway route (AccessRequest::api_hint), with `*rest` the path relative
  // to its context, or the whole path (query removed) when it does not start with the context.
  const CompiledApi* MatchHintedApi(std::string_view id, std::string_view path,
                                    std::string_view* rest) const;

  // The most specific resource of `api` matching method + path (relative to the context).
  const CompiledResource* MatchResource(const CompiledApi& api, std::string_view method,
                                        std::string_view rest) const;

  // The key whose SHA-256 is `digest` (32 raw bytes).
  const CompiledKey* FindKey(std::string_view digest) const;
  const CompiledKeyRestriction& key_restriction(uint32_t index) const {
    const auto& base = t_->key_restrictions;
    return index < base.size() ? base[index] : overlay_.key_restrictions[index - base.size()];
  }

  // Credentials other than API keys, each → application index; nullopt when unknown.
  std::optional<uint32_t> FindMeshApplication(std::string_view principal) const;
  std::optional<uint32_t> FindOAuthClientApplication(std::string_view client_id) const;
  std::optional<uint32_t> FindExternalClientApplication(uint32_t issuer,
                                                        std::string_view client_id) const;
  const CompiledIssuer* FindIssuerByIss(std::string_view iss) const;
  const std::vector<CompiledIssuer>& issuers() const { return t_->issuers; }
  // True when a token of ours with this "jti" was revoked.
  bool IsRevoked(std::string_view jti) const;
  // Our public signing keys, newest first (expired ones left out at build time).
  const std::vector<CompiledSigningKey>& signing_keys() const { return t_->signing_keys; }

  const CompiledSubscription* FindSubscription(uint32_t application, uint32_t api) const;

  // By id (for gateways that name what to limit, e.g. Envoy rate-limit descriptors built from
  // ext_authz metadata). Only APIs that take part in traffic are found.
  const CompiledApi* FindApi(std::string_view id) const;
  const CompiledApplication* FindApplication(std::string_view id) const;

  const std::vector<CompiledApi>& apis() const { return t_->apis; }
  // The application with this index (from a credential lookup; < application_count()).
  const CompiledApplication& application(uint32_t index) const {
    const auto& base = t_->applications;
    if (index >= base.size()) return overlay_.added_applications[index - base.size()];
    if (!overlay_.changed_applications.empty()) {
      auto it = overlay_.changed_applications.find(index);
      if (it != overlay_.changed_applications.end()) return it->second;
    }
    return base[index];
  }
  size_t application_count() const {
    return t_->applications.size() + overlay_.added_applications.size();
  }
  size_t key_count() const { return key_count_; }

 private:
  // What Build() compiles; shared, never changed, by every snapshot patched from it.
  struct Tables {
    std::vector<CompiledApi> apis;
    std::vector<CompiledApplication> applications;
    // context → indexes of APIs with that context: host-specific ones first, then
    // default-version aliases (bit kAliasBit set) after the real ones.
    StringMap<std::vector<uint32_t>> by_context;
    StringMap<uint32_t> api_by_id;
    StringMap<uint32_t> application_by_id;
    // Keys by raw SHA-256 digest in a flat table: no per-key allocation (1M keys ≈ 60 MB).
    absl::flat_hash_map<Digest, CompiledKey, DigestHash> keys;
    std::vector<CompiledKeyRestriction> key_restrictions;
    absl::flat_hash_map<uint64_t, CompiledSubscription> subscriptions;  // (app << 32 | api)
    StringMap<uint32_t> mesh;           // principal → application
    StringMap<uint32_t> oauth_clients;  // our client_id → application
    std::vector<StringMap<uint32_t>> external_clients;  // per issuer index: client → app
    std::vector<CompiledIssuer> issuers;
    StringMap<uint32_t> issuer_by_iss;
    absl::flat_hash_set<std::string, StringHash, StringEq> revoked;
    std::vector<CompiledSigningKey> signing_keys;
    StringMap<Plan> plans;  // by name, to compile the limits of patched entries
    bool from_store = false;  // built from SnapshotData (Empty() is not)
  };
  // What patches changed since the tables were built: consulted before them. A disengaged
  // optional is a deletion.
  struct Overlay {
    absl::flat_hash_map<Digest, std::optional<CompiledKey>, DigestHash> keys;
    std::vector<CompiledKeyRestriction> key_restrictions;  // indexes after the tables' ones
    absl::flat_hash_map<uint64_t, std::optional<CompiledSubscription>> subscriptions;
    absl::flat_hash_map<uint32_t, CompiledApplication> changed_applications;  // by index
    std::vector<CompiledApplication> added_applications;  // indexes after the tables' ones
    StringMap<uint32_t> added_application_ids;
    StringMap<bool> removed_applications;  // ids of the tables' applications since deleted
    StringMap<std::optional<uint32_t>> mesh;           // principal → application
    StringMap<std::optional<uint32_t>> oauth_clients;  // client_id → application
    StringMap<bool> revoked;  // jti → revoked (false: purged)
    size_t size() const {
      return keys.size() + key_restrictions.size() + subscriptions.size() +
             changed_applications.size() + added_applications.size() +
             removed_applications.size() + mesh.size() + oauth_clients.size() + revoked.size();
    }
  };

  std::optional<uint32_t> ApplicationIndex(std::string_view id) const;
  const CompiledKey* FindDigest(const Digest& digest) const;

  int64_t revision_ = 0;
  size_t key_count_ = 0;
  std::shared_ptr<const Tables> t_;
  Overlay overlay_;
  static constexpr uint32_t kAliasBit = 0x80000000u;
};

}  // namespace tollgate::enforce
