// The one decision engine: AccessRequest + Snapshot → Decision. Pure: no I/O, no locks.
#pragma once

#include <cstdint>

#include "core/access.h"
#include "enforce/snapshot.h"

namespace tollgate::enforce {

// Decides one request. Order: API (host + longest context) → lifecycle → resource (method + path
// template) → credential → subscription. `now` is Unix seconds, for key expiry.
Decision Decide(const Snapshot& snapshot, const AccessRequest& request, int64_t now);

}  // namespace tollgate::enforce
