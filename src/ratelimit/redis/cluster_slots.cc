// Key slots and the slot map of Redis Cluster; contracts in cluster_slots.h.
#include "ratelimit/redis/cluster_slots.h"

#include <algorithm>

namespace tollgate::ratelimit::redis_internal {
namespace {

// The XMODEM table, one entry per byte value: the same values as the table in the Redis Cluster
// specification (crc16.c), computed at compile time instead of written out.
constexpr std::array<uint16_t, 256> MakeCrc16Table() {
  std::array<uint16_t, 256> table{};
  for (int byte = 0; byte < 256; ++byte) {
    auto crc = static_cast<uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = static_cast<uint16_t>((crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    table[static_cast<size_t>(byte)] = crc;
  }
  return table;
}
constexpr std::array<uint16_t, 256> kCrc16Table = MakeCrc16Table();

}  // namespace

uint16_t Crc16(std::string_view data) {
  uint16_t crc = 0;
  for (const char c : data) {
    const auto index = static_cast<uint8_t>((crc >> 8) ^ static_cast<uint8_t>(c));
    crc = static_cast<uint16_t>((crc << 8) ^ kCrc16Table[index]);
  }
  return crc;
}

uint16_t KeySlot(std::string_view key) {
  const size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return static_cast<uint16_t>(Crc16(key) & (kClusterSlots - 1));
}

Result<SlotMap> SlotMap::Build(const std::vector<SlotRange>& ranges) {
  auto bad = [](std::string message) {
    return Error{ErrorKind::kUnavailable, "redis_cluster_slots", std::move(message), {}};
  };
  constexpr uint16_t kNone = UINT16_MAX;
  SlotMap map;
  map.owner_.fill(kNone);
  for (const SlotRange& r : ranges) {
    if (r.first < 0 || r.last >= kClusterSlots || r.first > r.last) {
      return bad("redis cluster: bad slot range " + std::to_string(r.first) + "-" +
                 std::to_string(r.last) + " of " + r.master.ToString());
    }
    auto it = std::find(map.masters_.begin(), map.masters_.end(), r.master);
    if (it == map.masters_.end()) it = map.masters_.insert(it, r.master);
    const auto index = static_cast<uint16_t>(it - map.masters_.begin());
    std::fill(map.owner_.begin() + r.first, map.owner_.begin() + r.last + 1, index);
  }
  const auto uncovered = std::count(map.owner_.begin(), map.owner_.end(), kNone);
  if (uncovered != 0) {
    const auto first = std::find(map.owner_.begin(), map.owner_.end(), kNone) - map.owner_.begin();
    return bad("redis cluster: " + std::to_string(uncovered) + " slots have no master (first: " +
               std::to_string(first) + ")");
  }
  return map;
}

}  // namespace tollgate::ratelimit::redis_internal
