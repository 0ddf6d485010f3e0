#pragma once
// Builds the element model's TypeInfo from a StructureDefinition that defines a type
// (derivation = specialization): the type itself and one TypeInfo for each backbone element
// ("Patient.contact"). Property types are resolved lazily through `resolver`.
#include <memory>
#include <string_view>
#include <vector>

#include "conformance/structure_definition.h"
#include "core/type_info.h"

namespace trialbridge::conformance {

std::vector<std::unique_ptr<core::TypeInfo>> buildTypes(const StructureDefinition& sd,
                                                        const core::TypeResolver* resolver);

// The FHIR type name for a type code: System types ("http://hl7.org/fhirpath/System.String")
// map to their FHIR primitive ("string"); other codes are returned as they are.
std::string_view fhirTypeForCode(std::string_view code);

}  // namespace trialbridge::conformance
