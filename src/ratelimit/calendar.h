// Quota windows: the calendar month (or the subscription's monthly anniversary) that contains a
// moment, in an IANA time zone, exact at DST changes, month ends and leap years.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/model.h"
#include "core/status.h"

namespace tollgate::ratelimit {

struct Window {
  int64_t start = 0;  // Unix seconds, inclusive
  int64_t end = 0;    // Unix seconds, exclusive
};

// True when `time_zone` names a zone of the system's tz database (e.g. for validating input).
bool IsKnownTimeZone(std::string_view time_zone);

// The quota window containing `now` (Unix seconds). `anchor` is the subscription's start (Unix
// seconds), used with QuotaAnchor::kSubscription. Error (kInvalid, field "timeZone") for an
// unknown zone. Thread-safe; zone lookups are cached.
Result<Window> QuotaWindow(const Quota& quota, int64_t anchor, int64_t now);

}  // namespace tollgate::ratelimit
