#include "fhirpath/value.h"

#include <charconv>
#include <cstring>

#include "fhirpath/arena.h"

namespace trialbridge::fhirpath {

std::string_view systemTypeName(SystemType t) {
  switch (t) {
    case SystemType::Boolean: return "Boolean";
    case SystemType::String: return "String";
    case SystemType::Integer: return "Integer";
    case SystemType::Decimal: return "Decimal";
    case SystemType::Date: return "Date";
    case SystemType::DateTime: return "DateTime";
    case SystemType::Time: return "Time";
    case SystemType::Quantity: return "Quantity";
    case SystemType::None: break;
  }
  return "";
}

std::optional<SystemType> systemTypeByName(std::string_view n) {
  if (n == "Boolean") return SystemType::Boolean;
  if (n == "String") return SystemType::String;
  if (n == "Integer") return SystemType::Integer;
  if (n == "Decimal") return SystemType::Decimal;
  if (n == "Date") return SystemType::Date;
  if (n == "DateTime") return SystemType::DateTime;
  if (n == "Time") return SystemType::Time;
  if (n == "Quantity") return SystemType::Quantity;
  return std::nullopt;
}

SystemType systemTypeOf(const core::TypeInfo& t) {
  if (!t.isPrimitive()) return SystemType::None;
  const std::string& s = t.systemType;
  if (s.empty() || s == "String") return SystemType::String;
  if (auto st = systemTypeByName(s)) return *st;
  return SystemType::String;
}

std::string_view TypeSpec::name() const {
  if (isSystem()) return systemTypeName(system);
  return fhir != nullptr ? std::string_view(fhir->fhirType) : std::string_view();
}

Value Value::ofDecimal(const Decimal& d) {
  Value v;
  v.kind = Kind::Decimal;
  Int128 m = d.mantissa();
  std::memcpy(v.words, &m, sizeof m);
  v.scale = static_cast<int16_t>(d.scale());
  v.flags = d.negativeZero() ? 1 : 0;
  return v;
}

Decimal Value::decimal() const {
  Int128 m;
  std::memcpy(&m, words, sizeof m);
  Decimal d(m, scale);
  return flags != 0 ? d.withNegativeZero() : d;
}

std::optional<Value> toSystem(const Value& v) {
  if (v.kind != Kind::Element) return v;
  const core::Element& e = *v.element;
  if (!e.isPrimitive() || !e.hasValue()) return std::nullopt;
  std::string_view text = e.value();
  switch (systemTypeOf(e.type())) {
    case SystemType::Boolean:
      if (text == "true") return Value::ofBoolean(true);
      if (text == "false") return Value::ofBoolean(false);
      return std::nullopt;
    case SystemType::Integer: {
      int64_t i = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
      if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
      return Value::ofInteger(i);
    }
    case SystemType::Decimal: {
      auto d = Decimal::parse(text);
      if (!d) return std::nullopt;
      return Value::ofDecimal(*d);
    }
    case SystemType::Date: {
      auto t = parseDate(text);
      if (!t) return std::nullopt;
      return Value::ofTemporal(Kind::Date, *t);
    }
    case SystemType::DateTime: {
      auto t = parseDateTime(text);
      if (!t) return std::nullopt;
      // A FHIR dateTime of date precision is still a DateTime.
      return Value::ofTemporal(Kind::DateTime, *t);
    }
    case SystemType::Time: {
      auto t = parseTime(text);
      if (!t) return std::nullopt;
      return Value::ofTemporal(Kind::Time, *t);
    }
    default: return Value::ofString(text);
  }
}

std::optional<Value> quantityOfElement(const core::Element& e, Arena& arena) {
  const core::Element* value = e.child("value");
  if (value == nullptr || !value->hasValue()) return std::nullopt;
  auto d = Decimal::parse(value->value());
  if (!d) return std::nullopt;
  std::string_view unit;
  const core::Element* system = e.child("system");
  const core::Element* code = e.child("code");
  if (code != nullptr && code->hasValue() &&
      (system == nullptr || system->value() == "http://unitsofmeasure.org")) {
    unit = code->value();
  } else if (const core::Element* u = e.child("unit"); u != nullptr && u->hasValue()) {
    unit = u->value();
    if (auto cal = calendarKeyword(unit)) {
      auto* q = static_cast<Quantity*>(arena.allocate(sizeof(Quantity), alignof(Quantity)));
      new (q) Quantity{*d, unit, true};
      return Value::ofQuantity(q);
    }
  } else {
    unit = "1";
  }
  auto* q = static_cast<Quantity*>(arena.allocate(sizeof(Quantity), alignof(Quantity)));
  new (q) Quantity{*d, unit, false};
  return Value::ofQuantity(q);
}

std::string typeNameForOutput(const Value& v) {
  switch (v.kind) {
    case Kind::Element: return v.element->type().fhirType;
    case Kind::Boolean: return "boolean";
    case Kind::Integer: return "integer";
    case Kind::Decimal: return "decimal";
    case Kind::String: return "string";
    case Kind::Date: return "date";
    case Kind::DateTime: return "dateTime";
    case Kind::Time: return "time";
    case Kind::Quantity: return "Quantity";
    case Kind::Type: return "TypeInfo";
  }
  return "";
}

std::string quantityToString(const Quantity& q) {
  std::string s = q.value.toString();
  s += ' ';
  if (q.calendar) {
    s += q.unit;
  } else {
    s += '\'';
    s += q.unit;
    s += '\'';
  }
  return s;
}

std::string valueToString(const Value& v) {
  switch (v.kind) {
    case Kind::Element: return std::string(v.element->value());
    case Kind::Boolean: return v.boolean ? "true" : "false";
    case Kind::Integer: return std::to_string(v.integer);
    case Kind::Decimal: return v.decimal().toString();
    case Kind::String: return std::string(v.string());
    case Kind::Date:
    case Kind::DateTime:
    case Kind::Time: return formatTemporal(v.temporal, v.temporalKind());
    case Kind::Quantity: return quantityToString(*v.quantity);
    case Kind::Type: return std::string(v.type->ns()) + "." + std::string(v.type->name());
  }
  return "";
}

}  // namespace trialbridge::fhirpath
