// validation/check_util.h: the helpers the validator's checks share.
#include "validation/check_util.h"

#include <gtest/gtest.h>

#include "conformance/context.h"
#include "core/json.h"

namespace trialbridge::validation {
namespace {

std::unique_ptr<core::Document> read(const std::string& json) {
  core::Issues issues;
  auto doc = core::readJson(json, conformance::Context::r4(), issues);
  EXPECT_FALSE(issues.hasErrors()) << json;
  return doc;
}

const core::Element& codingOf(const core::Document& doc) {
  return *doc.root()->child("code")->child("coding");
}

TEST(CheckUtil, PathStepsSplitOutsideParenthesesAndQuotes) {
  EXPECT_EQ(pathSteps("extension('http://a.org/x.y').value"),
            (std::vector<std::string_view>{"extension('http://a.org/x.y')", "value"}));
  EXPECT_EQ(pathSteps("a.ofType(Quantity).b"),
            (std::vector<std::string_view>{"a", "ofType(Quantity)", "b"}));
  EXPECT_EQ(pathSteps("code.coding.where(system = \"a.b\")"),
            (std::vector<std::string_view>{"code", "coding", "where(system = \"a.b\")"}));
  EXPECT_EQ(pathSteps("$this"), std::vector<std::string_view>{"$this"});
  EXPECT_EQ(pathSteps(""), std::vector<std::string_view>{""});
}

TEST(CheckUtil, FixedIsExactAndPatternIsAtLeast) {
  const auto obs = read(R"({"resourceType":"Observation","status":"final",
    "code":{"coding":[{"system":"http://loinc.org","code":"777-3","display":"Platelets"}]}})");
  const auto same = read(R"({"resourceType":"Observation","status":"final",
    "code":{"coding":[{"system":"http://loinc.org","code":"777-3","display":"Platelets"}]}})");
  const auto less = read(R"({"resourceType":"Observation","status":"final",
    "code":{"coding":[{"system":"http://loinc.org","code":"777-3"}]}})");
  const auto other = read(R"({"resourceType":"Observation","status":"final",
    "code":{"coding":[{"system":"http://loinc.org","code":"26515-7"}]}})");
  EXPECT_TRUE(sameContent(codingOf(*obs), codingOf(*same)));
  EXPECT_FALSE(sameContent(codingOf(*obs), codingOf(*less)));
  EXPECT_TRUE(matchesPattern(codingOf(*obs), codingOf(*less)));
  EXPECT_FALSE(matchesPattern(codingOf(*less), codingOf(*obs)));
  EXPECT_FALSE(matchesPattern(codingOf(*obs), codingOf(*other)));
}

TEST(CheckUtil, SmallHelpers) {
  EXPECT_EQ(versionless("http://a.org/sd|1.0"), "http://a.org/sd");
  EXPECT_EQ(versionless("http://a.org/sd"), "http://a.org/sd");
  EXPECT_EQ(joinList({"a", "b", "c"}), "a, b, c");
  EXPECT_EQ(joinList({}), "");
  const auto obs = read(R"({"resourceType":"Observation","status":"final",
    "code":{"text":"x"}})");
  EXPECT_EQ(childValue(*obs->root(), "status"), "final");
  EXPECT_EQ(childValue(*obs->root(), "issued"), "");
}

}  // namespace
}  // namespace trialbridge::validation
