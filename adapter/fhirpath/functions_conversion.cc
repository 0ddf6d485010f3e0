// Conversion and type functions: iif, toX() and convertsToX() (FHIRPath N1 section 5.5), and
// is, as, ofType and type() (sections 5.2 and 6.3, and the reflection of section 10).
#include "conformance/ucum.h"
#include "core/text.h"
#include "fhirpath/functions.h"
#include "fhirpath/types.h"

namespace trialbridge::fhirpath {

namespace {

bool isIntegerText(std::string_view s) {
  size_t i = 0;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) i = 1;
  if (i >= s.size()) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

bool isDecimalText(std::string_view s) {
  size_t i = 0;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) i = 1;
  size_t digits = 0;
  bool point = false;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      ++digits;
    } else if (s[i] == '.' && !point && digits > 0 && i + 1 < s.size()) {
      point = true;
    } else {
      return false;
    }
  }
  return digits > 0;
}

// Parses a quantity from a string: "1.5 'mg'", "4 days", "1.0".
std::optional<Quantity> parseQuantityString(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  size_t start = i;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
  auto d = Decimal::parse(s.substr(start, i - start));
  if (!d || !isDecimalText(s.substr(start, i - start))) return std::nullopt;
  while (i < s.size() && s[i] == ' ') ++i;
  if (i == s.size()) return Quantity{*d, "1", false};
  std::string_view rest = s.substr(i);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (rest.size() >= 2 && rest.front() == '\'' && rest.back() == '\'') {
    std::string_view unit = rest.substr(1, rest.size() - 2);
    if (!conformance::ucum::isValid(unit)) return std::nullopt;
    return Quantity{*d, unit, false};
  }
  if (calendarKeyword(rest)) return Quantity{*d, rest, true};
  return std::nullopt;
}

// --- the conversions shared by toX() and convertsToX(), of one System value ---

using Converter = std::optional<Value> (*)(Engine& e, const Value& v);

std::optional<Value> asBoolean(Engine&, const Value& v) {
  switch (v.kind) {
    case Kind::Boolean: return v;
    case Kind::Integer:
      if (v.integer == 1) return Value::ofBoolean(true);
      if (v.integer == 0) return Value::ofBoolean(false);
      return std::nullopt;
    case Kind::Decimal: {
      Decimal d = v.decimal();
      if (Decimal::compare(d, Decimal::fromInt(1)) == 0) return Value::ofBoolean(true);
      if (d.isZero()) return Value::ofBoolean(false);
      return std::nullopt;
    }
    case Kind::String: {
      std::string s = core::asciiLower(v.string());
      if (s == "true" || s == "t" || s == "yes" || s == "y" || s == "1" || s == "1.0") {
        return Value::ofBoolean(true);
      }
      if (s == "false" || s == "f" || s == "no" || s == "n" || s == "0" || s == "0.0") {
        return Value::ofBoolean(false);
      }
      return std::nullopt;
    }
    default: return std::nullopt;
  }
}

std::optional<Value> asInteger(Engine&, const Value& v) {
  switch (v.kind) {
    case Kind::Integer: return v;
    case Kind::Boolean: return Value::ofInteger(v.boolean ? 1 : 0);
    case Kind::String: {
      if (!isIntegerText(v.string())) return std::nullopt;
      auto d = Decimal::parse(v.string());
      if (!d) return std::nullopt;
      auto i = d->toInt64();
      if (!i || *i > 2147483647LL || *i < -2147483648LL) return std::nullopt;
      return Value::ofInteger(*i);
    }
    default: return std::nullopt;
  }
}

std::optional<Value> asDecimal(Engine&, const Value& v) {
  switch (v.kind) {
    case Kind::Decimal: return v;
    case Kind::Integer: return Value::ofDecimal(Decimal::fromInt(v.integer));
    case Kind::Boolean: return Value::ofDecimal(Decimal(v.boolean ? 10 : 0, 1));
    case Kind::String: {
      if (!isDecimalText(v.string())) return std::nullopt;
      auto d = Decimal::parse(v.string());
      if (!d) return std::nullopt;
      return Value::ofDecimal(*d);
    }
    default: return std::nullopt;
  }
}

std::optional<Value> asString(Engine& e, const Value& v) {
  switch (v.kind) {
    case Kind::String: return v;
    case Kind::Element: return std::nullopt;
    case Kind::Type: return std::nullopt;
    default: return e.makeString(valueToString(v));
  }
}

// A date-time cut to a date: day precision at most, no time zone.
Value dateOf(Temporal t) {
  if (t.precision > Precision::Day) t.precision = Precision::Day;
  t.hasTz = false;
  return Value::ofTemporal(Kind::Date, t);
}

std::optional<Value> asDate(Engine&, const Value& v) {
  switch (v.kind) {
    case Kind::Date: return v;
    case Kind::DateTime: return dateOf(v.temporal);
    case Kind::String: {
      if (auto t = parseDate(v.string())) return Value::ofTemporal(Kind::Date, *t);
      if (auto t = parseDateTime(v.string())) return dateOf(*t);
      return std::nullopt;
    }
    default: return std::nullopt;
  }
}

std::optional<Value> asDateTime(Engine&, const Value& v) {
  switch (v.kind) {
    case Kind::DateTime: return v;
    case Kind::Date: return Value::ofTemporal(Kind::DateTime, v.temporal);
    case Kind::String: {
      if (auto t = parseDateTime(v.string())) return Value::ofTemporal(Kind::DateTime, *t);
      return std::nullopt;
    }
    default: return std::nullopt;
  }
}

std::optional<Value> asTime(Engine&, const Value& v) {
  switch (v.kind) {
    case Kind::Time: return v;
    case Kind::String: {
      std::string_view s = v.string();
      if (!s.empty() && s[0] == 'T') s.remove_prefix(1);
      if (auto t = parseTime(s)) return Value::ofTemporal(Kind::Time, *t);
      return std::nullopt;
    }
    default: return std::nullopt;
  }
}

std::optional<Value> asQuantity(Engine& e, const Value& v) {
  switch (v.kind) {
    case Kind::Quantity: return v;
    case Kind::Integer:
    case Kind::Decimal: {
      Decimal d = v.kind == Kind::Integer ? Decimal::fromInt(v.integer) : v.decimal();
      return e.makeQuantity(d, "1", false);
    }
    case Kind::Boolean: return e.makeQuantity(Decimal(v.boolean ? 10 : 0, 1), "1", false);
    case Kind::String: {
      auto q = parseQuantityString(v.string());
      if (!q) return std::nullopt;
      return e.makeQuantity(q->value, e.arena().copy(q->unit), q->calendar);
    }
    default: return std::nullopt;
  }
}

// The input's one item converted (as a System value), nullopt when it does not convert. The
// caller has checked that the input is not empty.
std::optional<Value> convertInput(Call& c, Converter convert) {
  if (c.in.size > 1) c.fail(c.n->name + "() on more than one item");
  std::optional<Value> v = c.e.single(c.n, Coll::view(&c.in[0], 1));
  if (!v) return std::nullopt;
  return convert(c.e, *v);
}

template <Converter convert>
void toX(Call& c, Coll& out) {
  if (c.in.empty()) return;
  if (auto v = convertInput(c, convert)) c.push(out, *v);
}

template <Converter convert>
void convertsToX(Call& c, Coll& out) {
  if (c.in.empty()) return;
  c.push(out, Value::ofBoolean(convertInput(c, convert).has_value()));
}

// toQuantity(unit) and convertsToQuantity(unit): the input as a quantity in `q`, converted to
// `unit` when it is given (nullopt when the units are not comparable). False when the unit
// argument is empty: then neither function has a result.
bool quantityInput(Call& c, std::optional<Value>& q) {
  q = convertInput(c, asQuantity);
  if (!q || c.args().empty()) return true;
  auto unit = c.argString(0);
  if (!unit) return false;
  const Quantity& src = *q->quantity;
  std::string_view from = src.calendar ? std::string_view(src.unit) : src.unit;
  auto conv = conformance::ucum::convert(src.value.toLongDouble(), from, *unit);
  std::optional<Decimal> d;
  if (conv) d = Decimal::fromDouble(static_cast<double>(*conv));
  q = d ? std::optional<Value>(c.e.makeQuantity(*d, c.e.arena().copy(*unit), false)) : std::nullopt;
  return true;
}

void toQuantity(Call& c, Coll& out) {
  std::optional<Value> q;
  if (c.in.empty() || !quantityInput(c, q)) return;
  if (q) c.push(out, *q);
}

void convertsToQuantity(Call& c, Coll& out) {
  std::optional<Value> q;
  if (c.in.empty() || !quantityInput(c, q)) return;
  c.push(out, Value::ofBoolean(q.has_value()));
}

// iif(criterion, true-result [, otherwise-result]): only the branch chosen is evaluated. Called
// on an input, the arguments see that input as $this.
void iif(Call& c, Coll& out) {
  Frame g = c.f;
  if (c.n->base != nullptr) {
    if (c.in.size > 1) c.fail("iif() on more than one item");
    g.items = c.in.data;
    g.count = c.in.size;
  }
  Coll criterion;
  c.e.eval(c.args()[0], g, criterion);
  auto b = c.e.toBoolean(c.args()[0], criterion);
  if (b && *b) {
    c.e.eval(c.args()[1], g, out);
  } else if (c.args().size() > 2) {
    c.e.eval(c.args()[2], g, out);
  }
}

// --- types ---

bool hasType(Call& c, const Value& v, bool exact) {
  const TypeName& t = c.n->type;
  return valueIsType(v, t.spec, exact, c.e.types()) ||
         (t.alsoSystem.isSystem() && valueIsType(v, t.alsoSystem, exact, c.e.types()));
}

// ofType(T) and as(T): the items of type T (as() on one item only when the environment enforces
// it).
void ofType(Call& c, Coll& out) {
  const TypeName& t = c.n->type;
  if (!t.resolved) c.fail("unknown type '" + t.text() + "'");
  if (c.fn() == Fn::As && c.in.size > 1 && c.e.env().enforceAsSingleton) {
    c.fail("as() needs a single item, got " + std::to_string(c.in.size));
  }
  for (const Value& v : c.in) {
    if (hasType(c, v, true)) c.push(out, v);
  }
}

void is(Call& c, Coll& out) {
  const TypeName& t = c.n->type;
  if (c.in.empty()) return;
  if (c.in.size > 1) c.fail("is() needs a single item");
  if (!t.resolved) {
    if (t.ns == "System") {
      c.push(out, Value::ofBoolean(false));
      return;
    }
    c.fail("unknown type '" + t.text() + "'");
  }
  c.push(out, Value::ofBoolean(hasType(c, c.in[0], false)));
}

void type(Call& c, Coll& out) {
  for (const Value& v : c.in) {
    auto* spec = static_cast<TypeSpec*>(c.e.arena().allocate(sizeof(TypeSpec), alignof(TypeSpec)));
    *spec = typeOfValue(v);
    if (spec->isSystem() || spec->fhir != nullptr) c.push(out, Value::ofType(spec));
  }
}

using namespace rows;

constexpr FunctionSpec kConversions[] = {
    {"iif", Fn::Iif, 2, 3, {L, L, L}, R::Computed, Any, iif},
    {"toBoolean", Fn::ToBoolean, 0, 0, {V, V, V}, R::Boolean, Any, toX<asBoolean>},
    {"convertsToBoolean",
     Fn::ConvertsToBoolean,
     0,
     0,
     {V, V, V},
     R::Boolean,
     Any,
     convertsToX<asBoolean>},
    {"toInteger", Fn::ToInteger, 0, 0, {V, V, V}, R::Integer, Any, toX<asInteger>},
    {"convertsToInteger",
     Fn::ConvertsToInteger,
     0,
     0,
     {V, V, V},
     R::Boolean,
     Any,
     convertsToX<asInteger>},
    {"toDecimal", Fn::ToDecimal, 0, 0, {V, V, V}, R::Decimal, Any, toX<asDecimal>},
    {"convertsToDecimal",
     Fn::ConvertsToDecimal,
     0,
     0,
     {V, V, V},
     R::Boolean,
     Any,
     convertsToX<asDecimal>},
    {"toString", Fn::ToString, 0, 0, {V, V, V}, R::String, Any, toX<asString>},
    {"convertsToString",
     Fn::ConvertsToString,
     0,
     0,
     {V, V, V},
     R::Boolean,
     Any,
     convertsToX<asString>},
    {"toDate", Fn::ToDate, 0, 0, {V, V, V}, R::Date, Any, toX<asDate>},
    {"convertsToDate", Fn::ConvertsToDate, 0, 0, {V, V, V}, R::Boolean, Any, convertsToX<asDate>},
    {"toDateTime", Fn::ToDateTime, 0, 0, {V, V, V}, R::DateTime, Any, toX<asDateTime>},
    {"convertsToDateTime",
     Fn::ConvertsToDateTime,
     0,
     0,
     {V, V, V},
     R::Boolean,
     Any,
     convertsToX<asDateTime>},
    {"toTime", Fn::ToTime, 0, 0, {V, V, V}, R::Time, Any, toX<asTime>},
    {"convertsToTime", Fn::ConvertsToTime, 0, 0, {V, V, V}, R::Boolean, Any, convertsToX<asTime>},
    {"toQuantity", Fn::ToQuantity, 0, 1, {V, V, V}, R::Quantity, Any, toQuantity},
    {"convertsToQuantity",
     Fn::ConvertsToQuantity,
     0,
     1,
     {V, V, V},
     R::Boolean,
     Any,
     convertsToQuantity},
    {"ofType", Fn::OfType, 1, 1, {T, V, V}, R::Computed, Any, ofType},
    {"is", Fn::Is, 1, 1, {T, V, V}, R::Boolean, Any, is},
    {"as", Fn::As, 1, 1, {T, V, V}, R::Computed, Any, ofType},
    {"type", Fn::Type, 0, 0, {V, V, V}, R::Unknown, Any, type},
};

}  // namespace

std::span<const FunctionSpec> conversionFunctions() { return kConversions; }

}  // namespace trialbridge::fhirpath
