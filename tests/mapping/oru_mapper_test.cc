// ORU^R01 -> FHIR as a whole: the message, patient and visit; ids that make corrections update;
// and the golden Bundles of samples/hl7v2/ and of the public ELR samples (tests/data/hl7v2-elr/),
// each of whose resources validates against R4 with no error.
//
// To regenerate the goldens on purpose (after a deliberate change of the mapping), run
//   tests/mapping/update_goldens.sh
// and review `git diff tests/mapping/golden/v2/`.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "hl7v2/batch.h"
#include "v2_test_util.h"
#include "validation/validator.h"

namespace trialbridge::mapping {
namespace {

using core::Severity;
using test::jsonAt;
using test::kMsh;
using test::mapV2;
using test::oru;
using test::readSource;
using test::sourcePath;

TEST(Message, HeaderAndProvenance) {
  auto r = mapV2(oru({"OBX|1|NM|A^A^L||1||||||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  const auto& h = r.first("MessageHeader");
  EXPECT_EQ(jsonAt(h, "/eventCoding"),
            R"({"system":"http://terminology.hl7.org/CodeSystem/v2-0003","code":"R01"})");
  EXPECT_EQ(jsonAt(h, "/meta/tag/0/code"), "\"P\"");
  EXPECT_EQ(jsonAt(h, "/source/name"), "\"LIS\"");
  EXPECT_EQ(jsonAt(h, "/source/endpoint"), "\"urn:oid:2.16.156.99999.10.1\"");
  EXPECT_EQ(jsonAt(h, "/destination/0/name"), "\"TRIALBRIDGE\"");
  const std::string sender = jsonAt(h, "/sender/reference");
  EXPECT_EQ(sender.rfind("\"Organization/", 0), 0u);
  const auto& p = r.first("Provenance");
  EXPECT_EQ(jsonAt(p, "/recorded"), "\"2025-03-12T08:30:00+08:00\"");
  EXPECT_EQ(jsonAt(p, "/agent/0/who/reference"), sender);
  EXPECT_EQ(jsonAt(p, "/entity/0/what/identifier/value"), "\"C0001\"");
  // Every other resource is a target.
  EXPECT_EQ(p["target"].Size(), r.bundle["entry"].Size() - 1);
}

TEST(Message, MissingMessageTimeIsAnError) {
  auto r = mapV2(oru({"OBX|1|NM|A^A^L||1||||||F"}, "MSH|^~\\&|LIS|TAIXIN|||||ORU^R01|C1|P|2.5.1"));
  EXPECT_FALSE(r.mapped);
  EXPECT_TRUE(r.has(Severity::Error, "MSH-7", "required"));
}

TEST(Message, NotAnOruIsNotMapped) {
  auto r = mapV2(readSource("tests/data/hl7v2-elr/invalid-bad-phone-example.hl7"));
  EXPECT_FALSE(r.mapped);
  EXPECT_TRUE(r.has(Severity::Error, "MSH-9.1", "unsupported message type 'SIU'"));
  EXPECT_EQ(hl7v2::errorCodeFor(r.issues.items()[0]), hl7v2::ErrorCode::UnsupportedMessageType);
}

TEST(Message, TimesWithoutAZone) {
  const std::string msh = "MSH|^~\\&|LIS|TAIXIN|||20250312083000||ORU^R01|C1|P|2.5.1";
  auto r = mapV2(oru({"OBX|1|NM|A^A^L||1||||||F"}, msh));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_TRUE(r.has(Severity::Warning, "MSH-7.1", "read as UTC"));
  EXPECT_EQ(jsonAt(r.first("Observation"), "/effectiveDateTime"), "\"2025-03-12T07:30:00Z\"");
  V2MapOptions options;
  options.defaultTimezone = "+08:00";
  auto r2 = mapV2(oru({"OBX|1|NM|A^A^L||1||||||F"}, msh), options);
  ASSERT_TRUE(r2.mapped) << r2.describe();
  EXPECT_FALSE(r2.has(Severity::Warning, "MSH-7.1"));
  EXPECT_EQ(jsonAt(r2.first("Observation"), "/effectiveDateTime"), "\"2025-03-12T07:30:00+08:00\"");
}

TEST(Patient, FromPid) {
  auto r = mapV2(oru({"OBX|1|NM|A^A^L||1||||||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  const auto& p = r.first("Patient");
  EXPECT_EQ(jsonAt(p, "/identifier/0/system"), "\"https://dongguan-taixin.example/sid/mrn\"");
  EXPECT_EQ(jsonAt(p, "/identifier/0/value"), "\"MRN0048213\"");
  EXPECT_EQ(jsonAt(p, "/gender"), "\"female\"");
  EXPECT_EQ(jsonAt(p, "/birthDate"), "\"1988-04-12\"");
  const std::string ref = "\"Patient/" + std::string(p["id"].GetString()) + "\"";
  EXPECT_EQ(jsonAt(r.first("Observation"), "/subject/reference"), ref);
  EXPECT_EQ(jsonAt(r.first("DiagnosticReport"), "/subject/reference"), ref);
}

TEST(Patient, BirthTimeAndDeath) {
  std::string text = kMsh + "\rPID|1||X1^^^H^MR||Doe^J||198804121015|M|||||||||||||||||||||" +
                     "20250101\r" + test::kObr + "\rOBX|1|NM|A^A^L||1||||||F\r";
  auto r = mapV2(text);
  ASSERT_TRUE(r.mapped) << r.describe();
  const auto& p = r.first("Patient");
  EXPECT_EQ(jsonAt(p, "/_birthDate/extension/0/valueDateTime"), "\"1988-04-12T10:15:00+08:00\"");
  EXPECT_EQ(jsonAt(p, "/deceasedDateTime"), "\"2025-01-01\"");
}

TEST(Patient, WithoutIdentifiersOrPid) {
  std::string text = kMsh + "\rPID|1||||Doe^J\r" + test::kObr + "\rOBX|1|NM|A^A^L||1||||||F\r";
  auto r = mapV2(text);
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_TRUE(r.has(Severity::Warning, "PID-3", "empty"));
  auto r2 = mapV2(kMsh + "\r" + test::kObr + "\rOBX|1|NM|A^A^L||1||||||F\r");
  ASSERT_TRUE(r2.mapped) << r2.describe();
  EXPECT_TRUE(r2.all("Patient").empty());
  EXPECT_EQ(jsonAt(r2.first("Observation"), "/subject"), "<missing>");
  EXPECT_TRUE(r2.has(Severity::Warning, "MSH", "no PID"));
}

TEST(Encounter, FromPv1) {
  std::string text = kMsh + "\r" + test::kPid +
                     "\rPV1|1|O|||||||||||||||||V77^^^H^VN|||||||||||||||||||||||||202503120700\r" +
                     test::kObr + "\rOBX|1|NM|A^A^L||1||||||F\r";
  auto r = mapV2(text);
  ASSERT_TRUE(r.mapped) << r.describe();
  const auto& e = r.first("Encounter");
  EXPECT_EQ(jsonAt(e, "/class"),
            R"({"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"})");
  EXPECT_EQ(jsonAt(e, "/status"), "\"in-progress\"");
  EXPECT_EQ(jsonAt(e, "/identifier/0/value"), "\"V77\"");
  EXPECT_EQ(jsonAt(e, "/period/start"), "\"2025-03-12T07:00:00+08:00\"");
  EXPECT_EQ(jsonAt(r.first("Observation"), "/encounter/reference"),
            "\"Encounter/" + std::string(e["id"].GetString()) + "\"");
}

TEST(Ids, AreDeterministic) {
  const std::string text = readSource("samples/hl7v2/nct06813157-itp-0001-screening.hl7");
  EXPECT_EQ(mapV2(text).json, mapV2(text).json);
}

std::string observationId(const test::V2Mapped& r, const std::string& code) {
  for (const auto* o : r.all("Observation")) {
    if (std::string((*o)["code"]["coding"][0]["code"].GetString()) == code) {
      return (*o)["id"].GetString();
    }
  }
  return "<none>";
}

TEST(Ids, ACorrectionUpdatesTheObservationItCorrects) {
  auto original = mapV2(readSource("samples/hl7v2/nct06813157-itp-0001-fu-m1.hl7"));
  auto corrected = mapV2(readSource("samples/hl7v2/nct06813157-itp-0001-fu-m1-corrected.hl7"));
  ASSERT_TRUE(original.mapped && corrected.mapped) << original.describe() << corrected.describe();
  const std::string id = observationId(original, "PLT");
  EXPECT_NE(id, "<none>");
  EXPECT_EQ(observationId(corrected, "PLT"), id);
  const auto& o = corrected.first("Observation");
  EXPECT_EQ(jsonAt(o, "/status"), "\"corrected\"");
  EXPECT_EQ(jsonAt(o, "/valueQuantity/value"), "121");
  // The same report, corrected; a new MessageHeader (another message).
  EXPECT_EQ(jsonAt(corrected.first("DiagnosticReport"), "/id"),
            jsonAt(original.first("DiagnosticReport"), "/id"));
  EXPECT_EQ(jsonAt(corrected.first("DiagnosticReport"), "/status"), "\"corrected\"");
  EXPECT_NE(jsonAt(corrected.first("MessageHeader"), "/id"),
            jsonAt(original.first("MessageHeader"), "/id"));
  // The PUT goes to the same URL.
  EXPECT_NE(corrected.json.find("\"url\": \"Observation/" + id + "\""), std::string::npos);
}

TEST(Ids, ADeletionMarksTheObservationEnteredInError) {
  const std::string batch = readSource("samples/hl7v2/nct06813157-batch-20250306.hl7");
  core::Issues issues;
  auto b = hl7v2::readBatch(batch, issues);
  ASSERT_TRUE(b);
  auto chemistry = mapV2(std::string(b->messages.at(1).text));
  auto deleted = mapV2(readSource("samples/hl7v2/nct06813157-itp-0003-fu-m2-deleted.hl7"));
  ASSERT_TRUE(chemistry.mapped && deleted.mapped) << chemistry.describe() << deleted.describe();
  EXPECT_EQ(observationId(deleted, "AST"), observationId(chemistry, "AST"));
  EXPECT_EQ(jsonAt(deleted.first("Observation"), "/status"), "\"entered-in-error\"");
  EXPECT_EQ(jsonAt(deleted.first("Observation"), "/note/0/text"),
            "\"Result withdrawn: the AST was reported on the wrong patient.\"");
}

// V2Mapper keeps what it learns of the type model from one message to the next (a cache per
// thread that maps, lent from a pool): a message's Bundle must not depend on what the mapper
// mapped before, nor on how many threads map at once.
TEST(Mapper, ABundleDoesNotDependOnWhatWasMappedBeforeNorOnOtherThreads) {
  const std::vector<std::string> texts{
      readSource("samples/hl7v2/nct06813157-itp-0001-baseline-cbc.hl7"),
      oru({"OBX|1|ST|N^Note^L||some text||||||F"}),
      oru({"OBX|1|SN|A^A^L||<^10|mg||||||F", "NTE|1||a note"}),
      oru({"OBX|1|CWE|B^B^L||POS^Positive^L||||||F"})};
  std::vector<std::string> expected;  // each from a mapper of its own
  for (const std::string& t : texts) {
    const auto r = mapV2(t);
    ASSERT_TRUE(r.mapped) << r.describe();
    expected.push_back(r.json);
  }
  std::vector<hl7v2::Message> messages;
  for (const std::string& t : texts) {
    core::Issues issues;
    messages.push_back(*hl7v2::parseMessage(std::string_view(t), issues));
  }
  const V2Mapper mapper(test::context());
  const auto mapOne = [&](size_t i) {
    core::Issues issues;
    const std::unique_ptr<core::Document> doc = mapper.map(messages[i], issues);
    return doc ? core::writeJson(*doc->root(), core::WriteOptions{true}) : std::string();
  };
  for (int round = 0; round < 2; ++round) {
    for (size_t i = texts.size(); i-- > 0;) EXPECT_EQ(mapOne(i), expected[i]) << i;
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 10; ++round) {
        const size_t i = static_cast<size_t>(t + round) % texts.size();
        if (mapOne(i) != expected[i]) ++wrong;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(Samples, PatientsCarryTheSubjectsHospitalIdentifiers) {
  for (const auto& [file, subject] : std::vector<std::pair<std::string, std::string>>{
           {"nct06813157-itp-0001-screening.hl7", "nct06813157-subject-itp-0001.json"},
           {"nct06813157-itp-0002-latin1.hl7", "nct06813157-subject-itp-0002.json"},
           {"nct06813157-itp-0003-custom-delimiters.hl7", "nct06813157-subject-itp-0003.json"}}) {
    auto r = mapV2(readSource("samples/hl7v2/" + file));
    ASSERT_TRUE(r.mapped) << file << r.describe();
    const std::string patient = test::toJson(r.first("Patient")["identifier"]);
    rapidjson::Document s = test::parse(readSource("samples/entities/" + subject));
    for (auto& id : s["hospitalIdentifiers"].GetArray()) {
      const std::string pair = "\"system\":\"" + std::string(id["system"].GetString()) +
                               "\",\"value\":\"" + std::string(id["value"].GetString()) + "\"";
      EXPECT_NE(patient.find(pair), std::string::npos) << file << ": " << pair << "\n" << patient;
    }
  }
}

TEST(Samples, Latin1IsReadAsUtf8) {
  auto r = mapV2(readSource("samples/hl7v2/nct06813157-itp-0002-latin1.hl7"));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_NE(r.json.find("Probe leicht h\xC3\xA4molytisch"), std::string::npos);
  EXPECT_NE(r.json.find("\"unit\": \"\xC2\xB5mol/L\""), std::string::npos);
  EXPECT_NE(r.json.find("\"code\": \"umol/L\""), std::string::npos);
}

// ---- Goldens ----------------------------------------------------------------------------------

struct GoldenCase {
  std::string name;  // the golden's name
  std::string file;  // the message file, from the source root
};

std::vector<GoldenCase> goldenCases() {
  std::vector<GoldenCase> cases;
  for (const char* dir : {"samples/hl7v2", "tests/data/hl7v2-elr"}) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(sourcePath(dir))) {
      if (e.path().extension() == ".hl7" && e.path().stem().string().rfind("invalid", 0) != 0) {
        files.push_back(e.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      const std::string prefix = std::string(dir) == "samples/hl7v2" ? "" : "elr-";
      cases.push_back({prefix + f.stem().string(), std::string(dir) + "/" + f.filename().string()});
    }
  }
  return cases;
}

// Every message of a file mapped: a JSON array of Bundles (pretty), or "" and the issues.
std::string mapFile(const std::string& file, core::Issues& issues) {
  const std::string text = readSource(file);
  auto batch = hl7v2::readBatch(text, issues);
  if (!batch) return {};
  std::string out = "[\n";
  bool first = true;
  for (const hl7v2::Batch::Part& part : batch->messages) {
    auto r = mapV2(std::string(part.text));
    issues.append(r.issues);
    if (!r.mapped) return {};
    out += (first ? "" : ",\n") + r.json;
    first = false;
  }
  return out + "\n]";
}

class V2Golden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(V2Golden, MatchesTheExpectedBundles) {
  core::Issues issues;
  const std::string output = mapFile(GetParam().file, issues);
  ASSERT_FALSE(output.empty()) << test::describe(issues);
  EXPECT_FALSE(issues.hasErrors()) << test::describe(issues);
  const std::string goldenPath = sourcePath("tests/mapping/golden/v2/" + GetParam().name + ".json");
  if (const char* update = std::getenv("TB_UPDATE_GOLDENS"); update != nullptr && *update == '1') {
    std::filesystem::create_directories(sourcePath("tests/mapping/golden/v2"));
    std::ofstream(goldenPath, std::ios::binary) << output << "\n";
    GTEST_SKIP() << "wrote " << goldenPath;
  }
  const std::string golden = test::readFile(goldenPath);
  ASSERT_FALSE(golden.empty()) << goldenPath << " is missing; run tests/mapping/update_goldens.sh";
  // Compared as text: decimals must stay as written.
  std::istringstream a(output + "\n"), b(golden);
  std::string la, lb;
  for (size_t line = 1; a || b; ++line) {
    std::getline(a, la);
    std::getline(b, lb);
    if (la != lb) {
      ADD_FAILURE() << GetParam().name << " differs from its golden at line " << line << ":\n  "
                    << la << "\n  " << lb << "\n(if intended: tests/mapping/update_goldens.sh)";
      break;
    }
    la.clear();
    lb.clear();
  }
}

TEST_P(V2Golden, EveryResourceValidatesAgainstR4) {
  core::Issues issues;
  const std::string output = mapFile(GetParam().file, issues);
  ASSERT_FALSE(output.empty()) << test::describe(issues);
  const validation::Validator validator(test::context());
  rapidjson::Document bundles = test::parse(output);
  for (auto& bundle : bundles.GetArray()) {
    core::Issues v;
    validator.validateText(test::toJson(bundle), v);
    EXPECT_FALSE(v.hasErrors()) << "Bundle:\n" << test::describe(v);
    for (auto& entry : bundle["entry"].GetArray()) {
      core::Issues one;
      validator.validateText(test::toJson(entry["resource"]), one);
      EXPECT_FALSE(one.hasErrors()) << entry["fullUrl"].GetString() << ":\n" << test::describe(one);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(V2Samples, V2Golden, ::testing::ValuesIn(goldenCases()),
                         [](const ::testing::TestParamInfo<GoldenCase>& p) {
                           std::string n = p.param.name;
                           for (char& c : n) {
                             if (c == '-') c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace trialbridge::mapping
