// In-process counters for rate limits (GCRA) and monthly quotas: sharded maps, one short lock per
// rule, amortised sweeping. Contracts are in local_counter_store.h.
#include "ratelimit/local_counter_store.h"

#include <absl/base/attributes.h>
#include <absl/base/thread_annotations.h>
#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <mutex>

#include "ratelimit/gcra.h"
#include "ratelimit/spin_lock.h"

namespace tollgate::ratelimit {
namespace {

// The rule's rate compiled by its owner (LimitRule::gcra), or else compiled into this thread's
// scratch copy, valid until the thread's next call. A reference, not a copy: the constants are 64
// bytes and a request reads a few of them.
const GcraRate& RateOf(const LimitRule& rule) {
  if (rule.gcra != nullptr) [[likely]] {
    return *rule.gcra;
  }
  thread_local GcraRate scratch;
  scratch = CompileRate(*rule.rate);
  return scratch;
}

struct QuotaState {
  Window window;  // Unix seconds
  int64_t used = 0;
};

int64_t ToSeconds(int64_t ms) { return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); }  // floor

// The window of `rule` containing `now_s`. An unknown zone should have been refused by validation;
// if one slips through, count in UTC months rather than not at all.
Window WindowFor(const LimitRule& rule, int64_t now_s) {
  if (Result<Window> w = QuotaWindow(*rule.quota, rule.anchor, now_s); w.ok()) return *w;
  Quota utc = *rule.quota;
  utc.time_zone = "UTC";
  return QuotaWindow(utc, rule.anchor, now_s).value();  // UTC always exists
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline void QuotaOutcome(const LimitRule& rule, const Window& w,
                                                      int64_t used, bool allowed, int64_t now_ms,
                                                      LimitOutcome& out) {
  out.allowed = allowed;
  out.limit = rule.quota->requests;
  out.remaining = std::max<int64_t>(0, rule.quota->requests - used);
  out.reset_ms = std::max<int64_t>(0, w.end * 1000 - now_ms);
  out.retry_after_ms = allowed ? 0 : out.reset_ms;
  out.window_seconds = w.seconds();
  out.degraded = false;
}

}  // namespace

// One lock guards both maps of a shard. Aligned so that shards never share a cache line.
// A SpinLock (spin_lock.h): held for a probe and some arithmetic only. (Not absl::Mutex: Debian's
// Abseil build keeps deadlock detection on, which tripled the cost of a rule.)
struct alignas(64) LocalCounterStore::Shard {
  SpinLock mu;
  absl::flat_hash_map<uint64_t, int64_t> tats ABSL_GUARDED_BY(mu);        // rate: GCRA TAT (ns)
  absl::flat_hash_map<uint64_t, QuotaState> quotas ABSL_GUARDED_BY(mu);   // quota: current window
  int64_t last_full_sweep_ms ABSL_GUARDED_BY(mu) = INT64_MIN;  // HasRoom(): one sweep per ms
  // Acquire calls since the last amortised sweep. A plain load and store, not an atomic add: a
  // lost increment only delays a sweep a little, and a locked add per request costs more than
  // the count is worth.
  std::atomic<uint32_t> calls{0};
};

LocalCounterStore::LocalCounterStore(Options options)
    : options_(options), shards_(std::make_unique<Shard[]>(kShards)) {}

LocalCounterStore::~LocalCounterStore() = default;

LocalCounterStore::Shard& LocalCounterStore::ShardFor(uint64_t key) const {
  return shards_[ShardIndex(key)];
}

bool LocalCounterStore::HasRoom(Shard& shard, int64_t now_ms) {
  if (entries_.load(std::memory_order_relaxed) < options_.max_entries) return true;
  if (shard.last_full_sweep_ms < now_ms) {  // at most once per ms per shard: bounded work at the cap
    shard.last_full_sweep_ms = now_ms;
    SweepShard(shard, now_ms);
  }
  return entries_.load(std::memory_order_relaxed) < options_.max_entries;
}

// CheckRate, CheckQuota and QuotaOutcome are inlined into their callers: on the request path a
// call, its prologue and its spilled arguments cost about a tenth of a rule.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool LocalCounterStore::CheckRate(const LimitRule& rule,
                                                                      int64_t cost, int64_t now_ms,
                                                                      bool consume,
                                                                      LimitOutcome& out) {
  const int64_t now_ns = now_ms * kNsPerMs;
  Shard& shard = ShardFor(rule.key);
  std::lock_guard lock(shard.mu);
  auto it = shard.tats.find(rule.key);
  const int64_t tat = it == shard.tats.end() ? 0 : it->second;
  const GcraRate& rate = RateOf(rule);
  const GcraResult r = Gcra(tat, now_ns, rate, cost);
  if (!consume) {  // whether it would pass and when, but remaining/reset as they stand
    out = RateOutcome(Gcra(tat, now_ns, rate, 0), rate);
    out.allowed = r.allowed;
    out.retry_after_ms = RateOutcome(r, rate).retry_after_ms;
    return r.allowed;
  }
  if (r.allowed) {
    if (it != shard.tats.end()) {
      it->second = r.tat;
    } else if (HasRoom(shard, now_ms)) {
      shard.tats.emplace(rule.key, r.tat);
      entries_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  out = RateOutcome(r, rate);
  return r.allowed;
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool LocalCounterStore::CheckQuota(const LimitRule& rule,
                                                                       int64_t cost, int64_t now_ms,
                                                                       bool consume,
                                                                       LimitOutcome& out) {
  const int64_t now_s = ToSeconds(now_ms);
  const int64_t limit = rule.quota->requests;
  Shard& shard = ShardFor(rule.key);
  std::unique_lock lock(shard.mu);
  auto it = shard.quotas.find(rule.key);
  if (it == shard.quotas.end() || !it->second.window.Contains(now_s)) {
    // A new key or a new window: computing it touches the tz rules, so not under the lock.
    lock.unlock();
    const Window w = WindowFor(rule, now_s);
    lock.lock();
    it = shard.quotas.find(rule.key);  // another thread may have moved it meanwhile
    if (it != shard.quotas.end()) {
      if (it->second.window.start < w.start) it->second = QuotaState{w, 0};  // a new month
    } else if (consume && HasRoom(shard, now_ms)) {
      it = shard.quotas.emplace(rule.key, QuotaState{w, 0}).first;
      entries_.fetch_add(1, std::memory_order_relaxed);
    } else {  // inspecting an unknown key, or untracked at the cap: as if new
      lock.unlock();
      QuotaOutcome(rule, w, consume && cost <= limit ? cost : 0, cost <= limit, now_ms, out);
      return out.allowed;
    }
  }
  QuotaState& q = it->second;
  const bool allowed = q.used + cost <= limit;
  if (consume && allowed) q.used += cost;
  QuotaOutcome(rule, q.window, q.used, allowed, now_ms, out);
  return allowed;
}

void LocalCounterStore::Refund(const LimitRule& rule, int64_t cost, int64_t now_ms,
                               LimitOutcome& out) {
  Shard& shard = ShardFor(rule.key);
  std::lock_guard lock(shard.mu);
  if (rule.kind == LimitRule::Kind::kRate) {
    const GcraRate& rate = RateOf(rule);
    int64_t tat = 0;
    if (auto it = shard.tats.find(rule.key); it != shard.tats.end()) {
      tat = it->second = GcraRefund(it->second, rate, cost);
    }
    out = RateOutcome(Gcra(tat, now_ms * kNsPerMs, rate, 0), rate);
    return;
  }
  auto it = shard.quotas.find(rule.key);
  if (it == shard.quotas.end()) {  // untracked (cap): nothing was counted
    out.remaining = std::max<int64_t>(0, rule.quota->requests);
    return;
  }
  // Only the window the request was counted in; if a new month began meanwhile, nothing to undo.
  if (it->second.window.Contains(ToSeconds(now_ms))) {
    it->second.used = std::max<int64_t>(0, it->second.used - cost);
  }
  QuotaOutcome(rule, it->second.window, it->second.used, true, now_ms, out);
}

inline void LocalCounterStore::MaybeSweep(uint64_t key, int64_t now_ms) {
  if (options_.sweep_every == 0) return;
  Shard& shard = ShardFor(key);
  const uint32_t calls = shard.calls.load(std::memory_order_relaxed) + 1;
  if (calls < options_.sweep_every) {
    shard.calls.store(calls, std::memory_order_relaxed);
    return;
  }
  shard.calls.store(0, std::memory_order_relaxed);
  std::lock_guard lock(shard.mu);
  SweepShard(shard, now_ms);
}

bool LocalCounterStore::Acquire(std::span<const LimitRule> rules, int64_t cost, int64_t now_ms,
                                std::span<LimitOutcome> out) {
  size_t refused = rules.size();
  for (size_t i = 0; i < rules.size(); ++i) {
    const LimitRule& rule = rules[i];
    const bool ok = rule.kind == LimitRule::Kind::kRate
                        ? CheckRate(rule, cost, now_ms, /*consume=*/true, out[i])
                        : CheckQuota(rule, cost, now_ms, /*consume=*/true, out[i]);
    if (!ok) {
      refused = i;
      break;
    }
  }
  if (refused < rules.size()) {
    // All or nothing: give back what the earlier rules took; describe the later ones untouched.
    for (size_t i = 0; i < refused; ++i) Refund(rules[i], cost, now_ms, out[i]);
    for (size_t i = refused + 1; i < rules.size(); ++i) {
      if (rules[i].kind == LimitRule::Kind::kRate) {
        CheckRate(rules[i], cost, now_ms, /*consume=*/false, out[i]);
      } else {
        CheckQuota(rules[i], cost, now_ms, /*consume=*/false, out[i]);
      }
    }
  }
  if (!rules.empty()) MaybeSweep(rules[0].key, now_ms);
  return refused == rules.size();
}

int64_t LocalCounterStore::QuotaUsed(const LimitRule& rule, int64_t now_ms) {
  if (rule.kind != LimitRule::Kind::kQuota) return 0;
  Shard& shard = ShardFor(rule.key);
  std::lock_guard lock(shard.mu);
  auto it = shard.quotas.find(rule.key);
  if (it == shard.quotas.end() || !it->second.window.Contains(ToSeconds(now_ms))) return 0;
  return it->second.used;
}

size_t LocalCounterStore::SweepShard(Shard& shard, int64_t now_ms) {
  const int64_t now_ns = now_ms * kNsPerMs;
  const int64_t now_s = ToSeconds(now_ms);
  size_t dropped = absl::erase_if(shard.tats, [&](const auto& kv) { return GcraIdle(kv.second, now_ns); });
  dropped += absl::erase_if(shard.quotas, [&](const auto& kv) { return now_s >= kv.second.window.end; });
  entries_.fetch_sub(dropped, std::memory_order_relaxed);
  return dropped;
}

size_t LocalCounterStore::Sweep(int64_t now_ms) {
  size_t dropped = 0;
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    dropped += SweepShard(shards_[i], now_ms);
  }
  return dropped;
}

size_t LocalCounterStore::size() const { return entries_.load(std::memory_order_relaxed); }

std::vector<LocalCounterStore::QuotaRecord> LocalCounterStore::ExportQuotas() const {
  std::vector<QuotaRecord> records;
  for (size_t i = 0; i < kShards; ++i) {
    Shard& shard = shards_[i];
    std::lock_guard lock(shard.mu);
    for (const auto& [key, q] : shard.quotas) {
      if (q.used > 0) records.push_back({key, q.window.start, q.window.end, q.used});
    }
  }
  return records;
}

void LocalCounterStore::ImportQuotas(const std::vector<QuotaRecord>& records) {
  for (const QuotaRecord& r : records) {
    if (r.window_end <= r.window_start || r.used <= 0) continue;
    Shard& shard = ShardFor(r.key);
    std::lock_guard lock(shard.mu);
    const QuotaState saved{Window{r.window_start, r.window_end}, r.used};
    auto it = shard.quotas.find(r.key);
    if (it == shard.quotas.end()) {
      if (entries_.load(std::memory_order_relaxed) >= options_.max_entries) continue;
      shard.quotas.emplace(r.key, saved);
      entries_.fetch_add(1, std::memory_order_relaxed);
    } else if (it->second.window.start == r.window_start) {
      it->second.used = std::max(it->second.used, r.used);
    } else if (it->second.window.start < r.window_start) {
      it->second = saved;
    }
  }
}

}  // namespace tollgate::ratelimit
