// POST [base]/$ingest over loopback (service/fhir_ingest.cc): an EHR's Bundle of the hospital's
// Patient and its lab Observations goes through the study context: a subject's results are
// stored pseudonymous, placed, with their derivations and Provenance; a patient who is no
// subject leaves nothing; what is not a Bundle is refused.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>

#include "conformance/profiles.h"
#include "core/json_input.h"
#include "mapping/trial_mapping.h"
#include "study/trial_reader.h"
#include "test_client.h"

namespace trialbridge::testing {
namespace fhir_ingest_test {

std::string source(const std::string& relative) {
  std::ifstream in(std::string(TB_SOURCE_ROOT) + "/" + relative, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string config() {
  std::string profiles;
  for (const auto& [type, profile] : conformance::profiles::kTrialRecordProfiles) {
    profiles += (profiles.empty() ? "" : ", ") + std::string("\"") + std::string(type) + "\": \"" +
                std::string(profile) + "\"";
  }
  return R"({"fhir": {"requiredProfiles": {)" + profiles + "}}}";
}

// An EHR's Bundle: the hospital's Patient with its MRN and name, and platelet counts.
std::string ehrBundle(std::string_view mrn,
                      const std::vector<std::pair<std::string, int>>& counts) {
  std::string b = R"({"resourceType":"Bundle","type":"collection","entry":[)"
                  R"({"fullUrl":"urn:uuid:5b4f3c2e-0000-4000-8000-000000000001","resource":)"
                  R"({"resourceType":"Patient","identifier":[{"system":)"
                  R"("https://dongguan-taixin.example/sid/mrn","value":")" +
                  std::string(mrn) +
                  R"("}],"name":[{"family":"Wang","given":["Li"]}],"birthDate":"1988-04-12"}})";
  int n = 2;
  for (const auto& [time, value] : counts) {
    const std::string k = std::to_string(n++);
    b += R"(,{"fullUrl":"urn:uuid:5b4f3c2e-0000-4000-8000-00000000000)" + k +
         R"(","resource":{"resourceType":"Observation","id":"ehr-plt-)" + k +
         R"(","status":"final","category":[{"coding":[{"system":)"
         R"("http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],)"
         R"("code":{"coding":[{"system":"http://loinc.org","code":"777-3"}]},)"
         R"("subject":{"reference":"urn:uuid:5b4f3c2e-0000-4000-8000-000000000001"},)"
         R"("effectiveDateTime":")" +
         time + R"(","valueQuantity":{"value":)" + std::to_string(value) +
         R"(,"unit":"10*9/L","system":"http://unitsofmeasure.org","code":"10*9/L"},)"
         R"("referenceRange":[{"low":{"value":125,"system":"http://unitsofmeasure.org",)"
         R"("code":"10*9/L"},"high":{"value":350,"system":"http://unitsofmeasure.org",)"
         R"("code":"10*9/L"}}]}})";
  }
  return b + "]}";
}

class Ingest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("TRIALBRIDGE_SECRET_NCT06813157");
    server_ = std::make_unique<TestServer>(config());
    ASSERT_TRUE(server_->ok()) << server_->error();
    core::Issues issues;
    mapping::MapOptions options;
    options.pseudonymizer = *mapping::Pseudonymizer::fromFile(std::string(TB_SOURCE_ROOT) +
                                                              "/samples/entities/demo.secret");
    service::TrialLoad load = server_->service().loadTrial(
        *study::readTrial(source("samples/trials/NCT06813157.json"), issues), {}, options);
    ASSERT_TRUE(load.ok());
    client_ = std::make_unique<Client>(server_->client());
    Reply enrolled = client_->request("POST", "/fhir/ResearchSubject/$enrol",
                                      source("tests/pipeline/golden/itp-0001-course-subject.json"),
                                      {{"Content-Type", "application/json"}});
    ASSERT_EQ(enrolled.status, 200) << enrolled.body;
  }
  Reply ingest(const std::string& body) {
    return client_->request("POST", "/fhir/$ingest", body,
                            {{"Content-Type", "application/fhir+json"}});
  }
  int64_t total(const std::string& query) {
    Reply r = client_->get("/fhir/" + query + "&_summary=count");
    core::JsonInput in;
    core::Issues issues;
    EXPECT_TRUE(in.parse(r.body, issues)) << r.body;
    return in.root().get("total").int64().value_or(-1);
  }

  std::unique_ptr<TestServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(Ingest, ASubjectsResultsAreStoredPseudonymousPlacedAndDerived) {
  Reply r = ingest(ehrBundle(
      "MRN0048213", {{"2025-02-11T07:50:00+08:00", 22}, {"2025-04-16T08:20:00+08:00", 64}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("transaction-response"), std::string::npos);
  // Both counts, the D14 response (R: 64 >= 30 and >= 2 x 22) and the Provenance.
  EXPECT_EQ(total("Observation?subject=Patient/nct06813157-pt-ITP-0001"), 3);
  EXPECT_EQ(total("Provenance?_id:missing=false"), 1);
  Reply responses = client_->get("/fhir/Observation?subject=Patient/nct06813157-pt-ITP-0001");
  EXPECT_NE(responses.body.find(R"("code":"R")"), std::string::npos) << responses.body;
  EXPECT_NE(responses.body.find(R"("valueString":"fu-d14")"), std::string::npos);
  for (const char* identity : {"MRN0048213", "Wang", "1988-04-12"}) {
    EXPECT_EQ(responses.body.find(identity), std::string::npos) << identity;
    EXPECT_EQ(r.body.find(identity), std::string::npos) << identity;
  }
  // Sent again: new versions of the same resources, no copies.
  ASSERT_EQ(ingest(ehrBundle("MRN0048213", {{"2025-02-11T07:50:00+08:00", 22},
                                            {"2025-04-16T08:20:00+08:00", 64}}))
                .status,
            200);
  EXPECT_EQ(total("Observation?subject=Patient/nct06813157-pt-ITP-0001"), 3);
}

TEST_F(Ingest, APatientWhoIsNoSubjectLeavesNothing) {
  Reply r = ingest(ehrBundle("MRN0000001", {{"2025-04-16T08:20:00+08:00", 64}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("OperationOutcome"), std::string::npos);
  EXPECT_NE(r.body.find("1 result(s) of patients who are no subjects"), std::string::npos);
  EXPECT_EQ(r.body.find("MRN0000001"), std::string::npos);
  EXPECT_EQ(total("Observation?_id:missing=false"), 0);
}

TEST_F(Ingest, OnlyABundleIsTaken) {
  Reply r = ingest(R"({"resourceType":"Patient","id":"p"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(client_->request("GET", "/fhir/$ingest", "", {}).status, 405);
}

}  // namespace fhir_ingest_test
}  // namespace trialbridge::testing
