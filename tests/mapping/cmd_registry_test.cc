// trialbridge registry export|import|publish: the command-line contract (docs/cli.md).
#include "cli/cmd_registry.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cmd_map.h"
#include "cli/command_capture.h"
#include "service/service.h"
#include "study/trial_reader.h"
#include "test_util.h"

namespace trialbridge::cli {
namespace {

using mapping::test::sourcePath;

Outcome registry(std::vector<std::string> args) {
  return runCommand(registryCommand(), std::move(args));
}

// The Bundle of `trialbridge map` for a sample trial, in a temporary file.
class RegistryCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    Outcome m =
        runCommand(mapCommand(), {"--trial", sourcePath("samples/trials/tbx101-fih-01.json")});
    ASSERT_EQ(m.status, kExitOk) << m.err;
    std::ofstream(bundle_) << m.out;
  }
  void TearDown() override { std::remove(bundle_.c_str()); }
  // One file a test: ctest runs the tests of this fixture at the same time.
  std::string bundle_ = ::testing::TempDir() + "tb-registry-bundle-" +
                        ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".json";
};

TEST_F(RegistryCommand, ExportsEachFormat) {
  Outcome json = registry({"export", "--format", "ctgov-json", bundle_});
  EXPECT_EQ(json.status, kExitOk) << json.err;
  EXPECT_NE(json.out.find("\"orgStudyIdInfo\""), std::string::npos);
  Outcome prs = registry({"export", "--format", "prs-xml", "--prs-org", "EXAMPLAR", bundle_});
  EXPECT_EQ(prs.status, kExitOk) << prs.err;
  EXPECT_EQ(prs.err, "");
  EXPECT_NE(prs.out.find("<org_name>EXAMPLAR</org_name>"), std::string::npos);
  Outcome partial = registry({"export", "--format", "prs-xml", "--prs-org", "EXAMPLAR",
                              "--prs-sections", "overall_status, enrollment", bundle_});
  EXPECT_EQ(partial.status, kExitOk) << partial.err;
  EXPECT_NE(partial.out.find("partial_upload=\"true\""), std::string::npos);
  EXPECT_EQ(partial.out.find("<brief_title>"), std::string::npos);
  Outcome whoJson = registry({"export", "--format", "who-json", bundle_});
  EXPECT_EQ(whoJson.status, kExitOk);
  EXPECT_NE(whoJson.out.find("\"item\": 24"), std::string::npos);
  Outcome whoXml = registry({"export", "--format", "who-xml", bundle_});
  EXPECT_EQ(whoXml.status, kExitOk);
  EXPECT_NE(whoXml.out.find("<item number=\"24\""), std::string::npos);
}

TEST_F(RegistryCommand, ExportWarnsWithoutAPrsOrganization) {
  Outcome prs = registry({"export", "--format", "prs-xml", bundle_});
  EXPECT_EQ(prs.status, kExitOk);
  EXPECT_NE(prs.err.find("warning: no PRS organization name given (--prs-org)"), std::string::npos)
      << prs.err;
}

TEST(RegistryImport, PrintsATransactionBundle) {
  Outcome r = registry({"import", "--format", "ctgov-json", "--validate",
                        sourcePath("tests/mapping/data/ctgov-observational.json")});
  EXPECT_EQ(r.status, kExitOk) << r.err;
  rapidjson::Document d = mapping::test::parse(r.out);
  ASSERT_FALSE(d.HasParseError());
  EXPECT_EQ(mapping::test::str(mapping::test::at(d, "/type")), "transaction");
  EXPECT_NE(mapping::test::resource(d, "ResearchStudy", "nct09900101"), nullptr);
  // What could not be mapped is information: shown with --verbose.
  EXPECT_EQ(r.err.find("not mapped"), std::string::npos);
  Outcome v = registry({"import", "--format", "ctgov-json", "--verbose",
                        sourcePath("tests/mapping/data/ctgov-observational.json")});
  EXPECT_NE(v.err.find("information: not mapped"), std::string::npos) << v.err;
  EXPECT_NE(v.err.find("[$.protocolSection.designModule.patientRegistry]"), std::string::npos);
}

TEST(RegistryImport, APageGivesOneBundleALine) {
  const std::string page =
      ::testing::TempDir() + "tb-registry-page-" + std::to_string(::getpid()) + ".json";
  std::ofstream(page) << "{\"studies\": ["
                      << mapping::test::readSource("tests/mapping/data/ctgov-withdrawn.json") << ","
                      << mapping::test::readSource("tests/mapping/data/ctgov-expanded-access.json")
                      << "]}";
  Outcome r = registry({"import", "--format", "ctgov-json", page});
  std::remove(page.c_str());
  EXPECT_EQ(r.status, kExitOk) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  int bundles = 0;
  while (std::getline(lines, line)) {
    rapidjson::Document d = mapping::test::parse(line);
    ASSERT_FALSE(d.HasParseError()) << line.substr(0, 80);
    EXPECT_EQ(mapping::test::str(mapping::test::at(d, "/resourceType")), "Bundle");
    ++bundles;
  }
  EXPECT_EQ(bundles, 2);
}

TEST(RegistryCommandErrors, ExitCodes) {
  EXPECT_EQ(registry({}).status, kExitUsage);
  EXPECT_EQ(registry({"publish", "x"}).status, kExitUsage);
  EXPECT_EQ(registry({"export", "--format", "csv", "x.json"}).status, kExitUsage);
  EXPECT_EQ(registry({"import", "--format", "prs-xml", "x.json"}).status, kExitUsage);
  EXPECT_EQ(registry({"export", "--format", "ctgov-json", "/nonexistent/x.json"}).status,
            kExitUsage);
  // Not a study: a Patient.
  Outcome p = registry(
      {"export", "--format", "ctgov-json", sourcePath("samples/fhir/patient-example.json")});
  EXPECT_EQ(p.status, kExitDataError);
  EXPECT_NE(p.err.find("is not a study"), std::string::npos) << p.err;
  // Not JSON.
  Outcome j = registry({"import", "--format", "ctgov-json",
                        sourcePath("tests/data/clinicaltrials-gov/ProtocolRecordSchema.xsd")});
  EXPECT_EQ(j.status, kExitDataError);
  EXPECT_NE(j.err.find("malformed JSON"), std::string::npos) << j.err;
  EXPECT_EQ(registry({"--help"}).status, kExitOk);
}

// registry publish: a folder target of a configuration whose store holds the reference trial
// (loaded by a service, which is then stopped: one process owns an SQLite database).
class RegistryPublish : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "tb-registry-publish-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    config_ = dir_ + "/config.json";
    std::ofstream(config_) << R"({"http":{"port":0},"store":{"database":")" + dir_ +
                                  R"(/tb.db"},"registries":{"files":{"kind":"file","directory":")" +
                                  dir_ + R"(/out","intervalSeconds":0}}})";
    auto parsed = service::loadConfig(config_);
    ASSERT_TRUE(parsed) << parsed.message();
    auto svc = service::Service::start(parsed.value());
    ASSERT_TRUE(svc) << svc.message();
    std::ifstream in(sourcePath("samples/trials/NCT06813157.json"));
    std::stringstream text;
    text << in.rdbuf();
    core::Issues issues;
    auto trial = study::readTrial(text.str(), issues);
    ASSERT_TRUE(trial);
    ASSERT_TRUE(svc.value()->loadTrial(*trial, {}).ok());
    svc.value()->stop();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  size_t files() const {
    if (!std::filesystem::exists(dir_ + "/out")) return 0;
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir_ + "/out"),
                                             std::filesystem::directory_iterator()));
  }
  std::string dir_, config_;
};

TEST_F(RegistryPublish, DryRunThenPublish) {
  Outcome dry = registry({"publish", "--config", config_, "--target", "files", "--dry-run"});
  EXPECT_EQ(dry.status, kExitOk) << dry.err;
  EXPECT_NE(dry.out.find("ResearchStudy/nct06813157: create"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("  protocolSection: (none) -> {"), std::string::npos) << dry.out;
  EXPECT_EQ(files(), 0u);

  Outcome run = registry({"publish", "--config", config_, "--target", "files"});
  EXPECT_EQ(run.status, kExitOk) << run.err;
  EXPECT_NE(run.out.find("1 sent"), std::string::npos) << run.out;
  EXPECT_EQ(files(), 1u);
  Outcome again = registry({"publish", "--config", config_, "--target", "files"});
  EXPECT_EQ(again.status, kExitOk) << again.err;
  EXPECT_NE(again.out.find(": 0 change(s)"), std::string::npos) << again.out;
  dry = registry({"publish", "--config", config_, "--target", "files", "--dry-run"});
  EXPECT_NE(dry.out.find("0 change(s) waiting"), std::string::npos) << dry.out;
  EXPECT_EQ(files(), 1u);
}

TEST_F(RegistryPublish, Errors) {
  Outcome unknown = registry({"publish", "--config", config_, "--target", "nope"});
  EXPECT_EQ(unknown.status, kExitUsage);
  EXPECT_NE(unknown.err.find("no target 'nope'"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("(files)"), std::string::npos) << unknown.err;
  EXPECT_EQ(registry({"publish", "--target", "files"}).status, kExitUsage);
  EXPECT_EQ(registry({"publish", "--config", config_}).status, kExitUsage);
  EXPECT_EQ(registry({"publish", "--config", dir_ + "/none.json", "--target", "files"}).status,
            kExitUsage);
  // A running service owns the SQLite database.
  auto parsed = service::loadConfig(config_);
  ASSERT_TRUE(parsed);
  auto svc = service::Service::start(parsed.value());
  ASSERT_TRUE(svc) << svc.message();
  Outcome busy = registry({"publish", "--config", config_, "--target", "files"});
  EXPECT_EQ(busy.status, kExitUsage);
  EXPECT_NE(busy.err.find("in use by another process"), std::string::npos) << busy.err;
  EXPECT_EQ(files(), 0u);
}

}  // namespace
}  // namespace trialbridge::cli
