// Platelet response by the IWG criteria (Rodeghiero et al., Blood 2009): the level of each
// count, confirmation by counts more than 7 days apart, loss by counts more than 1 day apart,
// time to and duration of response; the baseline from the protocol's baseline visit.
#include "study/platelet_response.h"

#include <gtest/gtest.h>

#include <random>

#include "test_util.h"

namespace trialbridge::study {
namespace {

constexpr int64_t kDay = kSecondsPerDay;
constexpr int64_t kStart = 1'731'891'600;  // 2024-11-18T09:00+08:00, the first infusion

PlateletCount count(double day, double value) {
  return {kStart + static_cast<int64_t>(day * kDay), value};
}

ResponseCourse course(std::vector<PlateletCount> counts, std::optional<double> baseline = 15,
                      PlateletResponseSettings settings = {}) {
  return evaluatePlateletResponse(settings, baseline, kStart, counts);
}

std::string statuses(const ResponseCourse& c) {
  std::string out;
  for (const CountResponse& r : c.counts) {
    if (!out.empty()) out += " ";
    out += std::string(responseCodeName(r.status)) + (r.confirmed ? "" : "?");
  }
  return out;
}

TEST(PlateletResponse, TheLevelOfOneCount) {
  // Baseline 15 x10^9/L: R needs >= 30 and >= 30 (twice the baseline).
  ResponseCourse c = course({count(1, 100), count(2, 99.9), count(3, 30), count(4, 29.9)});
  ASSERT_EQ(c.counts.size(), 4u);
  EXPECT_EQ(c.counts[0].level, ResponseCode::CR);  // 100 is complete response (>=)
  EXPECT_EQ(c.counts[1].level, ResponseCode::R);
  EXPECT_EQ(c.counts[2].level, ResponseCode::R);  // 30 is both thresholds exactly
  EXPECT_EQ(c.counts[3].level, ResponseCode::NR);
  // Baseline 20: 35 is above 30 but not double the baseline.
  ResponseCourse d = course({count(1, 35), count(2, 40)}, 20);
  EXPECT_EQ(d.counts[0].level, ResponseCode::NR);
  EXPECT_EQ(d.counts[1].level, ResponseCode::R);
}

TEST(PlateletResponse, WithoutABaselineDoublingCannotBeChecked) {
  ResponseCourse c = course({count(1, 50), count(2, 120), count(3, 20)}, std::nullopt);
  EXPECT_EQ(c.counts[0].level, ResponseCode::NotEvaluable);
  EXPECT_EQ(c.counts[1].level, ResponseCode::CR);  // CR needs no baseline
  EXPECT_EQ(c.counts[2].level, ResponseCode::NR);  // below 30 is NR whatever the baseline
  EXPECT_FALSE(c.baseline);
}

TEST(PlateletResponse, ConfirmedByTwoCountsMoreThanSevenDaysApart) {
  // Exactly 7 days apart is not "more than 7 days".
  ResponseCourse seven = course({count(14, 120), count(21, 130)});
  EXPECT_EQ(statuses(seven), "CR? CR?");
  EXPECT_FALSE(seven.responseAt);
  EXPECT_EQ(seven.best, ResponseCode::NR);
  ResponseCourse eight = course({count(14, 120), count(22, 130)});
  EXPECT_EQ(statuses(eight), "CR? CR");
  EXPECT_EQ(eight.completeResponseAt, count(14, 0).seconds);
  EXPECT_EQ(eight.responseAt, count(14, 0).seconds);  // a CR is also a response
  EXPECT_EQ(*eight.timeToResponse, 14 * kDay);
  EXPECT_EQ(eight.best, ResponseCode::CR);
  EXPECT_TRUE(eight.provisional);  // bleeding is for the investigator to judge
}

TEST(PlateletResponse, ACountBelowTheLevelInBetweenBreaksTheConfirmation) {
  ResponseCourse c = course({count(14, 120), count(18, 25), count(22, 130), count(28, 125)});
  EXPECT_EQ(statuses(c), "CR? NR? CR? CR?");
  EXPECT_FALSE(c.completeResponseAt);
  // A dip to R level keeps the response run going while the CR run starts again.
  ResponseCourse r = course({count(14, 120), count(18, 60), count(23, 130), count(31, 125)});
  EXPECT_EQ(statuses(r), "CR? R? CR? CR");
  EXPECT_EQ(r.responseAt, count(14, 0).seconds);
  EXPECT_EQ(r.completeResponseAt, count(23, 0).seconds);
}

TEST(PlateletResponse, LossOfCompleteResponseNeedsCountsMoreThanADayApart) {
  std::vector<PlateletCount> counts = {count(14, 120), count(22, 130), count(40, 80),
                                       count(41, 85)};
  // 80 and 85 are still a confirmed response (at or above R since day 14); exactly one day
  // below 100 is not yet a loss of CR.
  EXPECT_EQ(statuses(course(counts)), "CR? CR R R");
  counts.push_back(count(41.1, 82));
  ResponseCourse c = course(counts);
  EXPECT_EQ(statuses(c), "CR? CR R R CR-lost");
  EXPECT_EQ(c.lossOfCompleteResponseAt, count(40, 0).seconds);
  EXPECT_EQ(*c.durationOfCompleteResponse, 26 * kDay);
  EXPECT_FALSE(c.completeResponseOngoing);
  // 80 is still at least 30 and twice the baseline: the response itself goes on.
  EXPECT_FALSE(c.lossOfResponseAt);
  EXPECT_TRUE(c.responseOngoing);
  EXPECT_EQ(c.best, ResponseCode::CR);
}

TEST(PlateletResponse, LossOfResponse) {
  ResponseCourse c = course(
      {count(14, 45), count(22, 50), count(30, 60), count(60, 25), count(62, 20), count(70, 22)});
  EXPECT_EQ(statuses(c), "R? R R NR? R-lost NR");
  EXPECT_EQ(c.responseAt, count(14, 0).seconds);
  EXPECT_EQ(c.lossOfResponseAt, count(60, 0).seconds);
  EXPECT_EQ(*c.durationOfResponse, 46 * kDay);
  EXPECT_FALSE(c.responseOngoing);
  EXPECT_EQ(c.best, ResponseCode::R);
  // Falling below twice the baseline is a loss too, though the count is above 30.
  ResponseCourse d = course({count(14, 50), count(22, 55), count(40, 35), count(42, 36)}, 20);
  EXPECT_EQ(statuses(d), "R? R NR? R-lost");
}

TEST(PlateletResponse, AnOngoingResponseIsCensoredAtTheLastCount) {
  ResponseCourse c = course({count(14, 45), count(22, 50), count(90, 55)});
  EXPECT_TRUE(c.responseOngoing);
  EXPECT_EQ(*c.durationOfResponse, 76 * kDay);
  EXPECT_FALSE(c.completeResponseAt);
}

TEST(PlateletResponse, NoResponseAndCountsBeforeTreatment) {
  ResponseCourse c = course({count(-3, 14), count(14, 20), count(16, 18)});
  ASSERT_EQ(c.counts.size(), 2u);  // the count before the first dose is not assessed
  EXPECT_EQ(statuses(c), "NR? NR");
  EXPECT_EQ(c.best, ResponseCode::NR);
  EXPECT_FALSE(c.timeToResponse);
  EXPECT_EQ(course({}).best, ResponseCode::NotEvaluable);
}

TEST(PlateletResponse, CountsInAnyOrder) {
  ResponseCourse c = course({count(22, 130), count(14, 120)});
  EXPECT_EQ(statuses(c), "CR? CR");
  EXPECT_EQ(c.at(count(22, 0).seconds)->status, ResponseCode::CR);
  EXPECT_EQ(c.at(count(23, 0).seconds), nullptr);
}

TEST(PlateletResponse, ThresholdsAndIntervalsFromTheTrialFile) {
  PlateletResponseSettings s;
  s.completeResponse = 150;
  s.response = 50;
  s.foldOfBaseline = 3;
  s.confirmation = {"14", 14, "d"};
  // Baseline 50: R needs 3 x 50 = 150; 120-140 is no response, confirmed after a day.
  ResponseCourse c = course({count(14, 120), count(22, 130), count(29, 140)}, 50, s);
  EXPECT_EQ(statuses(c), "NR? NR NR");
  ResponseCourse d = course({count(14, 160), count(22, 170), count(29, 160)}, 30, s);
  EXPECT_EQ(statuses(d), "CR? CR? CR");  // confirmed only after more than 14 days
}

TEST(PlateletResponse, CountsAreConvertedAndUnknownUnitsLeftOut) {
  PlateletResponseSettings s;
  std::vector<LabResult> results(4);
  for (LabResult& r : results) {
    r.system = "http://loinc.org";
    r.code = "777-3";
    r.effective = *parseInstant("2024-12-02T09:00+08:00");
  }
  results[0].value = 45;
  results[0].unit = "10*3/uL";
  results[1].value = 45000;
  results[1].unit = "/mm3";
  results[1].effective.seconds += 60;
  results[2].value = 12;
  results[2].unit = "g/dL";  // not a count: never compared
  results[2].source = "Observation/bad";
  results[3].code = "718-7";  // haemoglobin: not a platelet count
  results[3].value = 12;
  results[3].unit = "g/dL";
  std::vector<std::string> problems;
  std::vector<PlateletCount> counts = plateletCounts(s, results, &problems);
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_NEAR(counts[0].value, 45, 1e-9);
  EXPECT_NEAR(counts[1].value, 45, 1e-9);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("Observation/bad: 'g/dL' cannot be converted"), std::string::npos)
      << problems[0];
  // A censored "<10" counts as 10: below any threshold it is below.
  LabResult low = results[0];
  low.value = 10;
  low.comparator = "<";
  EXPECT_NEAR(plateletCounts(s, {&low, 1})[0].value, 10, 1e-9);
}

TEST(PlateletResponse, BaselineFromTheProtocolsBaselineVisit) {
  const Trial itp = test::sampleTrial();
  const PlateletResponseSettings& s = *itp.efficacy.plateletResponse;
  EXPECT_EQ(s.baselineTimepoint, "v2-baseline");
  SubjectEvents e;
  e.arm = "msc-arm";
  e.doses.push_back({"inf-1", 1, *parseInstant("2024-11-18T09:00+08:00")});
  VisitPlan plan = VisitPlan::compute(itp, e);
  std::vector<PlateletCount> counts = {count(-10, 12), count(-1, 16), count(0, 14), count(3, 20)};
  // The last count before the first dose; one stamped at the dose's very second is not before.
  auto b = selectBaseline(s, plan, kStart, counts);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->value, 16);
  counts.erase(counts.begin() + 1);
  EXPECT_EQ(selectBaseline(s, plan, kStart, counts)->value, 12);
  EXPECT_FALSE(selectBaseline(s, plan, kStart, {&counts[2], 1}));  // only after the dose
}

TEST(PlateletResponse, ABoundedBaselineWindowExcludesOlderCounts) {
  const Trial tbx = test::sampleTrial("samples/trials/tbx101-fih-01.json");
  PlateletResponseSettings s;
  s.baselineTimepoint = "pk-pre";  // 30 to 0 minutes before the first dose
  SubjectEvents e;
  e.arm = "cohort-3";
  e.doses.push_back({"esc-c1d1", 1, *parseInstant("2024-11-18T09:00+08:00")});
  VisitPlan plan = VisitPlan::compute(tbx, e);
  std::vector<PlateletCount> counts = {{kStart - 7200, 150}, {kStart - 600, 160}};
  EXPECT_EQ(selectBaseline(s, plan, kStart, counts)->value, 160);
  EXPECT_FALSE(selectBaseline(s, plan, kStart, {&counts[0], 1}));
}

TEST(PlateletResponse, ReportedAtTheTimepointsTheTrialNames) {
  const Trial itp = test::sampleTrial();
  EXPECT_TRUE(reportsResponseAt(*itp.efficacy.plateletResponse, "fu-m3"));
  EXPECT_FALSE(reportsResponseAt(*itp.efficacy.plateletResponse, "inf-3"));
  EXPECT_TRUE(reportsResponseAt(PlateletResponseSettings{}, "inf-3"));
}

// A window that holds a settling count before `from` answers as the whole history from there on;
// without one it may not (a CR confirmed long ago is lost only if it was held).
TEST(PlateletResponse, AWindowIsExactFromACountThatSettlesTheCourse) {
  std::vector<PlateletCount> counts = {count(1, 150), count(9, 160)};  // CR confirmed at day 9
  for (int week = 2; week <= 60; ++week)  // CR and below in turn: nothing confirmed again
    counts.push_back(count(week * 7, week % 2 == 0 ? 120 : 80));
  counts.push_back(count(430, 60));
  counts.push_back(count(433, 60));  // below CR for more than a day: CR lost
  const ResponseCourse whole = course(counts);
  EXPECT_EQ(whole.counts.back().status, ResponseCode::LossOfCR);
  std::vector<PlateletCount> late(counts.begin() + 10, counts.end());
  const ResponseCourse windowed = course(late);
  EXPECT_EQ(windowed.counts.back().status, ResponseCode::R);  // the CR held is not in it
  EXPECT_FALSE(settledBefore(windowed, count(430, 0).seconds));
  EXPECT_TRUE(settledBefore(whole, count(430, 0).seconds));  // the confirmation at day 9
  EXPECT_FALSE(settledBefore(whole, count(9, 0).seconds));   // it settles from after itself
}

// The rule of settledBefore against the whole evaluation, over random courses: whenever a window
// (every count after an instant) settles before `from`, every count from `from` on gets the same
// level, status and confirmation as in the whole course.
TEST(PlateletResponse, ASettledWindowAgreesWithTheWholeCourseOverRandomCourses) {
  std::mt19937 rng(20261206);
  const double levels[] = {8, 25, 28, 45, 70, 99, 100, 140, 300};
  int settled = 0, differedUnsettled = 0;
  for (int round = 0; round < 400; ++round) {
    std::vector<PlateletCount> counts;
    double day = -20;
    size_t level = rng() % std::size(levels);
    const int n = 10 + static_cast<int>(rng() % 120);
    for (int i = 0; i < n; ++i) {
      day += (rng() % 10 == 0) ? 0 : static_cast<double>(rng() % 200) / 20.0;  // some equal
      if (rng() % 3 == 0) level = rng() % std::size(levels);                   // runs of a level
      counts.push_back(count(day, levels[level]));
    }
    const std::optional<double> baseline =
        rng() % 4 == 0 ? std::nullopt : std::optional<double>(5.0 + rng() % 30);
    PlateletResponseSettings settings;
    if (rng() % 2 == 0) settings.lossConfirmation = {"3", 3, "d"};
    const ResponseCourse whole = course(counts, baseline, settings);
    for (int w = 0; w < 8; ++w) {
      const int64_t after = counts[rng() % counts.size()].seconds;
      const int64_t from = counts[rng() % counts.size()].seconds;
      std::vector<PlateletCount> window;
      for (const PlateletCount& c : counts) {
        if (c.seconds > after) window.push_back(c);
      }
      const ResponseCourse part = course(window, baseline, settings);
      ASSERT_LE(part.counts.size(), whole.counts.size());
      const size_t offset = whole.counts.size() - part.counts.size();  // a suffix
      bool same = true;
      for (size_t i = 0; i < part.counts.size(); ++i) {
        const CountResponse& a = part.counts[i];
        const CountResponse& b = whole.counts[offset + i];
        ASSERT_EQ(a.count.seconds, b.count.seconds);
        if (a.count.seconds < from) continue;
        same = same && a.level == b.level && a.status == b.status && a.confirmed == b.confirmed;
      }
      if (settledBefore(part, from)) {
        settled++;
        EXPECT_TRUE(same) << "round " << round << " window after " << after << " from " << from;
      } else if (!same) {
        differedUnsettled++;
      }
    }
  }
  EXPECT_GT(settled, 500);           // the rule applies often in such courses
  EXPECT_GT(differedUnsettled, 10);  // and windows that it refuses do get some counts wrong
}

}  // namespace
}  // namespace trialbridge::study
