// Compiling: parse, bind functions and type names, fold constants, precompile literal regexes,
// and infer static types to find semantic errors (unknown elements, functions used on the wrong
// types) before anything is evaluated.
#include <algorithm>

#include "conformance/context.h"
#include "fhirpath/engine.h"
#include "fhirpath/functions.h"
#include "fhirpath/parser.h"
#include "fhirpath/types.h"

namespace trialbridge::fhirpath {

namespace {

struct CompileError {
  uint32_t pos;
  std::string message;
};

// The possible types of a node's items; `any` when they cannot be known statically.
struct SType {
  bool any = true;
  std::vector<TypeSpec> types;
  bool unordered = false;

  static SType unknown() { return SType{}; }
  static SType none() {
    SType s;
    s.any = false;
    return s;
  }
  static SType system(SystemType t) {
    SType s = none();
    s.types.push_back(TypeSpec{t, nullptr});
    return s;
  }
  static SType fhir(const core::TypeInfo* t) {
    if (t == nullptr) return unknown();
    SType s = none();
    s.types.push_back(TypeSpec{SystemType::None, t});
    return s;
  }
  void add(const TypeSpec& t) {
    for (const TypeSpec& x : types) {
      if (x.system == t.system && x.fhir == t.fhir) return;
    }
    types.push_back(t);
  }
  void merge(const SType& o) {
    if (o.any) any = true;
    for (const TypeSpec& t : o.types) add(t);
    unordered = unordered || o.unordered;
  }
  template <typename P>
  bool definitelyNone(P pred) const {
    return !any && !types.empty() && std::none_of(types.begin(), types.end(), pred);
  }
  template <typename P>
  bool definitelyAll(P pred) const {
    return !any && !types.empty() && std::all_of(types.begin(), types.end(), pred);
  }
  std::string describe() const {
    std::string s;
    for (const TypeSpec& t : types) {
      if (!s.empty()) s += ", ";
      s += t.isSystem() ? "System." + std::string(t.name()) : std::string(t.fhir->name);
    }
    return s;
  }
};

SystemType systemOfSpec(const TypeSpec& t) {
  if (t.isSystem()) return t.system;
  if (t.fhir != nullptr && t.fhir->isPrimitive()) return systemTypeOf(*t.fhir);
  return SystemType::None;
}

bool stringLike(const TypeSpec& t) {
  if (t.isSystem()) return t.system == SystemType::String;
  return t.fhir != nullptr && t.fhir->isPrimitive();
}
bool booleanLike(const TypeSpec& t) { return systemOfSpec(t) == SystemType::Boolean; }
bool temporalLike(const TypeSpec& t) {
  SystemType s = systemOfSpec(t);
  return s == SystemType::Date || s == SystemType::DateTime || s == SystemType::Time;
}
bool numberLike(const TypeSpec& t) {
  SystemType s = systemOfSpec(t);
  return s == SystemType::Integer || s == SystemType::Decimal;
}

class Compiler {
 public:
  Compiler(const core::TypeResolver& types, const CompileOptions& options)
      : types_(types), options_(options) {}

  SType visit(Node* n, const SType& self) {
    switch (n->kind) {
      case NodeKind::Literal: return literalType(n);
      case NodeKind::Empty: return SType::none();
      case NodeKind::This: {
        SType s = self;
        s.unordered = false;
        return s;
      }
      case NodeKind::Index: return SType::system(SystemType::Integer);
      case NodeKind::Total: return SType::unknown();
      case NodeKind::Variable: return variable(n);
      case NodeKind::Member: {
        SType in = n->base != nullptr ? visit(n->base, self) : self;
        return member(n, in);
      }
      case NodeKind::Function: return function(n, self);
      case NodeKind::Indexer: {
        SType in = visit(n->base, self);
        visit(n->rhs, self);
        checkOrdered(n, in);
        return in;
      }
      case NodeKind::Unary: {
        SType in = visit(n->base, self);
        fold(n);
        return in;
      }
      case NodeKind::Binary: return binary(n, self);
      case NodeKind::TypeOp: {
        visit(n->base, self);
        resolveTypeName(n->type, types_);
        if (!n->negate) return SType::system(SystemType::Boolean);
        return n->type.resolved ? specType(n->type.spec) : SType::unknown();
      }
    }
    return SType::unknown();
  }

 private:
  SType specType(const TypeSpec& t) {
    SType s = SType::none();
    s.types.push_back(t);
    return s;
  }

  SType literalType(const Node* n) {
    if (!n->deferredError.empty()) return SType::unknown();
    switch (n->literal.kind) {
      case Kind::Boolean: return SType::system(SystemType::Boolean);
      case Kind::Integer: return SType::system(SystemType::Integer);
      case Kind::Decimal: return SType::system(SystemType::Decimal);
      case Kind::String: return SType::system(SystemType::String);
      case Kind::Date: return SType::system(SystemType::Date);
      case Kind::DateTime: return SType::system(SystemType::DateTime);
      case Kind::Time: return SType::system(SystemType::Time);
      case Kind::Quantity: return SType::system(SystemType::Quantity);
      default: return SType::unknown();
    }
  }

  // -1, -1.5, -5 'mg' become literals.
  void fold(Node* n) {
    const Node* b = n->base;
    if (!n->negate || b->kind != NodeKind::Literal || !b->deferredError.empty()) return;
    if (b->literal.kind == Kind::Integer) {
      n->literal = Value::ofInteger(-b->literal.integer);
    } else if (b->literal.kind == Kind::Decimal) {
      n->literal = Value::ofDecimal(b->literal.decimal().negated());
    } else if (b->literal.kind == Kind::Quantity) {
      n->text = b->text;
      n->quantity = b->quantity;
      n->quantity.value = b->quantity.value.negated();
      n->quantity.unit = n->text;
      n->literal = Value::ofQuantity(&n->quantity);
    } else {
      return;
    }
    n->kind = NodeKind::Literal;
    n->base = nullptr;
  }

  SType variable(Node* n) {
    const std::string& name = n->name;
    std::string constant;
    if (name == "ucum") {
      constant = "http://unitsofmeasure.org";
    } else if (name == "sct") {
      constant = "http://snomed.info/sct";
    } else if (name == "loinc") {
      constant = "http://loinc.org";
    } else if (name == "us-zip") {
      constant = "[0-9]{5}(-[0-9]{4}){0,1}";
    } else if (name.rfind("vs-", 0) == 0) {
      constant = "http://hl7.org/fhir/ValueSet/" + name.substr(3);
    } else if (name.rfind("ext-", 0) == 0) {
      constant = "http://hl7.org/fhir/StructureDefinition/" + name.substr(4);
    } else if (name == "context") {
      return contextType_;
    } else {
      return SType::unknown();
    }
    n->kind = NodeKind::Literal;
    n->text = constant;
    n->literal = Value::ofString(n->text);
    return SType::system(SystemType::String);
  }

  SType member(Node* n, const SType& in) {
    // A name with an upper-case letter inside may be a choice element named with its type.
    n->choiceName = std::any_of(n->name.begin() + (n->name.empty() ? 0 : 1), n->name.end(),
                                [](char c) { return c >= 'A' && c <= 'Z'; });
    if (in.any) {
      SType s = SType::unknown();
      s.unordered = in.unordered;
      return s;
    }
    SType out = SType::none();
    out.unordered = in.unordered;
    bool found = in.types.empty();
    for (const TypeSpec& t : in.types) {
      if (t.isSystem()) {
        found = true;  // navigation on System values gives nothing; not an error
        continue;
      }
      const core::TypeInfo* ti = t.fhir;
      if (n->head && (ti->fhirType == n->name || derivesFromName(*ti, n->name, types_))) {
        out.add(t);
        found = true;
        continue;
      }
      if (n->head && ti->isResource()) {
        // A resource type below an abstract one: Resource -> Patient.
        const core::TypeInfo* named = types_.findType(n->name);
        if (named != nullptr && named->isResource() && derivesFrom(*named, *ti, types_)) {
          out.add(TypeSpec{SystemType::None, named});
          found = true;
          continue;
        }
      }
      if (ti->isAbstractResource()) {
        out.any = true;  // the concrete resource type is only known at run time
        found = true;
        continue;
      }
      const core::PropertyInfo* p = ti->property(n->name);
      if (p == nullptr) continue;
      found = true;
      for (size_t i = 0; i < p->typeCount(); ++i) {
        const core::TypeInfo* pt = p->type(i);
        if (pt == nullptr || pt->isAbstractResource()) {
          out.any = true;
        } else {
          out.add(TypeSpec{SystemType::None, pt});
        }
      }
    }
    if (!found) {
      throw CompileError{n->pos, "'" + n->name + "' is not an element of " + in.describe()};
    }
    return out;
  }

  void checkOrdered(const Node* n, const SType& in) {
    if (options_.checkOrderedFunctions && in.unordered) {
      throw CompileError{n->pos, (n->kind == NodeKind::Indexer ? std::string("an indexer")
                                                               : "'" + n->name + "()'") +
                                     " depends on order, but its input is not ordered"};
    }
  }

  bool typeNameOf(const Node* a, TypeName& t) {
    if (a->kind != NodeKind::Member) return false;
    if (a->head) {
      t.ns.clear();
      t.name = a->name;
      return true;
    }
    const Node* b = a->base;
    if (b != nullptr && b->kind == NodeKind::Member && b->head &&
        (b->name == "FHIR" || b->name == "System")) {
      t.ns = b->name;
      t.name = a->name;
      return true;
    }
    return false;
  }

  SType function(Node* n, const SType& self) {
    const FunctionSpec* spec = findFunction(n->name);
    if (spec == nullptr) throw CompileError{n->pos, "unknown function '" + n->name + "'"};
    n->fn = spec->fn;
    n->function = spec;
    if (n->args.size() < spec->minArgs || n->args.size() > spec->maxArgs) {
      throw CompileError{n->pos, "wrong number of arguments for '" + n->name + "()'"};
    }
    SType in = n->base != nullptr ? visit(n->base, self) : self;
    SType item = in;
    item.unordered = false;
    std::vector<SType> argTypes;
    for (size_t i = 0; i < n->args.size(); ++i) {
      const ArgMode mode = spec->modes[std::min<size_t>(i, 2)];
      Node* a = n->args[i];
      if (mode == ArgMode::Type) {
        if (!typeNameOf(a, n->type)) {
          throw CompileError{a->pos, "'" + n->name + "()' needs a type name"};
        }
        resolveTypeName(n->type, types_);
        argTypes.push_back(SType::unknown());
        continue;
      }
      if (spec->fn == Fn::Sort && a->kind == NodeKind::Unary && a->negate) {
        Node* inner = a->base;
        inner->descending = true;
        n->args[i] = inner;
        a = inner;
      }
      // iif's arguments see the iif's input as $this when it is called on one.
      const SType& argSelf =
          mode == ArgMode::Lambda && (spec->fn != Fn::Iif || n->base != nullptr) ? item : self;
      argTypes.push_back(visit(a, argSelf));
    }
    return functionResult(n, *spec, in, argTypes);
  }

  // The static type of a call's result, from its row in the function library; the functions
  // whose result depends on the input, the arguments or a type name are worked out here.
  SType functionResult(Node* n, const FunctionSpec& spec, const SType& in,
                       const std::vector<SType>& args) {
    if (spec.input == InputCheck::String && in.definitelyNone(stringLike)) {
      throw CompileError{n->pos, "'" + n->name + "()' needs a string, not " + in.describe()};
    }
    if ((n->fn == Fn::Matches || n->fn == Fn::MatchesFull || n->fn == Fn::ReplaceMatches) &&
        n->args[0]->kind == NodeKind::Literal && n->args[0]->literal.kind == Kind::String) {
      n->compiled = precompileRegex(n->args[0]->text, n->fn == Fn::MatchesFull);
    }
    switch (spec.result) {
      case ResultType::Unknown: return SType::unknown();
      case ResultType::Boolean: return SType::system(SystemType::Boolean);
      case ResultType::Integer: return SType::system(SystemType::Integer);
      case ResultType::Decimal: return SType::system(SystemType::Decimal);
      case ResultType::String: return SType::system(SystemType::String);
      case ResultType::Date: return SType::system(SystemType::Date);
      case ResultType::DateTime: return SType::system(SystemType::DateTime);
      case ResultType::Time: return SType::system(SystemType::Time);
      case ResultType::Quantity: return SType::system(SystemType::Quantity);
      case ResultType::OrderedInput: checkOrdered(n, in); return in;
      case ResultType::Input: return in;
      case ResultType::Computed: return computedResult(n, in, args);
    }
    return SType::unknown();
  }

  SType computedResult(Node* n, const SType& in, const std::vector<SType>& args) {
    switch (n->fn) {
      case Fn::Sort: {
        SType s = in;
        s.unordered = false;
        return s;
      }
      case Fn::Select: {
        SType s = args[0];
        s.unordered = in.unordered || args[0].unordered;
        return s;
      }
      case Fn::Repeat: {
        SType s = SType::unknown();
        s.unordered = in.unordered;
        return s;
      }
      case Fn::OfType:
      case Fn::As: {
        SType s = n->type.resolved ? specType(n->type.spec) : SType::unknown();
        if (n->type.alsoSystem.isSystem()) s.add(n->type.alsoSystem);
        s.unordered = in.unordered;
        return s;
      }
      case Fn::Union:
      case Fn::Combine: {
        SType s = in;
        s.merge(args[0]);
        return s;
      }
      case Fn::Iif: {
        if (args[0].definitelyNone(booleanLike)) {
          throw CompileError{n->args[0]->pos,
                             "the criterion of iif() must be a boolean, not " + args[0].describe()};
        }
        SType s = args[1];
        if (args.size() > 2) s.merge(args[2]);
        return s;
      }
      case Fn::Children:
      case Fn::Descendants: {
        SType s = SType::unknown();
        s.unordered = true;
        return s;
      }
      case Fn::Extension: return SType::fhir(types_.findType("Extension"));
      default: return SType::unknown();
    }
  }

  SType binary(Node* n, const SType& self) {
    SType l = visit(n->base, self);
    SType r = visit(n->rhs, self);
    switch (n->op) {
      case BinOp::And:
      case BinOp::Or:
      case BinOp::Xor:
      case BinOp::Implies:
      case BinOp::Eq:
      case BinOp::Ne:
      case BinOp::Equiv:
      case BinOp::NotEquiv:
      case BinOp::Lt:
      case BinOp::Gt:
      case BinOp::Le:
      case BinOp::Ge:
      case BinOp::In:
      case BinOp::Contains: return SType::system(SystemType::Boolean);
      case BinOp::Union: {
        l.merge(r);
        return l;
      }
      case BinOp::Concat: return SType::system(SystemType::String);
      case BinOp::Add:
      case BinOp::Sub:
        if (l.definitelyAll(temporalLike) && r.definitelyAll(numberLike)) {
          throw CompileError{n->pos,
                             "a date/time plus or minus a number: use a quantity such as "
                             "7 days"};
        }
        [[fallthrough]];
      default:
        if (l.definitelyAll(temporalLike)) return l;
        if (l.definitelyAll(
                [](const TypeSpec& t) { return systemOfSpec(t) == SystemType::Integer; }) &&
            r.definitelyAll(
                [](const TypeSpec& t) { return systemOfSpec(t) == SystemType::Integer; }) &&
            n->op != BinOp::Div) {
          return SType::system(SystemType::Integer);
        }
        if (l.definitelyAll(numberLike) && r.definitelyAll(numberLike)) {
          return SType::system(SystemType::Decimal);
        }
        return SType::unknown();
    }
  }

 public:
  SType contextType_ = SType::unknown();

 private:
  const core::TypeResolver& types_;
  const CompileOptions& options_;
};

}  // namespace

std::string_view errorKindName(ErrorKind k) {
  switch (k) {
    case ErrorKind::Syntax: return "syntax";
    case ErrorKind::Semantic: return "semantic";
    case ErrorKind::Execution: return "execution";
  }
  return "";
}

std::string Error::toString() const {
  return std::string(errorKindName(kind)) + " error at " + std::to_string(line) + ":" +
         std::to_string(column) + ": " + message;
}

Expression::~Expression() = default;

CompileResult compile(std::string_view text, const CompileOptions& options) {
  const core::TypeResolver& types =
      options.types != nullptr ? *options.types : conformance::Context::r4();
  std::shared_ptr<Expression> expr(new Expression());
  expr->text_ = std::string(text);
  expr->types_ = &types;
  expr->compiled_ = std::make_unique<Expression::Compiled>();
  Error error;
  if (text.size() > 1024 * 1024) {
    error.kind = ErrorKind::Syntax;
    error.message = "expression too long";
    return error;
  }
  Node* root = parseExpression(expr->text_, expr->compiled_->pool, error);
  if (root == nullptr) return error;
  expr->compiled_->root = root;
  Compiler c(types, options);
  if (!options.contextType.empty()) {
    c.contextType_ = SType::fhir(types.findType(options.contextType));
  }
  try {
    c.visit(root, c.contextType_);
  } catch (const CompileError& e) {
    error.kind = ErrorKind::Semantic;
    error.message = e.message;
    error.offset = e.pos;
    positionOf(text, e.pos, error.line, error.column);
    return error;
  }
  return std::shared_ptr<const Expression>(std::move(expr));
}

}  // namespace trialbridge::fhirpath
