// validation/extensions.h: extension URLs (absolute, except for sub-extensions) and lookup.
#include <gtest/gtest.h>

#include "validation_test_util.h"

namespace trialbridge::validation {
namespace {

using namespace validation::testing;

TEST(Extensions, UrlsAreAbsoluteExceptForSubExtensions) {
  auto issues = validate(R"({"resourceType":"Patient","extension":[
    {"url":"birthPlace","valueString":"Paris"}]})");
  const auto bad = findAll(issues, "is not absolute");
  ASSERT_EQ(bad.size(), 1u) << dump(issues);
  EXPECT_EQ(bad[0]->location, "Patient.extension[0]");
  issues = validate(R"({"resourceType":"Patient","modifierExtension":[
    {"url":"local-flag","valueBoolean":true}]})");
  EXPECT_EQ(findAll(issues, "is not absolute").size(), 1u) << dump(issues);
  // Sub-extensions of a complex extension are named relatively.
  issues = validate(R"({"resourceType":"Patient","extension":[
    {"url":"http://hl7.org/fhir/StructureDefinition/patient-nationality","extension":[
      {"url":"code","valueCodeableConcept":{"text":"French"}}]}]})");
  EXPECT_TRUE(findAll(issues, "is not absolute").empty()) << dump(issues);
}

TEST(Extensions, UnknownAndVersionedUrls) {
  auto issues = validate(R"({"resourceType":"Patient","extension":[
    {"url":"http://unknown.example.com/ext","valueString":"x"}]})");
  EXPECT_EQ(findAll(issues, "could not be found so is not allowed here").size(), 1u)
      << dump(issues);
  issues = validate(R"({"resourceType":"Patient","extension":[
    {"url":"http://hl7.org/fhir/StructureDefinition/patient-birthPlace|4.0.1",
     "valueAddress":{"city":"Paris"}}]})");
  EXPECT_EQ(findAll(issues, "must not contain a version").size(), 1u) << dump(issues);
}

}  // namespace
}  // namespace trialbridge::validation
