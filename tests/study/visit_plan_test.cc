// Visit windows from a subject's actual doses, and where a result's time belongs: the reference
// trial's infusions (each anchored on the one before), follow-ups after the last dose, and the
// dose-escalation trial's pharmacokinetic samples in minutes and hours.
#include "study/visit_plan.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace trialbridge::study {
namespace {

constexpr const char* kLoinc = "http://loinc.org";

int64_t at(const char* text) { return parseInstant(text)->seconds; }

Instant when(const char* text, int32_t dateZone = 480) { return *parseInstant(text, dateZone); }

const Trial& itp() {
  static const Trial t = test::sampleTrial();
  return t;
}

const Trial& tbx() {
  static const Trial t = test::sampleTrial("samples/trials/tbx101-fih-01.json");
  return t;
}

SubjectEvents itpEvents(std::initializer_list<std::pair<const char*, const char*>> doses) {
  SubjectEvents e;
  e.arm = "msc-arm";
  e.consent = when("2024-11-04");
  for (auto [tp, time] : doses) e.doses.push_back({tp, 1, when(time)});
  return e;
}

// Subject ITP-0003 of the samples: all five infusions given.
SubjectEvents allFive() {
  return itpEvents({{"inf-1", "2024-11-18T09:00+08:00"},
                    {"inf-2", "2024-11-25T10:00+08:00"},
                    {"inf-3", "2024-12-09T09:15+08:00"},
                    {"inf-4", "2024-12-23T09:00+08:00"},
                    {"inf-5", "2025-01-06T09:30+08:00"}});
}

TEST(VisitPlan, TheSamplesEventsAreRead) {
  const Entity e = test::sampleEntity(itp(), "samples/entities/nct06813157-subject-itp-0003.json");
  SubjectEvents ev = subjectEvents(e.subject);
  EXPECT_EQ(ev.arm, "msc-arm");
  ASSERT_EQ(ev.doses.size(), 5u);
  EXPECT_EQ(ev.doses[4].timepoint, "inf-5");
  EXPECT_EQ(ev.doses[4].time.seconds, at("2025-01-06T09:30+08:00"));
  // The consent date has no time: it is taken in the zone of the doses.
  EXPECT_EQ(ev.consent->seconds, at("2024-11-04T00:00+08:00"));
}

TEST(VisitPlan, DosingWindowsAnchorOnTheActualDoseBefore) {
  VisitPlan plan = VisitPlan::compute(itp(), allFive());
  const VisitWindow* inf2 = plan.find("inf-2");
  ASSERT_NE(inf2, nullptr);
  // Day 7 +/-1 after the first infusion, in whole local days.
  EXPECT_EQ(*inf2->nominal, at("2024-11-25T09:00+08:00"));
  EXPECT_EQ(inf2->earliest, at("2024-11-24T00:00+08:00"));
  EXPECT_EQ(inf2->latest, at("2024-11-27T00:00+08:00"));
  EXPECT_EQ(inf2->basis, WindowBasis::Actual);
  EXPECT_EQ(*inf2->doseGiven, at("2024-11-25T10:00+08:00"));
  // 14 days +/-3 after the actual second infusion (10:00), not after its nominal time.
  const VisitWindow* inf3 = plan.find("inf-3");
  EXPECT_EQ(*inf3->nominal, at("2024-12-09T10:00+08:00"));
  EXPECT_EQ(inf3->earliest, at("2024-12-06T00:00+08:00"));
  EXPECT_EQ(inf3->latest, at("2024-12-13T00:00+08:00"));
  // Day 0 without a window: that calendar day.
  const VisitWindow* inf1 = plan.find("inf-1");
  EXPECT_EQ(inf1->earliest, at("2024-11-18T00:00+08:00"));
  EXPECT_EQ(inf1->latest, at("2024-11-19T00:00+08:00"));
}

TEST(VisitPlan, FollowUpsAnchorOnTheLastDoseOnceAllAreGiven) {
  VisitPlan plan = VisitPlan::compute(itp(), allFive());
  auto last = plan.event("last-dose");
  ASSERT_TRUE(last);
  EXPECT_EQ(last->seconds, at("2025-01-06T09:30+08:00"));
  EXPECT_EQ(last->basis, WindowBasis::Actual);
  EXPECT_EQ(*plan.find("fu-d14")->nominal, at("2025-01-20T09:30+08:00"));
  EXPECT_EQ(*plan.find("fu-m1")->nominal, at("2025-02-06T09:30+08:00"));
  EXPECT_EQ(*plan.find("fu-m12")->nominal, at("2026-01-06T09:30+08:00"));
  // No registered window: the nominal calendar day.
  EXPECT_EQ(plan.find("fu-m3")->earliest, at("2025-04-06T00:00+08:00"));
  EXPECT_EQ(plan.find("fu-m3")->latest, at("2025-04-07T00:00+08:00"));
  EXPECT_EQ(plan.find("fu-m3")->basis, WindowBasis::Actual);
}

TEST(VisitPlan, WindowsBeyondTheDosesGivenAreProjected) {
  VisitPlan plan = VisitPlan::compute(itp(), itpEvents({{"inf-1", "2025-02-12T09:30+08:00"}}));
  EXPECT_EQ(plan.find("inf-2")->basis, WindowBasis::Actual);  // its anchor, inf-1, was given
  const VisitWindow* inf3 = plan.find("inf-3");
  EXPECT_EQ(inf3->basis, WindowBasis::Projected);           // anchored on inf-2, still to come
  EXPECT_EQ(*inf3->nominal, at("2025-03-05T09:30+08:00"));  // day 7 + 14
  auto last = plan.event("last-dose");
  ASSERT_TRUE(last);
  EXPECT_EQ(last->basis, WindowBasis::Projected);
  EXPECT_EQ(last->seconds, at("2025-04-02T09:30+08:00"));  // day 49: 7 + 3 x 14
  EXPECT_EQ(*plan.find("fu-m1")->nominal, at("2025-05-02T09:30+08:00"));
  EXPECT_EQ(plan.find("fu-m1")->basis, WindowBasis::Projected);
}

TEST(VisitPlan, ALateDoseMovesEverythingAnchoredOnIt) {
  VisitPlan onTime = VisitPlan::compute(
      itp(), itpEvents({{"inf-1", "2025-02-12T09:30+08:00"}, {"inf-2", "2025-02-19T09:30+08:00"}}));
  // Recorded late: given on day 10, outside its window; inf-3 follows it.
  VisitPlan late = VisitPlan::compute(
      itp(), itpEvents({{"inf-1", "2025-02-12T09:30+08:00"}, {"inf-2", "2025-02-22T14:00+08:00"}}));
  EXPECT_EQ(*onTime.find("inf-3")->nominal, at("2025-03-05T09:30+08:00"));
  EXPECT_EQ(*late.find("inf-3")->nominal, at("2025-03-08T14:00+08:00"));
  // Its window rests on doses given: actual, though inf-3 itself is still to come.
  EXPECT_EQ(late.find("inf-3")->basis, WindowBasis::Actual);
  EXPECT_EQ(late.find("inf-4")->basis, WindowBasis::Projected);
  // And the dose itself is out of its own window (day 7 +/-1 ends with 20 February).
  Placement p = late.place(when("2025-02-22T14:00+08:00"));
  EXPECT_EQ(p.kind, PlacementKind::OutOfWindow);
  EXPECT_EQ(p.window->timepoint->id, "inf-2");
  EXPECT_EQ(p.distance, at("2025-02-22T14:00+08:00") - at("2025-02-20T23:59:59+08:00"));
}

TEST(VisitPlan, BeforeTheFirstDoseOnlyTheOpenScreeningWindowsExist) {
  VisitPlan plan = VisitPlan::compute(itp(), itpEvents({}));
  EXPECT_EQ(plan.find("inf-1"), nullptr);  // first-dose unknown: not computed
  EXPECT_EQ(plan.find("fu-m1"), nullptr);
  const VisitWindow* screening = plan.find("v1-screening");
  ASSERT_NE(screening, nullptr);
  EXPECT_EQ(screening->basis, WindowBasis::Projected);
  EXPECT_FALSE(screening->bounded());
  // ALT is scheduled at screening only; the platelet count at screening and at baseline, which
  // the protocol does not tell apart before the first dose.
  Placement alt = plan.place(when("2025-02-03T08:00+08:00"), kLoinc, "1742-6");
  EXPECT_EQ(alt.kind, PlacementKind::InWindow);
  EXPECT_EQ(alt.window->timepoint->id, "v1-screening");
  Placement plt = plan.place(when("2025-02-03T08:00+08:00"), kLoinc, "777-3");
  EXPECT_EQ(plt.kind, PlacementKind::InWindow);
  EXPECT_EQ(plt.window->timepoint->id, "v1-screening");
  ASSERT_NE(plt.alternative, nullptr);
  EXPECT_EQ(plt.alternative->timepoint->id, "v2-baseline");
}

TEST(VisitPlan, ScreeningClosesAtTheFirstDose) {
  VisitPlan plan = VisitPlan::compute(itp(), allFive());
  const VisitWindow* baseline = plan.find("v2-baseline");
  EXPECT_EQ(baseline->latest, at("2024-11-18T09:00+08:00"));
  EXPECT_EQ(baseline->basis, WindowBasis::Actual);
  EXPECT_EQ(plan.place(when("2024-11-18T08:59:59+08:00"), kLoinc, "1742-6").window->timepoint->id,
            "v1-screening");
}

TEST(VisitPlan, ResultsInOrOutOfTheFollowUpWindows) {
  VisitPlan plan = VisitPlan::compute(itp(), allFive());
  Placement in = plan.place(when("2025-02-06T08:00+08:00"), kLoinc, "777-3");
  EXPECT_EQ(in.kind, PlacementKind::InWindow);
  EXPECT_EQ(in.window->timepoint->id, "fu-m1");
  EXPECT_EQ(in.distance, 0);
  // A date without a time is in the window it overlaps.
  EXPECT_EQ(plan.place(when("2025-02-06"), kLoinc, "777-3").window->timepoint->id, "fu-m1");
  // Three days late for M1: out of window, the nearest timepoint and how far.
  Placement late = plan.place(when("2025-02-09T08:00+08:00"), kLoinc, "777-3");
  EXPECT_EQ(late.kind, PlacementKind::OutOfWindow);
  EXPECT_EQ(late.window->timepoint->id, "fu-m1");
  EXPECT_EQ(late.distance, 2 * kSecondsPerDay + 8 * 3600 + 1);
  Placement early = plan.place(when("2025-03-04T08:00+08:00"), kLoinc, "777-3");
  EXPECT_EQ(early.window->timepoint->id, "fu-m2");
  EXPECT_LT(early.distance, 0);  // before the window opens
  // ALT is not done at M2: a result then is out of window of the nearest visit that does it.
  Placement alt = plan.place(when("2025-03-06T08:00+08:00"), kLoinc, "1742-6");
  EXPECT_EQ(alt.kind, PlacementKind::OutOfWindow);
  EXPECT_EQ(alt.window->timepoint->id, "fu-m1");
}

TEST(VisitPlan, ATestNoTimepointSchedulesIsUnscheduled) {
  // The reference trial names all its tests: nothing in the schedule does a haemoglobin.
  VisitPlan plan = VisitPlan::compute(itp(), allFive());
  Placement p = plan.place(when("2025-02-06T08:00+08:00"), kLoinc, "718-7");
  EXPECT_EQ(p.kind, PlacementKind::Unscheduled);
  EXPECT_EQ(p.window, nullptr);
  EXPECT_EQ(plan.place(when("2025-02-06T08:00+08:00"), kLoinc, "777-3").kind,
            PlacementKind::InWindow);
}

TEST(VisitPlan, DosingCompleteEndsTheTreatmentEarly) {
  SubjectEvents e = itpEvents({{"inf-1", "2025-02-12T09:30+08:00"},
                               {"inf-2", "2025-02-19T09:30+08:00"},
                               {"inf-3", "2025-03-05T09:30+08:00"}});
  e.dosingComplete = true;
  VisitPlan plan = VisitPlan::compute(itp(), e);
  EXPECT_EQ(plan.event("last-dose")->seconds, at("2025-03-05T09:30+08:00"));
  EXPECT_EQ(plan.event("last-dose")->basis, WindowBasis::Actual);
  EXPECT_EQ(*plan.find("fu-d14")->nominal, at("2025-03-19T09:30+08:00"));
}

// The dose-escalation trial: cohort 3, first dose at 08:30 Berlin summer time.
SubjectEvents tbxEvents() {
  SubjectEvents e;
  e.arm = "cohort-3";
  e.doses.push_back({"esc-c1d1", 1, when("2026-04-14T08:30+02:00")});
  e.doses.push_back({"esc-cnd1", 1, when("2026-05-05T08:45+02:00")});
  return e;
}

TEST(VisitPlan, PharmacokineticSamplesArePlacedToTheMinute) {
  VisitPlan plan = VisitPlan::compute(tbx(), tbxEvents());
  const char* pk = "urn:tbx:lab";  // the drug's own assay: no LOINC code
  auto placed = [&](const char* time) {
    Placement p = plan.place(when(time), pk, "TBX101-SERUM");
    return std::string(placementName(p.kind)) + " " +
           (p.window ? p.window->timepoint->id : std::string("-")) + " " +
           std::to_string(p.distance);
  };
  EXPECT_EQ(placed("2026-04-14T08:12+02:00"), "in-window pk-pre 0");  // -15 min +/-15
  EXPECT_EQ(placed("2026-04-14T08:35+02:00"), "in-window pk-5m 0");   // 5 min +/-2
  EXPECT_EQ(placed("2026-04-14T08:37+02:00"), "in-window pk-5m 0");   // the window's last minute
  EXPECT_EQ(placed("2026-04-14T08:38+02:00"), "out-of-window pk-5m 60");
  EXPECT_EQ(placed("2026-04-14T09:25+02:00"), "in-window pk-1h 0");  // 1 h -5/+10 min
  EXPECT_EQ(placed("2026-04-14T09:40+02:00"), "in-window pk-1h 0");
  EXPECT_EQ(placed("2026-04-14T10:30+02:00"), "in-window pk-2h 0");
  EXPECT_EQ(placed("2026-04-15T10:00+02:00"), "in-window pk-24h 0");  // 24 h +/-2 h
  EXPECT_EQ(placed("2026-04-17T08:30+02:00"), "in-window pk-72h 0");
  const VisitWindow* h1 = plan.find("pk-1h");
  EXPECT_EQ(h1->earliest, at("2026-04-14T09:25+02:00"));
  EXPECT_EQ(h1->latest, at("2026-04-14T09:40:01+02:00"));
}

TEST(VisitPlan, RepeatsFollowTheOccurrenceBefore) {
  VisitPlan plan = VisitPlan::compute(tbx(), tbxEvents());
  // Cycles 2-8 day 1: occurrence 1 was given on day 21 at 08:45; occurrence 2 is 21 days later.
  EXPECT_EQ(*plan.find("esc-cnd1", 1)->doseGiven, at("2026-05-05T08:45+02:00"));
  EXPECT_EQ(*plan.find("esc-cnd1", 2)->nominal, at("2026-05-26T08:45+02:00"));
  EXPECT_EQ(plan.find("esc-cnd1", 2)->basis, WindowBasis::Actual);     // from a dose given
  EXPECT_EQ(plan.find("esc-cnd1", 3)->basis, WindowBasis::Projected);  // from one to come
  EXPECT_EQ(*plan.find("esc-cnd1", 7)->nominal, at("2026-09-08T08:45+02:00"));
  EXPECT_EQ(plan.find("esc-cnd1", 8), nullptr);  // 7 occurrences in all
  // The expansion cohort's schedule does not apply to cohort 3.
  EXPECT_EQ(plan.find("exp-c1d1"), nullptr);
  // Tumour assessments every 6 weeks from the first dose, +/-7 days.
  EXPECT_EQ(*plan.find("esc-tumour", 2)->nominal, at("2026-07-07T08:30+02:00"));
}

TEST(VisitPlan, FarFromEveryWindowIsUnscheduledWhenTheTrialSaysHowFar) {
  // tbx101-fih-01 sets laboratory.unscheduledBeyond to 7 days.
  SubjectEvents e = tbxEvents();
  VisitPlan plan = VisitPlan::compute(tbx(), e);
  // ALT is in the unnamed chemistry and haematology panels: 16 hours before the week-2 immune
  // panel's window opens is out of window of it.
  Placement near = plan.place(when("2026-04-24T08:00+02:00"), kLoinc, "1742-6");
  EXPECT_EQ(near.kind, PlacementKind::OutOfWindow);
  EXPECT_EQ(near.window->timepoint->id, "imm-w2");
  EXPECT_EQ(near.distance, -16 * 3600);
  SubjectEvents done = e;
  done.dosingComplete = true;
  VisitPlan ended = VisitPlan::compute(tbx(), done);
  Placement far = ended.place(when("2027-03-01T08:00+02:00"), kLoinc, "1742-6");
  EXPECT_EQ(far.kind, PlacementKind::Unscheduled);
  ASSERT_NE(far.window, nullptr);  // the nearest is still named
  // Doses that will not be given have no visit any more.
  EXPECT_EQ(ended.find("esc-cnd1", 2), nullptr);
  EXPECT_NE(plan.find("esc-cnd1", 2), nullptr);
}

TEST(VisitPlan, SchedulesLimitedBySexOrToTheFirstSubjects) {
  const Trial boin = test::sampleTrial("samples/trials/tbx202-boin-01.json");
  SubjectEvents e;
  e.arm = "expansion";
  e.doses.push_back({"c1d1", 1, when("2026-05-04T08:00+02:00")});
  e.sex = "male";
  e.enrolmentOrder = 13;
  VisitPlan plan = VisitPlan::compute(boin, e);
  EXPECT_EQ(plan.find("preg-monthly"), nullptr);  // pregnancy tests: female subjects only
  EXPECT_EQ(plan.find("pk-2h"), nullptr);         // intensive PK: the first 12 of the expansion
  EXPECT_NE(plan.find("cnd1", 5), nullptr);
  e.sex = "female";
  e.enrolmentOrder = 12;
  VisitPlan hers = VisitPlan::compute(boin, e);
  EXPECT_EQ(*hers.find("preg-monthly", 2)->nominal, at("2026-06-29T08:00+02:00"));
  EXPECT_NE(hers.find("pk-2h"), nullptr);
  e.sex.clear();  // unknown sex: not a schedule for women; unknown order: the schedule applies
  e.enrolmentOrder = 0;
  VisitPlan unknown = VisitPlan::compute(boin, e);
  EXPECT_EQ(unknown.find("preg-monthly"), nullptr);
  EXPECT_NE(unknown.find("pk-2h"), nullptr);
}

}  // namespace
}  // namespace trialbridge::study
