// validation/meta_rules.cc: security labels given once.
#include <gtest/gtest.h>

#include "validation_test_util.h"

namespace trialbridge::validation {
namespace {

using namespace validation::testing;

TEST(MetaRules, ASecurityLabelIsGivenOnce) {
  const std::string label =
      R"({"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"})";
  auto issues =
      validate(R"({"resourceType":"Patient","meta":{"security":[)" + label + "," + label + "]}}");
  const core::Issue* twice = findIssue(issues, "is given twice");
  ASSERT_NE(twice, nullptr) << dump(issues);
  EXPECT_EQ(twice->severity, core::Severity::Warning);
  EXPECT_EQ(twice->location, "Patient.meta.security[1]");
  issues = validate(R"({"resourceType":"Patient","meta":{"security":[)" + label + "]}}");
  EXPECT_EQ(findIssue(issues, "is given twice"), nullptr) << dump(issues);
}

}  // namespace
}  // namespace trialbridge::validation
