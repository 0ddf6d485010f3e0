// Rules of search parameter definitions and their use: a SearchParameter's type against the one
// it is derived from, and a CapabilityStatement's search parameter types against their
// definitions.
#include <string>

#include "validation/check_util.h"
#include "validation/rules.h"

namespace trialbridge::validation {

namespace {

using core::Element;
using core::IssueType;

// The type of the loaded SearchParameter `url`; empty when it is not loaded.
std::string searchParamType(const RuleContext& ctx, std::string_view url) {
  const auto* loc = ctx.context().find(url);
  if (loc == nullptr || loc->info->resourceType != "SearchParameter") return {};
  auto json = loc->package->json(loc->index);
  if (!json) return {};
  const std::string& t = json.value();
  const size_t k = t.find("\"type\":");
  if (k == std::string::npos) return {};
  const size_t q1 = t.find('"', k + 7);
  const size_t q2 = q1 == std::string::npos ? q1 : t.find('"', q1 + 1);
  if (q2 == std::string::npos) return {};
  return t.substr(q1 + 1, q2 - q1 - 1);
}

void checkCapabilityStatement(const Element& cs, RuleContext& ctx) {
  Reporter& rep = ctx.reporter;
  cs.forEachChild("rest", [&](const Element& rest) {
    Reporter::Scope s1(rep, rest);
    rest.forEachChild("resource", [&](const Element& r) {
      Reporter::Scope s2(rep, r);
      r.forEachChild("searchParam", [&](const Element& sp) {
        Reporter::Scope s3(rep, sp);
        const std::string_view def = childValue(sp, "definition");
        const std::string_view type = childValue(sp, "type");
        if (def.empty() || type.empty()) return;
        const std::string actual = searchParamType(ctx, def);
        if (actual.empty() || actual == type) return;
        const auto* loc = ctx.context().find(def);
        std::string label = versionless(def);
        if (loc != nullptr && !loc->info->version.empty()) label += "|" + loc->info->version;
        rep.error(IssueType::Invalid, &sp,
                  "Type mismatch - SearchParameter '" + label + "' type is " + actual +
                      ", but type here is " + std::string(type));
      });
    });
  });
}

void checkSearchParameter(const Element& sp, RuleContext& ctx) {
  const std::string_view from = childValue(sp, "derivedFrom");
  const std::string_view type = childValue(sp, "type");
  if (from.empty() || type.empty()) return;
  const std::string actual = searchParamType(ctx, from);
  if (!actual.empty() && actual != type) {
    ctx.reporter.error(IssueType::BusinessRule, &sp,
                       "The type " + std::string(type) + " is different to the type " + actual +
                           " in the derivedFrom SearchParameter " + std::string(from));
  }
}

}  // namespace

void addSearchParameterRules(RuleTable& table) {
  table.addResourceRule("CapabilityStatement", checkCapabilityStatement);
  table.addResourceRule("SearchParameter", checkSearchParameter);
}

}  // namespace trialbridge::validation
