// Quota windows in IANA time zones, with Howard Hinnant's date/tz over the system tz database.
//
// Local times that do not exist (the hour skipped when clocks spring forward) map to the instant
// the clocks jumped to; local times that happen twice (fall back) map to the earlier instant.
#include "ratelimit/calendar.h"

#include <date/tz.h>

#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>

namespace tollgate::ratelimit {
namespace {

using std::chrono::seconds;
using Local = date::local_time<seconds>;

// locate_zone is thread-safe but searches the database: cache the answer per name.
const date::time_zone* Zone(std::string_view name) {
  static std::shared_mutex mu;
  static std::map<std::string, const date::time_zone*, std::less<>> cache;
  {
    std::shared_lock lock(mu);
    if (auto it = cache.find(name); it != cache.end()) return it->second;
  }
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(name.empty() ? std::string_view("UTC") : name);
  } catch (const std::exception&) {
    zone = nullptr;
  }
  std::unique_lock lock(mu);
  cache.emplace(std::string(name), zone);
  return zone;
}

int64_t ToUnix(const date::time_zone* zone, Local local) {
  // choose::earliest: ambiguous → first occurrence; nonexistent → the transition instant.
  return zone->to_sys(local, date::choose::earliest).time_since_epoch().count();
}

// The local start of the monthly period for month `ym`, anchored on `day` at `tod` (the day is
// clamped to the month's length: an anchor on the 31st renews on the 30th, 28th or 29th).
Local AnchorIn(date::year_month ym, unsigned day, seconds tod) {
  const unsigned last = static_cast<unsigned>((ym / date::last).day());
  const date::year_month_day ymd = ym / date::day(std::min(day, last));
  return Local(date::local_days(ymd).time_since_epoch()) + tod;
}

}  // namespace

bool IsKnownTimeZone(std::string_view time_zone) { return Zone(time_zone) != nullptr; }

Result<Window> QuotaWindow(const Quota& quota, int64_t anchor, int64_t now) {
  const date::time_zone* zone = Zone(quota.time_zone);
  if (zone == nullptr) {
    return Invalid("timeZone", "unknown time zone '" + quota.time_zone + "'", "unknown_time_zone");
  }
  const Local local_now = zone->to_local(date::sys_seconds(seconds(now)));
  const date::year_month_day today(date::floor<date::days>(local_now));
  date::year_month ym = today.year() / today.month();

  unsigned day = 1;
  seconds tod(0);
  if (quota.anchor == QuotaAnchor::kSubscription) {
    const Local local_anchor = zone->to_local(date::sys_seconds(seconds(anchor)));
    const auto anchor_day = date::floor<date::days>(local_anchor);
    day = static_cast<unsigned>(date::year_month_day(anchor_day).day());
    tod = local_anchor - anchor_day;
  }
  Local start = AnchorIn(ym, day, tod);
  if (start > local_now) {
    ym -= date::months(1);
    start = AnchorIn(ym, day, tod);
  }
  const Local end = AnchorIn(ym + date::months(1), day, tod);
  Window w{ToUnix(zone, start), ToUnix(zone, end)};
  // A start inside a DST gap maps forward; the window must still contain `now`.
  if (w.start > now) w.start = now;
  return w;
}

}  // namespace tollgate::ratelimit
