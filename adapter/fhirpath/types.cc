#include "fhirpath/types.h"

namespace trialbridge::fhirpath {

const TypeSpec* systemTypeSpec(SystemType t) {
  static const TypeSpec kSpecs[] = {
      TypeSpec{SystemType::None, nullptr},     TypeSpec{SystemType::Boolean, nullptr},
      TypeSpec{SystemType::String, nullptr},   TypeSpec{SystemType::Integer, nullptr},
      TypeSpec{SystemType::Decimal, nullptr},  TypeSpec{SystemType::Date, nullptr},
      TypeSpec{SystemType::DateTime, nullptr}, TypeSpec{SystemType::Time, nullptr},
      TypeSpec{SystemType::Quantity, nullptr},
  };
  return &kSpecs[static_cast<int>(t)];
}

void resolveTypeName(TypeName& t, const core::TypeResolver& types) {
  t.resolved = false;
  t.alsoSystem = TypeSpec{};
  if (t.ns == "System") {
    if (auto s = systemTypeByName(t.name)) {
      t.spec = TypeSpec{*s, nullptr};
      t.resolved = true;
    }
    return;
  }
  const core::TypeInfo* fhir = nullptr;
  if (t.name.find('.') == std::string::npos) fhir = types.findType(t.name);
  if (fhir != nullptr && fhir->kind != core::TypeKind::Backbone) {
    t.spec = TypeSpec{SystemType::None, fhir};
    t.resolved = true;
    if (t.ns.empty()) {
      if (auto s = systemTypeByName(t.name)) t.alsoSystem = TypeSpec{*s, nullptr};
    }
    return;
  }
  if (t.ns.empty()) {
    if (auto s = systemTypeByName(t.name)) {
      t.spec = TypeSpec{*s, nullptr};
      t.resolved = true;
    }
  }
}

const core::TypeInfo* baseType(const core::TypeInfo& t, const core::TypeResolver& types) {
  if (t.baseName.empty() || t.baseName == t.name) return nullptr;
  return types.findType(t.baseName);
}

bool derivesFrom(const core::TypeInfo& t, const core::TypeInfo& target,
                 const core::TypeResolver& types) {
  const core::TypeInfo* cur = &t;
  for (int depth = 0; cur != nullptr && depth < 16; ++depth) {
    if (cur == &target || cur->fhirType == target.fhirType) return true;
    cur = baseType(*cur, types);
  }
  return false;
}

bool derivesFromName(const core::TypeInfo& t, std::string_view name,
                     const core::TypeResolver& types) {
  const core::TypeInfo* cur = &t;
  for (int depth = 0; cur != nullptr && depth < 16; ++depth) {
    if (cur->fhirType == name) return true;
    cur = baseType(*cur, types);
  }
  return false;
}

bool valueIsType(const Value& v, const TypeSpec& spec, bool exact,
                 const core::TypeResolver& types) {
  if (spec.isSystem()) {
    SystemType actual = SystemType::None;
    switch (v.kind) {
      case Kind::Boolean: actual = SystemType::Boolean; break;
      case Kind::Integer: actual = SystemType::Integer; break;
      case Kind::Decimal: actual = SystemType::Decimal; break;
      case Kind::String: actual = SystemType::String; break;
      case Kind::Date: actual = SystemType::Date; break;
      case Kind::DateTime: actual = SystemType::DateTime; break;
      case Kind::Time: actual = SystemType::Time; break;
      case Kind::Quantity: actual = SystemType::Quantity; break;
      default: return false;
    }
    return actual == spec.system;
  }
  if (spec.fhir == nullptr || v.kind != Kind::Element) return false;
  const core::TypeInfo& t = v.element->type();
  if (exact && !spec.fhir->isAbstract) {
    return &t == spec.fhir || t.fhirType == spec.fhir->fhirType;
  }
  return derivesFrom(t, *spec.fhir, types);
}

TypeSpec typeOfValue(const Value& v) {
  switch (v.kind) {
    case Kind::Element: return TypeSpec{SystemType::None, &v.element->type()};
    case Kind::Boolean: return *systemTypeSpec(SystemType::Boolean);
    case Kind::Integer: return *systemTypeSpec(SystemType::Integer);
    case Kind::Decimal: return *systemTypeSpec(SystemType::Decimal);
    case Kind::String: return *systemTypeSpec(SystemType::String);
    case Kind::Date: return *systemTypeSpec(SystemType::Date);
    case Kind::DateTime: return *systemTypeSpec(SystemType::DateTime);
    case Kind::Time: return *systemTypeSpec(SystemType::Time);
    case Kind::Quantity: return *systemTypeSpec(SystemType::Quantity);
    case Kind::Type: break;
  }
  return TypeSpec{};
}

}  // namespace trialbridge::fhirpath
