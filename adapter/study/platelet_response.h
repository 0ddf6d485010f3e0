#pragma once
// Platelet response in immune thrombocytopenia by the International Working Group criteria
// (Rodeghiero F et al., Blood 2009;113:2386-2393), from laboratory counts alone
// (docs/study-logic.md, "Efficacy"):
//   - complete response (CR): count >= 100 x10^9/L;
//   - response (R): count >= 30 x10^9/L and at least twice the baseline count;
//   - no response (NR): below 30, or less than twice the baseline;
//   - a CR or R is confirmed by counts at that level on two occasions more than 7 days apart
//     (every count between them at that level too); NR and a loss by counts on two occasions
//     more than 1 day apart;
//   - loss of CR: counts below 100 after a confirmed CR; loss of R: counts below 30 or below
//     twice the baseline after a confirmed R or CR;
//   - time to response: from the start of treatment to the first count of the first confirmed
//     R or CR; duration of response: from there to the first count of its loss (or to the last
//     count, still ongoing).
// The thresholds, fold and intervals come from the trial file (PlateletResponseSettings), with
// the IWG values as defaults. Absence of bleeding is part of every IWG category and only the
// investigator can judge it: every result here is provisional until a person confirms it.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "study/lab.h"
#include "study/trial.h"
#include "study/visit_plan.h"

namespace trialbridge::study {

// The codes of the CodeSystem tb-platelet-response (fhir-profiles/trialbridge).
enum class ResponseCode : uint8_t {
  CR,
  R,
  NR,
  LossOfCR,      // CR-lost
  LossOfR,       // R-lost
  NotEvaluable,  // a count between R and CR without a baseline: doubling cannot be checked
};
std::string_view responseCodeName(ResponseCode code);  // CR, R, NR, CR-lost, R-lost, NE

struct PlateletCount {
  int64_t seconds = 0;  // effective time, UTC seconds
  double value = 0;     // in PlateletResponseSettings::unit
};

// The counts among `results` that are platelet counts (the settings' test or its analyte),
// converted to the settings' unit, in time order. A count whose unit cannot be converted is left
// out and its reason appended to `problems` (when given): never compared in the wrong unit.
std::vector<PlateletCount> plateletCounts(const PlateletResponseSettings& settings,
                                          std::span<const LabResult> results,
                                          std::vector<std::string>* problems = nullptr);
// The codes a search for the platelet counts of these settings lists: the settings' test and its
// analyte's codes, or (no test given) every code of the platelets analyte.
std::vector<Coding> plateletCountCodes(const PlateletResponseSettings& settings);
// Whether `result` is a platelet count for these settings.
bool isPlateletCount(const PlateletResponseSettings& settings, const LabResult& result);

// The baseline count: the last count at or before the start of treatment, inside the window of
// the settings' baseline timepoint when it names one and the plan has it. nullopt when there is
// none (then R cannot be told from NR between the R and CR thresholds).
std::optional<PlateletCount> selectBaseline(const PlateletResponseSettings& settings,
                                            const VisitPlan& plan, int64_t treatmentStart,
                                            std::span<const PlateletCount> counts);

struct CountResponse {
  PlateletCount count;
  ResponseCode level = ResponseCode::NR;   // the count's own category
  ResponseCode status = ResponseCode::NR;  // the course at this count: a confirmed loss, or level
  bool confirmed = false;                  // `status` is confirmed by the interval rule
  // A CR or an NR is confirmed at this count: the course's state after it no longer depends on
  // the counts before the confirming interval (see settledBefore).
  bool settles = false;
};

struct ResponseCourse {
  std::optional<double> baseline;
  std::vector<CountResponse> counts;  // each count from the start of treatment on, in time order
  std::optional<int64_t> responseAt;  // first count of the first confirmed R or CR
  std::optional<int64_t> completeResponseAt;
  std::optional<int64_t> lossOfResponseAt;  // first count of the first confirmed loss of R
  std::optional<int64_t> lossOfCompleteResponseAt;
  ResponseCode best = ResponseCode::NotEvaluable;  // best confirmed: CR, R or NR
  std::optional<int64_t> timeToResponse;           // seconds
  std::optional<int64_t> durationOfResponse;       // seconds, to its loss or the last count
  bool responseOngoing = false;                    // no loss yet: the duration is censored
  std::optional<int64_t> durationOfCompleteResponse;
  bool completeResponseOngoing = false;
  bool provisional = true;  // always: bleeding is the investigator's judgement

  // The response at the count taken at `seconds` (nullptr when there is no such count).
  const CountResponse* at(int64_t seconds) const;
};

// The course from `counts` (any order; counts before `treatmentStart` are not assessed).
// O(n log n) for the sort, then one pass.
ResponseCourse evaluatePlateletResponse(const PlateletResponseSettings& settings,
                                        std::optional<double> baseline, int64_t treatmentStart,
                                        std::span<const PlateletCount> counts);

// Whether the course over a window of the counts gives every count at or after `from` the
// response the course over all the counts gives. `windowed` must have been evaluated over every
// count later than some instant T (all of them, none left out) and none earlier, with the same
// settings, baseline and treatment start as the whole; then the answer is true when a count of
// the window earlier than `from` settles the course (CountResponse::settles). Why it is enough:
//  - the course's state after a count is: whether a CR and an R are held (holdsCR implies holdsR)
//    and, for each of the four runs (counts at least R, at least CR, below R, below CR), whether
//    it has lasted its interval at later counts: a run's start in the window is never earlier
//    than its start in the whole (the window is a suffix of the counts), so a run that has lasted
//    in the window has lasted in the whole, and a run that starts inside the window is the same;
//  - at a count s where a CR is confirmed, the runs at least R and at least CR cover s and have
//    lasted (the R run starts no later than the CR run), the runs below R and below CR are broken
//    by s; so after s a CR and an R are held whatever was held before (no loss can happen at a
//    CR count). Where an NR is confirmed, symmetrically: the runs below R and below CR have
//    lasted (the CR one starts no later), the others are broken, a held CR or R is lost, and after
//    s nothing is held;
//  - so after s the window and the whole agree on the holds, on every run that covers s (lasted,
//    and it stays lasted while it goes on) and on every run that starts after s (inside the
//    window): every later count gets the same level, status and confirmation. At s itself the
//    loss reported may differ (it depends on what was held before), hence "earlier than `from`".
// The level of a count depends on the baseline alone, which the caller gives both the same.
// Tested against the whole course over random courses (platelet_response_test.cc).
bool settledBefore(const ResponseCourse& windowed, int64_t from);

// Whether a response is reported at this timepoint (the settings' assessAt; all when empty).
bool reportsResponseAt(const PlateletResponseSettings& settings, std::string_view timepoint);

}  // namespace trialbridge::study
