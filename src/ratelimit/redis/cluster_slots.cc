// Key slots, the slot map and ASK redirects of Redis Cluster; contracts in cluster_slots.h.
#include "ratelimit/redis/cluster_slots.h"

#include <algorithm>
#include <charconv>

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

// `text` as a decimal number of one to five digits (no sign, no space) not above `max`.
std::optional<int> Decimal(std::string_view text, int max) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value > max) return std::nullopt;
  return value;
}

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

std::optional<AskRedirect> ParseAsk(std::string_view text, std::string_view answered_by) {
  constexpr std::string_view kAsk = "ASK ";
  if (!text.starts_with(kAsk)) return std::nullopt;
  text.remove_prefix(kAsk.size());
  const size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::optional<int> slot = Decimal(text.substr(0, space), kClusterSlots - 1);
  std::string_view endpoint = text.substr(space + 1);
  if (const size_t at = endpoint.find('@'); at != std::string_view::npos) {
    if (!Decimal(endpoint.substr(at + 1), 65535)) return std::nullopt;
    endpoint = endpoint.substr(0, at);
  }
  const size_t colon = endpoint.rfind(':');
  if (!slot || colon == std::string_view::npos) return std::nullopt;
  const std::optional<int> port = Decimal(endpoint.substr(colon + 1), 65535);
  std::string_view host = endpoint.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (!port || *port == 0 || host.find_first_of("[] \t\r\n") != std::string_view::npos) {
    return std::nullopt;
  }
  if (host.empty() || host == "?") host = answered_by;
  return AskRedirect{static_cast<uint16_t>(*slot), NodeAddress{std::string(host), *port}};
}

}  // namespace tollgate::ratelimit::redis_internal
