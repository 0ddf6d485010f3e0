// Golden tests: the sample trials and entities map to the Bundles in tests/mapping/golden/, and
// every resource trialbridge emits validates with no error against R4 and the project's profiles.
//
// To regenerate the goldens on purpose (after a deliberate change of the mapping), run
//   tests/mapping/update_goldens.sh
// (it runs these tests with TB_UPDATE_GOLDENS=1) and review the diff.
#include "mapping/trial_mapping.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "core/json.h"
#include "test_util.h"
#include "validation/validator.h"

namespace trialbridge::mapping {
namespace {

using namespace test;

struct GoldenCase {
  const char* name;
  const char* trial;
  std::vector<const char*> entities;
};

const std::vector<GoldenCase>& cases() {
  static const std::vector<GoldenCase> kCases = {
      {"nct06813157-study", "samples/trials/NCT06813157.json", {}},
      {"nct06813157-entities",
       "samples/trials/NCT06813157.json",
       {"samples/entities/nct06813157-subject-itp-0001.json",
        "samples/entities/nct06813157-subject-itp-0002.json",
        "samples/entities/nct06813157-subject-itp-0003.json",
        "samples/entities/nct06813157-ae-itp-0001-01.json",
        "samples/entities/nct06813157-ae-itp-0003-01.json",
        "samples/entities/nct06813157-ae-itp-0003-02.json"}},
      {"tbx101-entities",
       "samples/trials/tbx101-fih-01.json",
       {"samples/entities/tbx101-subject-101-001.json",
        "samples/entities/tbx101-ae-101-001-01.json"}},
  };
  return kCases;
}

std::string mapCase(const GoldenCase& c) {
  const Trial trial = sampleTrial(c.trial);
  std::vector<Entity> entities;
  for (const char* e : c.entities) entities.push_back(sampleEntity(trial, e));
  return mapToJson(trial, entities);
}

// The first place two JSON values differ, as a JSON pointer.
std::string firstDifference(const rapidjson::Value& a, const rapidjson::Value& b,
                            const std::string& at) {
  if (a.GetType() != b.GetType()) return at + " (types differ)";
  if (a.IsObject()) {
    for (auto& m : a.GetObject()) {
      const std::string p = at + "/" + m.name.GetString();
      if (!b.HasMember(m.name)) return p + " (only in the output)";
      std::string d = firstDifference(m.value, b[m.name], p);
      if (!d.empty()) return d;
    }
    for (auto& m : b.GetObject()) {
      if (!a.HasMember(m.name)) return at + "/" + m.name.GetString() + " (only in the golden)";
    }
    return {};
  }
  if (a.IsArray()) {
    if (a.Size() != b.Size())
      return at + " (array sizes " + std::to_string(a.Size()) + " and " + std::to_string(b.Size()) +
             ")";
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      std::string d = firstDifference(a[i], b[i], at + "/" + std::to_string(i));
      if (!d.empty()) return d;
    }
    return {};
  }
  return a == b ? std::string() : at + ": " + toJson(a) + " vs " + toJson(b);
}

class Golden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(Golden, MatchesTheExpectedBundle) {
  const GoldenCase& c = GetParam();
  const std::string output = mapCase(c);
  const std::string goldenPath =
      sourcePath(std::string("tests/mapping/golden/") + c.name + ".json");
  if (const char* update = std::getenv("TB_UPDATE_GOLDENS"); update != nullptr && *update == '1') {
    std::ofstream(goldenPath, std::ios::binary) << output << "\n";
    GTEST_SKIP() << "wrote " << goldenPath;
  }
  const std::string golden = readFile(goldenPath);
  ASSERT_FALSE(golden.empty()) << goldenPath << " is missing; run tests/mapping/update_goldens.sh";
  rapidjson::Document out = parse(output), expected = parse(golden);
  ASSERT_FALSE(expected.HasParseError()) << goldenPath;
  const std::string diff = firstDifference(out, expected, "");
  EXPECT_TRUE(diff.empty()) << c.name << ": the Bundle differs from the golden at " << diff
                            << "\n(if the change is intended: tests/mapping/update_goldens.sh)";
}

TEST_P(Golden, ReadsBackWithoutIssues) {
  const std::string output = mapCase(GetParam());
  core::Issues issues;
  auto doc = core::readJson(output, context(), issues);
  ASSERT_NE(doc, nullptr);
  for (const core::Issue& i : issues.items()) ADD_FAILURE() << i.location << ": " << i.message;
  // And it writes back to the same text.
  EXPECT_EQ(core::writeJson(*doc->root(), core::WriteOptions{true}), output);
}

std::string describe(const core::Issues& issues, core::Severity worst) {
  std::string out;
  for (const core::Issue& i : issues.items()) {
    if (i.severity > worst) continue;
    out += "  " + std::string(core::severityCode(i.severity)) + ": " + i.location + ": " +
           i.message + "\n";
  }
  return out;
}

TEST_P(Golden, EveryResourceValidatesAgainstR4AndTheProfiles) {
  const std::string output = mapCase(GetParam());
  const validation::Validator validator(context());
  core::Issues issues;
  auto doc = core::readJson(output, context(), issues);
  ASSERT_NE(doc, nullptr);
  // The Bundle as a whole (references resolve inside it) ...
  validator.validate(*doc->root(), issues);
  EXPECT_FALSE(issues.hasErrors()) << "Bundle:\n" << describe(issues, core::Severity::Error);
  if (std::getenv("TB_SHOW_ISSUES") != nullptr)
    std::cerr << describe(issues, core::Severity::Information);
  // ... and each resource on its own, against the profile it names.
  rapidjson::Document bundle = parse(output);
  for (auto& entry : bundle["entry"].GetArray()) {
    const std::string json = toJson(entry["resource"]);
    core::Issues one;
    validator.validateText(json, one);
    EXPECT_FALSE(one.hasErrors()) << entry["fullUrl"].GetString() << ":\n"
                                  << describe(one, core::Severity::Error);
  }
}

TEST_P(Golden, EveryResourceNamesItsProfile) {
  rapidjson::Document bundle = parse(mapCase(GetParam()));
  EXPECT_EQ(str(at(bundle, "/meta/profile/0")),
            "http://trialbridge.org/fhir/StructureDefinition/tb-transaction-bundle");
  for (auto& entry : bundle["entry"].GetArray()) {
    const std::string profile = str(at(entry, "/resource/meta/profile/0"));
    EXPECT_EQ(profile.rfind("http://trialbridge.org/fhir/StructureDefinition/tb-", 0), 0u)
        << entry["fullUrl"].GetString();
    EXPECT_NE(context().structureDefinition(profile), nullptr) << profile;
    EXPECT_EQ(str(at(entry, "/request/method")), "PUT");
  }
}

TEST_P(Golden, NoNameOrHospitalNumberReachesFhir) {
  const std::string output = mapCase(GetParam());
  for (const char* secret : {"Wang", "MRN0048213", "MRN0051977", "MRN0050102", "440-1973-0098",
                             "Chen Xiaoming", "Mustermann", "Erika", "0043-771-203",
                             "dongguan-taixin.example", "berlin-university-hospital.example"}) {
    EXPECT_EQ(output.find(secret), std::string::npos) << secret;
  }
}

INSTANTIATE_TEST_SUITE_P(Samples, Golden, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<GoldenCase>& p) {
                           std::string n = p.param.name;
                           for (char& ch : n) {
                             if (ch == '-') ch = '_';
                           }
                           return n;
                         });

TEST(MapTrial, SubjectsNeedASecret) {
  const Trial trial = sampleTrial();
  std::vector<Entity> entities{
      sampleEntity(trial, "samples/entities/nct06813157-subject-itp-0001.json")};
  auto doc = mapTrial(trial, entities, MapOptions{}, context());
  ASSERT_FALSE(doc);
  EXPECT_NE(doc.message().find("pseudonymisation secret"), std::string::npos);
  // Adverse events alone need none.
  std::vector<Entity> aes{sampleEntity(trial, "samples/entities/nct06813157-ae-itp-0001-01.json")};
  EXPECT_TRUE(mapTrial(trial, aes, MapOptions{}, context()));
}

TEST(MapTrial, IsDeterministic) {
  const Trial trial = sampleTrial("samples/trials/tbx101-fih-01.json");
  EXPECT_EQ(mapToJson(trial, {}), mapToJson(trial, {}));
}

// The project's profiles against what the mapping emits and against hand-made resources.

// Validates JSON text against R4 and the profile it names; the error messages.
std::vector<std::string> errors(const std::string& json) {
  static const validation::Validator validator(context());
  core::Issues issues;
  validator.validateText(json, issues);
  std::vector<std::string> out;
  for (const core::Issue& i : issues.items()) {
    if (i.severity <= core::Severity::Error) out.push_back(i.location + ": " + i.message);
  }
  return out;
}

bool mentions(const std::vector<std::string>& errors, const std::string& text) {
  for (const std::string& e : errors) {
    if (e.find(text) != std::string::npos) return true;
  }
  return false;
}

const char* kObservation = R"({
  "resourceType": "Observation",
  "id": "plt-1",
  "meta": {"profile": ["http://trialbridge.org/fhir/StructureDefinition/tb-observation"]},
  "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/workflow-researchStudy",
                 "valueReference": {"reference": "ResearchStudy/nct06813157"}}],
  "status": "final",
  "code": {"coding": [{"system": "http://loinc.org", "code": "777-3"}]},
  "subject": {"reference": "Patient/nct06813157-pt-ITP-0001"},
  "effectiveDateTime": "2025-02-12T08:00:00+08:00",
  "valueQuantity": {"value": 45, "unit": "10*3/uL", "system": "http://unitsofmeasure.org", "code": "10*3/uL"}
})";

TEST(Profiles, ObservationWithItsStudy) {
  EXPECT_TRUE(errors(kObservation).empty()) << ::testing::PrintToString(errors(kObservation));
}

TEST(Profiles, ObservationWithoutItsStudyFails) {
  std::string json = kObservation;
  const size_t from = json.find("  \"extension\"");
  const size_t to = json.find("  \"status\"");
  json.erase(from, to - from);
  const auto e = errors(json);
  EXPECT_FALSE(e.empty());
  EXPECT_TRUE(mentions(e, "researchStudy") || mentions(e, "workflow-researchStudy"))
      << ::testing::PrintToString(e);
}

TEST(Profiles, ObservationWithoutEffectiveTimeFails) {
  std::string json = kObservation;
  json.erase(json.find("  \"effectiveDateTime\""),
             json.find("  \"valueQuantity\"") - json.find("  \"effectiveDateTime\""));
  EXPECT_FALSE(errors(json).empty());
}

TEST(Profiles, PatientWithANameOrHospitalNumberFails) {
  const std::string ok = R"({"resourceType": "Patient", "id": "p",
    "meta": {"profile": ["http://trialbridge.org/fhir/StructureDefinition/tb-patient"]},
    "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "ANON"}]},
                    "system": "http://trialbridge.org/fhir/trials/x/pseudonym",
                    "value": "d32c7f3d4f515c317fd5bc57d894b027f8fb28a37c30030d96f07a042c1ffb2f"}],
    "gender": "female"})";
  EXPECT_TRUE(errors(ok).empty()) << ::testing::PrintToString(errors(ok));
  std::string named = ok;
  named.insert(named.rfind('}'), R"(, "name": [{"family": "Wang"}])");
  EXPECT_FALSE(errors(named).empty());
  std::string mrn = ok;
  mrn.replace(mrn.find("d32c7f3d"), 64, "MRN0048213");
  EXPECT_TRUE(mentions(errors(mrn), "tb-pat-1") || !errors(mrn).empty())
      << ::testing::PrintToString(errors(mrn));
  std::string noProfile = ok;
  noProfile.replace(noProfile.find("tb-patient"), 10, "tb-observation");
  EXPECT_FALSE(errors(noProfile).empty());
}

TEST(Profiles, AdverseEventWithoutStudyFails) {
  const Trial trial = sampleTrial();
  rapidjson::Document b = parse(
      mapToJson(trial, {sampleEntity(trial, "samples/entities/nct06813157-ae-itp-0001-01.json")}));
  rapidjson::Value& ae = b["entry"][b["entry"].Size() - 1]["resource"];
  ASSERT_EQ(std::string(ae["resourceType"].GetString()), "AdverseEvent");
  EXPECT_TRUE(errors(toJson(ae)).empty()) << ::testing::PrintToString(errors(toJson(ae)));
  ae.RemoveMember("study");
  EXPECT_TRUE(mentions(errors(toJson(ae)), "study"))
      << ::testing::PrintToString(errors(toJson(ae)));
}

TEST(Profiles, Grade5MustBeFatal) {
  const Trial trial = sampleTrial("samples/trials/tbx101-fih-01.json");
  rapidjson::Document b =
      parse(mapToJson(trial, {sampleEntity(trial, "samples/entities/tbx101-ae-101-001-01.json")}));
  rapidjson::Value& ae = b["entry"][b["entry"].Size() - 1]["resource"];
  EXPECT_TRUE(errors(toJson(ae)).empty()) << ::testing::PrintToString(errors(toJson(ae)));
  ae["outcome"]["coding"][0]["code"].SetString("recovering");
  ae["outcome"]["coding"][0]["display"].SetString("Recovering");
  EXPECT_TRUE(mentions(errors(toJson(ae)), "tb-ae-1"))
      << ::testing::PrintToString(errors(toJson(ae)));
}

}  // namespace
}  // namespace trialbridge::mapping
