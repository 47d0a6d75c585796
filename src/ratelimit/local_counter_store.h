// Counters kept in this process: exact on one node, lock-light (one short lock per rule on one of
// 64 shards), memory bounded (idle entries are swept; a hard cap bounds the rest).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "ratelimit/counter_store.h"

namespace tollgate::ratelimit {

class LocalCounterStore final : public CounterStore {
 public:
  struct Options {
    // Above this many live entries, a key that is not yet tracked is decided as if new and not
    // stored (its limit cannot be enforced until a sweep makes room). Sweeps run every
    // `sweep_every` calls per shard and drop full rate buckets and ended quota windows.
    size_t max_entries = 2'000'000;
    uint32_t sweep_every = 4096;
  };

  LocalCounterStore() : LocalCounterStore(Options{}) {}
  explicit LocalCounterStore(Options options);

  bool Acquire(std::span<const LimitRule> rules, int64_t cost, int64_t now_ms,
               std::span<LimitOutcome> out) override;
  int64_t QuotaUsed(const LimitRule& rule, int64_t now_ms) override;

  // Drops entries that carry no information any more at `now_ms`. Returns how many were dropped.
  size_t Sweep(int64_t now_ms);
  size_t size() const;

  // Quota counters, to be saved so that a restart does not reset monthly quotas.
  struct QuotaRecord {
    uint64_t key = 0;
    int64_t window_start = 0;  // Unix seconds
    int64_t window_end = 0;
    int64_t used = 0;
  };
  std::vector<QuotaRecord> ExportQuotas() const;
  // Restores saved counters; a counter already present keeps the larger count.
  void ImportQuotas(const std::vector<QuotaRecord>& records);

 private:
  struct QuotaState {
    int64_t window_start = 0;
    int64_t window_end = 0;
    int64_t used = 0;
  };
  // One lock guards both maps of a shard.
  struct alignas(64) Shard {
    mutable std::mutex mu;
    absl::flat_hash_map<uint64_t, int64_t> tats;       // rate: GCRA TAT (ns)
    absl::flat_hash_map<uint64_t, QuotaState> quotas;  // quota: current window
    std::atomic<uint32_t> calls{0};                    // for amortised sweeping; no lock needed
  };

  Shard& ShardFor(uint64_t key) { return shards_[key % shards_.size()]; }
  bool TakeRate(const LimitRule& rule, int64_t cost, int64_t now_ns, LimitOutcome& out);
  bool TakeQuota(const LimitRule& rule, int64_t cost, int64_t now_ms, LimitOutcome& out);
  void Refund(const LimitRule& rule, int64_t cost);
  size_t SweepShard(Shard& shard, int64_t now_ms);  // shard.mu held
  bool Full() const { return entries_.load(std::memory_order_relaxed) >= options_.max_entries; }

  const Options options_;
  std::array<Shard, 64> shards_;
  std::atomic<size_t> entries_{0};
};

}  // namespace tollgate::ratelimit
