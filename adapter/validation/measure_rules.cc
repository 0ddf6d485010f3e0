// Rules of Measures (groups, populations and stratifiers named by code when there are several;
// criteria in CQL with the Library to find them in) and of MeasureReports against their Measure
// (loaded or contained): groups, populations and stratifiers by code, each once, none missing;
// counts and subject lists by report type; the measure score by the Measure's scoring.
#include <charconv>
#include <string>
#include <vector>

#include "validation/check_util.h"
#include "validation/primitives.h"
#include "validation/rules.h"

namespace trialbridge::validation {

namespace {

using core::Element;
using core::IssueType;

constexpr std::string_view kMeasurePopulation =
    "http://terminology.hl7.org/CodeSystem/measure-population";
constexpr std::string_view kQuestionnaireUnit =
    "http://hl7.org/fhir/StructureDefinition/questionnaire-unit";

std::vector<const Element*> children(const Element& e, std::string_view name) {
  std::vector<const Element*> out;
  e.forEachChild(name, [&](const Element& c) { out.push_back(&c); });
  return out;
}

std::string codeText(const Element* cc) {
  if (cc == nullptr) return {};
  if (const Element* c = cc->child("coding")) return std::string(childValue(*c, "code"));
  return std::string(childValue(*cc, "text"));
}

// Whether two CodeableConcepts share a coding (system and code), or, without codings, the text.
bool sameCode(const Element* a, const Element* b) {
  if (a == nullptr || b == nullptr) return false;
  bool same = false;
  a->forEachChild("coding", [&](const Element& x) {
    b->forEachChild("coding", [&](const Element& y) {
      if (childValue(x, "code") == childValue(y, "code") &&
          childValue(x, "system") == childValue(y, "system")) {
        same = true;
      }
    });
  });
  if (!same && a->child("coding") == nullptr && b->child("coding") == nullptr) {
    same = !childValue(*a, "text").empty() && childValue(*a, "text") == childValue(*b, "text");
  }
  return same;
}

// A CodeableConcept with a coding that has both a system and a code.
bool usableCode(const Element* cc) {
  bool usable = false;
  if (cc != nullptr) {
    cc->forEachChild("coding", [&](const Element& c) {
      usable = usable || (!childValue(c, "system").empty() && !childValue(c, "code").empty());
    });
  }
  return usable;
}

bool hasCoding(const Element* cc, std::string_view system, std::string_view code) {
  bool found = false;
  if (cc != nullptr) {
    cc->forEachChild("coding", [&](const Element& c) {
      found = found || (childValue(c, "system") == system && childValue(c, "code") == code);
    });
  }
  return found;
}

// ---- Measure --------------------------------------------------------------------------------

// Several parts of one kind must each say by code which they are.
void codedWhenSeveral(const std::vector<const Element*>& parts, const char* what, Reporter& rep) {
  if (parts.size() < 2) return;
  for (const Element* p : parts) {
    if (p->child("code") != nullptr) continue;
    Reporter::Scope s(rep, *p);
    rep.warning(IssueType::Required, p,
                std::string("There are several ") + what + "s, so each should have a code");
  }
}

// The CQL criteria of a Measure name a Library it uses ("Lib.Expression"), or there is only one.
void checkCriteria(const Element& crit, const Element& measure, RuleContext& ctx) {
  const std::string_view language = childValue(crit, "language");
  if (language != "text/cql" && language != "text/cql.identifier") return;
  const std::vector<const Element*> libs = children(measure, "library");
  Reporter::Scope s(ctx.reporter, crit);
  if (libs.empty()) {
    ctx.reporter.error(IssueType::Invalid, &crit,
                       "The criteria are in CQL, but the Measure names no Library");
    return;
  }
  const std::string_view expr = childValue(crit, "expression");
  const size_t dot = expr.find('.');
  if (dot == std::string_view::npos) {
    if (libs.size() > 1) {
      ctx.reporter.error(IssueType::Invalid, &crit,
                         "The CQL expression names no Library, and the Measure has several");
    }
    return;
  }
  // The namespace names a Library by its name; it can be checked when all are loaded.
  const std::string_view name = expr.substr(0, dot);
  size_t found = 0;
  for (const Element* lib : libs) {
    const auto doc = ctx.loadDefinition(lib->value(), "Library");
    if (doc == nullptr) return;
    if (childValue(*doc->root(), "name") == name) ++found;
  }
  if (found == 0) {
    ctx.reporter.error(IssueType::Invalid, &crit,
                       "No Library of the Measure is named " + std::string(name) +
                           " (the expression's namespace)");
  } else if (found > 1) {
    ctx.reporter.error(IssueType::Invalid, &crit,
                       "Several Libraries of the Measure are named " + std::string(name));
  }
}

void checkMeasure(const Element& measure, RuleContext& ctx) {
  Reporter& rep = ctx.reporter;
  for (const Element* lib : children(measure, "library")) {
    if (ctx.context().find(lib->value()) == nullptr) {
      Reporter::Scope s(rep, *lib);
      rep.information(IssueType::NotFound, lib,
                      "The Library " + std::string(lib->value()) +
                          " is not loaded, so the criteria that use it cannot be checked");
    }
  }
  const std::vector<const Element*> groups = children(measure, "group");
  if (groups.empty()) {
    rep.warning(IssueType::Required, &measure, "The Measure has no group");
    return;
  }
  codedWhenSeveral(groups, "group", rep);
  for (const Element* g : groups) {
    Reporter::Scope s(rep, *g);
    const std::vector<const Element*> pops = children(*g, "population");
    if (pops.empty()) {
      rep.warning(IssueType::Required, g, "The group has no population");
    }
    codedWhenSeveral(pops, "group population", rep);
    const std::vector<const Element*> strata = children(*g, "stratifier");
    codedWhenSeveral(strata, "group stratifier", rep);
    for (const Element* p : pops) {
      Reporter::Scope sp(rep, *p);
      if (const Element* c = p->child("criteria")) checkCriteria(*c, measure, ctx);
    }
    for (const Element* st : strata) {
      Reporter::Scope ss(rep, *st);
      if (const Element* c = st->child("criteria")) checkCriteria(*c, measure, ctx);
      const std::vector<const Element*> comps = children(*st, "component");
      codedWhenSeveral(comps, "group stratifier component", rep);
      for (const Element* cp : comps) {
        Reporter::Scope sc(rep, *cp);
        if (const Element* c = cp->child("criteria")) checkCriteria(*c, measure, ctx);
      }
    }
  }
}

// ---- MeasureReport --------------------------------------------------------------------------

class ReportCheck {
 public:
  ReportCheck(const Element& report, const Element& measure, RuleContext& ctx)
      : mr_(report), m_(measure), ctx_(ctx), rep_(ctx.reporter) {
    type_ = childValue(report, "type");
    if (const Element* s = measure.child("scoring")) {
      if (const Element* c = s->child("coding")) scoring_ = childValue(*c, "code");
    }
  }

  void run() {
    if (scoring_ != "proportion" && scoring_ != "ratio" && scoring_ != "continuous-variable" &&
        scoring_ != "cohort") {
      rep_.information(IssueType::BusinessRule, &mr_,
                       "The Measure's scoring is none of proportion, ratio, "
                       "continuous-variable and cohort, so scores cannot be checked");
    }
    const std::vector<const Element*> mGroups = children(m_, "group");
    const std::vector<const Element*> rGroups = children(mr_, "group");
    if (mGroups.size() == 1 && rGroups.size() == 1) {
      // One group each: it may be anonymous; if both have codes, they agree.
      Reporter::Scope s(rep_, *rGroups[0]);
      const Element* rc = rGroups[0]->child("code");
      if (mGroups[0]->child("code") != nullptr && rc != nullptr) {
        if (!usableCode(rc)) {
          rep_.error(IssueType::BusinessRule, rGroups[0],
                     "The group's code has no coding with both a system and a code, so it "
                     "cannot be compared with the Measure's");
        } else if (!sameCode(rc, mGroups[0]->child("code"))) {
          rep_.error(IssueType::BusinessRule, rGroups[0],
                     "The group's code " + codeText(rc) + " is not the Measure's group code " +
                         codeText(mGroups[0]->child("code")));
        }
      }
      group(*rGroups[0], *mGroups[0]);
      return;
    }
    matchByCode(
        mr_, rGroups, mGroups, "group",
        [&](const Element& rg, const Element& mg) { group(rg, mg); }, type_ == "data-collection");
  }

 private:
  // Each report part of one kind (`report`) matches by code exactly one part of the Measure's
  // (`measure`), and (unless `missingOk`) each of the Measure's parts is reported.
  template <typename F>
  void matchByCode(const Element& owner, const std::vector<const Element*>& report,
                   const std::vector<const Element*>& measure, const char* what, F&& each,
                   bool missingOk, std::string_view exempt = {}) {
    std::vector<bool> used(measure.size(), false);
    const std::string kind(what);
    for (const Element* r : report) {
      Reporter::Scope s(rep_, *r);
      const Element* code = r->child("code");
      if (code == nullptr) {
        rep_.error(IssueType::BusinessRule, r,
                   "The " + kind + " has no code, so it cannot be matched to the Measure's");
        continue;
      }
      size_t k = 0;
      while (k < measure.size() && !sameCode(code, measure[k]->child("code"))) ++k;
      if (k == measure.size()) {
        rep_.error(IssueType::BusinessRule, r,
                   "No " + kind + " of the Measure has the code '" + codeText(code) + "'");
      } else if (used[k]) {
        rep_.error(IssueType::BusinessRule, r,
                   "Another " + kind + " of the report has the same code");
      } else {
        used[k] = true;
        each(*r, *measure[k]);
      }
    }
    if (missingOk) return;
    for (size_t k = 0; k < measure.size(); ++k) {
      if (used[k] ||
          (!exempt.empty() && hasCoding(measure[k]->child("code"), kMeasurePopulation, exempt))) {
        continue;
      }
      const std::string_view id = childValue(*measure[k], "id");
      rep_.error(IssueType::BusinessRule, &owner,
                 "The report has no " + kind + " for the Measure's " + kind + " with code '" +
                     codeText(measure[k]->child("code")) + "'" +
                     (id.empty() ? "" : " (id = '" + std::string(id) + "')"));
    }
  }

  void group(const Element& rg, const Element& mg) {
    matchByCode(
        rg, children(rg, "population"), children(mg, "population"), "population",
        [&](const Element& rp, const Element&) { population(rp); }, false, "measure-observation");
    score(rg);
    matchByCode(
        rg, children(rg, "stratifier"), children(mg, "stratifier"), "stratifier",
        [](const Element&, const Element&) {}, false);
  }

  // A subject-list report lists the subjects of each population, as many as its count; the
  // other types give a count and no subjects.
  void population(const Element& pop) {
    if (type_ != "subject-list") {
      if (pop.child("subjectResults") != nullptr) {
        rep_.error(IssueType::BusinessRule, &pop, "Only subject-list reports list subjects");
      }
      if (pop.child("count") == nullptr) {
        rep_.warning(IssueType::BusinessRule, &pop,
                     "The population has no count (a report that is not a subject list gives "
                     "counts)");
      }
      return;
    }
    subjectCount(pop);
  }

  // The number of subjects a population's subjectResults name: the entries of a List held in
  // the input, or one for a reference to a single subject (Patient/1). A List that is not in
  // the input cannot be counted.
  void subjectCount(const Element& pop) {
    const std::string_view countText = childValue(pop, "count");
    if (countText.empty() || pop.child("subjectResults") == nullptr) return;
    size_t count = 0;
    const auto [end, ec] =
        std::from_chars(countText.data(), countText.data() + countText.size(), count);
    if (ec != std::errc() || end != countText.data() + countText.size()) return;
    size_t subjects = 0;
    bool known = true;
    pop.forEachChild("subjectResults", [&](const Element& r) {
      const Element* target = nullptr;
      const std::string type = ctx_.references.targetType(r, &mr_, &target);
      if (target != nullptr && type == "List") {
        subjects += target->childCount("entry");
      } else if (type.empty() || type == "List") {
        known = false;
      } else {
        ++subjects;
      }
    });
    if (!known || subjects == count) return;
    rep_.error(IssueType::BusinessRule, &pop,
               "Mismatch between count " + std::to_string(count) + " and number of subjects " +
                   std::to_string(subjects));
  }

  // measureScore by the Measure's scoring: none for data collection and cohorts; required for
  // proportions (a unitless number from 0 to 1), ratios and continuous variables (with the unit
  // the Measure fixes with the questionnaire-unit extension).
  void score(const Element& rg) {
    const Element* ms = rg.child("measureScore");
    const auto banned = [&](const Element* e, const std::string& why) {
      if (e == nullptr) return;
      Reporter::Scope s(rep_, *e);
      rep_.error(IssueType::BusinessRule, e, why);
    };
    if (type_ == "data-collection") {
      banned(ms, "A data-collection report has no measureScore");
      return;
    }
    if (scoring_ == "cohort") {
      banned(ms, "A cohort measure has no measureScore");
      return;
    }
    if (scoring_ != "proportion" && scoring_ != "ratio" && scoring_ != "continuous-variable") {
      return;
    }
    if (ms == nullptr) {
      rep_.error(
          IssueType::Required, &rg,
          "The group has no measureScore, which a " + std::string(scoring_) + " measure requires");
      return;
    }
    Reporter::Scope s(rep_, *ms);
    const Element* value = ms->child("value");
    if (value == nullptr) {
      rep_.error(
          IssueType::Required, ms,
          "The measureScore has no value, which a " + std::string(scoring_) + " measure requires");
    }
    if (scoring_ == "proportion") {
      for (const char* unit : {"unit", "system", "code"}) {
        banned(ms->child(unit), "A proportion is a number without a unit");
      }
      if (value != nullptr && (comparePrimitive("decimal", value->value(), "0") == -1 ||
                               comparePrimitive("decimal", value->value(), "1") == 1)) {
        Reporter::Scope sv(rep_, *value);
        rep_.error(IssueType::Required, value, "A proportion is between 0 and 1");
      }
      return;
    }
    fixedUnit(*ms);
  }

  // The unit a ratio or continuous-variable score is in, when the Measure fixes it.
  void fixedUnit(const Element& ms) {
    const Element* fixed = nullptr;
    m_.forEachChild("extension", [&](const Element& x) {
      if (childValue(x, "url") == kQuestionnaireUnit) fixed = x.child("value");
    });
    const std::string_view code = childValue(ms, "code");
    if (fixed == nullptr) {
      if (code.empty() && scoring_ == "ratio") {
        rep_.warning(IssueType::NotFound, &ms, "A ratio score should say its unit");
      }
      return;
    }
    if (code != childValue(*fixed, "code") ||
        childValue(ms, "system") != childValue(*fixed, "system")) {
      rep_.error(IssueType::CodeInvalid, &ms,
                 "The unit is fixed by the Measure to " +
                     std::string(childValue(*fixed, "system")) + "#" +
                     std::string(childValue(*fixed, "code")));
    }
  }

  const Element& mr_;
  const Element& m_;
  RuleContext& ctx_;
  Reporter& rep_;
  std::string_view type_;
  std::string_view scoring_;
};

// The Measure a report is for: contained (#id) or loaded by its canonical URL.
void checkMeasureReport(const Element& mr, RuleContext& ctx) {
  const Element* ref = mr.child("measure");
  const std::string_view canonical = ref == nullptr ? std::string_view() : ref->value();
  if (canonical.empty()) return;  // measure is required: the walk reports it
  std::unique_ptr<core::Document> doc;
  const Element* measure = nullptr;
  if (canonical[0] == '#') {
    measure = ctx.references.resolve(canonical, &mr);
    if (measure != nullptr && measure->type().name != "Measure") measure = nullptr;
  } else {
    doc = ctx.loadDefinition(canonical, "Measure");
    if (doc != nullptr) measure = doc->root();
  }
  if (measure == nullptr) {
    Reporter::Scope s(ctx.reporter, *ref);
    ctx.reporter.warning(IssueType::NotFound, ref,
                         "The Measure '" + std::string(canonical) +
                             "' could not be found, so the MeasureReport cannot be checked "
                             "against it");
    return;
  }
  ReportCheck(mr, *measure, ctx).run();
}

}  // namespace

void addMeasureRules(RuleTable& table) {
  table.addResourceRule("Measure", checkMeasure);
  table.addResourceRule("MeasureReport", checkMeasureReport);
}

}  // namespace trialbridge::validation
