#pragma once
// The evaluator's internals: collections in the arena, frames ($this, $index, $total), and the
// Engine that walks a compiled tree. Internal to adapter/fhirpath.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "fhirpath/arena.h"
#include "fhirpath/ast.h"
#include "fhirpath/fhirpath.h"

namespace trialbridge::fhirpath {

struct Expression::Compiled {
  NodePool pool;
  Node* root = nullptr;
};

// A collection of values in the arena (or a view of values elsewhere when cap == 0).
struct Coll {
  Value* data = nullptr;
  uint32_t size = 0;
  uint32_t cap = 0;

  bool empty() const { return size == 0; }
  const Value* begin() const { return data; }
  const Value* end() const { return data + size; }
  const Value& operator[](size_t i) const { return data[i]; }
  static Coll view(const Value* items, size_t n) {
    Coll c;
    c.data = const_cast<Value*>(items);
    c.size = static_cast<uint32_t>(n);
    return c;
  }
};

struct Frame {
  const Value* items = nullptr;  // $this: the implicit input of path heads
  uint32_t count = 0;
  bool hasIndex = false;
  int64_t index = 0;
  const Coll* total = nullptr;  // $total in aggregate()
};

// Thrown inside the engine for evaluation errors; caught at the API boundary.
struct EvalFailure {
  std::string message;
  uint32_t pos = 0;
};

class Engine {
 public:
  Engine() : arena_(16 * 1024) {}

  // Evaluates `expr` over `context`; results in `out`. Throws EvalFailure.
  void run(const Expression& expr, std::span<const Value> context, const Environment& env,
           Coll& out);
  Arena& arena() { return arena_; }

  // --- used by the functions (functions*.cc) and evaluator.cc ---
  void eval(const Node* n, const Frame& f, Coll& out);
  void push(Coll& c, const Value& v) {
    if (c.size == c.cap) grow(c, c.size + 1);
    c.data[c.size++] = v;
  }
  void append(Coll& c, const Coll& from) {
    if (c.size + from.size > c.cap) grow(c, c.size + from.size);
    for (uint32_t i = 0; i < from.size; ++i) c.data[c.size++] = from.data[i];
  }
  void grow(Coll& c, uint32_t need);
  [[noreturn]] void fail(const Node* n, std::string message) const;

  // Input of a path step: the base's value, or $this at the head of a path.
  Coll input(const Node* n, const Frame& f);
  Coll evalArg(const Node* n, const Frame& f) {
    Coll c;
    eval(n, f, c);
    return c;
  }

  // Singleton evaluation of collections.
  std::optional<bool> toBoolean(const Node* n, const Coll& c);  // empty -> nullopt
  std::optional<Value> single(const Node* n, const Coll& c);    // >1 -> error, converted to System
  std::optional<std::string_view> singleString(const Node* n, const Coll& c);
  std::optional<int64_t> singleInteger(const Node* n, const Coll& c);

  // Equality / equivalence / ordering of items (System-converted as needed).
  std::optional<bool> equalItems(const Value& a, const Value& b);
  bool equivalentItems(const Value& a, const Value& b);
  std::optional<int> compareItems(const Node* n, const Value& a, const Value& b);
  // Collection equality (= semantics), nullopt if either side is empty.
  std::optional<bool> equalCollections(const Coll& a, const Coll& b);
  bool equivalentCollections(const Coll& a, const Coll& b);
  bool containsItem(const Coll& c, const Value& v);  // by equality
  uint64_t hashItem(const Value& v);                 // equal items hash alike
  // Appends the items of `in` that are not already in out[start...] (by equality).
  void distinctInto(const Coll& in, Coll& out, uint32_t start);

  Value makeString(std::string_view s) {
    if (s.size() > (size_t{64} << 20)) fail(nullptr, "string too long (more than 64 MiB)");
    return Value::ofString(arena_.copy(s));
  }
  Value makeQuantity(const Decimal& d, std::string_view unit, bool calendar);
  std::optional<Quantity> asQuantity(const Value& v);

  void callFunction(const Node* n, const Frame& f, Coll& out);
  void evalBinary(const Node* n, const Frame& f, Coll& out);

  const core::TypeResolver& types() const { return *types_; }
  const Environment& env() const { return *env_; }
  const conformance::Context& conformance() const;

  const core::Element* resourceOf(const core::Element* e) const;
  const core::Element* rootResourceOf(const core::Element* e) const;

 private:
  void navigate(const Value& item, const Node* n, Coll& out);
  // The property a member node names on a type, cached per engine (one engine per thread).
  const core::PropertyInfo* propertyFor(const Node* n, const core::TypeInfo& type);

  struct PropertyCacheEntry {
    uint64_t node = 0;  // Node::uid
    const core::TypeInfo* type = nullptr;
    const core::PropertyInfo* property = nullptr;
  };
  static constexpr size_t kPropertyCacheSize = 1024;
  PropertyCacheEntry propertyCache_[kPropertyCacheSize];
  void evalVariable(const Node* n, const Frame& f, Coll& out);

  Arena arena_;
  const Environment* env_ = nullptr;
  const core::TypeResolver* types_ = nullptr;
  std::span<const Value> context_;
};

// A growing set of the distinct items of out[start...], by FHIRPath equality (hashed), for
// distinct(), union and repeat().
class DistinctSet {
 public:
  DistinctSet(Engine& e, Coll& out, uint32_t start);
  // Appends v to out unless an equal item is already there; true if appended.
  bool add(const Value& v);

 private:
  void rehash(uint32_t cap);

  Engine& e_;
  Coll& out_;
  uint32_t start_;
  uint32_t* slots_ = nullptr;  // indexes into out_, UINT32_MAX when free
  uint32_t cap_ = 0;
  uint64_t* hashes_ = nullptr;  // hash of out_[start_ + i]
  uint32_t hashCap_ = 0;
};

}  // namespace trialbridge::fhirpath
