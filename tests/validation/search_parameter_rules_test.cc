// validation/search_parameter_rules.cc: SearchParameters against the one they are derived from,
// composites, codes; CapabilityStatement search parameter types.
#include <gtest/gtest.h>

#include "validation_test_util.h"

namespace trialbridge::validation {
namespace {

using namespace validation::testing;

// A SearchParameter derived from the R4 core's Patient-family (Patient.name.family, string).
std::string derived(const std::string& members) {
  return R"({"resourceType":"SearchParameter","url":"http://a.org/sp/fam","name":"fam",
    "status":"draft","description":"x","derivedFrom":"http://hl7.org/fhir/SearchParameter/individual-family",)" +
         members + "}";
}

TEST(SearchParameterRules, ADerivedParameterKeepsTypeBaseAndNarrowsTheExpression) {
  auto issues = validate(derived(R"("code":"fam","base":["Patient"],"type":"string",
    "expression":"Patient.name.family")"));
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
  EXPECT_EQ(findIssue(issues, "does not narrow"), nullptr) << dump(issues);
  issues = validate(derived(R"("code":"fam","base":["Patient"],"type":"token",
    "expression":"Patient.name.family")"));
  EXPECT_EQ(findAll(issues, "The type token is different to the type string").size(), 1u)
      << dump(issues);
  issues = validate(derived(R"("code":"fam","base":["Observation"],"type":"string",
    "expression":"Observation.code.text")"));
  EXPECT_EQ(findAll(issues, "does not apply to Observation").size(), 1u) << dump(issues);
  issues = validate(derived(R"("code":"fam","base":["Patient"],"type":"string",
    "expression":"Patient.address.city")"));
  const core::Issue* exp = findIssue(issues, "does not narrow");
  ASSERT_NE(exp, nullptr) << dump(issues);
  EXPECT_EQ(exp->severity, core::Severity::Warning);
}

TEST(SearchParameterRules, AnUnknownBaseIsAWarning) {
  const auto issues = validate(R"({"resourceType":"SearchParameter","url":"http://a.org/sp/x",
    "name":"x","status":"draft","description":"x","code":"x","base":["Patient"],"type":"string",
    "derivedFrom":"http://a.org/sp/none"})");
  const core::Issue* i = findIssue(issues, "is not loaded, so the derivation cannot be checked");
  ASSERT_NE(i, nullptr) << dump(issues);
  EXPECT_EQ(i->severity, core::Severity::Warning);
}

TEST(SearchParameterRules, CompositesAndCodes) {
  auto issues = validate(R"({"resourceType":"SearchParameter","url":"http://a.org/sp/c",
    "name":"c","status":"draft","description":"x","code":"code-value","base":["Observation"],
    "type":"composite","expression":"Observation","component":[
      {"definition":"http://hl7.org/fhir/SearchParameter/clinical-code","expression":"code"}]})");
  EXPECT_EQ(findAll(issues, "A composite SearchParameter has two or more components").size(), 1u)
      << dump(issues);
  issues = validate(R"({"resourceType":"SearchParameter","url":"http://a.org/sp/d",
    "name":"d","status":"draft","description":"x","code":"a.b","base":["Patient"],
    "type":"string","expression":"Patient.name"})");
  const core::Issue* i = findIssue(issues, "holds '.', which means something");
  ASSERT_NE(i, nullptr) << dump(issues);
  EXPECT_EQ(i->severity, core::Severity::Warning);
}

TEST(SearchParameterRules, CapabilityStatementTypesMatchTheirDefinitions) {
  const std::string cs = R"({"resourceType":"CapabilityStatement","status":"draft",
    "date":"2024-01-01","kind":"instance","fhirVersion":"4.0.1","format":["json"],
    "implementation":{"description":"x"},"rest":[{"mode":"server","resource":[{"type":"Patient",
    "searchParam":[{"name":"family","definition":"http://hl7.org/fhir/SearchParameter/individual-family",
    "type":"%s"}]}]}]})";
  auto with = [&](const std::string& type) {
    std::string text = cs;
    text.replace(text.find("%s"), 2, type);
    return validate(text);
  };
  EXPECT_EQ(findAll(with("string"), "Type mismatch").size(), 0u);
  EXPECT_EQ(findAll(with("token"), "Type mismatch").size(), 1u);
}

}  // namespace
}  // namespace trialbridge::validation
