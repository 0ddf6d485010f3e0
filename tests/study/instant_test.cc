// Times for the protocol's logic: FHIR dates and date-times as spans of seconds, calendar months
// in the value's own zone, local calendar days.
#include "study/instant.h"

#include <gtest/gtest.h>

namespace trialbridge::study {
namespace {

int64_t at(const char* text) {
  auto i = parseInstant(text);
  EXPECT_TRUE(i) << text;
  return i ? i->seconds : 0;
}

TEST(Instant, DateTimeWithZoneIsOneSecondInUtc) {
  auto i = parseInstant("2025-02-12T09:30+08:00");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->seconds, at("2025-02-12T01:30:00Z"));
  EXPECT_EQ(i->span, 1);
  EXPECT_EQ(i->zoneMinutes, 480);
  EXPECT_TRUE(i->hasTime());
  EXPECT_EQ(formatInstant(*i), "2025-02-12T09:30:00+08:00");
  EXPECT_EQ(at("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(at("2025-02-12T09:30:15.250-05:00"), at("2025-02-12T14:30:15Z"));
}

TEST(Instant, DatesCoverTheirWholeSpanInTheZoneGiven) {
  auto day = parseInstant("2025-02-12", 480);
  ASSERT_TRUE(day);
  EXPECT_EQ(day->precision, TimePrecision::Day);
  EXPECT_EQ(day->seconds, at("2025-02-12T00:00:00+08:00"));
  EXPECT_EQ(day->span, kSecondsPerDay);
  EXPECT_EQ(formatInstant(*day), "2025-02-12");
  auto month = parseInstant("2024-02");
  ASSERT_TRUE(month);
  EXPECT_EQ(month->span, 29 * kSecondsPerDay);  // 2024 is a leap year
  auto year = parseInstant("2023");
  ASSERT_TRUE(year);
  EXPECT_EQ(year->span, 365 * kSecondsPerDay);
}

TEST(Instant, RefusesWhatIsNotADateOrDateTime) {
  for (const char* bad : {"", "2025-2-12", "2025-02-30", "2023-02-29", "2025-13-01",
                          "2025-02-12T09:30", "2025-02-12T24:00Z", "2025-02-12T09:30+15:00",
                          "2025-02-12T09:30Zjunk", "12/02/2025", "2025-02-12T09:30:5Z"}) {
    EXPECT_FALSE(parseInstant(bad)) << bad;
  }
  EXPECT_TRUE(parseInstant("2024-02-29"));
}

TEST(Instant, CivilDaysRoundTrip) {
  for (int64_t d : {-719468, -1, 0, 1, 11016, 20000, 2932896}) {
    int64_t y;
    unsigned m, day;
    civilFromDays(d, y, m, day);
    EXPECT_EQ(daysFromCivil(y, m, day), d);
  }
  EXPECT_EQ(daysFromCivil(2000, 3, 1) - daysFromCivil(2000, 2, 28), 2);  // 2000 was leap
  EXPECT_EQ(daysFromCivil(1900, 3, 1) - daysFromCivil(1900, 2, 28), 1);  // 1900 was not
}

TEST(Instant, AddsExactUnitsAndCalendarMonths) {
  const int64_t t = at("2025-01-31T09:30+08:00");
  EXPECT_EQ(*addTime(t, 15, "min", 480), t + 900);
  EXPECT_EQ(*addTime(t, -1.5, "h", 480), t - 5400);
  EXPECT_EQ(*addTime(t, 7, "d", 480), at("2025-02-07T09:30+08:00"));
  EXPECT_EQ(*addTime(t, 2, "wk", 480), at("2025-02-14T09:30+08:00"));
  // Months: the same local time, clamped to the month's last day.
  EXPECT_EQ(*addTime(t, 1, "mo", 480), at("2025-02-28T09:30+08:00"));
  EXPECT_EQ(*addTime(at("2024-01-31T09:30+08:00"), 1, "mo", 480), at("2024-02-29T09:30+08:00"));
  EXPECT_EQ(*addTime(t, 12, "mo", 480), at("2026-01-31T09:30+08:00"));
  EXPECT_EQ(*addTime(t, -2, "mo", 480), at("2024-11-30T09:30+08:00"));
  // Local, not UTC: 00:30 local on 1 March is still February in UTC.
  EXPECT_EQ(*addTime(at("2025-03-01T00:30+08:00"), 1, "mo", 480), at("2025-04-01T00:30+08:00"));
  EXPECT_FALSE(addTime(t, 1, "a", 0));
}

TEST(Instant, StartOfLocalDay) {
  EXPECT_EQ(startOfLocalDay(at("2025-02-12T01:30+08:00"), 480), at("2025-02-12T00:00+08:00"));
  EXPECT_EQ(startOfLocalDay(at("2025-02-12T23:59:59-05:00"), -300), at("2025-02-12T00:00-05:00"));
  EXPECT_EQ(startOfLocalDay(-1, 0), -kSecondsPerDay);
}

}  // namespace
}  // namespace trialbridge::study
