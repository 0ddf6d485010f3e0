// Tree navigation (children, descendants), utility functions (trace, the clock), the
// boundaries and precision of numbers and dates (FHIRPath 2.0 additions), comparable() and
// not() (FHIRPath N1 sections 5.8, 5.9 and 6.5).
#include <algorithm>

#include "conformance/ucum.h"
#include "fhirpath/functions.h"
#include "fhirpath/temporal.h"

namespace trialbridge::fhirpath {

namespace {

// --- tree navigation ---

void collectDescendants(Engine& e, const core::Element* el, Coll& out) {
  for (const core::Element* c = el->firstChild(); c != nullptr; c = c->nextSibling()) {
    e.push(out, Value::ofElement(c));
    if (c->hasChildren()) collectDescendants(e, c, out);
  }
}

void children(Call& c, Coll& out) {
  for (const Value& v : c.in) {
    if (v.kind != Kind::Element) continue;
    for (const core::Element* ch = v.element->firstChild(); ch != nullptr; ch = ch->nextSibling()) {
      c.push(out, Value::ofElement(ch));
    }
  }
}

void descendants(Call& c, Coll& out) {
  for (const Value& v : c.in) {
    if (v.kind == Kind::Element) collectDescendants(c.e, v.element, out);
  }
}

// --- utility ---

// trace(name [, projection]): hands the input (or its projection) to the environment's trace
// callback; the result is the input.
void trace(Call& c, Coll& out) {
  auto name = c.argString(0);
  const Environment& env = c.e.env();
  if (env.trace) {
    if (c.args().size() > 1) {
      Coll projected;
      for (uint32_t i = 0; i < c.in.size; ++i) c.e.eval(c.args()[1], c.itemFrame(i), projected);
      env.trace(name.value_or(""), std::span<const Value>(projected.data, projected.size));
    } else {
      env.trace(name.value_or(""), std::span<const Value>(c.in.data, c.in.size));
    }
  }
  c.e.append(out, c.in);
}

void now(Call& c, Coll& out) { c.push(out, Value::ofTemporal(Kind::DateTime, nowLocal())); }

void today(Call& c, Coll& out) {
  Temporal t = nowLocal();
  t.precision = Precision::Day;
  t.hasTz = false;
  c.push(out, Value::ofTemporal(Kind::Date, t));
}

void timeOfDay(Call& c, Coll& out) {
  Temporal t = nowLocal();
  t.hasTz = false;
  c.push(out, Value::ofTemporal(Kind::Time, t));
}

bool isTemporalKind(Kind k) { return k == Kind::Date || k == Kind::DateTime || k == Kind::Time; }

// The boundary of a number or quantity to `digits` digits (8 when not given).
void numberBoundary(Call& c, const Value& v, std::optional<int64_t> digits, bool high, Coll& out) {
  Decimal d = v.kind == Kind::Integer   ? Decimal::fromInt(v.integer)
              : v.kind == Kind::Decimal ? v.decimal()
                                        : v.quantity->value;
  int p = digits ? static_cast<int>(std::clamp<int64_t>(*digits, -1, 100)) : 8;
  auto r = high ? d.highBoundary(p) : d.lowBoundary(p);
  if (!r) return;
  if (v.kind == Kind::Quantity) {
    c.push(out, c.e.makeQuantity(*r, v.quantity->unit, v.quantity->calendar));
  } else {
    c.push(out, Value::ofDecimal(*r));
  }
}

// The boundary of a date, date-time or time to `digits` digits (by default the finest its kind
// has: 8 for a date, 9 for a time, 17 for a date-time).
void temporalBoundaryOf(Call& c, const Value& v, std::optional<int64_t> digits, bool high,
                        Coll& out) {
  int p = digits ? static_cast<int>(std::clamp<int64_t>(*digits, -1, 100))
                 : (v.kind == Kind::Date ? 8 : (v.kind == Kind::Time ? 9 : 17));
  TemporalKind rk;
  auto r = temporalBoundary(v.temporal, v.temporalKind(), p, high, rk);
  if (!r) return;
  Kind k = rk == TemporalKind::Date ? Kind::Date
                                    : (rk == TemporalKind::Time ? Kind::Time : Kind::DateTime);
  c.push(out, Value::ofTemporal(k, *r));
}

// lowBoundary([digits]) and highBoundary([digits]); empty for other types.
template <bool high>
void boundary(Call& c, Coll& out) {
  auto v = c.inputSingle();
  if (!v) return;
  std::optional<int64_t> digits;
  if (!c.args().empty()) {
    digits = c.argInteger(0);
    if (!digits) return;
  }
  if (v->kind == Kind::Integer || v->kind == Kind::Decimal || v->kind == Kind::Quantity) {
    numberBoundary(c, *v, digits, high, out);
  } else if (isTemporalKind(v->kind)) {
    temporalBoundaryOf(c, *v, digits, high, out);
  }
}

void precision(Call& c, Coll& out) {
  auto v = c.inputSingle();
  if (!v) return;
  if (v->kind == Kind::Decimal) {
    c.push(out, Value::ofInteger(v->decimal().scale()));
  } else if (v->kind == Kind::Integer) {
    c.push(out, Value::ofInteger(0));
  } else if (isTemporalKind(v->kind)) {
    c.push(out, Value::ofInteger(temporalPrecisionDigits(v->temporal, v->temporalKind())));
  }
}

void comparable(Call& c, Coll& out) {
  auto v = c.inputSingle();
  auto o = c.argSingle(0);
  if (!v || !o) return;
  auto qa = c.e.asQuantity(*v);
  auto qb = c.e.asQuantity(*o);
  if (!qa || !qb) c.fail("comparable() needs quantities");
  std::string_view ua = qa->unit, ub = qb->unit;
  c.push(out, Value::ofBoolean(conformance::ucum::comparable(ua, ub)));
}

void notFn(Call& c, Coll& out) {
  auto b = c.e.toBoolean(c.n, c.in);
  if (b) c.push(out, Value::ofBoolean(!*b));
}

using namespace rows;

constexpr FunctionSpec kUtility[] = {
    {"children", Fn::Children, 0, 0, {V, V, V}, R::Computed, Any, children},
    {"descendants", Fn::Descendants, 0, 0, {V, V, V}, R::Computed, Any, descendants},
    {"trace", Fn::Trace, 1, 2, {V, L, V}, R::Input, Any, trace},
    {"now", Fn::Now, 0, 0, {V, V, V}, R::DateTime, Any, now},
    {"timeOfDay", Fn::TimeOfDay, 0, 0, {V, V, V}, R::Time, Any, timeOfDay},
    {"today", Fn::Today, 0, 0, {V, V, V}, R::Date, Any, today},
    {"lowBoundary", Fn::LowBoundary, 0, 1, {V, V, V}, R::Input, Any, boundary<false>},
    {"highBoundary", Fn::HighBoundary, 0, 1, {V, V, V}, R::Input, Any, boundary<true>},
    {"precision", Fn::Precision, 0, 0, {V, V, V}, R::Integer, Any, precision},
    {"comparable", Fn::Comparable, 1, 1, {V, V, V}, R::Boolean, Any, comparable},
    {"not", Fn::Not, 0, 0, {V, V, V}, R::Boolean, Any, notFn},
};

}  // namespace

std::span<const FunctionSpec> utilityFunctions() { return kUtility; }

}  // namespace trialbridge::fhirpath
