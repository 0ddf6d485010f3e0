// Rules of quantities (Quantity, Age, Count, Distance, Duration, and the profiles of Quantity):
// a unit code in UCUM (system http://unitsofmeasure.org) is a valid UCUM expression; annotations
// in braces ("{cells}") are noted, since UCUM ignores them when comparing units.
#include <string>

#include "conformance/ucum.h"
#include "validation/check_util.h"
#include "validation/rules.h"

namespace trialbridge::validation {

namespace {

using core::Element;
using core::IssueType;

constexpr std::string_view kUcum = "http://unitsofmeasure.org";

void checkUnit(const ElementAt& at, RuleContext& ctx) {
  if (at.profile) return;  // the base pass checks each quantity once
  const Element& q = at.element;
  if (childValue(q, "system") != kUcum) return;
  const Element* code = q.child("code");
  if (code == nullptr || !code->hasValue()) return;
  Reporter::Scope s(ctx.reporter, *code);
  std::string why;
  if (!conformance::ucum::isValid(code->value(), &why)) {
    ctx.reporter.error(IssueType::CodeInvalid, code,
                       "The unit code '" + std::string(code->value()) +
                           "' is not a valid UCUM expression (" + why + ")");
    return;
  }
  const std::string_view c = code->value();
  const size_t brace = c.find('{');
  if (brace != std::string_view::npos) {
    const size_t close = c.find('}', brace);
    ctx.reporter.information(
        IssueType::BusinessRule, code,
        "The UCUM code holds the annotation " + std::string(c.substr(brace, close - brace + 1)) +
            ", which UCUM ignores when it compares units; it should not be relied on");
  }
}

}  // namespace

void addQuantityRules(RuleTable& table) {
  for (const char* type :
       {"Quantity", "Age", "Count", "Distance", "Duration", "MoneyQuantity", "SimpleQuantity"}) {
    table.addDatatypeRule(type, checkUnit);
  }
}

}  // namespace trialbridge::validation
