#pragma once
// StructureDefinitions as plain structs, read from their JSON. Only what trialbridge uses is
// kept: the element tree with cardinality, types, bindings, constraints, fixed/pattern values
// (as JSON text, read into Elements by whoever needs them), slicing and representation.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace trialbridge::conformance {

struct TypeRef {
  std::string code;  // "string", "Reference", "http://hl7.org/fhirpath/System.String"
  std::vector<std::string> profiles;
  std::vector<std::string> targetProfiles;
  std::vector<std::string> aggregation;
};

struct Constraint {
  std::string key;       // "ele-1"
  std::string severity;  // "error" | "warning"
  std::string human;
  std::string expression;  // FHIRPath
  std::string xpath;
  std::string source;
  bool bestPractice = false;  // the elementdefinition-bestpractice extension is true
};

struct Binding {
  std::string strength;  // required | extensible | preferred | example
  std::string valueSet;  // canonical, possibly with |version
  std::string description;
};

struct Discriminator {
  std::string type;  // value | exists | pattern | type | profile
  std::string path;
};

struct Slicing {
  std::vector<Discriminator> discriminators;
  std::string description;
  bool ordered = false;
  std::string rules;  // closed | open | openAtEnd
};

struct ElementDefinition {
  static constexpr uint32_t kUnbounded = 0xFFFFFFFFu;

  std::string id;
  std::string path;
  std::string sliceName;
  std::string shortText;
  uint32_t min = 0;
  uint32_t max = 1;  // kUnbounded for "*"
  std::string maxText;
  std::string basePath;
  uint32_t baseMin = 0;
  std::string baseMax;
  std::vector<TypeRef> types;
  std::string contentReference;             // "#Questionnaire.item"
  std::vector<std::string> representation;  // xmlAttr, xmlText, typeAttr, cdaText, xhtml
  std::optional<Slicing> slicing;
  std::vector<Constraint> constraints;
  std::vector<std::string> conditions;
  std::optional<Binding> binding;
  // fixed[x] / pattern[x] / defaultValue[x] / minValue[x] / maxValue[x]: the JSON property name
  // ("fixedCode") and the value's JSON text.
  std::string fixedName, fixedJson;
  std::string patternName, patternJson;
  std::string minValueName, minValueJson;
  std::string maxValueName, maxValueJson;
  std::optional<int64_t> maxLength;
  bool mustSupport = false;
  bool isModifier = false;
  bool isSummary = false;
  // The FHIR type of a System type element (structuredefinition-fhir-type extension on the type).
  std::string fhirTypeExtension;
  // The regex of a primitive's value (structuredefinition-regex extension on the type).
  std::string regex;
};

struct StructureDefinition {
  std::string url;
  std::string version;
  std::string name;
  std::string title;
  std::string status;
  std::string kind;  // primitive-type | complex-type | resource | logical
  bool isAbstract = false;
  std::string type;  // the type it defines or constrains
  std::string baseDefinition;
  std::string derivation;                       // specialization | constraint
  std::vector<std::string> contextTypes;        // extension context: type
  std::vector<std::string> contextExpressions;  // extension context: expression
  std::vector<std::string> contextInvariants;
  std::vector<ElementDefinition> snapshot;
  std::vector<ElementDefinition> differential;
  std::string file;  // where it was read from

  bool isConstraint() const { return derivation == "constraint"; }
};

// Reads a StructureDefinition from its JSON text.
core::Result<StructureDefinition> parseStructureDefinition(std::string_view json);

}  // namespace trialbridge::conformance
