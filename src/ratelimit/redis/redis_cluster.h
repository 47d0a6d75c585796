// The Redis node(s) the counter store talks to: one server, or every master of a Redis Cluster
// together with the slot map that says which master serves a key. The mode is detected when
// connecting (CLUSTER SLOTS), so `--counters redis://host:port` may name a plain server or any
// node of a cluster. Used only by the store's sync thread (and Connect()); not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ratelimit/redis/cluster_slots.h"
#include "ratelimit/redis/redis_connection.h"

namespace tollgate::ratelimit {

// What an error reply of a keyed command says about the cluster. A redirected call was not run
// at all (Redis checks a script's declared keys before running it), so sending it again later is
// exact.
enum class ClusterError : uint8_t {
  kNone,         // not a cluster error (NOSCRIPT, OOM, a script's runtime error…)
  kMoved,        // MOVED: the slot is served by another master now
  kAsk,          // ASK: the slot is being migrated and this key is not (any more) here
  kTryAgain,     // TRYAGAIN: a multi-key call whose keys are split by a migration
  kClusterDown,  // CLUSTERDOWN: the cluster refuses keys (lost slots, a master just restarted)
};
ClusterError ClassifyError(std::string_view text);

class RedisNodes {
 public:
  using NodeAddress = redis_internal::NodeAddress;

  // Connects to the first of `seeds` that answers (with `options`' credentials and timeouts;
  // its host and port are ignored), then asks it CLUSTER SLOTS: a server without cluster
  // support is used alone, exactly as before Cluster support; a cluster node yields the slot
  // map, and every master is connected (scripts loaded) and must report cluster_state:ok.
  // Errors are kUnavailable naming every seed tried, or the master that failed.
  static Result<std::unique_ptr<RedisNodes>> Open(const ConnectionOptions& options,
                                                  std::span<const NodeAddress> seeds);

  // Cluster mode: loads the slot map again from the first master that answers (after MOVED,
  // ASK, TRYAGAIN), connects to masters not connected yet and closes connections to nodes that
  // no longer serve slots. Node numbers may change. An error means the cluster is unreachable
  // as a whole (the caller drops this object). No-op in single-server mode.
  Status Reload();

  bool cluster() const { return cluster_; }
  size_t size() const { return connections_.size(); }  // masters (1 in single-server mode)
  RedisConnection& connection(size_t node) { return *connections_[node]; }
  const NodeAddress& address(size_t node) const { return addresses_[node]; }
  // The node serving `slot` (always 0 in single-server mode).
  size_t NodeOfSlot(uint16_t slot) const { return cluster_ ? map_->NodeOfSlot(slot) : 0; }
  size_t NodeOfKey(std::string_view key) const {
    return cluster_ ? map_->NodeOfSlot(redis_internal::KeySlot(key)) : 0;
  }
  // The connected master at `address` (exactly as the slot map names it), if any: where an ASK
  // redirect is followed.
  std::optional<size_t> NodeAt(const NodeAddress& address) const;

 private:
  explicit RedisNodes(const ConnectionOptions& options) : options_(options) {}
  // Takes `map` and connects to its masters, reusing the connections in `spare` (by address).
  Status Adopt(redis_internal::SlotMap map,
               std::vector<std::unique_ptr<RedisConnection>> spare);

  ConnectionOptions options_;
  bool cluster_ = false;
  std::unique_ptr<redis_internal::SlotMap> map_;  // cluster mode
  std::vector<NodeAddress> addresses_;             // per node, as in map_->masters()
  std::vector<std::unique_ptr<RedisConnection>> connections_;
};

}  // namespace tollgate::ratelimit
