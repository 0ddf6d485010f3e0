#pragma once
// The FHIR-specific functions that need more than the element tree: resolve() (contained
// resources, Bundle entries, an environment hook), memberOf()/subsumes() against the loaded
// ValueSets and CodeSystems, conformsTo() against loaded StructureDefinitions, htmlChecks() for
// narrative XHTML. Internal.
#include <optional>
#include <string_view>

#include "fhirpath/value.h"

namespace trialbridge::fhirpath {

class Engine;

// The resource a Reference (element), canonical/uri element or string points to, or nullptr.
const core::Element* resolveReference(Engine& e, const Value& v);

// Whether a code, Coding, CodeableConcept or string is in the ValueSet `url`; nullopt when the
// ValueSet is unknown or cannot be expanded far enough to tell.
std::optional<bool> memberOf(Engine& e, const Value& item, std::string_view url);

// Whether Coding/code `a` subsumes `b` in their CodeSystem's hierarchy; nullopt when unknown.
std::optional<bool> subsumes(Engine& e, const Value& a, const Value& b);

// conformsTo(url): nullopt when the profile is unknown.
std::optional<bool> conformsTo(Engine& e, const Value& item, std::string_view url);

// The narrative rules of txt-1 and txt-2 (conformance/narrative.h, the allow-list the validator
// uses too): a <div> root, only basic HTML elements and attributes, no event attributes, no
// javascript: URLs, and some content.
bool htmlChecks(std::string_view xhtml);

}  // namespace trialbridge::fhirpath
