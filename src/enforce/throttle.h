// The throttling stage: after the decider allowed a request, collect every limit that applies
// (resource × application, subscription plan, application plan, API backend protection, keyed
// limits) and ask the counters; a refusal turns the decision into 429 with limit facts.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/access.h"
#include "enforce/decider.h"
#include "ratelimit/counter_store.h"

namespace tollgate::enforce {

// At most this many rules apply to one request; further keyed limits are ignored.
inline constexpr size_t kMaxRules = 8;

// Only rules[0, size) are meaningful. The rest is left uninitialised: zeroing all kMaxRules rules
// (512 bytes) cost more than collecting and applying the usual one to three.
struct RuleSet {
  RuleSet() {}  // leaves `rules` uninitialised
  union {
    std::array<ratelimit::LimitRule, kMaxRules> rules;
  };
  size_t size = 0;
};

// The rules that apply to an allowed request. Allocation-free. Rules keyed by a request value
// (IP, header, query parameter, claim of the verified bearer token in match.token) are skipped
// when the request lacks that value.
RuleSet CollectRules(const Match& match, const AccessRequest& request);

// Applies `rules` to `decision` (which must be an allow): consumes from `counters` and, when a
// rule refuses, changes the code to kRateLimited or kQuotaExceeded. Fills decision.limit with
// the most restrictive rule (fewest remaining) either way. `now_ms`: Unix milliseconds.
void Throttle(const RuleSet& rules, ratelimit::CounterStore& counters, int64_t now_ms,
              Decision& decision);

}  // namespace tollgate::enforce
