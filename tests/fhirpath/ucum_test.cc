// Tests of adapter/conformance/ucum (kept with the FHIRPath tests, its main user).
#include "conformance/ucum.h"

#include <gtest/gtest.h>

namespace trialbridge::conformance::ucum {
namespace {

TEST(Ucum, DataIsEmbedded) { EXPECT_EQ(dataVersion(), "2.0.1"); }

TEST(Ucum, ParsesExpressions) {
  for (const char* u : {"mg",         "mg/dL",    "kg.m/s2",  "10*3/uL", "[lb_av]",
                        "mm[Hg]",     "%",        "1",        "/min",    "mL/min/{1.73_m2}",
                        "{cells}/uL", "cal_[15]", "B[10.nV]", "[in_i]",  "ug/(kg.h)",
                        "m2",         "s-1",      "Cel",      "[degF]",  "[iU]/L"}) {
    std::string error;
    EXPECT_TRUE(isValid(u, &error)) << u << ": " << error;
  }
  for (const char* u : {"wk ", "xyz", "mg/", "(mg", "[lb_av", "kg..m", ""}) {
    EXPECT_FALSE(isValid(u)) << u;
  }
}

TEST(Ucum, Converts) {
  auto near = [](std::optional<long double> v, long double want) {
    return v.has_value() &&
           std::abs(static_cast<double>(*v - want)) < 1e-9 * std::max(1.0L, std::abs(want));
  };
  EXPECT_TRUE(near(convert(4, "g", "mg"), 4000));
  EXPECT_TRUE(near(convert(1, "wk", "d"), 7));
  EXPECT_TRUE(near(convert(185, "[lb_av]", "kg"), 83.91458845));
  EXPECT_TRUE(near(convert(1, "m2", "cm2"), 10000));
  EXPECT_TRUE(near(convert(1, "mmol/L", "umol/L"), 1000));
  EXPECT_TRUE(near(convert(100, "Cel", "K"), 373.15));
  EXPECT_TRUE(near(convert(212, "[degF]", "Cel"), 100));
  EXPECT_TRUE(near(convert(1, "%", "1"), 0.01));
  EXPECT_FALSE(convert(1, "cm", "s").has_value());
  EXPECT_FALSE(convert(1, "[iU]", "mg").has_value());
}

TEST(Ucum, Comparability) {
  EXPECT_TRUE(comparable("cm", "[in_i]"));
  EXPECT_FALSE(comparable("cm", "s"));
  EXPECT_TRUE(comparable("[IU]", "[iU]"));
  EXPECT_FALSE(comparable("[iU]", "[arb'U]"));
  EXPECT_TRUE(comparable("g/m", "kg/km"));
  auto c = parse("kg.m/s2");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(canonicalString(*c), "m.s-2.g");
  EXPECT_TRUE(parse("m/m")->isDimensionless());
}

}  // namespace
}  // namespace trialbridge::conformance::ucum
