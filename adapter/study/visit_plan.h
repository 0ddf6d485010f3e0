#pragma once
// Visit windows: where each timepoint of the trial's schedules falls for one subject, computed
// from the subject's actual events (consent, enrolment, the doses given), and where a result's
// effective time belongs (docs/study-logic.md, "Visit windows").
//
// The rules:
//   - A timepoint's nominal time is its anchor's time plus its offset. An event anchor is the
//     subject's event: first-dose is the earliest dose given, last-dose the latest once every
//     dosing timepoint of the subject's schedules is given (or SubjectEvents::dosingComplete);
//     before that, last-dose is projected from the plan. A timepoint anchor is that timepoint's
//     actual dose time when it is a dosing timepoint already given, else its own nominal time
//     (of its last occurrence when it repeats). A repeating timepoint's occurrence k > 1 is
//     `every` after occurrence k - 1 (its actual dose time when given).
//   - The window is the nominal time minus `before` to plus `after`. When offset and window are
//     in days, weeks or months (or there is no window and the offset is), the window is whole
//     local calendar days, in the zone of the anchor (study days: "day 7 +/- 1" is all of days
//     6 to 8). In minutes and hours it is exact to the second; without a window, the nominal
//     minute.
//   - A timepoint with a relation and no offset ("before the first dose") holds all times
//     before (after) its anchor; before an anchor that has not happened yet, all times.
//   - A window whose anchor is not known (no dose given yet for first-dose) is not computed.
//     A window computed from a dose not given yet (the plan's time instead) is Projected.
// Recorded late or corrected doses change the plan: compute it again from the new events; it is
// a pure function of the trial and the events.
//
// Placement of a result: the candidates are the timepoints that schedule its test (a laboratory
// or sample-collection activity whose code is the test or its analyte); only when no timepoint
// names the test are those whose laboratory activities name no test at all ("haematology
// panel"). Among the candidates' windows, the one that holds its time is the timepoint (a
// bounded window before an open one, then the nearest nominal time, then the order of the trial
// file; an equally good second is reported as `alternative`). Outside all of them, it is out of
// window of the nearest, with the distance; unscheduled when there is no candidate window, or
// the nearest is farther than the trial's laboratory.unscheduledBeyond.
//
// With SubjectEvents::dosingComplete, dosing timepoints not given have no window.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "study/instant.h"
#include "study/trial.h"

namespace trialbridge::study {

struct DoseGiven {
  std::string timepoint;
  int occurrence = 1;
  Instant time;
};

// What happened to the subject, as far as the schedules care.
struct SubjectEvents {
  std::string arm;  // arm id: schedules limited to other arms do not apply; "" : all schedules
  // For schedules limited to some subjects of their arms: the subject's administrative sex (a
  // schedule for FEMALE or MALE applies to that sex only; not when the sex is unknown), and the
  // subject's place in the order of enrolment in its arm, 1-based (a schedule for the first N
  // applies when it is at most N; 0: unknown, the schedule applies).
  std::string sex;
  int enrolmentOrder = 0;
  std::optional<Instant> consent, enrollment, randomization;
  std::vector<DoseGiven> doses;
  bool dosingComplete = false;  // no further dose will be given (treatment ended early)
};

// The events of a subject record (arm, sex, consent and enrolment dates, the doses of its file).
// Dates
// without a time are taken in the zone of the first dose with one (else UTC). Values that do not
// parse are left out (the entity reader refuses them before).
SubjectEvents subjectEvents(const SubjectRecord& subject);

enum class WindowBasis : uint8_t {
  Actual,     // every anchor it depends on has happened
  Projected,  // it depends on a dose not given yet: the plan's time stands in
};

struct VisitWindow {
  const Schedule* schedule = nullptr;
  const Timepoint* timepoint = nullptr;
  int occurrence = 1;
  std::optional<int64_t> nominal;    // UTC seconds; none for a relation-only timepoint
  int64_t earliest = kNoLowerBound;  // first second in the window
  int64_t latest = kNoUpperBound;    // first second after it
  int32_t zoneMinutes = 0;           // the zone of its anchor
  WindowBasis basis = WindowBasis::Actual;
  std::optional<int64_t> doseGiven;  // a dosing timepoint already given: when

  bool bounded() const { return earliest != kNoLowerBound && latest != kNoUpperBound; }
  bool holds(int64_t second) const { return second >= earliest && second < latest; }
  // Seconds from the window to `second`: 0 inside, negative before it opens, positive after.
  int64_t distanceTo(int64_t second) const;
};

enum class PlacementKind : uint8_t { InWindow, OutOfWindow, Unscheduled };
std::string_view placementName(PlacementKind kind);  // in-window, out-of-window, unscheduled

struct Placement {
  PlacementKind kind = PlacementKind::Unscheduled;
  // InWindow: the timepoint. Otherwise the nearest window of a timepoint scheduling the test, or
  // null when there is none.
  const VisitWindow* window = nullptr;
  // Seconds outside `window` (negative: before it opens); 0 when in it.
  int64_t distance = 0;
  // InWindow: another window that holds the time as well as `window` (ambiguous placement).
  const VisitWindow* alternative = nullptr;
};

class VisitPlan {
 public:
  // Computes the windows of every timepoint (and occurrence) of the schedules that apply to the
  // subject's arm. `trial` must outlive the plan.
  static VisitPlan compute(const Trial& trial, const SubjectEvents& events);

  // In the order of the trial file (schedules, timepoints, occurrences).
  const std::vector<VisitWindow>& windows() const { return windows_; }
  const VisitWindow* find(std::string_view timepoint, int occurrence = 1) const;

  // Where a result of test (system, code) taken at `time` belongs; an empty code means any test
  // (every timepoint is a candidate). A date-only time is in a window that it overlaps.
  // Allocates nothing.
  Placement place(const Instant& time, std::string_view system = {},
                  std::string_view code = {}) const;

  // The time of an anchor event for this subject (consent, enrollment, randomization,
  // first-dose, last-dose), with its basis; nullopt when not known.
  struct EventTime {
    int64_t seconds = 0;
    int32_t zoneMinutes = 0;
    WindowBasis basis = WindowBasis::Actual;
  };
  std::optional<EventTime> event(std::string_view name) const;

 private:
  const Trial* trial_ = nullptr;
  std::vector<VisitWindow> windows_;
  std::optional<EventTime> consent_, enrollment_, randomization_, firstDose_, lastDose_;
  std::optional<TimeAmount> unscheduledBeyond_;
  friend class PlanBuilder;
};

}  // namespace trialbridge::study
