#include "study/vocabulary.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "test_util.h"

namespace trialbridge::study {
namespace {

TEST(Vocabulary, CodeSystems) {
  const Vocabulary& v = Vocabulary::get();
  EXPECT_EQ(v.codeSystem("loinc"), "http://loinc.org");
  EXPECT_EQ(v.codeSystem("LOINC"), "http://loinc.org");
  EXPECT_EQ(v.codeSystem("meddra"), "http://terminology.hl7.org/CodeSystem/mdr");
  EXPECT_EQ(v.codeSystem("http://example.org/cs"), "http://example.org/cs");
  EXPECT_EQ(v.codeSystem("nonsense"), "");
}

TEST(Vocabulary, Registries) {
  const Vocabulary& v = Vocabulary::get();
  ASSERT_NE(v.registry("nct"), nullptr);
  EXPECT_EQ(v.registry("nct")->system, "https://clinicaltrials.gov");
  EXPECT_TRUE(std::regex_match("NCT06813157", std::regex(v.registry("nct")->pattern)));
  EXPECT_TRUE(std::regex_match("2022-500123-41-00", std::regex(v.registry("ctis")->pattern)));
  EXPECT_TRUE(std::regex_match("ISRCTN12345678", std::regex(v.registry("isrctn")->pattern)));
  EXPECT_EQ(v.registry("sponsor")->system, "");
  EXPECT_EQ(v.registry("nope"), nullptr);
}

TEST(Vocabulary, StudyCodes) {
  const Vocabulary& v = Vocabulary::get();
  EXPECT_EQ(v.phase("NA")->code, "n-a");
  EXPECT_EQ(v.phase("PHASE1+PHASE2")->code, "phase-1-phase-2");
  EXPECT_EQ(v.phase("PHASE1+PHASE3"), nullptr);
  EXPECT_EQ(v.phasesOf("phase-1-phase-2"), "PHASE1+PHASE2");
  EXPECT_EQ(v.phasesOf("early-phase-1"), "EARLY_PHASE1");
  EXPECT_EQ(v.phasesOf("phase-5"), "");
  EXPECT_EQ(v.primaryPurpose("TREATMENT")->code, "treatment");
  EXPECT_EQ(v.primaryPurpose("ECT"), nullptr);
}

TEST(Vocabulary, EntityCodes) {
  const Vocabulary& v = Vocabulary::get();
  EXPECT_EQ(v.subjectStatus("screen-failed"), "ineligible");
  EXPECT_EQ(v.subjectStatus("on-study"), "on-study");
  EXPECT_EQ(v.subjectStatus("active"), "");
  EXPECT_EQ(v.aeOutcome("recovered"), "resolved");
  EXPECT_EQ(v.aeOutcome("not-recovered"), "ongoing");
  EXPECT_EQ(v.aeRelatedness("possibly-related"), "Possible");
  EXPECT_EQ(v.aeRelatedness("not-related"), "");
  EXPECT_EQ(v.aeSeriousness("death"), "SeriousResultsInDeath");
  EXPECT_EQ(v.ctcaeSeverity(1), "mild");
  EXPECT_EQ(v.ctcaeSeverity(2), "moderate");
  EXPECT_EQ(v.ctcaeSeverity(4), "severe");
  EXPECT_EQ(v.display("http://terminology.hl7.org/CodeSystem/adverse-event-outcome",
                      "resolvedWithSequelae"),
            "Resolved with Sequelae");
  EXPECT_TRUE(v.interventionIsMedication("DRUG"));
  EXPECT_TRUE(v.interventionIsMedication("BIOLOGICAL"));
  EXPECT_FALSE(v.interventionIsMedication("DEVICE"));
}

// One identifier system for NCT numbers everywhere: the samples and the goldens use the
// vocabulary's, which the mapper, the registry import and export all take from there.
TEST(Vocabulary, OneSystemForNctNumbers) {
  const std::string nct = Vocabulary::get().registry("nct")->system;
  std::vector<std::string> files;
  for (const char* dir : {"samples/fhir", "tests/mapping/golden"}) {
    for (const auto& f : std::filesystem::directory_iterator(test::sourcePath(dir))) {
      if (f.path().extension() == ".json") files.push_back(f.path().string());
    }
  }
  ASSERT_FALSE(files.empty());
  for (const std::string& file : files) {
    const std::string text = test::readFile(file);
    for (size_t pos = text.find("clinicaltrials.gov\""); pos != std::string::npos;
         pos = text.find("clinicaltrials.gov\"", pos + 1)) {
      const size_t start = text.rfind('"', pos) + 1;
      EXPECT_EQ(text.substr(start, pos + 18 - start), nct) << file;
    }
  }
}

}  // namespace
}  // namespace trialbridge::study
