// Reading trial definitions: the samples read cleanly, and each kind of mistake gets a precise
// error (JSON path, line and column, reason). The mistakes are made by editing the reference
// trial NCT06813157 with JSON pointers.
#include "study/trial_reader.h"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "edit_util.h"

namespace trialbridge::study {
namespace {

using namespace test;

constexpr const char* kTrial = "samples/trials/NCT06813157.json";

// The issues of reading `text`, which must fail.
core::Issues failures(const std::string& text) {
  core::Issues issues;
  auto t = readTrial(text, issues);
  EXPECT_FALSE(t.has_value());
  EXPECT_TRUE(issues.hasErrors());
  return issues;
}

TEST(TrialReader, ReadsTheReferenceTrial) {
  core::Issues issues;
  auto t = readTrial(readSource("samples/trials/NCT06813157.json"), issues);
  ASSERT_TRUE(t) << describe(issues);
  EXPECT_FALSE(issues.hasErrors());
  EXPECT_EQ(issues.count(core::Severity::Warning), 0u) << describe(issues);
  EXPECT_EQ(t->id, "nct06813157");
  EXPECT_EQ(t->canonicalBase, "http://trialbridge.org/fhir/trials/nct06813157");
  EXPECT_EQ(t->identifiers[0].system, "https://clinicaltrials.gov");
  EXPECT_EQ(t->enrollmentTarget, 40);
  EXPECT_EQ(t->eligibility.minimumAge->value, "4");
  EXPECT_EQ(t->eligibility.maximumAge->value, "75");
  EXPECT_EQ(t->eligibility.inclusion.size(), 8u);
  EXPECT_EQ(t->eligibility.exclusion.size(), 5u);
  // The registry lists 15 exclusion criteria: noted, as information.
  EXPECT_EQ(issues.count(core::Severity::Information), 1u) << describe(issues);
  // The dose stays as registered, with its reading.
  const Dose& dose = *t->arms[0].interventions[0].dose;
  EXPECT_EQ(dose.text, "1 × 108/kg");
  EXPECT_EQ(dose.reading, "1 × 10^8 cells/kg body weight per infusion");
  EXPECT_EQ(dose.quantity->value, "100000000");
  EXPECT_EQ(dose.quantity->ucum, "{cells}/kg");
  // Five infusions: day 0, then 7 ±1 after the first, then 14 ±3 after the one before.
  const Schedule& treatment = t->schedules[0];
  std::vector<std::string> infusions;
  for (const Timepoint& tp : treatment.timepoints) {
    if (tp.type == "dosing")
      infusions.push_back(tp.id + "@" + tp.anchor.event + tp.anchor.timepoint + "+" +
                          (tp.offset ? tp.offset->value + tp.offset->unit : ""));
  }
  EXPECT_EQ(infusions,
            (std::vector<std::string>{"inf-1@first-dose+0d", "inf-2@inf-1+7d", "inf-3@inf-2+14d",
                                      "inf-4@inf-3+14d", "inf-5@inf-4+14d"}));
  EXPECT_EQ(treatment.timepoints[3].windowBefore->value, "1");
  EXPECT_EQ(treatment.timepoints[4].windowAfter->value, "3");
  // Follow-up D14, M1, M2, M3, M6, M9, M12 after the last dose.
  std::vector<std::string> followUp;
  for (const Timepoint& tp : t->schedules[1].timepoints) {
    EXPECT_EQ(tp.anchor.event, "last-dose");
    followUp.push_back(tp.offset->value + tp.offset->unit);
  }
  EXPECT_EQ(followUp, (std::vector<std::string>{"14d", "1mo", "2mo", "3mo", "6mo", "9mo", "12mo"}));
  // Creatinine ≤ 1.5 × ULN or clearance ≥ 75 mL/min.
  const Rule* renal = nullptr;
  for (const Rule& r : t->eligibility.rules) {
    if (r.kind == "anyOf") renal = &r;
  }
  ASSERT_NE(renal, nullptr);
  ASSERT_EQ(renal->rules.size(), 2u);
  EXPECT_EQ(renal->rules[0].threshold.relativeTo, "ULN");
  EXPECT_EQ(renal->rules[0].threshold.value, "1.5");
  EXPECT_EQ(renal->rules[1].threshold.unit, "mL/min");
  EXPECT_EQ(renal->rules[1].threshold.comparator, ">=");
  EXPECT_EQ(renal->rules[0].test->codes[0].system, "http://loinc.org");  // alias resolved
}

TEST(TrialReader, ReadsTheSecondSample) {
  core::Issues issues;
  auto t = readTrial(readSource("samples/trials/tbx101-fih-01.json"), issues);
  ASSERT_TRUE(t) << describe(issues);
  EXPECT_EQ(issues.size(), 0u) << describe(issues);
  EXPECT_EQ(t->arms.size(), 5u);
  EXPECT_EQ(t->arms[2].cohort->sequence, 3);
  EXPECT_EQ(t->arms[0].interventions[0].dose->quantity->value, "0.3");  // decimal text kept
  EXPECT_EQ(t->schedules.size(), 5u);
  EXPECT_EQ(t->schedules[2].timepoints[1].offset->unit, "min");
  EXPECT_EQ(t->schedules[2].timepoints[0].offset->value, "-15");
  EXPECT_EQ(t->schedules[2].timepoints[0].relation, "before");
  EXPECT_EQ(t->schedules[3].timepoints[2].offset->unit, "wk");
  EXPECT_EQ(t->schedules[0].timepoints[3].repeatCount, 7);
  EXPECT_EQ(t->identifiers[0].system,
            "http://trialbridge.org/fhir/trials/tbx101-fih-01/sponsor-protocol");
  EXPECT_TRUE(t->isNamed("TBX101-FIH-01"));
  EXPECT_TRUE(t->isNamed("tbx101-fih-01"));
  EXPECT_FALSE(t->isNamed("NCT06813157"));
}

TEST(TrialReader, MalformedJsonHasLineAndColumn) {
  core::Issues issues;
  EXPECT_FALSE(readTrial("{\n  \"id\": \"x\",\n  \"status\": RECRUITING\n}", issues));
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues.items()[0].severity, core::Severity::Fatal);
  EXPECT_EQ(issues.items()[0].line, 3u);
  EXPECT_NE(issues.items()[0].message.find("malformed JSON"), std::string::npos);
}

TEST(TrialReader, DuplicateMembers) {
  core::Issues issues;
  EXPECT_FALSE(readTrial("{\"id\": \"a\",\n \"id\": \"b\"}", issues));
  EXPECT_TRUE(hasError(issues, "$.id", "given twice"));
  EXPECT_EQ(issues.items()[0].line, 2u);
  EXPECT_EQ(issues.items()[0].column, 2u);
}

TEST(TrialReader, NotAnObject) {
  EXPECT_TRUE(hasError(failures("[1, 2]"), "$", "expected an object"));
}

// One kind of mistake: an edit of the reference trial and the error it must produce.
struct Mistake {
  const char* name;
  std::function<void(rapidjson::Document&)> edit;
  const char* path;
  const char* message;
};

const std::vector<Mistake>& mistakes() {
  static const std::vector<Mistake> kMistakes = {
      // The schema.
      {"MissingRequired", [](auto& d) { erase(d, "/titles"); }, "$",
       "missing required property 'titles'"},
      {"UnknownProperty", [](auto& d) { set(d, "/arms/0/dosage", "\"1 mg\""); }, "$.arms[0].dosage",
       "unknown property 'dosage'"},
      {"MisspelledProperty",
       [](auto& d) {
         set(d, "/schedules/1/timepionts", "[]");
         erase(d, "/schedules/1/timepoints");
       },
       "$.schedules[1].timepionts", "did you mean 'timepoints'?"},
      {"MisspelledPropertyAlsoMissing",
       [](auto& d) {
         set(d, "/schedules/1/timepionts", "[]");
         erase(d, "/schedules/1/timepoints");
       },
       "$.schedules[1]", "missing required property 'timepoints'"},
      {"WrongType", [](auto& d) { set(d, "/enrollment/target", "\"forty\""); },
       "$.enrollment.target", "whole number of participants"},
      {"WrongTypeObject", [](auto& d) { set(d, "/design", "\"single arm\""); }, "$.design",
       "expected an object, found a string"},
      {"NotInEnum", [](auto& d) { set(d, "/status", "\"OPEN\""); }, "$.status",
       "'OPEN' is not one of: NOT_YET_RECRUITING, RECRUITING"},
      {"BadId", [](auto& d) { set(d, "/id", "\"NCT 06813157\""); }, "$.id",
       "lower-case letters, digits and '-'"},
      {"NegativeEnrollment", [](auto& d) { set(d, "/enrollment/target", "0"); },
       "$.enrollment.target", "at least 1"},
      {"EmptyArms", [](auto& d) { set(d, "/arms", "[]"); }, "$.arms",
       "expected at least 1 item(s), found 0"},
      {"BadTimeUnit", [](auto& d) { set(d, "/schedules/1/timepoints/0/offset/unit", "\"days\""); },
       "$.schedules[1].timepoints[0].offset.unit", "a time unit is one of min, h, d, wk, mo"},
      {"BadDate", [](auto& d) { set(d, "/dates", "{\"start\": \"2025/01/01\"}"); }, "$.dates.start",
       "expected a date"},
      {"BadCountry", [](auto& d) { set(d, "/sites/0/address/country", "\"China\""); },
       "$.sites[0].address.country", "ISO 3166-1 alpha-2"},
      {"AnchorWithTwoTargets",
       [](auto& d) {
         set(d, "/schedules/0/timepoints/3/anchor",
             "{\"event\": \"first-dose\", \"timepoint\": \"inf-1\"}");
       },
       "$.schedules[0].timepoints[3].anchor", "exactly one of them"},
      {"UnknownRuleKind", [](auto& d) { set(d, "/eligibility/rules/0/kind", "\"lab-test\""); },
       "$.eligibility.rules[0].kind",
       "'lab-test' is not one of: lab, pregnancy-test, washout, anyOf"},
      {"RuleWithoutKind", [](auto& d) { erase(d, "/eligibility/rules/0/kind"); },
       "$.eligibility.rules[0]", "missing required property 'kind'"},
      {"PropertyOfAnotherRuleKind",
       [](auto& d) { set(d, "/eligibility/rules/0/period", "{\"value\": 2, \"unit\": \"wk\"}"); },
       "$.eligibility.rules[0].period", "unknown property 'period'"},
      {"AnyOfWithOneRule", [](auto& d) { erase(d, "/eligibility/rules/3/rules/1"); },
       "$.eligibility.rules[3].rules", "expected at least 2 item(s)"},
      {"BadComparator",
       [](auto& d) { set(d, "/eligibility/rules/0/threshold/comparator", "\"=<\""); },
       "$.eligibility.rules[0].threshold.comparator", "is not one of"},
      // Cross-references and rules the schema cannot state.
      {"BadNctNumber", [](auto& d) { set(d, "/identifiers/0/value", "\"NCT0681315\""); },
       "$.identifiers[0].value", "not a valid ClinicalTrials.gov identifier"},
      {"OtherRegistryWithoutSystem",
       [](auto& d) { set(d, "/identifiers/1", "{\"registry\": \"other\", \"value\": \"X-1\"}"); },
       "$.identifiers[1]", "needs a system"},
      {"TwoPrimaryIdentifiers",
       [](auto& d) {
         set(d, "/identifiers/1",
             "{\"registry\": \"isrctn\", \"value\": \"ISRCTN12345678\", \"primary\": true}");
       },
       "$.identifiers", "more than one identifier is marked primary"},
      {"UnknownSponsor", [](auto& d) { set(d, "/sponsor", "\"nobody\""); }, "$.sponsor",
       "no organization has the id 'nobody'"},
      {"SponsorAsCollaborator", [](auto& d) { set(d, "/collaborators", "[\"bio-gene\"]"); },
       "$.collaborators[0]", "the sponsor is not also a collaborator"},
      {"UnknownSiteOrganization", [](auto& d) { set(d, "/sites/0/organization", "\"nowhere\""); },
       "$.sites[0].organization", "no organization has the id 'nowhere'"},
      {"UnknownContactSite", [](auto& d) { set(d, "/contacts/0/site", "\"elsewhere\""); },
       "$.contacts[0].site", "no site has the id 'elsewhere'"},
      {"DuplicateOrganization", [](auto& d) { set(d, "/organizations/1/id", "\"bio-gene\""); },
       "$.organizations[1].id",
       "the organization id 'bio-gene' is already used at $.organizations[0].id"},
      {"DuplicateArmName",
       [](auto& d) {
         set(d, "/arms/1",
             "{\"id\": \"arm-2\", \"name\": \"Mesenchymal stem cells\", \"type\": \"OTHER\"}");
       },
       "$.arms[1].name", "the arm name 'Mesenchymal stem cells' is already used"},
      {"ArmWithUnknownIntervention",
       [](auto& d) { set(d, "/arms/0/interventions/0/intervention", "\"msc2\""); },
       "$.arms[0].interventions[0].intervention", "no intervention has the id 'msc2'"},
      {"AdministrationWithoutIntervention",
       [](auto& d) { erase(d, "/activities/10/intervention"); }, "$.activities[10]",
       "names the intervention it gives"},
      {"InterventionOnAnAssessment",
       [](auto& d) { set(d, "/activities/0/intervention", "\"msc\""); },
       "$.activities[0].intervention", "only administration activities name an intervention"},
      {"UnknownActivity",
       [](auto& d) { set(d, "/schedules/1/timepoints/0/activities/0", "\"ecg\""); },
       "$.schedules[1].timepoints[0].activities[0]", "no activity has the id 'ecg'"},
      {"DosingWithoutAdministration",
       [](auto& d) { set(d, "/schedules/0/timepoints/2/activities", "[\"safety-assessment\"]"); },
       "$.schedules[0].timepoints[2].activities",
       "the dosing timepoint 'inf-1' has no administration activity"},
      {"AdministrationAtAnAssessment",
       [](auto& d) { set(d, "/schedules/1/timepoints/0/activities/0", "\"msc-infusion\""); },
       "$.schedules[1].timepoints[0].activities[0]", "make it a dosing timepoint"},
      {"ArmWithoutTheIntervention",
       [](auto& d) {
         set(d, "/arms/1",
             "{\"id\": \"control\", \"name\": \"Observation\", \"type\": \"NO_INTERVENTION\"}");
       },
       "$.schedules[0].timepoints[2].activities[0]",
       "the arm 'control' does not receive the intervention 'msc'"},
      {"UnknownScheduleArm", [](auto& d) { set(d, "/schedules/0/arms", "[\"arm-x\"]"); },
       "$.schedules[0].arms[0]", "no arm has the id 'arm-x'"},
      {"DuplicateTimepoint", [](auto& d) { set(d, "/schedules/1/timepoints/0/id", "\"inf-1\""); },
       "$.schedules[1].timepoints[0].id",
       "the timepoint id 'inf-1' is already used at $.schedules[0].timepoints[2].id"},
      {"UnknownAnchorTimepoint",
       [](auto& d) { set(d, "/schedules/0/timepoints/3/anchor/timepoint", "\"inf-9\""); },
       "$.schedules[0].timepoints[3].anchor.timepoint", "has the id 'inf-9'"},
      {"AnchorInAnotherSchedule",
       [](auto& d) { set(d, "/schedules/1/timepoints/0/anchor", "{\"timepoint\": \"inf-5\"}"); },
       "$.schedules[1].timepoints[0].anchor.timepoint",
       "an anchor timepoint is in the same schedule"},
      {"AnchorCycle",
       [](auto& d) { set(d, "/schedules/0/timepoints/2/anchor", "{\"timepoint\": \"inf-5\"}"); },
       "$.schedules[0].timepoints[2].anchor.timepoint", "go round in a cycle"},
      {"WindowInDaysOnMonths",
       [](auto& d) {
         set(d, "/schedules/1/timepoints/3/window",
             "{\"before\": {\"value\": 7, \"unit\": \"d\"}}");
       },
       "$.schedules[1].timepoints[3].window.before.unit", "months have no fixed length"},
      {"WindowWithoutOffset",
       [](auto& d) {
         set(d, "/schedules/0/timepoints/0/window",
             "{\"before\": {\"value\": 28, \"unit\": \"d\"}}");
       },
       "$.schedules[0].timepoints[0].window", "a window needs an offset"},
      {"NoOffsetNoRelation", [](auto& d) { erase(d, "/schedules/0/timepoints/0/relation"); },
       "$.schedules[0].timepoints[0]", "whether it is before or after its anchor"},
      {"RelationContradictsOffset",
       [](auto& d) { set(d, "/schedules/1/timepoints/0/relation", "\"before\""); },
       "$.schedules[1].timepoints[0].relation", "contradicts the offset 14 d"},
      {"UnknownCodeSystemAlias",
       [](auto& d) { set(d, "/activities/3/code/codes/0/system", "\"lonic\""); },
       "$.activities[3].code.codes[0].system", "unknown code system 'lonic'"},
      {"ThresholdWithUnitAndUln",
       [](auto& d) { set(d, "/eligibility/rules/0/threshold/unit", "\"U/L\""); },
       "$.eligibility.rules[0].threshold", "either relativeTo (ULN or LLN) or a unit"},
      {"ThresholdWithNeither",
       [](auto& d) { erase(d, "/eligibility/rules/0/threshold/relativeTo"); },
       "$.eligibility.rules[0].threshold", "either relativeTo (ULN or LLN) or a unit"},
      {"RuleForUnknownCriterion",
       [](auto& d) { set(d, "/eligibility/rules/0/criterion", "\"inc-99\""); },
       "$.eligibility.rules[0].criterion",
       "no inclusion or exclusion criterion has the id 'inc-99'"},
      {"DuplicateRuleId", [](auto& d) { set(d, "/eligibility/rules/1/id", "\"alt\""); },
       "$.eligibility.rules[1].id", "the rule id 'alt' is already used"},
      {"DuplicateCriterionId", [](auto& d) { set(d, "/eligibility/exclusion/0/id", "\"inc-1\""); },
       "$.eligibility.exclusion[0].id", "the criterion id 'inc-1' is already used"},
      {"MinimumAgeAboveMaximum",
       [](auto& d) { set(d, "/eligibility/minimumAge", "{\"value\": 80, \"unit\": \"a\"}"); },
       "$.eligibility.minimumAge", "above the maximum age"},
      {"MoreCriteriaThanRegistered",
       [](auto& d) { set(d, "/eligibility/registeredCounts/inclusion", "7"); },
       "$.eligibility.registeredCounts.inclusion", "more than the 7 registered"},
      {"UnknownAgeCriterion", [](auto& d) { set(d, "/eligibility/ageCriterion", "\"inc-0\""); },
       "$.eligibility.ageCriterion", "no criterion has the id 'inc-0'"},
      {"IdTooLongForFhir",
       [](auto& d) { set(d, "/id", "\"a-trial-id-that-is-forty-characters-long\""); },
       "$.activities[10].id", "longer than 64 characters"},
  };
  return kMistakes;
}

class TrialMistake : public ::testing::TestWithParam<Mistake> {};

TEST_P(TrialMistake, IsReportedAtItsPath) {
  const Mistake& m = GetParam();
  const core::Issues issues = failures(edited(kTrial, m.edit));
  EXPECT_TRUE(hasError(issues, m.path, m.message));
  for (const core::Issue& i : issues.items()) {
    if (i.severity <= core::Severity::Error) {
      EXPECT_GT(i.line, 0u) << i.location << ": " << i.message;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Each, TrialMistake, ::testing::ValuesIn(mistakes()),
                         [](const ::testing::TestParamInfo<Mistake>& p) {
                           return std::string(p.param.name);
                         });

TEST(TrialReader, ReadsTheDoseFindingDesigns) {
  core::Issues issues;
  auto t = readTrial(readSource("samples/trials/tbx202-boin-01.json"), issues);
  ASSERT_TRUE(t) << describe(issues);
  EXPECT_EQ(issues.size(), 0u) << describe(issues);
  ASSERT_TRUE(t->design.doseEscalation);
  EXPECT_EQ(t->design.doseEscalation->rule, "BOIN");
  EXPECT_EQ(t->design.doseEscalation->targetToxicityRate, "0.3");
  EXPECT_EQ(t->arms[5].cohort->doseFrom,
            (std::vector<std::string>{"level-3", "level-4", "level-5"}));
  EXPECT_EQ(t->schedules[1].firstSubjects, 12);
  EXPECT_EQ(t->schedules[2].sex, "FEMALE");
  EXPECT_EQ(t->schedules[0].firstSubjects, 0);
}

// The designs' own checks, on the dose-finding sample.
TEST(TrialReader, DoseFindingMistakes) {
  struct Case {
    std::function<void(rapidjson::Document&)> edit;
    const char* path;
    const char* message;
  };
  const std::vector<Case> cases = {
      {[](auto& d) { erase(d, "/design/doseEscalation/targetToxicityRate"); },
       "$.design.doseEscalation", "a BOIN escalation needs targetToxicityRate"},
      {[](auto& d) { set(d, "/design/doseEscalation/rule", "\"3+3\""); },
       "$.design.doseEscalation.targetToxicityRate", "belongs to BOIN escalations"},
      {[](auto& d) { set(d, "/design/doseEscalation", "{\"rule\": \"text\"}"); },
       "$.design.doseEscalation", "needs its description"},
      {[](auto& d) { set(d, "/arms/5/cohort/doseFrom/0", "\"expansion\""); },
       "$.arms[5].cohort.doseFrom[0]", "is not a dose-escalation cohort"},
      {[](auto& d) { set(d, "/arms/5/cohort/doseFrom/0", "\"level-9\""); },
       "$.arms[5].cohort.doseFrom[0]", "no arm has the id 'level-9'"},
      {[](auto& d) { set(d, "/arms/5/cohort/part", "\"other\""); }, "$.arms[5].cohort.doseFrom",
       "only a dose-expansion cohort takes its dose from other cohorts"},
      {[](auto& d) { set(d, "/eligibility/sex", "\"MALE\""); }, "$.schedules[2].subjects.sex",
       "no subject is FEMALE"},
      {[](auto& d) { set(d, "/status", "\"UNKNOWN\""); }, "$.status",
       "status UNKNOWN needs lastKnownStatus"},
      {[](auto& d) { set(d, "/lastKnownStatus", "\"RECRUITING\""); }, "$.lastKnownStatus",
       "lastKnownStatus goes only with status UNKNOWN"},
  };
  for (const Case& c : cases) {
    const core::Issues issues = failures(edited("samples/trials/tbx202-boin-01.json", c.edit));
    EXPECT_TRUE(hasError(issues, c.path, c.message));
  }
  // More subjects first than the target is a warning only.
  core::Issues issues;
  auto t = readTrial(edited("samples/trials/tbx202-boin-01.json",
                            [](auto& d) { set(d, "/schedules/1/subjects/first", "100"); }),
                     issues);
  EXPECT_TRUE(t);
  EXPECT_EQ(issues.count(core::Severity::Warning), 1u) << describe(issues);
}

// A registry number of any length is an error, not a stack overflow (std::regex_match recursed
// once a character: 40,000 characters crashed `trialbridge map`).
TEST(TrialReader, LongRegistryIdentifierIsAnError) {
  const std::string identifier =
      R"({"registry": "chictr", "value": "ChiCTR)" + std::string(100000, 'A') + R"("})";
  const core::Issues issues =
      failures(edited(kTrial, [&](auto& d) { set(d, "/identifiers/1", identifier.c_str()); }));
  EXPECT_TRUE(hasError(issues, "$.identifiers[1].value", "is not a valid"));
}

TEST(TrialReader, ReportsAllSchemaProblemsAtOnce) {
  const core::Issues issues = failures(edited(kTrial, [](auto& d) {
    set(d, "/status", "\"OPEN\"");
    set(d, "/arms/0/type", "\"TREATMENT\"");
    set(d, "/schedules/1/timepoints/6/offset/value", "\"12\"");
    erase(d, "/eligibility/sex");
  }));
  EXPECT_TRUE(hasError(issues, "$.status", "'OPEN'"));
  EXPECT_TRUE(hasError(issues, "$.arms[0].type", "'TREATMENT'"));
  EXPECT_TRUE(
      hasError(issues, "$.schedules[1].timepoints[6].offset.value", "an offset is a number"));
  EXPECT_TRUE(hasError(issues, "$.eligibility", "missing required property 'sex'"));
  EXPECT_EQ(issues.size(), 4u) << describe(issues);
}

TEST(TrialReader, LineAndColumnPointAtTheMember) {
  // The reference file as written: "status" is on line 14, indented by two spaces.
  const std::string text = readSource("samples/trials/NCT06813157.json");
  std::string changed = text;
  const size_t at = changed.find("\"RECRUITING\"");
  ASSERT_NE(at, std::string::npos);
  changed.replace(at, 12, "\"OPEN\"");
  core::Issues issues;
  EXPECT_FALSE(readTrial(changed, issues));
  ASSERT_EQ(issues.size(), 1u) << describe(issues);
  uint32_t line = 1;
  for (size_t i = 0; i < text.find("\"status\""); ++i) line += text[i] == '\n';
  EXPECT_EQ(issues.items()[0].line, line);
  EXPECT_EQ(issues.items()[0].column, 3u);
}

TEST(TrialReader, DefaultsAndNormalisation) {
  core::Issues issues;
  auto t = readTrial(edited(kTrial,
                            [](auto& d) {
                              set(d, "/canonicalBase", "\"https://trials.example.org/fhir/\"");
                              erase(d, "/arms/0/interventions/0/dose");
                              erase(d, "/pseudonymization");
                            }),
                     issues);
  ASSERT_TRUE(t) << describe(issues);
  EXPECT_EQ(t->canonicalBase, "https://trials.example.org/fhir");
  EXPECT_EQ(t->birthDatePrecision, "day");
  // A dosing timepoint whose arm gives the intervention without a dose: warned, not refused.
  EXPECT_EQ(issues.count(core::Severity::Warning), 5u) << describe(issues);
}

}  // namespace
}  // namespace trialbridge::study
