// US Core 3.1.0 loads from its package, every profile in it gets a usable snapshot, and US Core
// examples validate against their profiles (meta.profile). The 3.1.0 package carries no
// examples of its own, so tests/data/us-core-examples holds examples written after the ones
// published with the guide.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "conformance/context.h"
#include "validation/validator.h"

namespace trialbridge::validation {
namespace {

namespace fs = std::filesystem;

const std::string kPackage =
    std::string(TB_TEST_DATA) + "/fhir-packages/hl7.fhir.us.core-3.1.0.tgz";

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

class UsCore : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    context_ = conformance::Context::withCore().release();
    ASSERT_TRUE(context_->loadPackage(kPackage)) << kPackage;
    validator_ = new Validator(*context_);
  }
  static void TearDownTestSuite() {
    delete validator_;
    delete context_;
  }
  static std::vector<std::string> errors(const std::string& json) {
    core::Issues issues;
    validator_->validateText(json, issues);
    std::vector<std::string> out;
    for (const core::Issue& i : issues.items()) {
      if (i.severity == core::Severity::Error || i.severity == core::Severity::Fatal) {
        out.push_back(i.location + ": " + i.message);
      }
    }
    return out;
  }
  static conformance::Context* context_;
  static Validator* validator_;
};
conformance::Context* UsCore::context_ = nullptr;
Validator* UsCore::validator_ = nullptr;

TEST_F(UsCore, EveryProfileHasASnapshot) {
  size_t profiles = 0;
  for (const auto& pkg : context_->packages()) {
    if (pkg->name() != "hl7.fhir.us.core") continue;
    for (const conformance::PackageResource& r : pkg->resources()) {
      if (r.resourceType != "StructureDefinition") continue;
      ++profiles;
      std::string error;
      EXPECT_NE(validator_->snapshots().get(r.url, &error), nullptr) << r.url << ": " << error;
    }
  }
  EXPECT_GE(profiles, 29u);
}

TEST_F(UsCore, ExamplesValidateAgainstTheirProfiles) {
  size_t n = 0;
  for (const auto& entry :
       fs::directory_iterator(std::string(TB_TEST_DATA) + "/us-core-examples")) {
    if (entry.path().extension() != ".json") continue;
    ++n;
    const std::string json = readFile(entry.path());
    ASSERT_NE(json.find("us-core"), std::string::npos)
        << entry.path() << " names no US Core profile";
    for (const std::string& e : errors(json)) ADD_FAILURE() << entry.path().filename() << ": " << e;
  }
  EXPECT_GE(n, 8u);
}

TEST_F(UsCore, BrokenExamplesFail) {
  // No identifier, no gender, a race code outside the OMB categories, two birthsex extensions.
  std::string patient =
      readFile(std::string(TB_TEST_DATA) + "/us-core-examples/Patient-example.json");
  auto cut = [](std::string& s, const std::string& from, const std::string& to) {
    const size_t a = s.find(from);
    const size_t b = s.find(to, a);
    ASSERT_NE(a, std::string::npos);
    s.erase(a, b - a);
  };
  cut(patient, "\"identifier\"", "\"active\"");
  cut(patient, "\"gender\"", "\"birthDate\"");
  const auto e = errors(patient);
  auto has = [&](const std::string& text) {
    for (const std::string& x : e) {
      if (x.find(text) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("Patient.identifier: minimum required = 1")) << ::testing::PrintToString(e);
  EXPECT_TRUE(has("Patient.gender: minimum required = 1")) << ::testing::PrintToString(e);

  std::string smoking =
      readFile(std::string(TB_TEST_DATA) + "/us-core-examples/Observation-smoking.json");
  cut(smoking, "\"issued\"", "\"valueCodeableConcept\"");
  const auto e2 = errors(smoking);
  ASSERT_EQ(e2.size(), 1u) << ::testing::PrintToString(e2);
  EXPECT_NE(e2[0].find("Observation.issued: minimum required = 1"), std::string::npos);
}

}  // namespace
}  // namespace trialbridge::validation
