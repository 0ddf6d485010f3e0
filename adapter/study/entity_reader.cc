#include "study/entity_reader.h"

#include <algorithm>
#include <map>
#include <string>

#include "core/json_input.h"
#include "study/detail/read_common.h"
#include "study/detail/schema_check.h"
#include "study/ids.h"
#include "study/vocabulary.h"

namespace trialbridge::study {

using core::JsonInput;
using core::JsonNode;

namespace {

class EntityChecks : private core::JsonInputReporter {
 public:
  EntityChecks(const JsonInput& in, const Trial& trial, core::Issues& issues)
      : JsonInputReporter(in, issues), trial_(trial) {}

  void checkTrial(const JsonNode& root) {
    const std::string name = root.str("trial");
    if (!trial_.isNamed(name)) {
      std::string names = trial_.id;
      for (const StudyIdentifier& i : trial_.identifiers) names += ", " + i.value;
      error(root.get("trial").path(),
            "the entity is for the trial '" + name + "', not for the trial being mapped (" + names +
                ")",
            core::IssueType::NotFound);
    }
  }

  std::string subjectStatus(const JsonNode& n) {
    const std::string given = n.str();
    const std::string code = Vocabulary::get().subjectStatus(given);
    if (code.empty()) {
      std::string known;
      for (const std::string& s : Vocabulary::get().subjectStatusNames()) {
        known += (known.empty() ? "" : ", ") + s;
      }
      error(n.path(), "'" + given + "' is not a subject status; use one of: " + known,
            core::IssueType::CodeInvalid);
    }
    return code;
  }

  void armExists(const JsonNode& n) {
    if (n.exists() && !trial_.arm(n.str())) {
      error(n.path(), "the trial has no arm with the id '" + n.str() + "'",
            core::IssueType::NotFound);
    }
  }

  // a <= b, comparing the date parts (times may be in different zones).
  void ordered(const JsonNode& earlier, const JsonNode& later, const std::string& what) {
    if (!earlier.exists() || !later.exists()) return;
    const std::string first = earlier.str(), second = later.str();
    const std::string_view a = detail::datePart(first);
    const std::string_view b = detail::datePart(second);
    const size_t n = std::min(a.size(), b.size());
    if (b.substr(0, n) < a.substr(0, n)) error(later.path(), what);
  }

  SubjectRecord subject(const JsonNode& root) {
    SubjectRecord s;
    s.subjectId = root.str("subjectId");
    s.screeningNumber = root.str("screeningNumber");
    s.site = root.str("site");
    if (!s.site.empty() && !trial_.site(s.site)) {
      error(root.get("site").path(), "the trial has no site with the id '" + s.site + "'",
            core::IssueType::NotFound);
    }
    const JsonNode hids = root.get("hospitalIdentifiers");
    for (size_t i = 0; i < hids.size(); ++i) {
      const JsonNode h = hids.item(i);
      s.hospitalIdentifiers.push_back(
          {h.str("type"), h.str("system"), h.str("assigner"), h.str("value")});
    }
    s.birthDate = root.str("birthDate");
    s.sex = root.str("sex");
    s.arm = root.str("arm");
    s.actualArm = root.str("actualArm");
    armExists(root.get("arm"));
    armExists(root.get("actualArm"));
    s.statusAsGiven = root.str("status");
    s.status = subjectStatus(root.get("status"));
    const JsonNode history = root.get("statusHistory");
    for (size_t i = 0; i < history.size(); ++i) {
      const JsonNode h = history.item(i);
      s.history.push_back(
          {subjectStatus(h.get("status")), detail::fhirDateTime(h.str("date")), h.str("reason")});
      if (i > 0) {
        ordered(history.item(i - 1).get("date"), h.get("date"),
                "the status history is not in date order");
      }
    }
    if (root.has("consent")) {
      const JsonNode c = root.get("consent");
      s.consent = SubjectRecord::Consent{detail::fhirDateTime(c.str("date")), c.str("formVersion"),
                                         detail::fhirDateTime(c.str("withdrawnDate"))};
      ordered(c.get("date"), c.get("withdrawnDate"), "consent is withdrawn before it was given");
      ordered(root.get("birthDate"), c.get("date"), "consent is dated before the birth date");
      ordered(c.get("date"), root.get("enrollmentDate"), "enrollment is dated before consent");
    }
    s.enrollmentDate = detail::fhirDateTime(root.str("enrollmentDate"));
    s.endDate = detail::fhirDateTime(root.str("endDate"));
    ordered(root.get("enrollmentDate"), root.get("endDate"), "the end date is before enrollment");
    if (root.get("childbearingPotential").isBool())
      s.childbearingPotential = root.get("childbearingPotential").isTrue();
    readDoses(root, s);
    static const std::vector<std::string> kNeedConsent = {"eligible",
                                                          "on-study",
                                                          "on-study-intervention",
                                                          "on-study-observation",
                                                          "follow-up",
                                                          "pending-on-study",
                                                          "off-study",
                                                          "withdrawn"};
    if (!s.consent &&
        std::find(kNeedConsent.begin(), kNeedConsent.end(), s.status) != kNeedConsent.end()) {
      warning(root.get("status").path(), "a subject in status '" + s.statusAsGiven +
                                             "' has given consent, but no consent is recorded");
    }
    if (s.arm.empty() && (s.status == "on-study-intervention" || s.status == "on-study")) {
      warning(root.get("status").path(),
              "a subject in status '" + s.statusAsGiven + "' has no arm");
    }
    return s;
  }

  AdverseEventRecord adverseEvent(const JsonNode& root) {
    AdverseEventRecord a;
    a.id = root.str("id");
    a.subject = root.str("subject");
    a.term = root.str("term");
    a.description = root.str("description");
    const JsonNode codes = root.get("codes");
    for (size_t i = 0; i < codes.size(); ++i)
      a.codes.push_back(detail::readCoding(codes.item(i), issues_));
    a.onset = detail::fhirDateTime(root.str("onset"));
    a.detected = detail::fhirDateTime(root.str("detected"));
    a.recorded = detail::fhirDateTime(root.str("recorded"));
    a.resolution = detail::fhirDateTime(root.str("resolution"));
    ordered(root.get("onset"), root.get("resolution"), "the event resolved before its onset");
    ordered(root.get("onset"), root.get("detected"), "the event was detected before its onset");
    a.serious = root.get("serious").isTrue();
    a.seriousnessCriteria = root.get("seriousnessCriteria").strings();
    if (a.serious && a.seriousnessCriteria.empty()) {
      error(root.get("serious").path(),
            "a serious event names at least one seriousness criterion "
            "(seriousnessCriteria)",
            core::IssueType::Required);
    }
    if (!a.serious && !a.seriousnessCriteria.empty()) {
      error(root.get("seriousnessCriteria").path(),
            "seriousness criteria are given, but the event is not serious");
    }
    a.severity = root.str("severity");
    const JsonNode ctcae = root.get("ctcae");
    if (ctcae.exists()) {
      a.ctcaeGrade = ctcae.get("grade").integer();
      a.ctcaeVersion = ctcae.str("version");
      a.ctcaeTerm = ctcae.str("term");
      const std::string implied = Vocabulary::get().ctcaeSeverity(a.ctcaeGrade);
      if (a.severity.empty()) {
        a.severity = implied;
      } else if (a.severity != implied) {
        error(root.get("severity").path(), "the severity '" + a.severity +
                                               "' disagrees with CTCAE grade " +
                                               std::to_string(a.ctcaeGrade) + " (" + implied + ")");
      }
    } else if (a.severity.empty()) {
      error(root.path(), "give the severity or the CTCAE grade (ctcae.grade)",
            core::IssueType::Required);
    }
    a.outcome = root.str("outcome");
    const bool death = std::find(a.seriousnessCriteria.begin(), a.seriousnessCriteria.end(),
                                 "death") != a.seriousnessCriteria.end();
    if (a.ctcaeGrade == 5 && a.outcome != "fatal") {
      error(root.get("outcome").path(), "a CTCAE grade 5 event has the outcome 'fatal'");
    }
    if (a.outcome == "fatal" && !death) {
      error(root.get("outcome").path(),
            "a fatal event is serious with the criterion 'death' (seriousnessCriteria)");
    }
    if (a.outcome == "not-recovered" && root.has("resolution")) {
      warning(root.get("resolution").path(),
              "an event that has not recovered has a resolution date");
    }
    const JsonNode causality = root.get("causality");
    for (size_t i = 0; i < causality.size(); ++i) {
      const JsonNode c = causality.item(i);
      Causality x{c.str("intervention"), c.str("relatedness"), c.str("assessedBy"),
                  c.str("method")};
      if (!trial_.intervention(x.intervention)) {
        error(c.get("intervention").path(),
              "the trial has no intervention with the id '" + x.intervention + "'",
              core::IssueType::NotFound);
      }
      a.causality.push_back(std::move(x));
    }
    a.actionTaken = root.str("actionTaken");
    a.timepoint = root.str("timepoint");
    if (!a.timepoint.empty()) {
      bool found = false;
      for (const Schedule& s : trial_.schedules) {
        for (const Timepoint& tp : s.timepoints) found |= tp.id == a.timepoint;
      }
      if (!found) {
        error(root.get("timepoint").path(),
              "the trial has no timepoint with the id '" + a.timepoint + "'",
              core::IssueType::NotFound);
      }
    }
    return a;
  }

  // The doses: each at a dosing timepoint of a schedule of the subject's arm, within the
  // timepoint's repetitions, given once, not before consent.
  void readDoses(const JsonNode& root, SubjectRecord& s) {
    const JsonNode doses = root.get("doses");
    const std::string& arm = !s.actualArm.empty() ? s.actualArm : s.arm;
    std::vector<std::string> paths;  // of s.doses
    for (size_t i = 0; i < doses.size(); ++i) {
      const JsonNode d = doses.item(i);
      DoseRecord dose{d.str("timepoint"), 1, detail::fhirDateTime(d.str("dateTime"))};
      if (d.has("occurrence")) dose.occurrence = d.get("occurrence").integer();
      const Timepoint* tp = nullptr;
      bool armHasIt = false;
      for (const Schedule& sc : trial_.schedules) {
        for (const Timepoint& x : sc.timepoints) {
          if (x.id != dose.timepoint) continue;
          tp = &x;
          armHasIt = arm.empty() || sc.arms.empty() ||
                     std::find(sc.arms.begin(), sc.arms.end(), arm) != sc.arms.end();
        }
      }
      if (tp == nullptr) {
        error(d.get("timepoint").path(),
              "the trial has no timepoint with the id '" + dose.timepoint + "'",
              core::IssueType::NotFound);
        continue;
      }
      if (tp->type != "dosing") {
        error(d.get("timepoint").path(),
              "the timepoint '" + tp->id + "' is not a dosing timepoint");
      } else if (!armHasIt) {
        error(d.get("timepoint").path(), "the timepoint '" + tp->id +
                                             "' is not in a schedule of the subject's arm '" + arm +
                                             "'");
      }
      const int most = tp->repeatCount > 0 ? tp->repeatCount : 1;
      if (dose.occurrence > most) {
        error(d.get("occurrence").path(), "the timepoint '" + tp->id + "' occurs " +
                                              std::to_string(most) + " time" +
                                              (most == 1 ? "" : "s"));
      }
      for (size_t k = 0; k < s.doses.size(); ++k) {
        if (s.doses[k].timepoint == dose.timepoint && s.doses[k].occurrence == dose.occurrence) {
          error(d.path(),
                "the dose at '" + dose.timepoint + "' (occurrence " +
                    std::to_string(dose.occurrence) + ") is also at " + paths[k],
                core::IssueType::Duplicate);
        }
      }
      if (root.has("consent")) {
        ordered(root.get("consent").get("date"), d.get("dateTime"),
                "a dose is dated before consent");
      }
      fits(d.get("timepoint"), ids::dose(trial_, s.subjectId, dose.timepoint, dose.occurrence));
      s.doses.push_back(std::move(dose));
      paths.push_back(d.path());
    }
  }

  void fits(const JsonNode& n, const std::string& resourceId) {
    if (resourceId.size() > detail::kMaxFhirId) {
      error(n.path(),
            "the FHIR resource id '" + resourceId + "' made from this number is longer than " +
                std::to_string(detail::kMaxFhirId) + " characters",
            core::IssueType::TooLong);
    }
  }

 private:
  const Trial& trial_;
};

size_t errorCount(const core::Issues& issues) {
  return issues.count(core::Severity::Error) + issues.count(core::Severity::Fatal);
}

}  // namespace

std::optional<Entity> readEntity(std::string_view text, const Trial& trial, core::Issues& issues) {
  JsonInput in;
  if (!in.parse(text, issues)) return std::nullopt;
  const JsonNode root = in.root();
  if (!root.isObject()) {
    in.report(issues, "$", "an entity file holds one JSON object", core::Severity::Error,
              core::IssueType::Structure);
    return std::nullopt;
  }
  const std::string kind = root.str("kind");
  const detail::SchemaChecker* schema = nullptr;
  Entity e;
  if (kind == "subject") {
    schema = &detail::subjectSchema();
    e.kind = Entity::Kind::Subject;
  } else if (kind == "adverseEvent") {
    schema = &detail::adverseEventSchema();
    e.kind = Entity::Kind::AdverseEvent;
  } else if (!root.has("kind")) {
    in.report(issues, "$", "missing required property 'kind' (subject or adverseEvent)",
              core::Severity::Error, core::IssueType::Required);
    return std::nullopt;
  } else {
    in.report(issues, "$.kind", "the kind must be 'subject' or 'adverseEvent'",
              core::Severity::Error, core::IssueType::CodeInvalid);
    return std::nullopt;
  }
  if (!schema->check(in, issues)) return std::nullopt;
  const size_t before = errorCount(issues);
  EntityChecks checks(in, trial, issues);
  // An entity of another trial: its references cannot be checked against this one.
  checks.checkTrial(root);
  if (errorCount(issues) > before) return std::nullopt;
  if (e.kind == Entity::Kind::Subject) {
    e.subject = checks.subject(root);
    checks.fits(root.get("subjectId"), ids::researchSubject(trial, e.subject.subjectId));
    checks.fits(root.get("subjectId"), ids::consent(trial, e.subject.subjectId));
  } else {
    e.adverseEvent = checks.adverseEvent(root);
    checks.fits(root.get("id"), ids::adverseEvent(trial, e.adverseEvent.id));
    checks.fits(root.get("subject"), ids::patient(trial, e.adverseEvent.subject));
  }
  if (errorCount(issues) > before) return std::nullopt;
  return e;
}

void checkEntities(const Trial& trial, const std::vector<Entity>& entities,
                   std::vector<core::Issues>& issues) {
  std::map<std::string, size_t> subjects, reports;
  for (size_t i = 0; i < entities.size(); ++i) {
    const Entity& e = entities[i];
    const bool subject = e.kind == Entity::Kind::Subject;
    const std::string key = subject ? ids::patient(trial, e.subject.subjectId)
                                    : ids::adverseEvent(trial, e.adverseEvent.id);
    auto& seen = subject ? subjects : reports;
    auto [it, inserted] = seen.emplace(key, i);
    if (!inserted) {
      const std::string what =
          subject ? "subject " + e.subject.subjectId : "adverse-event report " + e.adverseEvent.id;
      issues[i].add(core::Severity::Error, core::IssueType::Duplicate,
                    "the " + what + " is also in " + entities[it->second].file,
                    subject ? "$.subjectId" : "$.id");
    }
  }
  // An adverse event of a subject mapped in the same run: onset after consent.
  for (size_t i = 0; i < entities.size(); ++i) {
    const Entity& e = entities[i];
    if (e.kind != Entity::Kind::AdverseEvent) continue;
    auto it = subjects.find(ids::patient(trial, e.adverseEvent.subject));
    if (it == subjects.end()) continue;
    const SubjectRecord& s = entities[it->second].subject;
    if (s.consent && detail::datePart(e.adverseEvent.onset) < detail::datePart(s.consent->date)) {
      issues[i].add(core::Severity::Warning, core::IssueType::BusinessRule,
                    "the event began before the subject's consent (" + s.consent->date + ")",
                    "$.onset");
    }
  }
}

}  // namespace trialbridge::study
