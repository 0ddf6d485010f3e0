#include "mapping/subject_mapper.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace trialbridge::mapping {
namespace {

using namespace test;

rapidjson::Document mapSubjectFile(const std::string& trialFile, const std::string& file) {
  const Trial trial = sampleTrial(trialFile);
  return parse(mapToJson(trial, {sampleEntity(trial, file)}));
}

TEST(SubjectMapper, PatientCarriesOnlyThePseudonym) {
  const rapidjson::Document b = mapSubjectFile(
      "samples/trials/NCT06813157.json", "samples/entities/nct06813157-subject-itp-0001.json");
  const rapidjson::Value* p = resource(b, "Patient", "nct06813157-pt-ITP-0001");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ((*p)["identifier"].Size(), 1u);
  // HMAC-SHA256(demo secret, "https://dongguan-taixin.example/sid/mrn|MRN0048213"), by python3's
  // hmac.
  EXPECT_EQ(str(at(*p, "/identifier/0/value")),
            "d32c7f3d4f515c317fd5bc57d894b027f8fb28a37c30030d96f07a042c1ffb2f");
  EXPECT_EQ(str(at(*p, "/identifier/0/system")),
            "http://trialbridge.org/fhir/trials/nct06813157/pseudonym");
  EXPECT_EQ(str(at(*p, "/identifier/0/type/coding/0/code")), "ANON");
  EXPECT_FALSE(p->HasMember("name"));
  EXPECT_FALSE(p->HasMember("address"));
  EXPECT_EQ(str(at(*p, "/gender")), "female");
  EXPECT_EQ(str(at(*p, "/birthDate")), "1988");  // the reference trial stores the year only
}

TEST(SubjectMapper, PseudonymFromTheMedicalRecordNumber) {
  SubjectRecord s;
  s.hospitalIdentifiers = {{"PI", "urn:a", "", "1"}, {"MR", "urn:b", "", "2"}};
  EXPECT_EQ(pseudonymSource(s).value, "2");
  s.hospitalIdentifiers = {{"PI", "urn:a", "", "1"}, {"other", "urn:b", "", "2"}};
  EXPECT_EQ(pseudonymSource(s).value, "1");
}

TEST(SubjectMapper, ResearchSubjectAndConsent) {
  const rapidjson::Document b = mapSubjectFile(
      "samples/trials/NCT06813157.json", "samples/entities/nct06813157-subject-itp-0001.json");
  const rapidjson::Value* rs = resource(b, "ResearchSubject", "nct06813157-rs-ITP-0001");
  ASSERT_NE(rs, nullptr);
  EXPECT_EQ(str(at(*rs, "/status")), "on-study-intervention");
  EXPECT_EQ(str(at(*rs, "/identifier/0/value")), "ITP-0001");
  EXPECT_EQ(str(at(*rs, "/identifier/0/type/coding/0/code")), "subject-id");
  EXPECT_EQ(str(at(*rs, "/identifier/1/value")), "S-001");
  EXPECT_EQ(str(at(*rs, "/assignedArm")), "Mesenchymal stem cells");
  EXPECT_EQ(str(at(*rs, "/study/reference")), "ResearchStudy/nct06813157");
  EXPECT_EQ(str(at(*rs, "/individual/reference")), "Patient/nct06813157-pt-ITP-0001");
  EXPECT_EQ(str(at(*rs, "/consent/reference")), "Consent/nct06813157-consent-ITP-0001");
  EXPECT_EQ(str(at(*rs, "/period/start")), "2025-02-10");
  // The status history, oldest first.
  EXPECT_EQ((*rs)["extension"].Size(), 4u);
  EXPECT_EQ(str(at(*rs, "/extension/3/extension/0/valueCode")), "on-study-intervention");
  EXPECT_EQ(str(at(*rs, "/extension/3/extension/1/valueDateTime")), "2025-02-12T09:30:00+08:00");
  const rapidjson::Value* c = resource(b, "Consent", "nct06813157-consent-ITP-0001");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(str(at(*c, "/status")), "active");
  EXPECT_EQ(str(at(*c, "/scope/coding/0/code")), "research");
  EXPECT_EQ(str(at(*c, "/patient/reference")), "Patient/nct06813157-pt-ITP-0001");
  EXPECT_EQ(str(at(*c, "/extension/0/url")),
            "http://hl7.org/fhir/StructureDefinition/workflow-researchStudy");
  EXPECT_EQ(str(at(*c, "/organization/0/reference")),
            "Organization/nct06813157-org-taixin-hospital");
  EXPECT_NE(str(at(*c, "/policyRule/text")).find("version 2.0"), std::string::npos);
}

TEST(SubjectMapper, BirthDatePrecisionFromTheTrial) {
  const rapidjson::Document b = mapSubjectFile("samples/trials/tbx101-fih-01.json",
                                               "samples/entities/tbx101-subject-101-001.json");
  const rapidjson::Value* p = resource(b, "Patient", "tbx101-fih-01-pt-101-001");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(str(at(*p, "/birthDate")), "1957-08");
  const rapidjson::Value* rs = resource(b, "ResearchSubject", "tbx101-fih-01-rs-101-001");
  EXPECT_EQ(str(at(*rs, "/assignedArm")), "Cohort 3: TBX-101 3 mg/kg every 3 weeks");
  EXPECT_EQ(str(at(*rs, "/period/end")), "2026-05-20");
}

TEST(SubjectMapper, WithdrawnConsent) {
  const Trial trial = sampleTrial();
  Entity e = sampleEntity(trial, "samples/entities/nct06813157-subject-itp-0001.json");
  e.subject.consent->withdrawnDate = "2025-03-01";
  const rapidjson::Document b = parse(mapToJson(trial, {e}));
  const rapidjson::Value* c = resource(b, "Consent", "nct06813157-consent-ITP-0001");
  EXPECT_EQ(str(at(*c, "/status")), "inactive");
  EXPECT_EQ(str(at(*c, "/provision/period/end")), "2025-03-01");
}

}  // namespace
}  // namespace trialbridge::mapping
