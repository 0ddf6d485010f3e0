#pragma once
// FHIRPath values: an item of a collection is either an element of a FHIR resource (primitive or
// complex, pointing into the Document) or a System value (Boolean, Integer, Decimal, String,
// Date, DateTime, Time, Quantity) or a type (the result of type()). A Value is 24 bytes, copied
// freely; strings and quantities it points to live in the Document, the compiled expression, or
// the evaluation's Arena.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/element.h"
#include "fhirpath/decimal.h"
#include "fhirpath/temporal.h"

namespace trialbridge::fhirpath {

class Arena;

// FHIRPath System types (namespace System).
enum class SystemType : uint8_t {
  None,
  Boolean,
  String,
  Integer,
  Decimal,
  Date,
  DateTime,
  Time,
  Quantity,
};

std::string_view systemTypeName(SystemType t);  // "Boolean"...
std::optional<SystemType> systemTypeByName(std::string_view name);
// The System type of a FHIR primitive's value (TypeInfo::systemType), or None.
SystemType systemTypeOf(const core::TypeInfo& t);

struct Quantity {
  Decimal value;
  std::string_view unit;  // as written: "mg", "days"; "1" when none was given
  bool calendar = false;  // unit is a calendar-duration keyword (year, weeks...)
};

// A type as FHIRPath names it: System.X or FHIR.X.
struct TypeSpec {
  SystemType system = SystemType::None;  // System namespace when != None
  const core::TypeInfo* fhir = nullptr;  // FHIR namespace
  bool isSystem() const { return system != SystemType::None; }
  std::string_view ns() const { return isSystem() ? "System" : "FHIR"; }
  std::string_view name() const;
};

enum class Kind : uint8_t {
  Element,
  Boolean,
  Integer,
  Decimal,
  String,
  Date,
  DateTime,
  Time,
  Quantity,
  Type,
};

struct Value {
  Kind kind = Kind::Boolean;
  uint8_t flags = 0;
  int16_t scale = 0;    // Decimal
  uint32_t length = 0;  // String
  union {
    const core::Element* element;
    bool boolean;
    int64_t integer;
    const char* chars;
    uint64_t words[2];  // Decimal mantissa
    Temporal temporal;
    const Quantity* quantity;
    const TypeSpec* type;
  };

  Value() : words{0, 0} {}

  static Value ofElement(const core::Element* e) {
    Value v;
    v.kind = Kind::Element;
    v.element = e;
    return v;
  }
  static Value ofBoolean(bool b) {
    Value v;
    v.kind = Kind::Boolean;
    v.boolean = b;
    return v;
  }
  static Value ofInteger(int64_t i) {
    Value v;
    v.kind = Kind::Integer;
    v.integer = i;
    return v;
  }
  static Value ofDecimal(const Decimal& d);
  // The string must outlive the value (Document, Expression or Arena memory).
  static Value ofString(std::string_view s) {
    Value v;
    v.kind = Kind::String;
    v.chars = s.data();
    v.length = static_cast<uint32_t>(s.size());
    return v;
  }
  static Value ofTemporal(Kind kind, const Temporal& t) {
    Value v;
    v.kind = kind;
    v.temporal = t;
    return v;
  }
  static Value ofQuantity(const Quantity* q) {
    Value v;
    v.kind = Kind::Quantity;
    v.quantity = q;
    return v;
  }
  static Value ofType(const TypeSpec* t) {
    Value v;
    v.kind = Kind::Type;
    v.type = t;
    return v;
  }

  bool isElement() const { return kind == Kind::Element; }
  std::string_view string() const { return {chars, length}; }
  Decimal decimal() const;
  TemporalKind temporalKind() const {
    return kind == Kind::Date ? TemporalKind::Date
                              : (kind == Kind::Time ? TemporalKind::Time : TemporalKind::DateTime);
  }
};
static_assert(sizeof(Value) == 24);

// A primitive element's value as a System value (nullopt when it has none or it does not parse);
// other values are returned unchanged. Strings point into the document.
std::optional<Value> toSystem(const Value& v);
// A FHIR Quantity element (or subtype: Age, Duration...) as a System Quantity, built in `arena`.
std::optional<Value> quantityOfElement(const core::Element& e, Arena& arena);

// The FHIRPath type name of a value for output: System values lower-case ("boolean", "string",
// "Quantity"), elements their FHIR type ("code", "HumanName", "Patient").
std::string typeNameForOutput(const Value& v);
// FHIRPath text of a System value (as toString() gives it); for elements the primitive value.
std::string valueToString(const Value& v);
// Quantity text: "1 'mg'", "4 days".
std::string quantityToString(const Quantity& q);

}  // namespace trialbridge::fhirpath
