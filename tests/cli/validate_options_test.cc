// cli/validate_options.h: the validate command's options as ValidatorOptions.
#include "cli/validate_options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace trialbridge::cli {
namespace {

using validation::ValidatorOptions;

std::optional<ValidatorOptions> parse(std::vector<std::string> args) {
  ArgParser p("validate");
  addValidatorOptions(p);
  if (!p.parse(args)) return std::nullopt;
  return validatorOptions(p);
}

TEST(ValidateOptions, DefaultsAreTheLibrarys) {
  const auto o = parse({"file.json"});
  ASSERT_TRUE(o);
  const ValidatorOptions d;
  EXPECT_EQ(o->securityChecks, d.securityChecks);
  EXPECT_EQ(o->bestPractice, ValidatorOptions::Level::Warning);
  EXPECT_TRUE(o->assumeValidRestReferences);
  EXPECT_EQ(o->containedReferences, ValidatorOptions::ContainedReferences::Valid);
  EXPECT_FALSE(o->allowJsonComments);
  EXPECT_FALSE(o->htmlInMarkdownIsError);
}

TEST(ValidateOptions, EachOptionSetsItsField) {
  const auto o = parse({"--security-checks", "--best-practice", "error",
                        "--assume-valid-rest-references=no", "--contained-references", "type",
                        "--allow-comments", "--no-html-in-markdown", "file.json"});
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->securityChecks);
  EXPECT_EQ(o->bestPractice, ValidatorOptions::Level::Error);
  EXPECT_FALSE(o->assumeValidRestReferences);
  EXPECT_EQ(o->containedReferences, ValidatorOptions::ContainedReferences::Type);
  EXPECT_TRUE(o->allowJsonComments);
  EXPECT_TRUE(o->htmlInMarkdownIsError);
  EXPECT_EQ(parse({"--best-practice", "ignore"})->bestPractice, ValidatorOptions::Level::Ignore);
  EXPECT_EQ(parse({"--best-practice", "hint"})->bestPractice, ValidatorOptions::Level::Hint);
  EXPECT_EQ(parse({"--contained-references", "ignore"})->containedReferences,
            ValidatorOptions::ContainedReferences::Ignore);
}

TEST(ValidateOptions, ValuesOutsideTheChoicesAreUsageErrors) {
  EXPECT_FALSE(parse({"--best-practice", "loud"}));
  EXPECT_FALSE(parse({"--assume-valid-rest-references", "maybe"}));
  EXPECT_FALSE(parse({"--contained-references", "all"}));
  EXPECT_FALSE(parse({"--best-practice"}));  // no value
}

}  // namespace
}  // namespace trialbridge::cli
