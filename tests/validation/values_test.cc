// validation/values.h: minValue and maxValue on quantities, with units.
#include <gtest/gtest.h>

#include "validation_test_util.h"

namespace trialbridge::validation {
namespace {

using namespace validation::testing;

// A profile on Observation whose valueQuantity is at most 100 mg (UCUM).
const Validator& bounded() {
  static const auto context = withResources({{"p.json", R"({"resourceType":"StructureDefinition",
    "url":"http://a.org/sd/dose","name":"Dose","status":"draft","kind":"resource","abstract":false,
    "type":"Observation","derivation":"constraint",
    "baseDefinition":"http://hl7.org/fhir/StructureDefinition/Observation",
    "differential":{"element":[{"id":"Observation.value[x]","path":"Observation.value[x]",
      "type":[{"code":"Quantity"}],
      "maxValueQuantity":{"value":100,"system":"http://unitsofmeasure.org","code":"mg"}}]}})"}});
  static const Validator v(*context);
  return v;
}

core::Issues dose(const std::string& quantity) {
  return validate(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
    "meta":{"profile":["http://a.org/sd/dose"]},"valueQuantity":)" +
                      quantity + "}",
                  bounded());
}

TEST(Values, QuantityBoundsInTheSameUnit) {
  auto issues = dose(R"({"value":90,"system":"http://unitsofmeasure.org","code":"mg"})");
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
  issues = dose(R"({"value":120,"system":"http://unitsofmeasure.org","code":"mg"})");
  EXPECT_EQ(findAll(issues, "greater than the maximum value 100 mg").size(), 1u) << dump(issues);
}

TEST(Values, QuantityBoundsConvertUcumUnits) {
  auto issues = dose(R"({"value":0.09,"system":"http://unitsofmeasure.org","code":"g"})");
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
  issues = dose(R"({"value":0.2,"system":"http://unitsofmeasure.org","code":"g"})");
  EXPECT_EQ(findAll(issues, "The value 0.2 g is greater than the maximum value 100 mg").size(), 1u)
      << dump(issues);
  issues = dose(R"({"value":1,"system":"http://unitsofmeasure.org","code":"mL"})");
  EXPECT_EQ(findAll(issues, "Unable to convert the value 1 from unit mL").size(), 1u)
      << dump(issues);
}

TEST(Values, QuantityBoundsThatCannotBeComparedAreSaid) {
  auto issues = dose(R"({"value":500,"system":"http://a.org/units","code":"mg"})");
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
  EXPECT_NE(findIssue(issues, "cannot be checked: its system is"), nullptr) << dump(issues);
  issues = dose(R"({"value":500,"unit":"mg"})");
  EXPECT_NE(findIssue(issues, "the quantity has no system or code"), nullptr) << dump(issues);
}

}  // namespace
}  // namespace trialbridge::validation
