// A fake CounterStore for enforcer tests: counts per key, refuses past each rule's `requests`,
// and records what it was asked.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "ratelimit/counter_store.h"

namespace tollgate::testing {

using ratelimit::LimitOutcome;
using ratelimit::LimitRule;

// Counts per key and refuses past each rule's `requests`; records what it was asked. Rules are
// copied together with their limits, which may live only for the call.
class CountingStore final : public ratelimit::CounterStore {
 public:
  struct Seen {
    LimitRule rule;
    std::optional<RateLimit> rate;
    std::optional<Quota> quota;
  };

  bool Acquire(std::span<const LimitRule> rules, int64_t cost, int64_t,
               std::span<LimitOutcome> out) override {
    ++calls;
    last_cost = cost;
    seen.clear();
    bool all = true;
    for (size_t i = 0; i < rules.size(); ++i) {
      const LimitRule& r = rules[i];
      const bool rate = r.kind == LimitRule::Kind::kRate;
      seen.push_back({r, rate ? std::optional(*r.rate) : std::nullopt,
                      rate ? std::nullopt : std::optional(*r.quota)});
      const int64_t limit = rate ? r.rate->requests : r.quota->requests;
      out[i] = LimitOutcome{};
      out[i].limit = limit;
      out[i].allowed = used[r.key] + cost <= limit;
      out[i].remaining = limit - used[r.key] - (out[i].allowed ? cost : 0);
      out[i].reset_ms = 30'000;
      out[i].retry_after_ms = out[i].allowed ? 0 : 1500;
      out[i].window_seconds = rate ? PeriodSeconds(r.rate->per) : 30 * 86400;
      all = all && out[i].allowed;
    }
    if (all) {
      for (const LimitRule& r : rules) used[r.key] += cost;
    }
    return all;
  }
  int64_t QuotaUsed(const LimitRule& rule, int64_t) override { return used[rule.key]; }

  std::map<uint64_t, int64_t> used;
  std::vector<Seen> seen;
  int64_t last_cost = 0;
  int calls = 0;
};

}  // namespace tollgate::testing
