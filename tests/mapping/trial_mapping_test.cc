// Golden tests: the sample trials and entities map to the Bundles in tests/mapping/golden/, and
// every resource trialbridge emits validates with no error against R4 and the project's profiles.
//
// To regenerate the goldens on purpose (after a deliberate change of the mapping), run
//   tests/mapping/update_goldens.sh
// (it runs these tests with TB_UPDATE_GOLDENS=1) and review the diff.
#include "mapping/trial_mapping.h"

#include <gtest/gtest.h>

#include <rapidjson/pointer.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "core/json.h"
#include "core/text.h"
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

// The warnings the mapper's output may have, each explained in docs/mappings.md ("Identifier
// types"): R4's identifier-type value set (extensible) has no code for these identifiers, so
// the codes come from the project's tb-identifier-type, or v2-0203 for ANON, which the R4 value
// set leaves out.
bool explainedWarning(const core::Issue& i) {
  if (i.message.find("None of the codings provided are in the value set 'Identifier Type Codes'") ==
      std::string::npos) {
    return false;
  }
  for (const char* code : {"tb-identifier-type#subject-id", "tb-identifier-type#screening-number",
                           "tb-identifier-type#sponsor-protocol",
                           "tb-identifier-type#adverse-event-id", "v2-0203#ANON"}) {
    if (i.message.find(std::string("/") + code + ")") != std::string::npos) return true;
  }
  return false;
}

TEST_P(Golden, NoWarningButTheExplainedOnes) {
  const std::string output = mapCase(GetParam());
  const validation::Validator validator(context());
  core::Issues issues;
  auto doc = core::readJson(output, context(), issues);
  ASSERT_NE(doc, nullptr);
  validator.validate(*doc->root(), issues);
  for (const core::Issue& i : issues.items()) {
    if (i.severity == core::Severity::Warning && !explainedWarning(i)) {
      ADD_FAILURE() << i.location << ": " << i.message;
    }
  }
}

// Every trial file (the samples and the test trials) maps to resources with no error and no
// warning but the explained ones.
TEST(MapTrial, EveryTrialValidatesWithoutUnexplainedWarnings) {
  std::vector<std::string> files;
  for (const char* dir : {"samples/trials", "tests/mapping/data"}) {
    for (const auto& f : std::filesystem::directory_iterator(sourcePath(dir))) {
      const std::string name = f.path().filename().string();
      if (f.path().extension() == ".json" &&
          (std::string(dir) == "samples/trials" || name.rfind("trial-", 0) == 0)) {
        files.push_back(std::string(dir) + "/" + name);
      }
    }
  }
  ASSERT_GE(files.size(), 5u);
  const validation::Validator validator(context());
  for (const std::string& file : files) {
    const std::string output = mapToJson(sampleTrial(file), {});
    core::Issues issues;
    auto doc = core::readJson(output, context(), issues);
    ASSERT_NE(doc, nullptr);
    validator.validate(*doc->root(), issues);
    for (const core::Issue& i : issues.items()) {
      if (i.severity <= core::Severity::Error ||
          (i.severity == core::Severity::Warning && !explainedWarning(i))) {
        ADD_FAILURE() << file << ": " << i.location << ": " << i.message;
      }
    }
  }
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

// A draft (actuality potential) may lack seriousness and outcome; an actual event may not.
TEST(Profiles, DraftAdverseEventsNeedSeriousnessAndOutcomeOnlyOnceActual) {
  const Trial trial = sampleTrial("samples/trials/NCT06813157.json");
  rapidjson::Document b = parse(
      mapToJson(trial, {sampleEntity(trial, "samples/entities/nct06813157-ae-itp-0001-01.json")}));
  rapidjson::Value& ae = b["entry"][b["entry"].Size() - 1]["resource"];
  ae.RemoveMember("seriousness");
  ae.RemoveMember("outcome");
  EXPECT_TRUE(mentions(errors(toJson(ae)), "tb-ae-3"))
      << ::testing::PrintToString(errors(toJson(ae)));
  ae["actuality"].SetString("potential");
  EXPECT_TRUE(errors(toJson(ae)).empty()) << ::testing::PrintToString(errors(toJson(ae)));
  ae["actuality"].SetString("bogus");
  EXPECT_FALSE(errors(toJson(ae)).empty());
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

// --- Nothing lost: every property of the trial definition reaches FHIR, or docs/mappings.md
// lists it under "What R4 cannot hold". For each property of the schema the test changes its
// value in a trial file that has it (keeping the file valid) and checks that the Bundle changes,
// narratives left aside.

struct SchemaLeaf {
  std::vector<std::string> enumValues;
  std::string kind;  // the definition it refers to (localId, date, uri, text...), or the type
  bool discriminator = false;  // names the branch of a oneOf (x-discriminator)
};

class SchemaWalk {
 public:
  explicit SchemaWalk(const rapidjson::Document& schema) : schema_(schema) {}

  std::map<std::string, SchemaLeaf> leaves() {
    walk(schema_, "", "", 0);
    return leaves_;
  }

 private:
  void walk(const rapidjson::Value& node, const std::string& path, std::string kind, int depth) {
    ASSERT_LT(depth, 30) << path;
    if (node.HasMember("$ref")) {
      const std::string ref = node["$ref"].GetString();
      const std::string name = ref.substr(ref.rfind('/') + 1);
      const rapidjson::Value* target = rapidjson::Pointer(ref.substr(1).c_str()).Get(schema_);
      ASSERT_NE(target, nullptr) << ref;
      walk(*target, path, name, depth + 1);
      return;
    }
    if (node.HasMember("oneOf")) {
      if (node.HasMember("x-discriminator"))
        discriminators_.insert(path + "." + node["x-discriminator"].GetString());
      for (auto& branch : node["oneOf"].GetArray()) walk(branch, path, kind, depth + 1);
      return;
    }
    if (node.HasMember("properties")) {
      for (auto& m : node["properties"].GetObject()) {
        const std::string name = m.name.GetString();
        walk(m.value, path.empty() ? name : path + "." + name, {}, depth + 1);
      }
      return;
    }
    if (node.HasMember("items")) {
      walk(node["items"], path + "[]", {}, depth + 1);
      return;
    }
    SchemaLeaf& leaf = leaves_[path];
    leaf.discriminator = discriminators_.count(path) > 0;
    if (node.HasMember("enum")) {
      for (auto& v : node["enum"].GetArray()) {
        if (v.IsString()) leaf.enumValues.emplace_back(v.GetString());
      }
    }
    if (kind.empty() && node.HasMember("type")) kind = node["type"].GetString();
    if (kind.empty() && node.HasMember("pattern")) kind = "pattern";
    leaf.kind = kind;
  }

  const rapidjson::Document& schema_;
  std::map<std::string, SchemaLeaf> leaves_;
  std::set<std::string> discriminators_;
};

// Properties that reach FHIR but cannot change alone: the reader checks them against others.
const std::map<std::string, std::string>& determinedByOthers() {
  static const std::map<std::string, std::string> kDetermined = {
      {"schedules[].timepoints[].type",
       "a timepoint is a dosing one exactly when it gives an administration activity "
       "(PlanDefinition.action.code)"},
  };
  return kDetermined;
}

// The schema paths docs/mappings.md lists in "What R4 cannot hold" (backticked; `*.note` for a
// property of that name anywhere).
std::vector<std::string> listedPaths() {
  const std::string doc = readSource("docs/mappings.md");
  const size_t begin = doc.find("## What R4 cannot hold");
  EXPECT_NE(begin, std::string::npos);
  const size_t end = doc.find("\n## ", begin + 1);
  const std::string section = doc.substr(begin, end == std::string::npos ? end : end - begin);
  std::vector<std::string> out;
  for (size_t pos = section.find('`'); pos != std::string::npos;) {
    const size_t close = section.find('`', pos + 1);
    if (close == std::string::npos) break;
    out.push_back(section.substr(pos + 1, close - pos - 1));
    pos = section.find('`', close + 1);
  }
  return out;
}

bool isListed(const std::string& path, const std::vector<std::string>& listed) {
  for (const std::string& l : listed) {
    if (l.rfind("*.", 0) == 0) {
      const std::string tail = l.substr(1);  // ".note"
      if (path == l.substr(2) || (path.size() > tail.size() &&
                                  path.compare(path.size() - tail.size(), tail.size(), tail) == 0))
        return true;
    } else if (path == l || path.rfind(l + ".", 0) == 0 || path.rfind(l + "[]", 0) == 0) {
      return true;
    }
  }
  return false;
}

// Where each schema path occurs in a trial file: JSON pointers.
void occurrences(const rapidjson::Value& v, const std::string& path, const std::string& pointer,
                 std::map<std::string, std::vector<std::string>>& out) {
  if (v.IsObject()) {
    for (auto& m : v.GetObject()) {
      const std::string name = m.name.GetString();
      std::string escaped;
      for (char c : name) escaped += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
      occurrences(m.value, path.empty() ? name : path + "." + name, pointer + "/" + escaped, out);
    }
  } else if (v.IsArray()) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      occurrences(v[i], path + "[]", pointer + "/" + std::to_string(i), out);
    }
  } else {
    out[path].push_back(pointer);
  }
}

// Replaces every string equal to `from` (a key renamed consistently through the file).
void renameAll(rapidjson::Value& v, const std::string& from, const std::string& to,
               rapidjson::Document::AllocatorType& a) {
  if (v.IsString() && from == v.GetString()) {
    v.SetString(to.c_str(), static_cast<rapidjson::SizeType>(to.size()), a);
  } else if (v.IsObject()) {
    for (auto& m : v.GetObject()) renameAll(m.value, from, to, a);
  } else if (v.IsArray()) {
    for (auto& x : v.GetArray()) renameAll(x, from, to, a);
  }
}

// Other valid values for the value at `pointer`, as edits of the whole document.
std::vector<std::function<void(rapidjson::Document&)>> mutations(const rapidjson::Document& d,
                                                                 const std::string& pointer,
                                                                 const SchemaLeaf& leaf) {
  const rapidjson::Value& v = *rapidjson::Pointer(pointer.c_str()).Get(d);
  std::vector<std::function<void(rapidjson::Document&)>> out;
  auto setJson = [pointer](std::string json) {
    return [pointer, json](rapidjson::Document& doc) {
      rapidjson::Document x(&doc.GetAllocator());
      x.Parse(json.c_str());
      rapidjson::Pointer(pointer.c_str()).Set(doc, x);
    };
  };
  if (v.IsBool()) {
    out.push_back(setJson(v.IsTrue() ? "false" : "true"));
  } else if (v.IsInt()) {
    out.push_back(setJson(std::to_string(v.GetInt() + 1)));
    out.push_back(setJson(std::to_string(v.GetInt() + 7)));
  } else if (v.IsNumber()) {
    const double x = v.GetDouble();
    for (double y : {x + 1, x / 2, x + 0.5}) {
      std::ostringstream os;
      os << y;
      out.push_back(setJson(os.str()));
    }
  } else if (v.IsString()) {
    const std::string s = v.GetString();
    for (const std::string& e : leaf.enumValues) {
      if (e != s) out.push_back(setJson(core::jsonString(e)));
    }
    if (!leaf.enumValues.empty()) return out;
    if (leaf.kind == "localId") {
      const std::string to = s.size() < 40 ? s + "x" : s.substr(0, 39) + "x";
      out.push_back(
          [s, to](rapidjson::Document& doc) { renameAll(doc, s, to, doc.GetAllocator()); });
    } else if (leaf.kind == "date") {
      std::string t = s;
      t.back() = t.back() < '5' ? static_cast<char>(t.back() + 1) : static_cast<char>(t.back() - 1);
      out.push_back(setJson(core::jsonString(t)));
    } else if (s.size() == 2 && std::isupper(static_cast<unsigned char>(s[0]))) {
      out.push_back(setJson(core::jsonString(s == "ZZ" ? "ZY" : "ZZ")));
    } else if (leaf.kind == "email" || s.find('@') != std::string::npos) {
      out.push_back(setJson(core::jsonString("x" + s)));
    } else {
      out.push_back(setJson(core::jsonString(s + "x")));
      out.push_back(setJson(core::jsonString("http://example.org/mutated")));
    }
  }
  return out;
}

// The Bundle without narratives, to compare what reached FHIR elements and extensions.
std::string withoutNarratives(const std::string& bundleJson) {
  rapidjson::Document b = parse(bundleJson);
  for (auto& e : b["entry"].GetArray()) e["resource"].RemoveMember("text");
  return toJson(b);
}

struct Sample {
  std::string file;
  std::vector<std::string> entities;
};

// The Bundle (narratives left out) of a trial text and its entities; "" when the trial does not
// read. Entities that no longer read with the edited trial are left out.
std::string mapText(const std::string& trialText, const std::vector<std::string>& entityFiles) {
  core::Issues issues;
  auto trial = study::readTrial(trialText, issues);
  if (!trial) return {};
  std::vector<Entity> entities;
  for (const std::string& f : entityFiles) {
    core::Issues ei;
    auto e = study::readEntity(readSource(f), *trial, ei);
    if (!e) return mapText(trialText, {});
    entities.push_back(*e);
  }
  MapOptions options;
  options.pseudonymizer = demoPseudonymizer();
  auto doc = mapTrial(*trial, entities, options, context());
  if (!doc) return {};
  return withoutNarratives(core::writeJson(*doc.value()->root()));
}

std::vector<Sample> coverageSamples() {
  std::vector<Sample> out = {
      {"samples/trials/NCT06813157.json",
       std::vector<std::string>(cases()[1].entities.begin(), cases()[1].entities.end())},
      {"samples/trials/tbx101-fih-01.json",
       std::vector<std::string>(cases()[2].entities.begin(), cases()[2].entities.end())},
      {"samples/trials/tbx202-boin-01.json", {}},
  };
  for (const auto& f : std::filesystem::directory_iterator(sourcePath("tests/mapping/data"))) {
    if (f.path().extension() == ".json" && f.path().filename().string().rfind("trial-", 0) == 0) {
      out.push_back({"tests/mapping/data/" + f.path().filename().string(), {}});
    }
  }
  return out;
}

TEST(NothingLost, EveryPropertyOfTheTrialDefinitionReachesFhirOrIsListed) {
  const rapidjson::Document schema =
      parse(readSource("mappings/schemas/trial-definition.schema.json"));
  const auto leaves = SchemaWalk(schema).leaves();
  ASSERT_GT(leaves.size(), 100u);
  const std::vector<std::string> listed = listedPaths();
  ASSERT_FALSE(listed.empty());

  struct Loaded {
    Sample sample;
    rapidjson::Document doc;
    std::string baseline;
    std::map<std::string, std::vector<std::string>> where;
  };
  std::vector<std::unique_ptr<Loaded>> samples;
  for (const Sample& s : coverageSamples()) {
    auto l = std::make_unique<Loaded>();
    l->sample = s;
    l->doc = parse(readSource(s.file));
    l->baseline = mapText(toJson(l->doc), s.entities);
    ASSERT_FALSE(l->baseline.empty()) << s.file << " does not map";
    occurrences(l->doc, "", "", l->where);
    samples.push_back(std::move(l));
  }

  std::vector<std::string> lost, uncovered, fixed;
  for (const auto& [path, leaf] : leaves) {
    if (isListed(path, listed)) continue;
    // A property with one possible value, or that selects a branch, says nothing of its own.
    if (leaf.discriminator || leaf.enumValues.size() == 1) continue;
    bool covered = false, reaches = false, varies = false;
    for (const auto& l : samples) {
      auto it = l->where.find(path);
      if (it == l->where.end()) continue;
      covered = true;
      for (const std::string& pointer : it->second) {
        for (const auto& edit : mutations(l->doc, pointer, leaf)) {
          rapidjson::Document copy;
          copy.CopyFrom(l->doc, copy.GetAllocator());
          edit(copy);
          const std::string out = mapText(toJson(copy), l->sample.entities);
          if (out.empty()) continue;  // the edit made the file invalid: try another
          varies = true;
          if (out != l->baseline) reaches = true;
          break;
        }
        if (reaches) break;
      }
      if (reaches) break;
    }
    if (!covered) {
      uncovered.push_back(path);
    } else if (!varies) {
      if (determinedByOthers().count(path) == 0) fixed.push_back(path);
    } else if (!reaches) {
      lost.push_back(path);
    }
  }
  for (const auto& [path, reason] : determinedByOthers()) {
    EXPECT_EQ(leaves.count(path), 1u) << path << " is not a property of the schema";
  }
  std::string report;
  for (const std::string& p : lost) report += "  " + p + "\n";
  EXPECT_TRUE(lost.empty())
      << "these properties of the trial definition change nothing in the FHIR resources and are "
         "not listed in docs/mappings.md \"What R4 cannot hold\":\n"
      << report;
  report.clear();
  for (const std::string& p : fixed) report += "  " + p + "\n";
  EXPECT_TRUE(fixed.empty())
      << "no edit of these properties alone gives a valid trial file, so the test cannot check "
         "them; explain them in determinedByOthers():\n"
      << report;
  report.clear();
  for (const std::string& p : uncovered) report += "  " + p + "\n";
  EXPECT_TRUE(uncovered.empty())
      << "no sample trial (samples/trials/, tests/mapping/data/trial-*.json) has these "
         "properties, so the test cannot check that they reach FHIR:\n"
      << report;
}

// The check itself: a property the mapping ignores is caught.
TEST(NothingLost, AnIgnoredPropertyIsCaught) {
  const std::string file = "samples/trials/tbx101-fih-01.json";
  rapidjson::Document d = parse(readSource(file));
  const std::string baseline = mapText(toJson(d), {});
  // A note changes nothing (it is listed) ...
  rapidjson::Pointer("/titles/note").Set(d, "changed");
  EXPECT_EQ(mapText(toJson(d), {}), baseline);
  // ... while a cohort's size does.
  rapidjson::Pointer("/arms/0/cohort/size").Set(d, 4);
  EXPECT_NE(mapText(toJson(d), {}), baseline);
  EXPECT_TRUE(isListed("titles.note", listedPaths()));
  EXPECT_FALSE(isListed("arms[].cohort.size", listedPaths()));
}

}  // namespace
}  // namespace trialbridge::mapping
