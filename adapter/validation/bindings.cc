#include "validation/bindings.h"

#include <cctype>

#include "validation/check_util.h"

namespace trialbridge::validation {

using conformance::ElementDefinition;
using core::Element;
using core::IssueType;
using core::Severity;

namespace {

// A display as compared: lower case, white space collapsed.
std::string normalizedDisplay(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (std::isspace(static_cast<unsigned char>(ch)) != 0) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string vsLabel(const conformance::ValueSetExpansion& x, std::string_view url) {
  std::string label = versionless(url);
  if (!x.version.empty()) label += "|" + x.version;
  return x.name.empty() ? label : "'" + x.name + "' (" + label + ")";
}

}  // namespace

void Bindings::checkBinding(const Element& e, const conformance::Binding& b,
                            const StructureModel& m, bool profile) {
  const bool required = b.strength == "required";
  if ((!required && b.strength != "extensible") || b.valueSet.empty()) return;
  if (profile) {
    // Same binding as the base: checked by the base pass.
    if (e.property() != nullptr) {
      const auto* base = static_cast<const ElementDefinition*>(e.property()->definition);
      if (base != nullptr && base->binding && base->binding->valueSet == b.valueSet &&
          base->binding->strength == b.strength) {
        return;
      }
    }
  }
  if (b.valueSet.starts_with("#")) {
    // A ValueSet contained in the profile.
    conformance::Binding contained = b;
    contained.valueSet = m.sd().url + b.valueSet;
    checkBoundValue(e, contained, required);
  } else {
    checkBoundValue(e, b, required);
  }
}

// A code, Coding or CodeableConcept against the value set of binding `b`.
void Bindings::checkBoundValue(const Element& e, const conformance::Binding& b, bool required) {
  const std::string_view type = e.type().name;
  const Severity sev = required ? Severity::Error : Severity::Warning;
  if (e.isPrimitive()) {
    if (!e.hasValue() || (type != "code" && type != "string" && type != "uri")) return;
    const auto mem = tx_.member(b.valueSet, "", e.value());
    if (mem == conformance::Membership::NotIn) {
      const auto& x = tx_.expand(b.valueSet);
      if (required) {
        rep_.add(sev, IssueType::NotFound, &e,
                 "The System URI could not be determined for the code '" + std::string(e.value()) +
                     "' in the ValueSet '" + versionless(b.valueSet) +
                     (x.version.empty() ? "" : "|" + x.version) + "'");
      }
      rep_.add(sev, IssueType::CodeInvalid, &e,
               "The value provided ('" + std::string(e.value()) +
                   "') was not found in the value set " + vsLabel(x, b.valueSet) +
                   (required ? ", and a code is required from this value set"
                             : ", and a code should come from this value set unless it has no "
                               "suitable code"));
    } else if (mem == conformance::Membership::Unknown) {
      unknownValueSet(e, b.valueSet);
    }
    return;
  }
  if (type == "Coding") {
    checkCodings(e, {&e}, b, sev, required);
  } else if (type == "CodeableConcept") {
    std::vector<const Element*> codings;
    e.forEachChild("coding", [&](const Element& c) { codings.push_back(&c); });
    if (!codings.empty()) checkCodings(e, codings, b, sev, required);
  }
}

void Bindings::unknownValueSet(const Element& e, std::string_view vs) {
  const auto& x = tx_.expand(vs);
  if (!x.found) {
    rep_.warning(IssueType::NotFound, &e,
                 "The value set " + std::string(vs) +
                     " is not loaded, so the code cannot be "
                     "checked against it");
  } else if (!x.error.empty()) {
    rep_.warning(IssueType::NotSupported, &e,
                 "The value set " + std::string(vs) + " could not be expanded: " + x.error);
  }
}

// A Coding's display that the value set it is in gives its code is not a wrong display.
void Bindings::noteValueSetDisplay(const Element& coding, const conformance::ValueSetExpansion& x) {
  const Element* display = coding.child("display");
  if (display == nullptr || !display->hasValue()) return;
  const auto* given = x.displaysOf(childValue(coding, "system"), childValue(coding, "code"));
  if (given == nullptr) return;
  const std::string d = normalizedDisplay(display->value());
  for (const std::string& g : *given) {
    if (normalizedDisplay(g) == d) {
      valueSetDisplays_.insert(display);
      return;
    }
  }
}

void Bindings::checkCodings(const Element& at, const std::vector<const Element*>& codings,
                            const conformance::Binding& b, Severity sev, bool required) {
  bool unknown = false;
  std::string codes;
  std::string unknownSystems;
  for (const Element* c : codings) {
    const std::string_view system = childValue(*c, "system");
    const std::string_view code = childValue(*c, "code");
    if (code.empty()) continue;
    codes += (codes.empty() ? "" : ", ") + std::string(system) + "#" + std::string(code);
    const auto mem = tx_.member(b.valueSet, system, code);
    if (mem == conformance::Membership::In) {
      noteValueSetDisplay(*c, tx_.expand(b.valueSet));
      return;
    }
    if (mem == conformance::Membership::Unknown) {
      unknown = true;
      if (!system.empty() && tx_.codeSystem(system) == nullptr) {
        unknownSystems += (unknownSystems.empty() ? "" : ", ") + std::string(system);
      }
    }
  }
  if (codes.empty()) return;
  const auto& x = tx_.expand(b.valueSet);
  if (unknown) {
    if (!x.found || !x.error.empty()) {
      unknownValueSet(at, b.valueSet);
    } else {
      rep_.information(IssueType::NotSupported, &at,
                       "The code system" +
                           (unknownSystems.empty() ? std::string() : " " + unknownSystems) +
                           " is not loaded, so the code " + codes +
                           " could not be checked against the value set " + vsLabel(x, b.valueSet));
    }
    return;
  }
  if (at.type().name == "Coding") {
    rep_.add(sev, IssueType::CodeInvalid, &at,
             "The Coding provided (" + codes + ") was not found in the value set " +
                 vsLabel(x, b.valueSet) +
                 (required ? ", and a code is required from this value set"
                           : ", and a code should come from this value set unless it has no "
                             "suitable code"));
  } else {
    rep_.add(sev, IssueType::CodeInvalid, &at,
             "None of the codings provided are in the value set " + vsLabel(x, b.valueSet) +
                 (required ? ", and a coding from this value set is required"
                           : ", and a coding should come from this value set unless it has no "
                             "suitable code") +
                 " (codes = " + codes + ")");
  }
}

void Bindings::checkCoding(const Element& c) {
  const std::string_view system = childValue(c, "system");
  const std::string_view code = childValue(c, "code");
  if (system.empty() || code.empty()) return;
  const conformance::CodeSystemInfo* cs = tx_.codeSystem(system);
  if (cs == nullptr) return;
  const conformance::CodeConcept* item = cs->find(code);
  if (item == nullptr) {
    if (cs->complete()) {
      rep_.error(IssueType::CodeInvalid, &c,
                 "Unknown code '" + std::string(system) + "#" + std::string(code) +
                     "' in the CodeSystem '" + cs->url + "'" +
                     (cs->version.empty() ? "" : " version '" + cs->version + "'"));
    }
    return;
  }
  const Element* displayEl = c.child("display");
  if (displayEl == nullptr || !displayEl->hasValue() || item->display.empty()) return;
  const std::string given = normalizedDisplay(displayEl->value());
  if (given == normalizedDisplay(item->display)) return;
  for (const std::string& d : item->designations) {
    if (given == normalizedDisplay(d)) return;
  }
  // An error, unless a value set the element is bound to gives this display (decided when
  // all the passes over the resource are done).
  std::string valid = "'" + item->display + "'";
  for (const std::string& d : item->designations) valid += " or '" + d + "'";
  Reporter::Scope s(rep_, *displayEl);
  pendingDisplays_.push_back(
      {displayEl, rep_.path(),
       "Wrong Display Name '" + std::string(displayEl->value()) + "' for " + std::string(system) +
           "#" + std::string(code) + ". Valid display is " +
           (item->designations.empty() ? valid
                                       : "one of " + std::to_string(item->designations.size() + 1) +
                                             " choices: " + valid)});
}

void Bindings::reportDisplays(size_t from) {
  const std::string saved = rep_.path();
  for (size_t i = from; i < pendingDisplays_.size(); ++i) {
    const PendingDisplay& p = pendingDisplays_[i];
    if (valueSetDisplays_.count(p.display) != 0) continue;
    rep_.setRoot(p.location);
    rep_.error(IssueType::Invalid, p.display, p.message);
  }
  rep_.setRoot(saved);
  pendingDisplays_.resize(from);
}

}  // namespace trialbridge::validation
