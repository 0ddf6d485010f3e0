// The in-memory subject directory (pipeline/memory_subject_directory.h): subjects by the
// pseudonym of their hospital identifier, their doses from the entity file, and the results it
// was told to remember (replaced by a later version, removed when entered in error).
#include "pipeline/memory_subject_directory.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "conformance/context.h"
#include "core/json.h"
#include "study/entity_reader.h"
#include "study/trial_reader.h"

namespace trialbridge::pipeline {
namespace {

std::string source(const std::string& relative) {
  std::ifstream in(std::string(TB_SOURCE_ROOT) + "/" + relative, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class MemorySubjectDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    core::Issues issues;
    trial_ = *study::readTrial(source("samples/trials/NCT06813157.json"), issues);
    secret_.emplace(*mapping::Pseudonymizer::fromFile(std::string(TB_SOURCE_ROOT) +
                                                      "/samples/entities/demo.secret"));
    auto e = study::readEntity(source("samples/entities/nct06813157-subject-itp-0001.json"), trial_,
                               issues);
    ASSERT_TRUE(e);
    directory_ = std::make_unique<MemorySubjectDirectory>(
        trial_, std::vector<study::SubjectRecord>{e->subject}, *secret_);
  }

  void remember(std::string_view status, std::string_view value, std::string_view id = "o1") {
    const std::string json =
        R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":{)"
        R"("resourceType":"Observation","id":")" +
        std::string(id) + R"(","status":")" + std::string(status) +
        R"(","code":{"coding":[{"system":"http://loinc.org","code":"777-3"}]},)"
        R"("subject":{"reference":"Patient/nct06813157-pt-ITP-0001"},)"
        R"("effectiveDateTime":"2025-03-01T08:00:00+08:00",)"
        R"("valueQuantity":{"value":)" +
        std::string(value) +
        R"(,"system":"http://unitsofmeasure.org","code":"10*9/L"}},)"
        R"("request":{"method":"PUT","url":"Observation/)" +
        std::string(id) + R"("}}]})";
    core::Issues issues;
    auto doc = core::readJson(json, conformance::Context::r4(), issues);
    ASSERT_TRUE(doc && !issues.hasErrors());
    directory_->remember(*doc->root());
  }

  std::vector<study::LabResult> counts(const study::DirectoryEntry& entry) {
    const study::Coding plt{"http://loinc.org", "777-3", "", ""};
    return directory_->results(trial_, entry, std::span(&plt, 1)).value();
  }

  study::Trial trial_;
  std::optional<mapping::Pseudonymizer> secret_;
  std::unique_ptr<MemorySubjectDirectory> directory_;
};

TEST_F(MemorySubjectDirectoryTest, FindsTheSubjectByThePseudonymOfItsMedicalRecordNumber) {
  auto found = directory_->findByPseudonym(
      trial_, secret_->pseudonym("https://dongguan-taixin.example/sid/mrn", "MRN0048213"));
  ASSERT_TRUE(found && found.value());
  EXPECT_EQ(found.value()->record.subjectId, "ITP-0001");
  EXPECT_EQ(found.value()->patient, "Patient/nct06813157-pt-ITP-0001");
  EXPECT_EQ(found.value()->researchSubject, "ResearchSubject/nct06813157-rs-ITP-0001");
  auto other = directory_->findByPseudonym(
      trial_, secret_->pseudonym("https://dongguan-taixin.example/sid/mrn", "MRN0048214"));
  ASSERT_TRUE(other);
  EXPECT_FALSE(other.value());
  // The plain number is no key.
  EXPECT_FALSE(directory_->findByPseudonym(trial_, "MRN0048213").value());
}

TEST_F(MemorySubjectDirectoryTest, DosesComeFromTheEntityFile) {
  auto entry = *directory_->findByPseudonym(
      trial_, secret_->pseudonym("https://dongguan-taixin.example/sid/mrn", "MRN0048213"));
  auto doses = directory_->doses(trial_, entry.value());
  ASSERT_TRUE(doses);
  ASSERT_EQ(doses.value().size(), 1u);
  EXPECT_EQ(doses.value()[0].timepoint, "inf-1");
}

TEST_F(MemorySubjectDirectoryTest, RemembersResultsReplacesCorrectionsAndDropsVoidedOnes) {
  auto entry = *directory_->findByPseudonym(
      trial_, secret_->pseudonym("https://dongguan-taixin.example/sid/mrn", "MRN0048213"));
  EXPECT_TRUE(counts(entry.value()).empty());
  remember("final", "64");
  remember("final", "70", "o2");
  ASSERT_EQ(counts(entry.value()).size(), 2u);
  remember("corrected", "40");
  auto after = counts(entry.value());
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].source == "Observation/o1" ? *after[0].value : *after[1].value, 40);
  remember("entered-in-error", "40");
  after = counts(entry.value());
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].source, "Observation/o2");
  const study::Coding alt{"http://loinc.org", "1742-6", "", ""};
  EXPECT_TRUE(directory_->results(trial_, entry.value(), std::span(&alt, 1)).value().empty());
}

}  // namespace
}  // namespace trialbridge::pipeline
