// Collection functions: existence, filtering and projection, subsetting, combining, aggregate
// and sort (FHIRPath N1 sections 5.1-5.4 and 7).
#include <algorithm>

#include "fhirpath/functions.h"
#include "fhirpath/types.h"

namespace trialbridge::fhirpath {

namespace {

// A boolean, System or FHIR; false if `v` is not one.
bool isBooleanItem(const Value& v, bool& out) {
  if (v.kind == Kind::Boolean) {
    out = v.boolean;
    return true;
  }
  if (v.kind == Kind::Element && v.element->isPrimitive() &&
      systemTypeOf(v.element->type()) == SystemType::Boolean && v.element->hasValue()) {
    out = v.element->value() == "true";
    return true;
  }
  return false;
}

// --- existence ---

void empty(Call& c, Coll& out) { c.push(out, Value::ofBoolean(c.in.empty())); }

void exists(Call& c, Coll& out) {
  if (c.args().empty()) {
    c.push(out, Value::ofBoolean(!c.in.empty()));
    return;
  }
  for (uint32_t i = 0; i < c.in.size; ++i) {
    auto b = c.testItem(i);
    if (b && *b) {
      c.push(out, Value::ofBoolean(true));
      return;
    }
  }
  c.push(out, Value::ofBoolean(false));
}

void all(Call& c, Coll& out) {
  for (uint32_t i = 0; i < c.in.size; ++i) {
    auto b = c.testItem(i);
    if (!b || !*b) {
      c.push(out, Value::ofBoolean(false));
      return;
    }
  }
  c.push(out, Value::ofBoolean(true));
}

// allTrue, anyTrue, allFalse, anyFalse: `any` of the items (or all of them) equal to `want`.
template <bool any, bool want>
void booleanQuantifier(Call& c, Coll& out) {
  bool result = !any;
  for (const Value& v : c.in) {
    bool b;
    if (!isBooleanItem(v, b)) c.fail("'" + c.n->name + "' needs booleans");
    if (any && b == want) result = true;
    if (!any && b != want) result = false;
  }
  c.push(out, Value::ofBoolean(result));
}

bool allContained(Engine& e, const Coll& items, const Coll& in) {
  for (const Value& v : items) {
    if (!e.containsItem(in, v)) return false;
  }
  return true;
}

void subsetOf(Call& c, Coll& out) {
  Coll other = c.arg(0);
  c.push(out, Value::ofBoolean(allContained(c.e, c.in, other)));
}

void supersetOf(Call& c, Coll& out) {
  Coll other = c.arg(0);
  c.push(out, Value::ofBoolean(allContained(c.e, other, c.in)));
}

void count(Call& c, Coll& out) { c.push(out, Value::ofInteger(c.in.size)); }

void distinct(Call& c, Coll& out) { c.e.distinctInto(c.in, out, out.size); }

void isDistinct(Call& c, Coll& out) {
  Coll d;
  c.e.distinctInto(c.in, d, 0);
  c.push(out, Value::ofBoolean(d.size == c.in.size));
}

// --- filtering and projection ---

void where(Call& c, Coll& out) {
  for (uint32_t i = 0; i < c.in.size; ++i) {
    auto b = c.testItem(i);
    if (b && *b) c.push(out, c.in[i]);
  }
}

void select(Call& c, Coll& out) {
  for (uint32_t i = 0; i < c.in.size; ++i) c.e.eval(c.args()[0], c.itemFrame(i), out);
}

// Breadth first; an item already found (by equality, elements by identity) is not projected
// again, so cycles end. Bounded, as a projection such as $this + 1 never ends.
void repeat(Call& c, Coll& out) {
  Coll result;
  DistinctSet seen(c.e, result, 0);
  Coll current = c.in;
  constexpr uint32_t kMaxItems = 1000000;
  while (!current.empty()) {
    Coll produced;
    for (uint32_t i = 0; i < current.size; ++i) {
      Frame g;
      g.items = current.data + i;
      g.count = 1;
      g.hasIndex = true;
      g.index = i;
      c.e.eval(c.args()[0], g, produced);
    }
    const uint32_t before = result.size;
    for (const Value& v : produced) seen.add(v);
    if (result.size > kMaxItems) c.fail("repeat() produced too many items");
    current = Coll::view(result.data + before, result.size - before);
  }
  c.e.append(out, result);
}

// --- subsetting ---

void single(Call& c, Coll& out) {
  if (c.in.size > 1) c.fail("single() on " + std::to_string(c.in.size) + " items");
  c.e.append(out, c.in);
}

void first(Call& c, Coll& out) {
  if (!c.in.empty()) c.push(out, c.in[0]);
}

void last(Call& c, Coll& out) {
  if (!c.in.empty()) c.push(out, c.in[c.in.size - 1]);
}

void tail(Call& c, Coll& out) {
  for (uint32_t i = 1; i < c.in.size; ++i) c.push(out, c.in[i]);
}

void skip(Call& c, Coll& out) {
  auto k = c.argInteger(0);
  if (!k) return;
  for (int64_t i = std::max<int64_t>(*k, 0); i < c.in.size; ++i) {
    c.push(out, c.in[static_cast<size_t>(i)]);
  }
}

void take(Call& c, Coll& out) {
  auto k = c.argInteger(0);
  if (!k) return;
  for (int64_t i = 0; i < *k && i < c.in.size; ++i) c.push(out, c.in[static_cast<size_t>(i)]);
}

void intersect(Call& c, Coll& out) {
  Coll other = c.arg(0);
  Coll both;
  for (const Value& v : c.in) {
    if (c.e.containsItem(other, v)) c.push(both, v);
  }
  c.e.distinctInto(both, out, out.size);
}

void exclude(Call& c, Coll& out) {
  Coll other = c.arg(0);
  for (const Value& v : c.in) {
    if (!c.e.containsItem(other, v)) c.push(out, v);
  }
}

// --- combining ---

void unionOf(Call& c, Coll& out) {
  Coll other = c.arg(0);
  const uint32_t start = out.size;
  c.e.distinctInto(c.in, out, start);
  c.e.distinctInto(other, out, start);
}

void combine(Call& c, Coll& out) {
  Coll other = c.arg(0);
  c.e.append(out, c.in);
  c.e.append(out, other);
}

// --- aggregate and sort ---

void aggregate(Call& c, Coll& out) {
  Coll total;
  if (c.args().size() > 1) c.e.eval(c.args()[1], c.f, total);
  for (uint32_t i = 0; i < c.in.size; ++i) {
    Frame g = c.itemFrame(i);
    g.total = &total;
    Coll next;
    c.e.eval(c.args()[0], g, next);
    total = next;
  }
  c.e.append(out, total);
}

// A sort key of one item; an empty key sorts first, whatever the direction.
struct SortKey {
  bool present;
  Value v;
};

// keys[i * stride + k]: key k of item i; without key arguments, the item itself (stride 1).
SortKey* sortKeys(Call& c, uint32_t nkeys) {
  const Coll& in = c.in;
  SortKey* keys = c.e.arena().allocateArray<SortKey>(
      std::max<uint32_t>(1, in.size * std::max<uint32_t>(nkeys, 1)));
  for (uint32_t i = 0; i < in.size; ++i) {
    if (nkeys == 0) {
      auto v = c.e.single(c.n, Coll::view(in.data + i, 1));
      keys[i] = SortKey{v.has_value(), v.value_or(Value())};
      continue;
    }
    for (uint32_t k = 0; k < nkeys; ++k) {
      Coll kc;
      c.e.eval(c.args()[k], c.itemFrame(i), kc);
      auto v = c.e.single(c.args()[k], kc);
      keys[i * nkeys + k] = SortKey{v.has_value(), v.value_or(Value())};
    }
  }
  return keys;
}

void sort(Call& c, Coll& out) {
  const Coll& in = c.in;
  const uint32_t nkeys = static_cast<uint32_t>(c.args().size());
  const SortKey* keys = sortKeys(c, nkeys);
  uint32_t* order = c.e.arena().allocateArray<uint32_t>(std::max<uint32_t>(1, in.size));
  for (uint32_t i = 0; i < in.size; ++i) order[i] = i;
  const uint32_t stride = std::max<uint32_t>(nkeys, 1);
  std::stable_sort(order, order + in.size, [&](uint32_t x, uint32_t y) {
    for (uint32_t k = 0; k < stride; ++k) {
      const SortKey& a = keys[x * stride + k];
      const SortKey& b = keys[y * stride + k];
      const bool desc = nkeys > 0 && c.args()[k]->descending;
      if (!a.present || !b.present) {
        if (a.present != b.present) return !a.present;
        continue;
      }
      const int r = c.e.compareItems(c.n, a.v, b.v).value_or(0);
      if (r != 0) return desc ? r > 0 : r < 0;
    }
    return false;
  });
  for (uint32_t i = 0; i < in.size; ++i) c.push(out, in[order[i]]);
}

using namespace rows;

constexpr FunctionSpec kCollections[] = {
    {"empty", Fn::Empty, 0, 0, {V, V, V}, R::Boolean, Any, empty},
    {"exists", Fn::Exists, 0, 1, {L, V, V}, R::Boolean, Any, exists},
    {"all", Fn::All, 1, 1, {L, V, V}, R::Boolean, Any, all},
    {"allTrue", Fn::AllTrue, 0, 0, {V, V, V}, R::Boolean, Any, booleanQuantifier<false, true>},
    {"anyTrue", Fn::AnyTrue, 0, 0, {V, V, V}, R::Boolean, Any, booleanQuantifier<true, true>},
    {"allFalse", Fn::AllFalse, 0, 0, {V, V, V}, R::Boolean, Any, booleanQuantifier<false, false>},
    {"anyFalse", Fn::AnyFalse, 0, 0, {V, V, V}, R::Boolean, Any, booleanQuantifier<true, false>},
    {"subsetOf", Fn::SubsetOf, 1, 1, {V, V, V}, R::Boolean, Any, subsetOf},
    {"supersetOf", Fn::SupersetOf, 1, 1, {V, V, V}, R::Boolean, Any, supersetOf},
    {"count", Fn::Count, 0, 0, {V, V, V}, R::Integer, Any, count},
    {"distinct", Fn::Distinct, 0, 0, {V, V, V}, R::Input, Any, distinct},
    {"isDistinct", Fn::IsDistinct, 0, 0, {V, V, V}, R::Boolean, Any, isDistinct},
    {"where", Fn::Where, 1, 1, {L, V, V}, R::Input, Any, where},
    {"select", Fn::Select, 1, 1, {L, V, V}, R::Computed, Any, select},
    {"repeat", Fn::Repeat, 1, 1, {L, V, V}, R::Computed, Any, repeat},
    {"single", Fn::Single, 0, 0, {V, V, V}, R::OrderedInput, Any, single},
    {"first", Fn::First, 0, 0, {V, V, V}, R::OrderedInput, Any, first},
    {"last", Fn::Last, 0, 0, {V, V, V}, R::OrderedInput, Any, last},
    {"tail", Fn::Tail, 0, 0, {V, V, V}, R::OrderedInput, Any, tail},
    {"skip", Fn::Skip, 1, 1, {V, V, V}, R::OrderedInput, Any, skip},
    {"take", Fn::Take, 1, 1, {V, V, V}, R::OrderedInput, Any, take},
    {"intersect", Fn::Intersect, 1, 1, {V, V, V}, R::Input, Any, intersect},
    {"exclude", Fn::Exclude, 1, 1, {V, V, V}, R::Input, Any, exclude},
    {"union", Fn::Union, 1, 1, {V, V, V}, R::Computed, Any, unionOf},
    {"combine", Fn::Combine, 1, 1, {V, V, V}, R::Computed, Any, combine},
    {"aggregate", Fn::Aggregate, 1, 2, {L, V, V}, R::Unknown, Any, aggregate},
    {"sort", Fn::Sort, 0, 8, {L, L, L}, R::Computed, Any, sort},
};

}  // namespace

std::span<const FunctionSpec> collectionFunctions() { return kCollections; }

}  // namespace trialbridge::fhirpath
