// The study context on the HL7 v2 path (pipeline/v2_study.h): what the adapter hands the pipeline
// for a subject's message, a patient who is no subject, no study loaded, a provider that cannot
// build the context, and the source key and time of the Provenance.
#include "pipeline/v2_study.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "conformance/context.h"
#include "core/json.h"
#include "hl7v2/message.h"
#include "mapping/oru_mapping.h"
#include "pipeline/memory_subject_directory.h"
#include "study/entity_reader.h"
#include "study/trial_reader.h"

namespace trialbridge::pipeline {
namespace v2_study_test {

std::string source(const std::string& relative) {
  std::ifstream in(std::string(TB_SOURCE_ROOT) + "/" + relative, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A platelet count of ITP-0001 at screening, or of `mrn` (no subject).
std::string oru(std::string_view mrn = "MRN0048213") {
  return "MSH|^~\\&|LIS|TAIXIN|TRIALBRIDGE|NCT06813157|20250203080000+0800||ORU^R01^ORU_R01|"
         "M7|P|2.5.1\r"
         "PID|1||" +
         std::string(mrn) +
         "^^^TAIXIN&https://dongguan-taixin.example/sid/mrn&URI^MR||Wang^Li||19880412|F\r"
         "OBR|1||F1|LAB^Lab panel^99TXL|||20250203074500+0800|||||||||||||||"
         "20250203074500+0800|||F\r"
         "OBX|1|NM|777-3^Platelets^LN||18|10*9/L^^UCUM|125-350||||F|||20250203074500+0800\r";
}

bool has(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

class V2StudyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    core::Issues issues;
    trial_ = study::readTrial(source("samples/trials/NCT06813157.json"), issues);
    ASSERT_TRUE(trial_);
    auto secret = mapping::Pseudonymizer::fromFile(std::string(TB_SOURCE_ROOT) +
                                                   "/samples/entities/demo.secret");
    ASSERT_TRUE(secret) << secret.message();
    secret_ = std::move(secret.value());
    auto e = study::readEntity(source("samples/entities/nct06813157-subject-itp-0001.json"),
                               *trial_, issues);
    ASSERT_TRUE(e);
    directory_ = std::make_unique<MemorySubjectDirectory>(
        *trial_, std::vector<study::SubjectRecord>{e->subject}, *secret_);
    context_ = std::make_shared<StudyContext>(std::vector<StudyTrial>{{&*trial_, &*secret_}},
                                              *directory_, conformance::Context::r4());
  }

  V2Decision decide(const V2StudyContext& adapter, const std::string& text) {
    core::Issues issues;
    std::optional<hl7v2::Message> m = hl7v2::parseMessage(text, issues);
    EXPECT_TRUE(m && !issues.hasErrors());
    std::unique_ptr<core::Document> mapped = mapper_.map(*m, issues);
    EXPECT_NE(mapped, nullptr);
    return adapter.decide(*m, *mapped);
  }

  // The adapter over the fixture's context; counts the provider's calls.
  V2StudyAdapter adapter() {
    return V2StudyAdapter([this](core::Issues&) {
      calls_++;
      return std::shared_ptr<const StudyContext>(context_);
    });
  }

  mapping::V2Mapper mapper_{conformance::Context::r4()};
  std::optional<study::Trial> trial_;
  std::optional<mapping::Pseudonymizer> secret_;
  std::unique_ptr<MemorySubjectDirectory> directory_;
  std::shared_ptr<StudyContext> context_;
  std::atomic<int> calls_{0};
};

TEST_F(V2StudyTest, ASubjectsMessageGivesThePseudonymisedPlacedResultsToWrite) {
  const V2StudyAdapter a = adapter();
  const V2Decision d = decide(a, oru());
  EXPECT_EQ(calls_, 1);
  EXPECT_FALSE(d.issues.hasErrors());
  ASSERT_NE(d.writes, nullptr);
  const std::string json = core::writeJson(*d.writes->root());
  EXPECT_TRUE(has(json, R"("type":"transaction")")) << json;
  EXPECT_TRUE(has(json, "Patient/nct06813157-pt-ITP-0001")) << json;
  EXPECT_TRUE(has(json, R"("valueString":"v1-screening")")) << json;
  // The Provenance names the message by its receipt key and takes MSH-7 as its time.
  EXPECT_TRUE(has(json, "hl7:LIS|TAIXIN|M7")) << json;
  EXPECT_TRUE(has(json, "2025-02-03T08:00:00+08:00")) << json;
  for (std::string_view identity : {"MRN0048213", "Wang", "19880412", "1988-04-12"}) {
    EXPECT_FALSE(has(json, identity)) << identity;
  }
}

TEST_F(V2StudyTest, APatientWhoIsNoSubjectLeavesOnlyTheReceipt) {
  const V2StudyAdapter a = adapter();
  const V2Decision d = decide(a, oru("MRN9999999"));
  EXPECT_EQ(calls_, 1);
  EXPECT_EQ(d.writes, nullptr);
  EXPECT_TRUE(d.issues.items().empty());
}

TEST_F(V2StudyTest, TheObserverIsToldWhoIsNoSubject) {
  std::vector<int> notSubjects;
  const V2StudyAdapter a(
      [this](core::Issues&) { return std::shared_ptr<const StudyContext>(context_); },
      [&](const StudyOutcome& out) { notSubjects.push_back(out.notSubjects); });
  decide(a, oru("MRN9999999"));
  decide(a, oru());
  EXPECT_EQ(notSubjects, (std::vector<int>{1, 0}));
}

TEST_F(V2StudyTest, NoStudyLoadedLeavesOnlyTheReceipt) {
  const V2StudyAdapter a([](core::Issues&) { return std::shared_ptr<const StudyContext>(); });
  const V2Decision d = decide(a, oru());
  EXPECT_EQ(d.writes, nullptr);
  EXPECT_TRUE(d.issues.items().empty());
}

TEST_F(V2StudyTest, AContextThatCannotBeBuiltIsAnErrorOfTheMessage) {
  const V2StudyAdapter a([](core::Issues& issues) {
    issues.add(core::Severity::Error, core::IssueType::Exception, "no secret");
    return std::shared_ptr<const StudyContext>();
  });
  const V2Decision d = decide(a, oru());
  EXPECT_EQ(d.writes, nullptr);
  ASSERT_TRUE(d.issues.hasErrors());
  EXPECT_EQ(d.issues.items().front().message, "no secret");
}

// The directory cannot answer: the context's error is the message's, and nothing is written.
class FailingDirectory final : public study::SubjectDirectory {
 public:
  core::Result<std::optional<study::DirectoryEntry>> findByPseudonym(
      const study::Trial&, std::string_view) const override {
    return core::Result<std::optional<study::DirectoryEntry>>::error("directory down");
  }
  core::Result<std::vector<study::DoseGiven>> doses(const study::Trial&,
                                                    const study::DirectoryEntry&) const override {
    return core::Result<std::vector<study::DoseGiven>>::error("directory down");
  }
  core::Result<std::vector<study::LabResult>> results(const study::Trial&,
                                                      const study::DirectoryEntry&,
                                                      std::span<const study::Coding>, int64_t,
                                                      size_t, int64_t) const override {
    return core::Result<std::vector<study::LabResult>>::error("directory down");
  }
};

TEST_F(V2StudyTest, TheContextsErrorsAreTheMessagesAndNothingIsWritten) {
  const FailingDirectory failing;
  auto context = std::make_shared<const StudyContext>(
      std::vector<StudyTrial>{{&*trial_, &*secret_}}, failing, conformance::Context::r4());
  const V2StudyAdapter a([context](core::Issues&) { return context; });
  const V2Decision d = decide(a, oru());
  EXPECT_EQ(d.writes, nullptr);
  ASSERT_TRUE(d.issues.hasErrors());
  EXPECT_TRUE(has(d.issues.items().front().message, "directory down"));
}

}  // namespace v2_study_test
}  // namespace trialbridge::pipeline
