#pragma once
// FHIRPath (http://hl7.org/fhirpath, N1 2.0 as FHIR R4 uses it, plus the FHIR-specific
// functions): compile an expression once, evaluate it many times, from any number of threads.
//
//   auto compiled = fhirpath::compile("name.where(use = 'official').given.first()");
//   if (!compiled) { report(compiled.error()); }
//   fhirpath::Evaluation eval;                       // one per thread; reusable
//   if (eval.run(*compiled.expression(), patientRoot)) for (const Value& v : eval.results()) ...
//
// Compiling parses (a hand-written lexer and precedence-climbing parser), binds functions and
// type names, and, when the static type of the context is given, checks paths and argument
// types against the FHIR model (FHIRPath "semantic" errors). Evaluation works on the element
// model (core::Element) without copying it; collections and intermediate values live in the
// Evaluation's arena, so a warm Evaluation allocates nothing on the heap for common expressions.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/element.h"
#include "core/type_info.h"
#include "fhirpath/value.h"

namespace trialbridge::conformance {
class Context;
class Terminology;
}  // namespace trialbridge::conformance

namespace trialbridge::fhirpath {

// The three ways an expression can fail, as the official test suite names them.
enum class ErrorKind : uint8_t {
  Syntax,     // the text is not FHIRPath
  Semantic,   // well-formed, but wrong for the types (unknown element, function misuse)
  Execution,  // failed while evaluating (a singleton expected, incompatible operands...)
};
std::string_view errorKindName(ErrorKind k);  // "syntax", "semantic", "execution"

struct Error {
  ErrorKind kind = ErrorKind::Execution;
  std::string message;
  uint32_t offset = 0;  // 0-based offset in the expression text
  uint32_t line = 1;    // 1-based line and column of `offset`
  uint32_t column = 1;
  // "syntax error at 1:7: expected ')'"
  std::string toString() const;
};

struct CompileOptions {
  // Where FHIR type names (is/as/ofType, paths) are looked up; nullptr: the R4 core
  // (conformance::Context::r4()).
  const core::TypeResolver* types = nullptr;
  // Static type of the context item ("Patient", "Patient.contact", "HumanName"). When set,
  // paths are checked against the model and some type errors are found at compile time
  // (ErrorKind::Semantic). Empty: the type is unknown and nothing is checked.
  std::string contextType;
  // Reject functions that depend on order (first, skip, [n]...) applied to an unordered
  // collection (children(), descendants()).
  bool checkOrderedFunctions = false;
};

class Expression;

class CompileResult {
 public:
  CompileResult(std::shared_ptr<const Expression> e) : expression_(std::move(e)) {}  // NOLINT
  CompileResult(Error e) : error_(std::move(e)) {}                                   // NOLINT
  explicit operator bool() const { return expression_ != nullptr; }
  const std::shared_ptr<const Expression>& expression() const { return expression_; }
  const Error& error() const { return error_; }

 private:
  std::shared_ptr<const Expression> expression_;
  Error error_;
};

// A compiled expression: immutable, thread-safe to evaluate concurrently.
class Expression {
 public:
  ~Expression();
  const std::string& text() const { return text_; }
  const core::TypeResolver& types() const { return *types_; }

  // Internal representation, for the evaluator.
  struct Compiled;
  const Compiled& compiled() const { return *compiled_; }

 private:
  friend CompileResult compile(std::string_view text, const CompileOptions& options);
  Expression() = default;
  std::string text_;
  const core::TypeResolver* types_ = nullptr;
  std::unique_ptr<Compiled> compiled_;
};

CompileResult compile(std::string_view text, const CompileOptions& options = {});

// Compiled expressions by (text, context type), thread-safe. Validation compiles each invariant
// once per process through the global cache.
class ExpressionCache {
 public:
  ExpressionCache();
  ~ExpressionCache();
  CompileResult get(std::string_view text, const CompileOptions& options = {});
  size_t size() const;
  static ExpressionCache& global();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What an evaluation may consult besides the focus. Everything is optional.
struct Environment {
  // %resource and %rootResource; default: the resource holding the focus, and for a contained
  // resource its container.
  const core::Element* resource = nullptr;
  const core::Element* rootResource = nullptr;
  // Resolves ValueSets (memberOf), profiles (conformsTo) and types; default Context::r4().
  const conformance::Context* context = nullptr;
  // ValueSet expansion for memberOf() and code systems for subsumes(); default: one Terminology
  // per Context, shared by the process.
  const conformance::Terminology* terminology = nullptr;
  // User variables: %name.
  struct Variable {
    std::string name;
    std::vector<Value> values;
  };
  std::vector<Variable> variables;
  // trace(name[, projection]) output; default: nothing is printed.
  std::function<void(std::string_view name, std::span<const Value> values)> trace;
  // resolve() for references outside the resource/Bundle (nullptr result: not found).
  std::function<const core::Element*(std::string_view reference, const core::Element& from)>
      resolveReference;
  // conformsTo(profile) for constraint profiles (the validation layer plugs the validator in);
  // without it only the type is checked. nullopt: the profile is unknown.
  std::function<std::optional<bool>(const core::Element& item, std::string_view profile)>
      conformsTo;
  // as()/ofType on more than one item is an error (FHIRPath); the R4 invariants rely on the
  // older lenient behaviour, which setting this to false gives.
  bool enforceAsSingleton = true;
};

// An evaluation context with its own arena: reuse one per thread. Not thread-safe itself.
class Evaluation {
 public:
  Evaluation();
  ~Evaluation();
  Evaluation(const Evaluation&) = delete;
  Evaluation& operator=(const Evaluation&) = delete;

  // Evaluates `expr` with `focus` as the context item (nullptr: an empty context). Returns false
  // on an evaluation error (see error()). Results stay valid until the next run().
  bool run(const Expression& expr, const core::Element* focus, const Environment& env = {});
  // The same with a context collection of values (which must outlive the results).
  bool run(const Expression& expr, std::span<const Value> context, const Environment& env = {});

  std::span<const Value> results() const;
  const Error& error() const { return error_; }
  // The results as a single boolean: nullopt when empty; true/false for one boolean; a single
  // non-boolean item counts as true (FHIRPath singleton evaluation); several items are an error
  // reported as nullopt with error() set.
  std::optional<bool> boolean();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  Error error_;
};

// One-shot evaluation that owns its results (values point into `arena`).
struct EvalResult {
  std::vector<Value> values;
  std::optional<Error> error;
  std::shared_ptr<void> storage;
};
EvalResult evaluate(const Expression& expr, const core::Element* focus,
                    const Environment& env = {});

// The CLI's output: a JSON array of {"type": T, "value": V}.
std::string resultsToJson(std::span<const Value> values);

}  // namespace trialbridge::fhirpath
