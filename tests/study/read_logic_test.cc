// Reading the trial file's blocks for the protocol's logic (laboratory, efficacy, safety): the
// samples' settings, the defaults, and each mistake reported at its path.
#include "study/detail/read_logic.h"

#include <gtest/gtest.h>

#include "edit_util.h"
#include "study/trial_reader.h"

namespace trialbridge::study {
namespace read_logic_test {

using namespace test;

constexpr const char* kTrial = "samples/trials/NCT06813157.json";

TEST(ReadLogic, TheReferenceTrialsSettings) {
  const Trial t = sampleTrial();
  ASSERT_TRUE(t.laboratory.lookBack);
  EXPECT_EQ(t.laboratory.lookBack->value, "6");
  EXPECT_EQ(t.laboratory.lookBack->unit, "mo");
  ASSERT_TRUE(t.efficacy.plateletResponse);
  const PlateletResponseSettings& p = *t.efficacy.plateletResponse;
  EXPECT_EQ(p.criteria, "itp-iwg-2009");
  EXPECT_EQ(p.baselineTimepoint, "v2-baseline");
  EXPECT_EQ(p.completeResponse, 100);  // the IWG defaults
  EXPECT_EQ(p.response, 30);
  EXPECT_EQ(p.foldOfBaseline, 2);
  EXPECT_EQ(p.confirmation.number, 7);
  EXPECT_EQ(p.lossConfirmation.number, 1);
  EXPECT_EQ(p.unit, "10*9/L");
  EXPECT_EQ(p.assessAt.size(), 7u);
  EXPECT_EQ(t.safety.draftFromGrade, 3);
  ASSERT_EQ(t.safety.terms.size(), 5u);
  EXPECT_EQ(t.safety.term("platelet-count-decreased")->grading, "relative-to-baseline");
  EXPECT_EQ(t.safety.term("creatinine-increased")->grading, "ctcae");
  EXPECT_EQ(t.safety.term("neutrophil-count-decreased"), nullptr);
}

TEST(ReadLogic, TheSecondSamplesRangesAndOverrides) {
  const Trial t = sampleTrial("samples/trials/tbx101-fih-01.json");
  EXPECT_FALSE(t.efficacy.plateletResponse);
  EXPECT_EQ(t.laboratory.unscheduledBeyond->number, 7);
  ASSERT_EQ(t.laboratory.referenceRanges.size(), 6u);
  const ReferenceRange& female = t.laboratory.referenceRanges[4];
  EXPECT_EQ(female.sex, "female");
  EXPECT_EQ(*female.high, 1.1);
  EXPECT_EQ(female.test.codes[0].system, "http://loinc.org");
  EXPECT_FALSE(t.laboratory.referenceRanges[2].low);
  EXPECT_EQ(t.safety.draftFromGrade, 2);
  EXPECT_EQ(*t.safety.term("creatinine-increased")->draftFromGrade, 3);
}

TEST(ReadLogic, NoBlocksNoSettings) {
  const std::string text = edited(kTrial, [](auto& d) {
    erase(d, "/laboratory");
    erase(d, "/efficacy");
    erase(d, "/safety");
  });
  core::Issues issues;
  auto t = readTrial(text, issues);
  ASSERT_TRUE(t) << describe(issues);
  EXPECT_FALSE(t->laboratory.lookBack);
  EXPECT_FALSE(t->efficacy.plateletResponse);
  EXPECT_TRUE(t->safety.terms.empty());  // nothing is graded unless the trial says so
}

struct Mistake {
  const char* name;
  std::function<void(rapidjson::Document&)> edit;
  const char* path;
  const char* message;
};

const std::vector<Mistake>& mistakes() {
  static const std::vector<Mistake> kMistakes = {
      {"UnknownTerm",
       [](auto& d) { set(d, "/safety/labToxicity/terms/1/term", "\"alt-increased\""); },
       "$.safety.labToxicity.terms[1].term", "one of"},
      {"TermTwice",
       [](auto& d) {
         set(d, "/safety/labToxicity/terms/2/term", "\"alanine-aminotransferase-increased\"");
       },
       "$.safety.labToxicity.terms[2].term", "is given twice"},
      {"UnknownGrading",
       [](auto& d) { set(d, "/safety/labToxicity/terms/0/grading", "\"relative\""); },
       "$.safety.labToxicity.terms[0].grading", "one of"},
      {"DraftGradeOutOfRange",
       [](auto& d) { set(d, "/safety/labToxicity/draftAdverseEventFromGrade", "6"); },
       "$.safety.labToxicity.draftAdverseEventFromGrade", ""},
      {"UnknownBaselineTimepoint",
       [](auto& d) { set(d, "/efficacy/plateletResponse/baseline/timepoint", "\"v0\""); },
       "$.efficacy.plateletResponse.baseline.timepoint", "no timepoint has the id 'v0'"},
      {"UnknownAssessAt",
       [](auto& d) { set(d, "/efficacy/plateletResponse/assessAt/2", "\"fu-m4\""); },
       "$.efficacy.plateletResponse.assessAt[2]", "no timepoint has the id 'fu-m4'"},
      {"ResponseUnitNotACount",
       [](auto& d) { set(d, "/efficacy/plateletResponse/unit", "\"g/L\""); },
       "$.efficacy.plateletResponse.unit", "is not a count per volume"},
      {"ResponseUnitNotUcum",
       [](auto& d) { set(d, "/efficacy/plateletResponse/unit", "\"x10E9/L\""); },
       "$.efficacy.plateletResponse.unit", "is not a UCUM unit"},
      {"ResponseAboveComplete",
       [](auto& d) { set(d, "/efficacy/plateletResponse/response", "120"); },
       "$.efficacy.plateletResponse.response", "above the complete response"},
      {"UnknownCriteria",
       [](auto& d) { set(d, "/efficacy/plateletResponse/criteria", "\"iwg-2011\""); },
       "$.efficacy.plateletResponse.criteria", "one of"},
      {"RangeWithoutLimits",
       [](auto& d) {
         set(d, "/laboratory/referenceRanges",
             R"([{"test": {"text": "ALT", "codes": [{"system": "loinc", "code": "1742-6"}]},
                 "unit": "U/L"}])");
       },
       "$.laboratory.referenceRanges[0]", "a low or high limit"},
      {"RangeBadUnit",
       [](auto& d) {
         set(d, "/laboratory/referenceRanges",
             R"([{"test": {"text": "ALT", "codes": [{"system": "loinc", "code": "1742-6"}]},
                 "high": 40, "unit": "IU per litre"}])");
       },
       "$.laboratory.referenceRanges[0].unit", "is not a UCUM unit"},
      {"RangeUpsideDown",
       [](auto& d) {
         set(d, "/laboratory/referenceRanges",
             R"([{"test": {"text": "ALT", "codes": [{"system": "loinc", "code": "1742-6"}]},
                 "low": 50, "high": 40, "unit": "U/L"}])");
       },
       "$.laboratory.referenceRanges[0].low", "above the high limit"},
      {"RangeTestWithoutCode",
       [](auto& d) {
         set(d, "/laboratory/referenceRanges",
             R"([{"test": {"text": "ALT"}, "high": 40, "unit": "U/L"}])");
       },
       "$.laboratory.referenceRanges[0].test", "names its test by code"},
      {"LookBackNegative", [](auto& d) { set(d, "/laboratory/lookBack/value", "-1"); },
       "$.laboratory.lookBack.value", "0 or more"},
  };
  return kMistakes;
}

class LogicMistake : public ::testing::TestWithParam<Mistake> {};

TEST_P(LogicMistake, IsReportedAtItsPath) {
  const Mistake& m = GetParam();
  core::Issues issues;
  EXPECT_FALSE(readTrial(edited(kTrial, m.edit), issues));
  EXPECT_TRUE(hasError(issues, m.path, m.message));
}

INSTANTIATE_TEST_SUITE_P(Each, LogicMistake, ::testing::ValuesIn(mistakes()),
                         [](const ::testing::TestParamInfo<Mistake>& p) {
                           return std::string(p.param.name);
                         });

}  // namespace read_logic_test
}  // namespace trialbridge::study
