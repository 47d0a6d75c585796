// The enforcer's immutable view of everything published, compiled for lookups with no database
// call: APIs by host + context, resources by method + template, keys by hash, subscriptions by
// (application, API). Built from SnapshotData; never changed after Build(), so it is shared by
// pointer between threads without locks.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/model.h"
#include "core/path_template.h"

namespace tollgate::enforce {

// Transparent hashing so that lookups by string_view do not allocate.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// A limit as the throttling stage needs it: the policy, the name it is reported under, and the
// stable counter key (see core/hash.h) that identifies it across processes.
struct CompiledRate {
  RateLimit rate;
  std::string name;
  uint64_t key = 0;
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
  // Header names tried for the API key, lower case, in order.
  std::vector<std::string> key_headers;
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
};

struct CompiledKey {
  uint32_t application = 0;  // index into applications()
  std::optional<int64_t> expires_at;
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
  // (a bad template stored by an older version) are skipped, never fatal.
  static std::shared_ptr<const Snapshot> Build(const SnapshotData& data);
  static std::shared_ptr<const Snapshot> Empty();

  int64_t revision() const { return revision_; }

  // The API for `host` (any case, may carry ":port") whose context is the longest prefix of
  // `path` at a segment boundary; host-specific APIs win over host-less ones at equal length.
  // On a match, `*rest` is the path after the context (always starting with '/', query removed).
  const CompiledApi* MatchApi(std::string_view host, std::string_view path,
                              std::string_view* rest) const;

  // The most specific resource of `api` matching method + path (relative to the context).
  const CompiledResource* MatchResource(const CompiledApi& api, std::string_view method,
                                        std::string_view rest) const;

  // The key whose SHA-256 is `digest` (32 raw bytes).
  const CompiledKey* FindKey(std::string_view digest) const;

  const CompiledSubscription* FindSubscription(uint32_t application, uint32_t api) const;

  // By id (for gateways that name what to limit, e.g. Envoy rate-limit descriptors built from
  // ext_authz metadata). Only APIs that take part in traffic are found.
  const CompiledApi* FindApi(std::string_view id) const;
  const CompiledApplication* FindApplication(std::string_view id) const;

  const std::vector<CompiledApi>& apis() const { return apis_; }
  const std::vector<CompiledApplication>& applications() const { return applications_; }
  size_t key_count() const { return keys_.size(); }

 private:
  int64_t revision_ = 0;
  std::vector<CompiledApi> apis_;
  std::vector<CompiledApplication> applications_;
  // context → indexes of APIs with that context (host-specific ones first).
  StringMap<std::vector<uint32_t>> by_context_;
  StringMap<uint32_t> api_by_id_;
  StringMap<uint32_t> application_by_id_;
  StringMap<CompiledKey> keys_;  // raw 32-byte digest → key
  std::unordered_map<uint64_t, CompiledSubscription> subscriptions_;  // (app << 32 | api)
};

}  // namespace tollgate::enforce
