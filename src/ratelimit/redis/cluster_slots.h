// Redis Cluster's key → slot function (CRC16/XMODEM of the key's hash tag, mod 16384), the
// slot → master map the counter store routes its script calls by, and the reading of an ASK
// redirect. Pure: no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace tollgate::ratelimit::redis_internal {

inline constexpr int kClusterSlots = 16384;

// CRC16 as the Redis Cluster specification defines it (XMODEM: polynomial 0x1021, initial value
// 0, no reflection, no final xor). Crc16("123456789") == 0x31C3.
uint16_t Crc16(std::string_view data);

// The slot of `key`: CRC16 of the content of its first "{…}" when that is non-empty, else of the
// whole key, mod 16384 — what `CLUSTER KEYSLOT` answers.
uint16_t KeySlot(std::string_view key);

// A Redis node's address as CLUSTER SLOTS announces it.
struct NodeAddress {
  std::string host;
  int port = 0;
  bool operator==(const NodeAddress&) const = default;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};

// One row of CLUSTER SLOTS: the slots first..last (inclusive) are served by `master`.
struct SlotRange {
  int first = 0;
  int last = 0;
  NodeAddress master;
};

// What an "ASK <slot> <endpoint>" error reply says: `slot` is being migrated to `target`, which
// already has the call's keys; the call is to be sent there once, right after ASKING.
struct AskRedirect {
  uint16_t slot = 0;
  NodeAddress target;
};

// Reads the text of an ASK error reply. The endpoint is "host:port" — Redis writes an IPv6
// address bare ("::1:6381": the port follows the last colon) — or "[ipv6]:port", either maybe
// followed by "@<cluster bus port>" (ignored); an empty host or "?" (Redis 7: endpoint unknown)
// means `answered_by`, the host of the node that answered. std::nullopt for any other text: not
// ASK, a slot not in 0..16383, a port not in 1..65535, a field missing or text after them.
std::optional<AskRedirect> ParseAsk(std::string_view text, std::string_view answered_by);

// Which master serves each slot. Masters are numbered in the order they first appear in the
// ranges given to Build(), so that a node's index is stable for one map.
class SlotMap {
 public:
  // Error kUnavailable (code "redis_cluster_slots") when a range is out of bounds or a slot is
  // served by no master: a cluster that does not cover every slot refuses those keys anyway.
  static Result<SlotMap> Build(const std::vector<SlotRange>& ranges);

  size_t NodeOfSlot(uint16_t slot) const { return owner_[slot]; }
  const std::vector<NodeAddress>& masters() const { return masters_; }

 private:
  std::vector<NodeAddress> masters_;
  std::array<uint16_t, kClusterSlots> owner_{};  // index into masters_
};

}  // namespace tollgate::ratelimit::redis_internal
