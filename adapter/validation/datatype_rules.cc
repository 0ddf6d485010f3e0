// Rules of general datatypes beyond their definitions (datatypes.html): strings without white
// space at their ends or only white space (warnings), dates in a reasonable range of years
// (warning), uri values that are not bare "oid:" or "uuid:", an Identifier's system absolute and,
// for urn:ietf:rfc:3986, a value that is a URI, a Coding's system absolute and in http: for HL7's
// own systems; a Coding's code comes with a system.
#include <algorithm>
#include <string>

#include "core/text.h"
#include "validation/check_util.h"
#include "validation/references.h"
#include "validation/rules.h"

namespace trialbridge::validation {

using core::isSpace;

namespace {

using core::Element;
using core::IssueType;

void checkString(const ElementAt& at, RuleContext& ctx) {
  if (at.profile || !at.element.hasValue()) return;
  const std::string_view v = at.element.value();
  if (v.empty()) return;
  const bool allSpace = std::all_of(v.begin(), v.end(), isSpace);
  if (allSpace) {
    ctx.reporter.warning(IssueType::Invalid, &at.element, "The value is only white space");
  } else if (isSpace(v.front()) || isSpace(v.back())) {
    ctx.reporter.warning(IssueType::Invalid, &at.element,
                         "The value starts or ends with white space");
  }
}

// A date before 1800 or after 2200 is likely a typing error.
void checkYears(const ElementAt& at, RuleContext& ctx) {
  if (at.profile || !at.element.hasValue()) return;
  const std::string_view v = at.element.value();
  if (v.size() < 4) return;
  int year = 0;
  for (size_t i = 0; i < 4; ++i) {
    if (v[i] < '0' || v[i] > '9') return;
    year = year * 10 + (v[i] - '0');
  }
  if (year < 1800 || year > 2200) {
    ctx.reporter.warning(IssueType::Invalid, &at.element,
                         "The year " + std::string(v.substr(0, 4)) +
                             " is outside the range of reasonable years; check for a typing "
                             "error");
  }
}

// "oid:" and "uuid:" are not URI schemes: OIDs and UUIDs as URIs are urn:oid: and urn:uuid:.
void checkUri(const ElementAt& at, RuleContext& ctx) {
  if (at.profile || !at.element.hasValue()) return;
  const std::string_view v = at.element.value();
  if (v.starts_with("oid:") || v.starts_with("uuid:")) {
    ctx.reporter.error(IssueType::Invalid, &at.element,
                       "'" + std::string(v) + "' is not a URI: OIDs and UUIDs are written urn:" +
                           std::string(v.substr(0, v.find(':'))) + ":...");
  }
}

void checkIdentifier(const ElementAt& at, RuleContext& ctx) {
  if (at.profile) return;
  const Element* system = at.element.child("system");
  if (system == nullptr || !system->hasValue()) return;
  Reporter& rep = ctx.reporter;
  const std::string_view s = system->value();
  if (!References::isAbsoluteUrl(s)) {
    Reporter::Scope sc(rep, *system);
    rep.error(IssueType::Invalid, system,
              "The identifier system '" + std::string(s) + "' is not an absolute URI");
    return;
  }
  const std::string_view value = childValue(at.element, "value");
  if (s == "urn:ietf:rfc:3986" && !value.empty() && !References::isAbsoluteUrl(value)) {
    rep.error(IssueType::Invalid, &at.element,
              "With the system urn:ietf:rfc:3986 the identifier's value is a URI, and '" +
                  std::string(value) + "' is not one");
  }
}

void checkCodingSystem(const ElementAt& at, RuleContext& ctx) {
  if (at.profile) return;
  const Element* system = at.element.child("system");
  if (system == nullptr || !system->hasValue()) {
    if (at.element.child("code") != nullptr) {
      ctx.reporter.warning(IssueType::Invalid, &at.element,
                           "The coding has a code but no system: the code means nothing without "
                           "one, and cannot be checked");
    }
    return;
  }
  const std::string_view s = system->value();
  Reporter::Scope sc(ctx.reporter, *system);
  if (!References::isAbsoluteUrl(s)) {
    ctx.reporter.error(IssueType::Invalid, system,
                       "The code system '" + std::string(s) + "' is not an absolute URI");
  } else if (s.starts_with("https://hl7.org/fhir") ||
             s.starts_with("https://terminology.hl7.org/")) {
    ctx.reporter.warning(
        IssueType::Invalid, system,
        "HL7's code systems are named with http:, not https: ('" + std::string(s) + "')");
  }
}

}  // namespace

void addDatatypeRules(RuleTable& table) {
  for (const char* type : {"string", "markdown"}) table.addDatatypeRule(type, checkString);
  for (const char* type : {"date", "dateTime", "instant"}) table.addDatatypeRule(type, checkYears);
  for (const char* type : {"uri", "url", "canonical"}) table.addDatatypeRule(type, checkUri);
  table.addDatatypeRule("Identifier", checkIdentifier);
  table.addDatatypeRule("Coding", checkCodingSystem);
}

}  // namespace trialbridge::validation
