// The study context (pipeline/study_context.h) on v2 messages mapped by the ORU mapper, with the
// reference trial and its sample subject ITP-0001 in a MemorySubjectDirectory: matching,
// identity, look-back, placement, IWG response and its re-derivation, draft adverse events,
// Provenance, and a directory that cannot answer.
#include "pipeline/study_context.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "conformance/context.h"
#include "conformance/profiles.h"
#include "core/json.h"
#include "hl7v2/batch.h"
#include "hl7v2/message.h"
#include "mapping/oru_mapping.h"
#include "pipeline/memory_subject_directory.h"
#include "study/entity_reader.h"
#include "study/instant.h"
#include "study/trial_reader.h"

namespace trialbridge::pipeline {
namespace study_context_test {

constexpr std::string_view kMrnSystem = "https://dongguan-taixin.example/sid/mrn";
constexpr std::string_view kPatient = "Patient/nct06813157-pt-ITP-0001";

std::string source(const std::string& relative) {
  std::ifstream in(std::string(TB_SOURCE_ROOT) + "/" + relative, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const study::Trial& trial() {
  static const study::Trial t = [] {
    core::Issues issues;
    return *study::readTrial(source("samples/trials/NCT06813157.json"), issues);
  }();
  return t;
}

const mapping::Pseudonymizer& secret() {
  static const mapping::Pseudonymizer p = *mapping::Pseudonymizer::fromFile(
      std::string(TB_SOURCE_ROOT) + "/samples/entities/demo.secret");
  return p;
}

struct Result {
  std::string code, value, unit, range, time;
  std::string status = "F";
};
constexpr std::string_view kPlt = "777-3^Platelets^LN";
constexpr std::string_view kAlt = "1742-6^ALT^LN";

// An ORU^R01 of ITP-0001 (or of `pid3`) with one order (filler number `filler`) of results.
std::string oru(std::string_view id, std::string_view filler, const std::vector<Result>& results,
                std::string pid3 =
                    "MRN0048213^^^TAIXIN&https://dongguan-taixin.example/sid/"
                    "mrn&URI^MR") {
  const std::string time = results.front().time;
  std::string m = "MSH|^~\\&|LIS|TAIXIN|TRIALBRIDGE|NCT06813157|" + time + "||ORU^R01^ORU_R01|" +
                  std::string(id) + "|P|2.5.1\r" + "PID|1||" + pid3 + "||Wang^Li||19880412|F\r" +
                  "OBR|1||" + std::string(filler) + "|LAB^Lab panel^99TXL|||" + time +
                  "|||||||||||||||" + time + "|||F\r";
  int n = 1;
  for (const Result& r : results) {
    m += "OBX|" + std::to_string(n++) + "|NM|" + r.code + "||" + r.value + "|" + r.unit +
         "^^UCUM|" + r.range + "||||" + r.status + "|||" + r.time + "\r";
  }
  return m;
}

class StudyContextTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { mapper_ = new mapping::V2Mapper(conformance::Context::r4()); }
  static void TearDownTestSuite() { delete mapper_; }

  void SetUp() override { reset({}); }

  void reset(StudyContextOptions options) {
    core::Issues issues;
    auto e = study::readEntity(source("samples/entities/nct06813157-subject-itp-0001.json"),
                               trial(), issues);
    ASSERT_TRUE(e) << issues.items().front().message;
    directory_ = std::make_unique<MemorySubjectDirectory>(
        trial(), std::vector<study::SubjectRecord>{e->subject}, secret());
    context_ =
        std::make_unique<StudyContext>(std::vector<StudyTrial>{{&trial(), &secret()}}, *directory_,
                                       conformance::Context::r4(), std::move(options));
  }

  // Maps and applies a message; remembers what it wrote, as the store would.
  StudyOutcome send(const std::string& message) {
    core::Issues issues;
    std::optional<hl7v2::Message> m = hl7v2::parseMessage(message, issues);
    EXPECT_TRUE(m && !issues.hasErrors());
    std::unique_ptr<core::Document> mapped = mapper_->map(*m, issues);
    EXPECT_TRUE(mapped) << (issues.items().empty() ? "" : issues.items().front().message);
    StudyOutcome out = context_->apply(*mapped->root(), "hl7:LIS|TAIXIN|" + messageId(message),
                                       "2025-06-01T00:00:00Z");
    if (out.writes) {
      directory_->remember(*out.writes->root());
      last_ = core::writeJson(*out.writes->root());
    } else {
      last_.clear();
    }
    return out;
  }
  static std::string messageId(const std::string& m) {
    const size_t at = m.find("ORU_R01|") + 8;
    return m.substr(at, m.find('|', at) - at);
  }

  // The written resources of the last Bundle, by type.
  std::vector<std::string> written(std::string_view type) const {
    std::vector<std::string> out;
    const std::string marker = "\"resourceType\":\"" + std::string(type) + "\"";
    for (size_t at = last_.find(marker); at != std::string::npos; at = last_.find(marker, at + 1)) {
      const size_t end = last_.find("\"request\"", at);
      out.push_back(last_.substr(at, end - at));
    }
    return out;
  }
  std::vector<std::string> responses() const {
    std::vector<std::string> out;
    for (const std::string& o : written("Observation")) {
      if (o.find("\"id\":\"tbresp-") != std::string::npos) out.push_back(o);
    }
    return out;
  }

  static mapping::V2Mapper* mapper_;
  std::unique_ptr<MemorySubjectDirectory> directory_;
  std::unique_ptr<StudyContext> context_;
  std::string last_;
};
mapping::V2Mapper* StudyContextTest::mapper_ = nullptr;

bool has(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST_F(StudyContextTest, APatientWhoIsNoSubjectLeavesNothing) {
  const StudyOutcome out =
      send(oru("M1", "F1", {{std::string(kPlt), "18", "10*9/L", "125-350", "20250203074500+0800"}},
               "MRN9999999^^^TAIXIN&https://dongguan-taixin.example/sid/mrn&URI^MR"));
  EXPECT_EQ(out.writes, nullptr);
  EXPECT_EQ(out.notSubjects, 1);
  EXPECT_EQ(out.subjects, 0);
  EXPECT_EQ(out.notSubjectResults, 1);
  EXPECT_EQ(out.stored, 0);
  EXPECT_TRUE(out.issues.items().empty());
}

TEST_F(StudyContextTest, TheSubjectsResultsArePseudonymousAndPlaced) {
  const StudyOutcome out = send(
      oru("M1", "F1", {{std::string(kPlt), "18", "10*9/L", "125-350", "20250203074500+0800"}}));
  ASSERT_NE(out.writes, nullptr);
  EXPECT_EQ(out.subjects, 1);
  EXPECT_EQ(out.stored, 1);
  // Only the Observation and its Provenance: no Patient, Encounter, order or specimen.
  EXPECT_TRUE(written("Patient").empty());
  EXPECT_TRUE(written("Encounter").empty());
  EXPECT_TRUE(written("ServiceRequest").empty());
  EXPECT_TRUE(written("DiagnosticReport").empty());
  ASSERT_EQ(written("Observation").size(), 1u);
  ASSERT_EQ(written("Provenance").size(), 1u);
  const std::string obs = written("Observation")[0];
  EXPECT_TRUE(has(obs, "\"reference\":\"" + std::string(kPatient) + "\"")) << obs;
  EXPECT_TRUE(has(obs, "ResearchStudy/nct06813157")) << obs;
  EXPECT_TRUE(has(obs, std::string(conformance::profiles::kObservation)));
  EXPECT_TRUE(has(obs, R"("valueString":"v1-screening")")) << obs;
  EXPECT_TRUE(has(obs, R"("valueCode":"in-window")")) << obs;
  // Nothing of the patient's identity anywhere in what is written (the sender's name is in the
  // Provenance's source key: it is the hospital's, not the patient's).
  for (std::string_view identity : {"MRN0048213", "Wang", "1988"})
    EXPECT_FALSE(has(last_, identity)) << identity;
}

TEST_F(StudyContextTest, AnIdentifierWithoutSystemIsMatchedThroughTheSitesMap) {
  const std::string message =
      oru("M1", "F1", {{std::string(kPlt), "18", "10*9/L", "125-350", "20250203074500+0800"}},
          "MRN0048213^^^TAIXIN^MR");
  EXPECT_EQ(send(message).subjects, 0);  // without the map: no system, no match
  reset({{{"TAIXIN", std::string(kMrnSystem)}}});
  const StudyOutcome out = send(message);
  EXPECT_EQ(out.subjects, 1);
  EXPECT_EQ(out.stored, 1);
}

// Consent 2025-02-01T10:15+08:00; the trial keeps 6 months before it.
TEST_F(StudyContextTest, ResultsBeforeConsentAreKeptOnlyWithinTheLookBack) {
  const StudyOutcome old = send(
      oru("M1", "F1", {{std::string(kPlt), "25", "10*9/L", "125-350", "20240715080000+0800"}}));
  EXPECT_EQ(old.beforeConsent, 1);
  EXPECT_EQ(old.stored, 0);
  EXPECT_EQ(old.writes, nullptr);
  const StudyOutcome recent = send(
      oru("M2", "F2", {{std::string(kPlt), "24", "10*9/L", "125-350", "20241115080000+0800"}}));
  EXPECT_EQ(recent.beforeConsent, 0);
  EXPECT_EQ(recent.stored, 1);
}

// Baseline 22 before the first dose (2025-02-12); R needs >= 30 and >= 44; CR >= 100; two counts
// more than 7 days apart confirm.
TEST_F(StudyContextTest, PlateletResponseIsDerivedAndReDerivedWhenACountIsCorrected) {
  send(oru("B", "FB", {{std::string(kPlt), "22", "10*9/L", "125-350", "20250211075000+0800"}}));
  EXPECT_TRUE(responses().empty());  // before treatment: no response
  StudyOutcome d14 = send(
      oru("D14", "F14", {{std::string(kPlt), "64", "10*9/L", "125-350", "20250416082000+0800"}}));
  EXPECT_EQ(d14.derived, 1);
  ASSERT_EQ(responses().size(), 1u);
  EXPECT_TRUE(has(responses()[0], R"("code":"R")")) << responses()[0];
  EXPECT_TRUE(has(responses()[0], R"("status":"preliminary")"));
  EXPECT_TRUE(has(responses()[0], R"("valueString":"fu-d14")"));
  EXPECT_TRUE(has(responses()[0], "not confirmed yet"));
  const std::string d14Response = responses()[0].substr(0, responses()[0].find(",\"meta\""));

  send(oru("M1", "FM1", {{std::string(kPlt), "70", "10*9/L", "125-350", "20250502081500+0800"}}));
  ASSERT_EQ(responses().size(), 1u);  // only the new count's: the earlier did not change
  EXPECT_TRUE(has(responses()[0], R"("code":"R")"));
  EXPECT_TRUE(has(responses()[0], ", confirmed")) << responses()[0];

  // D14 corrected to 40 (below twice the baseline): its response is NR now, and the later
  // count's R is no longer confirmed; both are written again under the same ids.
  StudyOutcome corrected = send(oru(
      "D14C", "F14", {{std::string(kPlt), "40", "10*9/L", "125-350", "20250416082000+0800", "C"}}));
  EXPECT_EQ(corrected.derived, 2);
  ASSERT_EQ(responses().size(), 2u);
  EXPECT_TRUE(has(responses()[0], d14Response)) << responses()[0];  // the same resource id
  EXPECT_TRUE(has(responses()[0], R"("code":"NR")")) << responses()[0];
  EXPECT_TRUE(has(responses()[1], R"("code":"R")"));
  EXPECT_TRUE(has(responses()[1], "not confirmed yet")) << responses()[1];
}

// ALT ULN 40, baseline 23 (normal): > 5 x ULN is grade 3, > 20 x ULN grade 4 (CTCAE v5.0).
TEST_F(StudyContextTest, DraftAdverseEventsFromTheTrialsGradeOnceAnEpisode) {
  send(oru("B", "FB", {{std::string(kAlt), "23", "U/L", "7-40", "20250211075000+0800"}}));
  StudyOutcome two =
      send(oru("A1", "FA1", {{std::string(kAlt), "150", "U/L", "7-40", "20250301080000+0800"}}));
  EXPECT_EQ(two.drafts, 0);  // 3.75 x ULN: grade 2, below the trial's 3
  StudyOutcome three =
      send(oru("A2", "FA2", {{std::string(kAlt), "250", "U/L", "7-40", "20250308080000+0800"}}));
  EXPECT_EQ(three.drafts, 1);
  ASSERT_EQ(written("AdverseEvent").size(), 1u);
  const std::string ae = written("AdverseEvent")[0];
  EXPECT_TRUE(has(ae, R"("actuality":"potential")")) << ae;
  EXPECT_TRUE(has(ae, "Alanine aminotransferase increased")) << ae;
  EXPECT_TRUE(has(ae, R"("code":"3")")) << ae;
  EXPECT_TRUE(has(ae, std::string(kPatient)));
  StudyOutcome again =
      send(oru("A3", "FA3", {{std::string(kAlt), "260", "U/L", "7-40", "20250315080000+0800"}}));
  EXPECT_EQ(again.drafts, 0);  // the same episode, the same grade
  StudyOutcome four =
      send(oru("A4", "FA4", {{std::string(kAlt), "900", "U/L", "7-40", "20250322080000+0800"}}));
  EXPECT_EQ(four.drafts, 1);  // worse: grade 4
  send(oru("A5", "FA5", {{std::string(kAlt), "30", "U/L", "7-40", "20250329080000+0800"}}));
  StudyOutcome newEpisode =
      send(oru("A6", "FA6", {{std::string(kAlt), "260", "U/L", "7-40", "20250405080000+0800"}}));
  EXPECT_EQ(newEpisode.drafts, 1);  // after a result below the threshold: a new episode
}

TEST_F(StudyContextTest, OneProvenanceNamesWhatWasWrittenAndWhatItCameFrom) {
  send(oru("B", "FB", {{std::string(kPlt), "22", "10*9/L", "125-350", "20250211075000+0800"}}));
  send(oru("D14", "F14", {{std::string(kPlt), "64", "10*9/L", "125-350", "20250416082000+0800"}}));
  ASSERT_EQ(written("Provenance").size(), 1u);
  const std::string prov = written("Provenance")[0];
  const std::string obs = written("Observation")[0];
  const std::string obsId = obs.substr(obs.find("\"id\":\"") + 6, 30);
  EXPECT_TRUE(has(prov, "Observation/" + obsId)) << prov;
  EXPECT_TRUE(has(prov, "Observation/tbresp-")) << prov;
  EXPECT_TRUE(has(prov, R"("value":"hl7:LIS|TAIXIN|D14")")) << prov;
  EXPECT_TRUE(has(prov, R"("role":"derivation")")) << prov;
  EXPECT_TRUE(has(prov, R"("recorded":"2025-06-01T00:00:00Z")")) << prov;
}

// A directory that cannot answer: an error, nothing written.
class BrokenDirectory final : public study::SubjectDirectory {
 public:
  core::Result<std::optional<study::DirectoryEntry>> findByPseudonym(
      const study::Trial&, std::string_view) const override {
    return core::Result<std::optional<study::DirectoryEntry>>::error("database is down");
  }
  core::Result<std::vector<study::DoseGiven>> doses(const study::Trial&,
                                                    const study::DirectoryEntry&) const override {
    return core::Result<std::vector<study::DoseGiven>>::error("database is down");
  }
  core::Result<std::vector<study::LabResult>> results(const study::Trial&,
                                                      const study::DirectoryEntry&,
                                                      std::span<const study::Coding>, int64_t,
                                                      size_t, int64_t) const override {
    return core::Result<std::vector<study::LabResult>>::error("database is down");
  }
};

// Records what the context asks the directory for (issue 15: a result's cost must not grow with
// the subject's history, so it asks for bounded sets).
class RecordingDirectory final : public study::SubjectDirectory {
 public:
  struct Ask {
    int64_t from, before;
    size_t limit, answered;
  };
  explicit RecordingDirectory(const MemorySubjectDirectory& inner) : inner_(inner) {}
  core::Result<std::optional<study::DirectoryEntry>> findByPseudonym(
      const study::Trial& t, std::string_view pseudonym) const override {
    return inner_.findByPseudonym(t, pseudonym);
  }
  core::Result<std::vector<study::DoseGiven>> doses(const study::Trial& t,
                                                    const study::DirectoryEntry& s) const override {
    return inner_.doses(t, s);
  }
  core::Result<std::vector<study::LabResult>> results(const study::Trial& t,
                                                      const study::DirectoryEntry& s,
                                                      std::span<const study::Coding> tests,
                                                      int64_t from, size_t limit,
                                                      int64_t before) const override {
    auto r = inner_.results(t, s, tests, from, limit, before);
    asks.push_back({from, before, limit, r ? r->size() : 0});
    return r;
  }
  mutable std::vector<Ask> asks;

 private:
  const MemorySubjectDirectory& inner_;
};

// At most resultsLimit results of a test are read for a new one (one search); when they all
// come after the first dose, the baseline is asked for apart (the latest few before it), so it
// is never lost however long the course. 24 earlier counts of 100 do not make the baseline (the
// last, 22).
TEST_F(StudyContextTest, TheResultsReadAreBoundedAndTheBaselineIsNeverCutOff) {
  StudyContextOptions options;
  options.resultsLimit = 4;
  reset(options);
  for (int hour = 0; hour < 24; ++hour) {
    char at[32];
    std::snprintf(at, sizeof at, "20250210%02d0000+0800", hour);
    send(oru("P" + std::to_string(hour), "FP" + std::to_string(hour),
             {{std::string(kPlt), "100", "10*9/L", "125-350", at}}));
  }
  send(oru("B", "FB", {{std::string(kPlt), "22", "10*9/L", "125-350", "20250211075000+0800"}}));
  for (int day = 16; day < 22; ++day) {
    const std::string at = "202504" + std::to_string(day) + "082000+0800";
    send(oru("T" + std::to_string(day), "FT" + std::to_string(day),
             {{std::string(kPlt), "64", "10*9/L", "125-350", at}}));
  }
  RecordingDirectory recording(*directory_);
  context_ = std::make_unique<StudyContext>(std::vector<StudyTrial>{{&trial(), &secret()}},
                                            recording, conformance::Context::r4(), options);
  const StudyOutcome m1 = send(
      oru("M1", "FM1", {{std::string(kPlt), "70", "10*9/L", "125-350", "20250502081500+0800"}}));
  EXPECT_EQ(m1.derived, 1);
  ASSERT_EQ(responses().size(), 1u);
  EXPECT_TRUE(has(responses()[0], R"("code":"R")")) << responses()[0];
  EXPECT_TRUE(has(responses()[0], "baseline 22")) << responses()[0];
  bool askedForTheBaseline = false;
  ASSERT_FALSE(recording.asks.empty());
  for (const RecordingDirectory::Ask& a : recording.asks) {
    EXPECT_LE(a.limit, 16u);
    EXPECT_LE(a.answered, a.limit);
    if (a.before != study::kNoUpperBound) askedForTheBaseline = true;
  }
  EXPECT_TRUE(askedForTheBaseline);
}

// The course is read in windows of the latest counts (64, doubling up to resultsLimit) that
// grow until they decide the new count as the whole history would (study::settledBefore).
class StudyContextWindowTest : public StudyContextTest {
 protected:
  // The baseline (22 on 2025-02-11), then a count every 12 hours from 2025-02-13 08:00 to
  // 2025-04-30 20:00 (154 counts) valued by `value(i)`, then 60 on 2025-05-01 08:00.
  template <typename Value>
  void history(Value value) {
    send(oru("B", "FB", {{std::string(kPlt), "22", "10*9/L", "125-350", "20250211075000+0800"}}));
    for (int i = 0; i < 154; ++i) {
      const int64_t t =
          study::parseInstant("2025-02-13T08:00:00+08:00")->seconds + int64_t{i} * 43200;
      const std::string iso = study::formatSeconds(t, 480);  // YYYY-MM-DDThh:mm:ss+08:00
      std::string v2;
      for (char c : iso.substr(0, 19)) {
        if (c >= '0' && c <= '9') v2 += c;
      }
      send(oru("H" + std::to_string(i), "FH" + std::to_string(i),
               {{std::string(kPlt), value(i), "10*9/L", "125-350", v2 + "+0800"}}));
    }
    send(oru("L", "FL", {{std::string(kPlt), "60", "10*9/L", "125-350", "20250501080000+0800"}}));
  }
  // The M1 count (60 on 2025-05-02, reported at fu-m1) through a recording directory.
  std::string m1(RecordingDirectory& recording, StudyContextOptions options = {}) {
    context_ = std::make_unique<StudyContext>(std::vector<StudyTrial>{{&trial(), &secret()}},
                                              recording, conformance::Context::r4(), options);
    send(oru("M1", "FM1", {{std::string(kPlt), "60", "10*9/L", "125-350", "20250502081500+0800"}}));
    return responses().empty() ? std::string() : responses()[0];
  }
  static size_t largestAsk(const RecordingDirectory& r) {
    size_t out = 0;
    for (const RecordingDirectory::Ask& a : r.asks) out = std::max(out, a.limit);
    return out;
  }
};

TEST_F(StudyContextWindowTest, AConfirmedCourseIsDecidedByTheFirstWindow) {
  history([](int) { return std::string("150"); });  // CR, confirmed again at every count
  RecordingDirectory recording(*directory_);
  const std::string response = m1(recording);
  EXPECT_TRUE(has(response, R"("code":"CR-lost")")) << response;  // below 100 for over a day
  EXPECT_EQ(largestAsk(recording), 64u);
}

// A CR confirmed in February and never confirmed or lost since (counts above and below 100 in
// turn, 12 hours apart) is lost at M1: only the whole history knows it was held.
TEST_F(StudyContextWindowTest, AWindowGrowsUntilItKnowsWhatWasHeld) {
  // CR from 2025-02-13 08:00 to 02-22 08:00 (confirmed after 7 days), then 80 and 120 in turn.
  const auto turns = [](int i) { return std::string(i <= 18 ? "150" : i % 2 == 1 ? "80" : "120"); };
  history(turns);
  RecordingDirectory recording(*directory_);
  const std::string response = m1(recording);
  EXPECT_TRUE(has(response, R"("code":"CR-lost")")) << response;
  EXPECT_GT(largestAsk(recording), 64u);  // the first window did not decide
  // Bounded to 64, the window cannot see the CR held: the bound's answer, not the history's.
  reset({});
  history(turns);
  RecordingDirectory bounded(*directory_);
  StudyContextOptions options;
  options.resultsLimit = 64;
  const std::string capped = m1(bounded, options);
  EXPECT_TRUE(has(capped, R"("code":"R")")) << capped;
  EXPECT_EQ(largestAsk(bounded), 64u);
}

TEST_F(StudyContextTest, ADirectoryThatCannotAnswerIsAnErrorAndWritesNothing) {
  BrokenDirectory broken;
  context_ = std::make_unique<StudyContext>(std::vector<StudyTrial>{{&trial(), &secret()}}, broken,
                                            conformance::Context::r4());
  const StudyOutcome out = send(
      oru("M1", "F1", {{std::string(kPlt), "18", "10*9/L", "125-350", "20250203074500+0800"}}));
  EXPECT_EQ(out.writes, nullptr);
  EXPECT_TRUE(out.issues.hasErrors());
  EXPECT_TRUE(has(out.issues.items().front().message, "database is down"));
}

// The golden subject course (tests/pipeline/golden/itp-0001-course.hl7, ITP-0001 with its five
// infusions): screening, baseline, follow-ups D14 to M12 with a response reached (D14), a
// complete response confirmed (M2), lost (M6) and the response lost (M9), an ALT rise to grade 3
// with its draft AE (M2), and the M1 count corrected, which re-derives M1 to M12. The Bundles are
// what `trialbridge map-v2 --trial --subjects` prints for the file (one a line); regenerate on
// purpose with TB_UPDATE_GOLDENS=1.
TEST(StudyContextGolden, TheSubjectCourseGivesTheExpectedBundles) {
  const std::string dir = std::string(TB_SOURCE_ROOT) + "/tests/pipeline/golden/";
  core::Issues issues;
  auto e = study::readEntity(source("tests/pipeline/golden/itp-0001-course-subject.json"), trial(),
                             issues);
  ASSERT_TRUE(e);
  MemorySubjectDirectory directory(trial(), {e->subject}, secret());
  const StudyContext context({{&trial(), &secret()}}, directory, conformance::Context::r4());
  const mapping::V2Mapper mapper(conformance::Context::r4());
  const std::string text = source("tests/pipeline/golden/itp-0001-course.hl7");
  std::optional<hl7v2::Batch> batch = hl7v2::readBatch(text, issues);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->messages.size(), 10u);
  std::string output;
  for (const hl7v2::Batch::Part& part : batch->messages) {
    std::optional<hl7v2::Message> m = hl7v2::parseMessage(part.text, issues);
    ASSERT_TRUE(m);
    std::unique_ptr<core::Document> mapped = mapper.map(*m, issues);
    ASSERT_TRUE(mapped);
    StudyOutcome out =
        context.apply(*mapped->root(), v2SourceKey(*m), mappedRecorded(*mapped->root()));
    ASSERT_NE(out.writes, nullptr);
    EXPECT_TRUE(out.issues.items().empty());
    directory.remember(*out.writes->root());
    output += core::writeJson(*out.writes->root()) + "\n";
  }
  EXPECT_FALSE(issues.hasErrors());
  const std::string golden = dir + "itp-0001-course.ndjson";
  if (const char* update = std::getenv("TB_UPDATE_GOLDENS"); update != nullptr && *update == '1') {
    std::ofstream(golden, std::ios::binary) << output;
    GTEST_SKIP() << "wrote " << golden;
  }
  const std::string expected = source("tests/pipeline/golden/itp-0001-course.ndjson");
  ASSERT_FALSE(expected.empty()) << golden << " is missing";
  std::istringstream a(output), b(expected);
  std::string la, lb;
  for (int line = 1; std::getline(b, lb); ++line) {
    ASSERT_TRUE(std::getline(a, la)) << "message " << line << " wrote nothing";
    EXPECT_EQ(la, lb) << "message " << line;
  }
  EXPECT_FALSE(std::getline(a, la)) << "more Bundles than expected";
  // The course's milestones, as the golden holds them.
  for (std::string_view milestone : {R"("code":"R"})", R"("code":"CR"})", R"("code":"CR-lost"})",
                                     R"("code":"R-lost"})", R"("actuality":"potential")"}) {
    EXPECT_NE(expected.find(milestone), std::string::npos) << milestone;
  }
}

}  // namespace study_context_test
}  // namespace trialbridge::pipeline
