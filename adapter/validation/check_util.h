#pragma once
// What the validator's checks share (internal to the validation layer): small helpers over the
// element model, where a run is (WalkState), and the profile test that slicing, references and
// type profiles ask of the walk (ProfileMatch).
#include <string>
#include <string_view>
#include <vector>

#include "core/element.h"
#include "core/issue.h"
#include "validation/validator.h"

namespace trialbridge::validation {

class StructureModel;

inline constexpr std::string_view kCoreSd = "http://hl7.org/fhir/StructureDefinition/";

// The value of child `name` of `e`; empty when there is none.
inline std::string_view childValue(const core::Element& e, std::string_view name) {
  const core::Element* c = e.child(name);
  return c == nullptr ? std::string_view() : c->value();
}

// A canonical URL without its version ("url|1.0" -> "url").
inline std::string versionless(std::string_view url) {
  return std::string(url.substr(0, url.find('|')));
}

// Equal values and children, deep and in order, whatever the two elements are called (the
// fixed[x] semantics of ElementDefinition).
bool sameContent(const core::Element& a, const core::Element& b);

// Whether `instance` has everything `pattern` has (the pattern[x] semantics).
bool matchesPattern(const core::Element& instance, const core::Element& pattern);

// The steps of a simple FHIRPath such as a discriminator path (split at the dots outside
// parentheses and quotes): "extension('http://a.org/x').value" -> extension('...'), value.
std::vector<std::string_view> pathSteps(std::string_view path);

// " (from <profile>)" in a profile pass, nothing in the base pass: the end of structure messages.
std::string fromProfile(const StructureModel& m, bool profile);

// The severity of a best-practice finding at `level` (Ignore gives Information: callers skip).
core::Severity bestPracticeSeverity(ValidatorOptions::Level level);

// The items joined with ", ".
std::string joinList(const std::vector<std::string>& items);

// Where one validation run is. The walk moves it; the checks read it: it is what the FHIRPath
// variables %rootResource and %resource name, and the resource references are resolved from.
struct WalkState {
  const core::Element* root = nullptr;      // the input
  const core::Element* resource = nullptr;  // the resource being validated
};

// Whether an element conforms to a profile, found by validating it on the side (the issues of
// the trial are dropped, never reported). The walk implements it; slicing by profile, target
// profiles of references and the choice among several type profiles use it.
class ProfileMatch {
 public:
  virtual bool conformsTo(const core::Element& e, std::string_view profileUrl) = 0;

 protected:
  ~ProfileMatch() = default;
};

}  // namespace trialbridge::validation
