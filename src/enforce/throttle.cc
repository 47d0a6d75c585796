// Collecting the limits of a request and applying them through the counters.
#include "enforce/throttle.h"

#include <arpa/inet.h>

#include <cstring>
#include <limits>

#include "core/hash.h"
#include "enforce/query.h"

namespace tollgate::enforce {
namespace {

using ratelimit::LimitRule;

// Appends a rule unless the set is full. Built whole in place: writing a zeroed rule and then
// its fields doubled the stores of the most common path.
void AddRate(RuleSet& set, const CompiledRate& r, uint64_t key, bool fail_open) {
  if (set.size == kMaxRules) return;
  set.rules[set.size++] = LimitRule{.kind = LimitRule::Kind::kRate,
                                    .key = key,
                                    .rate = &r.rate,
                                    .fail_open = fail_open,
                                    .name = r.name,
                                    .gcra = &r.gcra};
}

void AddQuota(RuleSet& set, const CompiledQuota& q, uint64_t key, int64_t anchor, bool fail_open) {
  if (set.size == kMaxRules) return;
  set.rules[set.size++] = LimitRule{.kind = LimitRule::Kind::kQuota,
                                    .key = key,
                                    .quota = &q.quota,
                                    .anchor = anchor,
                                    .fail_open = fail_open,
                                    .name = q.name};
}

inline void AddPlan(RuleSet& set, const CompiledPlanLimits& limits, uint64_t mix, int64_t anchor,
                    bool fail_open) {
  if (limits.rate) {
    AddRate(set, *limits.rate, mix ? HashCombine(limits.rate->key, mix) : limits.rate->key, fail_open);
  }
  if (limits.quota) {
    AddQuota(set, *limits.quota, mix ? HashCombine(limits.quota->key, mix) : limits.quota->key,
             anchor, fail_open);
  }
}

// Hash of the client address masked to `bits` (or whole); nullopt when it does not parse.
std::optional<uint64_t> AddressHash(std::string_view address, int bits) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.empty() || address.size() >= sizeof text) return std::nullopt;
  std::memcpy(text, address.data(), address.size());
  unsigned char bytes[16] = {};
  size_t len = 0;
  if (inet_pton(AF_INET, text, bytes) == 1) {
    len = 4;
  } else if (inet_pton(AF_INET6, text, bytes) == 1) {
    len = 16;
  } else {
    return std::nullopt;
  }
  if (bits >= 0) {
    const size_t keep = static_cast<size_t>(std::min<int>(bits, static_cast<int>(len * 8)));
    for (size_t i = 0; i < len; ++i) {
      const size_t first_bit = i * 8;
      if (first_bit >= keep) {
        bytes[i] = 0;
      } else if (keep - first_bit < 8) {
        bytes[i] &= static_cast<unsigned char>(0xff << (8 - (keep - first_bit)));
      }
    }
  }
  return StableHash(std::string_view(reinterpret_cast<const char*>(bytes), len), len);
}

}  // namespace

RuleSet CollectRules(const Match& m, const AccessRequest& request) {
  RuleSet set;
  if (m.api == nullptr) return set;
  const bool fail_open = m.api->fail_open;
  if (m.resource != nullptr && m.application != nullptr) {
    AddPlan(set, m.resource->limits, m.application->key, m.subscription ? m.subscription->created_at : 0,
            fail_open);
  }
  if (m.subscription != nullptr) {
    AddPlan(set, m.subscription->limits, 0, m.subscription->created_at, fail_open);
  }
  if (m.application != nullptr) AddPlan(set, m.application->limits, 0, 0, fail_open);
  if (m.api->backend_rate) AddRate(set, *m.api->backend_rate, m.api->backend_rate->key, fail_open);
  for (const CompiledKeyedLimit& k : m.api->keyed_limits) {
    std::optional<uint64_t> value;
    switch (k.source) {
      case CompiledKeyedLimit::Source::kIp:
        value = AddressHash(request.client_address, k.prefix_bits);
        break;
      case CompiledKeyedLimit::Source::kHeader:
        if (request.headers == nullptr) break;
        if (auto v = request.headers->Get(k.name); v && !v->empty()) value = StableHash(*v);
        break;
      case CompiledKeyedLimit::Source::kQuery:
        if (auto v = QueryParam(request.path, k.name); v && !v->empty()) value = StableHash(*v);
        break;
      case CompiledKeyedLimit::Source::kClaim:
        if (m.token == nullptr) break;
        if (auto v = m.token->Claim(k.name); v && !v->empty()) value = StableHash(*v);
        break;
    }
    if (value) AddRate(set, k.rate, HashCombine(k.rate.key, *value), fail_open);
  }
  return set;
}

void Throttle(const RuleSet& set, ratelimit::CounterStore& counters, int64_t now_ms,
              Decision& decision) {
  if (set.size == 0) return;
  std::array<ratelimit::LimitOutcome, kMaxRules> out;  // Acquire sets every field
  const bool allowed = counters.Acquire(std::span(set.rules.data(), set.size), 1, now_ms,
                                        std::span(out.data(), set.size));
  // Report the rule that decided: the first refusal, or else the one with the least left.
  size_t pick = 0;
  if (allowed) {
    for (size_t i = 1; i < set.size; ++i) {
      if (out[i].remaining < out[pick].remaining) pick = i;
    }
  } else {
    while (pick + 1 < set.size && out[pick].allowed) ++pick;
  }
  const ratelimit::LimitOutcome& o = out[pick];
  auto ceil_s = [](int64_t ms) { return ms <= 0 ? 0 : (ms + 999) / 1000; };
  decision.limit = LimitInfo{true,
                             set.rules[pick].name,
                             o.limit,
                             o.window_seconds,
                             o.remaining,
                             ceil_s(o.reset_ms),
                             allowed ? 0 : std::max<int64_t>(1, ceil_s(o.retry_after_ms))};
  if (!allowed) {
    const bool quota = set.rules[pick].kind == LimitRule::Kind::kQuota;
    decision.code = quota ? DecisionCode::kQuotaExceeded : DecisionCode::kRateLimited;
    decision.reason = quota ? "quota used up" : "rate limit exhausted";
  }
}

}  // namespace tollgate::enforce
