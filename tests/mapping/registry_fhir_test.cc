// FHIR <-> registry record, and the round trips through ClinicalTrials.gov JSON:
// - each trial definition -> FHIR -> ClinicalTrials.gov JSON -> FHIR gives the same registry
//   fields, and the JSON imports with nothing left unmapped;
// - the real record NCT02513394 and records built from the API's specification (each study type
//   and status, free-text dates, results, unknown fields) import into resources that validate
//   with no error, and export back with every field they mapped equal to the original.
#include "mapping/registry_fhir.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/json.h"
#include "mapping/registry_ctgov.h"
#include "test_util.h"
#include "validation/validator.h"

namespace trialbridge::mapping {
namespace {

using namespace test;

std::unique_ptr<core::Document> mapSample(const std::string& file) {
  const Trial trial = sampleTrial(file);
  auto doc = mapTrial(trial, {}, MapOptions{}, context());
  if (!doc) throw std::runtime_error(doc.message());
  return std::move(doc.value());
}

RegistryRecord exported(const core::Document& doc) {
  core::Issues issues;
  auto r = recordFromFhir(*doc.root(), issues);
  EXPECT_TRUE(r) << describe(issues);
  EXPECT_FALSE(issues.hasErrors()) << describe(issues);
  return r ? *r : RegistryRecord{};
}

// The errors of validating a document (the Bundle, whose references resolve inside it).
std::string validationErrors(const core::Document& doc) {
  const std::string json = core::writeJson(*doc.root());
  const validation::Validator validator(context());
  core::Issues issues;
  auto read = core::readJson(json, context(), issues);
  EXPECT_NE(read, nullptr);
  if (read) validator.validate(*read->root(), issues);
  std::string out;
  for (const core::Issue& i : issues.items()) {
    if (i.severity <= core::Severity::Error) out += "  " + i.location + ": " + i.message + "\n";
  }
  return out;
}

// What ClinicalTrials.gov JSON cannot carry: trialbridge's cohorts and escalation rule.
RegistryRecord ctgovFields(RegistryRecord r) {
  for (RegistryArmGroup& a : r.armGroups) a.cohort.reset();
  r.escalationRule.clear();
  r.escalationDescription.clear();
  r.escalationTargetRate.clear();
  return r;
}

// The first field two records differ in, for messages.
std::string firstDifference(const RegistryRecord& a, const RegistryRecord& b) {
  const std::string ja = writeCtgovJson(a), jb = writeCtgovJson(b);
  if (ja != jb) {
    size_t i = 0;
    while (i < ja.size() && i < jb.size() && ja[i] == jb[i]) ++i;
    const size_t from = i > 200 ? i - 200 : 0;
    return "JSON differs at: ..." + ja.substr(from, 300) + "\n  vs ..." + jb.substr(from, 300);
  }
  if (a.unmapped != b.unmapped) return "unmapped parts differ";
  for (size_t k = 0; k < a.armGroups.size() && k < b.armGroups.size(); ++k) {
    if (a.armGroups[k].cohort != b.armGroups[k].cohort) return "cohort of arm " + std::to_string(k);
  }
  return "trialbridge-only fields differ";
}

std::vector<std::string> trialFiles() {
  std::vector<std::string> out = {"samples/trials/NCT06813157.json",
                                  "samples/trials/tbx101-fih-01.json",
                                  "samples/trials/tbx202-boin-01.json"};
  for (const auto& f : std::filesystem::directory_iterator(sourcePath("tests/mapping/data"))) {
    const std::string name = f.path().filename().string();
    if (name.rfind("trial-", 0) == 0) out.push_back("tests/mapping/data/" + name);
  }
  return out;
}

class TrialRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(TrialRoundTrip, ThroughClinicalTrialsGovJsonKeepsEveryRegistryField) {
  const auto bundleA = mapSample(GetParam());
  const RegistryRecord a = exported(*bundleA);
  EXPECT_FALSE(a.briefTitle.empty());
  EXPECT_FALSE(a.overallStatus.empty());
  const std::string json = writeCtgovJson(a);
  core::Issues issues;
  const CtgovReadResult read = readCtgovJson(json, issues);
  ASSERT_EQ(read.records.size(), 1u) << describe(issues);
  const RegistryRecord& b = read.records[0];
  // trialbridge's own JSON imports with nothing unmapped and nothing to report.
  EXPECT_TRUE(b.unmapped.empty()) << b.unmapped.front().path << ": " << b.unmapped.front().reason;
  EXPECT_EQ(issues.size(), 0u) << describe(issues);
  EXPECT_TRUE(b == ctgovFields(a)) << firstDifference(b, ctgovFields(a));
  // FHIR holds all of it: the import exports back to the same record and the same JSON.
  const auto bundleB = fhirFromRecord(b, context());
  EXPECT_EQ(validationErrors(*bundleB), "");
  const RegistryRecord c = exported(*bundleB);
  EXPECT_TRUE(c == b) << firstDifference(c, b);
  EXPECT_EQ(writeCtgovJson(c), json);
}

INSTANTIATE_TEST_SUITE_P(Samples, TrialRoundTrip, ::testing::ValuesIn(trialFiles()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string n = std::filesystem::path(p.param).stem().string();
                           for (char& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

// A JSONPath of readCtgovJson ($.a.b[2]['c d']) as a JSON pointer (/a/b/2/c d).
std::string pointerOf(const std::string& path) {
  std::string out;
  for (size_t i = 1; i < path.size();) {
    if (path[i] == '.') {
      size_t end = path.find_first_of(".[", i + 1);
      if (end == std::string::npos) end = path.size();
      out += "/" + path.substr(i + 1, end - i - 1);
      i = end;
    } else if (path.compare(i, 2, "['") == 0) {
      const size_t end = path.find("']", i);
      out += "/" + path.substr(i + 2, end - i - 2);
      i = end + 2;
    } else {  // [n]
      const size_t end = path.find(']', i);
      out += "/" + path.substr(i + 1, end - i - 1);
      i = end + 1;
    }
  }
  return out;
}

struct ImportCase {
  std::string file;
  std::string status;  // the expected research-study-status
};

class RecordImport : public ::testing::TestWithParam<ImportCase> {};

TEST_P(RecordImport, ValidatesAndExportsEveryMappedFieldBack) {
  const std::string original = readSource(GetParam().file);
  core::Issues issues;
  const CtgovReadResult read = readCtgovJson(original, issues);
  ASSERT_EQ(read.records.size(), 1u) << describe(issues);
  EXPECT_FALSE(issues.hasErrors()) << describe(issues);
  const RegistryRecord& r0 = read.records[0];
  const auto bundle = fhirFromRecord(r0, context());
  EXPECT_EQ(validationErrors(*bundle), "") << GetParam().file;
  rapidjson::Document fhir = parse(core::writeJson(*bundle->root()));
  EXPECT_EQ(str(at(fhir, "/entry/0/resource/resourceType")), "Organization");
  const rapidjson::Value* study = resource(fhir, "ResearchStudy", registryStudyId(r0));
  ASSERT_NE(study, nullptr);
  EXPECT_EQ(str(at(*study, "/status")), GetParam().status);
  // FHIR keeps the whole record, the unmapped parts too.
  const RegistryRecord r1 = exported(*bundle);
  EXPECT_TRUE(r1 == r0) << firstDifference(r1, r0);
  // Every value the import took is in the export, equal.
  const rapidjson::Document in = parse(original), out = parse(writeCtgovJson(r1));
  size_t compared = 0;
  for (const std::string& path : read.mapped[0]) {
    const std::string pointer = pointerOf(path);
    const rapidjson::Value* a = rapidjson::Pointer(pointer.c_str()).Get(in);
    const rapidjson::Value* b = rapidjson::Pointer(pointer.c_str()).Get(out);
    ASSERT_NE(a, nullptr) << path;
    EXPECT_TRUE(b != nullptr && *a == *b)
        << path << ": " << toJson(*a) << " became " << (b ? toJson(*b) : "nothing");
    ++compared;
  }
  EXPECT_GT(compared, 10u);
}

INSTANTIATE_TEST_SUITE_P(
    Records, RecordImport,
    ::testing::Values(
        ImportCase{"tests/data/clinicaltrials-gov/NCT02513394.json", "closed-to-accrual"},
        ImportCase{"tests/mapping/data/ctgov-observational.json", "active"},
        ImportCase{"tests/mapping/data/ctgov-expanded-access.json", "active"},
        ImportCase{"tests/mapping/data/ctgov-withdrawn.json", "withdrawn"},
        ImportCase{"tests/mapping/data/ctgov-unknown-freetext.json", "closed-to-accrual"}),
    [](const ::testing::TestParamInfo<ImportCase>& p) {
      std::string n = std::filesystem::path(p.param.file).stem().string();
      for (char& ch : n) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return n;
    });

// Every status of the API imports, validates, and comes back as itself.
TEST(RecordImport, EveryStatus) {
  const std::string base = readSource("tests/mapping/data/ctgov-withdrawn.json");
  for (const char* status :
       {"NOT_YET_RECRUITING", "RECRUITING", "ENROLLING_BY_INVITATION", "ACTIVE_NOT_RECRUITING",
        "SUSPENDED", "TERMINATED", "COMPLETED", "WITHDRAWN", "AVAILABLE", "NO_LONGER_AVAILABLE",
        "TEMPORARILY_NOT_AVAILABLE", "APPROVED_FOR_MARKETING", "WITHHELD", "UNKNOWN"}) {
    rapidjson::Document d = parse(base);
    rapidjson::Pointer("/protocolSection/statusModule/overallStatus").Set(d, status);
    if (std::string(status) == "UNKNOWN")
      rapidjson::Pointer("/protocolSection/statusModule/lastKnownStatus").Set(d, "RECRUITING");
    core::Issues issues;
    const CtgovReadResult read = readCtgovJson(toJson(d), issues);
    ASSERT_EQ(read.records.size(), 1u);
    // Only the link of a secondary id and the standard age groups (the registry derives them
    // from the ages) are not mapped.
    std::set<std::string> unmapped;
    for (const RegistryUnmapped& u : read.records[0].unmapped) unmapped.insert(u.path);
    EXPECT_EQ(unmapped, (std::set<std::string>{
                            "$.protocolSection.identificationModule.secondaryIdInfos[1].link",
                            "$.protocolSection.eligibilityModule.stdAges"}))
        << status;
    const auto bundle = fhirFromRecord(read.records[0], context());
    EXPECT_EQ(validationErrors(*bundle), "") << status;
    rapidjson::Document fhir = parse(core::writeJson(*bundle->root()));
    const rapidjson::Value* study = resource(fhir, "ResearchStudy", "nct09900103");
    ASSERT_NE(study, nullptr);
    EXPECT_NE(str(at(*study, "/status")), std::string(status) == "UNKNOWN" ? "active" : "")
        << status;
    const RegistryRecord back = exported(*bundle);
    EXPECT_EQ(back.overallStatus, status);
    EXPECT_EQ(back.lastKnownStatus, std::string(status) == "UNKNOWN" ? "RECRUITING" : "");
  }
}

TEST(RecordImport, WhatCannotBeMappedIsReportedAndKept) {
  core::Issues issues;
  const CtgovReadResult read =
      readCtgovJson(readSource("tests/mapping/data/ctgov-unknown-freetext.json"), issues);
  ASSERT_EQ(read.records.size(), 1u);
  const RegistryRecord& r = read.records[0];
  std::map<std::string, std::string> unmapped;
  for (const RegistryUnmapped& u : r.unmapped) unmapped[u.path] = u.json;
  const std::map<std::string, std::string> expected = {
      {"$.protocolSection.statusModule.startDateStruct.date", "\"March 2015\""},
      {"$.protocolSection.statusModule.completionDateStruct.type", "\"ANTICIPATED\""},
      {"$.protocolSection.designModule.enrollmentInfo.count", "\"120\""},
      {"$.protocolSection.designModule.enrollmentInfo.type", "\"ANTICIPATED\""},
      {"$.protocolSection.conditionsModule.conditions[1]", "\"\""},
      {"$.protocolSection.eligibilityModule.minimumAge", "\"N/A\""},
      {"$.protocolSection.contactsLocationsModule.locations[0].futureField", "1"},
      {"$.resultsSection",
       "{\"participantFlowModule\":{\"groups\":[{\"id\":\"FG000\",\"title\":\"Iron\"}]}}"},
      {"$.documentSection",
       "{\"largeDocumentModule\":{\"largeDocs\":[{\"typeAbbrev\":\"Prot\",\"hasProtocol\":true,"
       "\"size\":12345}]}}"},
  };
  EXPECT_EQ(unmapped, expected);
  // Each is reported where it is, with line and column.
  size_t located = 0;
  for (const core::Issue& i : issues.items()) {
    EXPECT_NE(i.severity, core::Severity::Error) << i.message;
    if (i.line > 0) ++located;
  }
  EXPECT_EQ(located, expected.size());
  // What could be read was.
  EXPECT_EQ(r.overallStatus, "UNKNOWN");
  EXPECT_EQ(r.lastKnownStatus, "RECRUITING");
  EXPECT_EQ(r.completionDate.date, "2018-02");
  EXPECT_EQ(r.completionDate.type, "");
  EXPECT_EQ(r.conditions, std::vector<std::string>{"Anaemia"});
  EXPECT_EQ(r.phases, (std::vector<std::string>{"PHASE2", "PHASE3"}));
  EXPECT_EQ(r.maximumAge, "65 Years");
  EXPECT_EQ(r.hasResults, true);
  EXPECT_EQ(r.locations[0].country, "United Kingdom");
}

TEST(RecordImport, ObservationalDesignsAndResultsArePresent) {
  core::Issues issues;
  const RegistryRecord r =
      readCtgovJson(readSource("tests/mapping/data/ctgov-observational.json"), issues).records[0];
  const auto bundle = fhirFromRecord(r, context());
  rapidjson::Document fhir = parse(core::writeJson(*bundle->root()));
  const rapidjson::Value* study = resource(fhir, "ResearchStudy", "nct09900101");
  ASSERT_NE(study, nullptr);
  std::set<std::string> categories;
  for (auto& c : (*study)["category"].GetArray())
    categories.insert(c["coding"][0]["code"].GetString());
  EXPECT_EQ(categories, (std::set<std::string>{"observational", "observational-model-cohort",
                                               "time-perspective-prospective",
                                               "sampling-non-probability-sample"}));
  EXPECT_EQ(at(*study, "/phase"), nullptr);  // an observational study has no phase
  const rapidjson::Value* group = resource(fhir, "Group", "nct09900101-eligibility");
  ASSERT_NE(group, nullptr);
  EXPECT_NE(toJson(*group).find("Adults seen at the participating haematology clinics."),
            std::string::npos);
  // Arm groups of an observational study have no type.
  EXPECT_EQ(at(*study, "/arm/0/type"), nullptr);
  // The geo point keeps its digits as written.
  const rapidjson::Value* site = resource(fhir, "Location", "nct09900101-site-1");
  ASSERT_NE(site, nullptr);
  EXPECT_EQ(toJson(*at(*site, "/position")), "{\"longitude\":15.45,\"latitude\":47.06667}");
  EXPECT_EQ(str(at(*site, "/address/country")), "AT");
}

TEST(RecordImport, APageOfStudiesGivesOneRecordEach) {
  const std::string page = "{\"studies\": [" +
                           readSource("tests/mapping/data/ctgov-withdrawn.json") + ", " +
                           readSource("tests/mapping/data/ctgov-expanded-access.json") +
                           "], \"nextPageToken\": \"abc\"}";
  core::Issues issues;
  const CtgovReadResult read = readCtgovJson(page, issues);
  ASSERT_EQ(read.records.size(), 2u);
  EXPECT_EQ(read.records[0].nctId, "NCT09900103");
  EXPECT_EQ(read.records[1].nctId, "NCT09900102");
  // Paths are the study's own.
  EXPECT_EQ(read.mapped[1].count("$.protocolSection.identificationModule.nctId"), 1u);
}

TEST(RecordImport, NotJsonOrNotAnObjectGivesNoRecord) {
  for (const char* text : {"", "{", "[1, 2]", "\"study\"", "{\"studies\": 3}"}) {
    core::Issues issues;
    EXPECT_TRUE(readCtgovJson(text, issues).records.empty()) << text;
    EXPECT_TRUE(issues.hasErrors()) << text;
  }
  // An empty object is a record with nothing in it; its resources are still valid.
  core::Issues issues;
  const CtgovReadResult read = readCtgovJson("{}", issues);
  ASSERT_EQ(read.records.size(), 1u);
  EXPECT_EQ(validationErrors(*fhirFromRecord(read.records[0], context())), "");
}

TEST(RecordFromFhir, NeedsAResearchStudy) {
  core::Issues issues;
  auto doc = core::readJson(readSource("samples/fhir/patient-example.json"), context(), issues);
  ASSERT_NE(doc, nullptr);
  EXPECT_FALSE(recordFromFhir(*doc->root(), issues));
  EXPECT_TRUE(issues.hasErrors());
}

TEST(RecordFromFhir, AResearchStudyAloneKeepsWhatItHolds) {
  const auto bundle = mapSample("samples/trials/tbx101-fih-01.json");
  rapidjson::Document b = parse(core::writeJson(*bundle->root()));
  const std::string study = toJson(*resource(b, "ResearchStudy", "tbx101-fih-01"));
  core::Issues issues;
  auto doc = core::readJson(study, context(), issues);
  ASSERT_NE(doc, nullptr);
  auto r = recordFromFhir(*doc->root(), issues);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->orgStudyId, "TBX101-FIH-01");
  EXPECT_EQ(r->leadSponsor.name, "Examplar Therapeutics GmbH");  // the reference's display
  EXPECT_EQ(r->overallStatus, "NOT_YET_RECRUITING");
  EXPECT_EQ(r->armGroups.size(), 5u);
  EXPECT_EQ(r->eligibilityCriteria, "");  // the Group is not there
}

}  // namespace
}  // namespace trialbridge::mapping
