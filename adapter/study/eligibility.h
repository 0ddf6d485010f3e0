#pragma once
// Eligibility from what can be measured (docs/study-logic.md, "Eligibility"): the trial's
// machine-checkable rules (eligibility.rules, sex, minimum and maximum age) evaluated against a
// subject's facts, laboratory results and medication history. Each rule is met, not met, or
// cannot be evaluated, with the reason and the evidence; a criterion combines its rules (all
// must be met; an anyOf rule needs one of its alternatives); the overall verdict is not met when
// any rule is not met, else cannot be evaluated when any cannot be, else met. Criteria with no
// rule are listed as left to the investigator: a "met" here never says more than the rules do.
//
//   lab:      the latest result of the test (or its analyte) taken no later than the reference
//             time (the first dose; before it, the evaluation time), within `within` before it
//             when the rule says so, and not before consent minus the trial's look-back; its
//             value (converted to the threshold's unit, or divided by the ULN/LLN of its own
//             reference range, else the trial's configured range) against the threshold. A
//             censored value ("<5") decides only when all it may be falls on one side.
//   pregnancy-test: not applicable (met) to men and to women without childbearing potential;
//             otherwise the latest hCG result of an allowed specimen must be negative (coded
//             negative, text "negative", interpretation NEG, or a quantity within its reference
//             range); unknown potential with no negative test cannot be evaluated.
//   washout:  no exposure to the medication (by code; ATC codes match by prefix) ending within
//             `period` before the reference event. A medication named only in words cannot be
//             checked against a history (cannot be evaluated) unless the history is empty.
//   age:      from the birth date (partial dates decide only when every possible birthday
//             agrees) at the screening date (consent); bounds included.
//   sex:      ALL, FEMALE or MALE against the subject's administrative gender.
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "study/instant.h"
#include "study/lab.h"
#include "study/trial.h"

namespace trialbridge::study {

enum class Verdict : uint8_t { Met, NotMet, CannotEvaluate };
std::string_view verdictName(Verdict v);  // met, not-met, cannot-be-evaluated

// A medication the subject took before the trial (MedicationStatement, concomitant medication
// log). `end` absent: still taking it.
struct MedicationExposure {
  Concept medication;
  std::optional<Instant> start, end;
};

struct EligibilityInput {
  SubjectFacts subject;
  std::optional<Instant> consent;    // the screening date for age; the look-back's origin
  std::optional<Instant> firstDose;  // the reference for `within` and washouts
  std::optional<Instant> enrollment, randomization;
  Instant evaluatedAt;  // the reference while there is no first dose yet
  std::span<const LabResult> results;
  // Whether a medication history is known at all; when false, washouts cannot be evaluated.
  bool medicationHistoryKnown = false;
  std::span<const MedicationExposure> medications;
};

struct RuleOutcome {
  std::string rule;       // the rule's id, or "age", "sex"
  std::string kind;       // lab, pregnancy-test, washout, anyOf, age, sex
  std::string criterion;  // the criterion it belongs to ("" for sex)
  Verdict verdict = Verdict::CannotEvaluate;
  std::string reason;                     // what was compared, or why it could not be
  std::string evidence;                   // the result used (LabResult::source), if any
  std::vector<RuleOutcome> alternatives;  // anyOf: each alternative's outcome
};

struct CriterionOutcome {
  std::string criterion;  // the criterion's id
  bool inclusion = true;
  Verdict verdict = Verdict::CannotEvaluate;
  std::vector<RuleOutcome> rules;
};

struct EligibilityOutcome {
  std::vector<CriterionOutcome> criteria;  // those with rules, in the trial file's order
  std::vector<RuleOutcome> general;        // rules without a criterion (sex)
  Verdict overall = Verdict::CannotEvaluate;
  std::vector<std::string> leftToInvestigator;  // ids of criteria no rule checks
};

EligibilityOutcome evaluateEligibility(const Trial& trial, const EligibilityInput& input);

// One rule alone (the pieces of evaluateEligibility, for tests and for re-evaluating a rule when
// one result arrives).
RuleOutcome evaluateRule(const Trial& trial, const Rule& rule, const EligibilityInput& input);

}  // namespace trialbridge::study
