// The registry tables (mappings/registries.json, countries.json): every ClinicalTrials.gov status
// both ways, and every enumeration's codes against the API's own specification.
#include "mapping/registry_tables.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "core/text.h"
#include "test_util.h"

namespace trialbridge::mapping {
namespace {

using namespace test;

TEST(RegistryTables, EveryStatusToR4) {
  const RegistryTables& t = RegistryTables::get();
  const std::map<std::string, std::string> expected = {
      {"NOT_YET_RECRUITING", "approved"},
      {"RECRUITING", "active"},
      {"ENROLLING_BY_INVITATION", "active"},
      {"ACTIVE_NOT_RECRUITING", "closed-to-accrual"},
      {"SUSPENDED", "temporarily-closed-to-accrual"},
      {"TERMINATED", "administratively-completed"},
      {"COMPLETED", "completed"},
      {"WITHDRAWN", "withdrawn"},
      {"AVAILABLE", "active"},
      {"NO_LONGER_AVAILABLE", "completed"},
      {"TEMPORARILY_NOT_AVAILABLE", "temporarily-closed-to-accrual"},
      {"APPROVED_FOR_MARKETING", "completed"},
      {"WITHHELD", "in-review"},
  };
  for (const auto& [ctgov, r4] : expected) EXPECT_EQ(t.fhirStatus(ctgov), r4) << ctgov;
  EXPECT_EQ(t.fhirStatus("NOPE"), "");
}

TEST(RegistryTables, UnknownKeepsTheLastKnownStatusButIsNeverActive) {
  const RegistryTables& t = RegistryTables::get();
  EXPECT_EQ(t.fhirStatus("UNKNOWN", "ACTIVE_NOT_RECRUITING"), "closed-to-accrual");
  EXPECT_EQ(t.fhirStatus("UNKNOWN", "NOT_YET_RECRUITING"), "approved");
  EXPECT_EQ(t.fhirStatus("UNKNOWN", "SUSPENDED"), "temporarily-closed-to-accrual");
  for (const char* last : {"RECRUITING", "ENROLLING_BY_INVITATION", "AVAILABLE", "", "UNKNOWN"}) {
    EXPECT_EQ(t.fhirStatus("UNKNOWN", last), "closed-to-accrual") << last;
  }
}

TEST(RegistryTables, EveryR4StatusToClinicalTrialsGov) {
  const RegistryTables& t = RegistryTables::get();
  // research-study-status (R4 4.0.1): all eleven codes.
  for (const char* code : {"active", "administratively-completed", "approved", "closed-to-accrual",
                           "closed-to-accrual-and-intervention", "completed", "disapproved",
                           "in-review", "temporarily-closed-to-accrual",
                           "temporarily-closed-to-accrual-and-intervention", "withdrawn"}) {
    const std::string ctgov = t.statusFromFhir(code);
    EXPECT_NE(t.status(ctgov), nullptr) << code;
  }
  EXPECT_EQ(t.statusFromFhir("active"), "RECRUITING");
  EXPECT_EQ(t.statusFromFhir("approved"), "NOT_YET_RECRUITING");
  EXPECT_EQ(t.statusFromFhir("closed-to-accrual"), "ACTIVE_NOT_RECRUITING");
  // Each status that maps to R4 without loss comes back as itself.
  for (const char* s : {"NOT_YET_RECRUITING", "RECRUITING", "ACTIVE_NOT_RECRUITING", "SUSPENDED",
                        "TERMINATED", "COMPLETED", "WITHDRAWN"}) {
    EXPECT_EQ(t.statusFromFhir(t.fhirStatus(s)), s);
  }
}

// The enumerations of ctg-oas-v2.yaml: name -> codes, read from its components.schemas.
std::map<std::string, std::set<std::string>> specEnums() {
  std::map<std::string, std::set<std::string>> out;
  const std::string yaml = readSource("tests/data/clinicaltrials-gov/ctg-oas-v2.yaml");
  std::string current;
  bool inEnum = false;
  core::forEachLine(yaml, [&](std::string_view line, uint32_t) {
    if (line.size() > 5 && line.substr(0, 4) == "    " && line[4] != ' ' && line.back() == ':') {
      current = std::string(line.substr(4, line.size() - 5));
      inEnum = false;
    } else if (line == "      enum:") {
      inEnum = true;
    } else if (inEnum && line.rfind("      - \"", 0) == 0) {
      out[current].insert(std::string(line.substr(9, line.size() - 10)));
    } else if (inEnum) {
      inEnum = false;
    }
  });
  return out;
}

TEST(RegistryTables, CodesAreTheApisOwn) {
  const auto spec = specEnums();
  ASSERT_GT(spec.size(), 30u);
  const RegistryTables& t = RegistryTables::get();
  for (const char* name : {"StudyType",
                           "PrimaryPurpose",
                           "DesignAllocation",
                           "InterventionalAssignment",
                           "ObservationalModel",
                           "DesignTimePerspective",
                           "SamplingMethod",
                           "DesignMasking",
                           "WhoMasked",
                           "Phase",
                           "ArmGroupType",
                           "InterventionType",
                           "Sex",
                           "DateType",
                           "OfficialRole",
                           "RecruitmentStatus",
                           "SecondaryIdType",
                           "IpdSharing",
                           "IpdSharingInfoType",
                           "ReferenceType",
                           "AgencyClass",
                           "EnrollmentType",
                           "ContactRole",
                           "BioSpecRetention"}) {
    auto it = spec.find(name);
    ASSERT_NE(it, spec.end()) << name;
    for (const std::string& code : it->second) {
      EXPECT_TRUE(t.isCode(name, code)) << name << " lacks " << code;
    }
    EXPECT_FALSE(t.isCode(name, "NOT_A_CODE"));
  }
  for (const std::string& s : spec.at("Status")) EXPECT_NE(t.status(s), nullptr) << s;
}

TEST(RegistryTables, DisplaysAndUnits) {
  const RegistryTables& t = RegistryTables::get();
  EXPECT_EQ(t.prs("Phase", "EARLY_PHASE1"), "Early Phase 1");
  EXPECT_EQ(t.prs("InterventionType", "BIOLOGICAL"), "Biological/Vaccine");
  EXPECT_EQ(t.field("InterventionType", "DRUG", "label"), "Drug");
  EXPECT_EQ(t.codeOf("InterventionType", "label", "Procedure"), "PROCEDURE");
  EXPECT_EQ(t.status("RECRUITING")->prs, "Recruiting");
  EXPECT_EQ(t.status("COMPLETED")->who, "Complete");
  EXPECT_TRUE(t.status("AVAILABLE")->expandedAccess);
  EXPECT_EQ(t.secondaryIdType("eudract"), "EUDRACT_NUMBER");
  EXPECT_EQ(t.secondaryIdType("ctis"), "REGISTRY");
  EXPECT_EQ(t.ageUnitWord("a"), "Years");
  EXPECT_EQ(t.ageUnitCode("Year"), "a");
  EXPECT_EQ(t.ageUnitCode("Minutes"), "min");
  EXPECT_EQ(t.ageUnitCode("Fortnights"), "");
}

TEST(RegistryTables, Countries) {
  const RegistryTables& t = RegistryTables::get();
  EXPECT_EQ(t.countryName("US"), "United States");
  EXPECT_EQ(t.countryName("KR"), "Korea, Republic of");
  EXPECT_EQ(t.countryName("TW"), "Taiwan");
  EXPECT_EQ(t.countryCode("Taiwan"), "TW");
  EXPECT_EQ(t.countryCode("taiwan, province of china"), "TW");
  EXPECT_EQ(t.countryCode("United States of America"), "US");
  EXPECT_EQ(t.countryCode("Atlantis"), "");
  EXPECT_EQ(t.countryName("ZZ"), "");
}

}  // namespace
}  // namespace trialbridge::mapping
