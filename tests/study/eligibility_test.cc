// Eligibility from labs, age, pregnancy tests and washouts, against the rules of the sample
// trials: each rule met, not met or not evaluable (with why), criteria and the overall verdict.
#include "study/eligibility.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace trialbridge::study {
namespace {

constexpr const char* kLoinc = "http://loinc.org";

const Trial& itp() {
  static const Trial t = test::sampleTrial();
  return t;
}

const Trial& tbx() {
  static const Trial t = test::sampleTrial("samples/trials/tbx101-fih-01.json");
  return t;
}

const Rule& rule(const Trial& t, std::string_view id) {
  for (const Rule& r : t.eligibility.rules) {
    if (r.id == id) return r;
  }
  throw std::runtime_error("no rule " + std::string(id));
}

LabResult lab(const char* code, double value, const char* unit, const char* time,
              std::optional<double> high = {}, std::optional<double> low = {}) {
  LabResult r;
  r.source = std::string("Observation/") + code + "-" + time;
  r.system = kLoinc;
  r.code = code;
  r.value = value;
  r.unit = unit;
  r.high = high;
  r.low = low;
  r.effective = *parseInstant(time);
  return r;
}

LabResult hcg(const char* code, const char* text, const char* time) {
  LabResult r;
  r.source = "Observation/hcg";
  r.system = kLoinc;
  r.code = code;
  r.valueText = text;
  r.effective = *parseInstant(time);
  return r;
}

// A woman of 36 consented on 1 February 2025, first infusion on 12 February.
struct Case {
  std::vector<LabResult> results;
  std::vector<MedicationExposure> medications;
  EligibilityInput in;

  Case() {
    in.subject = {"female", "1988-04-12", true};
    in.consent = parseInstant("2025-02-01T10:15+08:00");
    in.firstDose = parseInstant("2025-02-12T09:30+08:00");
    in.evaluatedAt = *parseInstant("2025-02-12T09:00+08:00");
  }
  const EligibilityInput& input() {
    in.results = results;
    in.medications = medications;
    return in;
  }
  RuleOutcome run(const Trial& t, std::string_view id) {
    return evaluateRule(t, rule(t, id), input());
  }
};

TEST(Eligibility, LabAgainstAMultipleOfTheUln) {
  Case c;
  c.results = {lab("1742-6", 120, "U/L", "2025-02-05T08:00+08:00", 40)};
  RuleOutcome met = c.run(itp(), "alt");
  EXPECT_EQ(met.verdict, Verdict::Met) << met.reason;  // 3 x ULN exactly: <= holds
  EXPECT_EQ(met.evidence, c.results[0].source);
  EXPECT_EQ(met.criterion, "inc-5");
  EXPECT_EQ(met.reason,
            "Alanine aminotransferase (ALT) 120 U/L meets <= 3 x ULN (40 U/L, from the result) = "
            "120 U/L");
  c.results[0].value = 121;
  EXPECT_EQ(c.run(itp(), "alt").verdict, Verdict::NotMet);
}

TEST(Eligibility, TheLatestResultBeforeTheFirstDose) {
  Case c;
  c.results = {lab("1742-6", 200, "U/L", "2025-02-03T08:00+08:00", 40),
               lab("1742-6", 35, "U/L", "2025-02-10T08:00+08:00", 40),
               lab("1742-6", 500, "U/L", "2025-02-13T08:00+08:00", 40)};  // after the dose
  RuleOutcome r = c.run(itp(), "alt");
  EXPECT_EQ(r.verdict, Verdict::Met);
  EXPECT_EQ(r.evidence, c.results[1].source);
  // Before the first dose is given, the latest so far counts.
  c.in.firstDose.reset();
  c.in.evaluatedAt = *parseInstant("2025-02-04T08:00+08:00");
  EXPECT_EQ(c.run(itp(), "alt").verdict, Verdict::NotMet);
}

TEST(Eligibility, ResultsBeforeConsentOnlyWithinTheLookBack) {
  Case c;  // the reference trial keeps 6 months before consent
  c.results = {lab("1742-6", 35, "U/L", "2024-07-20T08:00+08:00", 40)};
  RuleOutcome old = c.run(itp(), "alt");
  EXPECT_EQ(old.verdict, Verdict::CannotEvaluate);
  EXPECT_EQ(old.reason, "no result of Alanine aminotransferase (ALT) before the first dose");
  c.results[0].effective = *parseInstant("2024-09-01T08:00+08:00");
  EXPECT_EQ(c.run(itp(), "alt").verdict, Verdict::Met);
}

TEST(Eligibility, WithinATimeBeforeTheFirstDose) {
  Case c;  // tbx101: ANC >= 1.5 x10^9/L within 14 days before the first dose
  c.results = {lab("751-8", 2.1, "10*9/L", "2025-01-20T08:00+08:00")};
  RuleOutcome r = c.run(tbx(), "anc");
  EXPECT_EQ(r.verdict, Verdict::CannotEvaluate);
  EXPECT_EQ(r.reason, "no result of Absolute neutrophil count within 14 d before the first dose");
  c.results[0].effective = *parseInstant("2025-02-01T08:00+08:00");
  EXPECT_EQ(c.run(tbx(), "anc").verdict, Verdict::Met);
}

TEST(Eligibility, AbsoluteThresholdsConvertTheUnitFirst) {
  Case c;
  c.results = {lab("777-3", 120, "10*3/uL", "2025-02-05T08:00+08:00")};
  EXPECT_EQ(c.run(tbx(), "platelets").verdict, Verdict::Met);  // 120 x10^3/uL = 120 x10^9/L
  c.results = {lab("718-7", 95, "g/L", "2025-02-05T08:00+08:00")};
  EXPECT_EQ(c.run(tbx(), "haemoglobin").verdict, Verdict::Met);  // 9.5 g/dL
  c.results[0].value = 88;
  EXPECT_EQ(c.run(tbx(), "haemoglobin").verdict, Verdict::NotMet);
  // A unit that is not a count: cannot be evaluated, never compared as if it were.
  c.results = {lab("777-3", 120, "g/dL", "2025-02-05T08:00+08:00")};
  RuleOutcome r = c.run(tbx(), "platelets");
  EXPECT_EQ(r.verdict, Verdict::CannotEvaluate);
  EXPECT_NE(r.reason.find("'g/dL' cannot be converted to '10*9/L'"), std::string::npos) << r.reason;
}

TEST(Eligibility, TheUlnFromTheTrialWhenTheResultHasNone) {
  Case c;
  c.results = {lab("1742-6", 90, "U/L", "2025-02-05T08:00+08:00")};
  RuleOutcome none = c.run(itp(), "alt");  // the reference trial configures no ranges
  EXPECT_EQ(none.verdict, Verdict::CannotEvaluate);
  EXPECT_NE(none.reason.find("no ULN"), std::string::npos) << none.reason;
  RuleOutcome configured = c.run(tbx(), "alt");  // tbx101: ALT ULN 40 U/L, <= 2.5 x ULN
  EXPECT_EQ(configured.verdict, Verdict::Met) << configured.reason;
  EXPECT_NE(configured.reason.find("from the trial"), std::string::npos) << configured.reason;
}

TEST(Eligibility, CensoredValuesDecideOnlyWhenAllTheyMayBeAgrees) {
  Case c;
  c.results = {lab("1742-6", 5, "U/L", "2025-02-05T08:00+08:00", 40)};
  c.results[0].comparator = "<";
  EXPECT_EQ(c.run(itp(), "alt").verdict, Verdict::Met);
  c.results = {lab("2164-2", 90, "mL/min", "2025-02-05T08:00+08:00")};
  c.results[0].comparator = ">";
  const Rule& renal = rule(itp(), "renal");
  EXPECT_EQ(evaluateRule(itp(), renal.rules[1], c.input()).verdict, Verdict::Met);
  c.results[0].comparator = "<";
  c.results[0].value = 80;
  EXPECT_EQ(evaluateRule(itp(), renal.rules[1], c.input()).verdict, Verdict::CannotEvaluate);
  c.results[0].value = 60;
  EXPECT_EQ(evaluateRule(itp(), renal.rules[1], c.input()).verdict, Verdict::NotMet);
}

TEST(Eligibility, AnyOfNeedsOneAlternative) {
  Case c;
  c.results = {lab("2160-0", 2.0, "mg/dL", "2025-02-05T08:00+08:00", 1.1),
               lab("2164-2", 80, "mL/min", "2025-02-05T08:00+08:00")};
  RuleOutcome r = c.run(itp(), "renal");
  EXPECT_EQ(r.verdict, Verdict::Met);
  ASSERT_EQ(r.alternatives.size(), 2u);
  EXPECT_EQ(r.alternatives[0].verdict, Verdict::NotMet);  // 1.8 x ULN
  EXPECT_EQ(r.alternatives[1].verdict, Verdict::Met);
  EXPECT_EQ(r.alternatives[1].criterion, "inc-5");  // inherited from the anyOf
  EXPECT_EQ(r.reason.rfind("met by creatinine-clearance: ", 0), 0u) << r.reason;
  c.results.erase(c.results.begin());
  c.results[0].value = 60;
  EXPECT_EQ(c.run(itp(), "renal").verdict, Verdict::CannotEvaluate);  // creatinine unknown
  c.results.push_back(lab("14682-9", 180, "umol/L", "2025-02-05T08:00+08:00", 97));
  EXPECT_EQ(c.run(itp(), "renal").verdict, Verdict::NotMet);  // both alternatives fail
}

TEST(Eligibility, PregnancyTestForWomenOfChildbearingPotential) {
  Case c;
  c.results = {hcg("2106-3", "Negative", "2025-02-05T08:00+08:00")};
  EXPECT_EQ(c.run(itp(), "pregnancy").verdict, Verdict::Met);
  c.results[0].valueText = "POSITIVE";
  EXPECT_EQ(c.run(itp(), "pregnancy").verdict, Verdict::NotMet);
  c.results[0].valueText.clear();
  c.results[0].valueCode = "260385009";  // SNOMED CT Negative
  EXPECT_EQ(c.run(itp(), "pregnancy").verdict, Verdict::Met);
  // A quantitative serum hCG within its reference range is negative.
  c.results = {lab("19080-1", 2, "[IU]/L", "2025-02-05T08:00+08:00", 5)};
  EXPECT_EQ(c.run(itp(), "pregnancy").verdict, Verdict::Met);
  c.results[0].value = 1200;
  EXPECT_EQ(c.run(itp(), "pregnancy").verdict, Verdict::NotMet);
  c.results.clear();
  RuleOutcome missing = c.run(itp(), "pregnancy");
  EXPECT_EQ(missing.verdict, Verdict::CannotEvaluate);
  EXPECT_EQ(missing.reason, "no pregnancy test before the first dose");
}

TEST(Eligibility, PregnancyTestIsNotForEveryone) {
  Case c;
  c.in.subject = {"male", "1988-04-12", {}};
  EXPECT_EQ(c.run(itp(), "pregnancy").verdict, Verdict::Met);
  c.in.subject = {"female", "1960-01-01", false};
  RuleOutcome r = c.run(itp(), "pregnancy");
  EXPECT_EQ(r.verdict, Verdict::Met);
  EXPECT_EQ(r.reason, "not applicable: the subject has no childbearing potential");
  c.in.subject = {"female", "1990-01-01", {}};
  RuleOutcome unknown = c.run(itp(), "pregnancy");
  EXPECT_EQ(unknown.verdict, Verdict::CannotEvaluate);
  EXPECT_NE(unknown.reason.find("childbearing potential not recorded"), std::string::npos);
}

TEST(Eligibility, PregnancyTestSpecimenAndRecency) {
  Case c;  // tbx101: a negative serum test within 7 days before the first dose
  c.results = {hcg("2106-3", "negative", "2025-02-10T08:00+08:00")};  // urine: not accepted
  EXPECT_EQ(c.run(tbx(), "pregnancy").verdict, Verdict::CannotEvaluate);
  c.results = {hcg("2118-8", "negative", "2025-02-01T08:00+08:00")};  // serum, 11 days before
  EXPECT_EQ(c.run(tbx(), "pregnancy").verdict, Verdict::CannotEvaluate);
  c.results = {hcg("2118-8", "negative", "2025-02-08T08:00+08:00")};
  EXPECT_EQ(c.run(tbx(), "pregnancy").verdict, Verdict::Met);
}

TEST(Eligibility, WashoutsAgainstTheMedicationHistory) {
  Case c;
  RuleOutcome unknown = c.run(tbx(), "steroid-washout");
  EXPECT_EQ(unknown.verdict, Verdict::CannotEvaluate);
  EXPECT_EQ(unknown.reason, "no medication history is known for the subject");
  c.in.medicationHistoryKnown = true;
  EXPECT_EQ(c.run(tbx(), "steroid-washout").verdict, Verdict::Met);  // an empty history
  // Prednisolone (ATC H02AB06) is in H02AB; stopped 10 days before the first dose (< 14 d).
  MedicationExposure pred{{"prednisolone", {{"http://www.whocc.no/atc", "H02AB06", "", ""}}},
                          parseInstant("2024-12-01"),
                          parseInstant("2025-02-02")};
  c.medications = {pred};
  RuleOutcome recent = c.run(tbx(), "steroid-washout");
  EXPECT_EQ(recent.verdict, Verdict::NotMet);
  EXPECT_EQ(recent.reason, "prednisolone taken in the 14 d before first-dose");
  c.medications[0].end = parseInstant("2025-01-20");
  EXPECT_EQ(c.run(tbx(), "steroid-washout").verdict, Verdict::Met);
  c.medications[0].end.reset();  // still taking it
  EXPECT_EQ(c.run(tbx(), "steroid-washout").verdict, Verdict::NotMet);
  // The reference trial names its washout medications in words only.
  RuleOutcome words = c.run(itp(), "ivig-washout");
  EXPECT_EQ(words.verdict, Verdict::CannotEvaluate);
  EXPECT_NE(words.reason.find("named only in words"), std::string::npos);
}

TEST(Eligibility, AgeAtScreeningBoundsIncluded) {
  Case c;  // 4 to 75 years at consent (1 February 2025)
  auto age = [&](const char* birth) {
    c.in.subject.birthDate = birth;
    for (const CriterionOutcome& k : evaluateEligibility(itp(), c.input()).criteria) {
      if (k.criterion == "inc-2") return k.rules[0].verdict;
    }
    return Verdict::CannotEvaluate;
  };
  EXPECT_EQ(age("2021-02-01"), Verdict::Met);     // 4th birthday on the day
  EXPECT_EQ(age("2021-02-02"), Verdict::NotMet);  // 4 tomorrow
  EXPECT_EQ(age("1949-02-02"), Verdict::Met);     // 75, 76 tomorrow
  EXPECT_EQ(age("1949-02-01"), Verdict::NotMet);  // 76 today
  EXPECT_EQ(age("1988"), Verdict::Met);           // 36 or 37: within either way
  EXPECT_EQ(age("1949"), Verdict::CannotEvaluate);
  EXPECT_EQ(age(""), Verdict::CannotEvaluate);
}

TEST(Eligibility, SexOfTheTrial) {
  Trial t = itp();
  t.eligibility.sex = "FEMALE";
  Case c;
  EXPECT_EQ(evaluateEligibility(t, c.input()).general.at(0).verdict, Verdict::Met);
  c.in.subject.sex = "male";
  EligibilityOutcome o = evaluateEligibility(t, c.input());
  EXPECT_EQ(o.general.at(0).verdict, Verdict::NotMet);
  EXPECT_EQ(o.overall, Verdict::NotMet);
  EXPECT_TRUE(evaluateEligibility(itp(), c.input()).general.empty());  // ALL: no rule
}

TEST(Eligibility, TheWholeScreeningOfTheReferenceTrial) {
  Case c;
  c.results = {lab("1742-6", 35, "U/L", "2025-02-05T08:00+08:00", 40),
               lab("1920-8", 130, "U/L", "2025-02-05T08:00+08:00", 40),  // 3.25 x ULN
               lab("1975-2", 1.0, "mg/dL", "2025-02-05T08:00+08:00", 1.2),
               lab("2160-0", 1.5, "mg/dL", "2025-02-05T08:00+08:00", 1.1),
               hcg("2106-3", "negative", "2025-02-05T08:00+08:00")};
  EligibilityOutcome o = evaluateEligibility(itp(), c.input());
  std::string verdicts;
  for (const CriterionOutcome& k : o.criteria) {
    verdicts += k.criterion + "=" + std::string(verdictName(k.verdict)) + " ";
  }
  EXPECT_EQ(verdicts,
            "inc-2=met inc-5=not-met inc-6=met exc-4=cannot-be-evaluated "
            "exc-5=cannot-be-evaluated ");
  EXPECT_EQ(o.overall, Verdict::NotMet);
  EXPECT_EQ(o.leftToInvestigator, (std::vector<std::string>{"inc-1", "inc-3", "inc-4", "inc-7",
                                                            "inc-8", "exc-1", "exc-2", "exc-3"}));
  // The failed rule says which result and why.
  const CriterionOutcome& inc5 = o.criteria[1];
  ASSERT_EQ(inc5.rules.size(), 4u);
  EXPECT_EQ(inc5.rules[1].rule, "ast");
  EXPECT_EQ(inc5.rules[1].verdict, Verdict::NotMet);
  // With AST in range and an empty medication history, every rule is met.
  c.results[1].value = 100;
  c.in.medicationHistoryKnown = true;
  EXPECT_EQ(evaluateEligibility(itp(), c.input()).overall, Verdict::Met);
}

}  // namespace
}  // namespace trialbridge::study
