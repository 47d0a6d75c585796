// Descriptors → limit rules → answers.
#include "enforce/descriptors.h"

#include <algorithm>

#include "core/hash.h"
#include "enforce/throttle.h"

namespace tollgate::enforce {
namespace {

using ratelimit::LimitRule;

std::string_view Find(std::span<const DescriptorEntry> entries, std::string_view key) {
  for (const DescriptorEntry& e : entries) {
    if (e.key == key) return e.value;
  }
  return {};
}

// The rules of one descriptor, in `set`; `owned_*` hold limits that live only for this call.
void RulesFor(const Snapshot& snapshot, std::string_view domain, const DescriptorQuestion& q,
              RuleSet& set, RateLimit& owned_rate, Quota& owned_quota) {
  auto add = [&set](const LimitRule& rule) {
    if (set.size < kMaxRules) set.rules[set.size++] = rule;
  };
  if (q.limit.unit != DescriptorOverride::Unit::kNone) {
    if (q.limit.unit == DescriptorOverride::Unit::kUnsupported || q.limit.requests_per_unit <= 0) return;
    uint64_t key = StableHash(domain, 0x7e5cULL);
    for (const DescriptorEntry& e : q.entries) {
      key = HashCombine(key, StableHash(e.key));
      key = HashCombine(key, StableHash(e.value));
    }
    LimitRule rule;
    rule.key = key;
    rule.name = "descriptor";
    if (q.limit.unit == DescriptorOverride::Unit::kMonth) {
      owned_quota = Quota{q.limit.requests_per_unit, QuotaAnchor::kCalendar, "UTC"};
      rule.kind = LimitRule::Kind::kQuota;
      rule.quota = &owned_quota;
    } else {
      const Period per = q.limit.unit == DescriptorOverride::Unit::kSecond   ? Period::kSecond
                         : q.limit.unit == DescriptorOverride::Unit::kMinute ? Period::kMinute
                         : q.limit.unit == DescriptorOverride::Unit::kHour   ? Period::kHour
                                                                             : Period::kDay;
      // A full window's worth may arrive at once, like Envoy's own fixed-window services.
      owned_rate = RateLimit{q.limit.requests_per_unit, per, q.limit.requests_per_unit - 1};
      rule.kind = LimitRule::Kind::kRate;
      rule.rate = &owned_rate;
    }
    add(rule);
    return;
  }
  const std::string_view api_id = Find(q.entries, "api_id");
  const std::string_view app_id = Find(q.entries, "application_id");
  const CompiledApi* api = api_id.empty() ? nullptr : snapshot.FindApi(api_id);
  if (api == nullptr) return;
  if (app_id.empty()) {
    if (api->backend_rate) {
      LimitRule rule;
      rule.key = api->backend_rate->key;
      rule.rate = &api->backend_rate->rate;
      rule.fail_open = api->fail_open;
      rule.name = api->backend_rate->name;
      add(rule);
    }
    return;
  }
  const CompiledApplication* app = snapshot.FindApplication(app_id);
  if (app == nullptr) return;
  Match m;
  m.api = api;
  m.application = app;
  m.subscription = snapshot.FindSubscription(app->index, api->index);
  if (m.subscription == nullptr) return;
  // The subscription's and the application's plans (resource and keyed limits need the request,
  // which a descriptor does not carry; the API backend limit has its own descriptor).
  RuleSet collected = CollectRules(m, AccessRequest{});
  for (size_t i = 0; i < collected.size; ++i) {
    if (collected.rules[i].key != (api->backend_rate ? api->backend_rate->key : 0)) add(collected.rules[i]);
  }
}

}  // namespace

std::vector<DescriptorAnswer> AnswerDescriptors(const Snapshot& snapshot,
                                                ratelimit::CounterStore* counters,
                                                std::string_view domain,
                                                std::span<const DescriptorQuestion> descriptors,
                                                int64_t cost, int64_t now_ms) {
  std::vector<DescriptorAnswer> answers(descriptors.size());
  if (counters == nullptr) return answers;
  for (size_t i = 0; i < descriptors.size(); ++i) {
    RuleSet set;
    RateLimit owned_rate;
    Quota owned_quota;
    RulesFor(snapshot, domain, descriptors[i], set, owned_rate, owned_quota);
    if (set.size == 0) continue;
    std::array<ratelimit::LimitOutcome, kMaxRules> out;
    const bool allowed = counters->Acquire(std::span(set.rules.data(), set.size), std::max<int64_t>(1, cost),
                                           now_ms, std::span(out.data(), set.size));
    size_t pick = 0;
    for (size_t r = 0; r < set.size; ++r) {
      if (!allowed ? !out[r].allowed : out[r].remaining < out[pick].remaining) {
        pick = r;
        if (!allowed) break;
      }
    }
    auto ceil_s = [](int64_t ms) { return ms <= 0 ? 0 : (ms + 999) / 1000; };
    DescriptorAnswer& a = answers[i];
    a.limited = true;
    a.over_limit = !allowed;
    a.requests_per_unit = out[pick].limit;
    a.window_seconds = out[pick].window_seconds;
    a.remaining = out[pick].remaining;
    a.reset_seconds = ceil_s(out[pick].reset_ms);
    a.retry_after_seconds = allowed ? 0 : std::max<int64_t>(1, ceil_s(out[pick].retry_after_ms));
    a.policy = set.rules[pick].name;
  }
  return answers;
}

}  // namespace tollgate::enforce
