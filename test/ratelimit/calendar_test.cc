// Quota windows: month boundaries in real time zones, leap years, anchors and DST gaps and overlaps.
#include "ratelimit/calendar.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include <string>

namespace tollgate::ratelimit {
namespace {

// Unix seconds of a UTC date-time.
int64_t Utc(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0) {
  const auto day = date::sys_days(date::year(y) / date::month(m) / date::day(d));
  return std::chrono::duration_cast<std::chrono::seconds>(day.time_since_epoch()).count() +
         hh * 3600 + mm * 60 + ss;
}

Quota Calendar(std::string zone) { return Quota{100, QuotaAnchor::kCalendar, std::move(zone)}; }
Quota Anchored(std::string zone) { return Quota{100, QuotaAnchor::kSubscription, std::move(zone)}; }

Window W(const Quota& q, int64_t now, int64_t anchor = 0) {
  auto w = QuotaWindow(q, anchor, now);
  EXPECT_TRUE(w.ok()) << q.time_zone;
  return w.ok() ? w.value() : Window{};
}

// The boundary `b` ends one window and starts the next, to the second.
void ExpectBoundary(const Quota& q, int64_t b, int64_t anchor = 0) {
  EXPECT_EQ(W(q, b - 1, anchor).end, b) << q.time_zone << " one second before";
  EXPECT_EQ(W(q, b, anchor).start, b) << q.time_zone << " at the boundary";
}

TEST(QuotaWindow, CalendarMonthInUtc) {
  const Window w = W(Calendar("UTC"), Utc(2027, 3, 15, 12));
  EXPECT_EQ(w.start, Utc(2027, 3, 1));
  EXPECT_EQ(w.end, Utc(2027, 4, 1));
  EXPECT_EQ(w.seconds(), 31 * 86'400);
  ExpectBoundary(Calendar("UTC"), Utc(2027, 4, 1));
  EXPECT_EQ(W(Calendar(""), Utc(2027, 3, 15)).start, Utc(2027, 3, 1)) << "empty zone = UTC";
}

TEST(QuotaWindow, YearEndRollsIntoJanuary) {
  ExpectBoundary(Calendar("UTC"), Utc(2028, 1, 1));
  const Window dec = W(Calendar("America/New_York"), Utc(2028, 1, 1, 4, 59, 59));
  EXPECT_EQ(dec.start, Utc(2027, 12, 1, 5));  // EST, UTC-5
  EXPECT_EQ(dec.end, Utc(2028, 1, 1, 5));
  ExpectBoundary(Calendar("America/New_York"), Utc(2028, 1, 1, 5));
}

TEST(QuotaWindow, ParisMonthsStartAtLocalMidnightInWinterAndSummerTime) {
  const Quota q = Calendar("Europe/Paris");
  const Window nov = W(q, Utc(2027, 11, 10));
  EXPECT_EQ(nov.start, Utc(2027, 10, 31, 23));  // 1 Nov 00:00 CET (+1)
  EXPECT_EQ(nov.end, Utc(2027, 11, 30, 23));
  ExpectBoundary(q, Utc(2027, 10, 31, 23));
  ExpectBoundary(q, Utc(2027, 3, 31, 22));  // 1 Apr 00:00 CEST (+2)
  // March 2027 holds the spring-forward night: one hour short.
  EXPECT_EQ(W(q, Utc(2027, 3, 20)).seconds(), 31 * 86'400 - 3600);
  EXPECT_EQ(W(q, Utc(2027, 10, 20)).seconds(), 31 * 86'400 + 3600);
}

TEST(QuotaWindow, NewYorkKolkataAndLordHowe) {
  ExpectBoundary(Calendar("America/New_York"), Utc(2027, 7, 1, 4));  // EDT, UTC-4
  ExpectBoundary(Calendar("Asia/Kolkata"), Utc(2027, 6, 30, 18, 30));  // UTC+5:30
  // Lord Howe: +10:30 in winter, +11 in summer — a 30-minute DST change (3 Oct 2027 02:00 → 02:30).
  const Quota lh = Calendar("Australia/Lord_Howe");
  ExpectBoundary(lh, Utc(2027, 9, 30, 13, 30));   // 1 Oct 00:00 +10:30
  ExpectBoundary(lh, Utc(2027, 10, 31, 13));      // 1 Nov 00:00 +11
  EXPECT_EQ(W(lh, Utc(2027, 10, 15)).seconds(), 31 * 86'400 - 1800);
}

TEST(QuotaWindow, LeapYearFebruary) {
  const Quota q = Calendar("UTC");
  EXPECT_EQ(W(q, Utc(2028, 2, 29, 12)).seconds(), 29 * 86'400);
  ExpectBoundary(q, Utc(2028, 3, 1));
  EXPECT_EQ(W(q, Utc(2027, 2, 28, 12)).seconds(), 28 * 86'400);
}

TEST(QuotaWindow, CalendarMidnightInsideADstGapStartsWhenTheClocksJumped) {
  // Asunción, 1 Oct 2023: clocks went from 00:00 −04 straight to 01:00 −03; 00:00 never happened.
  const Quota q = Calendar("America/Asuncion");
  ExpectBoundary(q, Utc(2023, 10, 1, 4));
  EXPECT_EQ(W(q, Utc(2023, 9, 15)).start, Utc(2023, 9, 1, 4));
}

TEST(QuotaWindow, AmbiguousCalendarMidnightStartsAtItsFirstOccurrence) {
  // Havana, 1 Nov 2026: clocks went back from 01:00 CDT to 00:00 CST; 00:00–01:00 happened twice.
  const Quota q = Calendar("America/Havana");
  ExpectBoundary(q, Utc(2026, 11, 1, 4));  // 00:00 CDT
  EXPECT_EQ(W(q, Utc(2026, 11, 1, 5, 10)).start, Utc(2026, 11, 1, 4)) << "00:10 CST, second time";
}

TEST(QuotaWindow, SubscriptionAnchorOnThe31stIsClampedToShortMonths) {
  const Quota q = Anchored("UTC");
  const int64_t anchor = Utc(2028, 1, 31, 9, 30);
  const Window feb = W(q, Utc(2028, 2, 10), anchor);
  EXPECT_EQ(feb.start, Utc(2028, 1, 31, 9, 30));
  EXPECT_EQ(feb.end, Utc(2028, 2, 29, 9, 30)) << "leap year";
  const Window mar = W(q, Utc(2028, 3, 1), anchor);
  EXPECT_EQ(mar.start, Utc(2028, 2, 29, 9, 30));
  EXPECT_EQ(mar.end, Utc(2028, 3, 31, 9, 30)) << "back to the 31st";
  ExpectBoundary(q, Utc(2028, 4, 30, 9, 30), anchor);
  ExpectBoundary(q, Utc(2029, 2, 28, 9, 30), anchor);  // not a leap year
}

TEST(QuotaWindow, SubscriptionAnchorsOnThe29thAnd30th) {
  const Quota q = Anchored("UTC");
  const int64_t on29 = Utc(2027, 1, 29, 8);
  EXPECT_EQ(W(q, Utc(2027, 2, 27), on29).end, Utc(2027, 2, 28, 8));
  ExpectBoundary(q, Utc(2027, 3, 29, 8), on29);
  EXPECT_EQ(W(q, Utc(2028, 2, 29, 8), on29).start, Utc(2028, 2, 29, 8)) << "leap day exists";
  const int64_t on30 = Utc(2027, 1, 30, 23, 59, 59);
  ExpectBoundary(q, Utc(2027, 2, 28, 23, 59, 59), on30);
  ExpectBoundary(q, Utc(2027, 3, 30, 23, 59, 59), on30);
  // An anchor on a leap day renews on the 29th where it exists and the 28th otherwise.
  const int64_t leap = Utc(2028, 2, 29, 12);
  ExpectBoundary(q, Utc(2028, 3, 29, 12), leap);
  ExpectBoundary(q, Utc(2029, 2, 28, 12), leap);
}

TEST(QuotaWindow, SubscriptionAnchorIsReadInTheQuotasZone) {
  // 31 Jan 2027 23:30 UTC is 1 Feb 00:30 in Paris: the subscription renews on the 1st at 00:30.
  const Quota q = Anchored("Europe/Paris");
  const int64_t anchor = Utc(2027, 1, 31, 23, 30);
  ExpectBoundary(q, Utc(2027, 2, 28, 23, 30), anchor);  // 1 Mar 00:30 CET
  ExpectBoundary(q, Utc(2027, 3, 31, 22, 30), anchor);  // 1 Apr 00:30 CEST
}

TEST(QuotaWindow, SubscriptionAnchorInsideADstGapStartsWhenClocksJumped) {
  // Anchor: 14 Feb 2027 02:30 New York time. On 14 Mar 2027 clocks jumped 02:00 EST → 03:00 EDT.
  const Quota q = Anchored("America/New_York");
  const int64_t anchor = Utc(2027, 2, 14, 7, 30);
  const Window w = W(q, Utc(2027, 3, 20), anchor);
  EXPECT_EQ(w.start, Utc(2027, 3, 14, 7)) << "03:00 EDT, the instant the clocks jumped to";
  EXPECT_EQ(w.end, Utc(2027, 4, 14, 6, 30));  // 02:30 EDT
  ExpectBoundary(q, Utc(2027, 3, 14, 7), anchor);
  // Lord Howe's half-hour gap (3 Oct 2027 02:00 → 02:30): an anchor at 02:15 starts at 02:30.
  const Quota lh = Anchored("Australia/Lord_Howe");
  ExpectBoundary(lh, Utc(2027, 10, 2, 15, 30), Utc(2027, 9, 2, 15, 45));  // 3 Sep 02:15 +10:30
}

TEST(QuotaWindow, SubscriptionAnchorInsideAFallBackHourUsesTheFirstOccurrence) {
  // Anchor 7 Oct 2027 01:30 EDT. On 7 Nov 2027 01:00–02:00 happens twice (EDT, then EST).
  const Quota q = Anchored("America/New_York");
  const int64_t anchor = Utc(2027, 10, 7, 5, 30);
  ExpectBoundary(q, Utc(2027, 11, 7, 5, 30), anchor);  // 01:30 EDT, the first one
  // 01:20 EST comes after 01:30 EDT although its local clock reads earlier: still November's.
  const Window w = W(q, Utc(2027, 11, 7, 6, 20), anchor);
  EXPECT_EQ(w.start, Utc(2027, 11, 7, 5, 30));
  EXPECT_EQ(w.end, Utc(2027, 12, 7, 6, 30));  // 01:30 EST
}

TEST(QuotaWindow, WindowsTileTimeWithoutGapsInEveryZone) {
  const char* zones[] = {"UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe",
                         "Asia/Kolkata", "America/Havana", "America/Asuncion", "Pacific/Chatham"};
  const int64_t anchors[] = {0, Utc(2023, 1, 31, 1, 30), Utc(2023, 3, 29, 2, 15),
                             Utc(2023, 10, 30, 0, 0)};
  for (const char* zone : zones) {
    for (const QuotaAnchor kind : {QuotaAnchor::kCalendar, QuotaAnchor::kSubscription}) {
      for (const int64_t anchor : anchors) {
        const Quota q{1, kind, zone};
        Window w = W(q, Utc(2023, 1, 1), anchor);
        for (int month = 0; month < 60; ++month) {
          ASSERT_GE(w.seconds(), 27 * 86'400) << zone << " " << month;
          ASSERT_LE(w.seconds(), 32 * 86'400) << zone << " " << month;
          const Window next = W(q, w.end, anchor);
          ASSERT_EQ(next.start, w.end) << zone << " month " << month;
          const Window same = W(q, w.end - 1, anchor);
          ASSERT_EQ(same.start, w.start) << zone << " month " << month;
          w = next;
        }
      }
    }
  }
}

TEST(QuotaWindow, NextQuotaWindowReusesTheLastWindowUntilItEnds) {
  const Quota q = Calendar("Europe/Paris");
  const Window jan = W(q, Utc(2027, 1, 10));
  auto same = NextQuotaWindow(jan, q, 0, jan.end - 1);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->start, jan.start);
  auto next = NextQuotaWindow(jan, q, 0, jan.end);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->start, jan.end);
  EXPECT_TRUE(NextQuotaWindow(Window{}, q, 0, 0).ok()) << "an empty window never matches";
}

TEST(QuotaWindow, UnknownZoneIsAnErrorNamingTheField) {
  auto w = QuotaWindow({1, QuotaAnchor::kCalendar, "Mars/Olympus"}, 0, Utc(2027, 1, 1));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().field, "timeZone");
  EXPECT_EQ(w.error().code, "unknown_time_zone");
  EXPECT_FALSE(IsKnownTimeZone("Mars/Olympus"));
  EXPECT_TRUE(IsKnownTimeZone("Europe/Paris"));
  EXPECT_TRUE(IsKnownTimeZone("Europe/Paris")) << "cached";
}

}  // namespace
}  // namespace tollgate::ratelimit
