#pragma once
// Grading laboratory results by the Common Terminology Criteria for Adverse Events v5.0 (NCI,
// 27 November 2017), for the terms a lab value alone can grade (docs/study-logic.md, "Safety"):
//
//   platelet count decreased        1: <LLN-75  2: <75-50  3: <50-25  4: <25 (x10^9/L)
//   ALT increased, AST increased    baseline normal: 1: >ULN-3 x ULN  2: >3-5  3: >5-20  4: >20
//                                   baseline abnormal: 1: 1.5-3 x baseline  2: >3-5  3: >5-20
//                                   4: >20 x baseline
//   blood bilirubin increased       baseline normal: 1: >ULN-1.5 x ULN  2: >1.5-3  3: >3-10
//                                   4: >10; baseline abnormal: 1: >1-1.5 x baseline  2: >1.5-3
//                                   3: >3-10  4: >10 x baseline
//   creatinine increased            1: >ULN-1.5 x ULN  2: >1.5-3 x baseline or >1.5-3 x ULN
//                                   3: >3 x baseline or >3-6 x ULN  4: >6 x ULN
//
// The trial file says which terms are graded and how (SafetySettings): `ctcae` grades as above;
// `relative-to-baseline` reports a grade only when it is worse than the grade of the subject's
// baseline value (for a lab that defines the disease, such as low platelets in ITP, whose
// subjects start at grade 3 or 4); `none` does not grade. A draft AdverseEvent is proposed from
// the trial's grade (3 by default) on; docs/study-logic.md says how to avoid proposing the same
// event again for every result.
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "study/lab.h"
#include "study/trial.h"

namespace trialbridge::study {

struct ToxicityTermInfo {
  std::string_view id;       // platelet-count-decreased, ...
  std::string_view ctcae;    // the CTCAE v5.0 term
  std::string_view meddra;   // its MedDRA code (CTCAE v5.0 terms are MedDRA LLTs)
  std::string_view analyte;  // the analyte id of mappings/lab-analytes.json it is graded from
  bool decreased = false;    // graded on low values (against the LLN)
};
std::span<const ToxicityTermInfo> toxicityTerms();
const ToxicityTermInfo* toxicityTerm(std::string_view id);

struct ToxicityGrade {
  const ToxicityTermInfo* term = nullptr;
  // False when the term is not graded in this trial, or when the result cannot be graded (no
  // value, a unit that cannot be converted, no limit of normal): `reason` says which.
  bool evaluated = false;
  int grade = 0;  // 0: not abnormal enough for grade 1
  // relative-to-baseline: the baseline value's own grade (the result's grade is reported only
  // when higher; otherwise `grade` is 0 and `reason` says so).
  std::optional<int> baselineGrade;
  std::string basis;  // "ULN", "baseline", "LLN" or "absolute": what the grade was measured on
  double ratio = 0;   // value / ULN or value / baseline, per `basis`
  bool proposeAdverseEvent = false;
  std::string reason;  // how it was graded, or why it was not
};

// The term of the trial's graded terms that a result is for (by its test's analyte); nullptr
// when the trial grades none for it.
const ToxicityTermSettings* gradedTermFor(const Trial& trial, const LabResult& result);

// Grades `result` for `term`. `baseline` is the subject's baseline value of the same test (the
// last before the first dose), or null when there is none: then ALT, AST and bilirubin are
// graded as if the baseline were normal, creatinine on the ULN alone, and relative-to-baseline
// grading cannot be done (not evaluated).
ToxicityGrade gradeToxicity(const Trial& trial, const ToxicityTermSettings& term,
                            const LabResult& result, const LabResult* baseline,
                            const SubjectFacts& subject);

// Whether a draft AdverseEvent should be proposed for a grade, given the highest grade already
// proposed for the same term in the current episode (0 when none; an episode ends when a result
// of the term falls below the trial's threshold): only a grade at or above the threshold and
// above what was proposed before.
bool proposeDraft(int grade, int threshold, int highestProposed);

}  // namespace trialbridge::study
