#include "study/toxicity.h"

#include <cmath>
#include <limits>

#include "study/time_amount.h"

namespace trialbridge::study {

namespace {

// CTCAE v5.0 terms and their MedDRA 20.1 lowest-level-term codes.
constexpr ToxicityTermInfo kTerms[] = {
    {"platelet-count-decreased", "Platelet count decreased", "10035528", "platelets", true},
    {"alanine-aminotransferase-increased", "Alanine aminotransferase increased", "10001551", "alt",
     false},
    {"aspartate-aminotransferase-increased", "Aspartate aminotransferase increased", "10003481",
     "ast", false},
    {"blood-bilirubin-increased", "Blood bilirubin increased", "10005364", "bilirubin-total",
     false},
    {"creatinine-increased", "Creatinine increased", "10011368", "creatinine", false},
};

// Upper bounds of grades 1 to 3 as multiples (grade 4 above the last); a value at or below
// `floor` is grade 0. `floorIncluded`: a value equal to the floor is already grade 1.
struct Bands {
  double floor;
  bool floorIncluded;
  double upper[3];
};
constexpr Bands kTransaminaseUln{1.0, false, {3.0, 5.0, 20.0}};
constexpr Bands kTransaminaseBaseline{1.5, true, {3.0, 5.0, 20.0}};
constexpr Bands kBilirubinUln{1.0, false, {1.5, 3.0, 10.0}};
constexpr Bands kBilirubinBaseline{1.0, false, {1.5, 3.0, 10.0}};

int gradeOf(const Bands& b, double ratio) {
  if (ratio < b.floor || (ratio == b.floor && !b.floorIncluded)) return 0;
  for (int g = 0; g < 3; ++g) {
    if (ratio <= b.upper[g]) return g + 1;
  }
  return 4;
}

int creatinineGrade(double value, double uln, std::optional<double> baseline, bool& byBaseline) {
  const double r = value / uln;
  int g = r > 6 ? 4 : r > 3 ? 3 : r > 1.5 ? 2 : r > 1 ? 1 : 0;
  byBaseline = false;
  if (baseline && *baseline > 0) {
    const double q = value / *baseline;
    const int gb = q > 3 ? 3 : q > 1.5 ? 2 : 0;
    if (gb > g) {
      g = gb;
      byBaseline = true;
    }
  }
  return g;
}

// Platelets in 10^9/L: nullopt when only the LLN could tell grade 0 from grade 1 and none is
// known.
std::optional<int> plateletGrade(double value, std::optional<double> lln) {
  if (value < 25) return 4;
  if (value < 50) return 3;
  if (value < 75) return 2;
  if (!lln) return std::nullopt;
  return value < *lln ? 1 : 0;
}

std::string number(double v) { return decimalText(std::round(v * 1000) / 1000); }

}  // namespace

std::span<const ToxicityTermInfo> toxicityTerms() { return kTerms; }

const ToxicityTermInfo* toxicityTerm(std::string_view id) {
  for (const ToxicityTermInfo& t : kTerms) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

const ToxicityTermSettings* gradedTermFor(const Trial& trial, const LabResult& result) {
  const Analyte* analyte = LabCatalog::get().find(result.system, result.code);
  if (analyte == nullptr) return nullptr;
  for (const ToxicityTermSettings& s : trial.safety.terms) {
    const ToxicityTermInfo* info = toxicityTerm(s.term);
    if (info != nullptr && info->analyte == analyte->id) return &s;
  }
  return nullptr;
}

namespace {

// Grades one value (in the analyte's unit) against the limits and the baseline. `how` receives
// the basis and ratio; nullopt with `why` when it cannot be graded.
struct Graded {
  int grade = 0;
  std::string basis;
  double ratio = 0;
};

std::optional<Graded> gradeValue(const ToxicityTermInfo& term, double value,
                                 const NormalLimits& limits, std::optional<double> baseline,
                                 std::optional<double> baselineUln, std::string& why) {
  Graded g;
  if (term.decreased) {
    std::optional<int> grade = plateletGrade(value, limits.low);
    if (!grade) {
      why = "no lower limit of normal to tell grade 1 from normal (" + why + ")";
      return std::nullopt;
    }
    g.grade = *grade;
    g.basis = g.grade >= 2 || !limits.low ? "absolute" : "LLN";
    g.ratio = limits.low ? value / *limits.low : 0;
    return g;
  }
  if (!limits.high || *limits.high <= 0) {
    why = "no upper limit of normal (" + why + ")";
    return std::nullopt;
  }
  const double uln = *limits.high;
  if (term.analyte == "creatinine") {
    bool byBaseline = false;
    g.grade = creatinineGrade(value, uln, baseline, byBaseline);
    g.basis = byBaseline ? "baseline" : "ULN";
    g.ratio = byBaseline ? value / *baseline : value / uln;
    return g;
  }
  // ALT, AST, bilirubin: against the ULN when the baseline was normal (or is unknown), against
  // the baseline when it was above its ULN.
  const bool abnormal = baseline && baselineUln && *baseline > *baselineUln;
  const bool bilirubin = term.analyte == "bilirubin-total";
  if (abnormal) {
    g.basis = "baseline";
    g.ratio = value / *baseline;
    g.grade = gradeOf(bilirubin ? kBilirubinBaseline : kTransaminaseBaseline, g.ratio);
  } else {
    g.basis = "ULN";
    g.ratio = value / uln;
    g.grade = gradeOf(bilirubin ? kBilirubinUln : kTransaminaseUln, g.ratio);
  }
  return g;
}

}  // namespace

ToxicityGrade gradeToxicity(const Trial& trial, const ToxicityTermSettings& settings,
                            const LabResult& result, const LabResult* baseline,
                            const SubjectFacts& subject) {
  ToxicityGrade out;
  out.term = toxicityTerm(settings.term);
  if (out.term == nullptr) {
    out.reason = "'" + settings.term + "' is not a CTCAE term trialbridge grades";
    return out;
  }
  if (settings.grading == "none") {
    out.reason = std::string(out.term->ctcae) + " is not graded in this trial";
    return out;
  }
  const Analyte* analyte = LabCatalog::get().byId(out.term->analyte);
  const std::string& unit = analyte->unit;
  std::string why;
  std::optional<ValueRange> v = valueIn(result, unit, analyte, &why);
  if (!v) {
    out.reason = "cannot be evaluated: " + why;
    return out;
  }
  std::string limitWhy;
  const NormalLimits limits = normalLimits(trial, result, subject, unit, &limitWhy);
  std::optional<double> base, baseUln;
  if (baseline != nullptr) {
    std::string ignored;
    if (auto b = valueIn(*baseline, unit, analyte, &ignored); b && b->point()) base = b->low;
    baseUln = normalLimits(trial, *baseline, subject, unit, &ignored).high;
    if (!baseUln) baseUln = limits.high;
  }
  // A censored value is graded at both ends of what it may be; it has a grade only when both
  // ends agree.
  constexpr double kFar = 1e12;
  const double lo = std::isfinite(v->low) ? v->low : -kFar;
  const double hi = std::isfinite(v->high) ? v->high : kFar;
  why = limitWhy;
  std::optional<Graded> gLo = gradeValue(*out.term, lo, limits, base, baseUln, why);
  std::optional<Graded> gHi = gLo ? gradeValue(*out.term, hi, limits, base, baseUln, why) : gLo;
  if (!gLo || !gHi) {
    out.reason = "cannot be evaluated: " + why;
    return out;
  }
  if (gLo->grade != gHi->grade) {
    out.reason = "cannot be evaluated: the censored value " + result.comparator +
                 number(*result.value) + " may be grade " + std::to_string(gLo->grade) + " or " +
                 std::to_string(gHi->grade);
    return out;
  }
  out.evaluated = true;
  out.grade = gLo->grade;
  out.basis = gLo->basis;
  out.ratio = gLo->ratio;
  std::string how =
      std::string(out.term->ctcae) + ": " + result.comparator + number(lo) + " " + unit;
  if (out.basis == "ULN")
    how += " = " + number(out.ratio) + " x ULN (" + number(*limits.high) + ")";
  if (out.basis == "baseline")
    how += " = " + number(out.ratio) + " x baseline (" + number(*base) + ")";
  how += ": grade " + std::to_string(out.grade);
  if (settings.grading == "relative-to-baseline") {
    if (!base) {
      out.evaluated = false;
      out.grade = 0;
      out.reason =
          "cannot be evaluated: graded relative to baseline and the subject has no "
          "baseline value";
      return out;
    }
    std::string baseWhy = limitWhy;
    std::optional<Graded> gb =
        gradeValue(*out.term, *base, limits, std::nullopt, std::nullopt, baseWhy);
    out.baselineGrade = gb ? gb->grade : 0;
    if (out.grade <= *out.baselineGrade) {
      how += ", not worse than the baseline's grade " + std::to_string(*out.baselineGrade);
      out.grade = 0;
    } else {
      how += " (baseline grade " + std::to_string(*out.baselineGrade) + ")";
    }
  }
  const int threshold = settings.draftFromGrade.value_or(trial.safety.draftFromGrade);
  out.proposeAdverseEvent = out.grade >= threshold && out.grade > 0;
  out.reason = std::move(how);
  return out;
}

bool proposeDraft(int grade, int threshold, int highestProposed) {
  return grade > 0 && grade >= threshold && grade > highestProposed;
}

}  // namespace trialbridge::study
