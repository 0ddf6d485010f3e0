// validation/quantity_rules.cc: UCUM unit codes of quantities.
#include <gtest/gtest.h>

#include "validation_test_util.h"

namespace trialbridge::validation {
namespace {

using namespace validation::testing;

std::string observation(const std::string& quantity) {
  return R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":)" +
         quantity + "}";
}

TEST(QuantityRules, UcumCodesMustBeUcum) {
  auto issues = validate(observation(
      R"({"value":5.4,"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"})"));
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
  issues = validate(observation(
      R"({"value":2,"unit":"tablet","system":"http://unitsofmeasure.org","code":"TAB"})"));
  const auto bad = findAll(issues, "The unit code 'TAB' is not a valid UCUM expression");
  ASSERT_EQ(bad.size(), 1u) << dump(issues);
  EXPECT_EQ(bad[0]->location, "Observation.value.code");
  // Codes of other systems are not UCUM's to judge.
  issues = validate(observation(R"({"value":2,"system":"http://a.org/units","code":"TAB"})"));
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
}

TEST(QuantityRules, EveryKindOfQuantityIsChecked) {
  const auto issues = validate(R"({"resourceType":"Patient","extension":[
    {"url":"http://hl7.org/fhir/StructureDefinition/patient-animal","extension":[
      {"url":"species","valueCodeableConcept":{"text":"dog"}}]}],
    "contact":[{"name":{"text":"x"},"period":{"start":"2020-01-01"}}]})");
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
  const auto age = validate(R"({"resourceType":"Condition","subject":{"reference":"Patient/1"},
    "onsetAge":{"value":3,"system":"http://unitsofmeasure.org","code":"years"}})");
  EXPECT_EQ(findAll(age, "The unit code 'years' is not a valid UCUM expression").size(), 1u)
      << dump(age);
}

TEST(QuantityRules, AnnotationsAreNoted) {
  const auto issues = validate(
      observation(R"({"value":4.5,"system":"http://unitsofmeasure.org","code":"10*9/L{cells}"})"));
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
  const core::Issue* i = findIssue(issues, "annotation {cells}");
  ASSERT_NE(i, nullptr) << dump(issues);
  EXPECT_EQ(i->severity, core::Severity::Information);
}

}  // namespace
}  // namespace trialbridge::validation
