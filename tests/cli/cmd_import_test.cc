// trialbridge import against a service on loopback (docs/cli.md): an EHR's Bulk Data NDJSON
// folder, each Patient with its Observations through POST [base]/$ingest; the summary counts
// what was stored and what was not, never naming a patient.
#include "cli/cmd_import.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cmd_enrol.h"
#include "cli/command_capture.h"
#include "study/trial_reader.h"
#include "test_client.h"

namespace trialbridge::cli {
namespace {

std::string patient(std::string_view id, std::string_view mrn) {
  return R"({"resourceType":"Patient","id":")" + std::string(id) +
         R"(","identifier":[{"system":"https://dongguan-taixin.example/sid/mrn","value":")" +
         std::string(mrn) + R"("}],"name":[{"family":"Wang"}]})";
}
std::string count(std::string_view id, std::string_view subject, std::string_view time, int value) {
  return R"({"resourceType":"Observation","id":")" + std::string(id) +
         R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"777-3"}]},)"
         R"("subject":{"reference":")" +
         std::string(subject) + R"("},"effectiveDateTime":")" + std::string(time) +
         R"(","valueQuantity":{"value":)" + std::to_string(value) +
         R"(,"system":"http://unitsofmeasure.org","code":"10*9/L"}})";
}

class ImportCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<testing::TestServer>();
    ASSERT_TRUE(server_->ok()) << server_->error();
    std::ifstream in(repoPath("samples/trials/NCT06813157.json"));
    std::stringstream text;
    text << in.rdbuf();
    core::Issues issues;
    auto trial = study::readTrial(text.str(), issues);
    ASSERT_TRUE(trial);
    mapping::MapOptions options;
    options.pseudonymizer =
        *mapping::Pseudonymizer::fromFile(repoPath("samples/entities/demo.secret"));
    ASSERT_TRUE(server_->service().loadTrial(*trial, {}, options).ok());
    base_ = "http://127.0.0.1:" + std::to_string(server_->port()) + "/fhir";
    ASSERT_EQ(
        runCommand(enrolCommand(), {"--server", base_,
                                    repoPath("tests/pipeline/golden/itp-0001-course-subject.json")})
            .status,
        kExitOk);
    char tmpl[] = "/tmp/tb-import-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::vector<std::string>& lines) {
    std::ofstream out(dir_ + "/" + name);
    for (const std::string& l : lines) out << l << "\n";
  }

  std::unique_ptr<testing::TestServer> server_;
  std::string base_, dir_;
};

TEST_F(ImportCommand, SendsEachPatientWithItsResultsAndSummarises) {
  write("Patient.ndjson", {patient("p1", "MRN0048213"), patient("p2", "MRN0000002")});
  write("Observation.ndjson", {count("o1", "Patient/p1", "2025-02-11T07:50:00+08:00", 22),
                               count("o2", "Patient/p1", "2025-04-16T08:20:00+08:00", 64),
                               count("o3", "Patient/p2", "2025-04-16T08:20:00+08:00", 300),
                               count("o4", "Patient/p9", "2025-04-16T08:20:00+08:00", 300)});
  write("Condition.ndjson", {R"({"resourceType":"Condition","id":"c1"})"});
  write("notes.txt", {"not read"});
  Outcome r = runCommand(importCommand(), {"--server", base_, dir_});
  EXPECT_EQ(r.status, kExitOk) << r.err;
  // p1: two counts, the D14 response and a Provenance; p2 is no subject; o4 has no Patient.
  EXPECT_NE(r.out.find("patients sent: 2; resources stored: 4; results of patients who are no "
                       "subjects: 1; patients refused: 0; results without their Patient: 1; "
                       "other resources skipped: 1"),
            std::string::npos)
      << r.out;
  for (const char* identity : {"MRN0048213", "MRN0000002", "Wang"}) {
    EXPECT_EQ(r.out.find(identity), std::string::npos);
    EXPECT_EQ(r.err.find(identity), std::string::npos);
  }
}

TEST_F(ImportCommand, ALineThatIsNoResourceIsAnErrorWithItsLine) {
  write("Observation.ndjson", {count("o1", "Patient/p1", "2025-04-16T08:20:00+08:00", 64), "{"});
  Outcome r = runCommand(importCommand(), {"--server", base_, dir_ + "/Observation.ndjson"});
  EXPECT_EQ(r.status, kExitDataError);
  EXPECT_NE(r.err.find("Observation.ndjson:2: error: not a FHIR resource"), std::string::npos)
      << r.err;
}

TEST_F(ImportCommand, UsageErrors) {
  EXPECT_EQ(runCommand(importCommand(), {dir_}).status, kExitUsage);
  EXPECT_EQ(runCommand(importCommand(), {"--server", "ftp://x", dir_}).status, kExitUsage);
  Outcome down = runCommand(importCommand(), {"--server", "http://127.0.0.1:1/fhir", dir_});
  EXPECT_EQ(down.status, kExitOk) << down.err;  // an empty folder sends nothing
}

}  // namespace
}  // namespace trialbridge::cli
