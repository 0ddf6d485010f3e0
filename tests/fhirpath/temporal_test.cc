#include "fhirpath/temporal.h"

#include <gtest/gtest.h>

namespace trialbridge::fhirpath {
namespace {

Temporal dt(std::string_view s) {
  auto t = parseDateTime(s, true);
  EXPECT_TRUE(t.has_value()) << s;
  return t.value_or(Temporal());
}

TEST(Temporal, ParseAndFormat) {
  EXPECT_EQ(formatTemporal(*parseDate("2014"), TemporalKind::Date), "2014");
  EXPECT_EQ(formatTemporal(*parseDate("2014-01-05"), TemporalKind::Date), "2014-01-05");
  EXPECT_EQ(formatTemporal(dt("2014-01-05T10:30:00.123+10:00"), TemporalKind::DateTime),
            "2014-01-05T10:30:00.123+10:00");
  EXPECT_EQ(formatTemporal(dt("2014-01-05T10:30Z"), TemporalKind::DateTime), "2014-01-05T10:30Z");
  EXPECT_EQ(formatTemporal(*parseTime("14:34"), TemporalKind::Time), "14:34");
  EXPECT_EQ(dt("2015T").precision, Precision::Year);
  EXPECT_FALSE(parseDate("2014-13").has_value());
  EXPECT_FALSE(parseDate("2014-02-30").has_value());
  EXPECT_FALSE(parseDateTime("2015T").has_value());  // only FHIRPath literals have a bare T
  EXPECT_FALSE(parseTime("25:00").has_value());
  EXPECT_TRUE(timeHasTimezone("14:34:28Z"));
  EXPECT_FALSE(timeHasTimezone("14:34:28"));
}

TEST(Temporal, ComparisonWithPrecisionAndTimezones) {
  EXPECT_EQ(
      compareTemporal(dt("2012-04-15T15:00:00+02:00"), dt("2012-04-15T16:00:00+03:00"), false), 0);
  EXPECT_EQ(
      compareTemporal(dt("2017-11-05T01:30:00.0-04:00"), dt("2017-11-05T01:15:00.0-05:00"), false),
      -1);
  // Different precision with equal common parts: unknown.
  EXPECT_FALSE(compareTemporal(dt("2018-03"), dt("2018-03-01"), false).has_value());
  // Seconds and milliseconds are one precision.
  EXPECT_EQ(compareTemporal(dt("2018-03-01T10:30:00"), dt("2018-03-01T10:30:00.0"), false), 0);
  // A timezone on one side only.
  EXPECT_FALSE(compareTemporal(dt("2012-04-15T15:00:00Z"), dt("2012-04-15T10:00:00"), false));
  EXPECT_EQ(compareTemporal(*parseDate("1974-12-25"), dt("2026-01-01T10:00:00Z"), false), -1);
  EXPECT_TRUE(equivalentTemporal(dt("2012-04-15T15:30:31"), dt("2012-04-15T15:30:31.0"), false));
  EXPECT_FALSE(equivalentTemporal(*parseDate("2012-04-15"), dt("2012-04-15T10:00:00"), false));
}

TEST(Temporal, Arithmetic) {
  auto add = [](std::string_view s, int64_t n, CalendarUnit u) {
    auto t = parseDateTime(s, true);
    return formatTemporal(*addToTemporal(*t, TemporalKind::DateTime, n, u), TemporalKind::DateTime);
  };
  EXPECT_EQ(add("1973-12-25", 7, CalendarUnit::Day), "1974-01-01");
  EXPECT_EQ(add("1973-12-25", 1, CalendarUnit::Month), "1974-01-25");
  EXPECT_EQ(add("2012-01-31", 1, CalendarUnit::Month), "2012-02-29");
  EXPECT_EQ(add("1974-12-25", -1, CalendarUnit::Month), "1974-11-25");
  EXPECT_EQ(add("1973-12-25T00:00:00.000+10:00", 10, CalendarUnit::Millisecond),
            "1973-12-25T00:00:00.010+10:00");
  EXPECT_EQ(add("1973-12-31T23:00:00Z", 2, CalendarUnit::Hour), "1974-01-01T01:00:00Z");
  // A date moves by whole days only.
  EXPECT_EQ(add("1973-12-25", 25, CalendarUnit::Hour), "1973-12-26");
  auto t = addToTemporal(*parseTime("23:30"), TemporalKind::Time, 1, CalendarUnit::Hour);
  EXPECT_EQ(formatTemporal(*t, TemporalKind::Time), "00:30");
}

TEST(Temporal, Boundaries) {
  auto boundary = [](const Temporal& t, TemporalKind kind, int digits, bool high) {
    TemporalKind k = kind;
    auto r = temporalBoundary(t, kind, digits, high, k);
    return r ? formatTemporal(*r, k) : std::string("none");
  };
  EXPECT_EQ(boundary(*parseDate("2014"), TemporalKind::Date, 6, false), "2014-01");
  EXPECT_EQ(boundary(dt("2014-01-01T08"), TemporalKind::DateTime, 17, false),
            "2014-01-01T08:00:00.000+14:00");
  EXPECT_EQ(boundary(dt("2014-01-01T08:05-05:00"), TemporalKind::DateTime, 17, true),
            "2014-01-01T08:05:59.999-05:00");
  EXPECT_EQ(boundary(*parseTime("10:30"), TemporalKind::Time, 9, true), "10:30:59.999");
  EXPECT_EQ(boundary(dt("2016-02"), TemporalKind::DateTime, 8, true), "2016-02-29");
  EXPECT_EQ(boundary(*parseDate("2014"), TemporalKind::Date, 5, false), "none");
  EXPECT_EQ(temporalPrecisionDigits(dt("2014-01-05T10:30:00.000"), TemporalKind::DateTime), 17);
  EXPECT_EQ(temporalPrecisionDigits(*parseTime("10:30"), TemporalKind::Time), 4);
}

TEST(Temporal, CalendarUnits) {
  EXPECT_EQ(calendarKeyword("weeks"), CalendarUnit::Week);
  EXPECT_FALSE(calendarKeyword("wk").has_value());
  EXPECT_EQ(ucumCalendarUnit("wk"), CalendarUnit::Week);
  EXPECT_FALSE(ucumCalendarUnit("mo").has_value());  // not a calendar month
  EXPECT_FALSE(ucumCalendarUnit("a").has_value());
}

}  // namespace
}  // namespace trialbridge::fhirpath
