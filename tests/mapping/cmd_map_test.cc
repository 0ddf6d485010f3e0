// trialbridge map: the command-line contract (docs/cli.md).
#include "cli/cmd_map.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/command_capture.h"
#include "test_util.h"

namespace trialbridge::cli {
namespace {

using mapping::test::sourcePath;

Outcome map(std::vector<std::string> args) { return runCommand(mapCommand(), std::move(args)); }

const std::string kTrial = sourcePath("samples/trials/NCT06813157.json");
const std::string kSecret = sourcePath("samples/entities/demo.secret");
const std::string kSubject = sourcePath("samples/entities/nct06813157-subject-itp-0001.json");
const std::string kEvent = sourcePath("samples/entities/nct06813157-ae-itp-0001-01.json");

class MapCommand : public ::testing::Test {
 protected:
  void SetUp() override { unsetenv("TRIALBRIDGE_SECRET_NCT06813157"); }
  void TearDown() override { unsetenv("TRIALBRIDGE_SECRET_NCT06813157"); }
};

TEST_F(MapCommand, TrialAlone) {
  Outcome r = map({"--trial", kTrial});
  EXPECT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.err, "");
  rapidjson::Document d = mapping::test::parse(r.out);
  ASSERT_FALSE(d.HasParseError());
  EXPECT_EQ(std::string(d["resourceType"].GetString()), "Bundle");
  EXPECT_EQ(std::string(d["type"].GetString()), "transaction");
}

TEST_F(MapCommand, EntitiesWithTheSecretFile) {
  Outcome r = map({"--trial", kTrial, "--secret-file", kSecret, kSubject, kEvent});
  EXPECT_EQ(r.status, kExitOk) << r.err;
  EXPECT_NE(r.out.find("\"resourceType\": \"ResearchSubject\""), std::string::npos);
  EXPECT_NE(r.out.find("\"resourceType\": \"AdverseEvent\""), std::string::npos);
  EXPECT_EQ(r.out.find("MRN0048213"), std::string::npos);
}

TEST_F(MapCommand, SecretFromTheEnvironment) {
  setenv("TRIALBRIDGE_SECRET_NCT06813157", "an-environment-secret-of-enough-length", 1);
  Outcome r = map({"--trial", kTrial, kSubject});
  EXPECT_EQ(r.status, kExitOk) << r.err;
}

TEST_F(MapCommand, SubjectsWithoutASecret) {
  Outcome r = map({"--trial", kTrial, kSubject});
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_NE(r.err.find("TRIALBRIDGE_SECRET_NCT06813157"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(MapCommand, ValidateOption) {
  Outcome r = map({"--trial", kTrial, "--secret-file", kSecret, "--validate", kSubject, kEvent});
  EXPECT_EQ(r.status, kExitOk) << r.err;
}

TEST_F(MapCommand, BadEntityFile) {
  const std::string bad = ::testing::TempDir() + "/tb-bad-subject.json";
  std::ofstream(bad)
      << "{\n  \"kind\": \"subject\",\n  \"trial\": \"NCT06813157\",\n  \"subjectId\": \"X-1\",\n"
         "  \"hospitalIdentifiers\": [{\"system\": \"urn:h\", \"value\": \"1\"}],\n"
         "  \"arm\": \"placebo\",\n  \"status\": \"screening\"\n}\n";
  Outcome r = map({"--trial", kTrial, "--secret-file", kSecret, bad});
  EXPECT_EQ(r.status, kExitDataError);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, bad + ":6:3: error: $.arm: the trial has no arm with the id 'placebo'\n");
}

TEST_F(MapCommand, BadTrialFile) {
  const std::string bad = ::testing::TempDir() + "/tb-bad-trial.json";
  std::ofstream(bad) << "{\"formatVersion\": \"1\"}";
  Outcome r = map({"--trial", bad});
  EXPECT_EQ(r.status, kExitDataError);
  EXPECT_NE(r.err.find(bad + ":1:1: error: $: missing required property 'id'"), std::string::npos)
      << r.err;
}

TEST_F(MapCommand, UsageAndIoErrors) {
  EXPECT_EQ(map({}).status, kExitUsage);
  EXPECT_EQ(map({"--trial", "/nonexistent/trial.json"}).status, kExitUsage);
  EXPECT_EQ(map({"--trial", kTrial, "/nonexistent/entity.json"}).status, kExitUsage);
  EXPECT_EQ(map({"--trial", kTrial, "--nope"}).status, kExitUsage);
  Outcome help = map({"--help"});
  EXPECT_EQ(help.status, kExitOk);
  EXPECT_NE(help.out.find("Usage: trialbridge map --trial TRIAL.json"), std::string::npos);
}

}  // namespace
}  // namespace trialbridge::cli
