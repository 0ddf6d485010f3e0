// The official validator test cases (HL7 fhir-test-cases, R4 cases that need only the core
// package; copied in tests/data/conformance/validator with the Java validator's outcomes).
// For each case, and for its profile run where it has one, the number of error and fatal
// issues must equal the Java validator's. At least 90% must agree, and every case that does not
// must be listed below (and in docs/conformance/validator.md) with the reason.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "conformance/context.h"
#include "core/resource_io.h"
#include "validation/resource_files.h"
#include "validation/validator.h"

namespace trialbridge::validation {
namespace {

const std::string kDir = std::string(TB_TEST_DATA) + "/conformance/validator/";

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

std::string str(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return {};
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : std::string();
}

std::vector<std::string> list(const rapidjson::Value& v, const char* name) {
  std::vector<std::string> out;
  if (!v.IsObject()) return out;
  auto it = v.FindMember(name);
  if (it == v.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& s : it->value.GetArray()) {
    if (s.IsString()) out.emplace_back(s.GetString());
  }
  return out;
}

bool flag(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

size_t expectedErrors(const std::string& outcome) {
  rapidjson::Document d;
  const std::string text = readFile(kDir + "outcomes/" + outcome);
  d.Parse(text.c_str());
  size_t n = 0;
  auto it = d.FindMember("issue");
  if (it == d.MemberEnd()) return 0;
  for (const auto& i : it->value.GetArray()) {
    const std::string sev = str(i, "severity");
    if (sev == "error" || sev == "fatal") ++n;
  }
  return n;
}

// Where trialbridge's count differs from the Java validator's, and why. Kept in step with
// docs/conformance/validator.md.
const std::map<std::string, std::string>& knownDisagreements() {
  static const std::map<std::string, std::string> kList = {
#include "known_disagreements.inc"
  };
  return kList;
}

struct Outcome {
  std::string key;  // "name [base]" or "name [profile]"
  size_t java = 0;
  size_t ours = 0;
  std::vector<std::string> messages;
};

Outcome runCase(const rapidjson::Value& tc, bool profileRun) {
  Outcome out;
  const std::string name = str(tc, "name");
  out.key = name + (profileRun ? " [profile]" : " [base]");
  auto context = conformance::Context::withCore();
  std::vector<std::string> loads = list(tc, "supporting");
  for (const std::string& p : list(tc, "profiles")) loads.push_back(p);
  std::vector<std::string> profiles;
  if (profileRun) {
    const auto& p = tc["profile"];
    loads.push_back(str(p, "source"));
    for (const std::string& s : list(p, "supporting")) loads.push_back(s);
    out.java = expectedErrors(str(p, "java"));
  } else {
    out.java = expectedErrors(str(tc, "java"));
  }
  for (const std::string& file : loads) {
    auto st = loadResourceFile(*context, kDir + file);
    if (!st) out.messages.push_back("load: " + st.message());
  }
  if (profileRun) {
    // The profile's canonical URL, read from its source.
    core::Issues ignored;
    auto doc = core::readResource(readFile(kDir + str(tc["profile"], "source")), *context, ignored);
    if (doc && doc->root() != nullptr) {
      if (const core::Element* url = doc->root()->child("url")) {
        profiles.emplace_back(url->value());
      }
    }
  }
  ValidatorOptions options;
  options.securityChecks = flag(tc, "security-checks");
  options.allowJsonComments = flag(tc, "allow-comments");
  options.htmlInMarkdownIsError = flag(tc, "noHtmlInMarkdown");
  // Java's default is not to assume it; a profile run may say otherwise for itself.
  options.assumeValidRestReferences =
      profileRun && tc["profile"].HasMember("assumeValidRestReferences")
          ? flag(tc["profile"], "assumeValidRestReferences")
          : flag(tc, "assumeValidRestReferences");
  if (auto bp = tc.FindMember("bundle-param"); bp != tc.MemberEnd() && bp->value.IsObject()) {
    options.bundleRules.push_back({str(bp->value, "rule"), str(bp->value, "profile")});
  }
  // "validateReference": "CHECK_VALID": references the input does not hold are looked up as
  // files of the test folder (Patient/x -> x.xml or x.json), as the Java test harness does.
  std::map<std::string, std::unique_ptr<core::Document>> fetched;
  if (str(tc, "validateReference") == "CHECK_VALID") {
    options.fetchReference = [&](std::string_view ref) -> const core::Element* {
      const std::string id(ref.substr(ref.rfind('/') + 1));
      if (auto it = fetched.find(id); it != fetched.end()) {
        return it->second ? it->second->root() : nullptr;
      }
      std::unique_ptr<core::Document>& doc = fetched[id];
      for (const char* ext : {".xml", ".json"}) {
        if (!std::filesystem::exists(kDir + id + ext)) continue;
        core::Issues ignored;
        doc = core::readResource(readFile(kDir + id + ext), *context, ignored);
        break;
      }
      return doc ? doc->root() : nullptr;
    };
  }
  Validator validator(*context, options);
  core::Issues issues;
  validator.validateText(readFile(kDir + str(tc, "file")), issues, profiles);
  for (const core::Issue& i : issues.items()) {
    if (i.severity == core::Severity::Error || i.severity == core::Severity::Fatal) {
      ++out.ours;
      out.messages.push_back(i.location + ": " + i.message);
    }
  }
  return out;
}

TEST(ConformanceSuite, AgreesWithTheJavaValidator) {
  rapidjson::Document manifest;
  const std::string text = readFile(kDir + "manifest.json");
  manifest.Parse(text.c_str());
  ASSERT_TRUE(manifest.IsObject());
  const auto& cases = manifest["test-cases"];
  size_t total = 0, agree = 0;
  const char* env = std::getenv("TB_CONFORMANCE_VERBOSE");
  const bool verbose = env != nullptr && std::string(env) == "1";
  std::set<std::string> disagreeing;
  for (const auto& tc : cases.GetArray()) {
    for (bool profileRun : {false, true}) {
      if (profileRun && !tc.HasMember("profile")) continue;
      const Outcome o = runCase(tc, profileRun);
      ++total;
      if (verbose) {
        for (const std::string& m : o.messages) {
          if (m.rfind("load: ", 0) == 0) std::cerr << o.key << ": " << m << "\n";
        }
      }
      if (o.java == o.ours) {
        ++agree;
        continue;
      }
      disagreeing.insert(o.key);
      // TB_CONFORMANCE_VERBOSE=1 prints trialbridge's errors for every disagreeing run (and
      // above, the files of any run that could not be loaded).
      if (verbose && knownDisagreements().count(o.key) != 0) {
        std::cerr << o.key << ": Java " << o.java << " errors, trialbridge " << o.ours << "\n";
        for (const std::string& m : o.messages) std::cerr << "    " << m << "\n";
      }
      if (knownDisagreements().count(o.key) == 0) {
        ADD_FAILURE() << o.key << ": Java " << o.java << " errors, trialbridge " << o.ours
                      << " and the case is not in the list of known disagreements";
        for (const std::string& m : o.messages) std::cerr << "    " << m << "\n";
      }
    }
  }
  std::cout << "validator conformance: " << agree << "/" << total << " agree with the Java "
            << "validator on the number of errors\n";
  EXPECT_GE(agree * 100, total * 90) << agree << "/" << total;
  for (const auto& [key, reason] : knownDisagreements()) {
    if (disagreeing.count(key) == 0) {
      std::cout << "note: listed disagreement now agrees: " << key << "\n";
    }
  }
}

}  // namespace
}  // namespace trialbridge::validation
