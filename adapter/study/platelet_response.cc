#include "study/platelet_response.h"

#include <algorithm>
#include <cmath>

namespace trialbridge::study {

std::string_view responseCodeName(ResponseCode code) {
  switch (code) {
    case ResponseCode::CR: return "CR";
    case ResponseCode::R: return "R";
    case ResponseCode::NR: return "NR";
    case ResponseCode::LossOfCR: return "CR-lost";
    case ResponseCode::LossOfR: return "R-lost";
    case ResponseCode::NotEvaluable: return "NE";
  }
  return "NE";
}

std::vector<Coding> plateletCountCodes(const PlateletResponseSettings& settings) {
  if (!settings.test.codes.empty()) return testCodes(settings.test);
  std::vector<Coding> out;
  if (const Analyte* a = LabCatalog::get().byId("platelets")) {
    for (const Analyte::Code& c : a->codes) out.push_back({c.system, c.code, "", ""});
  }
  return out;
}

bool isPlateletCount(const PlateletResponseSettings& settings, const LabResult& r) {
  if (!settings.test.codes.empty()) return sameTest(settings.test, r.system, r.code);
  const Analyte* a = LabCatalog::get().find(r.system, r.code);
  return a != nullptr && a->id == "platelets";
}

std::vector<PlateletCount> plateletCounts(const PlateletResponseSettings& settings,
                                          std::span<const LabResult> results,
                                          std::vector<std::string>* problems) {
  std::vector<PlateletCount> out;
  out.reserve(results.size());
  for (const LabResult& r : results) {
    if (!isPlateletCount(settings, r)) continue;
    std::string why;
    const Analyte* analyte = LabCatalog::get().find(r.system, r.code);
    std::optional<ValueRange> v = valueIn(r, settings.unit, analyte, &why);
    // A censored count ("<5") counts at its bound: below a threshold stays below it.
    if (!v) {
      if (problems) problems->push_back((r.source.empty() ? "a count" : r.source) + ": " + why);
      continue;
    }
    const double value = std::isfinite(v->low) ? v->low : v->high;
    out.push_back({r.effective.seconds, value});
  }
  std::stable_sort(out.begin(), out.end(), [](const PlateletCount& a, const PlateletCount& b) {
    return a.seconds < b.seconds;
  });
  return out;
}

std::optional<PlateletCount> selectBaseline(const PlateletResponseSettings& settings,
                                            const VisitPlan& plan, int64_t treatmentStart,
                                            std::span<const PlateletCount> counts) {
  const VisitWindow* window =
      settings.baselineTimepoint.empty() ? nullptr : plan.find(settings.baselineTimepoint);
  std::optional<PlateletCount> best;
  for (const PlateletCount& c : counts) {
    if (c.seconds > treatmentStart) continue;
    if (window != nullptr && !window->holds(c.seconds)) continue;
    if (!best || c.seconds >= best->seconds) best = c;
  }
  return best;
}

namespace {

// Ordinal levels: NR < R < CR; NotEvaluable breaks every run.
int rank(ResponseCode c) {
  return c == ResponseCode::CR ? 2 : c == ResponseCode::R ? 1 : c == ResponseCode::NR ? 0 : -1;
}

// A run of consecutive counts that all satisfy a condition: the index of its first count.
struct Run {
  long start = -1;
  void update(bool holds, long index) {
    if (!holds) {
      start = -1;
    } else if (start < 0) {
      start = index;
    }
  }
};

}  // namespace

ResponseCourse evaluatePlateletResponse(const PlateletResponseSettings& settings,
                                        std::optional<double> baseline, int64_t treatmentStart,
                                        std::span<const PlateletCount> counts) {
  ResponseCourse course;
  course.baseline = baseline;
  std::vector<PlateletCount> sorted;
  sorted.reserve(counts.size());
  for (const PlateletCount& c : counts) {
    if (c.seconds >= treatmentStart) sorted.push_back(c);
  }
  std::stable_sort(
      sorted.begin(), sorted.end(),
      [](const PlateletCount& a, const PlateletCount& b) { return a.seconds < b.seconds; });
  const int64_t confirm = *addTime(0, settings.confirmation.number, settings.confirmation.unit, 0);
  const int64_t confirmLoss =
      *addTime(0, settings.lossConfirmation.number, settings.lossConfirmation.unit, 0);

  Run atLeastR, atLeastCR, belowR, belowCR;
  bool holdsR = false, holdsCR = false;
  int bestRank = sorted.empty() ? -1 : 0;
  course.counts.reserve(sorted.size());
  for (size_t j = 0; j < sorted.size(); ++j) {
    const PlateletCount& c = sorted[j];
    const long i = static_cast<long>(j);
    CountResponse out{c};
    if (c.value >= settings.completeResponse) {
      out.level = ResponseCode::CR;
    } else if (c.value < settings.response) {
      out.level = ResponseCode::NR;
    } else if (!baseline) {
      out.level = ResponseCode::NotEvaluable;
    } else {
      out.level =
          c.value >= settings.foldOfBaseline * *baseline ? ResponseCode::R : ResponseCode::NR;
    }
    const int r = rank(out.level);
    const bool known = r >= 0;
    atLeastR.update(known && r >= 1, i);
    atLeastCR.update(known && r >= 2, i);
    belowR.update(known && r < 1, i);
    belowCR.update(known && r < 2, i);
    auto lasted = [&](const Run& run, int64_t interval) {
      return run.start >= 0 &&
             c.seconds - sorted[static_cast<size_t>(run.start)].seconds > interval;
    };
    const bool crConfirmed = lasted(atLeastCR, confirm);
    const bool rConfirmed = lasted(atLeastR, confirm);
    const bool nrConfirmed = lasted(belowR, confirmLoss);
    if (crConfirmed && !holdsCR) {
      holdsCR = true;
      if (!course.completeResponseAt)
        course.completeResponseAt = sorted[static_cast<size_t>(atLeastCR.start)].seconds;
    }
    if (rConfirmed && !holdsR) {
      holdsR = true;
      if (!course.responseAt)
        course.responseAt = sorted[static_cast<size_t>(atLeastR.start)].seconds;
    }
    bool lostCR = false, lostR = false;
    if (holdsCR && lasted(belowCR, confirmLoss)) {
      holdsCR = false;
      lostCR = true;
      if (!course.lossOfCompleteResponseAt)
        course.lossOfCompleteResponseAt = sorted[static_cast<size_t>(belowCR.start)].seconds;
    }
    if (holdsR && nrConfirmed) {
      holdsR = false;
      holdsCR = false;
      lostR = true;
      if (!course.lossOfResponseAt)
        course.lossOfResponseAt = sorted[static_cast<size_t>(belowR.start)].seconds;
    }
    if (lostR || lostCR) {
      out.status = lostR ? ResponseCode::LossOfR : ResponseCode::LossOfCR;
      out.confirmed = true;
    } else {
      out.status = out.level;
      out.confirmed = out.level == ResponseCode::CR   ? crConfirmed
                      : out.level == ResponseCode::R  ? rConfirmed
                      : out.level == ResponseCode::NR ? nrConfirmed
                                                      : false;
    }
    out.settles = crConfirmed || nrConfirmed;
    if (crConfirmed) bestRank = std::max(bestRank, 2);
    if (rConfirmed) bestRank = std::max(bestRank, 1);
    course.counts.push_back(out);
  }
  course.best = bestRank == 2   ? ResponseCode::CR
                : bestRank == 1 ? ResponseCode::R
                : bestRank == 0 ? ResponseCode::NR
                                : ResponseCode::NotEvaluable;
  const int64_t lastCount = sorted.empty() ? 0 : sorted.back().seconds;
  if (course.responseAt) {
    course.timeToResponse = *course.responseAt - treatmentStart;
    course.responseOngoing = !course.lossOfResponseAt;
    course.durationOfResponse =
        (course.lossOfResponseAt ? *course.lossOfResponseAt : lastCount) - *course.responseAt;
  }
  if (course.completeResponseAt) {
    course.completeResponseOngoing = !course.lossOfCompleteResponseAt;
    course.durationOfCompleteResponse =
        (course.lossOfCompleteResponseAt ? *course.lossOfCompleteResponseAt : lastCount) -
        *course.completeResponseAt;
  }
  return course;
}

const CountResponse* ResponseCourse::at(int64_t seconds) const {
  for (const CountResponse& c : counts) {
    if (c.count.seconds == seconds) return &c;
  }
  return nullptr;
}

bool settledBefore(const ResponseCourse& windowed, int64_t from) {
  for (const CountResponse& c : windowed.counts) {
    if (c.count.seconds >= from) break;
    if (c.settles) return true;
  }
  return false;
}

bool reportsResponseAt(const PlateletResponseSettings& settings, std::string_view timepoint) {
  if (settings.assessAt.empty()) return true;
  return std::find(settings.assessAt.begin(), settings.assessAt.end(), timepoint) !=
         settings.assessAt.end();
}

}  // namespace trialbridge::study
