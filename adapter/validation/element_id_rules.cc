// Rules of every resource about element ids (Element.id).
#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

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

}  // namespace

void addElementIdRules(RuleTable& table) { table.addResourceRule("*", checkElementIds); }

}  // namespace trialbridge::validation
