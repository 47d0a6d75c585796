// Quota windows: the calendar month (or the subscription's monthly anniversary) that contains a
// moment, in an IANA time zone, exact at DST changes, month ends and leap years.
//
// Window rules (local time = wall-clock time in Quota::time_zone; "UTC" when empty):
//   * kCalendar: a month starts on the 1st at 00:00 local time and ends where the next one starts.
//   * kSubscription: a month starts on the anchor's local day-of-month at the anchor's local time of
//     day, the day clamped to the month's last day (anchor Jan 31 → Feb 28, or 29 in leap years →
//     Mar 31 → Apr 30 …). The anchor's local day/time is read in the quota's zone.
//   * DST: a local start time that does not exist (clocks spring forward over it) starts the window
//     at the instant the clocks jumped to (e.g. 02:30 on a 02:00→03:00 night starts at 03:00 new
//     time); a local start time that happens twice (clocks fall back) starts at its first
//     occurrence (date::choose::earliest). Windows therefore tile time without gaps or overlaps.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/model.h"
#include "core/status.h"

namespace tollgate::ratelimit {

struct Window {
  int64_t start = 0;  // Unix seconds, inclusive
  int64_t end = 0;    // Unix seconds, exclusive

  bool Contains(int64_t now) const { return start <= now && now < end; }
  int64_t seconds() const { return end - start; }
};

// True when `time_zone` names a zone of the system's tz database (e.g. for validating input).
// Thread-safe.
bool IsKnownTimeZone(std::string_view time_zone);

// The quota window containing `now` (Unix seconds): start ≤ now < end. `anchor` is the
// subscription's start (Unix seconds), used only with QuotaAnchor::kSubscription. Error (kInvalid,
// field "timeZone", code "unknown_time_zone") for an unknown zone. Thread-safe; zone lookups are
// cached, but each call still converts through the tz rules (~1 µs): on a hot path use
// NextQuotaWindow().
Result<Window> QuotaWindow(const Quota& quota, int64_t anchor, int64_t now);

// Fast path for callers that keep the last window of one (quota, anchor): returns `last` unchanged
// (no tz work, no lock) while it contains `now`, else recomputes with QuotaWindow(). `last` may be
// a default Window{} (never contains anything) for "nothing known yet".
inline Result<Window> NextQuotaWindow(const Window& last, const Quota& quota, int64_t anchor,
                                      int64_t now) {
  if (last.Contains(now)) return last;
  return QuotaWindow(quota, anchor, now);
}

}  // namespace tollgate::ratelimit
