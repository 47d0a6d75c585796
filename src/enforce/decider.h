// The one decision engine: AccessRequest + Snapshot → Decision. Pure: no I/O, no locks.
#pragma once

#include <cstdint>

#include "core/access.h"
#include "enforce/snapshot.h"

namespace tollgate::enforce {

// What a decision matched, as pointers into the snapshot (null where nothing matched). The
// throttling stage reads the limits from here.
struct Match {
  const CompiledApi* api = nullptr;
  const CompiledResource* resource = nullptr;
  const CompiledApplication* application = nullptr;
  const CompiledSubscription* subscription = nullptr;
};

// Decides one request. Order: API (host + longest context) → lifecycle → resource (method + path
// template) → credential → subscription. `now` is Unix seconds, for key expiry. Rate limits are
// not applied here (they need counters): see enforce/throttle.h. When `match` is given, it is
// filled with what was matched.
Decision Decide(const Snapshot& snapshot, const AccessRequest& request, int64_t now,
                Match* match = nullptr);

}  // namespace tollgate::enforce
