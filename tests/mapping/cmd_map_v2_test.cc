// trialbridge map-v2: the command-line contract (docs/cli.md).
#include "cli/cmd_map_v2.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/command_capture.h"
#include "hl7v2/mllp.h"
#include "test_util.h"

namespace trialbridge::cli {
namespace {

using mapping::test::readSource;
using mapping::test::sourcePath;

Outcome mapV2(std::vector<std::string> args, const std::string& stdinText = {}) {
  return runCommand(mapV2Command(), std::move(args), stdinText);
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

const std::string kScreening = sourcePath("samples/hl7v2/nct06813157-itp-0001-screening.hl7");
const std::string kBatch = sourcePath("samples/hl7v2/nct06813157-batch-20250306.hl7");

class TempFile {
 public:
  explicit TempFile(const std::string& text)
      : path_(std::filesystem::temp_directory_path() /
              ("tb-map-v2-" + std::to_string(::getpid()) + "-" + std::to_string(++counter_) +
               ".hl7")) {
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

TEST(MapV2Command, OneMessage) {
  Outcome r = mapV2({kScreening});
  EXPECT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.err, "");
  rapidjson::Document d = mapping::test::parse(r.out);
  ASSERT_FALSE(d.HasParseError());
  EXPECT_EQ(std::string(d["type"].GetString()), "transaction");
}

TEST(MapV2Command, ABatchGivesOneBundleAMessage) {
  Outcome pretty = mapV2({kBatch});
  EXPECT_EQ(pretty.status, kExitOk) << pretty.err;
  EXPECT_EQ(count(pretty.out, "\"resourceType\": \"Bundle\""), 3u);
  Outcome ndjson = mapV2({"--ndjson", kBatch});
  EXPECT_EQ(ndjson.status, kExitOk) << ndjson.err;
  EXPECT_EQ(count(ndjson.out, "\n"), 3u);
  std::istringstream lines(ndjson.out);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_FALSE(mapping::test::parse(line).HasParseError());
  }
}

TEST(MapV2Command, StandardInputAndMllpFrames) {
  Outcome r = mapV2({"-"}, readSource("samples/hl7v2/nct06813157-itp-0001-baseline-cbc.hl7"));
  EXPECT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(count(r.out, "\"resourceType\": \"Bundle\""), 1u);
  const std::string framed =
      hl7v2::mllpFrame(readSource("samples/hl7v2/nct06813157-itp-0001-fu-m1.hl7")) +
      hl7v2::mllpFrame(readSource("samples/hl7v2/nct06813157-itp-0001-fu-m1-corrected.hl7"));
  Outcome m = mapV2({"--ndjson", "-"}, framed);
  EXPECT_EQ(m.status, kExitOk) << m.err;
  EXPECT_EQ(count(m.out, "\n"), 2u);
}

TEST(MapV2Command, ErrorsNameSegmentFieldLineAndByte) {
  const std::string good = readSource("samples/hl7v2/nct06813157-itp-0001-baseline-cbc.hl7");
  std::string bad = good;
  bad.replace(bad.find("|22|"), 4, "|2,2|");
  TempFile file(good + bad);
  Outcome r = mapV2({"--ndjson", file.path()});
  EXPECT_EQ(r.status, kExitDataError);
  EXPECT_EQ(count(r.out, "\n"), 1u);  // the good message is still printed
  const std::string expected = file.path() + ":OBX-5: error: '2,2' is not a number";
  EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
  // The line is the segment's in the file (the second message's), the byte its offset.
  const size_t segments = count(good, "\r");
  const size_t line = segments + 1 + count(bad.substr(0, bad.find("|2,2|")), "\r");
  const size_t byte = good.size() + bad.find("|2,2|") + 1;
  EXPECT_NE(r.err.find("[line " + std::to_string(line) + ", byte " + std::to_string(byte) + "]"),
            std::string::npos)
      << r.err;
}

// The sample message with a short haemoglobin result repeated until the message has `segments`
// segments (60 bytes each: 100,000 segments are 6 MB, within the 16 MiB a file may have).
std::string withSegments(size_t segments) {
  std::string m = readSource("samples/hl7v2/nct06813157-itp-0001-screening.hl7");
  if (m.back() != '\r') m += '\r';
  size_t n = count(m, "\r");
  m.reserve(m.size() + (segments - n) * 64);
  for (size_t id = 100; n < segments; ++n, ++id)
    m += "OBX|" + std::to_string(id) + "|NM|HGB^Haemoglobin^99TXL||128|g/L^^UCUM|115-150|N|||F\r";
  return m;
}

// A message of 100,000 OBX is over the parser's limit of 10,000 segments: refused with a message
// naming the file and the limit, nothing printed; a message of exactly 10,000 segments is mapped.
TEST(MapV2Command, AMessageOverTheSegmentLimitIsRefused) {
  TempFile huge(withSegments(100000));
  Outcome r = mapV2({"--ndjson", huge.path()});
  EXPECT_EQ(r.status, kExitDataError);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find(huge.path() + ":MSH: fatal: the message has more than 10000 segments"),
            std::string::npos)
      << r.err.substr(0, 500);
  const std::string atLimit = withSegments(10000);
  TempFile limit(atLimit);
  Outcome ok = mapV2({"--ndjson", limit.path()});
  EXPECT_EQ(ok.status, 0) << ok.err.substr(0, 500);
  EXPECT_EQ(count(ok.out, "\n"), 1u);
  // One Observation an OBX (9,987: the sample's 18 and the 9,969 added).
  EXPECT_EQ(count(ok.out, R"("resourceType":"Observation")"), count(atLimit, "OBX|"));
}

TEST(MapV2Command, NotAnOru) {
  Outcome r = mapV2({sourcePath("tests/data/hl7v2-elr/invalid-bad-phone-example.hl7")});
  EXPECT_EQ(r.status, kExitDataError);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(":MSH-9.1: error: unsupported message type 'SIU'"), std::string::npos);
}

TEST(MapV2Command, Validate) {
  Outcome r = mapV2({"--validate", kScreening});
  EXPECT_EQ(r.status, kExitOk) << r.err;
}

TEST(MapV2Command, SiteMaps) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("tb-map-v2-site-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "zl.json") << R"({"resourceType": "ConceptMap", "status": "active",
    "group": [{"source": "99ZL", "target": "http://loinc.org", "element": [
      {"code": "CREA", "target": [{"code": "14682-9", "equivalence": "equivalent"}]}]}]})";
  const std::string latin1 = sourcePath("samples/hl7v2/nct06813157-itp-0002-latin1.hl7");
  Outcome plain = mapV2({latin1});
  Outcome site = mapV2({"--maps", dir.string(), latin1});
  std::filesystem::remove_all(dir);
  EXPECT_EQ(site.status, kExitOk) << site.err;
  EXPECT_EQ(plain.out.find("\"14682-9\""), std::string::npos);
  EXPECT_NE(site.out.find("\"14682-9\""), std::string::npos);
}

TEST(MapV2Command, UsageAndIo) {
  EXPECT_EQ(mapV2({}).status, kExitUsage);
  EXPECT_EQ(mapV2({kScreening, kBatch}).status, kExitUsage);
  EXPECT_EQ(mapV2({"/nonexistent/x.hl7"}).status, kExitUsage);
  EXPECT_EQ(mapV2({"--timezone", "CET", kScreening}).status, kExitUsage);
  EXPECT_EQ(mapV2({"--maps", "/nonexistent", kScreening}).status, kExitUsage);
  EXPECT_EQ(mapV2({"--timezone", "+05:30", kScreening}).status, kExitOk);
  Outcome help = mapV2({"--help"});
  EXPECT_EQ(help.status, kExitOk);
  EXPECT_NE(help.out.find("Usage: trialbridge map-v2"), std::string::npos);
}

}  // namespace
}  // namespace trialbridge::cli
