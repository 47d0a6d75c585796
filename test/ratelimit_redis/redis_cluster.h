// A real three-master Redis Cluster for tests: three cluster-enabled redis-servers on free
// loopback ports, slots split in thirds (CLUSTER ADDSLOTSRANGE), joined with CLUSTER MEET,
// ready once every node reports cluster_state:ok (a master refuses keys for its first ~2 s).
// Optionally one replica per master (nodes kMasters…: node kMasters + i replicates master i),
// with a short node timeout so that a killed master fails over within a few seconds.
// Commands to a node go through the store's own RedisConnection.
#pragma once

#include <array>
#include <chrono>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ratelimit/redis/redis_connection.h"
#include "ratelimit_redis/redis_server.h"

namespace tollgate::redis_test {

class RedisCluster {
 public:
  static constexpr size_t kMasters = 3;

  // `appendonly`: every node keeps an AOF (fsync always), so that a killed master restarts with
  // its data. `replicas`: one replica per master, linked before ready() (node timeout 1 s).
  // Check ready() before use.
  explicit RedisCluster(bool appendonly = false, bool replicas = false) {
    const int node_timeout_ms = replicas ? 1000 : 0;
    for (size_t i = 0; i < (replicas ? 2 : 1) * kMasters; ++i) {
      nodes_.push_back(std::make_unique<RedisServer>(appendonly, /*cluster=*/true, node_timeout_ms));
    }
    ready_ = Form() && (!replicas || LinkReplicas());
  }

  bool ready() const { return ready_; }
  size_t size() const { return nodes_.size(); }
  RedisServer& node(size_t i) { return *nodes_[i]; }
  std::string url(size_t i = 0) const { return nodes_[i]->url(); }

  // One command on node `i`; a transport failure reads as an error reply. `asking`: sent right
  // after ASKING, so that a node importing the key's slot answers instead of redirecting.
  ratelimit::RedisReply Command(size_t i, std::initializer_list<std::string_view> args,
                                bool asking = false) {
    ratelimit::RedisReply reply;
    reply.type = ratelimit::RedisReply::Type::kError;
    auto conn = ratelimit::RedisConnection::Open(
        ratelimit::ConnectionOptions{"127.0.0.1", nodes_[i]->port(), std::nullopt, 0,
                                     std::chrono::milliseconds(500),
                                     std::chrono::milliseconds(2000)});
    if (!conn.ok()) {
      reply.text = conn.error().message;
      return reply;
    }
    const std::string_view kAsking[] = {"ASKING"};
    if (asking) (*conn)->Append(kAsking);
    (*conn)->Append(std::span(args.begin(), args.size()));
    std::vector<ratelimit::RedisReply> replies;
    if (!(*conn)->Exchange(replies).ok() || replies.empty()) return reply;
    return replies.back();
  }

  // The node serving `key`, as the nodes themselves say: the one that answers a GET instead of
  // redirecting it (a replica redirects too; a node that is down does not answer) — size() when
  // none does.
  size_t Owner(std::string_view key) {
    for (size_t i = 0; i < nodes_.size(); ++i) {
      const ratelimit::RedisReply r = Command(i, {"GET", key});
      if (r.type != ratelimit::RedisReply::Type::kError) return i;
    }
    return nodes_.size();
  }

  std::string NodeId(size_t i) { return Command(i, {"CLUSTER", "MYID"}).text; }

  // Waits (≤ 10 s) until node `i` reports cluster_state:ok.
  bool WaitOk(size_t i) { return WaitFor(i, {"CLUSTER", "INFO"}, "cluster_state:ok"); }

  // Waits (≤ 10 s) until node `i`'s `INFO replication` says it is a master.
  bool WaitMaster(size_t i) { return WaitFor(i, {"INFO", "replication"}, "role:master"); }

  // Moves `slot` from master `from` to master `to` the way redis-cli --cluster reshard does:
  // BeginMigration, `pause`, MigrateKeys, FinishMigration. `pause` is also slept after each key,
  // so that clients meet ASK/TRYAGAIN and then MOVED. True when every step succeeded.
  bool MoveSlot(int slot, size_t from, size_t to, std::chrono::milliseconds pause) {
    if (!BeginMigration(slot, from, to)) return false;
    std::this_thread::sleep_for(pause);
    return MigrateKeys(slot, from, to, pause) && FinishMigration(slot, from, to);
  }

  // The steps of MoveSlot, for tests that hold a slot half-migrated. IMPORTING on the target,
  // then MIGRATING on the source: from now on the source answers ASK for the slot's keys it no
  // longer has.
  bool BeginMigration(int slot, size_t from, size_t to) {
    using Type = ratelimit::RedisReply::Type;
    const std::string s = std::to_string(slot);
    if (Command(to, {"CLUSTER", "SETSLOT", s, "IMPORTING", NodeId(from)}).type == Type::kError) {
      return false;
    }
    return Command(from, {"CLUSTER", "SETSLOT", s, "MIGRATING", NodeId(to)}).type != Type::kError;
  }

  // MIGRATEs every key of the slot from `from` to `to`, one key per MIGRATE (clients see the
  // slot's keys split between the two), sleeping `pause` after each.
  bool MigrateKeys(int slot, size_t from, size_t to, std::chrono::milliseconds pause) {
    using Type = ratelimit::RedisReply::Type;
    const std::string s = std::to_string(slot);
    const std::string target_port = std::to_string(nodes_[to]->port());
    for (;;) {
      const ratelimit::RedisReply keys = Command(from, {"CLUSTER", "GETKEYSINSLOT", s, "100"});
      if (keys.type != Type::kArray) return false;
      if (keys.texts.empty()) return true;
      for (const std::string& key : keys.texts) {
        const ratelimit::RedisReply moved =
            Command(from, {"MIGRATE", "127.0.0.1", target_port, key, "0", "5000"});
        if (moved.type == Type::kError) return false;
        std::this_thread::sleep_for(pause);
      }
    }
  }

  // SETSLOT NODE on the target and the source, then on the other masters: the slot is `to`'s,
  // and the source answers MOVED from now on.
  bool FinishMigration(int slot, size_t from, size_t to) {
    using Type = ratelimit::RedisReply::Type;
    const std::string s = std::to_string(slot);
    const std::string target = NodeId(to);
    for (size_t i : {to, from}) {
      if (Command(i, {"CLUSTER", "SETSLOT", s, "NODE", target}).type == Type::kError) return false;
    }
    for (size_t i = 0; i < kMasters; ++i) {
      if (i != to && i != from) Command(i, {"CLUSTER", "SETSLOT", s, "NODE", target});
    }
    return true;
  }

 private:
  bool Form() {
    using Type = ratelimit::RedisReply::Type;
    for (auto& node : nodes_) {
      if (!node->Start()) return false;
    }
    constexpr int kThird = 16384 / 3;
    for (size_t i = 0; i < kMasters; ++i) {
      const std::string first = std::to_string(static_cast<int>(i) * kThird);
      const std::string last = std::to_string(i + 1 == kMasters ? 16383 : (i + 1) * kThird - 1);
      if (Command(i, {"CLUSTER", "ADDSLOTSRANGE", first, last}).type == Type::kError) return false;
    }
    for (size_t i = 1; i < kMasters; ++i) {
      const std::string port = std::to_string(nodes_[i]->port());
      const std::string bus = std::to_string(nodes_[i]->cluster_port());
      if (Command(0, {"CLUSTER", "MEET", "127.0.0.1", port, bus}).type == Type::kError) {
        return false;
      }
    }
    for (size_t i = 0; i < kMasters; ++i) {
      if (!WaitOk(i)) return false;
    }
    return true;
  }

  // Node kMasters + i joins and replicates master i; true once every replica's link is up and
  // every node sees the cluster ok.
  bool LinkReplicas() {
    using Type = ratelimit::RedisReply::Type;
    for (size_t r = kMasters; r < nodes_.size(); ++r) {
      if (!nodes_[r]->Start()) return false;
      const std::string port = std::to_string(nodes_[r]->port());
      const std::string bus = std::to_string(nodes_[r]->cluster_port());
      if (Command(0, {"CLUSTER", "MEET", "127.0.0.1", port, bus}).type == Type::kError) {
        return false;
      }
    }
    for (size_t r = kMasters; r < nodes_.size(); ++r) {
      const std::string master = NodeId(r - kMasters);
      // The replica must have heard of its master (gossip) before it can follow it.
      if (!WaitFor(r, {"CLUSTER", "NODES"}, master)) return false;
      if (Command(r, {"CLUSTER", "REPLICATE", master}).type == Type::kError) return false;
    }
    for (size_t r = kMasters; r < nodes_.size(); ++r) {
      if (!WaitFor(r, {"INFO", "replication"}, "master_link_status:up")) return false;
    }
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (!WaitOk(i)) return false;
    }
    return true;
  }

  // Waits (≤ 10 s) until the reply of `command` on node `i` contains `text`.
  bool WaitFor(size_t i, std::initializer_list<std::string_view> command, std::string_view text) {
    for (int n = 0; n < 1000; ++n) {
      if (Command(i, command).text.find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::vector<std::unique_ptr<RedisServer>> nodes_;
  bool ready_ = false;
};

}  // namespace tollgate::redis_test
