#include "validation/values.h"

#include <algorithm>

#include "core/json.h"
#include "validation/check_util.h"
#include "validation/primitives.h"
#include "validation/xhtml.h"

namespace trialbridge::validation {

using conformance::ElementDefinition;
using core::Element;
using core::IssueType;

namespace {

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
  } else if (e.type().name == "Quantity") {
    if (!d.minValueName.empty()) checkBound(e, d.minValueJson, m, true);
    if (!d.maxValueName.empty()) checkBound(e, d.maxValueJson, m, false);
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
  std::string actual(e.value());
  std::string_view type = e.type().name;
  if (type == "Quantity") {
    actual = std::string(childValue(e, "value"));
    const size_t v = json.find("\"value\":");
    if (v == std::string::npos || actual.empty()) return;
    size_t s = v + 8;
    size_t end = json.find_first_of(",}", s);
    bound = json.substr(s, end - s);
  }
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

}  // namespace trialbridge::validation
