#pragma once
// The function library: one table row per function (name, id, arity, which arguments are
// evaluated per input item rather than once, the static type of the result, and the code that
// runs it). The rows live beside their code, one family per file (functions_<family>.cc); the
// registry in functions.cc joins the families. The compiler binds each function node to its row
// once, so a call costs one indirect call, no lookup. Internal to adapter/fhirpath.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fhirpath/ast.h"
#include "fhirpath/engine.h"

namespace trialbridge::fhirpath {

enum class ArgMode : uint8_t {
  Value,   // evaluated once, in the context of the expression that calls the function
  Lambda,  // evaluated for each input item, with $this (and $index) bound to it
  Type,    // a type specifier (is, as, ofType)
};

// The static type of a function's result, for the compiler's checks.
enum class ResultType : uint8_t {
  Unknown,
  Boolean,
  Integer,
  Decimal,
  String,
  Date,
  DateTime,
  Time,
  Quantity,
  Input,         // the input's type
  OrderedInput,  // the input's type; the input must be ordered (first(), skip()...)
  Computed,      // worked out by the compiler from the arguments or the type named (select, as)
};

// What the function needs of its input at compile time.
enum class InputCheck : uint8_t {
  Any,
  String,  // a compile error when the input can never be a string
};

// One call being evaluated, as a function's code sees it: the node (id, name as written,
// arguments), the caller's frame, and the input (the base's value, or $this at the head of a
// path), evaluated once before the function runs. Errors go through fail(), with the node's
// position.
struct Call {
  Engine& e;
  const Node* n;
  const Frame& f;
  Coll in;

  Fn fn() const { return n->fn; }
  const std::vector<Node*>& args() const { return n->args; }
  [[noreturn]] void fail(std::string message) const { e.fail(n, std::move(message)); }
  void push(Coll& out, const Value& v) const { e.push(out, v); }

  // The frame of a lambda argument on in[i]: $this = in[i], $index = i, $total kept.
  Frame itemFrame(uint32_t i) const {
    Frame g;
    g.items = in.data + i;
    g.count = 1;
    g.hasIndex = true;
    g.index = i;
    g.total = f.total;
    return g;
  }
  // Argument 0, a lambda, as a boolean on in[i]; the arena space it used is given back.
  std::optional<bool> testItem(uint32_t i) const {
    Arena::Mark m = e.arena().mark();
    Coll c;
    e.eval(n->args[0], itemFrame(i), c);
    auto b = e.toBoolean(n->args[0], c);
    e.arena().rewind(m);
    return b;
  }

  // Argument i, a value argument, evaluated in the caller's frame.
  Coll arg(size_t i) const { return e.evalArg(n->args[i], f); }
  std::optional<Value> argSingle(size_t i) const { return e.single(n->args[i], arg(i)); }
  std::optional<std::string_view> argString(size_t i) const {
    return e.singleString(n->args[i], arg(i));
  }
  std::optional<int64_t> argInteger(size_t i) const { return e.singleInteger(n->args[i], arg(i)); }

  std::optional<Value> inputSingle() const { return e.single(n, in); }
  std::optional<std::string_view> inputString() const { return e.singleString(n, in); }
};

// Runs a call; results are appended to `out`.
using FunctionImpl = void (*)(Call& call, Coll& out);

struct FunctionSpec {
  std::string_view name;
  Fn fn;
  uint8_t minArgs;
  uint8_t maxArgs;
  ArgMode modes[3];  // per argument (the last one repeats for sort)
  ResultType result;
  InputCheck input;
  FunctionImpl impl;
};

// The row of a function by name (as written in expressions), nullptr if there is none.
const FunctionSpec* findFunction(std::string_view name);
// The row of a function by id, nullptr for Fn::Unknown and ids with no function.
const FunctionSpec* functionSpec(Fn fn);
// Every row, each family's in turn (a name may be an alias of another row's id).
std::vector<const FunctionSpec*> allFunctions();

// A regular expression compiled once for a literal pattern (stored in Node::compiled); `full`
// anchors it at both ends (matchesFull).
std::shared_ptr<const void> precompileRegex(const std::string& pattern, bool full);

// The families, each defined in its functions_<family>.cc.
std::span<const FunctionSpec> collectionFunctions();  // existence, filtering, subsetting,
                                                      // combining, aggregate, sort
std::span<const FunctionSpec> conversionFunctions();  // iif, toX/convertsToX, is/as/ofType/type
std::span<const FunctionSpec> stringFunctions();      // strings, regular expressions, encodings
std::span<const FunctionSpec> mathFunctions();
std::span<const FunctionSpec> utilityFunctions();  // tree navigation, trace, clock, boundaries,
                                                   // precision, comparable, not
std::span<const FunctionSpec> fhirFunctions();     // FHIR's additions (extension, resolve...)

// Short names for the families' table rows.
namespace rows {
constexpr ArgMode V = ArgMode::Value;
constexpr ArgMode L = ArgMode::Lambda;
constexpr ArgMode T = ArgMode::Type;
using R = ResultType;
constexpr InputCheck Any = InputCheck::Any;
constexpr InputCheck Str = InputCheck::String;
}  // namespace rows

}  // namespace trialbridge::fhirpath
