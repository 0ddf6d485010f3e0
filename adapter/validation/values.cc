#include "validation/values.h"

#include <algorithm>

#include "conformance/ucum.h"
#include "core/json.h"
#include "validation/check_util.h"
#include "validation/primitives.h"
#include "validation/xhtml.h"

namespace trialbridge::validation {

using conformance::ElementDefinition;
using core::Element;
using core::IssueType;

namespace {

bool isQuantity(std::string_view type) {
  return type == "Quantity" || type == "Age" || type == "Count" || type == "Distance" ||
         type == "Duration" || type == "MoneyQuantity" || type == "SimpleQuantity";
}

// The text of member `key` of a flat JSON object (a Quantity written as JSON), without quotes;
// empty when it is absent.
std::string jsonMember(const std::string& json, std::string_view key) {
  const std::string k = "\"" + std::string(key) + "\":";
  const size_t at = json.find(k);
  if (at == std::string::npos) return {};
  size_t start = at + k.size();
  while (start < json.size() && json[start] == ' ') ++start;
  if (start < json.size() && json[start] == '"') {
    const size_t end = json.find('"', start + 1);
    return end == std::string::npos ? std::string() : json.substr(start + 1, end - start - 1);
  }
  const size_t end = json.find_first_of(",}", start);
  return json.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string describeValue(const Element& e) {
  if (e.hasValue()) return std::string(e.value());
  return core::writeJson(e);
}

}  // namespace

void ValueRules::check(const Element& e, const ElementNode& node, const StructureModel& m,
                       bool profile) {
  const ElementDefinition& d = *node.def;
  const bool resourceId = e.name() == "id" && e.parent() != nullptr && e.parent()->isResource();
  if (!profile && e.isPrimitive() && e.hasValue() && !resourceId) checkPrimitiveValue(e);
  if (node.fixed.present()) checkFixed(e, node.fixed, m, d, /*pattern=*/false);
  if (node.pattern.present()) checkFixed(e, node.pattern, m, d, /*pattern=*/true);
  if (e.isPrimitive() && e.hasValue()) {
    if (!d.minValueName.empty()) checkBound(e, d.minValueJson, m, true);
    if (!d.maxValueName.empty()) checkBound(e, d.maxValueJson, m, false);
    if (d.maxLength && *d.maxLength > 0 &&
        codePoints(e.value()) > static_cast<size_t>(*d.maxLength)) {
      rep_.error(IssueType::TooLong, &e,
                 "The value is longer than the permitted maximum length of " +
                     std::to_string(*d.maxLength) + fromProfile(m, profile));
    }
  } else if (isQuantity(e.type().name)) {
    if (!d.minValueName.empty()) checkQuantityBound(e, d.minValueJson, m, true);
    if (!d.maxValueName.empty()) checkQuantityBound(e, d.maxValueJson, m, false);
  }
  if (node.minLength > 0 && e.hasValue() &&
      codePoints(e.value()) < static_cast<size_t>(node.minLength)) {
    rep_.error(IssueType::Invalid, &e,
               "Value '" + std::string(e.value()) +
                   "' is shorter than permitted minimum length of " +
                   std::to_string(node.minLength));
  }
  if (node.mustHaveValue && e.isPrimitive() && !e.hasValue()) {
    rep_.error(IssueType::Invalid, &e,
               "The element definition " + d.path + " in the profile '" + m.sd().url +
                   "' requires that a value be present in this element");
  }
  if (!node.valueAlternatives.empty() && e.isPrimitive() && !e.hasValue()) {
    checkValueAlternatives(e, node, m);
  }
}

// No value: one of the extensions that may stand in for it.
void ValueRules::checkValueAlternatives(const Element& e, const ElementNode& node,
                                        const StructureModel& m) {
  bool found = false;
  for (const std::string& url : node.valueAlternatives) {
    e.forEachChild("extension", [&](const Element& x) {
      if (versionless(childValue(x, "url")) == versionless(url)) found = true;
    });
  }
  if (found) return;
  rep_.error(IssueType::Invalid, &e,
             "The element definition " + node.def->path + " in the profile '" + m.sd().url +
                 "' requires that if a value is not present, one of the extensions [" +
                 joinList(node.valueAlternatives) + "] must be present");
}

void ValueRules::checkPrimitiveValue(const Element& e) {
  std::string why;
  const std::string_view type = e.type().name;
  if (!checkPrimitive(type, e.value(), why)) {
    std::string msg = "The value '" +
                      std::string(e.value().substr(0, std::min<size_t>(e.value().size(), 100))) +
                      "' is not a valid " + std::string(type);
    if (!why.empty()) msg += ": " + why;
    rep_.error(IssueType::Invalid, &e, std::move(msg));
    return;
  }
  if (type == "markdown" && options_.htmlInMarkdownIsError && looksLikeHtml(e.value())) {
    rep_.error(IssueType::Invalid, &e,
               "The markdown contains content that appears to be an embedded HTML tag. This "
               "will (or SHOULD) be escaped by the presentation layer");
  } else if (options_.securityChecks && (type == "string" || type == "markdown") &&
             looksLikeHtml(e.value())) {
    rep_.error(IssueType::Invalid, &e,
               "The string value contains text that looks like embedded HTML tags, which are "
               "not allowed for security reasons in this context");
  }
}

void ValueRules::checkFixed(const Element& e, const ValueSpec& spec, const StructureModel& m,
                            const ElementDefinition& d, bool pattern) {
  const std::string where = m.sd().url + "#" + d.path;
  if (!spec.document) {
    if (e.value() != spec.text) {
      rep_.error(IssueType::Value, &e,
                 "Value is '" + std::string(e.value()) + "' but is " +
                     (pattern ? "required to be '" : "fixed to '") + spec.text +
                     "' in the profile " + where);
    }
    return;
  }
  if (pattern) {
    if (!matchesPattern(e, *spec.root())) {
      rep_.error(IssueType::Value, &e,
                 "The value does not match the pattern " + describeValue(*spec.root()) +
                     " required by the profile " + where);
    }
    return;
  }
  compareFixed(e, *spec.root(), where);
}

// Fixed complex value: every element of the fixed value, and nothing else, must be there.
void ValueRules::compareFixed(const Element& e, const Element& fixed, const std::string& where) {
  if (fixed.hasValue() && e.value() != fixed.value()) {
    rep_.error(IssueType::Value, &e,
               "Value is '" + std::string(e.value()) + "' but is fixed to '" +
                   std::string(fixed.value()) + "' in the profile " + where);
  }
  for (const Element* c = e.firstChild(); c != nullptr; c = c->nextSibling()) {
    if (fixed.child(c->name()) == nullptr && c->name() != "id") {
      Reporter::Scope s(rep_, *c);
      rep_.error(IssueType::Value, c,
                 "The element " + std::string(c->name()) +
                     " is present in the instance but not allowed in the applicable fixed "
                     "value specified in profile");
    }
  }
  for (const Element* f = fixed.firstChild(); f != nullptr; f = f->nextSibling()) {
    const Element* c = nullptr;
    e.forEachChild(f->name(), [&](const Element& x) {
      if (c == nullptr && x.index() == f->index()) c = &x;
    });
    if (c == nullptr) {
      rep_.error(IssueType::Value, &e,
                 "Missing element '" + std::string(f->name()) +
                     "' - required by fixed value in the profile " + where);
      continue;
    }
    Reporter::Scope s(rep_, *c);
    compareFixed(*c, *f, where);
  }
}

void ValueRules::checkBound(const Element& e, const std::string& json, const StructureModel& m,
                            bool min) {
  std::string bound = json;
  const std::string actual(e.value());
  const std::string_view type = e.type().name;
  if (bound.size() >= 2 && bound.front() == '"') bound = bound.substr(1, bound.size() - 2);
  const int c = comparePrimitive(type, actual, bound);
  if (c == 2) return;
  if (min && c < 0) {
    rep_.error(IssueType::Invalid, &e,
               "The value '" + actual + "' is less than the minimum value " + bound +
                   " allowed by " + m.label());
  } else if (!min && c > 0) {
    rep_.error(IssueType::Invalid, &e,
               "The value '" + actual + "' is greater than the maximum value " + bound +
                   " allowed by " + m.label());
  }
}

// minValueQuantity and maxValueQuantity: the same system, and the same unit or, in UCUM, one
// the value converts to; what cannot be compared is said, not guessed.
void ValueRules::checkQuantityBound(const Element& e, const std::string& json,
                                    const StructureModel& m, bool min) {
  const char* which = min ? "minValue" : "maxValue";
  const std::string boundValue = jsonMember(json, "value");
  const std::string_view value = childValue(e, "value");
  const auto cannot = [&](const std::string& why) {
    rep_.warning(IssueType::Invalid, &e,
                 std::string("The ") + which + " of " + m.label() + " cannot be checked: " + why);
  };
  if (boundValue.empty()) return cannot("it has no value");
  if (value.empty()) return;  // nothing to compare
  const std::string boundSystem = jsonMember(json, "system");
  const std::string boundCode = jsonMember(json, "code");
  const std::string_view system = childValue(e, "system");
  const std::string_view code = childValue(e, "code");
  if (boundSystem.empty() || boundCode.empty()) return cannot("it has no system or code");
  if (system.empty() || code.empty()) return cannot("the quantity has no system or code");
  if (system != boundSystem) {
    return cannot("its system is " + boundSystem + ", not " + std::string(system));
  }
  std::string actual(value);
  if (code != boundCode) {
    if (system != "http://unitsofmeasure.org") {
      return cannot("its unit is " + boundCode + ", not " + std::string(code));
    }
    const auto converted =
        conformance::ucum::convert(std::strtold(actual.c_str(), nullptr), code, boundCode);
    if (!converted) {
      rep_.error(IssueType::Invalid, &e,
                 "Unable to convert the value " + actual + " from unit " + std::string(code) +
                     " to the " + which + " unit " + boundCode + " of " + m.label());
      return;
    }
    actual = std::to_string(static_cast<double>(*converted));
  }
  const int c = comparePrimitive("decimal", actual, boundValue);
  if (c == 2 || (min ? c >= 0 : c <= 0)) return;
  rep_.error(IssueType::Invalid, &e,
             "The value " + std::string(value) + " " + std::string(code) + " is " +
                 (min ? "less than the minimum" : "greater than the maximum") + " value " +
                 boundValue + " " + boundCode + " allowed by " + m.label());
}

}  // namespace trialbridge::validation
