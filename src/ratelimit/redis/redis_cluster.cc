// RedisNodes: mode detection, the masters' connections and slot map reloads; contracts in
// redis_cluster.h.
#include "ratelimit/redis/redis_cluster.h"

#include <algorithm>

namespace tollgate::ratelimit {
namespace {

Error Unavailable(std::string message) {
  return Error{ErrorKind::kUnavailable, "redis_unavailable", std::move(message), {}};
}

ConnectionOptions At(ConnectionOptions options, const redis_internal::NodeAddress& node) {
  options.host = node.host;
  options.port = node.port;
  return options;
}

}  // namespace

ClusterError ClassifyError(std::string_view text) {
  if (text.starts_with("MOVED ")) return ClusterError::kMoved;
  if (text.starts_with("ASK ")) return ClusterError::kAsk;
  if (text.starts_with("TRYAGAIN")) return ClusterError::kTryAgain;
  if (text.starts_with("CLUSTERDOWN")) return ClusterError::kClusterDown;
  return ClusterError::kNone;
}

Result<std::unique_ptr<RedisNodes>> RedisNodes::Open(const ConnectionOptions& options,
                                                     std::span<const NodeAddress> seeds) {
  std::string tried;
  for (const NodeAddress& seed : seeds) {
    Result<std::unique_ptr<RedisConnection>> conn = RedisConnection::Open(At(options, seed));
    Result<std::optional<std::vector<redis_internal::SlotRange>>> ranges =
        conn.ok() ? (*conn)->ClusterSlots() : conn.error();
    if (!ranges.ok()) {
      tried += (tried.empty() ? "" : "; ") + ranges.error().message;
      continue;
    }
    std::unique_ptr<RedisNodes> nodes(new RedisNodes(options));
    if (!*ranges) {  // a plain server: used alone, as it always was
      nodes->addresses_.push_back(seed);
      nodes->connections_.push_back(std::move(*conn));
      return nodes;
    }
    Result<redis_internal::SlotMap> map = redis_internal::SlotMap::Build(**ranges);
    if (!map.ok()) return Error{map.error().kind, map.error().code,
                                map.error().message + " (asked " + seed.ToString() + ")", {}};
    nodes->cluster_ = true;
    std::vector<std::unique_ptr<RedisConnection>> spare;
    spare.push_back(std::move(*conn));
    if (Status s = nodes->Adopt(std::move(*map), std::move(spare)); !s.ok()) return s.error();
    for (auto& master : nodes->connections_) {
      if (Status s = master->ClusterStateOk(); !s.ok()) return s.error();
    }
    return nodes;
  }
  return Unavailable(seeds.empty() ? std::string("redis: no node to connect to") : tried);
}

Status RedisNodes::Reload() {
  if (!cluster_) return Ok();
  std::string tried;
  for (auto& conn : connections_) {
    Result<std::optional<std::vector<redis_internal::SlotRange>>> ranges = conn->ClusterSlots();
    if (!ranges.ok()) {
      tried += (tried.empty() ? "" : "; ") + ranges.error().message;
      continue;
    }
    if (!*ranges) return Unavailable("redis " + conn->address() + " left cluster mode");
    Result<redis_internal::SlotMap> map = redis_internal::SlotMap::Build(**ranges);
    if (!map.ok()) return map.error();
    return Adopt(std::move(*map), std::move(connections_));
  }
  return Unavailable(tried.empty() ? std::string("redis cluster: no master connected") : tried);
}

std::optional<size_t> RedisNodes::NodeAt(const NodeAddress& address) const {
  const auto it = std::find(addresses_.begin(), addresses_.end(), address);
  if (it == addresses_.end()) return std::nullopt;
  return static_cast<size_t>(it - addresses_.begin());
}

Status RedisNodes::Adopt(redis_internal::SlotMap map,
                         std::vector<std::unique_ptr<RedisConnection>> spare) {
  map_ = std::make_unique<redis_internal::SlotMap>(std::move(map));
  addresses_ = map_->masters();
  connections_.clear();
  for (const NodeAddress& master : addresses_) {
    const std::string address = master.ToString();
    auto reuse = std::find_if(spare.begin(), spare.end(), [&](const auto& c) {
      return c != nullptr && c->address() == address;
    });
    if (reuse != spare.end()) {
      connections_.push_back(std::move(*reuse));
      continue;
    }
    Result<std::unique_ptr<RedisConnection>> conn = RedisConnection::Open(At(options_, master));
    if (!conn.ok()) return conn.error();
    // A master that just restarted answers CLUSTERDOWN for ~2 s: not ready yet.
    if (Status s = (*conn)->ClusterStateOk(); !s.ok()) return s;
    connections_.push_back(std::move(*conn));
  }
  return Ok();
}

}  // namespace tollgate::ratelimit
