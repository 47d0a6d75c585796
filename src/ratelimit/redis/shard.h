// The Redis counter store's key map shard: one lock guarding both the map and every KeyState in
// it (the hot path takes one lock per distinct shard, like LocalCounterStore). Private to the
// store's .cc files (Abseil stays out of the public header).
#pragma once

#include <absl/container/flat_hash_map.h>

#include <atomic>
#include <cstdint>
#include <memory>

#include "ratelimit/redis/key_state.h"
#include "ratelimit/spin_lock.h"

namespace tollgate::ratelimit::redis_internal {

struct MapKey {
  uint64_t key;
  LimitRule::Kind kind;
  bool operator==(const MapKey&) const = default;
};

// Keys are hashes already, but tests and benchmarks use consecutive ones: mix, so that both the
// shard (top bits) and the map's probe position (low bits) spread.
inline uint64_t MixKey(uint64_t key, LimitRule::Kind kind) {
  uint64_t x = key ^ (static_cast<uint64_t>(kind) << 63);
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

struct MapKeyHash {
  size_t operator()(const MapKey& k) const { return MixKey(k.key, k.kind); }
};

inline constexpr size_t kShards = 64;
inline size_t ShardIndex(uint64_t key, LimitRule::Kind kind) {
  return static_cast<size_t>(MixKey(key, kind) >> 58);  // top 6 bits: 64 shards
}

struct alignas(64) Shard {
  SpinLock mu;  // held for a few dozen instructions per rule (spin_lock.h)
  // States are heap nodes (unique_ptr): the sync thread keeps pointers to queued ones.
  absl::flat_hash_map<MapKey, std::unique_ptr<KeyState>, MapKeyHash> map;  // guarded by mu
  // Acquire() calls whose first rule lives here; written under mu, read without it by GetStats.
  std::atomic<int64_t> requests{0};
};

}  // namespace tollgate::ratelimit::redis_internal
