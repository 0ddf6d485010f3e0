// Laboratory values: which codes are the same test, unit conversion (UCUM, and mass <->
// substance through the molar mass), censored values, limits of normal and ages.
#include "study/lab.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_util.h"

namespace trialbridge::study {
namespace lab_test {

constexpr const char* kLoinc = "http://loinc.org";

LabResult result(const char* code, double value, const char* unit) {
  LabResult r;
  r.system = kLoinc;
  r.code = code;
  r.value = value;
  r.unit = unit;
  r.effective = *parseInstant("2025-02-05T08:00+08:00");
  return r;
}

TEST(LabCatalog, KnowsTheAnalytesOfTheReferenceTrial) {
  const LabCatalog& c = LabCatalog::get();
  for (const char* code : {"777-3", "1742-6", "1920-8", "1975-2", "2160-0", "2164-2", "2106-3"}) {
    EXPECT_NE(c.find(kLoinc, code), nullptr) << code;
  }
  EXPECT_EQ(c.find(kLoinc, "777-3")->id, "platelets");
  EXPECT_EQ(c.find("http://example.org/local", "777-3"), nullptr);  // the system counts
  EXPECT_EQ(c.find(kLoinc, "0000-0"), nullptr);
  EXPECT_EQ(c.specimen(kLoinc, "2106-3"), "urine");
  EXPECT_EQ(c.specimen(kLoinc, "2118-8"), "serum");
  EXPECT_NEAR(*c.byId("creatinine")->molarMass, 113.12, 0.01);
  EXPECT_NEAR(*c.byId("bilirubin-total")->molarMass, 584.66, 0.01);
}

TEST(LabCatalog, SameTestByCodeOrAnalyte) {
  // Creatinine by mass (2160-0) and by substance (14682-9) measure the same analyte.
  EXPECT_TRUE(sameTest(kLoinc, "2160-0", kLoinc, "14682-9"));
  EXPECT_TRUE(sameTest(kLoinc, "1742-6", kLoinc, "1742-6"));
  EXPECT_FALSE(sameTest(kLoinc, "2160-0", kLoinc, "1742-6"));
  EXPECT_TRUE(sameTest("urn:local", "X1", "urn:local", "X1"));  // unknown codes: only equal
  EXPECT_FALSE(sameTest("urn:local", "X1", "urn:local", "X2"));
  Concept alt{"ALT", {{kLoinc, "1742-6", "", ""}}};
  EXPECT_TRUE(sameTest(alt, kLoinc, "1743-4"));
  EXPECT_FALSE(sameTest(alt, kLoinc, "1920-8"));
}

TEST(Units, CountsPerVolumeConvertByUcum) {
  std::string why;
  // 10*3/uL and 10*9/L are the same number: 1000 per microlitre is 10^9 per litre.
  EXPECT_NEAR(*convertUnit(150, "10*3/uL", "10*9/L", nullptr, &why), 150, 1e-9);
  EXPECT_NEAR(*convertUnit(150000, "/uL", "10*9/L", nullptr, &why), 150, 1e-9);
  EXPECT_NEAR(*convertUnit(2.5, "g/dL", "g/L", nullptr, &why), 25, 1e-9);
}

TEST(Units, MassAndSubstanceConvertThroughTheMolarMass) {
  const Analyte* creatinine = LabCatalog::get().byId("creatinine");
  const Analyte* bilirubin = LabCatalog::get().byId("bilirubin-total");
  std::string why;
  // 1 mg/dL creatinine = 10 mg/L / 113.12 g/mol = 88.4 umol/L (the usual factor).
  EXPECT_NEAR(*convertUnit(1, "mg/dL", "umol/L", creatinine, &why), 88.40, 0.01);
  EXPECT_NEAR(*convertUnit(88.4, "umol/L", "mg/dL", creatinine, &why), 1.0, 0.001);
  // 1 mg/dL bilirubin = 17.1 umol/L.
  EXPECT_NEAR(*convertUnit(1, "mg/dL", "umol/L", bilirubin, &why), 17.10, 0.01);
  EXPECT_NEAR(*convertUnit(0.5, "mmol/L", "mg/dL", creatinine, &why), 5.656, 0.001);
  // Without an analyte (no molar mass) the same conversion is refused.
  EXPECT_FALSE(convertUnit(1, "mg/dL", "umol/L", nullptr, &why));
  EXPECT_NE(why.find("cannot be converted"), std::string::npos) << why;
}

TEST(Units, IncomparableUnitsAreRefusedWithTheReason) {
  const Analyte* alt = LabCatalog::get().byId("alt");
  std::string why;
  EXPECT_FALSE(convertUnit(40, "U/L", "mg/dL", alt, &why));
  EXPECT_NE(why.find("'U/L' cannot be converted to 'mg/dL'"), std::string::npos) << why;
  EXPECT_FALSE(convertUnit(40, "", "U/L", alt, &why));
  EXPECT_NE(why.find("no unit"), std::string::npos) << why;
  EXPECT_FALSE(convertUnit(40, "x10E9/L", "10*9/L", nullptr, &why));
  EXPECT_NE(why.find("not a UCUM unit"), std::string::npos) << why;
  EXPECT_TRUE(convertUnit(40, "U/L", "U/L", alt, &why));  // the same unit needs no parsing
}

TEST(Units, CensoredValuesAreRanges) {
  LabResult r = result("2106-3", 5, "m[IU]/mL");
  r.comparator = "<";
  std::string why;
  auto v = valueIn(r, "[IU]/L", nullptr, &why);
  ASSERT_TRUE(v) << why;
  EXPECT_TRUE(std::isinf(v->low) && v->low < 0);
  EXPECT_NEAR(v->high, 5, 1e-9);
  EXPECT_TRUE(v->highOpen);
  EXPECT_FALSE(v->point());
  r.comparator = ">=";
  v = valueIn(r, "", nullptr, &why);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->low, 5);
  EXPECT_FALSE(v->lowOpen);
  EXPECT_TRUE(std::isinf(v->high));
  r.value.reset();
  EXPECT_FALSE(valueIn(r, "", nullptr, &why));
  EXPECT_EQ(why, "the result has no numeric value");
}

TEST(NormalLimits, FromTheResultConvertedToTheUnitAsked) {
  Trial t;
  LabResult r = result("14682-9", 120, "umol/L");
  r.low = 0.6;
  r.high = 1.2;
  r.rangeUnit = "mg/dL";
  std::string why;
  NormalLimits l = normalLimits(t, r, {}, "umol/L", &why);
  EXPECT_EQ(l.source, "result");
  EXPECT_NEAR(*l.high, 106.08, 0.01);
  EXPECT_NEAR(*l.low, 53.04, 0.01);
}

TEST(NormalLimits, FromTheTrialBySexWhenTheResultHasNone) {
  Trial t = test::sampleTrial("samples/trials/tbx101-fih-01.json");
  LabResult r = result("2160-0", 1.0, "mg/dL");
  std::string why;
  NormalLimits female = normalLimits(t, r, {"female", "1960-01-01", {}}, "mg/dL", &why);
  EXPECT_EQ(female.source, "trial");
  EXPECT_NEAR(*female.high, 1.1, 1e-9);
  NormalLimits male = normalLimits(t, r, {"male", "1960-01-01", {}}, "umol/L", &why);
  EXPECT_NEAR(*male.high, 1.3 * 88.402, 0.01);  // converted through the molar mass
  // No sex recorded: neither sex-specific range applies.
  why.clear();
  NormalLimits none = normalLimits(t, r, {}, "mg/dL", &why);
  EXPECT_FALSE(none.high);
  EXPECT_EQ(none.source, "");
  EXPECT_NE(why.find("no reference range"), std::string::npos) << why;
}

TEST(NormalLimits, RangesLimitedByAge) {
  Trial t;
  ReferenceRange child{
      {"Creatinine", {{kLoinc, "2160-0", "", ""}}}, 0.2, 0.7, "mg/dL", "", {}, Age{"17", "a"}};
  ReferenceRange adult{
      {"Creatinine", {{kLoinc, "2160-0", "", ""}}}, 0.6, 1.2, "mg/dL", "", Age{"18", "a"}, {}};
  t.laboratory.referenceRanges = {child, adult};
  LabResult r = result("2160-0", 0.5, "mg/dL");  // taken 2025-02-05
  std::string why;
  EXPECT_NEAR(*normalLimits(t, r, {"male", "2015-07-21", {}}, "", &why).high, 0.7, 1e-9);
  EXPECT_NEAR(*normalLimits(t, r, {"male", "1988-04-12", {}}, "", &why).high, 1.2, 1e-9);
  // 17 years and some months: the maximum age 17 includes the whole 17th year.
  EXPECT_NEAR(*normalLimits(t, r, {"male", "2007-06-01", {}}, "", &why).high, 0.7, 1e-9);
}

TEST(Age, ReachedOnTheBirthdayInTheLocalCalendar) {
  const Instant screening = *parseInstant("2025-02-05T08:00+08:00");
  EXPECT_EQ(hasReachedAge("2021-02-05", screening, 4, "a"), true);
  EXPECT_EQ(hasReachedAge("2021-02-06", screening, 4, "a"), false);
  EXPECT_EQ(hasReachedAge("2024-12-05", screening, 2, "mo"), true);
  EXPECT_EQ(hasReachedAge("2025-01-30", screening, 7, "d"), false);
  EXPECT_EQ(hasReachedAge("2025-01-29", screening, 1, "wk"), true);
  // 2025-02-05T08:00+08:00 is 2025-02-05 locally but 2025-02-05T00:00Z; the local day counts.
  EXPECT_EQ(hasReachedAge("2021-02-05", *parseInstant("2025-02-05T01:00+08:00"), 4, "a"), true);
}

TEST(Age, PartialBirthDatesDecideOnlyWhenEveryBirthdayAgrees) {
  const Instant screening = *parseInstant("2025-02-05T08:00+08:00");
  EXPECT_EQ(hasReachedAge("1988", screening, 36, "a"), true);  // born in 1988: 36 all of 2025
  EXPECT_EQ(hasReachedAge("1988", screening, 37, "a"), std::nullopt);
  EXPECT_EQ(hasReachedAge("1988-04", screening, 37, "a"), false);
  EXPECT_EQ(hasReachedAge("2021-02", screening, 4, "a"), std::nullopt);
  EXPECT_EQ(hasReachedAge("", screening, 4, "a"), std::nullopt);
  EXPECT_EQ(hasReachedAge("not a date", screening, 4, "a"), std::nullopt);
}

}  // namespace lab_test
}  // namespace trialbridge::study
