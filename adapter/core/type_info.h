#pragma once
// The type information the element model needs, as plain structs. The core layer only defines
// it; the conformance layer builds it from the StructureDefinitions of the loaded packages (no
// hand-written per-resource code) and hands it out through a TypeResolver.
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/string_map.h"

namespace trialbridge::core {

class TypeInfo;

enum class TypeKind : uint8_t {
  Primitive,  // string, decimal, date... (value held as text)
  Complex,    // datatypes: HumanName, Quantity, Extension...
  Resource,   // Patient, Bundle... and the abstract Resource / DomainResource
  Backbone,   // an element defined inline in its parent's definition (Patient.contact)
};

// How a primitive's value is written in JSON.
enum class JsonKind : uint8_t { String, Number, Boolean };

class TypeResolver {
 public:
  virtual ~TypeResolver() = default;
  // The type with this name ("Patient", "HumanName", "string", or a backbone path such as
  // "Patient.contact"), or nullptr. Thread-safe; returned pointers stay valid for the
  // resolver's lifetime.
  virtual const TypeInfo* findType(std::string_view name) const = 0;
};

// One property (child element definition) of a type.
class PropertyInfo {
 public:
  static constexpr uint32_t kUnbounded = std::numeric_limits<uint32_t>::max();

  std::string name;                    // "value" for value[x]
  std::string path;                    // "Observation.value[x]"
  std::vector<std::string> typeCodes;  // one unless choice; backbone: the backbone type's name
  uint32_t min = 0;
  uint32_t max = 1;           // kUnbounded for "*"
  uint16_t order = 0;         // position in the definition (XML element order)
  bool choice = false;        // name ends in [x] in the definition
  bool xmlAttribute = false;  // representation xmlAttr (Element.id, Extension.url)
  bool summary = false;
  bool modifier = false;
  const void* definition = nullptr;  // opaque: the conformance layer's ElementDefinition

  bool repeating() const { return max != 1; }
  // The type for typeCodes[i], resolved on first use (thread-safe).
  const TypeInfo* type(size_t i = 0) const;
  size_t typeCount() const { return typeCodes.size(); }
  // For a choice property: the type whose JSON/XML suffix is `suffix` ("Quantity"), or nullptr.
  const TypeInfo* choiceType(std::string_view suffix) const;

  // Called by the builder once typeCodes are final.
  void bind(const TypeResolver* resolver);

 private:
  const TypeResolver* resolver_ = nullptr;
  std::shared_ptr<std::atomic<const TypeInfo*>[]> resolved_;
};

class TypeInfo {
 public:
  std::string name;      // "Patient", "string", "Patient.contact"
  std::string fhirType;  // FHIR type name for FHIRPath: "Patient", "string", "BackboneElement"
  std::string url;       // canonical of the defining StructureDefinition
  std::string baseName;  // "DomainResource", "Element", ... ("" for Base)
  TypeKind kind = TypeKind::Complex;
  bool isAbstract = false;
  JsonKind jsonKind = JsonKind::String;  // primitives only
  std::string systemType;  // primitives only: "String", "Boolean", "Integer", "Decimal",
                           // "Date", "DateTime", "Time" (FHIRPath System type of the value)
  std::string valueRegex;  // primitives only: the regex of the value, from the definition
  std::vector<PropertyInfo> properties;  // in definition order

  bool isPrimitive() const { return kind == TypeKind::Primitive; }
  bool isResource() const { return kind == TypeKind::Resource; }
  // Resource or DomainResource: the concrete type comes from the instance.
  bool isAbstractResource() const { return kind == TypeKind::Resource && isAbstract; }

  const PropertyInfo* property(std::string_view elementName) const;

  struct JsonMatch {
    const PropertyInfo* property = nullptr;
    const TypeInfo* type = nullptr;  // the chosen type (for choices) or the property's type
  };
  // Resolves a JSON property name ("valueQuantity", "birthDate") to its property and type.
  JsonMatch propertyForJsonName(std::string_view jsonName) const;

  // Called by the builder once properties are final.
  void index();

 private:
  StringMap<uint16_t> byName_;
};

// "Quantity" for type "Quantity", "DateTime" for "dateTime": the suffix of a choice element name.
std::string choiceSuffix(std::string_view typeName);

}  // namespace trialbridge::core
