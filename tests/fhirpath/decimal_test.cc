#include "fhirpath/decimal.h"

#include <gtest/gtest.h>

namespace trialbridge::fhirpath {
namespace {

Decimal d(std::string_view s) {
  auto v = Decimal::parse(s);
  EXPECT_TRUE(v.has_value()) << s;
  return v.value_or(Decimal());
}

TEST(Decimal, ParseKeepsScale) {
  EXPECT_EQ(d("1.50").toString(), "1.50");
  EXPECT_EQ(d("-0.0").toString(), "0.0");
  EXPECT_EQ(d("3").toString(), "3");
  EXPECT_EQ(d("1.2e3").toString(), "1200");
  EXPECT_EQ(d("1.5e-3").toString(), "0.0015");
  EXPECT_EQ(d("1234567890987654321.0").toString(), "1234567890987654321.0");
  EXPECT_EQ(d("1.50").scale(), 2);
  EXPECT_FALSE(Decimal::parse("1.").has_value());
  EXPECT_FALSE(Decimal::parse("").has_value());
  EXPECT_FALSE(Decimal::parse("1.2.3").has_value());
  EXPECT_FALSE(Decimal::parse("abc").has_value());
}

TEST(Decimal, ExactArithmetic) {
  EXPECT_EQ(Decimal::sub(d("1.8"), d("1.2"))->toString(), "0.6");
  EXPECT_EQ(Decimal::add(d("1.2"), d("1.8"))->toString(), "3.0");
  EXPECT_EQ(Decimal::mul(d("1.2"), d("1.8"))->toString(), "2.16");
  EXPECT_EQ(Decimal::div(d("1"), d("2"))->toString(), "0.5");
  EXPECT_EQ(Decimal::div(d("2"), d("2"))->toString(), "1");
  EXPECT_EQ(Decimal::div(d("1.2"), d("1.8"))->roundHalfUp(2).toString(), "0.67");
  EXPECT_FALSE(Decimal::div(d("1"), d("0")).has_value());
  EXPECT_EQ(Decimal::intDiv(d("2.2"), d("1.8"))->toString(), "1");
  EXPECT_EQ(Decimal::mod(d("2.2"), d("1.8"))->toString(), "0.4");
}

TEST(Decimal, CompareIgnoresScale) {
  EXPECT_EQ(Decimal::compare(d("1.10"), d("1.1")), 0);
  EXPECT_LT(Decimal::compare(d("-2"), d("1.5")), 0);
  EXPECT_GT(Decimal::compare(d("0.001"), d("0")), 0);
}

TEST(Decimal, Rounding) {
  EXPECT_EQ(d("3.14159").roundHalfUp(3).toString(), "3.142");
  EXPECT_EQ(d("-2.5").roundHalfUp(0).toString(), "-3");
  EXPECT_EQ(d("-2.1").floor().toString(), "-3");
  EXPECT_EQ(d("-1.1").ceiling().toString(), "-1");
  EXPECT_EQ(d("-1.56").truncated().toString(), "-1");
}

TEST(Decimal, Boundaries) {
  EXPECT_EQ(d("1.587").lowBoundary(8)->toString(), "1.58650000");
  EXPECT_EQ(d("1.587").highBoundary(8)->toString(), "1.58750000");
  EXPECT_EQ(d("1.587").lowBoundary(2)->toString(), "1.58");
  EXPECT_EQ(d("1.587").highBoundary(2)->toString(), "1.59");
  EXPECT_EQ(d("-1.587").lowBoundary(2)->toString(), "-1.59");
  EXPECT_EQ(d("-0.0034").lowBoundary(1)->toString(), "-0.0");
  EXPECT_EQ(d("120").lowBoundary(2)->toString(), "119.50");
  EXPECT_EQ(d("1").highBoundary(0)->toString(), "2");
  EXPECT_FALSE(d("1.587").lowBoundary(-1).has_value());
  EXPECT_FALSE(d("1.587").lowBoundary(29).has_value());
}

TEST(Decimal, Doubles) {
  EXPECT_EQ(Decimal::fromDouble(9.0)->toString(), "9");
  EXPECT_EQ(Decimal::fromDouble(0.1)->toString(), "0.1");
  EXPECT_FALSE(Decimal::fromDouble(1.0 / 0.0).has_value());
  EXPECT_DOUBLE_EQ(d("2.5").toDouble(), 2.5);
}

}  // namespace
}  // namespace trialbridge::fhirpath
