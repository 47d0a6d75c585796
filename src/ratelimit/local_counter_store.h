// Counters kept in this process: exact on one node, lock-light (one short lock per rule on one of
// 64 shards), memory bounded (idle entries are swept; a hard cap bounds the rest).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "ratelimit/counter_store.h"

namespace tollgate::ratelimit {

// Rate rules use GCRA (gcra.h); quota rules count requests in the current QuotaWindow (calendar.h).
//
// Acquire(): rules are checked and consumed in order, each under its shard's lock only. If rule k
// refuses, rules 0..k-1 are refunded (their budget is as if the request never came) and rules after
// k are inspected without consuming, so `out` describes every rule: `allowed` says whether that rule
// alone would have admitted the request and `retry_after_ms` when (a caller wanting the true retry
// time takes the maximum over the refusing rules). Concurrent callers never over-admit: a refund
// only returns what the same call took. Between a take and its refund another request may briefly
// see the smaller budget (it may be refused where a strictly serial order would have admitted it;
// it is never admitted where that order would refuse).
//
// Memory: an entry exists only while it carries information — a rate key while its bucket is not
// full (TAT > now), a quota key while its window has not ended. Every `sweep_every` Acquire calls
// touching a shard, that shard drops entries that carry none; Sweep() does all shards (an owner may
// call it from a timer and set sweep_every = 0). At `max_entries` live entries (approximate under
// concurrency, by at most the number of concurrent callers), the shard is swept first; if it is
// still full, a key not yet tracked is decided as if it were new — full bucket, empty quota — and
// is not stored: its limit is not enforced until room frees up. Tracked keys keep exact counts.
// Size the cap well above the expected active keys (~40 bytes each).
//
// Time is passed in (`now_ms`, Unix milliseconds); nothing here reads a clock. All methods are
// thread-safe.
class LocalCounterStore final : public CounterStore {
 public:
  struct Options {
    size_t max_entries = 2'000'000;
    uint32_t sweep_every = 4096;  // Acquire calls per shard between sweeps; 0 = only Sweep()
  };

  LocalCounterStore() : LocalCounterStore(Options{}) {}
  explicit LocalCounterStore(Options options);
  ~LocalCounterStore() override;
  LocalCounterStore(const LocalCounterStore&) = delete;
  LocalCounterStore& operator=(const LocalCounterStore&) = delete;

  bool Acquire(std::span<const LimitRule> rules, int64_t cost, int64_t now_ms,
               std::span<LimitOutcome> out) override;
  // Used count of the rule's quota window containing `now_ms`; 0 when unknown or `rule` is a rate.
  int64_t QuotaUsed(const LimitRule& rule, int64_t now_ms) override;

  // Drops entries that carry no information at `now_ms` (full rate buckets, ended quota windows).
  // Returns how many were dropped.
  size_t Sweep(int64_t now_ms);
  // Live entries (rate + quota), approximate while other threads call Acquire().
  size_t size() const;

  // Which of the 64 shards (one lock each) holds `key`'s counters: the top six bits of
  // key·2⁶⁴/φ (Fibonacci hashing, one multiply). Keys are finalised hashes already (core/hash.h);
  // the product also spreads keys that differ only in their low bits (tests, benchmarks).
  static size_t ShardIndex(uint64_t key) {
    static_assert(kShards == 64);
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> 58);
  }

  // Quota counters, to be saved so that a restart does not reset monthly quotas (the owner maps
  // them to store::Store::QuotaUsage; this library does not depend on the store).
  struct QuotaRecord {
    uint64_t key = 0;          // LimitRule::key
    int64_t window_start = 0;  // Unix seconds, inclusive
    int64_t window_end = 0;    // Unix seconds, exclusive
    int64_t used = 0;
  };
  // Every quota counter with used > 0 (windows that ended but were not swept yet included: they are
  // harmless, a window that has ended restarts at 0 when next used). Order unspecified.
  std::vector<QuotaRecord> ExportQuotas() const;
  // Restores saved counters (at start, before traffic or during it). For a key already present:
  // the same window keeps the larger count (never forgets requests counted since the save); a later
  // window replaces an earlier one; an earlier one is ignored. Respects the entry cap.
  void ImportQuotas(const std::vector<QuotaRecord>& records);

 private:
  struct Shard;  // local_counter_store.cc
  static constexpr size_t kShards = 64;

  Shard& ShardFor(uint64_t key) const;
  bool CheckRate(const LimitRule& rule, int64_t cost, int64_t now_ms, bool consume,
                 LimitOutcome& out);
  bool CheckQuota(const LimitRule& rule, int64_t cost, int64_t now_ms, bool consume,
                  LimitOutcome& out);
  void Refund(const LimitRule& rule, int64_t cost, int64_t now_ms, LimitOutcome& out);
  bool HasRoom(Shard& shard, int64_t now_ms);         // shard.mu held; may sweep the shard
  size_t SweepShard(Shard& shard, int64_t now_ms);    // shard.mu held
  void MaybeSweep(uint64_t key, int64_t now_ms);

  const Options options_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<size_t> entries_{0};
};

}  // namespace tollgate::ratelimit
