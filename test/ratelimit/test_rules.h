// Small builders shared by the LocalCounterStore tests: rules over limits that outlive them.
#pragma once

#include <cstdint>
#include <span>

#include "ratelimit/counter_store.h"

namespace tollgate::ratelimit::testing_rules {

inline constexpr int64_t kT0 = 1'830'000'000'000;  // Unix ms: 2027-12-28T13:20:00Z

// `r` / `q` must outlive the rule (LimitRule points at them, as at the snapshot in production).
inline LimitRule Rate(uint64_t key, const RateLimit& r) {
  LimitRule rule;
  rule.kind = LimitRule::Kind::kRate;
  rule.key = key;
  rule.rate = &r;
  rule.name = "test";
  return rule;
}

inline LimitRule QuotaRule(uint64_t key, const Quota& q, int64_t anchor = 0) {
  LimitRule rule;
  rule.kind = LimitRule::Kind::kQuota;
  rule.key = key;
  rule.quota = &q;
  rule.anchor = anchor;
  rule.name = "test";
  return rule;
}

// One request of cost 1 against one rule.
inline bool One(CounterStore& s, const LimitRule& rule, int64_t now_ms,
                LimitOutcome* out = nullptr) {
  LimitOutcome o{};
  const bool ok = s.Acquire(std::span(&rule, 1), 1, now_ms, std::span(&o, 1));
  if (out != nullptr) *out = o;
  return ok;
}

}  // namespace tollgate::ratelimit::testing_rules
