// Where the management plane reads a subscription's current quota consumption from. The counters
// live with the enforcer (ratelimit/), outside the control plane: the composition root implements
// UsageSource over them and hands it to the REST adapter.
#pragma once

#include <cstdint>
#include <optional>

#include "core/model.h"

namespace tollgate::control {

// How much of one quota window a subscription has used.
struct QuotaUsageView {
  int64_t used = 0;          // requests counted in the window so far (>= 0)
  int64_t window_start = 0;  // Unix seconds, inclusive
  int64_t window_end = 0;    // Unix seconds, exclusive
};

class UsageSource {
 public:
  virtual ~UsageSource() = default;

  // The quota window of `subscription` that contains `now` (Unix seconds) under `plan`, whose
  // `quota` is set (the caller never asks about plans without one), and what was used in it.
  // nullopt when the counters cannot tell (e.g. not loaded yet, or the global counter store is
  // unreachable): the answer then shows the usage as unknown rather than as zero.
  // Called on the management server's I/O threads, concurrently: must be thread-safe and answer
  // quickly (a local read or one bounded remote call), never wait for a whole window to pass.
  virtual std::optional<QuotaUsageView> QuotaUsage(const Subscription& subscription,
                                                   const Plan& plan, int64_t now) = 0;
};

// A subscription's limits and, when known, its consumption (Service::SubscriptionUsage).
struct SubscriptionUsage {
  Subscription subscription;
  Plan plan;                            // the subscription's plan, as it is now
  std::optional<QuotaUsageView> quota;  // set only when plan.quota is set and the source knew
};

}  // namespace tollgate::control
