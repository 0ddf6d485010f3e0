// validation/measure_rules.cc: Measures, and MeasureReports against their Measure. The resources
// are small ones written for each rule.
#include <gtest/gtest.h>

#include "validation_test_util.h"

namespace trialbridge::validation {
namespace {

using namespace validation::testing;

const char* kPop = "http://terminology.hl7.org/CodeSystem/measure-population";

// A proportion measure with two groups, each with two populations and one stratifier.
std::string measure(const std::string& scoring, const std::string& extra = "") {
  std::string groups;
  for (const char* g : {"g1", "g2"}) {
    groups += std::string(groups.empty() ? "" : ",") + R"({"id":")" + g +
              R"(","code":{"coding":[{"system":"http://a.org/g","code":")" + g +
              R"("}]},"population":[
        {"code":{"coding":[{"system":")" +
              kPop + R"(","code":"numerator"}]}},
        {"code":{"coding":[{"system":")" +
              kPop + R"(","code":"denominator"}]}}],
      "stratifier":[{"id":"age","code":{"text":"age"}}]})";
  }
  return R"({"resourceType":"Measure","url":"http://a.org/Measure/m","status":"active",)" + extra +
         R"("scoring":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/measure-scoring","code":")" +
         scoring + R"("}]},"group":[)" + groups + "]}";
}

const Validator& validatorFor(const std::string& scoring) {
  static std::map<std::string,
                  std::pair<std::unique_ptr<conformance::Context>, std::unique_ptr<Validator>>>
      cache;
  auto& slot = cache[scoring];
  if (!slot.second) {
    const std::string extra =
        scoring == "ratio-unit"
            ? R"("extension":[{"url":"http://hl7.org/fhir/StructureDefinition/questionnaire-unit",
                "valueCoding":{"system":"http://unitsofmeasure.org","code":"%"}}],)"
            : "";
    slot.first =
        withResources({{"m.json", measure(scoring == "ratio-unit" ? "ratio" : scoring, extra)}});
    slot.second = std::make_unique<Validator>(*slot.first);
  }
  return *slot.second;
}

// A group of a report: code `g`, the populations given, and `rest` (more members).
std::string group(const std::string& g,
                  const std::string& rest = R"(,"measureScore":{"value":0.5})",
                  const std::string& pops = "numerator,denominator") {
  std::string populations;
  size_t start = 0;
  while (start < pops.size()) {
    const size_t comma = pops.find(',', start);
    const std::string p = pops.substr(start, comma == std::string::npos ? comma : comma - start);
    populations += std::string(populations.empty() ? "" : ",") +
                   R"({"code":{"coding":[{"system":")" + kPop + R"(","code":")" + p +
                   R"("}]},"count":1})";
    start = comma == std::string::npos ? pops.size() : comma + 1;
  }
  return R"({"code":{"coding":[{"system":"http://a.org/g","code":")" + g +
         R"("}]},"population":[)" + populations + R"(],"stratifier":[{"code":[{"text":"age"}]}])" +
         rest + "}";
}

std::string report(const std::string& groups, const std::string& type = "summary") {
  return R"({"resourceType":"MeasureReport","status":"complete","type":")" + type +
         R"(","measure":"http://a.org/Measure/m","period":{"start":"2024-01-01","end":"2024-12-31"},
    "group":[)" +
         groups + "]}";
}

core::Issues check(const std::string& json, const std::string& scoring = "proportion") {
  return validate(json, validatorFor(scoring));
}

TEST(MeasureRules, AReportOfEveryGroupPopulationAndStratifierIsValid) {
  const auto issues = check(report(group("g1") + "," + group("g2")));
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
}

TEST(MeasureRules, GroupsByCodeOnceAndNoneMissing) {
  auto issues = check(report(group("g1")));
  EXPECT_EQ(findAll(issues, "has no group for the Measure's group with code 'g2'").size(), 1u)
      << dump(issues);
  issues = check(report(group("g1") + "," + group("g1") + "," + group("g2")));
  EXPECT_EQ(findAll(issues, "Another group of the report has the same code").size(), 1u)
      << dump(issues);
  issues = check(report(group("g1") + "," + group("g2") + "," + group("g9")));
  EXPECT_EQ(findAll(issues, "No group of the Measure has the code 'g9'").size(), 1u)
      << dump(issues);
  issues = check(report(group("g1"), "data-collection"));  // may report some groups only
  EXPECT_TRUE(findAll(issues, "has no group for").empty()) << dump(issues);
}

TEST(MeasureRules, PopulationsAndStratifiersByCode) {
  auto issues = check(
      report(group("g1", R"(,"measureScore":{"value":0.5})", "numerator") + "," + group("g2")));
  EXPECT_EQ(findAll(issues,
                    "has no population for the Measure's population with code "
                    "'denominator'")
                .size(),
            1u)
      << dump(issues);
  issues = check(
      report(group("g1", R"(,"measureScore":{"value":0.5})", "numerator,denominator,numerator") +
             "," + group("g2")));
  EXPECT_EQ(findAll(issues, "Another population of the report has the same code").size(), 1u)
      << dump(issues);
}

TEST(MeasureRules, ProportionScores) {
  auto issues = check(report(group("g1", "") + "," + group("g2")));
  EXPECT_EQ(findAll(issues, "no measureScore, which a proportion measure requires").size(), 1u)
      << dump(issues);
  issues = check(report(group("g1", R"(,"measureScore":{"value":1.5})") + "," + group("g2")));
  EXPECT_EQ(findAll(issues, "A proportion is between 0 and 1").size(), 1u) << dump(issues);
  issues =
      check(report(group("g1", R"(,"measureScore":{"value":0.5,"unit":"%"})") + "," + group("g2")));
  EXPECT_EQ(findAll(issues, "A proportion is a number without a unit").size(), 1u) << dump(issues);
  issues = check(report(group("g1") + "," + group("g2"), "data-collection"));
  EXPECT_EQ(findAll(issues, "A data-collection report has no measureScore").size(), 2u)
      << dump(issues);
}

TEST(MeasureRules, CohortAndRatioScores) {
  auto issues = check(report(group("g1") + "," + group("g2", "")), "cohort");
  EXPECT_EQ(findAll(issues, "A cohort measure has no measureScore").size(), 1u) << dump(issues);
  issues = check(report(group("g1") + "," + group("g2")), "ratio");
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
  EXPECT_NE(findIssue(issues, "A ratio score should say its unit"), nullptr) << dump(issues);
  issues = check(
      report(
          group("g1",
                R"(,"measureScore":{"value":2,"system":"http://unitsofmeasure.org","code":"mg"})") +
          "," +
          group("g2",
                R"(,"measureScore":{"value":2,"system":"http://unitsofmeasure.org","code":"%"})")),
      "ratio-unit");
  EXPECT_EQ(findAll(issues, "The unit is fixed by the Measure").size(), 1u) << dump(issues);
}

TEST(MeasureRules, CountsAndSubjectsByReportType) {
  auto issues = check(report(
      group("g1", R"(,"measureScore":{"value":0.5})") + "," +
      R"({"code":{"coding":[{"system":"http://a.org/g","code":"g2"}]},"measureScore":{"value":0.5},
        "stratifier":[{"code":[{"text":"age"}]}],"population":[
        {"code":{"coding":[{"system":")" +
      kPop + R"(","code":"numerator"}]},
         "subjectResults":{"reference":"List/l"}},
        {"code":{"coding":[{"system":")" +
      kPop + R"(","code":"denominator"}]},"count":1}]})"));
  EXPECT_EQ(findAll(issues, "Only subject-list reports list subjects").size(), 1u) << dump(issues);
  EXPECT_NE(findIssue(issues, "The population has no count"), nullptr) << dump(issues);
  issues = check(
      R"({"resourceType":"MeasureReport","status":"complete","type":"subject-list",
    "measure":"http://a.org/Measure/m","period":{"start":"2024-01-01","end":"2024-12-31"},
    "contained":[{"resourceType":"List","id":"l","status":"current","mode":"snapshot",
      "entry":[{"item":{"reference":"Patient/1"}},{"item":{"reference":"Patient/2"}}]}],
    "group":[)" +
      group("g1", R"(,"measureScore":{"value":0.5})") + "," +
      R"({"code":{"coding":[{"system":"http://a.org/g","code":"g2"}]},"measureScore":{"value":0.5},
        "stratifier":[{"code":[{"text":"age"}]}],"population":[
        {"code":{"coding":[{"system":")" +
      kPop + R"(","code":"numerator"}]},"count":3,
         "subjectResults":{"reference":"#l"}},
        {"code":{"coding":[{"system":")" +
      kPop + R"(","code":"denominator"}]},"count":2,
         "subjectResults":{"reference":"#l"}}]}]})");
  EXPECT_EQ(findAll(issues, "Mismatch between count 3 and number of subjects 2").size(), 1u)
      << dump(issues);
}

TEST(MeasureRules, AMissingMeasureIsAWarning) {
  const auto issues = validate(R"({"resourceType":"MeasureReport","status":"complete",
    "type":"summary","measure":"http://a.org/Measure/none",
    "period":{"start":"2024-01-01","end":"2024-12-31"}})");
  const core::Issue* i = findIssue(issues, "could not be found");
  ASSERT_NE(i, nullptr) << dump(issues);
  EXPECT_EQ(i->severity, core::Severity::Warning);
}

TEST(MeasureRules, MeasuresNameTheirPartsAndLibraries) {
  auto issues = validate(R"({"resourceType":"Measure","status":"active","group":[
    {"population":[{"criteria":{"language":"text/cql","expression":"A"}},
                   {"criteria":{"language":"text/cql","expression":"B"}}]},
    {"population":[{"criteria":{"language":"text/cql","expression":"C"}}]}]})");
  EXPECT_EQ(findAll(issues, "the Measure names no Library", core::Severity::Error).size(), 3u)
      << dump(issues);
  EXPECT_EQ(
      findAll(issues, "several groups, so each should have a code", core::Severity::Warning).size(),
      2u)
      << dump(issues);
  EXPECT_EQ(findAll(issues, "several group populations, so each should have a code",
                    core::Severity::Warning)
                .size(),
            2u)
      << dump(issues);
  issues = validate(R"({"resourceType":"Measure","status":"active"})");
  EXPECT_NE(findIssue(issues, "The Measure has no group"), nullptr) << dump(issues);
  const auto context = withResources(
      {{"lib.json", R"({"resourceType":"Library","url":"http://a.org/Library/Main","name":"Main",
         "status":"active","type":{"text":"logic-library"}})"}});
  const Validator v(*context);
  const std::string m = R"({"resourceType":"Measure","status":"active",
    "library":["http://a.org/Library/Main"],"group":[{"population":[
      {"criteria":{"language":"text/cql","expression":"%s.Numerator"}}]}]})";
  auto withNs = [&](const std::string& ns) {
    std::string text = m;
    text.replace(text.find("%s"), 2, ns);
    return validate(text, v);
  };
  issues = withNs("Main");
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
  issues = withNs("Other");
  EXPECT_EQ(findAll(issues, "No Library of the Measure is named Other").size(), 1u) << dump(issues);
}

}  // namespace
}  // namespace trialbridge::validation
