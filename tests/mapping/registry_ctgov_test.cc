// ClinicalTrials.gov API v2 JSON: the names, enumerations and formats of ctg-oas-v2.yaml in what
// trialbridge writes; the reading of records (the round trips are in registry_fhir_test.cc).
#include "mapping/registry_ctgov.h"

#include <gtest/gtest.h>

#include "registry_test_util.h"

namespace trialbridge::mapping {
namespace {

using namespace test;

TEST(CtgovJson, TheApisNamesCodesAndFormats) {
  rapidjson::Document d = parse(writeCtgovJson(trialRecord("samples/trials/NCT06813157.json")));
  ASSERT_FALSE(d.HasParseError());
  const char* ps = "/protocolSection";
  auto field = [&](const std::string& p) { return str(at(d, (ps + p).c_str())); };
  EXPECT_EQ(field("/identificationModule/nctId"), "NCT06813157");
  EXPECT_EQ(field("/statusModule/overallStatus"), "RECRUITING");
  EXPECT_EQ(field("/designModule/studyType"), "INTERVENTIONAL");
  EXPECT_EQ(field("/designModule/phases/0"), "NA");
  EXPECT_EQ(field("/designModule/designInfo/allocation"), "NA");
  EXPECT_EQ(field("/designModule/designInfo/interventionModel"), "SINGLE_GROUP");
  EXPECT_EQ(field("/eligibilityModule/minimumAge"), "4 Years");
  EXPECT_EQ(field("/eligibilityModule/maximumAge"), "75 Years");
  EXPECT_EQ(field("/eligibilityModule/sex"), "ALL");
  EXPECT_EQ(field("/armsInterventionsModule/interventions/0/type"), "BIOLOGICAL");
  EXPECT_EQ(field("/armsInterventionsModule/armGroups/0/interventionNames/0"),
            "Biological: Mesenchymal stem cells");
  EXPECT_EQ(field("/contactsLocationsModule/locations/0/country"), "China");
  EXPECT_EQ(at(d, "/protocolSection/designModule/enrollmentInfo/count")->GetInt(), 40);
  const std::string criteria = field("/eligibilityModule/eligibilityCriteria");
  EXPECT_EQ(criteria.rfind("Inclusion Criteria:\n\n* ", 0), 0u) << criteria;
  EXPECT_NE(criteria.find("\n\nExclusion Criteria:\n\n* "), std::string::npos);
}

TEST(CtgovJson, DatesWithTheirTypeAndCombinedPhases) {
  rapidjson::Document d = parse(writeCtgovJson(trialRecord("samples/trials/tbx202-boin-01.json")));
  EXPECT_EQ(str(at(d, "/protocolSection/statusModule/startDateStruct/date")), "2026-06");
  EXPECT_EQ(str(at(d, "/protocolSection/statusModule/startDateStruct/type")), "ESTIMATED");
  EXPECT_EQ(str(at(d, "/protocolSection/designModule/phases/0")), "PHASE1");
  EXPECT_EQ(str(at(d, "/protocolSection/designModule/phases/1")), "PHASE2");
  EXPECT_EQ(str(at(d, "/protocolSection/outcomesModule/otherOutcomes/0/measure")),
            "Trough plasma concentration of TBX-202");
  EXPECT_EQ(str(at(d, "/protocolSection/outcomesModule/primaryOutcomes/0/description")),
            "Participants with a dose-limiting toxicity as defined in the protocol, by dose "
            "level.");
}

TEST(CtgovJson, UnknownWithItsLastKnownStatus) {
  rapidjson::Document d =
      parse(writeCtgovJson(trialRecord("tests/mapping/data/trial-observational-unknown.json")));
  EXPECT_EQ(str(at(d, "/protocolSection/statusModule/overallStatus")), "UNKNOWN");
  EXPECT_EQ(str(at(d, "/protocolSection/statusModule/lastKnownStatus")), "RECRUITING");
  EXPECT_EQ(str(at(d, "/protocolSection/designModule/designInfo/observationalModel")), "COHORT");
  EXPECT_EQ(str(at(d, "/protocolSection/designModule/phases/0")), "NA");
  EXPECT_EQ(str(at(d, "/protocolSection/designModule/designInfo/maskingInfo/masking")),
            "<missing>");
}

TEST(CtgovJson, ReadsEveryFieldOfARealRecord) {
  const RegistryRecord r = ctgovRecord("tests/data/clinicaltrials-gov/NCT02513394.json");
  EXPECT_EQ(r.nctId, "NCT02513394");
  EXPECT_EQ(r.orgStudyId, "AFT-05");
  EXPECT_EQ(r.organization.name, "Alliance Foundation Trials, LLC.");
  EXPECT_EQ(r.acronym, "PALLAS");
  EXPECT_EQ(r.overallStatus, "ACTIVE_NOT_RECRUITING");
  EXPECT_EQ(r.primaryCompletionDate.date, "2020-11");
  EXPECT_EQ(r.primaryCompletionDate.type, "ACTUAL");
  EXPECT_EQ(r.completionDate.type, "ESTIMATED");
  EXPECT_EQ(r.phases, std::vector<std::string>{"PHASE3"});
  EXPECT_EQ(r.enrollmentCount, 5796);
  EXPECT_EQ(r.armGroups.size(), 2u);
  EXPECT_EQ(r.interventions[1].armGroupLabels.size(), 2u);
  EXPECT_EQ(r.locations.size(), 437u);
  EXPECT_EQ(r.locations[0].latitude, "30.69436");  // as written
  EXPECT_EQ(r.oversightHasDmc, true);
  EXPECT_EQ(r.hasResults, true);
  EXPECT_EQ(r.references.size() > 0, true);
  // Kept, not mapped: results, documents, derived data, fields of no FHIR element.
  std::set<std::string> unmapped;
  for (const RegistryUnmapped& u : r.unmapped) unmapped.insert(u.path);
  for (const char* p : {"$.resultsSection", "$.documentSection", "$.derivedSection",
                        "$.protocolSection.sponsorCollaboratorsModule.responsibleParty",
                        "$.protocolSection.contactsLocationsModule.locations_nested"}) {
    EXPECT_EQ(unmapped.count(p), 1u) << p;
  }
}

// Limits: depth and size give an error, never a crash.
TEST(CtgovJson, HostileInputIsRefused) {
  std::string deep(100000, '[');
  core::Issues issues;
  EXPECT_TRUE(readCtgovJson(deep, issues).records.empty());
  EXPECT_TRUE(issues.hasErrors());
  core::Issues big;
  const std::string huge =
      "{\"protocolSection\": {\"x\": \"" + std::string(17u << 20, 'a') + "\"}}";
  EXPECT_TRUE(readCtgovJson(huge, big).records.empty());
  EXPECT_TRUE(big.hasErrors());
}

}  // namespace
}  // namespace trialbridge::mapping
