// The composition root's bridge from the management plane's UsageSource to the enforcer's
// counters: a subscription's quota use is read from the same counter (same stable key) that
// the throttling stage charges.
#pragma once

#include "control/usage.h"
#include "ratelimit/counter_store.h"

namespace tollgate::cli {

class CounterUsageSource final : public control::UsageSource {
 public:
  explicit CounterUsageSource(ratelimit::CounterStore& counters) : counters_(counters) {}

  std::optional<control::QuotaUsageView> QuotaUsage(const Subscription& subscription,
                                                    const Plan& plan, int64_t now) override;

 private:
  ratelimit::CounterStore& counters_;
};

}  // namespace tollgate::cli
