// Descriptors → limit rules → counters → statuses (see descriptors.h for the semantics).
#include "enforce/descriptors.h"

#include <algorithm>
#include <array>

#include "core/hash.h"

namespace tollgate::enforce {
namespace {

using ratelimit::LimitOutcome;
using ratelimit::LimitRule;

constexpr std::string_view kApplicationId = "application_id";
constexpr std::string_view kApiId = "api_id";
constexpr std::string_view kOverridePolicy = "descriptor";

// Namespace of override counters: keeps them apart from LimitKey()'s "sub:…"/"api:…" keys.
const uint64_t kOverrideSeed = StableHash("tollgate:rls:descriptor");

// The value of the first entry named `key`; empty when absent (Envoy forbids empty values).
std::string_view Find(std::span<const DescriptorEntry> entries, std::string_view key) {
  for (const DescriptorEntry& e : entries) {
    if (e.key == key) return e.value;
  }
  return {};
}

// Override: a rate (burst = a full window) or, for MONTH, a calendar-month quota in UTC.
void OverrideRules(std::string_view domain, const Descriptor& d, DescriptorRules& out) {
  if (d.unit == DescriptorUnit::kUnsupported || d.requests_per_unit <= 0) return;
  uint64_t key = HashCombine(kOverrideSeed, StableHash(domain));
  key = HashCombine(key, static_cast<uint64_t>(d.unit));
  for (const DescriptorEntry& e : d.entries) {
    key = HashCombine(key, HashCombine(StableHash(e.key), StableHash(e.value)));
  }
  LimitRule& rule = out.set.rules[out.set.size++];
  rule = LimitRule{};
  rule.key = key;
  rule.name = kOverridePolicy;
  if (d.unit == DescriptorUnit::kMonth) {
    out.own_quota.requests = d.requests_per_unit;
    out.own_quota.anchor = QuotaAnchor::kCalendar;
    out.own_quota.time_zone = "UTC";  // short string: no allocation
    rule.kind = LimitRule::Kind::kQuota;
    rule.quota = &out.own_quota;
    return;
  }
  Period per = Period::kDay;
  switch (d.unit) {
    case DescriptorUnit::kSecond:
      per = Period::kSecond;
      break;
    case DescriptorUnit::kMinute:
      per = Period::kMinute;
      break;
    case DescriptorUnit::kHour:
      per = Period::kHour;
      break;
    default:
      break;
  }
  out.own_rate = RateLimit{d.requests_per_unit, per, d.requests_per_unit - 1};
  rule.kind = LimitRule::Kind::kRate;
  rule.rate = &out.own_rate;
}

// Whether `rule` is one of `limits`' (points at its rate or quota).
bool IsOf(const LimitRule& rule, const CompiledPlanLimits& limits) {
  return (limits.rate && rule.rate == &limits.rate->rate) ||
         (limits.quota && rule.quota == &limits.quota->quota);
}

// Subscription + application plans, taken from the throttling stage itself so that the keys and
// anchors are exactly those ext_authz charges. Resource limits need a matched request, keyed
// limits a request value and the backend limit has its own descriptor: those are left out.
void SubscriptionRules(const Snapshot& snapshot, std::string_view application_id,
                       std::string_view api_id, DescriptorRules& out) {
  Match m;
  m.api = snapshot.FindApi(api_id);
  m.application = snapshot.FindApplication(application_id);
  if (m.api == nullptr || m.application == nullptr) return;
  m.subscription = snapshot.FindSubscription(m.application->index, m.api->index);
  if (m.subscription == nullptr) return;
  const RuleSet all = CollectRules(m, AccessRequest{});
  for (size_t i = 0; i < all.size; ++i) {
    if (IsOf(all.rules[i], m.subscription->limits) || IsOf(all.rules[i], m.application->limits)) {
      out.set.rules[out.set.size++] = all.rules[i];
    }
  }
}

void BackendRules(const Snapshot& snapshot, std::string_view api_id, DescriptorRules& out) {
  const CompiledApi* api = snapshot.FindApi(api_id);
  if (api == nullptr || !api->backend_rate) return;
  LimitRule& rule = out.set.rules[out.set.size++];
  rule = LimitRule{};
  rule.kind = LimitRule::Kind::kRate;
  rule.key = api->backend_rate->key;  // as the throttling stage keys it
  rule.rate = &api->backend_rate->rate;
  rule.gcra = &api->backend_rate->gcra;  // compiled with the snapshot, as throttling uses it
  rule.fail_open = api->fail_open;
  rule.name = api->backend_rate->name;
}

DescriptorUnit UnitOf(const LimitRule& rule) {
  if (rule.kind == LimitRule::Kind::kQuota) return DescriptorUnit::kMonth;
  switch (rule.rate->per) {
    case Period::kSecond:
      return DescriptorUnit::kSecond;
    case Period::kMinute:
      return DescriptorUnit::kMinute;
    case Period::kHour:
      return DescriptorUnit::kHour;
    case Period::kDay:
      return DescriptorUnit::kDay;
  }
  return DescriptorUnit::kUnsupported;
}

int64_t CeilSeconds(int64_t ms) { return ms <= 0 ? 0 : (ms + 999) / 1000; }

}  // namespace

void CollectDescriptorRules(const Snapshot& snapshot, std::string_view domain,
                            const Descriptor& descriptor, DescriptorRules& out) {
  if (descriptor.has_limit) {
    OverrideRules(domain, descriptor, out);
    return;
  }
  const std::string_view api_id = Find(descriptor.entries, kApiId);
  if (api_id.empty()) return;
  const std::string_view application_id = Find(descriptor.entries, kApplicationId);
  if (!application_id.empty()) {
    SubscriptionRules(snapshot, application_id, api_id, out);
  } else if (descriptor.entries.size() == 1) {
    BackendRules(snapshot, api_id, out);
  }
}

DescriptorStatus StatusFromOutcomes(const DescriptorRules& rules,
                                    std::span<const LimitOutcome> outcomes, bool allowed) {
  DescriptorStatus status;
  const size_t n = std::min(rules.set.size, outcomes.size());
  if (n == 0) return status;
  // As the throttling stage reports: the first refusal, or else the rule with the least left.
  size_t pick = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!allowed) {
      if (!outcomes[i].allowed) {
        pick = i;
        break;
      }
    } else if (outcomes[i].remaining < outcomes[pick].remaining) {
      pick = i;
    }
  }
  const LimitOutcome& o = outcomes[pick];
  const LimitRule& rule = rules.set.rules[pick];
  status.over_limit = !allowed;
  status.limit = LimitInfo{true,
                           rule.name,
                           o.limit,
                           o.window_seconds,
                           std::max<int64_t>(0, o.remaining),
                           CeilSeconds(o.reset_ms),
                           allowed ? 0 : std::max<int64_t>(1, CeilSeconds(o.retry_after_ms))};
  status.unit = UnitOf(rule);
  status.quota = rule.kind == LimitRule::Kind::kQuota;
  return status;
}

DescriptorStatus AnswerDescriptor(const Snapshot& snapshot, ratelimit::CounterStore* counters,
                                  std::string_view domain, const Descriptor& descriptor,
                                  int64_t cost, int64_t now_ms) {
  if (counters == nullptr) return {};
  DescriptorRules rules;
  CollectDescriptorRules(snapshot, domain, descriptor, rules);
  if (rules.set.size == 0) return {};
  std::array<LimitOutcome, kMaxRules> out;  // Acquire sets every field
  const std::span<LimitOutcome> outcomes(out.data(), rules.set.size);
  const bool allowed = counters->Acquire(std::span(rules.set.rules.data(), rules.set.size),
                                         std::max<int64_t>(1, cost), now_ms, outcomes);
  return StatusFromOutcomes(rules, outcomes, allowed);
}

Decision DecisionFor(const DescriptorStatus& status) {
  Decision d;
  d.code = !status.over_limit ? DecisionCode::kAllow
           : status.quota     ? DecisionCode::kQuotaExceeded
                              : DecisionCode::kRateLimited;
  d.limit = status.limit;
  return d;
}

}  // namespace tollgate::enforce
