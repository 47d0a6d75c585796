// Quota usage of a subscription, read from the counters.
#include "cli/counter_usage.h"

#include "enforce/limit_keys.h"
#include "ratelimit/calendar.h"

namespace tollgate::cli {

std::optional<control::QuotaUsageView> CounterUsageSource::QuotaUsage(
    const Subscription& subscription, const Plan& plan, int64_t now) {
  if (!plan.quota) return std::nullopt;
  auto window = ratelimit::QuotaWindow(*plan.quota, subscription.created_at, now);
  if (!window.ok()) return std::nullopt;
  ratelimit::LimitRule rule;
  rule.kind = ratelimit::LimitRule::Kind::kQuota;
  rule.key = enforce::SubscriptionQuotaKey(subscription.id);
  rule.quota = &*plan.quota;
  rule.anchor = subscription.created_at;
  rule.name = plan.name;
  return control::QuotaUsageView{counters_.QuotaUsed(rule, now * 1000), window->start, window->end};
}

}  // namespace tollgate::cli
