// trialbridge registry export|import: the command-line contract (docs/cli.md).
#include "cli/cmd_registry.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cmd_map.h"
#include "test_util.h"

namespace trialbridge::cli {
namespace {

using mapping::test::sourcePath;

struct Outcome {
  int status = -1;
  std::string out, err;
};

Outcome run(const Command& c, std::vector<std::string> args) {
  std::ostringstream out, err;
  std::streambuf* oldOut = std::cout.rdbuf(out.rdbuf());
  std::streambuf* oldErr = std::cerr.rdbuf(err.rdbuf());
  Outcome r;
  r.status = c.run(args);
  std::cout.rdbuf(oldOut);
  std::cerr.rdbuf(oldErr);
  r.out = out.str();
  r.err = err.str();
  return r;
}

Outcome registry(std::vector<std::string> args) { return run(registryCommand(), std::move(args)); }

// The Bundle of `trialbridge map` for a sample trial, in a temporary file.
class RegistryCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    Outcome m = run(mapCommand(), {"--trial", sourcePath("samples/trials/tbx101-fih-01.json")});
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

}  // namespace
}  // namespace trialbridge::cli
