// Reading entity files: the samples read cleanly; each kind of mistake gets a precise error.
#include "study/entity_reader.h"

#include <gtest/gtest.h>

#include "edit_util.h"

namespace trialbridge::study {
namespace {

using namespace test;

const Trial& trial() {
  static const Trial t = sampleTrial();
  return t;
}

constexpr const char* kSubject = "samples/entities/nct06813157-subject-itp-0001.json";
constexpr const char* kEvent = "samples/entities/nct06813157-ae-itp-0001-01.json";
constexpr const char* kSerious = "samples/entities/nct06813157-ae-itp-0003-02.json";

TEST(EntityReader, ReadsTheSamples) {
  for (const char* f : {"samples/entities/nct06813157-subject-itp-0001.json",
                        "samples/entities/nct06813157-subject-itp-0002.json",
                        "samples/entities/nct06813157-subject-itp-0003.json",
                        "samples/entities/nct06813157-ae-itp-0001-01.json",
                        "samples/entities/nct06813157-ae-itp-0003-01.json",
                        "samples/entities/nct06813157-ae-itp-0003-02.json"}) {
    core::Issues issues;
    EXPECT_TRUE(readEntity(readSource(f), trial(), issues)) << f << "\n" << describe(issues);
    EXPECT_EQ(issues.size(), 0u) << f << "\n" << describe(issues);
  }
  const Trial tbx = sampleTrial("samples/trials/tbx101-fih-01.json");
  for (const char* f : {"samples/entities/tbx101-subject-101-001.json",
                        "samples/entities/tbx101-ae-101-001-01.json"}) {
    core::Issues issues;
    EXPECT_TRUE(readEntity(readSource(f), tbx, issues)) << f << "\n" << describe(issues);
  }
}

TEST(EntityReader, Subject) {
  core::Issues issues;
  auto e = readEntity(readSource(kSubject), trial(), issues);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->kind, Entity::Kind::Subject);
  const SubjectRecord& s = e->subject;
  EXPECT_EQ(s.subjectId, "ITP-0001");
  EXPECT_EQ(s.status, "on-study-intervention");
  ASSERT_EQ(s.history.size(), 4u);
  EXPECT_EQ(s.history[3].date, "2025-02-12T09:30:00+08:00");  // seconds added for FHIR
  EXPECT_EQ(s.consent->date, "2025-02-01T10:15:00+08:00");
  EXPECT_EQ(s.hospitalIdentifiers[0].value, "MRN0048213");
}

TEST(EntityReader, DosesAndChildbearingPotential) {
  core::Issues issues;
  auto e = readEntity(readSource(kSubject), trial(), issues);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->subject.childbearingPotential, true);
  ASSERT_EQ(e->subject.doses.size(), 1u);
  EXPECT_EQ(e->subject.doses[0].timepoint, "inf-1");
  EXPECT_EQ(e->subject.doses[0].occurrence, 1);
  EXPECT_EQ(e->subject.doses[0].dateTime, "2025-02-12T09:30:00+08:00");
  const Trial tbx = sampleTrial("samples/trials/tbx101-fih-01.json");
  auto t = readEntity(readSource("samples/entities/tbx101-subject-101-001.json"), tbx, issues);
  ASSERT_TRUE(t) << describe(issues);
  EXPECT_EQ(t->subject.childbearingPotential, false);
  ASSERT_EQ(t->subject.doses.size(), 2u);
  EXPECT_EQ(t->subject.doses[1].timepoint, "esc-cnd1");
  auto none =
      readEntity(readSource("samples/entities/nct06813157-subject-itp-0002.json"), trial(), issues);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->subject.childbearingPotential);
  EXPECT_TRUE(none->subject.doses.empty());
}

TEST(EntityReader, StatusSynonymsMapToR4) {
  core::Issues issues;
  auto e =
      readEntity(readSource("samples/entities/nct06813157-subject-itp-0002.json"), trial(), issues);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->subject.statusAsGiven, "screen-failed");
  EXPECT_EQ(e->subject.status, "ineligible");
}

TEST(EntityReader, SeverityFromTheCtcaeGrade) {
  core::Issues issues;
  auto e = readEntity(readSource(kSerious), trial(), issues);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->adverseEvent.ctcaeGrade, 3);
  EXPECT_EQ(e->adverseEvent.severity, "severe");
}

struct Mistake {
  const char* name;
  const char* file;
  std::function<void(rapidjson::Document&)> edit;
  const char* path;
  const char* message;
};

const std::vector<Mistake>& mistakes() {
  static const std::vector<Mistake> kMistakes = {
      {"NoKind", kSubject, [](auto& d) { erase(d, "/kind"); }, "$",
       "missing required property 'kind'"},
      {"UnknownKind", kSubject, [](auto& d) { set(d, "/kind", "\"patient\""); }, "$.kind",
       "must be 'subject' or 'adverseEvent'"},
      {"OtherTrial", kSubject, [](auto& d) { set(d, "/trial", "\"NCT00000000\""); }, "$.trial",
       "not for the trial being mapped (nct06813157, NCT06813157)"},
      {"SchemaUnknownProperty", kSubject, [](auto& d) { set(d, "/mrn", "\"MRN1\""); }, "$.mrn",
       "unknown property 'mrn'"},
      {"NoHospitalIdentifier", kSubject, [](auto& d) { set(d, "/hospitalIdentifiers", "[]"); },
       "$.hospitalIdentifiers", "expected at least 1 item(s)"},
      {"HospitalIdentifierWithoutSystem", kSubject,
       [](auto& d) { erase(d, "/hospitalIdentifiers/0/system"); }, "$.hospitalIdentifiers[0]",
       "missing required property 'system'"},
      {"BadBirthDate", kSubject, [](auto& d) { set(d, "/birthDate", "\"12/04/1988\""); },
       "$.birthDate", "expected a date"},
      {"BadSubjectId", kSubject, [](auto& d) { set(d, "/subjectId", "\"ITP 0001\""); },
       "$.subjectId", "a subject number is 1 to 32 letters"},
      {"UnknownStatus", kSubject, [](auto& d) { set(d, "/status", "\"active\""); }, "$.status",
       "'active' is not a subject status; use one of:"},
      {"UnknownHistoryStatus", kSubject,
       [](auto& d) { set(d, "/statusHistory/1/status", "\"passed\""); },
       "$.statusHistory[1].status", "'passed' is not a subject status"},
      {"HistoryOutOfOrder", kSubject,
       [](auto& d) { set(d, "/statusHistory/1/date", "\"2025-01-01\""); },
       "$.statusHistory[1].date", "not in date order"},
      {"UnknownArm", kSubject, [](auto& d) { set(d, "/arm", "\"placebo\""); }, "$.arm",
       "the trial has no arm with the id 'placebo'"},
      {"UnknownSite", kSubject, [](auto& d) { set(d, "/site", "\"beijing\""); }, "$.site",
       "the trial has no site with the id 'beijing'"},
      {"ConsentBeforeBirth", kSubject, [](auto& d) { set(d, "/consent/date", "\"1980-01-01\""); },
       "$.consent.date", "consent is dated before the birth date"},
      {"WithdrawnBeforeConsent", kSubject,
       [](auto& d) { set(d, "/consent/withdrawnDate", "\"2025-01-15\""); },
       "$.consent.withdrawnDate", "withdrawn before it was given"},
      {"DateTimeWithoutZone", kSubject,
       [](auto& d) { set(d, "/consent/date", "\"2025-02-01T10:15\""); }, "$.consent.date",
       "with its zone"},
      {"SeriousWithoutCriteria", kSerious, [](auto& d) { erase(d, "/seriousnessCriteria"); },
       "$.serious", "a serious event names at least one seriousness criterion"},
      {"CriteriaOfANonSeriousEvent", kEvent,
       [](auto& d) { set(d, "/seriousnessCriteria", "[\"disability\"]"); }, "$.seriousnessCriteria",
       "the event is not serious"},
      {"UnknownCriterion", kSerious,
       [](auto& d) { set(d, "/seriousnessCriteria/0", "\"hospitalised\""); },
       "$.seriousnessCriteria[0]", "a seriousness criterion is one of"},
      {"SeverityAgainstGrade", kEvent, [](auto& d) { set(d, "/severity", "\"severe\""); },
       "$.severity", "disagrees with CTCAE grade 1 (mild)"},
      {"NoSeverityNoGrade", kEvent, [](auto& d) { erase(d, "/ctcae"); }, "$",
       "give the severity or the CTCAE grade"},
      {"GradeOutOfRange", kEvent, [](auto& d) { set(d, "/ctcae/grade", "6"); }, "$.ctcae.grade",
       "a CTCAE grade is a whole number from 1 to 5"},
      {"Grade5NotFatal", kSerious, [](auto& d) { set(d, "/ctcae/grade", "5"); }, "$.outcome",
       "a CTCAE grade 5 event has the outcome 'fatal'"},
      {"FatalWithoutDeath", kSerious, [](auto& d) { set(d, "/outcome", "\"fatal\""); }, "$.outcome",
       "the criterion 'death'"},
      {"UnknownOutcome", kEvent, [](auto& d) { set(d, "/outcome", "\"cured\""); }, "$.outcome",
       "outcome is one of recovered"},
      {"ResolvedBeforeOnset", kEvent, [](auto& d) { set(d, "/resolution", "\"2025-02-11\""); },
       "$.resolution", "resolved before its onset"},
      {"UnknownIntervention", kEvent,
       [](auto& d) { set(d, "/causality/0/intervention", "\"ivig\""); },
       "$.causality[0].intervention", "no intervention with the id 'ivig'"},
      {"UnknownRelatedness", kEvent,
       [](auto& d) { set(d, "/causality/0/relatedness", "\"maybe\""); },
       "$.causality[0].relatedness", "relatedness is one of"},
      {"UnknownTimepoint", kEvent, [](auto& d) { set(d, "/timepoint", "\"inf-6\""); },
       "$.timepoint", "no timepoint with the id 'inf-6'"},
      {"UnknownCodeSystem", kEvent, [](auto& d) { set(d, "/codes/0/system", "\"medra\""); },
       "$.codes[0].system", "unknown code system 'medra'"},
      {"MissingOnset", kEvent, [](auto& d) { erase(d, "/onset"); }, "$",
       "missing required property 'onset'"},
      {"DoseAtAnUnknownTimepoint", kSubject,
       [](auto& d) { set(d, "/doses/0/timepoint", "\"inf-6\""); }, "$.doses[0].timepoint",
       "no timepoint with the id 'inf-6'"},
      {"DoseAtAnAssessment", kSubject,
       [](auto& d) { set(d, "/doses/0/timepoint", "\"v2-baseline\""); }, "$.doses[0].timepoint",
       "is not a dosing timepoint"},
      {"DoseTwice", kSubject,
       [](auto& d) {
         set(d, "/doses/1", R"({"timepoint": "inf-1", "dateTime": "2025-02-13T09:30+08:00"})");
       },
       "$.doses[1]", "is also at $.doses[0]"},
      {"DoseOccurrenceBeyondTheRepeats", kSubject,
       [](auto& d) { set(d, "/doses/0/occurrence", "2"); }, "$.doses[0].occurrence",
       "occurs 1 time"},
      {"DoseBeforeConsent", kSubject,
       [](auto& d) { set(d, "/doses/0/dateTime", "\"2025-01-30T09:30+08:00\""); },
       "$.doses[0].dateTime", "a dose is dated before consent"},
      {"DoseWithoutTime", kSubject, [](auto& d) { erase(d, "/doses/0/dateTime"); }, "$.doses[0]",
       "missing required property 'dateTime'"},
      {"ChildbearingPotentialNotABoolean", kSubject,
       [](auto& d) { set(d, "/childbearingPotential", "\"yes\""); }, "$.childbearingPotential", ""},
  };
  return kMistakes;
}

class EntityMistake : public ::testing::TestWithParam<Mistake> {};

TEST_P(EntityMistake, IsReportedAtItsPath) {
  const Mistake& m = GetParam();
  core::Issues issues;
  EXPECT_FALSE(readEntity(edited(m.file, m.edit), trial(), issues));
  EXPECT_TRUE(hasError(issues, m.path, m.message));
}

INSTANTIATE_TEST_SUITE_P(Each, EntityMistake, ::testing::ValuesIn(mistakes()),
                         [](const ::testing::TestParamInfo<Mistake>& p) {
                           return std::string(p.param.name);
                         });

TEST(EntityReader, NotAnObject) {
  core::Issues issues;
  EXPECT_FALSE(readEntity("[]", trial(), issues));
  EXPECT_TRUE(hasError(issues, "$", "one JSON object"));
}

TEST(EntityReader, WarnsAboutAnEnrolledSubjectWithoutConsent) {
  core::Issues issues;
  auto e = readEntity(edited(kSubject, [](auto& d) { erase(d, "/consent"); }), trial(), issues);
  EXPECT_TRUE(e);
  EXPECT_EQ(issues.count(core::Severity::Warning), 1u) << describe(issues);
}

TEST(CheckEntities, DuplicatesAcrossFiles) {
  std::vector<Entity> entities{sampleEntity(trial(), kSubject), sampleEntity(trial(), kSubject),
                               sampleEntity(trial(), kEvent), sampleEntity(trial(), kEvent)};
  std::vector<core::Issues> issues(entities.size());
  checkEntities(trial(), entities, issues);
  EXPECT_FALSE(issues[0].hasErrors());
  EXPECT_TRUE(hasError(issues[1], "$.subjectId", "the subject ITP-0001 is also in"));
  EXPECT_FALSE(issues[2].hasErrors());
  EXPECT_TRUE(hasError(issues[3], "$.id", "the adverse-event report AE-0001-01 is also in"));
}

TEST(CheckEntities, EventBeforeConsent) {
  Entity subject = sampleEntity(trial(), kSubject);
  Entity event = sampleEntity(trial(), kEvent);
  event.adverseEvent.onset = "2025-01-20";
  std::vector<Entity> entities{subject, event};
  std::vector<core::Issues> issues(2);
  checkEntities(trial(), entities, issues);
  EXPECT_EQ(issues[1].count(core::Severity::Warning), 1u);
}

}  // namespace
}  // namespace trialbridge::study
