#include "study/detail/read_logic.h"

#include <set>

#include "conformance/ucum.h"
#include "study/detail/read_common.h"
#include "study/lab.h"
#include "study/toxicity.h"

namespace trialbridge::study::detail {

namespace {

using core::JsonNode;

class LogicReader : private core::JsonInputReporter {
 public:
  LogicReader(const core::JsonInput& in, core::Issues& issues) : JsonInputReporter(in, issues) {}

  void read(Trial& t) {
    const JsonNode root = in_.root();
    readLaboratory(root.get("laboratory"), t);
    if (root.get("efficacy").has("plateletResponse"))
      readPlateletResponse(root.get("efficacy").get("plateletResponse"), t);
    readSafety(root.get("safety").get("labToxicity"), t);
  }

 private:
  void ucumUnit(const JsonNode& n, const std::string& unit) {
    std::string why;
    if (!conformance::ucum::isValid(unit, &why)) {
      error(n.path(), "'" + unit + "' is not a UCUM unit: " + why, core::IssueType::CodeInvalid);
    }
  }

  std::optional<Age> age(const JsonNode& n) {
    if (!n.exists()) return std::nullopt;
    return Age{n.get("value").number(), n.str("unit")};
  }

  void readLaboratory(const JsonNode& n, Trial& t) {
    LaboratorySettings& lab = t.laboratory;
    if (n.has("lookBack")) lab.lookBack = readTime(n.get("lookBack"));
    if (n.has("unscheduledBeyond")) lab.unscheduledBeyond = readTime(n.get("unscheduledBeyond"));
    const JsonNode ranges = n.get("referenceRanges");
    for (size_t i = 0; i < ranges.size(); ++i) {
      const JsonNode r = ranges.item(i);
      ReferenceRange range;
      range.test = readConcept(r.get("test"), issues_);
      if (r.has("low")) range.low = r.get("low").real();
      if (r.has("high")) range.high = r.get("high").real();
      range.unit = r.str("unit");
      ucumUnit(r.get("unit"), range.unit);
      range.sex = r.str("sex");
      range.minimumAge = age(r.get("minimumAge"));
      range.maximumAge = age(r.get("maximumAge"));
      if (range.low && range.high && *range.low > *range.high) {
        error(r.get("low").path(), "the low limit is above the high limit");
      }
      if (range.test.codes.empty()) {
        error(r.get("test").path(), "a reference range names its test by code (LOINC)",
              core::IssueType::Required);
      }
      lab.referenceRanges.push_back(std::move(range));
    }
  }

  bool hasTimepoint(const Trial& t, const std::string& id) {
    for (const Schedule& s : t.schedules) {
      for (const Timepoint& tp : s.timepoints) {
        if (tp.id == id) return true;
      }
    }
    return false;
  }

  void readPlateletResponse(const JsonNode& n, Trial& t) {
    PlateletResponseSettings p;
    if (n.has("criteria")) p.criteria = n.str("criteria");
    if (n.has("test")) p.test = readConcept(n.get("test"), issues_);
    p.baselineTimepoint = n.get("baseline").str("timepoint");
    if (!p.baselineTimepoint.empty() && !hasTimepoint(t, p.baselineTimepoint)) {
      error(n.get("baseline").get("timepoint").path(),
            "no timepoint has the id '" + p.baselineTimepoint + "'", core::IssueType::NotFound);
    }
    if (n.has("unit")) p.unit = n.str("unit");
    ucumUnit(n.get("unit"), p.unit);
    const Analyte* platelets = LabCatalog::get().byId("platelets");
    if (conformance::ucum::isValid(p.unit) &&
        !conformance::ucum::comparable(p.unit, platelets->unit)) {
      error(n.get("unit").path(),
            "the unit '" + p.unit + "' is not a count per volume (like 10*9/L)");
    }
    if (n.has("completeResponse")) p.completeResponse = n.get("completeResponse").real();
    if (n.has("response")) p.response = n.get("response").real();
    if (n.has("foldOfBaseline")) p.foldOfBaseline = n.get("foldOfBaseline").real();
    if (p.response > p.completeResponse) {
      error(n.get("response").path(), "the response threshold is above the complete response's");
    }
    if (n.has("confirmation")) p.confirmation = readTime(n.get("confirmation"));
    if (n.has("lossConfirmation")) p.lossConfirmation = readTime(n.get("lossConfirmation"));
    p.assessAt = n.get("assessAt").strings();
    for (size_t i = 0; i < p.assessAt.size(); ++i) {
      if (!hasTimepoint(t, p.assessAt[i])) {
        error(n.get("assessAt").item(i).path(), "no timepoint has the id '" + p.assessAt[i] + "'",
              core::IssueType::NotFound);
      }
    }
    t.efficacy.plateletResponse = std::move(p);
  }

  void readSafety(const JsonNode& n, Trial& t) {
    SafetySettings& s = t.safety;
    if (n.has("criteria")) s.criteria = n.str("criteria");
    if (n.has("draftAdverseEventFromGrade"))
      s.draftFromGrade = n.get("draftAdverseEventFromGrade").integer();
    const JsonNode terms = n.get("terms");
    std::set<std::string> seen;
    for (size_t i = 0; i < terms.size(); ++i) {
      const JsonNode x = terms.item(i);
      ToxicityTermSettings term;
      term.term = x.str("term");
      if (x.has("grading")) term.grading = x.str("grading");
      if (x.has("draftAdverseEventFromGrade"))
        term.draftFromGrade = x.get("draftAdverseEventFromGrade").integer();
      if (!seen.insert(term.term).second) {
        error(x.get("term").path(), "the term '" + term.term + "' is given twice",
              core::IssueType::Duplicate);
      }
      if (toxicityTerm(term.term) == nullptr) {
        error(x.get("term").path(), "trialbridge does not grade the term '" + term.term + "'",
              core::IssueType::CodeInvalid);
      }
      s.terms.push_back(std::move(term));
    }
  }
};

}  // namespace

void readProtocolLogic(const core::JsonInput& input, Trial& trial, core::Issues& issues) {
  LogicReader(input, issues).read(trial);
}

}  // namespace trialbridge::study::detail
