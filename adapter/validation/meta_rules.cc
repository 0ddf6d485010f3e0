// Rules of every resource's meta (resource.html#Meta): a security label is not given twice.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "validation/check_util.h"
#include "validation/rules.h"

namespace trialbridge::validation {

namespace {

using core::Element;

void checkSecurityLabels(const Element& res, RuleContext& ctx) {
  const Element* meta = res.child("meta");
  if (meta == nullptr) return;
  Reporter::Scope sm(ctx.reporter, *meta);
  std::vector<std::pair<std::string_view, std::string_view>> seen;
  meta->forEachChild("security", [&](const Element& label) {
    const auto key = std::make_pair(childValue(label, "system"), childValue(label, "code"));
    if (key.second.empty()) return;
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      Reporter::Scope s(ctx.reporter, label);
      ctx.reporter.warning(core::IssueType::BusinessRule, &label,
                           "The security label " + std::string(key.first) + "#" +
                               std::string(key.second) + " is given twice");
    }
    seen.push_back(key);
  });
}

}  // namespace

void addMetaRules(RuleTable& table) { table.addResourceRule("*", checkSecurityLabels); }

}  // namespace trialbridge::validation
