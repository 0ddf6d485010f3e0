#include "study/trial_reader.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "conformance/profiles.h"
#include "core/json_input.h"
#include "core/regex.h"
#include "study/detail/read_common.h"
#include "study/detail/read_logic.h"
#include "study/detail/schema_check.h"
#include "study/ids.h"
#include "study/time_amount.h"
#include "study/vocabulary.h"

namespace trialbridge::study {

using core::JsonInput;
using core::JsonNode;

namespace {

// Whether `value` has the form of the registry's identifiers (its whole value matches the
// pattern); a value longer than Vocabulary::kMaxRegistryId does not.
bool matchesRegistryPattern(const Vocabulary::Registry& reg, const std::string& value) {
  if (value.size() > Vocabulary::kMaxRegistryId) return false;
  try {
    return reg.regex->find(value);
  } catch (const std::exception&) {
    return false;
  }
}

// Reads the model from a schema-valid document; then checks the cross-references.
class TrialReader : private core::JsonInputReporter {
 public:
  TrialReader(const JsonInput& input, core::Issues& issues) : JsonInputReporter(input, issues) {}

  Trial read() {
    const JsonNode root = in_.root();
    Trial t;
    t.id = root.str("id");
    t.canonicalBase = root.str("canonicalBase");
    if (t.canonicalBase.empty()) {
      t.canonicalBase = std::string(conformance::profiles::kCanonical) + "/trials/" + t.id;
    }
    while (!t.canonicalBase.empty() && t.canonicalBase.back() == '/') t.canonicalBase.pop_back();

    const JsonNode titles = root.get("titles");
    t.briefTitle = titles.str("brief");
    t.officialTitle = titles.str("official");
    t.acronym = titles.str("acronym");
    t.summary = root.str("summary");
    t.description = root.str("description");
    t.status = root.str("status");
    t.lastKnownStatus = root.str("lastKnownStatus");
    const JsonNode dates = root.get("dates");
    t.startDate = dates.str("start");
    t.primaryCompletionDate = dates.str("primaryCompletion");
    t.completionDate = dates.str("completion");
    t.startDateType = dates.str("startType");
    t.primaryCompletionDateType = dates.str("primaryCompletionType");
    t.completionDateType = dates.str("completionType");
    t.phases = root.get("phases").strings();
    t.studyType = root.str("studyType");
    const JsonNode design = root.get("design");
    t.design.primaryPurpose = design.str("primaryPurpose");
    t.design.allocation = design.str("allocation");
    t.design.interventionModel = design.str("interventionModel");
    t.design.masking = design.str("masking");
    t.design.whoMasked = design.get("whoMasked").strings();
    t.design.observationalModel = design.str("observationalModel");
    t.design.description = design.str("description");
    if (design.has("doseEscalation")) {
      const JsonNode d = design.get("doseEscalation");
      t.design.doseEscalation =
          DoseEscalation{d.str("rule"), d.str("description"), d.get("targetToxicityRate").number()};
    }
    const JsonNode conditions = root.get("conditions");
    for (size_t i = 0; i < conditions.size(); ++i) {
      t.conditions.push_back(detail::readConcept(conditions.item(i), issues_));
    }
    t.keywords = root.get("keywords").strings();
    t.sponsor = root.str("sponsor");
    t.collaborators = root.get("collaborators").strings();
    const JsonNode enrollment = root.get("enrollment");
    t.enrollmentTarget = enrollment.get("target").integer();
    t.enrollmentType = enrollment.str("type");
    t.birthDatePrecision = root.get("pseudonymization").str("birthDatePrecision");
    if (t.birthDatePrecision.empty()) t.birthDatePrecision = "day";

    readIdentifiers(root.get("identifiers"), t);
    readOrganizations(root.get("organizations"), t);
    readSites(root.get("sites"), t);
    readContacts(root.get("contacts"), t);
    readInterventions(root.get("interventions"), t);
    readArms(root.get("arms"), t);
    readActivities(root.get("activities"), t);
    readSchedules(root.get("schedules"), t);
    readEligibility(root.get("eligibility"), t);
    detail::readProtocolLogic(in_, t, issues_);
    const JsonNode objectives = root.get("objectives");
    for (size_t i = 0; i < objectives.size(); ++i) {
      t.objectives.push_back({objectives.item(i).str("type"), objectives.item(i).str("text")});
    }
    const JsonNode outcomes = root.get("outcomes");
    for (size_t i = 0; i < outcomes.size(); ++i) {
      const JsonNode o = outcomes.item(i);
      t.outcomes.push_back(
          {o.str("type"), o.str("measure"), o.str("description"), o.str("timeFrame")});
    }

    checkReferences(root, t);
    return t;
  }

 private:
  // Reports a second use of an id; `what` names the kind of thing.
  void unique(std::map<std::string, std::string>& seen, const JsonNode& idNode, const char* what) {
    const std::string id = idNode.str();
    auto [it, inserted] = seen.emplace(id, idNode.path());
    if (!inserted) {
      error(idNode.path(),
            std::string("the ") + what + " id '" + id + "' is already used at " + it->second,
            core::IssueType::Duplicate);
    }
  }

  void fitsId(const JsonNode& idNode, const std::string& resourceId) {
    if (resourceId.size() > detail::kMaxFhirId) {
      error(idNode.path(),
            "the FHIR resource id '" + resourceId + "' made from this id is longer than " +
                std::to_string(detail::kMaxFhirId) + " characters; use a shorter id",
            core::IssueType::TooLong);
    }
  }

  static Address readAddress(const JsonNode& n) {
    Address a;
    a.lines = n.get("line").strings();
    a.city = n.str("city");
    a.district = n.str("district");
    a.state = n.str("state");
    a.postalCode = n.str("postalCode");
    a.country = n.str("country");
    return a;
  }

  void readIdentifiers(const JsonNode& list, Trial& t) {
    std::set<std::pair<std::string, std::string>> seen;
    int primaries = 0;
    for (size_t i = 0; i < list.size(); ++i) {
      const JsonNode n = list.item(i);
      StudyIdentifier id;
      id.registry = n.str("registry");
      id.value = n.str("value");
      id.system = n.str("system");
      id.assigner = n.str("assigner");
      id.primary = n.get("primary").isTrue();
      primaries += id.primary ? 1 : 0;
      const Vocabulary::Registry* reg = Vocabulary::get().registry(id.registry);
      if (reg != nullptr && id.system.empty()) id.system = reg->system;
      if (id.system.empty() && id.registry == "sponsor") id.system = ids::sponsorProtocolSystem(t);
      if (id.system.empty()) {
        error(n.path(), "an identifier of registry '" + id.registry + "' needs a system (a URI)",
              core::IssueType::Required);
      }
      // No registry number is near Vocabulary::kMaxRegistryId characters: a longer value is refused
      // as it is.
      if (reg != nullptr && !reg->pattern.empty() && n.str("system").empty() &&
          !matchesRegistryPattern(*reg, id.value)) {
        const std::string shown = id.value.size() > 64
                                      ? id.value.substr(0, 64) + "... (" +
                                            std::to_string(id.value.size()) + " characters)"
                                      : id.value;
        error(n.get("value").path(),
              "'" + shown + "' is not a valid " + reg->display + " identifier (expected the form " +
                  reg->pattern + ")",
              core::IssueType::Value);
      }
      if (!seen.insert({id.system, id.value}).second) {
        error(n.path(), "the identifier " + id.value + " is listed twice",
              core::IssueType::Duplicate);
      }
      t.identifiers.push_back(std::move(id));
    }
    if (primaries > 1) {
      error(list.path(), "more than one identifier is marked primary");
    }
  }

  void readOrganizations(const JsonNode& list, Trial& t) {
    std::map<std::string, std::string> seen;
    for (size_t i = 0; i < list.size(); ++i) {
      const JsonNode n = list.item(i);
      unique(seen, n.get("id"), "organization");
      Organization o{n.str("id"), n.str("name"), n.str("class"), std::nullopt};
      if (n.has("address")) o.address = readAddress(n.get("address"));
      fitsId(n.get("id"), ids::organization(t, o.id));
      t.organizations.push_back(std::move(o));
    }
  }

  void readSites(const JsonNode& list, Trial& t) {
    std::map<std::string, std::string> seen;
    for (size_t i = 0; i < list.size(); ++i) {
      const JsonNode n = list.item(i);
      unique(seen, n.get("id"), "site");
      Site s{n.str("id"), n.str("name"), n.str("organization"), n.str("status"),
             readAddress(n.get("address"))};
      fitsId(n.get("id"), ids::location(t, s.id));
      t.sites.push_back(std::move(s));
    }
  }

  void readContacts(const JsonNode& list, Trial& t) {
    std::map<std::string, std::string> seen;
    for (size_t i = 0; i < list.size(); ++i) {
      const JsonNode n = list.item(i);
      unique(seen, n.get("id"), "contact");
      Contact c;
      c.id = n.str("id");
      c.name = n.str("name");
      c.role = n.str("role");
      c.central = n.get("central").isTrue();
      c.site = n.str("site");
      c.organization = n.str("organization");
      c.phone = n.get("telecom").str("phone");
      c.email = n.get("telecom").str("email");
      fitsId(n.get("id"), ids::contact(t, c.id));
      t.contacts.push_back(std::move(c));
    }
  }

  void readInterventions(const JsonNode& list, Trial& t) {
    std::map<std::string, std::string> seen;
    for (size_t i = 0; i < list.size(); ++i) {
      const JsonNode n = list.item(i);
      unique(seen, n.get("id"), "intervention");
      Intervention v;
      v.id = n.str("id");
      v.name = n.str("name");
      v.type = n.str("type");
      v.description = n.str("description");
      v.otherNames = n.get("otherNames").strings();
      const JsonNode codes = n.get("codes");
      for (size_t k = 0; k < codes.size(); ++k) {
        v.codes.push_back(detail::readCoding(codes.item(k), issues_));
      }
      fitsId(n.get("id"), ids::medication(t, v.id));
      t.interventions.push_back(std::move(v));
    }
  }

  void readArms(const JsonNode& list, Trial& t) {
    std::map<std::string, std::string> seen, names;
    for (size_t i = 0; i < list.size(); ++i) {
      const JsonNode n = list.item(i);
      unique(seen, n.get("id"), "arm");
      Arm a;
      a.id = n.str("id");
      a.name = n.str("name");
      if (auto [it, inserted] = names.emplace(a.name, n.get("name").path()); !inserted) {
        error(n.get("name").path(),
              "the arm name '" + a.name + "' is already used at " + it->second +
                  " (ResearchSubject.assignedArm names arms by name)",
              core::IssueType::Duplicate);
      }
      a.type = n.str("type");
      a.description = n.str("description");
      if (n.has("cohort")) {
        const JsonNode c = n.get("cohort");
        a.cohort = Cohort{c.get("sequence").integer(), c.str("part"), c.get("size").integer(),
                          c.get("doseFrom").strings()};
      }
      const JsonNode list2 = n.get("interventions");
      std::set<std::string> given;
      for (size_t k = 0; k < list2.size(); ++k) {
        const JsonNode ai = list2.item(k);
        ArmIntervention x;
        x.intervention = ai.str("intervention");
        if (!t.intervention(x.intervention)) {
          error(ai.get("intervention").path(),
                "no intervention has the id '" + x.intervention + "'", core::IssueType::NotFound);
        } else if (!given.insert(x.intervention).second) {
          error(ai.get("intervention").path(),
                "the intervention '" + x.intervention + "' is listed twice in this arm",
                core::IssueType::Duplicate);
        }
        if (ai.has("dose")) {
          const JsonNode d = ai.get("dose");
          Dose dose;
          dose.text = d.str("text");
          dose.reading = d.str("reading");
          if (d.has("quantity")) {
            const JsonNode q = d.get("quantity");
            dose.quantity = Quantity{q.get("value").number(), q.str("unit"), q.str("ucum")};
          }
          x.dose = std::move(dose);
        }
        if (ai.has("route")) x.route = detail::readConcept(ai.get("route"), issues_);
        x.frequency = ai.str("frequency");
        a.interventions.push_back(std::move(x));
      }
      t.arms.push_back(std::move(a));
    }
  }

  void readActivities(const JsonNode& list, Trial& t) {
    std::map<std::string, std::string> seen;
    for (size_t i = 0; i < list.size(); ++i) {
      const JsonNode n = list.item(i);
      unique(seen, n.get("id"), "activity");
      Activity a;
      a.id = n.str("id");
      a.name = n.str("name");
      a.kind = n.str("kind");
      a.intervention = n.str("intervention");
      a.description = n.str("description");
      if (n.has("code")) a.code = detail::readConcept(n.get("code"), issues_);
      if (n.has("specimen")) a.specimen = detail::readConcept(n.get("specimen"), issues_);
      if (a.kind == "administration") {
        if (a.intervention.empty()) {
          error(n.path(), "an administration activity names the intervention it gives",
                core::IssueType::Required);
        } else if (!t.intervention(a.intervention)) {
          error(n.get("intervention").path(), "no intervention has the id '" + a.intervention + "'",
                core::IssueType::NotFound);
        }
        // One ActivityDefinition per arm: check the longest id.
        std::string longestArm;
        for (const Arm& arm : t.arms) {
          if (arm.id.size() > longestArm.size()) longestArm = arm.id;
        }
        fitsId(n.get("id"), ids::activity(t, a.id, longestArm));
      } else {
        if (!a.intervention.empty()) {
          error(n.get("intervention").path(),
                "only administration activities name an intervention (this one is " + a.kind + ")");
        }
        fitsId(n.get("id"), ids::activity(t, a.id));
      }
      t.activities.push_back(std::move(a));
    }
  }

  void readSchedules(const JsonNode& list, Trial& t) {
    std::map<std::string, std::string> seen, timepointIds;
    for (size_t i = 0; i < list.size(); ++i) {
      const JsonNode n = list.item(i);
      unique(seen, n.get("id"), "schedule");
      Schedule s;
      s.id = n.str("id");
      s.name = n.str("name");
      s.description = n.str("description");
      s.arms = n.get("arms").strings();
      s.sex = n.get("subjects").str("sex");
      s.firstSubjects = n.get("subjects").get("first").integer();
      fitsId(n.get("id"), ids::schedule(t, s.id));
      for (size_t k = 0; k < s.arms.size(); ++k) {
        if (!t.arm(s.arms[k])) {
          error(n.get("arms").item(k).path(), "no arm has the id '" + s.arms[k] + "'",
                core::IssueType::NotFound);
        }
      }
      const JsonNode tps = n.get("timepoints");
      for (size_t k = 0; k < tps.size(); ++k) {
        const JsonNode tp = tps.item(k);
        unique(timepointIds, tp.get("id"), "timepoint");
        s.timepoints.push_back(readTimepoint(tp, t, s));
      }
      checkAnchors(tps, s);
      t.schedules.push_back(std::move(s));
    }
  }

  Timepoint readTimepoint(const JsonNode& n, const Trial& t, const Schedule& s) {
    Timepoint tp;
    tp.id = n.str("id");
    tp.label = n.str("label");
    tp.type = n.str("type");
    tp.anchor.event = n.get("anchor").str("event");
    tp.anchor.timepoint = n.get("anchor").str("timepoint");
    tp.relation = n.str("relation");
    if (n.has("offset")) {
      tp.offset = detail::readTime(n.get("offset"));
      const std::string implied =
          tp.offset->number < 0 ? "before" : (tp.offset->number > 0 ? "after" : "");
      if (!tp.relation.empty() && !implied.empty() && tp.relation != implied) {
        error(n.get("relation").path(),
              "the relation '" + tp.relation + "' contradicts the offset " + tp.offset->value +
                  " " + tp.offset->unit + " (a negative offset is before the anchor)");
      }
      if (tp.relation.empty()) tp.relation = implied.empty() ? "concurrent" : implied;
    } else if (tp.relation.empty()) {
      error(n.path(),
            "a timepoint without an offset says whether it is before or after its anchor "
            "(relation)",
            core::IssueType::Required);
    }
    const JsonNode window = n.get("window");
    if (window.exists()) {
      if (window.has("before")) tp.windowBefore = detail::readTime(window.get("before"));
      if (window.has("after")) tp.windowAfter = detail::readTime(window.get("after"));
      if (!tp.offset) {
        error(window.path(), "a window needs an offset to be counted from",
              core::IssueType::Required);
      } else {
        for (const auto* w : {&tp.windowBefore, &tp.windowAfter}) {
          if (*w && !convertible((*w)->unit, tp.offset->unit)) {
            error(window.get(w == &tp.windowBefore ? "before" : "after").get("unit").path(),
                  "a window in '" + (*w)->unit + "' cannot be added to an offset in '" +
                      tp.offset->unit +
                      "' (months have no fixed length): give both in months, or "
                      "both in minutes, hours, days or weeks");
          }
        }
      }
    }
    if (n.has("repeat")) {
      tp.repeatCount = n.get("repeat").get("count").integer();
      tp.repeatEvery = detail::readTime(n.get("repeat").get("every"));
    }
    tp.activities = n.get("activities").strings();
    bool administers = false;
    for (size_t k = 0; k < tp.activities.size(); ++k) {
      const std::string path = n.get("activities").item(k).path();
      const Activity* a = t.activity(tp.activities[k]);
      if (a == nullptr) {
        error(path, "no activity has the id '" + tp.activities[k] + "'", core::IssueType::NotFound);
        continue;
      }
      if (a->kind != "administration") continue;
      administers = true;
      if (tp.type != "dosing") {
        error(path, "the assessment timepoint '" + tp.id + "' has the administration activity '" +
                        a->id + "'; make it a dosing timepoint");
      }
      // Every arm the schedule applies to must receive what is given here.
      for (const Arm& arm : t.arms) {
        if (!s.arms.empty() && std::find(s.arms.begin(), s.arms.end(), arm.id) == s.arms.end()) {
          continue;
        }
        const ArmIntervention* ai = arm.intervention(a->intervention);
        if (ai == nullptr) {
          error(path, "the arm '" + arm.id + "' does not receive the intervention '" +
                          a->intervention +
                          "' that this timepoint gives; limit the schedule's arms "
                          "or add the intervention to the arm");
        } else if (!ai->dose) {
          warning(path, "the arm '" + arm.id + "' gives '" + a->intervention + "' without a dose");
        }
      }
    }
    if (tp.type == "dosing" && !administers) {
      error(n.get("activities").path(),
            "the dosing timepoint '" + tp.id + "' has no administration activity");
    }
    return tp;
  }

  // Anchors name a timepoint of the same schedule, not themselves, without cycles.
  void checkAnchors(const JsonNode& tps, const Schedule& s) {
    std::map<std::string, const Timepoint*> byId;
    for (const Timepoint& tp : s.timepoints) byId.emplace(tp.id, &tp);
    for (size_t k = 0; k < s.timepoints.size(); ++k) {
      const Timepoint& tp = s.timepoints[k];
      if (tp.anchor.timepoint.empty()) continue;
      const std::string path = tps.item(k).get("anchor").get("timepoint").path();
      if (byId.find(tp.anchor.timepoint) == byId.end()) {
        error(path,
              "no timepoint of the schedule '" + s.id + "' has the id '" + tp.anchor.timepoint +
                  "' (an anchor timepoint is in the same schedule)",
              core::IssueType::NotFound);
        continue;
      }
      std::set<std::string> visited{tp.id};
      const Timepoint* cur = &tp;
      while (cur != nullptr && !cur->anchor.timepoint.empty()) {
        if (!visited.insert(cur->anchor.timepoint).second) {
          error(path, "the anchors of timepoint '" + tp.id + "' go round in a cycle");
          break;
        }
        auto it = byId.find(cur->anchor.timepoint);
        cur = it == byId.end() ? nullptr : it->second;
      }
    }
  }

  Rule readRule(const JsonNode& n, const std::string& defaultId) {
    Rule r;
    r.id = n.str("id");
    if (r.id.empty()) r.id = defaultId;
    r.kind = n.str("kind");
    r.criterion = n.str("criterion");
    if (n.has("test")) r.test = detail::readConcept(n.get("test"), issues_);
    const JsonNode th = n.get("threshold");
    r.threshold = Threshold{th.str("comparator"), th.get("value").number(), th.str("relativeTo"),
                            th.str("unit")};
    if (th.exists()) {
      if (r.threshold.relativeTo.empty() == r.threshold.unit.empty()) {
        error(th.path(),
              "a threshold has either relativeTo (ULN or LLN) or a unit, not both and not "
              "neither",
              core::IssueType::Required);
      }
    }
    if (n.has("within")) r.within = detail::readTime(n.get("within"));
    r.appliesTo = n.str("appliesTo");
    r.result = n.str("result");
    r.specimens = n.get("specimens").strings();
    if (n.has("medication")) r.medication = detail::readConcept(n.get("medication"), issues_);
    if (n.has("period")) r.period = detail::readTime(n.get("period"));
    r.before = n.str("before");
    if (r.before.empty() && (r.kind == "washout" || r.within)) r.before = "first-dose";
    const JsonNode rules = n.get("rules");
    for (size_t i = 0; i < rules.size(); ++i) {
      r.rules.push_back(readRule(rules.item(i), r.id + "-" + std::to_string(i + 1)));
    }
    return r;
  }

  void readEligibility(const JsonNode& n, Trial& t) {
    Eligibility& e = t.eligibility;
    e.sex = n.str("sex");
    if (n.has("minimumAge"))
      e.minimumAge =
          Age{n.get("minimumAge").get("value").number(), n.get("minimumAge").str("unit")};
    if (n.has("maximumAge"))
      e.maximumAge =
          Age{n.get("maximumAge").get("value").number(), n.get("maximumAge").str("unit")};
    if (n.get("healthyVolunteers").isBool())
      e.healthyVolunteers = n.get("healthyVolunteers").isTrue();
    e.ageCriterion = n.str("ageCriterion");
    std::map<std::string, std::string> seen;
    for (const char* part : {"inclusion", "exclusion"}) {
      const JsonNode list = n.get(part);
      auto& out = part[0] == 'i' ? e.inclusion : e.exclusion;
      for (size_t i = 0; i < list.size(); ++i) {
        unique(seen, list.item(i).get("id"), "criterion");
        out.push_back({list.item(i).str("id"), list.item(i).str("text")});
      }
    }
    const JsonNode counts = n.get("registeredCounts");
    if (counts.get("inclusion").exists()) e.registeredInclusion = counts.get("inclusion").integer();
    if (counts.get("exclusion").exists()) e.registeredExclusion = counts.get("exclusion").integer();
    for (auto [given, registered, part] :
         {std::tuple{e.inclusion.size(), e.registeredInclusion, "inclusion"},
          std::tuple{e.exclusion.size(), e.registeredExclusion, "exclusion"}}) {
      if (!registered) continue;
      const std::string path = counts.get(part).path();
      if (static_cast<int>(given) > *registered) {
        error(path, "the file lists " + std::to_string(given) + " " + part +
                        " criteria, more than the " + std::to_string(*registered) + " registered");
      } else if (static_cast<int>(given) < *registered) {
        information(path, "the file lists " + std::to_string(given) + " of the " +
                              std::to_string(*registered) + " registered " + part + " criteria");
      }
    }
    if (!e.ageCriterion.empty() && seen.find(e.ageCriterion) == seen.end()) {
      error(n.get("ageCriterion").path(), "no criterion has the id '" + e.ageCriterion + "'",
            core::IssueType::NotFound);
    }
    if (e.minimumAge && e.maximumAge) {
      auto days = [](const Age& a, double v) {
        const double per = a.unit == "a"    ? 365.25
                           : a.unit == "mo" ? 30.4375
                           : a.unit == "wk" ? 7
                                            : 1;
        return v * per;
      };
      const double lo = days(*e.minimumAge, n.get("minimumAge").get("value").real());
      const double hi = days(*e.maximumAge, n.get("maximumAge").get("value").real());
      if (lo > hi) error(n.get("minimumAge").path(), "the minimum age is above the maximum age");
    }
    const JsonNode rules = n.get("rules");
    std::map<std::string, std::string> ruleIds;
    for (size_t i = 0; i < rules.size(); ++i) {
      const JsonNode rn = rules.item(i);
      Rule r = readRule(rn, "rule-" + std::to_string(i + 1));
      checkRule(rn, r, seen, ruleIds);
      for (size_t k = 0; k < r.rules.size(); ++k) {
        checkRule(rn.get("rules").item(k), r.rules[k], seen, ruleIds);
      }
      e.rules.push_back(std::move(r));
    }
  }

  void checkRule(const JsonNode& n, const Rule& r,
                 const std::map<std::string, std::string>& criteria,
                 std::map<std::string, std::string>& ruleIds) {
    if (auto [it, inserted] = ruleIds.emplace(r.id, n.path()); !inserted) {
      error(n.has("id") ? n.get("id").path() : n.path(),
            "the rule id '" + r.id + "' is already used at " + it->second,
            core::IssueType::Duplicate);
    }
    if (!r.criterion.empty() && criteria.find(r.criterion) == criteria.end()) {
      error(n.get("criterion").path(),
            "no inclusion or exclusion criterion has the id '" + r.criterion + "'",
            core::IssueType::NotFound);
    }
  }

  void checkReferences(const JsonNode& root, const Trial& t) {
    if (!t.organization(t.sponsor)) {
      error(root.get("sponsor").path(), "no organization has the id '" + t.sponsor + "'",
            core::IssueType::NotFound);
    }
    for (size_t i = 0; i < t.collaborators.size(); ++i) {
      const std::string path = root.get("collaborators").item(i).path();
      if (!t.organization(t.collaborators[i])) {
        error(path, "no organization has the id '" + t.collaborators[i] + "'",
              core::IssueType::NotFound);
      } else if (t.collaborators[i] == t.sponsor) {
        error(path, "the sponsor is not also a collaborator");
      }
    }
    const JsonNode identifiers = root.get("identifiers");
    for (size_t i = 0; i < t.identifiers.size(); ++i) {
      const std::string& a = t.identifiers[i].assigner;
      if (!a.empty() && !t.organization(a)) {
        error(identifiers.item(i).get("assigner").path(), "no organization has the id '" + a + "'",
              core::IssueType::NotFound);
      }
    }
    const JsonNode sites = root.get("sites");
    for (size_t i = 0; i < t.sites.size(); ++i) {
      const std::string& o = t.sites[i].organization;
      if (!o.empty() && !t.organization(o)) {
        error(sites.item(i).get("organization").path(), "no organization has the id '" + o + "'",
              core::IssueType::NotFound);
      }
    }
    const JsonNode contacts = root.get("contacts");
    for (size_t i = 0; i < t.contacts.size(); ++i) {
      const Contact& c = t.contacts[i];
      if (!c.site.empty() && !t.site(c.site)) {
        error(contacts.item(i).get("site").path(), "no site has the id '" + c.site + "'",
              core::IssueType::NotFound);
      }
      if (!c.organization.empty() && !t.organization(c.organization)) {
        error(contacts.item(i).get("organization").path(),
              "no organization has the id '" + c.organization + "'", core::IssueType::NotFound);
      }
    }
    checkDesign(root, t);
    int cohortTotal = 0;
    for (const Arm& a : t.arms) cohortTotal += a.cohort ? a.cohort->size : 0;
    if (cohortTotal > t.enrollmentTarget) {
      warning(root.get("enrollment").get("target").path(),
              "the cohorts plan " + std::to_string(cohortTotal) +
                  " participants, more than the target " + std::to_string(t.enrollmentTarget));
    }
    // The PlanDefinition of a schedule is long when the trial id is; check the longest ids.
    fitsId(root.get("id"), ids::eligibilityGroup(t));
  }

  // The status's last known status, the escalation rule's parameters, the cohorts an expansion
  // takes its dose from, and schedules limited to subjects no arm could have.
  void checkDesign(const JsonNode& root, const Trial& t) {
    if (t.status == "UNKNOWN" && t.lastKnownStatus.empty()) {
      error(root.get("status").path(),
            "status UNKNOWN needs lastKnownStatus (the last status the registry knew)",
            core::IssueType::Required);
    } else if (t.status != "UNKNOWN" && !t.lastKnownStatus.empty()) {
      error(root.get("lastKnownStatus").path(), "lastKnownStatus goes only with status UNKNOWN");
    } else if (t.lastKnownStatus == "UNKNOWN") {
      error(root.get("lastKnownStatus").path(), "the last known status is a known status");
    }
    if (const auto& d = t.design.doseEscalation) {
      const JsonNode n = root.get("design").get("doseEscalation");
      if (d->rule == "text" && d->description.empty()) {
        error(n.path(), "an escalation rule of kind text needs its description",
              core::IssueType::Required);
      }
      if (d->rule == "BOIN" && d->targetToxicityRate.empty()) {
        error(n.path(), "a BOIN escalation needs targetToxicityRate (the target DLT rate)",
              core::IssueType::Required);
      } else if (d->rule != "BOIN" && !d->targetToxicityRate.empty()) {
        error(n.get("targetToxicityRate").path(), "targetToxicityRate belongs to BOIN escalations");
      }
      const bool escalates = std::any_of(t.arms.begin(), t.arms.end(), [](const Arm& a) {
        return a.cohort && a.cohort->part == "dose-escalation";
      });
      if (!escalates) {
        warning(n.path(), "an escalation rule, but no arm is a dose-escalation cohort");
      }
    }
    const JsonNode arms = root.get("arms");
    for (size_t i = 0; i < t.arms.size(); ++i) {
      const Arm& a = t.arms[i];
      if (!a.cohort || a.cohort->doseFrom.empty()) continue;
      const JsonNode from = arms.item(i).get("cohort").get("doseFrom");
      if (a.cohort->part != "dose-expansion") {
        error(from.path(), "only a dose-expansion cohort takes its dose from other cohorts");
      }
      for (size_t k = 0; k < a.cohort->doseFrom.size(); ++k) {
        const Arm* source = t.arm(a.cohort->doseFrom[k]);
        if (source == nullptr) {
          error(from.item(k).path(), "no arm has the id '" + a.cohort->doseFrom[k] + "'",
                core::IssueType::NotFound);
        } else if (!source->cohort || source->cohort->part != "dose-escalation") {
          error(from.item(k).path(),
                "the arm '" + source->id +
                    "' is not a dose-escalation cohort (part dose-escalation)");
        }
      }
    }
    const JsonNode schedules = root.get("schedules");
    for (size_t i = 0; i < t.schedules.size(); ++i) {
      const Schedule& s = t.schedules[i];
      const JsonNode subjects = schedules.item(i).get("subjects");
      if (!s.sex.empty() && t.eligibility.sex != "ALL" && t.eligibility.sex != s.sex) {
        error(subjects.get("sex").path(),
              "the trial enrols only " + t.eligibility.sex + " subjects; no subject is " + s.sex);
      }
      if (s.firstSubjects > t.enrollmentTarget) {
        warning(subjects.get("first").path(),
                "the first " + std::to_string(s.firstSubjects) + " subjects are more than the " +
                    "enrollment target " + std::to_string(t.enrollmentTarget));
      }
    }
  }
};

}  // namespace

std::optional<Trial> readTrial(std::string_view text, core::Issues& issues) {
  JsonInput input;
  if (!input.parse(text, issues)) return std::nullopt;
  if (!detail::trialDefinitionSchema().check(input, issues)) return std::nullopt;
  const size_t errorsBefore =
      issues.count(core::Severity::Error) + issues.count(core::Severity::Fatal);
  Trial t = TrialReader(input, issues).read();
  if (issues.count(core::Severity::Error) + issues.count(core::Severity::Fatal) > errorsBefore) {
    return std::nullopt;
  }
  return t;
}

// Trial and Arm lookups.

const ArmIntervention* Arm::intervention(std::string_view key) const {
  for (const ArmIntervention& a : interventions) {
    if (a.intervention == key) return &a;
  }
  return nullptr;
}

namespace {
template <typename T>
const T* byId(const std::vector<T>& list, std::string_view id) {
  for (const T& x : list) {
    if (x.id == id) return &x;
  }
  return nullptr;
}
}  // namespace

const Organization* Trial::organization(std::string_view key) const {
  return byId(organizations, key);
}
const Site* Trial::site(std::string_view key) const { return byId(sites, key); }
const Intervention* Trial::intervention(std::string_view key) const {
  return byId(interventions, key);
}
const Arm* Trial::arm(std::string_view key) const { return byId(arms, key); }
const Activity* Trial::activity(std::string_view key) const { return byId(activities, key); }

const StudyIdentifier& Trial::primaryIdentifier() const {
  for (const StudyIdentifier& i : identifiers) {
    if (i.primary) return i;
  }
  return identifiers.front();
}

bool Trial::isNamed(std::string_view key) const {
  if (key == id) return true;
  for (const StudyIdentifier& i : identifiers) {
    if (i.value == key) return true;
  }
  return false;
}

const ToxicityTermSettings* SafetySettings::term(std::string_view id) const {
  for (const ToxicityTermSettings& t : terms) {
    if (t.term == id) return &t;
  }
  return nullptr;
}

}  // namespace trialbridge::study
