// Quota windows: month boundaries in real time zones, leap years, anchors and DST.
#include "ratelimit/calendar.h"

#include <date/date.h>
#include <gtest/gtest.h>

namespace tollgate::ratelimit {
namespace {

// Unix seconds of a UTC date-time.
int64_t Utc(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0) {
  const auto day = date::sys_days(date::year(y) / date::month(m) / date::day(d));
  return std::chrono::duration_cast<std::chrono::seconds>(day.time_since_epoch()).count() +
         hh * 3600 + mm * 60 + ss;
}

Window W(const Quota& q, int64_t now, int64_t anchor = 0) {
  auto w = QuotaWindow(q, anchor, now);
  EXPECT_TRUE(w.ok());
  return w.value();
}

TEST(QuotaWindow, CalendarMonthInUtc) {
  const Quota q{100, QuotaAnchor::kCalendar, "UTC"};
  const Window w = W(q, Utc(2027, 3, 15, 12));
  EXPECT_EQ(w.start, Utc(2027, 3, 1));
  EXPECT_EQ(w.end, Utc(2027, 4, 1));
  EXPECT_EQ(W(q, Utc(2027, 3, 31, 23, 59, 59)).end, Utc(2027, 4, 1));
  EXPECT_EQ(W(q, Utc(2027, 4, 1)).start, Utc(2027, 4, 1)) << "the boundary belongs to the new month";
}

TEST(QuotaWindow, YearEnd) {
  const Quota q{100, QuotaAnchor::kCalendar, "UTC"};
  EXPECT_EQ(W(q, Utc(2027, 12, 31, 23, 59, 59)).end, Utc(2028, 1, 1));
  EXPECT_EQ(W(q, Utc(2028, 1, 1)).start, Utc(2028, 1, 1));
}

TEST(QuotaWindow, CalendarMonthInParisStartsAtLocalMidnight) {
  const Quota q{100, QuotaAnchor::kCalendar, "Europe/Paris"};
  // 1 Nov 2027 00:00 CET = 31 Oct 23:00 UTC; 1 Dec 00:00 CET = 30 Nov 23:00 UTC.
  const Window w = W(q, Utc(2027, 11, 10));
  EXPECT_EQ(w.start, Utc(2027, 10, 31, 23));
  EXPECT_EQ(w.end, Utc(2027, 11, 30, 23));
  // 31 Oct 22:59:59 UTC is still October in Paris (CET, UTC+1 after the fall-back on 31 Oct).
  EXPECT_EQ(W(q, Utc(2027, 10, 31, 22, 59, 59)).end, Utc(2027, 10, 31, 23));
  // Across the March DST change: 1 Apr 00:00 CEST = 31 Mar 22:00 UTC.
  EXPECT_EQ(W(q, Utc(2027, 3, 20)).end, Utc(2027, 3, 31, 22));
}

TEST(QuotaWindow, NewYorkAndKolkataAndLordHowe) {
  EXPECT_EQ(W({1, QuotaAnchor::kCalendar, "America/New_York"}, Utc(2027, 7, 4)).start,
            Utc(2027, 7, 1, 4));  // EDT, UTC-4
  EXPECT_EQ(W({1, QuotaAnchor::kCalendar, "Asia/Kolkata"}, Utc(2027, 7, 4)).start,
            Utc(2027, 6, 30, 18, 30));  // UTC+5:30
  // Lord Howe: +10:30 in winter, +11 in summer (30-minute DST). 1 Jul 00:00 = 30 Jun 13:30 UTC.
  EXPECT_EQ(W({1, QuotaAnchor::kCalendar, "Australia/Lord_Howe"}, Utc(2027, 7, 4)).start,
            Utc(2027, 6, 30, 13, 30));
  // 1 Jan 00:00 (+11) = 31 Dec 13:00 UTC.
  EXPECT_EQ(W({1, QuotaAnchor::kCalendar, "Australia/Lord_Howe"}, Utc(2028, 1, 4)).start,
            Utc(2027, 12, 31, 13));
}

TEST(QuotaWindow, LeapYearFebruary) {
  const Quota q{1, QuotaAnchor::kCalendar, "UTC"};
  EXPECT_EQ(W(q, Utc(2028, 2, 29, 12)).end, Utc(2028, 3, 1));
  EXPECT_EQ(W(q, Utc(2027, 2, 28, 12)).end, Utc(2027, 3, 1));
}

TEST(QuotaWindow, SubscriptionAnchorOnThe31stIsClampedToShortMonths) {
  const Quota q{1, QuotaAnchor::kSubscription, "UTC"};
  const int64_t anchor = Utc(2028, 1, 31, 9, 30);
  Window w = W(q, Utc(2028, 2, 10), anchor);
  EXPECT_EQ(w.start, Utc(2028, 1, 31, 9, 30));
  EXPECT_EQ(w.end, Utc(2028, 2, 29, 9, 30)) << "leap year";
  w = W(q, Utc(2028, 3, 1), anchor);
  EXPECT_EQ(w.start, Utc(2028, 2, 29, 9, 30));
  EXPECT_EQ(w.end, Utc(2028, 3, 31, 9, 30));
  w = W(q, Utc(2028, 4, 30, 9, 29, 59), anchor);
  EXPECT_EQ(w.end, Utc(2028, 4, 30, 9, 30));
  EXPECT_EQ(W(q, Utc(2028, 4, 30, 9, 30), anchor).start, Utc(2028, 4, 30, 9, 30));
}

TEST(QuotaWindow, SubscriptionAnchorInsideADstGapStartsWhenClocksJumped) {
  // Anchor: 15 Mar 2027 02:30 New York time (EDT). On 14 Mar 2027 clocks jumped 02:00 → 03:00,
  // so an anchor of the 14th at 02:30 does not exist that month.
  const Quota q{1, QuotaAnchor::kSubscription, "America/New_York"};
  const int64_t anchor = Utc(2027, 2, 14, 7, 30);  // 14 Feb 02:30 EST
  const Window w = W(q, Utc(2027, 3, 20), anchor);
  EXPECT_EQ(w.start, Utc(2027, 3, 14, 7)) << "03:00 EDT, the instant the clocks jumped to";
  EXPECT_EQ(w.end, Utc(2027, 4, 14, 6, 30));  // 02:30 EDT
}

TEST(QuotaWindow, UnknownZoneIsAnErrorNamingTheField) {
  auto w = QuotaWindow({1, QuotaAnchor::kCalendar, "Mars/Olympus"}, 0, Utc(2027, 1, 1));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().field, "timeZone");
  EXPECT_FALSE(IsKnownTimeZone("Mars/Olympus"));
  EXPECT_TRUE(IsKnownTimeZone("Europe/Paris"));
}

}  // namespace
}  // namespace tollgate::ratelimit
