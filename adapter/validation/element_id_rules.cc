// Rules of every resource about ids: element ids (Element.id) unique in the resource, contained
// resources' ids unique, and the resource's own id without extensions.
#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "validation/check_util.h"
#include "validation/rules.h"

namespace trialbridge::validation {

namespace {

using core::Element;

// Element ids are unique within a resource (not counting the resources inside it).
void checkElementIds(const Element& res, RuleContext& ctx) {
  std::vector<std::pair<std::string_view, const Element*>> ids;
  std::vector<const Element*> todo;
  for (const Element* c = res.firstChild(); c != nullptr; c = c->nextSibling()) todo.push_back(c);
  while (!todo.empty()) {
    const Element* e = todo.back();
    todo.pop_back();
    if (e->isResource()) continue;
    for (const Element* c = e->firstChild(); c != nullptr; c = c->nextSibling()) {
      // ElementDefinition ids name definitions (snapshot and differential repeat them).
      if (c->name() == "id" && c->hasValue() && !e->isPrimitive() &&
          e->type().name != "ElementDefinition") {
        ids.emplace_back(c->value(), e);
      } else {
        todo.push_back(c);
      }
    }
  }
  if (ids.size() < 2) return;
  std::sort(ids.begin(), ids.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second->line() < b.second->line();
  });
  for (size_t i = 1; i < ids.size(); ++i) {
    if (ids[i].first != ids[i - 1].first) continue;
    ctx.reporter.error(core::IssueType::BusinessRule, ids[i].second,
                       "Duplicate id value '" + std::string(ids[i].first) + "' (at " +
                           ids[i].second->path() + ")");
  }
}

// Contained resources are told apart by their ids (they are referenced as #id).
void checkContainedIds(const Element& res, RuleContext& ctx) {
  std::vector<std::string_view> seen;
  res.forEachChild("contained", [&](const Element& c) {
    const std::string_view id = childValue(c, "id");
    if (id.empty()) return;
    if (std::find(seen.begin(), seen.end(), id) != seen.end()) {
      Reporter::Scope s(ctx.reporter, c);
      ctx.reporter.error(core::IssueType::BusinessRule, &c,
                         "Another contained resource has the id '" + std::string(id) + "'");
    }
    seen.push_back(id);
  });
}

// A resource's id is a plain value: Resource.id takes no extensions (resource.html#id).
void checkResourceIdExtensions(const Element& res, RuleContext& ctx) {
  const Element* id = res.child("id");
  if (id == nullptr || id->child("extension") == nullptr) return;
  Reporter::Scope s(ctx.reporter, *id);
  ctx.reporter.error(core::IssueType::Invalid, id, "A resource's id takes no extensions");
}

}  // namespace

void addElementIdRules(RuleTable& table) {
  table.addResourceRule("*", checkElementIds);
  table.addResourceRule("*", checkContainedIds);
  table.addResourceRule("*", checkResourceIdExtensions);
}

}  // namespace trialbridge::validation
