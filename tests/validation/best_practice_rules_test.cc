// validation/best_practice_rules.cc, and the best-practice level of invariants (dom-6).
#include <gtest/gtest.h>

#include "validation_test_util.h"

namespace trialbridge::validation {
namespace {

using namespace validation::testing;
using Level = ValidatorOptions::Level;

const char* kBareObservation =
    R"({"resourceType":"Observation","status":"final","code":{"text":"weight"}})";
const char* kFullObservation = R"({"resourceType":"Observation","status":"final",
  "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">70 kg</div>"},
  "code":{"text":"weight"},"subject":{"reference":"Patient/p"},
  "effectiveDateTime":"2024-01-02","performer":[{"reference":"Practitioner/d"}]})";

Validator at(Level level) {
  ValidatorOptions options;
  options.bestPractice = level;
  return Validator(conformance::Context::r4(), options);
}

TEST(BestPracticeRules, AnObservationWithoutSubjectPerformerOrTimeIsAdvised) {
  const Validator v = at(Level::Warning);
  const auto issues = validate(kBareObservation, v);
  for (const char* what :
       {"should have a subject", "should have a performer", "should have an effective[x]"}) {
    const core::Issue* i = findIssue(issues, what);
    ASSERT_NE(i, nullptr) << what << "\n" << dump(issues);
    EXPECT_EQ(i->severity, core::Severity::Warning);
    EXPECT_EQ(i->location, "Observation");
  }
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
  const auto full = validate(kFullObservation, v);
  EXPECT_EQ(findIssue(full, "Best practice"), nullptr) << dump(full);
}

TEST(BestPracticeRules, TheLevelSetsTheSeverityOfAdviceAndBestPracticeInvariants) {
  const struct {
    Level level;
    bool reported;
    core::Severity severity;
  } levels[] = {{Level::Ignore, false, core::Severity::Information},
                {Level::Hint, true, core::Severity::Information},
                {Level::Warning, true, core::Severity::Warning},
                {Level::Error, true, core::Severity::Error}};
  for (const auto& l : levels) {
    const Validator v = at(l.level);
    const auto issues = validate(kBareObservation, v);
    for (const char* what : {"should have a subject", "dom-6"}) {  // dom-6: no narrative
      const core::Issue* i = findIssue(issues, what);
      ASSERT_EQ(i != nullptr, l.reported) << what << "\n" << dump(issues);
      if (i != nullptr) {
        EXPECT_EQ(i->severity, l.severity) << what;
      }
    }
  }
}

TEST(BestPracticeRules, InvariantsNotMarkedBestPracticeKeepTheirSeverity) {
  const Validator v = at(Level::Ignore);
  // per-1 (start before end) is an error whatever the best-practice level.
  const auto issues = validate(R"({"resourceType":"Observation","status":"final",
    "code":{"text":"x"},"effectivePeriod":{"start":"2020-01-02","end":"2020-01-01"}})",
                               v);
  const core::Issue* per1 = findIssue(issues, "per-1");
  ASSERT_NE(per1, nullptr) << dump(issues);
  EXPECT_EQ(per1->severity, core::Severity::Error);
}

}  // namespace
}  // namespace trialbridge::validation
