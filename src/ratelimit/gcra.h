// GCRA (generic cell rate algorithm) for RateLimit: pure functions over one number of state, the
// theoretical arrival time (TAT). Times are Unix nanoseconds.
//
// Semantics of RateLimit{requests, per, burst}: the emission interval is T = per / requests; a
// request is admitted when it would not make the TAT run more than (burst + 1)·T ahead of now.
// So up to burst + 1 requests pass at once, then one per T. Over any interval of length L, at most
// (burst + 1) + L / T requests are admitted. T is rounded down to whole nanoseconds (an error
// below one request in 10⁹·T ns).
#pragma once

#include <cstdint>

#include "core/model.h"

namespace tollgate::ratelimit {

struct GcraResult {
  bool allowed = false;
  int64_t tat = 0;             // the new state (unchanged when refused)
  int64_t remaining = 0;       // how many more requests of cost 1 would pass right now
  int64_t reset_ns = 0;        // until the bucket is full again (TAT == now)
  int64_t retry_after_ns = 0;  // when refused: until this request would pass
};

// Emission interval in nanoseconds (>= 1).
int64_t EmissionIntervalNs(const RateLimit& rate);

// Decides a request of `cost` (>= 1) at `now` given state `tat` (0 for a new key).
GcraResult Gcra(int64_t tat, int64_t now, const RateLimit& rate, int64_t cost);

// Undoes an admitted request of `cost` (for all-or-nothing decisions over several limits).
int64_t GcraRefund(int64_t tat, const RateLimit& rate, int64_t cost);

// True when a key in state `tat` is indistinguishable from a new one at `now` (can be forgotten).
inline bool GcraIdle(int64_t tat, int64_t now) { return tat <= now; }

}  // namespace tollgate::ratelimit
