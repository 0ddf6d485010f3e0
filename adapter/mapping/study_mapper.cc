#include "mapping/study_mapper.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "conformance/profiles.h"
#include "core/text.h"
#include "mapping/registry_tables.h"
#include "mapping/study_elements.h"
#include "study/ids.h"
#include "study/time_amount.h"
#include "study/vocabulary.h"

namespace trialbridge::mapping {

using study::Activity;
using study::Address;
using study::Arm;
using study::ArmIntervention;
using study::Coding;
using study::Concept;
using study::Contact;
using study::Criterion;
using study::Eligibility;
using study::Intervention;
using study::Objective;
using study::Organization;
using study::Outcome;
using study::Quantity;
using study::Rule;
using study::Schedule;
using study::Site;
using study::StudyIdentifier;
using study::Timepoint;
using study::Trial;
using study::Vocabulary;
namespace ids = study::ids;

namespace {

using core::Element;
namespace p = conformance::profiles;

using elements::localCode;

std::string unitName(std::string_view unit) { return Vocabulary::get().timeUnitName(unit); }

class StudyMapper {
 public:
  StudyMapper(const Trial& t, TransactionBuilder& tx) : t_(t), tx_(tx), b_(tx.builder()) {}

  void map() {
    researchStudy();
    for (const Organization& o : t_.organizations) organization(o);
    for (const Site& s : t_.sites) location(s);
    for (const Contact& c : t_.contacts) practitionerRole(c);
    for (const Intervention& i : t_.interventions) {
      if (Vocabulary::get().interventionIsMedication(i.type)) medication(i);
    }
    for (const Activity& a : t_.activities) activityDefinitions(a);
    for (const Schedule& s : t_.schedules) planDefinition(s);
    eligibilityGroup();
  }

 private:
  std::string ref(std::string_view type, const std::string& id) {
    return std::string(type) + "/" + id;
  }

  void address(Element* parent, const Address& a) {
    Element* x = b_.add(parent, "address");
    for (const std::string& l : a.lines) b_.primitive(x, "line", l);
    b_.primitive(x, "city", a.city);
    b_.primitive(x, "district", a.district);
    b_.primitive(x, "state", a.state);
    b_.primitive(x, "postalCode", a.postalCode);
    b_.primitive(x, "country", a.country);
  }

  // The arm's description followed by each intervention with its dose as registered (and its
  // reading), route and frequency, one sentence each.
  std::string armSummary(const Arm& arm) {
    std::string s = arm.description;
    for (const ArmIntervention& ai : arm.interventions) {
      const Intervention* i = t_.intervention(ai.intervention);
      std::string part = i->name;
      std::vector<std::string> details;
      if (ai.dose) {
        std::string d = ai.dose->text;
        if (!ai.dose->reading.empty()) d += " (read as " + ai.dose->reading + ")";
        details.push_back(d);
      }
      if (ai.route) details.push_back(ai.route->text);
      if (!ai.frequency.empty()) details.push_back(ai.frequency);
      for (size_t k = 0; k < details.size(); ++k) part += (k == 0 ? ": " : "; ") + details[k];
      core::appendSentence(s, part);
    }
    return s;
  }

  // "Drug: TBX-101": how ClinicalTrials.gov names an intervention in an arm group.
  static std::string interventionLabel(const Intervention& i) {
    return RegistryTables::get().field("InterventionType", i.type, "label") + ": " + i.name;
  }

  RegistryArmGroup armGroup(const Arm& a) {
    RegistryArmGroup g{a.name, a.type, armSummary(a), {}, std::nullopt};
    for (const ArmIntervention& ai : a.interventions)
      g.interventionNames.push_back(interventionLabel(*t_.intervention(ai.intervention)));
    if (a.cohort) {
      RegistryCohort c{a.cohort->sequence, a.cohort->part, a.cohort->size, {}};
      for (const std::string& from : a.cohort->doseFrom) c.doseFrom.push_back(t_.arm(from)->name);
      g.cohort = std::move(c);
    }
    return g;
  }

  RegistryIntervention registryIntervention(const Intervention& i) {
    RegistryIntervention r{i.type, i.name, i.description, {}, i.otherNames};
    for (const Arm& a : t_.arms) {
      if (a.intervention(i.id) != nullptr) r.armGroupLabels.push_back(a.name);
    }
    return r;
  }

  void identifiers(Element* r) {
    const StudyIdentifier& primary = t_.primaryIdentifier();
    for (const StudyIdentifier& i : t_.identifiers) {
      Element* x = b_.add(r, "identifier");
      // An identifier of no known registry is, for ClinicalTrials.gov, an "other identifier".
      if (i.registry == "other")
        b_.primitive(b_.extension(x, p::kExtSecondaryIdType), "valueCode", "OTHER");
      b_.primitive(x, "use", &i == &primary ? "official" : "secondary");
      if (i.registry == "sponsor") {
        b_.codeable(x, "type", p::codeSystem("tb-identifier-type"), "sponsor-protocol");
      }
      b_.primitive(x, "system", i.system);
      b_.primitive(x, "value", i.value);
      if (!i.assigner.empty()) {
        b_.reference(x, "assigner", ref("Organization", ids::organization(t_, i.assigner)),
                     t_.organization(i.assigner)->name);
      } else if (const Vocabulary::Registry* reg = Vocabulary::get().registry(i.registry);
                 reg != nullptr && !reg->system.empty()) {
        b_.reference(x, "assigner", {}, reg->display);
      }
    }
  }

  void researchStudy() {
    Element* r = tx_.addResource("ResearchStudy", ids::study(t_), p::kResearchStudy);
    const std::string title = t_.officialTitle.empty() ? t_.briefTitle : t_.officialTitle;
    b_.narrative(r, t_.primaryIdentifier().value + ": " + title + "\nStatus: " + t_.status +
                        "; enrollment target " + std::to_string(t_.enrollmentTarget) + ".");
    elements::titles(b_, r, t_.briefTitle, t_.officialTitle, t_.acronym);
    for (const std::string& c : t_.collaborators) {
      b_.reference(b_.extension(r, p::kExtCollaborator), "valueReference",
                   ref("Organization", ids::organization(t_, c)), t_.organization(c)->name);
    }
    identifiers(r);
    for (const Schedule& s : t_.schedules) {
      b_.reference(r, "protocol", ref("PlanDefinition", ids::schedule(t_, s.id)), s.name);
    }
    elements::studyStatus(b_, r, t_.status, t_.lastKnownStatus);
    elements::phase(b_, r, t_.phases);
    elements::design(b_, r,
                     {t_.studyType,
                      t_.design.primaryPurpose,
                      t_.design.allocation,
                      t_.design.interventionModel,
                      t_.design.masking,
                      t_.design.whoMasked,
                      t_.design.observationalModel,
                      {},
                      {}});
    elements::designDetail(b_, r, {t_.design.description, {}, {}, {}});
    if (const auto& d = t_.design.doseEscalation)
      elements::doseEscalation(b_, r, d->rule, d->description, d->targetToxicityRate);
    for (const Intervention& i : t_.interventions)
      elements::intervention(b_, r, registryIntervention(i), i.codes);
    for (const Concept& c : t_.conditions) b_.codeableConcept(r, "condition", c);
    for (const Contact& c : t_.contacts) {
      if (!c.central) continue;
      Element* cd = b_.add(r, "contact");
      b_.primitive(cd, "name", c.name);
      telecom(cd, c);
    }
    for (const std::string& k : t_.keywords) b_.primitive(b_.add(r, "keyword"), "text", k);
    std::set<std::string> countries;
    for (const Site& s : t_.sites) {
      if (countries.insert(s.address.country).second) {
        b_.codeable(r, "location", "urn:iso:std:iso:3166", s.address.country);
      }
    }
    elements::descriptions(b_, r, t_.summary, t_.description);
    b_.reference(r, "enrollment", ref("Group", ids::eligibilityGroup(t_)),
                 std::to_string(t_.enrollmentTarget) + " participants");
    elements::dates(b_, r, {t_.startDate, t_.startDateType},
                    {t_.primaryCompletionDate, t_.primaryCompletionDateType},
                    {t_.completionDate, t_.completionDateType});
    b_.reference(r, "sponsor", ref("Organization", ids::organization(t_, t_.sponsor)),
                 t_.organization(t_.sponsor)->name);
    for (const Contact& c : t_.contacts) {
      if (c.role == "PRINCIPAL_INVESTIGATOR") {
        b_.reference(r, "principalInvestigator", ref("PractitionerRole", ids::contact(t_, c.id)),
                     c.name);
        break;
      }
    }
    for (const Site& s : t_.sites)
      b_.reference(r, "site", ref("Location", ids::location(t_, s.id)), s.name);
    for (const Arm& a : t_.arms) elements::arm(b_, r, armGroup(a));
    for (const Objective& o : t_.objectives) {
      Element* obj = b_.add(r, "objective");
      b_.primitive(obj, "name", o.text);
      b_.codeable(obj, "type", p::kResearchStudyObjective, o.type,
                  Vocabulary::get().display(p::kResearchStudyObjective, o.type));
    }
    for (const Outcome& o : t_.outcomes)
      elements::outcome(b_, r, {o.type, o.measure, o.description, o.timeFrame});
  }

  void telecom(Element* parent, const Contact& c) {
    if (!c.phone.empty()) {
      Element* x = b_.add(parent, "telecom");
      b_.primitive(x, "system", "phone");
      b_.primitive(x, "value", c.phone);
    }
    if (!c.email.empty()) {
      Element* x = b_.add(parent, "telecom");
      b_.primitive(x, "system", "email");
      b_.primitive(x, "value", c.email);
    }
  }

  void organization(const Organization& o) {
    Element* r = tx_.addResource("Organization", ids::organization(t_, o.id), p::kOrganization);
    b_.narrative(r, "Organization: " + o.name);
    b_.primitive(r, "active", "true");
    if (!o.klass.empty())
      b_.codeable(r, "type", p::codeSystem("tb-organization-class"), localCode(o.klass));
    b_.primitive(r, "name", o.name);
    if (o.address) address(r, *o.address);
  }

  void location(const Site& s) {
    Element* r = tx_.addResource("Location", ids::location(t_, s.id), p::kLocation);
    b_.narrative(r, "Trial site: " + s.name + (s.status.empty() ? "" : " (" + s.status + ")"));
    elements::siteStatus(b_, r, s.status);
    b_.primitive(r, "name", s.name);
    address(r, s.address);
    if (!s.organization.empty()) {
      b_.reference(r, "managingOrganization",
                   ref("Organization", ids::organization(t_, s.organization)),
                   t_.organization(s.organization)->name);
    }
  }

  void practitionerRole(const Contact& c) {
    Element* r = tx_.addResource("PractitionerRole", ids::contact(t_, c.id), p::kPractitionerRole);
    b_.narrative(
        r, (c.central ? "Central contact: " : "Study contact: ") + c.name + " (" + c.role + ")");
    b_.primitive(r, "active", "true");
    b_.reference(r, "practitioner", {}, c.name);
    std::string org = c.organization;
    if (org.empty() && !c.site.empty()) org = t_.site(c.site)->organization;
    if (!org.empty()) {
      b_.reference(r, "organization", ref("Organization", ids::organization(t_, org)),
                   t_.organization(org)->name);
    }
    b_.codeable(r, "code", p::codeSystem("tb-contact-role"), localCode(c.role));
    if (!c.site.empty()) {
      b_.reference(r, "location", ref("Location", ids::location(t_, c.site)),
                   t_.site(c.site)->name);
    }
    telecom(r, c);
  }

  void medication(const Intervention& i) {
    Element* r = tx_.addResource("Medication", ids::medication(t_, i.id), p::kMedication);
    b_.narrative(
        r, "Study intervention: " + i.name + (i.description.empty() ? "" : "\n" + i.description));
    Element* code = b_.add(r, "code");
    for (const Coding& c : i.codes)
      b_.coding(code, "coding", c.system, c.code, c.display, c.version);
    b_.primitive(code, "text", i.name);
  }

  static const char* requestKind(const Activity& a, const Intervention* i) {
    if (a.kind == "administration") {
      if (i != nullptr && Vocabulary::get().interventionIsMedication(i->type))
        return "MedicationRequest";
      if (i != nullptr && i->type == "DEVICE") return "DeviceRequest";
      return "ServiceRequest";
    }
    if (a.kind == "assessment" || a.kind == "questionnaire") return "Task";
    return "ServiceRequest";
  }

  void activityDefinitions(const Activity& a) {
    if (a.kind != "administration") {
      const std::string id = ids::activity(t_, a.id);
      Element* r = tx_.addResource("ActivityDefinition", id, p::kStudyActivity);
      b_.narrative(r, "Study activity: " + a.name);
      b_.primitive(r, "url", ids::canonical(t_, "ActivityDefinition", id));
      b_.primitive(r, "title", a.name);
      b_.primitive(r, "status", "active");
      std::string description = a.description;
      if (a.specimen) {
        std::string specimen = "Specimen: " + a.specimen->text;
        core::endSentence(specimen);
        core::appendSentence(description, specimen);
      }
      b_.primitive(r, "description", description);
      b_.codeable(r, "topic", p::codeSystem("tb-activity-kind"), a.kind);
      b_.primitive(r, "kind", requestKind(a, nullptr));
      if (a.code) b_.codeableConcept(r, "code", *a.code);
      if (a.specimen) {
        // The specimen as a contained SpecimenDefinition (typeCollected), with its codes.
        Element* spec = b_.document().addResource(r, "contained", "SpecimenDefinition");
        b_.primitive(spec, "id", "specimen");
        b_.codeableConcept(spec, "typeCollected", *a.specimen);
        b_.reference(r, "specimenRequirement", "#specimen", a.specimen->text);
      }
      return;
    }
    const Intervention* i = t_.intervention(a.intervention);
    for (const Arm& arm : t_.arms) {
      const ArmIntervention* ai = arm.intervention(a.intervention);
      if (ai == nullptr) continue;
      const std::string id = ids::activity(t_, a.id, arm.id);
      Element* r = tx_.addResource("ActivityDefinition", id, p::kStudyActivity);
      b_.narrative(r, "Study activity: " + a.name + ", arm " + arm.name);
      b_.primitive(r, "url", ids::canonical(t_, "ActivityDefinition", id));
      b_.primitive(r, "title", a.name + " (" + arm.name + ")");
      b_.primitive(r, "status", "active");
      std::string description = a.description;
      if (ai->dose) {
        std::string dose = "Dose as registered: " + ai->dose->text;
        if (!ai->dose->reading.empty()) dose += "; read as " + ai->dose->reading;
        core::endSentence(dose);
        core::appendSentence(description, dose);
      }
      b_.primitive(r, "description", description);
      b_.codeable(r, "topic", p::codeSystem("tb-activity-kind"), "administration");
      b_.codeable(r, "topic", p::codeSystem("tb-intervention-type"), localCode(i->type));
      b_.primitive(r, "kind", requestKind(a, i));
      if (a.code) b_.codeableConcept(r, "code", *a.code);
      if (Vocabulary::get().interventionIsMedication(i->type)) {
        b_.reference(r, "productReference", ref("Medication", ids::medication(t_, i->id)), i->name);
      } else {
        Element* product = b_.add(r, "productCodeableConcept");
        for (const Coding& c : i->codes)
          b_.coding(product, "coding", c.system, c.code, c.display, c.version);
        b_.primitive(product, "text", i->name);
      }
      if (ai->dose || ai->route || !ai->frequency.empty()) {
        Element* dosage = b_.add(r, "dosage");
        std::string text = ai->dose ? ai->dose->text : std::string();
        if (!ai->frequency.empty()) text += (text.empty() ? "" : "; ") + ai->frequency;
        b_.primitive(dosage, "text", text);
        if (ai->route) b_.codeableConcept(dosage, "route", *ai->route);
        if (ai->dose && ai->dose->quantity) {
          const Quantity& q = *ai->dose->quantity;
          Element* dr = b_.add(dosage, "doseAndRate");
          b_.quantity(dr, "doseQuantity", q.value, q.unit, q.ucum);
        }
      }
    }
  }

  // Vulcan SoA: relatedAction with offsetDuration and the AcceptableOffsetRangeSoa extension.
  void relatedAction(Element* action, const Timepoint& tp) {
    Element* ra = b_.add(action, "relatedAction");
    const std::string target =
        tp.anchor.timepoint.empty() ? "anchor-" + tp.anchor.event : tp.anchor.timepoint;
    if (tp.offset) {
      const double offset = std::fabs(tp.offset->number);
      const bool before = tp.relation == "before";
      const double early = tp.windowBefore ? tp.windowBefore->number : 0;
      const double late = tp.windowAfter ? tp.windowAfter->number : 0;
      if (tp.windowBefore || tp.windowAfter) {
        // The range in the finest unit among the offset's and the window's.
        std::string unit = tp.offset->unit;
        for (const auto* w : {&tp.windowBefore, &tp.windowAfter}) {
          if (*w && study::minutesPer((*w)->unit) && study::minutesPer(unit) &&
              *study::minutesPer((*w)->unit) < *study::minutesPer(unit)) {
            unit = (*w)->unit;
          }
        }
        auto in = [&](double v, const std::string& from) {
          if (from == unit) return v;
          return v * *study::minutesPer(from) / *study::minutesPer(unit);
        };
        const double o = in(offset, tp.offset->unit);
        const double e = tp.windowBefore ? in(early, tp.windowBefore->unit) : 0;
        const double l = tp.windowAfter ? in(late, tp.windowAfter->unit) : 0;
        // Before the anchor, an earlier time is a larger offset.
        const double low = before ? o - l : o - e;
        const double high = before ? o + e : o + l;
        Element* range = b_.add(b_.extension(ra, p::kExtAcceptableOffsetRange), "valueRange");
        b_.quantity(range, "low", study::decimalText(low), unitName(unit), unit);
        b_.quantity(range, "high", study::decimalText(high), unitName(unit), unit);
      }
      b_.primitive(ra, "actionId", target);
      b_.primitive(ra, "relationship",
                   tp.offset->number == 0 && !(tp.windowBefore || tp.windowAfter)
                       ? "concurrent"
                       : (before ? "before" : "after"));
      if (tp.offset->number != 0 || tp.windowBefore || tp.windowAfter) {
        std::string value = tp.offset->value;
        if (!value.empty() && value[0] == '-') value.erase(0, 1);
        b_.quantity(ra, "offsetDuration", value, unitName(tp.offset->unit), tp.offset->unit);
      }
    } else {
      b_.primitive(ra, "actionId", target);
      b_.primitive(ra, "relationship", tp.relation == "before" ? "before" : "after");
    }
  }

  void planDefinition(const Schedule& s) {
    const std::string id = ids::schedule(t_, s.id);
    Element* r = tx_.addResource("PlanDefinition", id, p::kStudySchedule);
    b_.narrative(r, "Schedule of activities: " + s.name + " (" +
                        std::to_string(s.timepoints.size()) + " timepoints)");
    std::vector<const Arm*> arms;
    for (const Arm& a : t_.arms) {
      if (s.arms.empty() || std::find(s.arms.begin(), s.arms.end(), a.id) != s.arms.end())
        arms.push_back(&a);
    }
    for (const std::string& a : s.arms) {
      b_.primitive(b_.extension(r, p::kExtScheduleArm), "valueString", t_.arm(a)->name);
    }
    if (!s.sex.empty() || s.firstSubjects > 0) {
      Element* x = b_.extension(r, p::kExtScheduleSubjects);
      elements::part(b_, x, "sex", "valueCode", s.sex.empty() ? "" : core::asciiLower(s.sex));
      if (s.firstSubjects > 0)
        elements::part(b_, x, "first", "valuePositiveInt", std::to_string(s.firstSubjects));
    }
    b_.primitive(r, "url", ids::canonical(t_, "PlanDefinition", id));
    b_.primitive(r, "title", s.name);
    b_.codeable(r, "type", p::kPlanDefinitionType, "clinical-protocol",
                Vocabulary::get().display(p::kPlanDefinitionType, "clinical-protocol"));
    b_.primitive(r, "status", "active");
    b_.primitive(r, "description", s.description);
    // The anchor events, as actions the timepoints relate to.
    std::vector<std::string> events;
    for (const Timepoint& tp : s.timepoints) {
      if (!tp.anchor.event.empty() &&
          std::find(events.begin(), events.end(), tp.anchor.event) == events.end()) {
        events.push_back(tp.anchor.event);
      }
    }
    for (const std::string& e : events) {
      Element* action = b_.add(r, "action");
      b_.primitive(action, "id", "anchor-" + e);
      b_.primitive(action, "title", "Anchor event: " + e);
      b_.codeable(action, "code", p::codeSystem("tb-anchor-event"), e);
    }
    for (const Timepoint& tp : s.timepoints) {
      Element* action = b_.add(r, "action");
      b_.primitive(action, "id", tp.id);
      b_.primitive(action, "title", tp.label);
      b_.codeable(action, "code", p::codeSystem("tb-timepoint-type"), tp.type);
      relatedAction(action, tp);
      if (tp.repeatCount > 0) {
        Element* timing = b_.add(action, "timingTiming");
        Element* repeat = b_.add(timing, "repeat");
        b_.primitive(repeat, "count", std::to_string(tp.repeatCount));
        b_.primitive(repeat, "period", tp.repeatEvery->value);
        b_.primitive(repeat, "periodUnit", tp.repeatEvery->unit);
      }
      for (const std::string& activityId : tp.activities) {
        const Activity* a = t_.activity(activityId);
        if (a->kind != "administration") {
          Element* sub = b_.add(action, "action");
          b_.primitive(sub, "id", tp.id + "." + a->id);
          b_.primitive(sub, "title", a->name);
          b_.primitive(sub, "definitionCanonical",
                       ids::canonical(t_, "ActivityDefinition", ids::activity(t_, a->id)));
          continue;
        }
        for (const Arm* arm : arms) {
          Element* sub = b_.add(action, "action");
          b_.primitive(sub, "id", tp.id + "." + a->id + "." + arm->id);
          b_.primitive(sub, "title", a->name + " (" + arm->name + ")");
          if (arms.size() > 1) {
            Element* condition = b_.add(sub, "condition");
            b_.primitive(condition, "kind", "applicability");
            Element* expr = b_.add(condition, "expression");
            b_.primitive(expr, "description", "Subjects assigned to the arm " + arm->name);
            b_.primitive(expr, "language", "text/fhirpath");
            std::string quoted;
            for (char c : arm->name) {
              if (c == '\'' || c == '\\') quoted += '\\';
              quoted += c;
            }
            b_.primitive(expr, "expression", "%researchSubject.assignedArm = '" + quoted + "'");
          }
          b_.primitive(sub, "definitionCanonical",
                       ids::canonical(t_, "ActivityDefinition", ids::activity(t_, a->id, arm->id)));
        }
      }
    }
  }

  Element* characteristic(Element* group, std::string_view kind, const std::string& criterionId,
                          const std::string& alternative = {}) {
    return elements::characteristic(b_, group, kind, criterionId, alternative);
  }

  void timing(Element* c, const Rule& r) {
    if (r.within) {
      b_.quantity(b_.extension(c, p::kExtWithin), "valueDuration", r.within->value,
                  unitName(r.within->unit), r.within->unit);
    }
    if (!r.before.empty())
      b_.primitive(b_.extension(c, p::kExtReferenceEvent), "valueCode", r.before);
  }

  void rule(Element* group, const Rule& r, const std::string& criterion,
            const std::string& alternative) {
    if (r.kind == "lab") {
      Element* c = characteristic(group, "lab", criterion, alternative);
      timing(c, r);
      b_.codeableConcept(c, "code", *r.test);
      if (!r.threshold.relativeTo.empty()) {
        b_.quantity(c, "valueQuantity", r.threshold.value, "× " + r.threshold.relativeTo,
                    r.threshold.relativeTo, p::codeSystem("tb-limit-of-normal"),
                    r.threshold.comparator);
      } else {
        b_.quantity(c, "valueQuantity", r.threshold.value, r.threshold.unit, r.threshold.unit,
                    p::kUcum, r.threshold.comparator);
      }
      b_.primitive(c, "exclude", "false");
    } else if (r.kind == "pregnancy-test") {
      Element* c = characteristic(group, "pregnancy-test", criterion, alternative);
      b_.codeable(b_.extension(c, p::kExtAppliesTo), "valueCodeableConcept",
                  p::codeSystem("tb-eligibility-population"), r.appliesTo);
      timing(c, r);
      // The test (or "Pregnancy test"), with the specimens it may be done on.
      Concept code = r.test ? *r.test : Concept{"Pregnancy test", {}};
      for (size_t i = 0; i < r.specimens.size(); ++i) {
        code.text += (i == 0 ? " (" : " or ") + r.specimens[i];
      }
      if (!r.specimens.empty()) code.text += ")";
      b_.codeableConcept(c, "code", code);
      b_.codeable(c, "valueCodeableConcept", "http://snomed.info/sct", "260385009",
                  Vocabulary::get().display("http://snomed.info/sct", "260385009"), "Negative");
      b_.primitive(c, "exclude", "false");
    } else if (r.kind == "washout") {
      Element* c = characteristic(group, "washout", criterion, alternative);
      timing(c, r);
      Concept code = *r.medication;
      code.text = "Time since the last dose of " + code.text;
      b_.codeableConcept(c, "code", code);
      b_.quantity(c, "valueQuantity", r.period->value, unitName(r.period->unit), r.period->unit,
                  p::kUcum, ">=");
      b_.primitive(c, "exclude", "false");
    } else if (r.kind == "anyOf") {
      for (const Rule& sub : r.rules) {
        rule(group, sub, sub.criterion.empty() ? criterion : sub.criterion, r.id);
      }
    }
  }

  void eligibilityGroup() {
    const Eligibility& e = t_.eligibility;
    Element* g = tx_.addResource("Group", ids::eligibilityGroup(t_), p::kEligibilityGroup);
    b_.narrative(g, "Enrollment of " + t_.primaryIdentifier().value + ": target " +
                        std::to_string(t_.enrollmentTarget) + " participants; " +
                        std::to_string(e.inclusion.size()) + " inclusion and " +
                        std::to_string(e.exclusion.size()) + " exclusion criteria.");
    b_.primitive(g, "type", "person");
    b_.primitive(g, "actual", "false");
    b_.primitive(g, "name", "Eligibility and enrollment target of " + t_.primaryIdentifier().value);
    elements::enrollment(b_, g, std::to_string(t_.enrollmentTarget), t_.enrollmentType);
    elements::ageRange(b_, g, e.minimumAge, e.maximumAge, e.ageCriterion);
    elements::sexAndVolunteers(b_, g, e.sex, e.healthyVolunteers);
    for (const Rule& r : e.rules) rule(g, r, r.criterion, {});
    elements::criteria(b_, g, e.inclusion, e.exclusion);
  }

  const Trial& t_;
  TransactionBuilder& tx_;
  ResourceBuilder& b_;
};

}  // namespace

void mapStudy(const Trial& trial, TransactionBuilder& tx) { StudyMapper(trial, tx).map(); }

}  // namespace trialbridge::mapping
