// PRS protocol record XML: every sample validates against ProtocolRecordSchema.xsd with xmllint
// (Debian libxml2-utils), full and partial uploads, and the display strings PRS wants.
#include "mapping/registry_prs.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "registry_test_util.h"

namespace trialbridge::mapping {
namespace {

using namespace test;

// xmllint's verdict on `xml` against the PRS schema: "" when valid, else its messages.
std::string schemaErrors(const std::string& xml) {
  char path[] = "/tmp/tb-prs-XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << xml;
  const std::string schema = sourcePath("tests/data/clinicaltrials-gov/ProtocolRecordSchema.xsd");
  const std::string command =
      "xmllint --noout --schema '" + schema + "' '" + std::string(path) + "' 2>&1";
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  EXPECT_NE(p, nullptr);
  char buf[4096];
  while (p != nullptr && fgets(buf, sizeof buf, p) != nullptr) out += buf;
  const int status = p != nullptr ? pclose(p) : -1;
  std::remove(path);
  if (status == 0) return {};
  return out.empty() ? "xmllint failed to run (is libxml2-utils installed?)" : out;
}

TEST(PrsXml, EverySampleValidatesAgainstTheSchema) {
  for (const auto& [name, record] : sampleRecords()) {
    core::Issues issues;
    const std::string xml = writePrsXml(record, PrsOptions{"EXAMPLE", {}}, issues);
    ASSERT_FALSE(xml.empty()) << name;
    EXPECT_EQ(schemaErrors(xml), "") << name;
    EXPECT_EQ(xml.find("partial_upload"), std::string::npos) << name;
  }
}

TEST(PrsXml, TheSchemaCheckCatchesAnInvalidRecord) {
  // The test of the test: an element PRS does not know fails.
  core::Issues issues;
  std::string xml = writePrsXml(trialRecord("samples/trials/tbx101-fih-01.json"),
                                PrsOptions{"EXAMPLE", {}}, issues);
  xml.replace(xml.find("<brief_title>"), 13, "<short_title>");
  xml.replace(xml.find("</brief_title>"), 14, "</short_title>");
  EXPECT_NE(schemaErrors(xml), "");
}

TEST(PrsXml, DisplayStringsNotCodes) {
  core::Issues issues;
  const std::string xml = writePrsXml(trialRecord("samples/trials/tbx202-boin-01.json"),
                                      PrsOptions{"EXAMPLE", {}}, issues);
  for (const char* expected :
       {"<overall_status>Not yet recruiting</overall_status>", "<phase>Phase 1/Phase 2</phase>",
        "<start_date_type>Anticipated</start_date_type>",
        "<assignment>Sequential Assignment</assignment>", "<allocation>Non-Randomized</allocation>",
        "<no_masking>yes</no_masking>",
        "<interventional_subtype>Treatment</interventional_subtype>",
        "<intervention_type>Drug</intervention_type>", "<gender>All</gender>",
        "<minimum_age>18 Years</minimum_age>", "<maximum_age>80 Years</maximum_age>",
        "<id_type>EudraCT Number</id_type>", "<org_name>EXAMPLE</org_name>",
        "<org_study_id>TBX202-BOIN-01</org_study_id>", "<role>Study Director</role>",
        // "Clara Muster, MD" as PRS's parts
        "<first_name>Clara</first_name>", "<last_name>Muster</last_name>", "<degrees>MD</degrees>",
        "<healthy_volunteers>no</healthy_volunteers>"}) {
    EXPECT_NE(xml.find(expected), std::string::npos) << expected;
  }
  EXPECT_EQ(xml.find("NOT_YET_RECRUITING"), std::string::npos);
  EXPECT_EQ(issues.size(), 0u) << describe(issues);
}

TEST(PrsXml, PartialUploadSendsOnlyTheSections) {
  core::Issues issues;
  const std::string xml =
      writePrsXml(ctgovRecord("tests/data/clinicaltrials-gov/NCT02513394.json"),
                  PrsOptions{"AFT", {"overall_status", "enrollment", "location"}}, issues);
  EXPECT_EQ(schemaErrors(xml), "");
  EXPECT_NE(xml.find("<clinical_study partial_upload=\"true\">"), std::string::npos);
  EXPECT_NE(xml.find("<overall_status>Active, not recruiting</overall_status>"), std::string::npos);
  EXPECT_NE(xml.find("<enrollment>5796</enrollment>"), std::string::npos);
  EXPECT_NE(xml.find("<enrollment_type>Actual</enrollment_type>"), std::string::npos);
  EXPECT_NE(xml.find("<location>"), std::string::npos);
  // The identifying information always; nothing else.
  EXPECT_NE(xml.find("<org_study_id>AFT-05</org_study_id>"), std::string::npos);
  for (const char* absent : {"<brief_title>", "<eligibility>", "<condition>", "<arm_group>",
                             "<secondary_id>", "<sponsors>", "<study_design>"}) {
    EXPECT_EQ(xml.find(absent), std::string::npos) << absent;
  }
}

TEST(PrsXml, UnknownSectionIsAnError) {
  core::Issues issues;
  EXPECT_EQ(writePrsXml(RegistryRecord{}, PrsOptions{"X", {"brief_title", "colour"}}, issues), "");
  ASSERT_TRUE(issues.hasErrors());
  EXPECT_NE(issues.items()[0].message.find("'colour'"), std::string::npos);
}

TEST(PrsXml, WhatPrsCannotTakeIsReported) {
  core::Issues issues;
  RegistryRecord r = ctgovRecord("tests/mapping/data/ctgov-unknown-freetext.json");
  const std::string xml = writePrsXml(r, PrsOptions{}, issues);
  EXPECT_EQ(schemaErrors(xml), "");
  // UNKNOWN is the registry's to set; no org_name or org study id were given.
  EXPECT_EQ(xml.find("<overall_status>"), std::string::npos);
  std::string messages;
  for (const core::Issue& i : issues.items()) messages += i.location + ": " + i.message + "\n";
  EXPECT_NE(messages.find("clinical_study.overall_status: PRS takes no status UNKNOWN"),
            std::string::npos)
      << messages;
  EXPECT_NE(messages.find("clinical_study.id_info.org_name"), std::string::npos) << messages;
  EXPECT_NE(messages.find("clinical_study.id_info.org_study_id: PRS requires org_study_id"),
            std::string::npos)
      << messages;
}

TEST(PrsXml, ExpandedAccessStatusHasItsOwnElement) {
  core::Issues issues;
  const std::string xml = writePrsXml(ctgovRecord("tests/mapping/data/ctgov-expanded-access.json"),
                                      PrsOptions{"EXAMPLE", {}}, issues);
  EXPECT_NE(xml.find("<expanded_access_status>Available</expanded_access_status>"),
            std::string::npos);
  EXPECT_EQ(xml.find("<overall_status>"), std::string::npos);
  EXPECT_NE(xml.find("<study_type>Expanded Access</study_type>"), std::string::npos);
}

}  // namespace
}  // namespace trialbridge::mapping
