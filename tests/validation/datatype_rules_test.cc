// validation/datatype_rules.cc: strings, reasonable years, uri schemes, Identifier and Coding
// systems.
#include <gtest/gtest.h>

#include "validation_test_util.h"

namespace trialbridge::validation {
namespace {

using namespace validation::testing;

TEST(DatatypeRules, WhiteSpaceAroundOrOnlyIsAWarning) {
  auto issues = validate(R"({"resourceType":"Patient","name":[{"family":" Doe"}]})");
  const core::Issue* ends = findIssue(issues, "starts or ends with white space");
  ASSERT_NE(ends, nullptr) << dump(issues);
  EXPECT_EQ(ends->severity, core::Severity::Warning);
  EXPECT_EQ(ends->location, "Patient.name[0].family");
  issues = validate(R"({"resourceType":"Patient","name":[{"family":"   "}]})");
  EXPECT_NE(findIssue(issues, "only white space"), nullptr) << dump(issues);
  issues = validate(R"({"resourceType":"Patient","name":[{"family":"Doe"}]})");
  EXPECT_EQ(findIssue(issues, "white space"), nullptr) << dump(issues);
}

TEST(DatatypeRules, UnreasonableYearsAreAWarning) {
  auto issues = validate(R"({"resourceType":"Patient","birthDate":"0197-01-01"})");
  const core::Issue* i = findIssue(issues, "The year 0197 is outside the range");
  ASSERT_NE(i, nullptr) << dump(issues);
  EXPECT_EQ(i->severity, core::Severity::Warning);
  issues = validate(R"({"resourceType":"Patient","birthDate":"1997-01-01"})");
  EXPECT_EQ(findIssue(issues, "outside the range of reasonable years"), nullptr) << dump(issues);
}

TEST(DatatypeRules, OidAndUuidAreUrns) {
  auto issues =
      validate(R"({"resourceType":"Patient","identifier":[{"system":"oid:1.2.3","value":"x"}]})");
  EXPECT_EQ(findAll(issues, "'oid:1.2.3' is not a URI").size(), 1u) << dump(issues);
  issues = validate(
      R"({"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.3","value":"x"}]})");
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
}

TEST(DatatypeRules, IdentifierSystems) {
  auto issues =
      validate(R"({"resourceType":"Patient","identifier":[{"system":"mrn","value":"1"}]})");
  const auto rel = findAll(issues, "The identifier system 'mrn' is not an absolute URI");
  ASSERT_EQ(rel.size(), 1u) << dump(issues);
  EXPECT_EQ(rel[0]->location, "Patient.identifier[0].system");
  issues = validate(R"({"resourceType":"Patient","identifier":[
    {"system":"urn:ietf:rfc:3986","value":"1.2.3"}]})");
  EXPECT_EQ(findAll(issues, "the identifier's value is a URI, and '1.2.3' is not one").size(), 1u)
      << dump(issues);
  issues = validate(R"({"resourceType":"Patient","identifier":[
    {"system":"urn:ietf:rfc:3986","value":"urn:oid:1.2.3"}]})");
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
}

TEST(DatatypeRules, CodingSystems) {
  auto issues = validate(R"({"resourceType":"Observation","status":"final",
    "code":{"coding":[{"system":"local-codes","code":"a"}]}})");
  EXPECT_EQ(findAll(issues, "The code system 'local-codes' is not an absolute URI").size(), 1u)
      << dump(issues);
  issues = validate(R"({"resourceType":"Observation","status":"final",
    "code":{"coding":[{"system":"https://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]}})");
  const core::Issue* https = findIssue(issues, "named with http:, not https:");
  ASSERT_NE(https, nullptr) << dump(issues);
  EXPECT_EQ(https->severity, core::Severity::Warning);
  issues = validate(R"({"resourceType":"Observation","status":"final",
    "code":{"coding":[{"code":"8867-4"}]}})");
  const core::Issue* none = findIssue(issues, "has a code but no system");
  ASSERT_NE(none, nullptr) << dump(issues);
  EXPECT_EQ(none->severity, core::Severity::Warning);
}

}  // namespace
}  // namespace trialbridge::validation
