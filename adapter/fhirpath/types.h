#pragma once
// Type names and type tests for FHIRPath: resolving "Patient", "FHIR.string", "System.Boolean",
// and whether a FHIR type is, or derives from, another (code is a string, Age is a Quantity,
// Patient is a DomainResource). Internal.
#include <string_view>

#include "core/type_info.h"
#include "fhirpath/ast.h"

namespace trialbridge::fhirpath {

// Resolves `t` in place (sets resolved/spec). Unqualified names are FHIR types first (they are
// case-sensitive: "boolean" is FHIR, "Boolean" System), then System types.
void resolveTypeName(TypeName& t, const core::TypeResolver& types);

// The base type of `t` ("DomainResource" for Patient), or nullptr.
const core::TypeInfo* baseType(const core::TypeInfo& t, const core::TypeResolver& types);

// `t` is `target` or derives from it (backbone types are BackboneElement).
bool derivesFrom(const core::TypeInfo& t, const core::TypeInfo& target,
                 const core::TypeResolver& types);
// The same by name ("DomainResource", "Patient"), comparing FHIR type names.
bool derivesFromName(const core::TypeInfo& t, std::string_view name,
                     const core::TypeResolver& types);

// Whether a value is of type `spec`: `exact` compares the type itself only (as/ofType), else
// also its ancestors (is). Abstract targets (Resource, DomainResource, Element...) always match
// descendants.
bool valueIsType(const Value& v, const TypeSpec& spec, bool exact, const core::TypeResolver& types);

// type() of a value.
TypeSpec typeOfValue(const Value& v);

// Static System TypeSpecs.
const TypeSpec* systemTypeSpec(SystemType t);

}  // namespace trialbridge::fhirpath
