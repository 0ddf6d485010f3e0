// The `trialbridge fhirpath` command (adapter/cli/cmd_fhirpath.cc): output and exit codes.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cmd_fhirpath.h"

namespace trialbridge::cli {
namespace {

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun run(std::vector<std::string> args) {
  std::ostringstream out, err;
  std::streambuf* o = std::cout.rdbuf(out.rdbuf());
  std::streambuf* e = std::cerr.rdbuf(err.rdbuf());
  int code = fhirpathCommand().run(args);
  std::cout.rdbuf(o);
  std::cerr.rdbuf(e);
  return {code, out.str(), err.str()};
}

const std::string kInput = std::string(TB_TEST_DATA) + "/conformance/fhirpath/input/";

TEST(CliFhirpath, EvaluatesAgainstXmlAndJson) {
  CliRun r = run({"--input", kInput + "patient-example.xml", "name.given.first() | birthDate"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, R"([{"type":"string","value":"Peter"},{"type":"date","value":"1974-12-25"}])"
                   "\n");
  r = run({"--input", kInput + "patient-container-example.json", "contained.id"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, R"([{"type":"id","value":"1"}])"
                   "\n");
}

TEST(CliFhirpath, NoInputIsAnEmptyContext) {
  CliRun r = run({"1 + 1 | 2.50 | 'x' | @2014 | 5 'mg' | name"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, R"([{"type":"integer","value":2},{"type":"decimal","value":2.50},)"
                   R"({"type":"string","value":"x"},{"type":"date","value":"2014"},)"
                   R"({"type":"Quantity","value":{"value":5,"unit":"mg"}}])"
                   "\n");
}

TEST(CliFhirpath, ExitCodes) {
  CliRun r = run({"1 +"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("syntax error"), std::string::npos);
  EXPECT_TRUE(r.out.empty());
  r = run({"--input", kInput + "patient-example.xml", "name.single()"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("execution error"), std::string::npos);
  r = run({"--input", kInput + "patient-example.xml", "--strict", "name.given1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("semantic error"), std::string::npos);
  r = run({"--input", kInput + "no-such-file.json", "name"});
  EXPECT_EQ(r.code, 2);
  r = run({});
  EXPECT_EQ(r.code, 2);
}

}  // namespace
}  // namespace trialbridge::cli
