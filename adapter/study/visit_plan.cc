#include "study/visit_plan.h"

#include <algorithm>
#include <map>
#include <utility>

#include "study/lab.h"

namespace trialbridge::study {

namespace {

bool calendarUnit(std::string_view unit) { return unit == "d" || unit == "wk" || unit == "mo"; }

bool applies(const Schedule& s, const SubjectEvents& e) {
  if (!e.arm.empty() && !s.arms.empty() &&
      std::find(s.arms.begin(), s.arms.end(), e.arm) == s.arms.end()) {
    return false;
  }
  if (!s.sex.empty() && !(s.sex == "FEMALE" && e.sex == "female") &&
      !(s.sex == "MALE" && e.sex == "male")) {
    return false;
  }
  return s.firstSubjects == 0 || e.enrolmentOrder == 0 || e.enrolmentOrder <= s.firstSubjects;
}

int occurrences(const Timepoint& tp) { return tp.repeatCount > 0 ? tp.repeatCount : 1; }

// Whether an activity says which laboratory test it is, and if so whether it is this one.
bool labActivity(const Activity& a) {
  return a.kind == "laboratory" || a.kind == "sample-collection";
}

}  // namespace

int64_t VisitWindow::distanceTo(int64_t second) const {
  if (second < earliest) return second - earliest;
  if (second >= latest) return second - (latest - 1);
  return 0;
}

std::string_view placementName(PlacementKind kind) {
  switch (kind) {
    case PlacementKind::InWindow: return "in-window";
    case PlacementKind::OutOfWindow: return "out-of-window";
    case PlacementKind::Unscheduled: return "unscheduled";
  }
  return "unscheduled";
}

SubjectEvents subjectEvents(const SubjectRecord& s) {
  SubjectEvents e;
  e.arm = !s.actualArm.empty() ? s.actualArm : s.arm;
  e.sex = s.sex;
  int32_t zone = 0;
  for (const DoseRecord& d : s.doses) {
    if (auto i = parseInstant(d.dateTime); i && i->hasTime()) {
      zone = i->zoneMinutes;
      break;
    }
  }
  for (const DoseRecord& d : s.doses) {
    if (auto i = parseInstant(d.dateTime, zone)) e.doses.push_back({d.timepoint, d.occurrence, *i});
  }
  if (s.consent) e.consent = parseInstant(s.consent->date, zone);
  if (!s.enrollmentDate.empty()) e.enrollment = parseInstant(s.enrollmentDate, zone);
  return e;
}

// Resolves the plan's times: each (timepoint, occurrence) at most once, anchors before what
// depends on them. The reader guarantees that timepoint anchors form no cycle; an event anchor
// (last-dose) that would depend on itself is left unknown.
class PlanBuilder {
 public:
  using EventTime = VisitPlan::EventTime;

  PlanBuilder(const Trial& trial, const SubjectEvents& events, VisitPlan& plan)
      : trial_(trial), events_(events), plan_(plan) {}

  void build() {
    plan_.trial_ = &trial_;
    plan_.unscheduledBeyond_ = trial_.laboratory.unscheduledBeyond;
    plan_.consent_ = fromInstant(events_.consent);
    plan_.enrollment_ = fromInstant(events_.enrollment);
    plan_.randomization_ = fromInstant(events_.randomization);
    for (const DoseGiven& d : events_.doses) {
      if (!plan_.firstDose_ || d.time.seconds < plan_.firstDose_->seconds) {
        plan_.firstDose_ = EventTime{d.time.seconds, d.time.zoneMinutes, WindowBasis::Actual};
      }
    }
    computingLastDose_ = true;
    plan_.lastDose_ = lastDose();
    computingLastDose_ = false;
    for (const Schedule& s : trial_.schedules) {
      if (!applies(s, events_)) continue;
      for (const Timepoint& tp : s.timepoints) {
        for (int k = 1; k <= occurrences(tp); ++k) addWindow(s, tp, k);
      }
    }
  }

 private:
  struct Memo {
    bool busy = false, done = false;
    std::optional<EventTime> value;
  };

  static std::optional<EventTime> fromInstant(const std::optional<Instant>& i) {
    if (!i) return std::nullopt;
    return EventTime{i->seconds, i->zoneMinutes, WindowBasis::Actual};
  }

  const DoseGiven* dose(std::string_view timepoint, int occurrence) const {
    for (const DoseGiven& d : events_.doses) {
      if (d.timepoint == timepoint && d.occurrence == occurrence) return &d;
    }
    return nullptr;
  }

  std::optional<EventTime> event(std::string_view name) const {
    if (name == "consent") return plan_.consent_;
    if (name == "enrollment") return plan_.enrollment_;
    if (name == "randomization") return plan_.randomization_;
    if (name == "first-dose") return plan_.firstDose_;
    if (name == "last-dose" && !computingLastDose_) return plan_.lastDose_;
    return std::nullopt;
  }

  // The latest dose once all are given; until then the latest planned dosing time.
  std::optional<EventTime> lastDose() {
    std::optional<EventTime> latest;
    for (const DoseGiven& d : events_.doses) {
      if (!latest || d.time.seconds > latest->seconds)
        latest = EventTime{d.time.seconds, d.time.zoneMinutes, WindowBasis::Actual};
    }
    if (events_.dosingComplete) return latest;
    for (const Schedule& s : trial_.schedules) {
      if (!applies(s, events_)) continue;
      for (const Timepoint& tp : s.timepoints) {
        if (tp.type != "dosing") continue;
        for (int k = 1; k <= occurrences(tp); ++k) {
          if (dose(tp.id, k)) continue;
          std::optional<EventTime> planned = actualOrNominal(s, tp, k);
          if (!planned) return std::nullopt;  // the last dose cannot be foreseen yet
          if (!latest || planned->seconds > latest->seconds) latest = planned;
          latest->basis = WindowBasis::Projected;
        }
      }
    }
    return latest;
  }

  static const Timepoint* byId(const Schedule& s, std::string_view id) {
    for (const Timepoint& tp : s.timepoints) {
      if (tp.id == id) return &tp;
    }
    return nullptr;
  }

  std::optional<EventTime> anchorTime(const Schedule& s, const Timepoint& tp) {
    if (!tp.anchor.event.empty()) return event(tp.anchor.event);
    const Timepoint* anchor = byId(s, tp.anchor.timepoint);
    if (anchor == nullptr) return std::nullopt;
    return actualOrNominal(s, *anchor, occurrences(*anchor));
  }

  std::optional<EventTime> nominal(const Schedule& s, const Timepoint& tp, int k) {
    if (!tp.offset) return std::nullopt;
    std::optional<EventTime> base;
    const TimeAmount* step = &*tp.offset;
    if (k == 1) {
      base = anchorTime(s, tp);
    } else {
      base = actualOrNominal(s, tp, k - 1);
      if (tp.repeatEvery) step = &*tp.repeatEvery;
    }
    if (!base) return std::nullopt;
    std::optional<int64_t> t = addTime(base->seconds, step->number, step->unit, base->zoneMinutes);
    if (!t) return std::nullopt;
    return EventTime{*t, base->zoneMinutes, base->basis};
  }

  // A dosing timepoint's actual time when given, else its nominal time (Projected for a dose
  // still to come).
  std::optional<EventTime> actualOrNominal(const Schedule& s, const Timepoint& tp, int k) {
    Memo& m = memo_[{&tp, k}];
    if (m.done) return m.value;
    if (m.busy) return std::nullopt;
    m.busy = true;
    std::optional<EventTime> v;
    if (const DoseGiven* d = dose(tp.id, k)) {
      v = EventTime{d->time.seconds, d->time.zoneMinutes, WindowBasis::Actual};
    } else {
      v = nominal(s, tp, k);
      if (v && tp.type == "dosing") v->basis = WindowBasis::Projected;
    }
    // `m` is still valid: a std::map does not move its elements on insertion.
    m.busy = false;
    m.done = !computingLastDose_;  // what is seen while last-dose is open is provisional
    m.value = v;
    return v;
  }

  void addWindow(const Schedule& s, const Timepoint& tp, int k) {
    VisitWindow w;
    w.schedule = &s;
    w.timepoint = &tp;
    w.occurrence = k;
    if (const DoseGiven* d = dose(tp.id, k)) {
      w.doseGiven = d->time.seconds;
    } else if (tp.type == "dosing" && events_.dosingComplete) {
      return;  // a dose that will not be given has no visit
    }
    if (!tp.offset) {
      std::optional<EventTime> a = anchorTime(s, tp);
      if (a) {
        w.zoneMinutes = a->zoneMinutes;
        w.basis = a->basis;
        if (tp.relation == "before") w.latest = a->seconds;
        if (tp.relation == "after") w.earliest = a->seconds + 1;
      } else if (tp.relation == "before") {
        w.basis = WindowBasis::Projected;  // the anchor is still to come: all times so far
      } else {
        return;
      }
      plan_.windows_.push_back(w);
      return;
    }
    std::optional<EventTime> n = nominal(s, tp, k);
    if (!n) return;
    w.nominal = n->seconds;
    w.zoneMinutes = n->zoneMinutes;
    w.basis = n->basis;
    const TimeAmount* before = tp.windowBefore ? &*tp.windowBefore : nullptr;
    const TimeAmount* after = tp.windowAfter ? &*tp.windowAfter : nullptr;
    const bool calendar = calendarUnit(tp.offset->unit) &&
                          (!before || calendarUnit(before->unit)) &&
                          (!after || calendarUnit(after->unit));
    int64_t lo = n->seconds, hi = n->seconds;
    if (before) lo = addTime(lo, -before->number, before->unit, n->zoneMinutes).value_or(lo);
    if (after) hi = addTime(hi, after->number, after->unit, n->zoneMinutes).value_or(hi);
    if (calendar) {
      w.earliest = startOfLocalDay(lo, n->zoneMinutes);
      w.latest = startOfLocalDay(hi, n->zoneMinutes) + kSecondsPerDay;
    } else if (!before && !after) {
      w.earliest = n->seconds;
      w.latest = n->seconds + kSecondsPerMinute;
    } else {
      w.earliest = lo;
      w.latest = hi + 1;
    }
    plan_.windows_.push_back(w);
  }

  const Trial& trial_;
  const SubjectEvents& events_;
  VisitPlan& plan_;
  std::map<std::pair<const Timepoint*, int>, Memo> memo_;
  bool computingLastDose_ = false;
};

VisitPlan VisitPlan::compute(const Trial& trial, const SubjectEvents& events) {
  VisitPlan plan;
  PlanBuilder(trial, events, plan).build();
  return plan;
}

const VisitWindow* VisitPlan::find(std::string_view timepoint, int occurrence) const {
  for (const VisitWindow& w : windows_) {
    if (w.timepoint->id == timepoint && w.occurrence == occurrence) return &w;
  }
  return nullptr;
}

std::optional<VisitPlan::EventTime> VisitPlan::event(std::string_view name) const {
  if (name == "consent") return consent_;
  if (name == "enrollment") return enrollment_;
  if (name == "randomization") return randomization_;
  if (name == "first-dose") return firstDose_;
  if (name == "last-dose") return lastDose_;
  return std::nullopt;
}

namespace {

enum class Scheduled : uint8_t { No, Unnamed, Named };

// Whether timepoint `tp` schedules a result of (system, code): Named when a laboratory or
// sample-collection activity names that test (or its analyte), Unnamed when one of them does not
// say which tests it is (a "haematology panel" without codes).
Scheduled schedules(const Trial& trial, const Timepoint& tp, std::string_view system,
                    std::string_view code) {
  if (code.empty()) return Scheduled::Named;
  Scheduled out = Scheduled::No;
  for (const std::string& id : tp.activities) {
    const Activity* a = trial.activity(id);
    if (a == nullptr || !labActivity(*a)) continue;
    if (!a->code || a->code->codes.empty()) {
      out = Scheduled::Unnamed;
    } else if (sameTest(*a->code, system, code)) {
      return Scheduled::Named;
    }
  }
  return out;
}

// Better of two windows that both hold `t`: bounded before open, then nearer nominal time.
// Returns <0 when a is better, >0 when b is, 0 when they are as good.
int compareHolding(const VisitWindow& a, const VisitWindow& b, int64_t t) {
  if (a.bounded() != b.bounded()) return a.bounded() ? -1 : 1;
  if (a.nominal && b.nominal) {
    const int64_t da = a.nominal.value() > t ? *a.nominal - t : t - *a.nominal;
    const int64_t db = b.nominal.value() > t ? *b.nominal - t : t - *b.nominal;
    if (da != db) return da < db ? -1 : 1;
    return 0;
  }
  if (a.nominal.has_value() != b.nominal.has_value()) return a.nominal ? -1 : 1;
  return 0;
}

int64_t magnitude(int64_t v) { return v < 0 ? -v : v; }

// The candidates of one kind (named or unnamed): the best window holding the time, an equally
// good second, and the nearest that does not hold it.
struct Candidates {
  bool any = false;
  const VisitWindow* best = nullptr;
  const VisitWindow* tie = nullptr;
  const VisitWindow* nearest = nullptr;
  int64_t nearestDistance = 0;

  void add(const VisitWindow& w, const Instant& time) {
    any = true;
    // A date-only time: the window holds it when it overlaps the day; its distance is from the
    // nearer end of the day.
    const int64_t first = time.seconds, last = time.end() - 1;
    if (last >= w.earliest && first < w.latest) {
      const int64_t mid = time.hasTime() ? first : first + (last - first) / 2;
      const int64_t at = w.holds(mid) ? mid : (first >= w.earliest ? first : w.earliest);
      if (best == nullptr) {
        best = &w;
        return;
      }
      const int c = compareHolding(w, *best, at);
      if (c < 0) {
        best = &w;
        tie = nullptr;
      } else if (c == 0 && tie == nullptr) {
        tie = &w;
      }
      return;
    }
    const int64_t d = last < w.earliest ? w.distanceTo(last) : w.distanceTo(first);
    if (nearest == nullptr || magnitude(d) < magnitude(nearestDistance)) {
      nearest = &w;
      nearestDistance = d;
    }
  }
};

}  // namespace

Placement VisitPlan::place(const Instant& time, std::string_view system,
                           std::string_view code) const {
  // Timepoints that name the test are the candidates; only when none does (anywhere in the
  // plan) are those with unnamed laboratory activities.
  Candidates named, unnamed;
  for (const VisitWindow& w : windows_) {
    switch (schedules(*trial_, *w.timepoint, system, code)) {
      case Scheduled::Named: named.add(w, time); break;
      case Scheduled::Unnamed: unnamed.add(w, time); break;
      case Scheduled::No: break;
    }
  }
  const Candidates& c = named.any ? named : unnamed;
  Placement p;
  if (c.best != nullptr) {
    p.kind = PlacementKind::InWindow;
    p.window = c.best;
    p.alternative = c.tie;
    return p;
  }
  p.window = c.nearest;
  p.distance = c.nearestDistance;
  if (c.nearest == nullptr) return p;  // unscheduled: no window of a timepoint for this test
  p.kind = PlacementKind::OutOfWindow;
  if (unscheduledBeyond_) {
    const std::optional<int64_t> limit =
        addTime(0, unscheduledBeyond_->number, unscheduledBeyond_->unit, 0);
    if (limit && magnitude(c.nearestDistance) > *limit) p.kind = PlacementKind::Unscheduled;
  }
  return p;
}

}  // namespace trialbridge::study
