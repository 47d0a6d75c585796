// In-process counters for rate limits (GCRA) and monthly quotas.
#include "ratelimit/local_counter_store.h"

#include <algorithm>

#include "ratelimit/gcra.h"

namespace tollgate::ratelimit {
namespace {
constexpr int64_t kNsPerMs = 1'000'000;
}  // namespace

LocalCounterStore::LocalCounterStore(Options options) : options_(options) {}

bool LocalCounterStore::TakeRate(const LimitRule& rule, int64_t cost, int64_t now_ns,
                                 LimitOutcome& out) {
  Shard& shard = ShardFor(rule.key);
  std::lock_guard lock(shard.mu);
  auto it = shard.tats.find(rule.key);
  const int64_t tat = it == shard.tats.end() ? 0 : it->second;
  const GcraResult r = Gcra(tat, now_ns, *rule.rate, cost);
  if (r.allowed) {
    if (it != shard.tats.end()) {
      it->second = r.tat;
    } else if (!Full()) {
      shard.tats.emplace(rule.key, r.tat);
      entries_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  out.allowed = r.allowed;
  out.limit = rule.rate->requests;
  out.window_seconds = PeriodSeconds(rule.rate->per);
  out.remaining = r.remaining;
  out.reset_ms = (r.reset_ns + kNsPerMs - 1) / kNsPerMs;
  out.retry_after_ms = (r.retry_after_ns + kNsPerMs - 1) / kNsPerMs;
  return r.allowed;
}

bool LocalCounterStore::TakeQuota(const LimitRule& rule, int64_t cost, int64_t now_ms,
                                  LimitOutcome& out) {
  const int64_t now_s = now_ms / 1000;
  const int64_t limit = rule.quota->requests;
  Shard& shard = ShardFor(rule.key);
  std::unique_lock lock(shard.mu);
  auto it = shard.quotas.find(rule.key);
  if (it == shard.quotas.end() || now_s >= it->second.window_end || now_s < it->second.window_start) {
    // A new key or a new window: computing it touches the tz database, so do it unlocked.
    lock.unlock();
    auto window = QuotaWindow(*rule.quota, rule.anchor, now_s);
    lock.lock();
    if (!window.ok()) {  // an unknown zone slipped past validation: count in UTC months
      Quota utc = *rule.quota;
      utc.time_zone = "UTC";
      window = QuotaWindow(utc, rule.anchor, now_s);
    }
    it = shard.quotas.find(rule.key);
    if (it == shard.quotas.end()) {
      if (Full()) {  // untracked: decided as if new
        out.allowed = cost <= limit;
        out.limit = limit;
        out.remaining = std::max<int64_t>(0, limit - cost);
        out.window_seconds = window->end - window->start;
        out.reset_ms = (window->end - now_s) * 1000;
        return out.allowed;
      }
      it = shard.quotas.emplace(rule.key, QuotaState{window->start, window->end, 0}).first;
      entries_.fetch_add(1, std::memory_order_relaxed);
    } else if (it->second.window_start != window->start) {
      it->second = QuotaState{window->start, window->end, 0};
    }
  }
  QuotaState& q = it->second;
  out.limit = limit;
  out.window_seconds = q.window_end - q.window_start;
  out.reset_ms = std::max<int64_t>(0, q.window_end * 1000 - now_ms);
  out.allowed = q.used + cost <= limit;
  if (out.allowed) {
    q.used += cost;
  } else {
    out.retry_after_ms = out.reset_ms;
  }
  out.remaining = std::max<int64_t>(0, limit - q.used);
  return out.allowed;
}

void LocalCounterStore::Refund(const LimitRule& rule, int64_t cost) {
  Shard& shard = ShardFor(rule.key);
  std::lock_guard lock(shard.mu);
  if (rule.kind == LimitRule::Kind::kRate) {
    if (auto it = shard.tats.find(rule.key); it != shard.tats.end()) {
      it->second = GcraRefund(it->second, *rule.rate, cost);
    }
  } else if (auto it = shard.quotas.find(rule.key); it != shard.quotas.end()) {
    it->second.used = std::max<int64_t>(0, it->second.used - cost);
  }
}

bool LocalCounterStore::Acquire(std::span<const LimitRule> rules, int64_t cost, int64_t now_ms,
                                std::span<LimitOutcome> out) {
  const int64_t now_ns = now_ms * kNsPerMs;
  size_t taken = 0;
  bool all = true;
  for (; taken < rules.size(); ++taken) {
    const LimitRule& rule = rules[taken];
    out[taken] = LimitOutcome{};
    const bool ok = rule.kind == LimitRule::Kind::kRate ? TakeRate(rule, cost, now_ns, out[taken])
                                                        : TakeQuota(rule, cost, now_ms, out[taken]);
    if (!ok) {
      all = false;
      break;
    }
  }
  if (!all) {
    // All or nothing: give back what the earlier rules took, and report the rest untouched.
    for (size_t i = 0; i < taken; ++i) {
      Refund(rules[i], cost);
      out[i].remaining += cost;
    }
    for (size_t i = taken + 1; i < rules.size(); ++i) {
      out[i] = LimitOutcome{};
      out[i].limit = rules[i].kind == LimitRule::Kind::kRate ? rules[i].rate->requests
                                                            : rules[i].quota->requests;
      out[i].remaining = out[i].limit;
    }
  }
  // Amortised sweeping: every `sweep_every` calls on the first rule's shard.
  if (!rules.empty()) {
    Shard& shard = ShardFor(rules[0].key);
    if (shard.calls.fetch_add(1, std::memory_order_relaxed) + 1 >= options_.sweep_every) {
      shard.calls.store(0, std::memory_order_relaxed);
      std::lock_guard lock(shard.mu);
      SweepShard(shard, now_ms);
    }
  }
  return all;
}

int64_t LocalCounterStore::QuotaUsed(const LimitRule& rule, int64_t now_ms) {
  Shard& shard = ShardFor(rule.key);
  std::lock_guard lock(shard.mu);
  auto it = shard.quotas.find(rule.key);
  const int64_t now_s = now_ms / 1000;
  if (it == shard.quotas.end() || now_s >= it->second.window_end || now_s < it->second.window_start) {
    return 0;
  }
  return it->second.used;
}

size_t LocalCounterStore::SweepShard(Shard& shard, int64_t now_ms) {
  const int64_t now_ns = now_ms * kNsPerMs;
  const int64_t now_s = now_ms / 1000;
  size_t dropped = absl::erase_if(shard.tats, [&](const auto& kv) { return GcraIdle(kv.second, now_ns); });
  dropped += absl::erase_if(shard.quotas, [&](const auto& kv) { return now_s >= kv.second.window_end; });
  entries_.fetch_sub(dropped, std::memory_order_relaxed);
  return dropped;
}

size_t LocalCounterStore::Sweep(int64_t now_ms) {
  size_t dropped = 0;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    dropped += SweepShard(shard, now_ms);
  }
  return dropped;
}

size_t LocalCounterStore::size() const { return entries_.load(std::memory_order_relaxed); }

std::vector<LocalCounterStore::QuotaRecord> LocalCounterStore::ExportQuotas() const {
  std::vector<QuotaRecord> out;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (const auto& [key, q] : shard.quotas) {
      if (q.used > 0) out.push_back({key, q.window_start, q.window_end, q.used});
    }
  }
  return out;
}

void LocalCounterStore::ImportQuotas(const std::vector<QuotaRecord>& records) {
  for (const QuotaRecord& r : records) {
    Shard& shard = ShardFor(r.key);
    std::lock_guard lock(shard.mu);
    auto [it, inserted] = shard.quotas.try_emplace(r.key, QuotaState{r.window_start, r.window_end, r.used});
    if (inserted) {
      entries_.fetch_add(1, std::memory_order_relaxed);
    } else if (it->second.window_start == r.window_start) {
      it->second.used = std::max(it->second.used, r.used);
    }
  }
}

}  // namespace tollgate::ratelimit
