// Quota windows in IANA time zones, with Howard Hinnant's date/tz over the system tz database
// (package tzdata, /usr/share/zoneinfo). DST rules are stated in calendar.h.
#include "ratelimit/calendar.h"

#include <date/tz.h>

#include <algorithm>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace tollgate::ratelimit {
namespace {

using std::chrono::seconds;
using Local = date::local_time<seconds>;

struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// locate_zone is thread-safe but searches the database by name: cache the answer. Read-mostly: a
// shared lock on hits, an exclusive one only the first time a zone is seen. Unknown names are not
// cached, so arbitrary input cannot grow the map (the tz database has ~600 names).
const date::time_zone* Zone(std::string_view name) {
  if (name.empty()) name = "UTC";
  static std::shared_mutex mu;
  static std::unordered_map<std::string, const date::time_zone*, NameHash, std::equal_to<>> cache;
  {
    std::shared_lock lock(mu);
    if (auto it = cache.find(name); it != cache.end()) return it->second;
  }
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;  // unknown name (date throws std::runtime_error)
  }
  std::unique_lock lock(mu);
  cache.emplace(std::string(name), zone);
  return zone;
}

// The instant of a local time, by the rules of calendar.h: earliest of two, or the instant the clocks
// jumped to when it does not exist. (For a nonexistent time both date::choose values give the
// transition instant, which is that instant.)
int64_t ToUnix(const date::time_zone* zone, Local local) {
  return zone->to_sys(local, date::choose::earliest).time_since_epoch().count();
}

// Where a month's window starts, in local time: day `day` (clamped to the month's length) of `ym`
// at `tod` after local midnight.
Local LocalStart(date::year_month ym, unsigned day, seconds tod) {
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
  unsigned day = 1;
  seconds tod(0);
  if (quota.anchor == QuotaAnchor::kSubscription) {
    const Local local_anchor = zone->to_local(date::sys_seconds(seconds(anchor)));
    const auto anchor_day = date::floor<date::days>(local_anchor);
    day = static_cast<unsigned>(date::year_month_day(anchor_day).day());
    tod = local_anchor - anchor_day;
  }
  auto start_of = [&](date::year_month ym) { return ToUnix(zone, LocalStart(ym, day, tod)); };

  // Guess the month from the local date, then settle by comparing instants, not local times: around
  // a fall-back the local clock is not monotonic (01:20 EST comes after 01:45 EDT).
  const Local local_now = zone->to_local(date::sys_seconds(seconds(now)));
  const date::year_month_day today(date::floor<date::days>(local_now));
  date::year_month ym = today.year() / today.month();
  int64_t start = start_of(ym);
  if (start > now) {
    ym -= date::months(1);
    start = start_of(ym);
  }
  int64_t end = start_of(ym + date::months(1));
  if (end <= now) {
    ym += date::months(1);
    start = end;
    end = start_of(ym + date::months(1));
  }
  return Window{start, end};
}

}  // namespace tollgate::ratelimit
