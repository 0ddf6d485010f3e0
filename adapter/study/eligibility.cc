#include "study/eligibility.h"

#include <cmath>

#include "core/text.h"
#include "study/time_amount.h"

namespace trialbridge::study {

std::string_view verdictName(Verdict v) {
  switch (v) {
    case Verdict::Met: return "met";
    case Verdict::NotMet: return "not-met";
    case Verdict::CannotEvaluate: return "cannot-be-evaluated";
  }
  return "cannot-be-evaluated";
}

namespace {

std::string number(double v) { return decimalText(std::round(v * 1000) / 1000); }

RuleOutcome outcome(std::string rule, std::string kind, std::string criterion) {
  RuleOutcome o;
  o.rule = std::move(rule);
  o.kind = std::move(kind);
  o.criterion = std::move(criterion);
  return o;
}

// The verdict of a list where all must be met.
Verdict allOf(const std::vector<RuleOutcome>& rules) {
  bool cannot = false;
  for (const RuleOutcome& r : rules) {
    if (r.verdict == Verdict::NotMet) return Verdict::NotMet;
    cannot |= r.verdict == Verdict::CannotEvaluate;
  }
  return cannot ? Verdict::CannotEvaluate : Verdict::Met;
}

// Whether every value of `v` satisfies `value comparator limit` (Met), none does (NotMet), or
// some do (CannotEvaluate). Values within a relative 1e-9 of the limit count as equal to it, so
// that a conversion's rounding does not move a value across.
Verdict compare(const ValueRange& v, std::string_view comparator, double limit) {
  const double eps = 1e-9 * std::max(1.0, std::fabs(limit));
  auto snap = [&](double x) { return std::fabs(x - limit) <= eps ? limit : x; };
  const double lo = snap(v.low), hi = snap(v.high);
  bool all = false, none = false;
  if (comparator == "<") {
    all = hi < limit || (hi == limit && v.highOpen);
    none = lo >= limit;
  } else if (comparator == "<=") {
    all = hi <= limit;
    none = lo > limit || (lo == limit && v.lowOpen);
  } else if (comparator == ">") {
    all = lo > limit || (lo == limit && v.lowOpen);
    none = hi <= limit;
  } else {  // >=
    all = lo >= limit;
    none = hi < limit || (hi == limit && v.highOpen);
  }
  return all ? Verdict::Met : none ? Verdict::NotMet : Verdict::CannotEvaluate;
}

int64_t reference(const EligibilityInput& in) {
  return in.firstDose ? in.firstDose->seconds : in.evaluatedAt.seconds;
}

std::string durationText(const TimeAmount& t) { return t.value + " " + t.unit; }

// The earliest time a result may have for this rule.
int64_t earliestAllowed(const Trial& trial, const Rule& rule, const EligibilityInput& in) {
  const int64_t ref = reference(in);
  if (rule.within) {
    return addTime(ref, -rule.within->number, rule.within->unit, in.evaluatedAt.zoneMinutes)
        .value_or(ref);
  }
  if (!in.consent) return kNoLowerBound;
  const std::optional<TimeAmount>& back = trial.laboratory.lookBack;
  if (!back) return in.consent->seconds;
  return addTime(in.consent->seconds, -back->number, back->unit, in.consent->zoneMinutes)
      .value_or(in.consent->seconds);
}

// The latest result for which `matches` holds, in the rule's time frame.
template <typename Match>
const LabResult* latestResult(const Trial& trial, const Rule& rule, const EligibilityInput& in,
                              Match&& matches) {
  const int64_t from = earliestAllowed(trial, rule, in), to = reference(in);
  const LabResult* best = nullptr;
  for (const LabResult& r : in.results) {
    if (r.effective.end() - 1 < from || r.effective.seconds > to || !matches(r)) continue;
    if (best == nullptr || r.effective.seconds >= best->effective.seconds) best = &r;
  }
  return best;
}

std::string timeFrame(const Rule& rule, const EligibilityInput& in) {
  std::string s = rule.within ? " within " + durationText(*rule.within) : "";
  s += in.firstDose ? " before the first dose" : " so far";
  return s;
}

RuleOutcome labRule(const Trial& trial, const Rule& rule, const EligibilityInput& in) {
  RuleOutcome out = outcome(rule.id, rule.kind, rule.criterion);
  const std::string testName = rule.test ? rule.test->text : std::string("the test");
  if (!rule.test || rule.test->codes.empty()) {
    out.reason = testName + " has no code in the trial file: results cannot be matched to it";
    return out;
  }
  const LabResult* r = latestResult(
      trial, rule, in, [&](const LabResult& x) { return sameTest(*rule.test, x.system, x.code); });
  if (r == nullptr) {
    out.reason = "no result of " + testName + timeFrame(rule, in);
    return out;
  }
  out.evidence = r->source;
  const Threshold& th = rule.threshold;
  const double factor = decimalNumber(th.value);
  const Analyte* analyte = LabCatalog::get().find(r->system, r->code);
  std::string why;
  double limit = 0;
  std::optional<ValueRange> v;
  std::string limitText;
  if (!th.relativeTo.empty()) {
    const NormalLimits limits = normalLimits(trial, *r, in.subject, r->unit, &why);
    const std::optional<double>& lim = th.relativeTo == "ULN" ? limits.high : limits.low;
    if (!lim) {
      out.reason = testName + ": no " + th.relativeTo + " (" + why + ")";
      return out;
    }
    limit = factor * *lim;
    limitText = th.value + " x " + th.relativeTo + " (" + number(*lim) + " " + r->unit +
                ", from the " + limits.source + ") = " + number(limit) + " " + r->unit;
    v = valueIn(*r, r->unit, analyte, &why);
  } else {
    limit = factor;
    limitText = th.value + " " + th.unit;
    v = valueIn(*r, th.unit, analyte, &why);
  }
  if (!v) {
    out.reason = testName + ": " + why;
    return out;
  }
  out.verdict = compare(*v, th.comparator, limit);
  const std::string shown = r->comparator + number(*r->value) + " " + r->unit;
  out.reason = testName + " " + shown +
               (out.verdict == Verdict::Met      ? " meets "
                : out.verdict == Verdict::NotMet ? " fails "
                                                 : " may or may not meet ") +
               th.comparator + " " + limitText;
  return out;
}

enum class HcgReading { Negative, Positive, Unknown };

HcgReading readHcg(const LabResult& r, const Trial& trial, const SubjectFacts& subject) {
  static constexpr std::string_view kNegative[] = {"260385009", "LA6577-6"};
  static constexpr std::string_view kPositive[] = {"10828004", "LA6576-8"};
  for (std::string_view c : kNegative) {
    if (r.valueCode == c) return HcgReading::Negative;
  }
  for (std::string_view c : kPositive) {
    if (r.valueCode == c) return HcgReading::Positive;
  }
  const std::string text = core::asciiLower(r.valueText);
  if (text == "negative" || text == "neg" || text == "not detected") return HcgReading::Negative;
  if (text == "positive" || text == "pos" || text == "detected") return HcgReading::Positive;
  if (r.interpretation == "NEG") return HcgReading::Negative;
  if (r.interpretation == "POS") return HcgReading::Positive;
  if (r.value) {
    std::string why;
    const NormalLimits limits = normalLimits(trial, r, subject, r.unit, &why);
    if (limits.high) {
      std::optional<ValueRange> v = valueIn(r, r.unit, nullptr, &why);
      if (v) {
        const Verdict within = compare(*v, "<=", *limits.high);
        if (within == Verdict::Met) return HcgReading::Negative;
        if (within == Verdict::NotMet) return HcgReading::Positive;
      }
    }
  }
  return HcgReading::Unknown;
}

bool specimenAllowed(const Rule& rule, const LabResult& r) {
  if (rule.specimens.empty()) return true;
  const std::string_view s = LabCatalog::get().specimen(r.system, r.code);
  if (s.empty()) return true;  // the catalogue does not say: the code's own name will
  for (const std::string& allowed : rule.specimens) {
    if (s == allowed || (s == "serum" && allowed == "blood")) return true;
  }
  return false;
}

RuleOutcome pregnancyRule(const Trial& trial, const Rule& rule, const EligibilityInput& in) {
  RuleOutcome out = outcome(rule.id, rule.kind, rule.criterion);
  const SubjectFacts& s = in.subject;
  if (s.sex == "male" || (s.sex == "female" && s.childbearingPotential == false)) {
    out.verdict = Verdict::Met;
    out.reason = s.sex == "male" ? "not applicable: the subject is male"
                                 : "not applicable: the subject has no childbearing potential";
    return out;
  }
  const Analyte* hcg = LabCatalog::get().byId("hcg");
  const LabResult* r = latestResult(trial, rule, in, [&](const LabResult& x) {
    const bool test = rule.test && !rule.test->codes.empty()
                          ? sameTest(*rule.test, x.system, x.code)
                          : LabCatalog::get().find(x.system, x.code) == hcg;
    return test && specimenAllowed(rule, x);
  });
  const std::string potential =
      s.childbearingPotential ? "" : " (childbearing potential not recorded)";
  if (r == nullptr) {
    out.reason = "no pregnancy test" + timeFrame(rule, in) + potential;
    return out;
  }
  out.evidence = r->source;
  switch (readHcg(*r, trial, s)) {
    case HcgReading::Negative:
      out.verdict = Verdict::Met;
      out.reason = "the pregnancy test is negative";
      break;
    case HcgReading::Positive:
      out.verdict = Verdict::NotMet;
      out.reason = "the pregnancy test is positive" + potential;
      break;
    case HcgReading::Unknown:
      out.reason = "the pregnancy test's result cannot be read as negative or positive";
      break;
  }
  return out;
}

bool sameMedication(const Concept& wanted, const Concept& taken) {
  for (const Coding& w : wanted.codes) {
    for (const Coding& t : taken.codes) {
      if (w.system != t.system) continue;
      const bool atc = w.system == "http://www.whocc.no/atc";
      if (t.code == w.code || (atc && t.code.compare(0, w.code.size(), w.code) == 0)) return true;
    }
  }
  return false;
}

RuleOutcome washoutRule(const Trial&, const Rule& rule, const EligibilityInput& in) {
  RuleOutcome out = outcome(rule.id, rule.kind, rule.criterion);
  const std::string name = rule.medication ? rule.medication->text : std::string("the medication");
  if (!in.medicationHistoryKnown) {
    out.reason = "no medication history is known for the subject";
    return out;
  }
  std::optional<Instant> event = rule.before == "enrollment"      ? in.enrollment
                                 : rule.before == "randomization" ? in.randomization
                                 : rule.before == "consent"       ? in.consent
                                                                  : in.firstDose;
  const int64_t ref = event ? event->seconds : in.evaluatedAt.seconds;
  const int64_t from = addTime(ref, -rule.period->number, rule.period->unit, 0).value_or(ref);
  const std::string frame = "in the " + durationText(*rule.period) + " before " +
                            (event ? rule.before : "now (" + rule.before + " is still to come)");
  if (!rule.medication || rule.medication->codes.empty()) {
    if (in.medications.empty()) {
      out.verdict = Verdict::Met;
      out.reason = "the medication history is empty";
    } else {
      out.reason = name + " is named only in words: the investigator checks the history";
    }
    return out;
  }
  for (const MedicationExposure& m : in.medications) {
    if (!sameMedication(*rule.medication, m.medication)) continue;
    const bool ongoing = !m.end;
    const int64_t end = m.end ? m.end->end() - 1 : kNoUpperBound;
    const bool startedBefore = !m.start || m.start->seconds <= ref;
    if (startedBefore && (ongoing || end >= from)) {
      out.verdict = Verdict::NotMet;
      out.reason = m.medication.text + " taken " + frame;
      return out;
    }
  }
  out.verdict = Verdict::Met;
  out.reason = "no " + name + " " + frame;
  return out;
}

RuleOutcome anyOfRule(const Trial& trial, const Rule& rule, const EligibilityInput& in) {
  RuleOutcome out = outcome(rule.id, rule.kind, rule.criterion);
  bool cannot = false;
  for (const Rule& alt : rule.rules) {
    RuleOutcome a = evaluateRule(trial, alt, in);
    if (a.criterion.empty()) a.criterion = rule.criterion;
    if (a.verdict == Verdict::Met && out.verdict != Verdict::Met) {
      out.verdict = Verdict::Met;
      out.evidence = a.evidence;
      out.reason = "met by " + alt.id + ": " + a.reason;
    }
    cannot |= a.verdict == Verdict::CannotEvaluate;
    out.alternatives.push_back(std::move(a));
  }
  if (out.verdict != Verdict::Met) {
    out.verdict = cannot ? Verdict::CannotEvaluate : Verdict::NotMet;
    out.reason =
        cannot ? "no alternative is met, and some cannot be evaluated" : "no alternative is met";
  }
  return out;
}

std::optional<RuleOutcome> ageRule(const Trial& trial, const EligibilityInput& in) {
  const Eligibility& e = trial.eligibility;
  if (!e.minimumAge && !e.maximumAge) return std::nullopt;
  RuleOutcome out = outcome("age", "age", e.ageCriterion);
  const Instant at = in.consent ? *in.consent : in.evaluatedAt;
  if (in.subject.birthDate.empty()) {
    out.reason = "the subject's birth date is not known";
    return out;
  }
  std::vector<RuleOutcome> parts;
  if (e.minimumAge) {
    RuleOutcome p = outcome("age", "age", e.ageCriterion);
    std::optional<bool> reached = hasReachedAge(
        in.subject.birthDate, at, decimalNumber(e.minimumAge->value), e.minimumAge->unit);
    p.verdict = !reached ? Verdict::CannotEvaluate : *reached ? Verdict::Met : Verdict::NotMet;
    parts.push_back(p);
  }
  if (e.maximumAge) {
    RuleOutcome p = outcome("age", "age", e.ageCriterion);
    // Bounds included: 75 years holds until the 76th birthday.
    std::optional<bool> over = hasReachedAge(
        in.subject.birthDate, at, decimalNumber(e.maximumAge->value) + 1, e.maximumAge->unit);
    p.verdict = !over ? Verdict::CannotEvaluate : *over ? Verdict::NotMet : Verdict::Met;
    parts.push_back(p);
  }
  out.verdict = allOf(parts);
  const std::string range = (e.minimumAge ? e.minimumAge->value + " " + e.minimumAge->unit : "") +
                            " to " +
                            (e.maximumAge ? e.maximumAge->value + " " + e.maximumAge->unit : "");
  out.reason = std::string(out.verdict == Verdict::Met ? "the age at screening is within "
                           : out.verdict == Verdict::NotMet
                               ? "the age at screening is outside "
                               : "the birth date (" + in.subject.birthDate +
                                     ") cannot tell whether the age is within ") +
               range;
  return out;
}

std::optional<RuleOutcome> sexRule(const Trial& trial, const EligibilityInput& in) {
  const std::string& wanted = trial.eligibility.sex;
  if (wanted.empty() || wanted == "ALL") return std::nullopt;
  RuleOutcome out = outcome("sex", "sex", "");
  const std::string want = core::asciiLower(wanted);
  if (in.subject.sex == "female" || in.subject.sex == "male") {
    out.verdict = in.subject.sex == want ? Verdict::Met : Verdict::NotMet;
    out.reason = "the trial enrols " + want + " subjects; the subject is " + in.subject.sex;
  } else {
    out.reason = "the trial enrols " + want +
                 " subjects; the subject's sex is not recorded as male or female";
  }
  return out;
}

}  // namespace

RuleOutcome evaluateRule(const Trial& trial, const Rule& rule, const EligibilityInput& in) {
  if (rule.kind == "lab") return labRule(trial, rule, in);
  if (rule.kind == "pregnancy-test") return pregnancyRule(trial, rule, in);
  if (rule.kind == "washout") return washoutRule(trial, rule, in);
  if (rule.kind == "anyOf") return anyOfRule(trial, rule, in);
  RuleOutcome out = outcome(rule.id, rule.kind, rule.criterion);
  out.reason = "unknown kind of rule '" + rule.kind + "'";
  return out;
}

EligibilityOutcome evaluateEligibility(const Trial& trial, const EligibilityInput& in) {
  EligibilityOutcome out;
  const Eligibility& e = trial.eligibility;
  std::optional<RuleOutcome> age = ageRule(trial, in);
  for (int part = 0; part < 2; ++part) {
    for (const Criterion& c : part == 0 ? e.inclusion : e.exclusion) {
      CriterionOutcome co;
      co.criterion = c.id;
      co.inclusion = part == 0;
      if (age && age->criterion == c.id) co.rules.push_back(*age);
      for (const Rule& r : e.rules) {
        if (r.criterion == c.id) co.rules.push_back(evaluateRule(trial, r, in));
      }
      if (co.rules.empty()) {
        out.leftToInvestigator.push_back(c.id);
        continue;
      }
      co.verdict = allOf(co.rules);
      out.criteria.push_back(std::move(co));
    }
  }
  if (std::optional<RuleOutcome> sex = sexRule(trial, in)) out.general.push_back(*sex);
  if (age && age->criterion.empty()) out.general.push_back(*age);
  for (const Rule& r : e.rules) {
    if (r.criterion.empty()) out.general.push_back(evaluateRule(trial, r, in));
  }
  std::vector<RuleOutcome> verdicts = out.general;
  for (const CriterionOutcome& c : out.criteria) {
    RuleOutcome v;
    v.verdict = c.verdict;
    verdicts.push_back(std::move(v));
  }
  out.overall = allOf(verdicts);
  return out;
}

}  // namespace trialbridge::study
