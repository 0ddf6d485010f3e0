#include <algorithm>
#include <cmath>
#include <cstring>

#include "conformance/context.h"
#include "conformance/ucum.h"
#include "fhirpath/engine.h"
#include "fhirpath/types.h"

namespace trialbridge::fhirpath {

namespace {

bool isUpper(char c) { return c >= 'A' && c <= 'Z'; }

bool isNumber(const Value& v) { return v.kind == Kind::Integer || v.kind == Kind::Decimal; }
bool isTemporal(const Value& v) {
  return v.kind == Kind::Date || v.kind == Kind::DateTime || v.kind == Kind::Time;
}

Decimal numberOf(const Value& v) {
  return v.kind == Kind::Integer ? Decimal::fromInt(v.integer) : v.decimal();
}

// Whitespace-normalized, case-insensitive comparison for string equivalence.
bool equivalentStrings(std::string_view a, std::string_view b) {
  auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  size_t i = 0, j = 0;
  auto skipLeading = [&](std::string_view s, size_t& k) {
    while (k < s.size() && isSpace(s[k])) ++k;
  };
  skipLeading(a, i);
  skipLeading(b, j);
  while (true) {
    // Collapse runs of white space to one space; ignore trailing white space.
    bool sa = i < a.size() && isSpace(a[i]);
    bool sb = j < b.size() && isSpace(b[j]);
    if (sa) {
      while (i < a.size() && isSpace(a[i])) ++i;
    }
    if (sb) {
      while (j < b.size() && isSpace(b[j])) ++j;
    }
    bool ea = i >= a.size(), eb = j >= b.size();
    if (ea || eb) return ea && eb;
    if (sa != sb) return false;
    char ca = a[i], cb = b[j];
    if (ca >= 'A' && ca <= 'Z') ca = static_cast<char>(ca - 'A' + 'a');
    if (cb >= 'A' && cb <= 'Z') cb = static_cast<char>(cb - 'A' + 'a');
    if (ca != cb) return false;
    ++i;
    ++j;
  }
}

bool deepEqual(const core::Element* a, const core::Element* b, bool equivalent) {
  if (a->isPrimitive() != b->isPrimitive()) return false;
  if (a->isPrimitive()) {
    if (a->hasValue() != b->hasValue()) return false;
    if (equivalent ? !equivalentStrings(a->value(), b->value()) : a->value() != b->value()) {
      return false;
    }
  }
  const core::Element* x = a->firstChild();
  const core::Element* y = b->firstChild();
  while (x != nullptr || y != nullptr) {
    if (equivalent) {  // ids do not count for equivalence
      while (x != nullptr && x->name() == "id") x = x->nextSibling();
      while (y != nullptr && y->name() == "id") y = y->nextSibling();
      if (x == nullptr || y == nullptr) return x == y;
    }
    if (x == nullptr || y == nullptr) return false;
    if (x->name() != y->name() || !deepEqual(x, y, equivalent)) return false;
    x = x->nextSibling();
    y = y->nextSibling();
  }
  return true;
}

// The UCUM unit a calendar keyword stands for in comparisons and unit arithmetic.
std::string_view calendarToUcum(std::string_view unit) {
  auto c = calendarKeyword(unit);
  if (!c) return unit;
  switch (*c) {
    case CalendarUnit::Year: return "a";
    case CalendarUnit::Month: return "mo";
    case CalendarUnit::Week: return "wk";
    case CalendarUnit::Day: return "d";
    case CalendarUnit::Hour: return "h";
    case CalendarUnit::Minute: return "min";
    case CalendarUnit::Second: return "s";
    case CalendarUnit::Millisecond: return "ms";
  }
  return unit;
}

bool isYearOrMonth(const Quantity& q) {
  auto c = calendarKeyword(q.unit);
  return q.calendar && c && (*c == CalendarUnit::Year || *c == CalendarUnit::Month);
}

// Both quantities in base units, or nullopt when they cannot be compared.
std::optional<std::pair<long double, long double>> baseValues(const Quantity& a,
                                                              const Quantity& b) {
  // Calendar years and months are not UCUM's 'a' and 'mo' (and not comparable with them).
  if (a.calendar != b.calendar && (isYearOrMonth(a) || isYearOrMonth(b))) return std::nullopt;
  std::string_view ua = a.calendar ? calendarToUcum(a.unit) : a.unit;
  std::string_view ub = b.calendar ? calendarToUcum(b.unit) : b.unit;
  auto ca = conformance::ucum::parse(ua);
  auto cb = conformance::ucum::parse(ub);
  if (!ca || !cb || !ca->comparableWith(*cb)) return std::nullopt;
  auto x = conformance::ucum::toBase(a.value.toLongDouble(), *ca);
  auto y = conformance::ucum::toBase(b.value.toLongDouble(), *cb);
  if (!x || !y) return std::nullopt;
  return std::make_pair(*x, *y);
}

int compareLongDoubles(long double x, long double y) {
  long double scale = std::max(std::fabs(x), std::fabs(y));
  if (std::fabs(x - y) <= scale * 1e-14L) return 0;
  return x < y ? -1 : 1;
}

std::optional<int> compareQuantities(const Quantity& a, const Quantity& b) {
  if (a.unit == b.unit && a.calendar == b.calendar) return Decimal::compare(a.value, b.value);
  auto v = baseValues(a, b);
  if (!v) return std::nullopt;
  return compareLongDoubles(v->first, v->second);
}

bool equivalentQuantities(const Quantity& a, const Quantity& b) {
  if (a.unit == b.unit && a.calendar == b.calendar) {
    int digits = std::min(a.value.scale(), b.value.scale());
    return Decimal::compare(a.value.roundHalfUp(digits), b.value.roundHalfUp(digits)) == 0;
  }
  auto v = baseValues(a, b);
  if (!v) return false;
  // Compare at the precision of the less precise operand, in a's unit.
  long double bInA = v->second / (v->first == 0 ? 1 : v->first / a.value.toLongDouble());
  if (v->first == 0) return v->second == 0;
  auto bd = Decimal::fromDouble(static_cast<double>(bInA));
  if (!bd) return false;
  int digits = std::min(a.value.scale(), b.value.scale());
  return Decimal::compare(a.value.roundHalfUp(digits), bd->roundHalfUp(digits)) == 0;
}

}  // namespace

void Engine::grow(Coll& c, uint32_t need) {
  // Limits, so that no expression can take the process down (nested select() over unions grows
  // geometrically): a collection's size and the memory of one evaluation.
  constexpr uint32_t kMaxItems = 16u * 1024 * 1024;
  constexpr size_t kMaxArena = size_t{1} << 30;
  if (need > kMaxItems) fail(nullptr, "collection too large (more than 16M items)");
  if (need > 4096 && arena_.capacity() > kMaxArena)
    fail(nullptr, "evaluation uses too much memory");
  uint32_t cap = c.cap == 0 ? 4 : c.cap * 2;
  while (cap < need) cap *= 2;
  Value* data = arena_.allocateArray<Value>(cap);
  if (c.size != 0) std::memcpy(static_cast<void*>(data), c.data, c.size * sizeof(Value));
  c.data = data;
  c.cap = cap;
}

void Engine::fail(const Node* n, std::string message) const {
  throw EvalFailure{std::move(message), n != nullptr ? n->pos : 0};
}

const conformance::Context& Engine::conformance() const {
  return env_->context != nullptr ? *env_->context : conformance::Context::r4();
}

const core::Element* Engine::resourceOf(const core::Element* e) const {
  return e == nullptr ? nullptr : e->resource();
}

const core::Element* Engine::rootResourceOf(const core::Element* e) const {
  const core::Element* r = resourceOf(e);
  if (r != nullptr && r->name() == "contained" && r->parent() != nullptr) {
    const core::Element* container = r->parent()->resource();
    if (container != nullptr) return container;
  }
  return r;
}

void Engine::run(const Expression& expr, std::span<const Value> context, const Environment& env,
                 Coll& out) {
  env_ = &env;
  types_ = &expr.types();
  context_ = context;
  Frame f;
  f.items = context.data();
  f.count = static_cast<uint32_t>(context.size());
  eval(expr.compiled().root, f, out);
}

Coll Engine::input(const Node* n, const Frame& f) {
  if (n->base == nullptr) return Coll::view(f.items, f.count);
  Coll c;
  eval(n->base, f, c);
  return c;
}

void Engine::eval(const Node* n, const Frame& f, Coll& out) {
  switch (n->kind) {
    case NodeKind::Literal:
      if (!n->deferredError.empty()) fail(n, n->deferredError);
      push(out, n->literal);
      return;
    case NodeKind::Empty: return;
    case NodeKind::This:
      for (uint32_t i = 0; i < f.count; ++i) push(out, f.items[i]);
      return;
    case NodeKind::Index:
      if (f.hasIndex) push(out, Value::ofInteger(f.index));
      return;
    case NodeKind::Total:
      if (f.total != nullptr) append(out, *f.total);
      return;
    case NodeKind::Variable: evalVariable(n, f, out); return;
    case NodeKind::Member: {
      Coll in = input(n, f);
      for (const Value& item : in) navigate(item, n, out);
      return;
    }
    case NodeKind::Function: callFunction(n, f, out); return;
    case NodeKind::Indexer: {
      Coll in = input(n, f);
      Coll idx = evalArg(n->rhs, f);
      auto i = singleInteger(n, idx);
      if (i && *i >= 0 && static_cast<uint64_t>(*i) < in.size)
        push(out, in[static_cast<size_t>(*i)]);
      return;
    }
    case NodeKind::Unary: {
      Coll in = evalArg(n->base, f);
      if (in.empty()) return;
      auto v = single(n, in);
      if (!v) return;
      if (!n->negate) {
        if (!isNumber(*v) && v->kind != Kind::Quantity) fail(n, "unary '+' needs a number");
        push(out, *v);
        return;
      }
      if (v->kind == Kind::Integer) {
        push(out, Value::ofInteger(-v->integer));
      } else if (v->kind == Kind::Decimal) {
        push(out, Value::ofDecimal(v->decimal().negated()));
      } else if (v->kind == Kind::Quantity) {
        push(out,
             makeQuantity(v->quantity->value.negated(), v->quantity->unit, v->quantity->calendar));
      } else {
        fail(n, "unary '-' needs a number or a quantity");
      }
      return;
    }
    case NodeKind::Binary: evalBinary(n, f, out); return;
    case NodeKind::TypeOp: {
      Coll in = evalArg(n->base, f);
      if (in.empty()) return;
      if (!n->type.resolved) {
        if (n->type.ns == "System" && !n->negate) {
          push(out, Value::ofBoolean(false));
          return;
        }
        fail(n, "unknown type '" + n->type.text() + "'");
      }
      if (in.size > 1) {
        if (!n->negate || env_->enforceAsSingleton) {
          fail(n, std::string("'") + (n->negate ? "as" : "is") + "' needs a single item, got " +
                      std::to_string(in.size));
        }
      }
      if (!n->negate) {
        bool r = valueIsType(in[0], n->type.spec, false, *types_) ||
                 (n->type.alsoSystem.isSystem() &&
                  valueIsType(in[0], n->type.alsoSystem, false, *types_));
        push(out, Value::ofBoolean(r));
        return;
      }
      for (const Value& v : in) {
        if (valueIsType(v, n->type.spec, true, *types_) ||
            (n->type.alsoSystem.isSystem() && valueIsType(v, n->type.alsoSystem, true, *types_))) {
          push(out, v);
        }
      }
      return;
    }
  }
}

void Engine::navigate(const Value& item, const Node* n, Coll& out) {
  const std::string& name = n->name;
  if (item.kind == Kind::Element) {
    const core::Element* e = item.element;
    if (n->head && !name.empty() && isUpper(name[0]) &&
        (e->type().fhirType == name || e->type().name == name ||
         derivesFromName(e->type(), name, *types_))) {
      push(out, item);
      return;
    }
    const uint32_t before = out.size;
    // Children are in definition order, those of one property consecutive: find the property
    // once per (node, type) and walk to its place.
    const core::PropertyInfo* p = propertyFor(n, e->type());
    if (p != nullptr) {
      const uint16_t order = p->order;
      for (const core::Element* c = e->firstChild(); c != nullptr; c = c->nextSibling()) {
        const core::PropertyInfo* cp = c->property();
        if (cp == p || (cp != nullptr && cp->order == order && c->name() == name)) {
          push(out, Value::ofElement(c));
        } else if (cp != nullptr && cp->order > order) {
          break;
        }
      }
    }
    if (out.size == before && n->choiceName) {
      // "valueQuantity": a choice element named with its type, as in JSON (compiled without a
      // static type, so the compiler could not reject it).
      core::TypeInfo::JsonMatch m = e->type().propertyForJsonName(name);
      if (m.property != nullptr && m.property->choice && m.type != nullptr) {
        for (const core::Element* c = e->firstChild(); c != nullptr; c = c->nextSibling()) {
          if (c->property() == m.property && &c->type() == m.type) push(out, Value::ofElement(c));
        }
      }
    }
    return;
  }
  if (item.kind == Kind::Quantity) {
    if (name == "value") push(out, Value::ofDecimal(item.quantity->value));
    if (name == "unit" || name == "code") push(out, Value::ofString(item.quantity->unit));
    return;
  }
  if (item.kind == Kind::Type) {
    if (name == "namespace") push(out, Value::ofString(item.type->ns()));
    if (name == "name") push(out, Value::ofString(item.type->name()));
  }
}

const core::PropertyInfo* Engine::propertyFor(const Node* n, const core::TypeInfo& type) {
  const size_t slot = (n->uid * 0x9e3779b97f4a7c15ULL ^ (reinterpret_cast<uintptr_t>(&type) >> 5)) &
                      (kPropertyCacheSize - 1);
  PropertyCacheEntry& entry = propertyCache_[slot];
  if (entry.node != n->uid || entry.type != &type) {
    entry.node = n->uid;
    entry.type = &type;
    entry.property = type.property(n->name);
  }
  return entry.property;
}

void Engine::evalVariable(const Node* n, const Frame& f, Coll& out) {
  (void)f;
  const std::string& name = n->name;
  if (name == "context") {
    for (const Value& v : context_) push(out, v);
    return;
  }
  const core::Element* focus = nullptr;
  for (const Value& v : context_) {
    if (v.kind == Kind::Element) {
      focus = v.element;
      break;
    }
  }
  if (name == "resource") {
    const core::Element* r = env_->resource != nullptr ? env_->resource : resourceOf(focus);
    if (r != nullptr) push(out, Value::ofElement(r));
    return;
  }
  if (name == "rootResource") {
    const core::Element* r =
        env_->rootResource != nullptr
            ? env_->rootResource
            : (env_->resource != nullptr ? rootResourceOf(env_->resource) : rootResourceOf(focus));
    if (r != nullptr) push(out, Value::ofElement(r));
    return;
  }
  for (const Environment::Variable& v : env_->variables) {
    if (v.name == name) {
      for (const Value& x : v.values) push(out, x);
      return;
    }
  }
  fail(n, "unknown variable '%" + name + "'");
}

std::optional<bool> Engine::toBoolean(const Node* n, const Coll& c) {
  if (c.size == 0) return std::nullopt;
  if (c.size > 1) fail(n, "expected a single boolean, got " + std::to_string(c.size) + " items");
  const Value& v = c[0];
  if (v.kind == Kind::Boolean) return v.boolean;
  if (v.kind == Kind::Element && v.element->isPrimitive() &&
      systemTypeOf(v.element->type()) == SystemType::Boolean) {
    if (!v.element->hasValue()) return std::nullopt;
    return v.element->value() == "true";
  }
  return true;  // a single item that is not a boolean counts as true
}

std::optional<Value> Engine::single(const Node* n, const Coll& c) {
  if (c.size == 0) return std::nullopt;
  if (c.size > 1) fail(n, "expected a single item, got " + std::to_string(c.size));
  const Value& v = c[0];
  if (v.kind == Kind::Element && !v.element->isPrimitive()) {
    const core::TypeInfo& t = v.element->type();
    if (derivesFromName(t, "Quantity", *types_)) {
      if (auto q = quantityOfElement(*v.element, arena_)) return q;
    }
    return v;
  }
  return toSystem(v);
}

std::optional<std::string_view> Engine::singleString(const Node* n, const Coll& c) {
  auto v = single(n, c);
  if (!v) return std::nullopt;
  if (v->kind == Kind::String) return v->string();
  if (v->kind == Kind::Element && v->element->isPrimitive()) return v->element->value();
  fail(n, "expected a string");
}

std::optional<int64_t> Engine::singleInteger(const Node* n, const Coll& c) {
  auto v = single(n, c);
  if (!v) return std::nullopt;
  if (v->kind == Kind::Integer) return v->integer;
  fail(n, "expected an integer");
}

Value Engine::makeQuantity(const Decimal& d, std::string_view unit, bool calendar) {
  auto* q = static_cast<Quantity*>(arena_.allocate(sizeof(Quantity), alignof(Quantity)));
  new (q) Quantity{d, unit, calendar};
  return Value::ofQuantity(q);
}

std::optional<Quantity> Engine::asQuantity(const Value& v) {
  if (v.kind == Kind::Quantity) return *v.quantity;
  if (v.kind == Kind::Element && !v.element->isPrimitive() &&
      derivesFromName(v.element->type(), "Quantity", *types_)) {
    auto q = quantityOfElement(*v.element, arena_);
    if (q) return *q->quantity;
  }
  return std::nullopt;
}

std::optional<bool> Engine::equalItems(const Value& a0, const Value& b0) {
  if (a0.kind == Kind::Element && b0.kind == Kind::Element) {
    const core::Element* x = a0.element;
    const core::Element* y = b0.element;
    if (x == y) return true;
    if (!x->isPrimitive() && !y->isPrimitive()) return deepEqual(x, y, false);
    if (x->isPrimitive() != y->isPrimitive()) return false;
  }
  if ((a0.kind == Kind::Quantity || b0.kind == Kind::Quantity)) {
    auto qa = asQuantity(a0);
    auto qb = asQuantity(b0);
    if (!qa || !qb) return qa.has_value() == qb.has_value() ? std::optional<bool>() : false;
    auto c = compareQuantities(*qa, *qb);
    if (!c) return std::nullopt;
    return *c == 0;
  }
  if ((a0.kind == Kind::Element && !a0.element->isPrimitive()) ||
      (b0.kind == Kind::Element && !b0.element->isPrimitive())) {
    return false;
  }
  auto a = toSystem(a0);
  auto b = toSystem(b0);
  if (!a || !b) return std::nullopt;
  if (isNumber(*a) && isNumber(*b)) {
    if (a->kind == Kind::Integer && b->kind == Kind::Integer) return a->integer == b->integer;
    return Decimal::compare(numberOf(*a), numberOf(*b)) == 0;
  }
  if (isTemporal(*a) && isTemporal(*b)) {
    if ((a->kind == Kind::Time) != (b->kind == Kind::Time)) return false;
    auto c = compareTemporal(a->temporal, b->temporal, a->kind == Kind::Time);
    if (!c) return std::nullopt;
    return *c == 0;
  }
  if (a->kind != b->kind) return false;
  switch (a->kind) {
    case Kind::Boolean: return a->boolean == b->boolean;
    case Kind::String: return a->string() == b->string();
    case Kind::Type: return a->type->name() == b->type->name() && a->type->ns() == b->type->ns();
    default: return false;
  }
}

bool Engine::equivalentItems(const Value& a0, const Value& b0) {
  if (a0.kind == Kind::Element && b0.kind == Kind::Element) {
    const core::Element* x = a0.element;
    const core::Element* y = b0.element;
    if (x == y) return true;
    if (!x->isPrimitive() && !y->isPrimitive()) return deepEqual(x, y, true);
    if (x->isPrimitive() != y->isPrimitive()) return false;
  }
  if (a0.kind == Kind::Quantity || b0.kind == Kind::Quantity) {
    auto qa = asQuantity(a0);
    auto qb = asQuantity(b0);
    if (!qa || !qb) return false;
    return equivalentQuantities(*qa, *qb);
  }
  auto a = toSystem(a0);
  auto b = toSystem(b0);
  if (!a || !b) return !a && !b;
  if (isNumber(*a) && isNumber(*b)) {
    Decimal x = numberOf(*a), y = numberOf(*b);
    int digits = std::min(x.scale(), y.scale());
    return Decimal::compare(x.roundHalfUp(digits), y.roundHalfUp(digits)) == 0;
  }
  if (isTemporal(*a) && isTemporal(*b)) {
    if ((a->kind == Kind::Time) != (b->kind == Kind::Time)) return false;
    return equivalentTemporal(a->temporal, b->temporal, a->kind == Kind::Time);
  }
  if (a->kind != b->kind) return false;
  switch (a->kind) {
    case Kind::Boolean: return a->boolean == b->boolean;
    case Kind::String: return equivalentStrings(a->string(), b->string());
    case Kind::Type: return a->type->name() == b->type->name();
    default: return false;
  }
}

std::optional<int> Engine::compareItems(const Node* n, const Value& a0, const Value& b0) {
  if (a0.kind == Kind::Quantity || b0.kind == Kind::Quantity) {
    auto qa = asQuantity(a0);
    auto qb = asQuantity(b0);
    if (!qa || !qb) fail(n, "cannot compare a quantity with something else");
    auto c = compareQuantities(*qa, *qb);
    if (!c) return std::nullopt;
    return c;
  }
  std::optional<Value> a = a0, b = b0;
  if (a0.kind == Kind::Element) {
    if (auto q = asQuantity(a0))
      return compareItems(n, makeQuantity(q->value, q->unit, q->calendar), b0);
    a = toSystem(a0);
  }
  if (b0.kind == Kind::Element) {
    if (auto q = asQuantity(b0))
      return compareItems(n, a0, makeQuantity(q->value, q->unit, q->calendar));
    b = toSystem(b0);
  }
  if (!a || !b) return std::nullopt;
  if (isNumber(*a) && isNumber(*b)) {
    if (a->kind == Kind::Integer && b->kind == Kind::Integer) {
      return a->integer < b->integer ? -1 : (a->integer > b->integer ? 1 : 0);
    }
    return Decimal::compare(numberOf(*a), numberOf(*b));
  }
  if (isTemporal(*a) && isTemporal(*b) && (a->kind == Kind::Time) == (b->kind == Kind::Time)) {
    return compareTemporal(a->temporal, b->temporal, a->kind == Kind::Time);
  }
  if (a->kind == Kind::String && b->kind == Kind::String) {
    int c = a->string().compare(b->string());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  fail(n, "cannot compare " + typeNameForOutput(*a) + " with " + typeNameForOutput(*b));
}

std::optional<bool> Engine::equalCollections(const Coll& a, const Coll& b) {
  if (a.empty() || b.empty()) return std::nullopt;
  if (a.size != b.size) return false;
  bool unknown = false;
  for (uint32_t i = 0; i < a.size; ++i) {
    auto e = equalItems(a[i], b[i]);
    if (!e) {
      unknown = true;
      continue;
    }
    if (!*e) return false;
  }
  if (unknown) return std::nullopt;
  return true;
}

bool Engine::equivalentCollections(const Coll& a, const Coll& b) {
  if (a.size != b.size) return false;
  if (a.empty()) return true;
  // Order does not matter for equivalence.
  Arena::Mark m = arena_.mark();
  bool* used = arena_.allocateArray<bool>(b.size);
  std::fill(used, used + b.size, false);
  bool ok = true;
  for (uint32_t i = 0; i < a.size && ok; ++i) {
    bool found = false;
    for (uint32_t j = 0; j < b.size; ++j) {
      if (!used[j] && equivalentItems(a[i], b[j])) {
        used[j] = true;
        found = true;
        break;
      }
    }
    ok = found;
  }
  arena_.rewind(m);
  return ok;
}

bool Engine::containsItem(const Coll& c, const Value& v) {
  for (const Value& x : c) {
    auto e = equalItems(x, v);
    if (e && *e) return true;
  }
  return false;
}

namespace {

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

// A hash of a complex element's content, consistent with deepEqual (names and values).
uint64_t contentHash(const core::Element* e, int& budget) {
  uint64_t h = e->hasValue() ? std::hash<std::string_view>{}(e->value()) : 7;
  for (const core::Element* c = e->firstChild(); c != nullptr && budget > 0; c = c->nextSibling()) {
    --budget;
    h = mix(h, std::hash<std::string_view>{}(c->name()));
    h = mix(h, contentHash(c, budget));
  }
  return h;
}

}  // namespace

// Consistent with equalItems: items that may be equal hash alike.
uint64_t Engine::hashItem(const Value& v) {
  if (v.kind == Kind::Element && !v.element->isPrimitive()) {
    if (derivesFromName(v.element->type(), "Quantity", *types_)) return 11;
    int budget = 64;
    return contentHash(v.element, budget);
  }
  auto s = toSystem(v);
  if (!s) return 0;
  switch (s->kind) {
    case Kind::String: return std::hash<std::string_view>{}(s->string());
    case Kind::Boolean: return s->boolean ? 2 : 3;
    case Kind::Integer:
    case Kind::Decimal: {
      Decimal d = numberOf(*s).normalized();
      return mix(static_cast<uint64_t>(d.mantissa()), static_cast<uint64_t>(d.scale()));
    }
    case Kind::Date:
    case Kind::DateTime: return 13;  // time zones make equal values differ in every field
    case Kind::Time: return mix(17, s->temporal.hour);
    case Kind::Type: return std::hash<std::string_view>{}(s->type->name());
    default: return 19;
  }
}

DistinctSet::DistinctSet(Engine& e, Coll& out, uint32_t start) : e_(e), out_(out), start_(start) {
  const uint32_t n = out.size - start;
  uint32_t cap = 64;
  while (cap < 2 * n + 2) cap *= 2;
  hashCap_ = cap;
  hashes_ = e_.arena().allocateArray<uint64_t>(hashCap_);
  for (uint32_t i = 0; i < n; ++i) hashes_[i] = e_.hashItem(out_.data[start_ + i]);
  rehash(cap);
}

void DistinctSet::rehash(uint32_t cap) {
  cap_ = cap;
  slots_ = e_.arena().allocateArray<uint32_t>(cap_);
  std::fill(slots_, slots_ + cap_, UINT32_MAX);
  for (uint32_t i = 0; start_ + i < out_.size; ++i) {
    uint32_t s = static_cast<uint32_t>(hashes_[i]) & (cap_ - 1);
    while (slots_[s] != UINT32_MAX) s = (s + 1) & (cap_ - 1);
    slots_[s] = i;
  }
}

bool DistinctSet::add(const Value& v) {
  const uint64_t h = e_.hashItem(v);
  uint32_t s = static_cast<uint32_t>(h) & (cap_ - 1);
  for (; slots_[s] != UINT32_MAX; s = (s + 1) & (cap_ - 1)) {
    const uint32_t j = slots_[s];
    if (hashes_[j] != h) continue;
    const Value& x = out_.data[start_ + j];
    if (x.kind == Kind::Element && v.kind == Kind::Element && x.element == v.element) return false;
    auto eq = e_.equalItems(x, v);
    if (eq && *eq) return false;
  }
  const uint32_t index = out_.size - start_;
  e_.push(out_, v);
  if (index >= hashCap_) {
    uint64_t* bigger = e_.arena().allocateArray<uint64_t>(hashCap_ * 2);
    std::copy(hashes_, hashes_ + hashCap_, bigger);
    hashes_ = bigger;
    hashCap_ *= 2;
  }
  hashes_[index] = h;
  if (2 * (index + 1) > cap_) {
    rehash(cap_ * 2);
  } else {
    slots_[s] = index;
  }
  return true;
}

void Engine::distinctInto(const Coll& in, Coll& out, uint32_t start) {
  if (in.size + (out.size - start) > 24) {
    DistinctSet set(*this, out, start);
    for (const Value& v : in) set.add(v);
    return;
  }
  for (const Value& v : in) {
    bool dup = false;
    for (uint32_t i = start; i < out.size; ++i) {
      const Value& x = out.data[i];
      if (x.kind == Kind::Element && v.kind == Kind::Element && x.element == v.element) {
        dup = true;
        break;
      }
      auto e = equalItems(x, v);
      if (e && *e) {
        dup = true;
        break;
      }
    }
    if (!dup) push(out, v);
  }
}

namespace {

std::optional<CalendarUnit> durationUnit(const Quantity& q) {
  if (auto c = calendarKeyword(q.unit)) return c;  // also quoted: 'month'
  return ucumCalendarUnit(q.unit);
}

// The unit of a product or quotient of two quantities.
std::string combineUnits(std::string_view a, std::string_view b, char op) {
  auto wrap = [](std::string_view u) {
    std::string s(u);
    if (s.find('/') != std::string::npos || s.find('.') != std::string::npos) s = "(" + s + ")";
    return s;
  };
  if (b == "1") return std::string(a);
  if (a == "1") return op == '.' ? std::string(b) : "/" + wrap(b);
  return wrap(a) + op + wrap(b);
}

void integerArithmetic(Engine& e, const Node* n, int64_t a, int64_t b, Coll& out) {
  int64_t r = 0;
  switch (n->op) {
    case BinOp::Add:
      if (__builtin_add_overflow(a, b, &r)) e.fail(n, "integer overflow");
      break;
    case BinOp::Sub:
      if (__builtin_sub_overflow(a, b, &r)) e.fail(n, "integer overflow");
      break;
    case BinOp::Mul:
      if (__builtin_mul_overflow(a, b, &r)) e.fail(n, "integer overflow");
      break;
    case BinOp::IntDiv:
      if (b == 0) return;
      r = a / b;
      break;
    case BinOp::Mod:
      if (b == 0) return;
      r = a % b;
      break;
    default: break;
  }
  e.push(out, Value::ofInteger(r));
}

// Two numbers, at least one a Decimal, or two Integers divided with '/': a Decimal (an Integer
// for div); division by zero gives empty.
void decimalArithmetic(Engine& e, const Node* n, const Decimal& x, const Decimal& y, Coll& out) {
  std::optional<Decimal> r;
  switch (n->op) {
    case BinOp::Add: r = Decimal::add(x, y); break;
    case BinOp::Sub: r = Decimal::sub(x, y); break;
    case BinOp::Mul: r = Decimal::mul(x, y); break;
    case BinOp::Div:
      if (y.isZero()) return;
      r = Decimal::div(x, y);
      break;
    case BinOp::IntDiv:
      if (y.isZero()) return;
      r = Decimal::intDiv(x, y);
      if (r) {
        auto i = r->toInt64();
        if (!i) e.fail(n, "integer overflow");
        e.push(out, Value::ofInteger(*i));
        return;
      }
      break;
    case BinOp::Mod:
      if (y.isZero()) return;
      r = Decimal::mod(x, y);
      break;
    default: break;
  }
  if (!r) e.fail(n, "decimal overflow");
  e.push(out, Value::ofDecimal(*r));
}

// A date, date-time or time plus or minus a duration, in whole units (the UCUM 'a' and 'mo',
// which are not calendar years and months, are refused).
void temporalArithmetic(Engine& e, const Node* n, const Value& a, const Quantity& q, Coll& out) {
  auto unit = durationUnit(q);
  if (!unit || (!q.calendar && !calendarKeyword(q.unit) && (q.unit == "a" || q.unit == "mo"))) {
    e.fail(n, "cannot add a quantity in '" + std::string(q.unit) + "' to a date/time");
  }
  auto whole = q.value.truncated(0).toInt64();
  if (!whole) e.fail(n, "duration out of range");
  int64_t amount = n->op == BinOp::Add ? *whole : -*whole;
  auto r = addToTemporal(a.temporal, a.temporalKind(), amount, *unit);
  if (!r) e.fail(n, "date/time out of range");
  e.push(out, Value::ofTemporal(a.kind, *r));
}

// Quantities (a number counts as a quantity of unit '1'): + and - in the left operand's unit
// (empty when the units are not comparable), * and / with the units combined.
void quantityArithmetic(Engine& e, const Node* n, const Value& a, const Value& b, Coll& out) {
  const BinOp op = n->op;
  if ((a.kind != Kind::Quantity && !isNumber(a)) || (b.kind != Kind::Quantity && !isNumber(b))) {
    e.fail(n, "arithmetic on " + typeNameForOutput(a) + " and " + typeNameForOutput(b));
  }
  Quantity qa = a.kind == Kind::Quantity ? *a.quantity : Quantity{numberOf(a), "1", false};
  Quantity qb = b.kind == Kind::Quantity ? *b.quantity : Quantity{numberOf(b), "1", false};
  std::string_view ua = qa.calendar ? calendarToUcum(qa.unit) : qa.unit;
  std::string_view ub = qb.calendar ? calendarToUcum(qb.unit) : qb.unit;
  if (op == BinOp::Add || op == BinOp::Sub) {
    if (a.kind != Kind::Quantity || b.kind != Kind::Quantity) {
      e.fail(n, "cannot add a number and a quantity");
    }
    Decimal bv = qb.value;
    if (ua != ub) {
      auto conv = conformance::ucum::convert(qb.value.toLongDouble(), ub, ua);
      if (!conv) return;  // not comparable units: empty
      auto d = Decimal::fromDouble(static_cast<double>(*conv));
      if (!d) return;
      bv = *d;
    }
    auto r = op == BinOp::Add ? Decimal::add(qa.value, bv) : Decimal::sub(qa.value, bv);
    if (!r) e.fail(n, "decimal overflow");
    e.push(out, e.makeQuantity(*r, qa.unit, qa.calendar));
    return;
  }
  if (op == BinOp::Mul || op == BinOp::Div) {
    auto r = op == BinOp::Mul ? Decimal::mul(qa.value, qb.value) : Decimal::div(qa.value, qb.value);
    if (!r) {
      if (op == BinOp::Div && qb.value.isZero()) return;
      e.fail(n, "decimal overflow");
    }
    std::string unit = combineUnits(ua, ub, op == BinOp::Mul ? '.' : '/');
    if (op == BinOp::Div && ua == ub) unit = "1";
    e.push(out, e.makeQuantity(*r, e.arena().copy(unit), false));
    return;
  }
  e.fail(n, "operator not defined for quantities");
}

// + - * / div mod on single items; empty when either side is empty.
void arithmetic(Engine& e, const Node* n, const Frame& f, Coll& out) {
  Coll lc = e.evalArg(n->base, f);
  Coll rc = e.evalArg(n->rhs, f);
  auto lv = e.single(n, lc);
  auto rv = e.single(n, rc);
  if (!lv || !rv) return;
  const Value a = *lv, b = *rv;
  const BinOp op = n->op;
  if (a.kind == Kind::Element || b.kind == Kind::Element) {
    e.fail(n, "arithmetic on " + typeNameForOutput(a) + " and " + typeNameForOutput(b));
  }
  if (a.kind == Kind::Integer && b.kind == Kind::Integer && op != BinOp::Div) {
    integerArithmetic(e, n, a.integer, b.integer, out);
  } else if (isNumber(a) && isNumber(b)) {
    decimalArithmetic(e, n, numberOf(a), numberOf(b), out);
  } else if (a.kind == Kind::String && b.kind == Kind::String && op == BinOp::Add) {
    std::string s(a.string());
    s += b.string();
    e.push(out, e.makeString(s));
  } else if (isTemporal(a) && b.kind == Kind::Quantity && (op == BinOp::Add || op == BinOp::Sub)) {
    temporalArithmetic(e, n, a, *b.quantity, out);
  } else if (a.kind == Kind::Quantity || b.kind == Kind::Quantity) {
    quantityArithmetic(e, n, a, b, out);
  } else {
    e.fail(n, "operator not defined for " + typeNameForOutput(a) + " and " + typeNameForOutput(b));
  }
}

}  // namespace

void Engine::evalBinary(const Node* n, const Frame& f, Coll& out) {
  // and, or, implies: a left operand equal to decisiveLeft, or else a right one equal to
  // decisiveRight, gives `decided` (the right side is evaluated only when the left one did not
  // decide); two other known operands give !decided, and an unknown one empty.
  auto logical = [&](bool decisiveLeft, bool decisiveRight, bool decided) {
    auto l = toBoolean(n, evalArg(n->base, f));
    if (l && *l == decisiveLeft) {
      push(out, Value::ofBoolean(decided));
      return;
    }
    auto r = toBoolean(n, evalArg(n->rhs, f));
    if (r && *r == decisiveRight) {
      push(out, Value::ofBoolean(decided));
    } else if (l && r) {
      push(out, Value::ofBoolean(!decided));
    }
  };
  switch (n->op) {
    case BinOp::And: return logical(false, false, false);
    case BinOp::Or: return logical(true, true, true);
    case BinOp::Xor: {
      auto l = toBoolean(n, evalArg(n->base, f));
      auto r = toBoolean(n, evalArg(n->rhs, f));
      if (l && r) push(out, Value::ofBoolean(*l != *r));
      return;
    }
    case BinOp::Implies: return logical(false, true, true);
    case BinOp::Union: {
      Coll l = evalArg(n->base, f);
      Coll r = evalArg(n->rhs, f);
      const uint32_t start = out.size;
      distinctInto(l, out, start);
      distinctInto(r, out, start);
      return;
    }
    case BinOp::Eq:
    case BinOp::Ne: {
      Coll l = evalArg(n->base, f);
      Coll r = evalArg(n->rhs, f);
      auto e = equalCollections(l, r);
      if (e) push(out, Value::ofBoolean(n->op == BinOp::Eq ? *e : !*e));
      return;
    }
    case BinOp::Equiv:
    case BinOp::NotEquiv: {
      Coll l = evalArg(n->base, f);
      Coll r = evalArg(n->rhs, f);
      bool e = equivalentCollections(l, r);
      push(out, Value::ofBoolean(n->op == BinOp::Equiv ? e : !e));
      return;
    }
    case BinOp::In:
    case BinOp::Contains: {
      Coll l = evalArg(n->base, f);
      Coll r = evalArg(n->rhs, f);
      const Coll& item = n->op == BinOp::In ? l : r;
      const Coll& coll = n->op == BinOp::In ? r : l;
      if (item.empty()) return;
      if (item.size > 1) fail(n, "membership needs a single item on one side");
      push(out, Value::ofBoolean(containsItem(coll, item[0])));
      return;
    }
    case BinOp::Lt:
    case BinOp::Gt:
    case BinOp::Le:
    case BinOp::Ge: {
      Coll l = evalArg(n->base, f);
      Coll r = evalArg(n->rhs, f);
      if (l.empty() || r.empty()) return;
      if (l.size > 1 || r.size > 1) fail(n, "comparison needs single items");
      auto c = compareItems(n, l[0], r[0]);
      if (!c) return;
      bool res = n->op == BinOp::Lt   ? *c < 0
                 : n->op == BinOp::Gt ? *c > 0
                 : n->op == BinOp::Le ? *c <= 0
                                      : *c >= 0;
      push(out, Value::ofBoolean(res));
      return;
    }
    case BinOp::Concat: {
      Coll l = evalArg(n->base, f);
      Coll r = evalArg(n->rhs, f);
      auto ls = singleString(n, l);
      auto rs = singleString(n, r);
      std::string s(ls.value_or(std::string_view()));
      s += rs.value_or(std::string_view());
      push(out, makeString(s));
      return;
    }
    default: break;
  }
  arithmetic(*this, n, f, out);
}

}  // namespace trialbridge::fhirpath
