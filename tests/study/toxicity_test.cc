// CTCAE v5.0 grades of laboratory terms, band by band at their edges, the baseline-abnormal
// rules of ALT, AST and bilirubin, creatinine's baseline alternative, and the trial's settings
// (terms graded, relative to baseline, the grade from which a draft AE is proposed).
#include "study/toxicity.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace trialbridge::study {
namespace toxicity_test {

constexpr const char* kLoinc = "http://loinc.org";

LabResult lab(const char* code, double value, const char* unit, std::optional<double> high = {},
              std::optional<double> low = {}) {
  LabResult r;
  r.system = kLoinc;
  r.code = code;
  r.value = value;
  r.unit = unit;
  r.high = high;
  r.low = low;
  r.effective = *parseInstant("2025-03-01T08:00+08:00");
  return r;
}

Trial trialGrading(std::vector<ToxicityTermSettings> terms, int draftFrom = 3) {
  Trial t;
  t.safety.terms = std::move(terms);
  t.safety.draftFromGrade = draftFrom;
  return t;
}

const ToxicityTermSettings kAlt{"alanine-aminotransferase-increased", "ctcae", {}};
const ToxicityTermSettings kAst{"aspartate-aminotransferase-increased", "ctcae", {}};
const ToxicityTermSettings kBili{"blood-bilirubin-increased", "ctcae", {}};
const ToxicityTermSettings kCrea{"creatinine-increased", "ctcae", {}};
const ToxicityTermSettings kPlt{"platelet-count-decreased", "ctcae", {}};

int grade(const ToxicityTermSettings& term, const LabResult& r, const LabResult* baseline = nullptr,
          const Trial& t = trialGrading({})) {
  ToxicityGrade g = gradeToxicity(t, term, r, baseline, {});
  EXPECT_TRUE(g.evaluated) << g.reason;
  return g.evaluated ? g.grade : -1;
}

TEST(Toxicity, TransaminasesAgainstTheUlnWhenTheBaselineWasNormal) {
  // >ULN-3.0 x ULN: 1; >3.0-5.0: 2; >5.0-20.0: 3; >20.0: 4. ULN 40 U/L.
  const std::pair<double, int> edges[] = {{40, 0},  {41, 1},  {120, 1}, {121, 2},
                                          {200, 2}, {201, 3}, {800, 3}, {801, 4}};
  const LabResult normalBaseline = lab("1742-6", 30, "U/L", 40);
  for (auto [value, expected] : edges) {
    EXPECT_EQ(grade(kAlt, lab("1742-6", value, "U/L", 40), &normalBaseline), expected) << value;
    EXPECT_EQ(grade(kAst, lab("1920-8", value, "U/L", 40)), expected) << value;  // no baseline
  }
  ToxicityGrade g =
      gradeToxicity(trialGrading({}), kAlt, lab("1742-6", 186, "U/L", 40), nullptr, {});
  EXPECT_EQ(g.basis, "ULN");
  EXPECT_NEAR(g.ratio, 4.65, 1e-9);
  EXPECT_EQ(g.reason, "Alanine aminotransferase increased: 186 U/L = 4.65 x ULN (40): grade 2");
}

TEST(Toxicity, TransaminasesAgainstTheBaselineWhenItWasAbnormal) {
  // 1.5-3.0 x baseline: 1; >3.0-5.0: 2; >5.0-20.0: 3; >20.0: 4. Baseline 80 U/L, ULN 40.
  const LabResult baseline = lab("1742-6", 80, "U/L", 40);
  const std::pair<double, int> edges[] = {{100, 0}, {119, 0}, {120, 1},  {240, 1}, {241, 2},
                                          {400, 2}, {401, 3}, {1600, 3}, {1601, 4}};
  for (auto [value, expected] : edges) {
    EXPECT_EQ(grade(kAlt, lab("1742-6", value, "U/L", 40), &baseline), expected) << value;
  }
  ToxicityGrade g =
      gradeToxicity(trialGrading({}), kAlt, lab("1742-6", 300, "U/L", 40), &baseline, {});
  EXPECT_EQ(g.basis, "baseline");
  EXPECT_NEAR(g.ratio, 3.75, 1e-9);
}

TEST(Toxicity, BilirubinBothWaysAndInEitherUnit) {
  // Normal baseline: >ULN-1.5 x ULN: 1; >1.5-3.0: 2; >3.0-10.0: 3; >10.0: 4. ULN 21 umol/L.
  const std::pair<double, int> normal[] = {{21, 0}, {22, 1}, {31.5, 1}, {32, 2},
                                           {63, 2}, {64, 3}, {210, 3},  {211, 4}};
  for (auto [value, expected] : normal) {
    EXPECT_EQ(grade(kBili, lab("14631-6", value, "umol/L", 21)), expected) << value;
  }
  // Abnormal baseline (30 umol/L > ULN 21): >1.0-1.5 x baseline: 1; >1.5-3.0: 2; ...
  const LabResult baseline = lab("14631-6", 30, "umol/L", 21);
  const std::pair<double, int> abnormal[] = {{30, 0}, {31, 1}, {45, 1}, {46, 2}, {91, 3}, {301, 4}};
  for (auto [value, expected] : abnormal) {
    EXPECT_EQ(grade(kBili, lab("14631-6", value, "umol/L", 21), &baseline), expected) << value;
  }
  // In mg/dL with the range in mg/dL: 2.0 mg/dL over a ULN of 1.2 is 1.67 x ULN.
  EXPECT_EQ(grade(kBili, lab("1975-2", 2.0, "mg/dL", 1.2)), 2);
  // The result in mg/dL, its baseline in umol/L: converted through the molar mass.
  const LabResult molar = lab("14631-6", 34.2, "umol/L", 20.5);          // 2.0 mg/dL: abnormal
  EXPECT_EQ(grade(kBili, lab("1975-2", 2.9, "mg/dL", 1.2), &molar), 1);  // 1.45 x baseline
}

TEST(Toxicity, CreatinineTakesTheWorseOfUlnAndBaseline) {
  // >ULN-1.5 x ULN: 1; >1.5-3.0 x baseline or x ULN: 2; >3.0 x baseline or >3.0-6.0 x ULN: 3;
  // >6.0 x ULN: 4. ULN 1.1 mg/dL.
  EXPECT_EQ(grade(kCrea, lab("2160-0", 1.1, "mg/dL", 1.1)), 0);
  EXPECT_EQ(grade(kCrea, lab("2160-0", 1.2, "mg/dL", 1.1)), 1);
  EXPECT_EQ(grade(kCrea, lab("2160-0", 2.0, "mg/dL", 1.1)), 2);
  EXPECT_EQ(grade(kCrea, lab("2160-0", 3.4, "mg/dL", 1.1)), 3);
  EXPECT_EQ(grade(kCrea, lab("2160-0", 6.7, "mg/dL", 1.1)), 4);
  const LabResult baseline = lab("2160-0", 0.6, "mg/dL", 1.1);
  // Within the normal range yet 1.67 x baseline: grade 2 by the baseline.
  ToxicityGrade g =
      gradeToxicity(trialGrading({}), kCrea, lab("2160-0", 1.0, "mg/dL", 1.1), &baseline, {});
  EXPECT_EQ(g.grade, 2);
  EXPECT_EQ(g.basis, "baseline");
  EXPECT_EQ(grade(kCrea, lab("2160-0", 2.0, "mg/dL", 1.1), &baseline), 3);  // 3.3 x baseline
  // A baseline in umol/L against a result in mg/dL.
  const LabResult molar = lab("14682-9", 53, "umol/L", 97);  // 0.6 mg/dL
  EXPECT_EQ(grade(kCrea, lab("2160-0", 1.0, "mg/dL", 1.1), &molar), 2);
}

TEST(Toxicity, PlateletCountDecreased) {
  // <LLN-75: 1; <75-50: 2; <50-25: 3; <25: 4 (x10^9/L). LLN 150.
  const std::pair<double, int> edges[] = {{160, 0}, {150, 0}, {149, 1}, {75, 1}, {74.9, 2},
                                          {50, 2},  {49, 3},  {25, 3},  {24, 4}};
  for (auto [value, expected] : edges) {
    EXPECT_EQ(grade(kPlt, lab("777-3", value, "10*9/L", 400, 150)), expected) << value;
  }
  EXPECT_EQ(grade(kPlt, lab("777-3", 60, "10*3/uL")), 2);  // grades 2-4 need no LLN
  ToxicityGrade g =
      gradeToxicity(trialGrading({}), kPlt, lab("777-3", 100, "10*3/uL"), nullptr, {});
  EXPECT_FALSE(g.evaluated);
  EXPECT_NE(g.reason.find("no lower limit of normal"), std::string::npos) << g.reason;
}

TEST(Toxicity, WhatCannotBeGradedSaysWhy) {
  const Trial t = trialGrading({});
  ToxicityGrade unit = gradeToxicity(t, kAlt, lab("1742-6", 90, "mg/dL", 40), nullptr, {});
  EXPECT_FALSE(unit.evaluated);
  EXPECT_NE(unit.reason.find("'mg/dL' cannot be converted to 'U/L'"), std::string::npos)
      << unit.reason;
  ToxicityGrade uln = gradeToxicity(t, kAlt, lab("1742-6", 90, "U/L"), nullptr, {});
  EXPECT_FALSE(uln.evaluated);
  EXPECT_NE(uln.reason.find("no upper limit of normal"), std::string::npos) << uln.reason;
  LabResult text = lab("1742-6", 0, "U/L", 40);
  text.value.reset();
  text.valueText = "haemolysed";
  EXPECT_FALSE(gradeToxicity(t, kAlt, text, nullptr, {}).evaluated);
  ToxicityGrade none = gradeToxicity(t, {"alanine-aminotransferase-increased", "none", {}},
                                     lab("1742-6", 900, "U/L", 40), nullptr, {});
  EXPECT_FALSE(none.evaluated);
  EXPECT_EQ(none.reason, "Alanine aminotransferase increased is not graded in this trial");
}

TEST(Toxicity, CensoredValuesHaveAGradeOnlyWhenBothEndsAgree) {
  LabResult low = lab("1742-6", 10, "U/L", 40);
  low.comparator = "<";
  EXPECT_EQ(grade(kAlt, low), 0);
  LabResult high = lab("1742-6", 1000, "U/L", 40);
  high.comparator = ">";
  EXPECT_EQ(grade(kAlt, high), 4);
  high.value = 100;
  ToxicityGrade g = gradeToxicity(trialGrading({}), kAlt, high, nullptr, {});
  EXPECT_FALSE(g.evaluated);
  EXPECT_NE(g.reason.find("may be grade 1 or 4"), std::string::npos) << g.reason;
}

TEST(Toxicity, ADiseaseDefiningLabIsGradedRelativeToBaseline) {
  const Trial itp = test::sampleTrial();
  const ToxicityTermSettings* plt = itp.safety.term("platelet-count-decreased");
  ASSERT_NE(plt, nullptr);
  EXPECT_EQ(plt->grading, "relative-to-baseline");
  // An ITP subject starts at grade 4 (15 x10^9/L): 10 is grade 4 too, and not reported.
  const LabResult b15 = lab("777-3", 15, "10*9/L", 350, 125);
  ToxicityGrade same = gradeToxicity(itp, *plt, lab("777-3", 10, "10*9/L", 350, 125), &b15, {});
  EXPECT_TRUE(same.evaluated);
  EXPECT_EQ(same.grade, 0);
  EXPECT_EQ(same.baselineGrade, 4);
  EXPECT_FALSE(same.proposeAdverseEvent);
  EXPECT_NE(same.reason.find("not worse than the baseline's grade 4"), std::string::npos)
      << same.reason;
  // From 60 (grade 2) to 20 (grade 4): worse, reported, and a draft AE from grade 3.
  const LabResult b60 = lab("777-3", 60, "10*9/L", 350, 125);
  ToxicityGrade worse = gradeToxicity(itp, *plt, lab("777-3", 20, "10*9/L", 350, 125), &b60, {});
  EXPECT_EQ(worse.grade, 4);
  EXPECT_EQ(worse.baselineGrade, 2);
  EXPECT_TRUE(worse.proposeAdverseEvent);
  // Without a baseline, relative grading cannot be done.
  ToxicityGrade nobase = gradeToxicity(itp, *plt, lab("777-3", 20, "10*9/L"), nullptr, {});
  EXPECT_FALSE(nobase.evaluated);
  EXPECT_NE(nobase.reason.find("no baseline value"), std::string::npos);
}

TEST(Toxicity, DraftAdverseEventsFromTheTrialsGrade) {
  const Trial itp = test::sampleTrial();
  const ToxicityTermSettings* alt = gradedTermFor(itp, lab("1742-6", 0, "U/L"));
  ASSERT_NE(alt, nullptr);
  EXPECT_EQ(alt->term, "alanine-aminotransferase-increased");
  EXPECT_FALSE(
      gradeToxicity(itp, *alt, lab("1742-6", 150, "U/L", 40), nullptr, {}).proposeAdverseEvent);
  EXPECT_TRUE(
      gradeToxicity(itp, *alt, lab("1742-6", 210, "U/L", 40), nullptr, {}).proposeAdverseEvent);
  // tbx101-fih-01: from grade 2, but creatinine from grade 3.
  const Trial tbx = test::sampleTrial("samples/trials/tbx101-fih-01.json");
  const ToxicityTermSettings* ast = gradedTermFor(tbx, lab("1920-8", 0, "U/L"));
  EXPECT_TRUE(gradeToxicity(tbx, *ast, lab("1920-8", 130, "U/L"), nullptr, {}).proposeAdverseEvent);
  const ToxicityTermSettings* crea = gradedTermFor(tbx, lab("14682-9", 0, "umol/L"));
  ASSERT_NE(crea, nullptr);
  SubjectFacts woman{"female", "1957-08-03", false};
  // 2.0 mg/dL over the trial's female ULN of 1.1: 1.8 x ULN, grade 2, below creatinine's 3.
  ToxicityGrade g = gradeToxicity(tbx, *crea, lab("2160-0", 2.0, "mg/dL"), nullptr, woman);
  EXPECT_EQ(g.grade, 2);
  EXPECT_FALSE(g.proposeAdverseEvent);
  EXPECT_EQ(gradedTermFor(tbx, lab("718-7", 0, "g/dL")), nullptr);  // haemoglobin: not graded
  EXPECT_EQ(gradedTermFor(Trial{}, lab("1742-6", 0, "U/L")), nullptr);
}

TEST(Toxicity, OneDraftPerEpisodeUnlessTheGradeRises) {
  EXPECT_TRUE(proposeDraft(3, 3, 0));
  EXPECT_FALSE(proposeDraft(3, 3, 3));  // the same grade again
  EXPECT_TRUE(proposeDraft(4, 3, 3));   // worse
  EXPECT_FALSE(proposeDraft(2, 3, 0));
  EXPECT_FALSE(proposeDraft(0, 1, 0));
}

TEST(Toxicity, TheTermsAndTheirCodes) {
  ASSERT_EQ(toxicityTerms().size(), 5u);
  EXPECT_EQ(toxicityTerm("creatinine-increased")->meddra, "10011368");
  EXPECT_EQ(toxicityTerm("platelet-count-decreased")->ctcae, "Platelet count decreased");
  EXPECT_EQ(toxicityTerm("neutrophil-count-decreased"), nullptr);
  for (const ToxicityTermInfo& t : toxicityTerms()) {
    EXPECT_NE(LabCatalog::get().byId(t.analyte), nullptr) << t.id;
  }
}

}  // namespace toxicity_test
}  // namespace trialbridge::study
