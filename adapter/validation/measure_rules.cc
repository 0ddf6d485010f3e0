// Rules of MeasureReports against their Measure (when it is loaded): groups and stratifiers by
// code, and in a subject-list report each population's count against its subjects.
#include <charconv>
#include <string>
#include <vector>

#include "validation/check_util.h"
#include "validation/rules.h"

namespace trialbridge::validation {

namespace {

using core::Element;
using core::IssueType;

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

// In a subject-list report, a population's count is the number of subjects its subjectResults
// name: the entries of a List held in the input, or one for a reference to a single subject
// (Patient/1). A List that is not in the input cannot be counted.
void checkSubjectCount(const Element& report, const Element& pop, RuleContext& ctx) {
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
    const std::string type = ctx.references.targetType(r, &report, &target);
    if (target != nullptr && type == "List") {
      subjects += target->childCount("entry");
    } else if (type.empty() || type == "List") {
      known = false;
    } else {
      ++subjects;
    }
  });
  if (!known || subjects == count) return;
  Reporter::Scope s(ctx.reporter, pop);
  ctx.reporter.error(IssueType::BusinessRule, &pop,
                     "Mismatch between count " + std::to_string(count) +
                         " and number of subjects " + std::to_string(subjects));
}

// The stratifiers of report group `rg` against those of the Measure's group `mg`.
void checkStratifiers(const Element& rg, const Element& mg, RuleContext& ctx) {
  Reporter& rep = ctx.reporter;
  std::vector<const Element*> mStrat, rStrat;
  mg.forEachChild("stratifier", [&](const Element& x) { mStrat.push_back(&x); });
  rg.forEachChild("stratifier", [&](const Element& x) { rStrat.push_back(&x); });
  std::vector<bool> used(mStrat.size(), false);
  for (const Element* rs : rStrat) {
    bool found = false;
    for (size_t k = 0; k < mStrat.size() && !found; ++k) {
      if (!used[k] && sameCode(rs->child("code"), mStrat[k]->child("code"))) {
        used[k] = found = true;
      }
    }
    if (!found) {
      Reporter::Scope ss(rep, *rs);
      rep.error(IssueType::BusinessRule, rs,
                "Group should have a code that matches the group stratifier definition in the "
                "measure");
    }
  }
  for (size_t k = 0; k < mStrat.size(); ++k) {
    if (used[k]) continue;
    rep.error(IssueType::BusinessRule, &rg,
              "The MeasureReport does not include a stratifier for the stratifier with code '" +
                  codeText(mStrat[k]->child("code")) + "' (id = '" +
                  std::string(childValue(*mStrat[k], "id")) + "')");
  }
}

// Report groups and stratifiers against the Measure's (when it is loaded).
void checkMeasureReport(const Element& mr, RuleContext& ctx) {
  const auto doc = ctx.loadDefinition(childValue(mr, "measure"), "Measure");
  if (doc == nullptr) return;
  Reporter& rep = ctx.reporter;
  std::vector<const Element*> mGroups, rGroups;
  doc->root()->forEachChild("group", [&](const Element& g) { mGroups.push_back(&g); });
  mr.forEachChild("group", [&](const Element& g) { rGroups.push_back(&g); });
  std::vector<bool> used(mGroups.size(), false);
  for (const Element* rg : rGroups) {
    Reporter::Scope s(rep, *rg);
    const Element* match = nullptr;
    for (size_t k = 0; k < mGroups.size() && match == nullptr; ++k) {
      if (!used[k] && sameCode(rg->child("code"), mGroups[k]->child("code"))) {
        match = mGroups[k];
        used[k] = true;
      }
    }
    if (match == nullptr && rg->child("code") == nullptr && mGroups.size() == 1 &&
        rGroups.size() == 1) {
      match = mGroups[0];
      used[0] = true;
    }
    if (match == nullptr) {
      rep.error(IssueType::BusinessRule, rg,
                "Group should have a code that matches the group definition in the measure");
      continue;
    }
    if (childValue(mr, "type") == "subject-list") {
      rg->forEachChild("population", [&](const Element& pop) { checkSubjectCount(mr, pop, ctx); });
    }
    checkStratifiers(*rg, *match, ctx);
  }
  for (size_t k = 0; k < mGroups.size(); ++k) {
    if (used[k]) continue;
    rep.error(IssueType::BusinessRule, &mr,
              "The MeasureReport does not include a group for the group with code '" +
                  codeText(mGroups[k]->child("code")) + "'");
  }
}

}  // namespace

void addMeasureRules(RuleTable& table) {
  table.addResourceRule("MeasureReport", checkMeasureReport);
}

}  // namespace trialbridge::validation
