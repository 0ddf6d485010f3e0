// Best-practice advice beyond the definitions, reported at ValidatorOptions::bestPractice (the
// invariants the definitions mark as best practice are in invariants.cc).
#include "validation/rules.h"

namespace trialbridge::validation {

namespace {

using core::Element;

// An Observation says whom it is about, who made it and when it holds (R4 Observation's notes
// on subject, performer and effective[x]).
void checkObservation(const Element& obs, RuleContext& ctx) {
  const ValidatorOptions::Level level = ctx.options.bestPractice;
  if (level == ValidatorOptions::Level::Ignore) return;
  const core::Severity severity = bestPracticeSeverity(level);
  const struct {
    const char* child;
    const char* message;
  } advice[] = {
      {"subject", "Best practice: an Observation should have a subject"},
      {"performer", "Best practice: an Observation should have a performer"},
      {"effective", "Best practice: an Observation should have an effective[x] time"},
  };
  for (const auto& a : advice) {
    if (obs.child(a.child) == nullptr) {
      ctx.reporter.add(severity, core::IssueType::Invalid, &obs, a.message);
    }
  }
}

}  // namespace

void addBestPracticeRules(RuleTable& table) {
  table.addResourceRule("Observation", checkObservation);
}

}  // namespace trialbridge::validation
