// Math functions (FHIRPath N1 section 5.7): on one Integer or Decimal (abs() also on a
// Quantity); an empty input gives an empty result. Results that are not finite are empty.
#include <algorithm>
#include <cmath>

#include "fhirpath/functions.h"

namespace trialbridge::fhirpath {

namespace {

// The input of a math function as a number.
struct Number {
  Value v;    // Integer or Decimal
  Decimal d;  // its value as a decimal
  bool isInt() const { return v.kind == Kind::Integer; }
};

Number numberOf(const Call& c, const Value& v) {
  if (v.kind != Kind::Integer && v.kind != Kind::Decimal) c.fail(c.n->name + "() needs a number");
  return Number{v, v.kind == Kind::Integer ? Decimal::fromInt(v.integer) : v.decimal()};
}

std::optional<Number> inputNumber(const Call& c) {
  auto v = c.inputSingle();
  if (!v) return std::nullopt;
  return numberOf(c, *v);
}

void pushDouble(const Call& c, Coll& out, double r) {
  if (!std::isfinite(r)) return;
  if (auto d = Decimal::fromDouble(r)) c.push(out, Value::ofDecimal(*d));
}

// A number argument as a double (log's base, power's exponent).
double toDouble(const Value& v) {
  return v.kind == Kind::Integer ? static_cast<double>(v.integer) : v.decimal().toDouble();
}

void absolute(Call& c, Coll& out) {
  auto v = c.inputSingle();
  if (!v) return;
  if (v->kind == Kind::Quantity) {
    const Quantity& q = *v->quantity;
    c.push(out, c.e.makeQuantity(q.value.isNegative() ? q.value.negated() : q.value, q.unit,
                                 q.calendar));
    return;
  }
  const Number x = numberOf(c, *v);
  if (x.isInt()) {
    c.push(out, Value::ofInteger(x.v.integer < 0 ? -x.v.integer : x.v.integer));
  } else {
    c.push(out, Value::ofDecimal(x.d.isNegative() ? x.d.negated() : x.d));
  }
}

Decimal ceilingOf(const Decimal& d) { return d.ceiling(); }
Decimal floorOf(const Decimal& d) { return d.floor(); }
Decimal truncateOf(const Decimal& d) { return d.truncated(); }

// ceiling, floor, truncate: to an Integer.
template <Decimal (*toWhole)(const Decimal&)>
void wholeNumber(Call& c, Coll& out) {
  auto x = inputNumber(c);
  if (!x) return;
  auto i = toWhole(x->d).toInt64();
  if (!i) c.fail("integer overflow");
  c.push(out, Value::ofInteger(*i));
}

void roundTo(Call& c, Coll& out) {
  auto x = inputNumber(c);
  if (!x) return;
  int64_t digits = 0;
  if (!c.args().empty()) {
    auto p = c.argInteger(0);
    if (!p) return;
    if (*p < 0) c.fail("round() needs a non-negative precision");
    digits = *p;
  }
  c.push(out, Value::ofDecimal(x->d.roundHalfUp(static_cast<int>(std::min<int64_t>(digits, 28)))));
}

void exponential(Call& c, Coll& out) {
  auto x = inputNumber(c);
  if (x) pushDouble(c, out, std::exp(x->d.toDouble()));
}

void naturalLog(Call& c, Coll& out) {
  auto x = inputNumber(c);
  if (!x || x->d.isNegative() || x->d.isZero()) return;
  pushDouble(c, out, std::log(x->d.toDouble()));
}

void squareRoot(Call& c, Coll& out) {
  auto x = inputNumber(c);
  if (!x || x->d.isNegative()) return;
  pushDouble(c, out, std::sqrt(x->d.toDouble()));
}

void logarithm(Call& c, Coll& out) {
  auto x = inputNumber(c);
  if (!x) return;
  auto b = c.argSingle(0);
  if (!b) return;
  if (b->kind != Kind::Integer && b->kind != Kind::Decimal) c.fail("log() needs a number");
  const double base = toDouble(*b);
  if (x->d.isNegative() || x->d.isZero() || base <= 0 || base == 1) return;
  pushDouble(c, out, std::log(x->d.toDouble()) / std::log(base));
}

// An Integer to a non-negative Integer power stays an Integer (an error on overflow).
void power(Call& c, Coll& out) {
  auto x = inputNumber(c);
  if (!x) return;
  auto e = c.argSingle(0);
  if (!e) return;
  if (e->kind != Kind::Integer && e->kind != Kind::Decimal) c.fail("power() needs a number");
  if (x->isInt() && e->kind == Kind::Integer && e->integer >= 0) {
    int64_t r = 1;
    for (int64_t i = 0; i < e->integer; ++i) {
      if (__builtin_mul_overflow(r, x->v.integer, &r)) c.fail("integer overflow");
    }
    c.push(out, Value::ofInteger(r));
    return;
  }
  pushDouble(c, out, std::pow(x->d.toDouble(), toDouble(*e)));
}

using namespace rows;

constexpr FunctionSpec kMath[] = {
    {"abs", Fn::Abs, 0, 0, {V, V, V}, R::Input, Any, absolute},
    {"ceiling", Fn::Ceiling, 0, 0, {V, V, V}, R::Integer, Any, wholeNumber<ceilingOf>},
    {"exp", Fn::Exp, 0, 0, {V, V, V}, R::Decimal, Any, exponential},
    {"floor", Fn::Floor, 0, 0, {V, V, V}, R::Integer, Any, wholeNumber<floorOf>},
    {"ln", Fn::Ln, 0, 0, {V, V, V}, R::Decimal, Any, naturalLog},
    {"log", Fn::Log, 1, 1, {V, V, V}, R::Decimal, Any, logarithm},
    {"power", Fn::Power, 1, 1, {V, V, V}, R::Unknown, Any, power},
    {"round", Fn::Round, 0, 1, {V, V, V}, R::Decimal, Any, roundTo},
    {"sqrt", Fn::Sqrt, 0, 0, {V, V, V}, R::Decimal, Any, squareRoot},
    {"truncate", Fn::Truncate, 0, 0, {V, V, V}, R::Integer, Any, wholeNumber<truncateOf>},
};

}  // namespace

std::span<const FunctionSpec> mathFunctions() { return kMath; }

}  // namespace trialbridge::fhirpath
