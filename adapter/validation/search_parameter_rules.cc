// Rules of search parameter definitions and their use: a SearchParameter against the one it is
// derived from (type, base types, expression), composites with components, codes usable in a
// URL; and a CapabilityStatement's search parameter types against their definitions.
#include <algorithm>
#include <string>
#include <vector>

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

// The part of a search parameter's expression that applies to `type` ("Patient.name" of
// "Patient.name | Person.name"); the whole expression when it does not name types.
std::vector<std::string_view> expressionsFor(std::string_view expr, std::string_view type) {
  std::vector<std::string_view> parts;
  while (!expr.empty()) {
    const size_t bar = expr.find('|');
    std::string_view part = expr.substr(0, bar);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (part.starts_with(type) &&
        (part.size() == type.size() || part[type.size()] == '.' || part[type.size()] == ' ')) {
      parts.push_back(part);
    }
    expr = bar == std::string_view::npos ? std::string_view() : expr.substr(bar + 1);
  }
  return parts;
}

// A SearchParameter derived from another (derivedFrom) keeps its type, applies to types the
// other applies to, and narrows its expression; a composite names two or more components; a
// code avoids characters that mean something in a search URL.
void checkSearchParameter(const Element& sp, RuleContext& ctx) {
  Reporter& rep = ctx.reporter;
  const std::string_view type = childValue(sp, "type");
  if (type == "composite" && sp.childCount("component") < 2) {
    rep.error(IssueType::BusinessRule, &sp,
              "A composite SearchParameter has two or more components");
  }
  const std::string_view code = childValue(sp, "code");
  if (const size_t bad = code.find_first_of(".$|:?&=, "); bad != std::string_view::npos) {
    rep.warning(IssueType::BusinessRule, &sp,
                "The code '" + std::string(code) + "' holds '" + std::string(1, code[bad]) +
                    "', which means something in a search URL");
  }
  const std::string_view from = childValue(sp, "derivedFrom");
  if (from.empty()) return;
  const auto base = ctx.loadDefinition(from, "SearchParameter");
  if (base == nullptr) {
    rep.warning(IssueType::NotFound, &sp,
                "The SearchParameter it is derived from, " + std::string(from) +
                    ", is not loaded, so the derivation cannot be checked");
    return;
  }
  const Element& b = *base->root();
  const std::string_view baseType = childValue(b, "type");
  if (!type.empty() && !baseType.empty() && baseType != type) {
    rep.error(IssueType::BusinessRule, &sp,
              "The type " + std::string(type) + " is different to the type " +
                  std::string(baseType) + " in the derivedFrom SearchParameter " +
                  std::string(from));
  }
  std::vector<std::string_view> baseTypes;
  b.forEachChild("base", [&](const Element& t) { baseTypes.push_back(t.value()); });
  const bool any =
      std::find(baseTypes.begin(), baseTypes.end(), "Resource") != baseTypes.end() ||
      std::find(baseTypes.begin(), baseTypes.end(), "DomainResource") != baseTypes.end();
  const std::string_view expr = childValue(sp, "expression");
  const std::string_view baseExpr = childValue(b, "expression");
  sp.forEachChild("base", [&](const Element& t) {
    if (!any && std::find(baseTypes.begin(), baseTypes.end(), t.value()) == baseTypes.end()) {
      Reporter::Scope s(rep, t);
      rep.error(IssueType::BusinessRule, &t,
                "The SearchParameter " + std::string(from) +
                    " that this one is derived from does not apply to " + std::string(t.value()));
      return;
    }
    if (expr.empty() || baseExpr.empty()) return;
    const auto mine = expressionsFor(expr, t.value());
    const auto theirs = expressionsFor(baseExpr, t.value());
    for (std::string_view m : mine) {
      const bool narrows = std::any_of(theirs.begin(), theirs.end(),
                                       [&](std::string_view x) { return m.starts_with(x); });
      if (!narrows && !theirs.empty()) {
        rep.warning(IssueType::BusinessRule, &sp,
                    "The expression '" + std::string(m) + "' does not narrow '" +
                        std::string(baseExpr) + "', the expression of " + std::string(from) +
                        " that this SearchParameter is derived from");
      }
    }
  });
}

}  // namespace

void addSearchParameterRules(RuleTable& table) {
  table.addResourceRule("CapabilityStatement", checkCapabilityStatement);
  table.addResourceRule("SearchParameter", checkSearchParameter);
}

}  // namespace trialbridge::validation
