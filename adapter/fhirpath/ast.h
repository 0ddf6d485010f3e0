#pragma once
// The compiled form of a FHIRPath expression: a tree of Nodes built by the parser and annotated
// by the compiler (functions bound, types resolved, static types checked). Immutable once
// compiled; shared by every evaluation. Internal to adapter/fhirpath.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fhirpath/value.h"

namespace trialbridge::fhirpath {

struct FunctionSpec;  // functions.h

enum class NodeKind : uint8_t {
  Literal,   // literal (boolean, string, number, date/time, quantity)
  Empty,     // {}
  This,      // $this
  Index,     // $index
  Total,     // $total
  Variable,  // %name
  Member,    // name (on base, or on $this at the head of a path)
  Function,  // name(args) (on base, or on $this)
  Indexer,   // base[rhs]
  Unary,     // +base, -base
  Binary,    // base op rhs
  TypeOp,    // base is T, base as T
};

enum class BinOp : uint8_t {
  Mul,
  Div,
  IntDiv,
  Mod,
  Add,
  Sub,
  Concat,
  Union,
  Lt,
  Gt,
  Le,
  Ge,
  Eq,
  Ne,
  Equiv,
  NotEquiv,
  In,
  Contains,
  And,
  Or,
  Xor,
  Implies,
};

enum class Fn : uint8_t {
  Unknown,
  // existence
  Empty,
  Exists,
  All,
  AllTrue,
  AnyTrue,
  AllFalse,
  AnyFalse,
  SubsetOf,
  SupersetOf,
  Count,
  Distinct,
  IsDistinct,
  // filtering and projection
  Where,
  Select,
  Repeat,
  OfType,
  // subsetting
  Single,
  First,
  Last,
  Tail,
  Skip,
  Take,
  Intersect,
  Exclude,
  // combining
  Union,
  Combine,
  // conversion
  Iif,
  ToBoolean,
  ConvertsToBoolean,
  ToInteger,
  ConvertsToInteger,
  ToDecimal,
  ConvertsToDecimal,
  ToString,
  ConvertsToString,
  ToDate,
  ConvertsToDate,
  ToDateTime,
  ConvertsToDateTime,
  ToTime,
  ConvertsToTime,
  ToQuantity,
  ConvertsToQuantity,
  // strings
  IndexOf,
  Substring,
  StartsWith,
  EndsWith,
  Contains,
  Upper,
  Lower,
  Replace,
  Matches,
  MatchesFull,
  ReplaceMatches,
  Length,
  ToChars,
  Trim,
  Split,
  Join,
  Encode,
  Decode,
  Escape,
  Unescape,
  // math
  Abs,
  Ceiling,
  Exp,
  Floor,
  Ln,
  Log,
  Power,
  Round,
  Sqrt,
  Truncate,
  // tree navigation
  Children,
  Descendants,
  // utility
  Trace,
  Now,
  TimeOfDay,
  Today,
  DefineVariable,
  LowBoundary,
  HighBoundary,
  Precision,
  Comparable,
  // types
  Is,
  As,
  Type,
  // aggregates and sorting
  Aggregate,
  Sort,
  Not,
  // FHIR additions
  Extension,
  HasValue,
  GetValue,
  Resolve,
  MemberOf,
  ConformsTo,
  HtmlChecks,
  Subsumes,
  SubsumedBy,
  ElementDefinition,
  Slice,
  CheckModifiers,
};

// A type named in an expression (is/as/ofType): resolved at compile time when known.
struct TypeName {
  std::string ns;    // "FHIR", "System" or "" (unqualified)
  std::string name;  // "Patient", "Boolean"
  bool resolved = false;
  TypeSpec spec;        // when resolved
  TypeSpec alsoSystem;  // unqualified name known both as FHIR and System type (Quantity)
  std::string text() const { return ns.empty() ? name : ns + "." + name; }
};

struct Node {
  NodeKind kind = NodeKind::Literal;
  BinOp op = BinOp::Add;
  Fn fn = Fn::Unknown;
  bool negate = false;      // Unary minus; TypeOp: false = is, true = as
  bool head = false;        // Member/Function applied to the implicit $this
  bool descending = false;  // sort key written with a leading '-'
  bool choiceName = false;  // Member whose name could be a typed choice name (valueQuantity)
  uint32_t pos = 0;         // offset in the source, for messages
  uint32_t depth = 1;       // height of the subtree (the parser bounds it)
  uint64_t uid = 0;         // unique in the process (keys per-thread caches; addresses get reused)
  uint32_t end = 0;
  std::string name;  // Member, Function, Variable
  std::string text;  // storage for a string literal / quantity unit
  Value literal;
  Quantity quantity;          // storage for a quantity literal
  TypeName type;              // TypeOp and type-argument functions
  std::string deferredError;  // literal that is an error when evaluated (time with timezone)
  Node* base = nullptr;
  Node* rhs = nullptr;
  std::vector<Node*> args;
  std::string regexCacheKey;             // unused unless a literal pattern
  std::shared_ptr<const void> compiled;  // precompiled data (regex for a literal pattern)
  // Function: its row in the function library, bound by the compiler.
  const FunctionSpec* function = nullptr;
};

// Owns the nodes of one expression.
struct NodePool {
  std::vector<std::unique_ptr<Node>> nodes;
  Node* make(NodeKind kind, uint32_t pos) {
    nodes.push_back(std::make_unique<Node>());
    Node* n = nodes.back().get();
    static std::atomic<uint64_t> next{1};
    n->uid = next.fetch_add(1, std::memory_order_relaxed);
    n->kind = kind;
    n->pos = pos;
    return n;
  }
};

}  // namespace trialbridge::fhirpath
