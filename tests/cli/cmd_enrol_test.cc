// trialbridge enrol against a service on loopback: the command-line contract (docs/cli.md).
#include "cli/cmd_enrol.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/command_capture.h"
#include "study/trial_reader.h"
#include "test_client.h"

namespace trialbridge::cli {
namespace {

Outcome enrol(std::vector<std::string> args) { return runCommand(enrolCommand(), std::move(args)); }

class EnrolCommand : public ::testing::Test {
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
  }
  std::unique_ptr<testing::TestServer> server_;
  std::string base_;
};

TEST_F(EnrolCommand, EnrolsEachFileAndSaysWhatWasStored) {
  const std::string one = repoPath("samples/entities/nct06813157-subject-itp-0001.json");
  const std::string three = repoPath("samples/entities/nct06813157-subject-itp-0003.json");
  Outcome r = enrol({"--server", base_ + "/", one, three});
  EXPECT_EQ(r.status, kExitOk) << r.err;
  EXPECT_NE(r.out.find(one + ": enrolled (4 resources: 4 created, 0 updated; "
                             "ResearchSubject/nct06813157-rs-ITP-0001)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(three + ": enrolled (8 resources: 8 created, 0 updated"), std::string::npos)
      << r.out;
  Outcome again = enrol({"--server", base_, one});
  EXPECT_EQ(again.status, kExitOk);
  EXPECT_NE(again.out.find("4 resources: 0 created, 4 updated"), std::string::npos) << again.out;
}

TEST_F(EnrolCommand, RefusedFilesPrintTheServicesReasons) {
  Outcome r = enrol({"--server", base_, repoPath("samples/entities/tbx101-subject-101-001.json")});
  EXPECT_EQ(r.status, kExitDataError);
  EXPECT_NE(r.err.find("error: $.trial: the trial 'TBX101-FIH-01' is not loaded in this service"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("refused (HTTP 404)"), std::string::npos) << r.err;
}

TEST_F(EnrolCommand, UsageAndConnectionErrors) {
  EXPECT_EQ(enrol({}).status, kExitUsage);
  EXPECT_EQ(enrol({"--server", base_}).status, kExitUsage);  // no file
  EXPECT_EQ(enrol({"--server", "ftp://example.org", "x.json"}).status, kExitUsage);
  EXPECT_EQ(enrol({"--server", base_, "/nonexistent/subject.json"}).status, kExitUsage);
  server_.reset();  // nobody listens any more
  Outcome down =
      enrol({"--server", base_, repoPath("samples/entities/nct06813157-subject-itp-0001.json")});
  EXPECT_EQ(down.status, kExitUsage);
  EXPECT_NE(down.err.find("trialbridge enrol: " + base_ + "/ResearchSubject/$enrol: "),
            std::string::npos)
      << down.err;
  EXPECT_EQ(enrol({"--help"}).status, kExitOk);
}

}  // namespace
}  // namespace trialbridge::cli
