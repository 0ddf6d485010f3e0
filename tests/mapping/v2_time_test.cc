#include "mapping/v2_time.h"

#include <gtest/gtest.h>

namespace trialbridge::mapping::v2time {
namespace {

std::string fhir(std::string_view v2, std::string_view zone = "+08:00") {
  auto dt = parse(v2);
  return dt ? toDateTime(*dt, zone) : std::string("<invalid>");
}

TEST(V2Time, EachPrecision) {
  EXPECT_EQ(fhir("2025"), "2025");
  EXPECT_EQ(fhir("202503"), "2025-03");
  EXPECT_EQ(fhir("20250312"), "2025-03-12");
  EXPECT_EQ(fhir("2025031207"), "2025-03-12T07:00:00+08:00");
  EXPECT_EQ(fhir("202503120730"), "2025-03-12T07:30:00+08:00");
  EXPECT_EQ(fhir("20250312073015"), "2025-03-12T07:30:15+08:00");
  EXPECT_EQ(fhir("20250312073015.1234"), "2025-03-12T07:30:15.1234+08:00");
}

TEST(V2Time, OffsetWrittenWinsOverTheDefault) {
  EXPECT_EQ(fhir("20080818183002.1-0700"), "2008-08-18T18:30:02.1-07:00");
  EXPECT_EQ(fhir("200808151100-0700", "Z"), "2008-08-15T11:00:00-07:00");
  EXPECT_EQ(fhir("200808151100", "Z"), "2008-08-15T11:00:00Z");
  EXPECT_EQ(fhir("20250312+0800"), "2025-03-12");  // a date has no zone in FHIR
}

TEST(V2Time, CalendarIsChecked) {
  for (const char* bad : {"20251301", "20250230", "20230229", "2025031224", "202503122360",
                          "20250312235960", "2025031", "20250312.5", "2025031207.5", "abcd",
                          "20250312073015.12345", "20250312+2500", "20250312-1300", "", "0000"}) {
    EXPECT_FALSE(parse(bad)) << bad;
  }
  EXPECT_TRUE(parse("20240229"));
  EXPECT_TRUE(parse("20000229"));
  EXPECT_FALSE(parse("19000229"));
}

TEST(V2Time, IsoFormIsReadAndMarked) {
  auto dt = parse("2025-03-12T07:30:00+08:00");
  ASSERT_TRUE(dt);
  EXPECT_TRUE(dt->iso);
  EXPECT_EQ(toDateTime(*dt, "Z"), "2025-03-12T07:30:00+08:00");
  EXPECT_EQ(fhir("2025-03-12T07:30", "Z"), "2025-03-12T07:30:00Z");
  EXPECT_EQ(fhir("2025-03-12"), "2025-03-12");
  EXPECT_EQ(fhir("2025-03-12T07:30:00.5Z"), "2025-03-12T07:30:00.5Z");
  EXPECT_FALSE(parse("2025-13-12"));
  EXPECT_FALSE(parse("2025-03-12T7:30"));
}

TEST(V2Time, InstantNeedsATime) {
  EXPECT_FALSE(toInstant(*parse("20250312"), "Z"));
  EXPECT_EQ(*toInstant(*parse("202503120730"), "+01:00"), "2025-03-12T07:30:00+01:00");
}

TEST(V2Time, Offsets) {
  EXPECT_EQ(*offset("+0800"), "+08:00");
  EXPECT_EQ(*offset("-0330"), "-03:30");
  EXPECT_EQ(*offset("+1400"), "+14:00");
  EXPECT_FALSE(offset("+1401"));
  EXPECT_FALSE(offset("0800"));
  EXPECT_FALSE(offset("+08:00"));
}

TEST(V2Time, IsAfter) {
  EXPECT_TRUE(isAfter("2025-03-12T08:00:00+08:00", "2025-03-12T07:59:59+08:00"));
  EXPECT_FALSE(isAfter("2025-03-12T08:00:00+08:00", "2025-03-12T00:00:00Z"));  // the same instant
  EXPECT_TRUE(isAfter("2025-03-12T08:00:01+08:00", "2025-03-12T00:00:00Z"));
  EXPECT_TRUE(isAfter("2025-03-13", "2025-03-12T23:00:00Z"));
  EXPECT_FALSE(isAfter("2025-03", "2025-03-12"));  // the same month
  EXPECT_TRUE(isAfter("2025-04", "2025-03-12"));
  EXPECT_FALSE(isAfter("not a date", "2025"));
}

TEST(V2Time, Times) {
  EXPECT_EQ(*parseTime("0730"), "07:30:00");
  EXPECT_EQ(*parseTime("07"), "07:00:00");
  EXPECT_EQ(*parseTime("073015.25"), "07:30:15.25");
  bool hadOffset = false;
  EXPECT_EQ(*parseTime("0730+0800", &hadOffset), "07:30:00");
  EXPECT_TRUE(hadOffset);
  EXPECT_FALSE(parseTime("2460"));
  EXPECT_FALSE(parseTime("7:30"));
  EXPECT_FALSE(parseTime("0730.5"));
}

}  // namespace
}  // namespace trialbridge::mapping::v2time
