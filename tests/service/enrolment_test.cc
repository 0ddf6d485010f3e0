// Enrolment in the running service, over loopback: POST ResearchSubject/$enrol with a subject's
// entity file; re-enrolment updates; the refusals and their statuses; doses as
// MedicationAdministration over REST; the trial's secret.
#include "service/enrolment.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>

#include "conformance/profiles.h"
#include "core/json_input.h"
#include "pipeline/store_subject_directory.h"
#include "study/ids.h"
#include "study/trial_reader.h"
#include "test_client.h"

namespace trialbridge::testing {
namespace {

namespace p = conformance::profiles;

std::string source(const std::string& relative) {
  std::ifstream in(std::string(TB_SOURCE_ROOT) + "/" + relative, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* kSubject1 = "samples/entities/nct06813157-subject-itp-0001.json";

study::Trial trial(const char* file = "samples/trials/NCT06813157.json") {
  core::Issues issues;
  return *study::readTrial(source(file), issues);
}

std::string config() {
  // The trial's profiles are required, as in a real service.
  std::string profiles;
  for (const auto& [type, profile] : p::kTrialRecordProfiles) {
    profiles += (profiles.empty() ? "" : ", ") + std::string("\"") + std::string(type) + "\": \"" +
                std::string(profile) + "\"";
  }
  return R"({"fhir": {"requiredProfiles": {)" + profiles + "}}}";
}

// The number of entries per response status ("201 Created": 3, ...).
std::map<std::string, int> statuses(const std::string& bundle) {
  core::JsonInput in;
  core::Issues issues;
  EXPECT_TRUE(in.parse(bundle, issues)) << bundle;
  std::map<std::string, int> out;
  const core::JsonNode entries = in.root().get("entry");
  for (size_t i = 0; i < entries.size(); ++i) ++out[entries.item(i).get("response").str("status")];
  return out;
}

class Enrolment : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("TRIALBRIDGE_SECRET_NCT06813157");
    unsetenv("TRIALBRIDGE_SECRET_TBX101_FIH_01");
    server_ = std::make_unique<TestServer>(config());
    ASSERT_TRUE(server_->ok()) << server_->error();
    mapping::MapOptions options;
    options.pseudonymizer = *mapping::Pseudonymizer::fromFile(std::string(TB_SOURCE_ROOT) +
                                                              "/samples/entities/demo.secret");
    service::TrialLoad load = server_->service().loadTrial(trial(), {}, options);
    ASSERT_TRUE(load.ok()) << (load.issues.empty() ? "" : load.issues.items()[0].message);
    client_ = std::make_unique<Client>(server_->client());
  }

  Reply enrol(const std::string& json) {
    return client_->request("POST", "/fhir/ResearchSubject/$enrol", json,
                            {{"Content-Type", "application/json"}});
  }
  int64_t total(const std::string& query) {
    Reply r = client_->get("/fhir/" + query + (query.find('?') == std::string::npos ? "?" : "&") +
                           "_summary=count");
    core::JsonInput in;
    core::Issues issues;
    EXPECT_TRUE(in.parse(r.body, issues)) << r.body;
    return in.root().get("total").int64().value_or(-1);
  }

  std::unique_ptr<TestServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(Enrolment, ASubjectFromItsEntityFile) {
  Reply r = enrol(source(kSubject1));
  ASSERT_EQ(r.status, 200) << r.body;
  // Patient, Consent, ResearchSubject and the first infusion, all new.
  EXPECT_EQ(statuses(r.body), (std::map<std::string, int>{{"201 Created", 4}}));
  EXPECT_EQ(
      total("ResearchSubject?identifier=" + study::ids::subjectIdSystem(trial()) + "|ITP-0001"), 1);
  EXPECT_EQ(total("MedicationAdministration?subject=Patient/nct06813157-pt-ITP-0001"), 1);
  // What the store holds has no hospital number, name or full birth date... the Patient:
  Reply patient = client_->get("/fhir/Patient/nct06813157-pt-ITP-0001");
  ASSERT_EQ(patient.status, 200);
  for (const char* secret : {"MRN0048213", "Wang", "dongguan-taixin.example", "1988-04-12"}) {
    EXPECT_EQ(patient.body.find(secret), std::string::npos) << secret;
    EXPECT_EQ(r.body.find(secret), std::string::npos) << secret;
  }
  // ...and the subject is found by the pseudonym of its MRN.
  pipeline::StoreSubjectDirectory directory(server_->service().store());
  auto found = directory.findByPseudonym(
      trial(), mapping::Pseudonymizer::fromFile(std::string(TB_SOURCE_ROOT) +
                                                "/samples/entities/demo.secret")
                   ->pseudonym("https://dongguan-taixin.example/sid/mrn", "MRN0048213"));
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->record.subjectId, "ITP-0001");
}

TEST_F(Enrolment, EnrollingAgainUpdatesAndNeverDuplicates) {
  ASSERT_EQ(enrol(source(kSubject1)).status, 200);
  Reply again = enrol(source(kSubject1));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(statuses(again.body), (std::map<std::string, int>{{"200 OK", 4}}));
  EXPECT_EQ(total("Patient"), 1);
  EXPECT_EQ(total("ResearchSubject"), 1);
  EXPECT_EQ(total("MedicationAdministration"), 1);
  // A second dose in the file: one more resource, the others updated.
  std::string more = source(kSubject1);
  more.replace(more.find("  ]\n}"), 4,
               R"(  , {"timepoint": "inf-2", "dateTime": "2025-02-19T09:40+08:00"}
  ])");
  Reply third = enrol(more);
  ASSERT_EQ(third.status, 200) << third.body;
  EXPECT_EQ(statuses(third.body), (std::map<std::string, int>{{"200 OK", 4}, {"201 Created", 1}}));
  EXPECT_EQ(total("MedicationAdministration"), 2);
}

TEST_F(Enrolment, TheSameHospitalNumberUnderAnotherSubjectNumberIsRefused) {
  ASSERT_EQ(enrol(source(kSubject1)).status, 200);
  std::string other = source(kSubject1);
  other.replace(other.find("\"ITP-0001\""), 10, "\"ITP-0099\"");
  Reply r = enrol(other);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("enrolled in nct06813157 as subject ITP-0001"), std::string::npos)
      << r.body;
  EXPECT_EQ(total("ResearchSubject"), 1);
}

TEST_F(Enrolment, RefusalsSayWhyAndWhere) {
  std::string bad = source(kSubject1);
  bad.replace(bad.find("\"inf-1\""), 7, "\"inf-9\"");
  Reply invalid = enrol(bad);
  EXPECT_EQ(invalid.status, 422) << invalid.body;
  EXPECT_NE(invalid.body.find("$.doses[0].timepoint"), std::string::npos) << invalid.body;
  std::string elsewhere = source(kSubject1);
  elsewhere.replace(elsewhere.find("\"NCT06813157\""), 13, "\"NCT00000001\"");
  EXPECT_EQ(enrol(elsewhere).status, 404);
  EXPECT_EQ(enrol(source("samples/entities/nct06813157-ae-itp-0001-01.json")).status, 422);
  EXPECT_EQ(enrol("{not json").status, 422);
  EXPECT_EQ(client_->get("/fhir/ResearchSubject/$enrol").status, 405);
  EXPECT_EQ(total("Patient"), 0);
}

TEST_F(Enrolment, ATrialWithoutSecretCannotEnrol) {
  service::TrialLoad load =
      server_->service().loadTrial(trial("samples/trials/tbx101-fih-01.json"), {});
  ASSERT_TRUE(load.ok());
  Reply r = enrol(source("samples/entities/tbx101-subject-101-001.json"));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("TRIALBRIDGE_SECRET_TBX101_FIH_01"), std::string::npos) << r.body;
  // With the variable set, loading the trial again picks the secret up.
  setenv("TRIALBRIDGE_SECRET_TBX101_FIH_01", "0123456789abcdef0123456789abcdef", 1);
  ASSERT_TRUE(server_->service().loadTrial(trial("samples/trials/tbx101-fih-01.json"), {}).ok());
  unsetenv("TRIALBRIDGE_SECRET_TBX101_FIH_01");
  EXPECT_EQ(enrol(source("samples/entities/tbx101-subject-101-001.json")).status, 200);
  // A secret that is too short stops the load.
  setenv("TRIALBRIDGE_SECRET_TBX101_FIH_01", "short", 1);
  service::TrialLoad weak =
      server_->service().loadTrial(trial("samples/trials/tbx101-fih-01.json"), {});
  unsetenv("TRIALBRIDGE_SECRET_TBX101_FIH_01");
  EXPECT_EQ(weak.status, pipeline::Status::Invalid);
}

TEST_F(Enrolment, DosesRecordedLaterOverRest) {
  ASSERT_EQ(enrol(source(kSubject1)).status, 200);
  auto dose = [](bool withTimepoint) {
    return std::string(R"({"resourceType": "MedicationAdministration",
      "meta": {"profile": [")") +
           std::string(p::kMedicationAdministration) + R"("]},
      "extension": [
        {"url": "http://hl7.org/fhir/StructureDefinition/workflow-researchStudy",
         "valueReference": {"reference": "ResearchStudy/nct06813157"}})" +
           (withTimepoint ? R"(, {"url": ")" + std::string(p::kExtTimepoint) +
                                R"(", "extension": [{"url": "timepoint", "valueString": "inf-2"}]})"
                          : std::string()) +
           R"(],
      "status": "completed",
      "medicationReference": {"reference": "Medication/nct06813157-med-msc"},
      "subject": {"reference": "Patient/nct06813157-pt-ITP-0001"},
      "effectiveDateTime": "2025-02-20T10:00:00+08:00"})";
  };
  Reply created = client_->post("/fhir/MedicationAdministration", dose(true));
  ASSERT_EQ(created.status, 201) << created.body;
  pipeline::StoreSubjectDirectory directory(server_->service().store());
  study::DirectoryEntry subject;
  subject.patient = "Patient/nct06813157-pt-ITP-0001";
  auto doses = directory.doses(trial(), subject);
  ASSERT_TRUE(doses);
  ASSERT_EQ(doses->size(), 2u);
  EXPECT_EQ((*doses)[1].timepoint, "inf-2");
  // A dose that does not say its timepoint fails the profile.
  Reply refused = client_->post("/fhir/MedicationAdministration", dose(false));
  EXPECT_EQ(refused.status, 422) << refused.body;
}

}  // namespace
}  // namespace trialbridge::testing
