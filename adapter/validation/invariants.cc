#include "validation/invariants.h"

#include <unordered_set>

#include "conformance/structure_definition.h"
#if TB_HAVE_FHIRPATH
#include "fhirpath/fhirpath.h"
#endif
#include "validation/xhtml.h"

namespace trialbridge::validation {

using conformance::ElementDefinition;
using core::Element;
using core::IssueType;
using core::Severity;

namespace {

#if TB_HAVE_FHIRPATH
// The FHIRPath environment of the resource being validated (%resource, %rootResource).
fhirpath::Environment pathEnvironment(const WalkState& state, const conformance::Context& context) {
  fhirpath::Environment env;
  env.resource = state.resource;
  // The resource that contains %resource when it is contained, else %resource itself (an
  // entry of a Bundle is its own root, as the FHIRPath environment of FHIR defines it).
  env.rootResource = state.root;
  if (state.resource != nullptr) {
    env.rootResource = state.resource;
    if (state.resource->name() == "contained" && state.resource->parent() != nullptr)
      env.rootResource = state.resource->parent()->resource();
  }
  env.context = &context;
  env.enforceAsSingleton = false;
  return env;
}
#endif

}  // namespace

void Invariants::checkNode(const Element& e, const ElementNode& node, bool profile) {
  for (const Invariant& inv : node.invariants) {
    if (profile && baseHasConstraint(e, inv.constraint->key)) continue;
    // Contained resources are not expected to carry their own narrative.
    if (inv.constraint->key == "dom-6" && e.name() == "contained") continue;
    check(e, inv);
  }
}

void Invariants::checkTypeInvariants(const Element& e, const ElementNode& node,
                                     const StructureModel& type) {
  for (const Invariant& inv : type.root().invariants) {
    bool dup = false;
    for (const Invariant& own : node.invariants) {
      if (own.constraint->key == inv.constraint->key) dup = true;
    }
    if (!dup) check(e, inv);
  }
}

void Invariants::check(const Element& e, const Invariant& inv) {
  const Severity severity =
      inv.constraint->bestPractice ? bestPracticeSeverity(options_.bestPractice) : inv.severity;
  if (inv.constraint->bestPractice && options_.bestPractice == ValidatorOptions::Level::Ignore) {
    return;
  }
  bool ok = true;
  switch (inv.native) {
    case Invariant::Native::Ele1: {
      ok = e.hasValue();
      for (const Element* c = e.firstChild(); c != nullptr && !ok; c = c->nextSibling()) {
        if (c->name() != "id") ok = true;
      }
      // An element emptied because the reader left out its broken content was reported then.
      if (!ok && readerErrorUnder(rep_.path())) return;
      break;
    }
    case Invariant::Native::Ext1:
      ok = (e.child("extension") != nullptr) != (e.child("value") != nullptr);
      break;
    case Invariant::Native::Txt1: {
      std::vector<std::string> problems;
      if (!e.hasValue() || checkNarrativeXhtml(e.value(), problems)) return;
      for (std::string& p : problems) {
        rep_.add(severity, IssueType::Invariant, &e,
                 "Constraint failed: txt-1: '" + inv.constraint->human + "' (" + p + ")");
      }
      return;
    }
    case Invariant::Native::Txt2: ok = !e.hasValue() || xhtmlHasContent(e.value()); break;
    case Invariant::Native::Dom3: checkContainedReferenced(e, inv); return;
    case Invariant::Native::WholeMatch: {
      if (!options_.invariants) return;
      bool error = false;
      e.forEachChild(inv.matchChild, [&](const Element& c) {
        if (!ok || !c.hasValue()) return;
        try {
          ok = inv.regex->find(c.value());
        } catch (const std::exception& ex) {
          rep_.warning(
              IssueType::Invariant, &e,
              "The constraint " + inv.constraint->key + " could not be evaluated: " + ex.what());
          error = true;
        }
      });
      if (error) return;
      break;
    }
    case Invariant::Native::None: {
#if TB_HAVE_FHIRPATH
      if (!inv.expression || !options_.invariants) return;
      thread_local fhirpath::Evaluation eval;
      const fhirpath::Environment env = pathEnvironment(state_, defs_.context());
      if (!eval.run(*inv.expression, &e, env)) {
        rep_.warning(IssueType::Invariant, &e,
                     "The constraint " + inv.constraint->key +
                         " could not be evaluated: " + eval.error().message);
        return;
      }
      const auto results = eval.results();
      if (results.empty()) return;
      std::optional<bool> b = eval.boolean();
      ok = !b.has_value() || *b;
#else
      return;
#endif
      break;
    }
  }
  if (ok) return;
  std::string msg =
      "Constraint failed: " + inv.constraint->key + ": '" + inv.constraint->human + "'";
  rep_.add(severity, IssueType::Invariant, &e, std::move(msg));
}

std::optional<std::vector<const Element*>> Invariants::evaluate(
    const std::string& text, const Element& focus, std::optional<bool>* boolean) const {
#if TB_HAVE_FHIRPATH
  fhirpath::CompileOptions options;
  options.types = &defs_.context();
  auto compiled = fhirpath::ExpressionCache::global().get(text, options);
  if (!compiled) return std::nullopt;
  thread_local fhirpath::Evaluation eval;
  const fhirpath::Environment env = pathEnvironment(state_, defs_.context());
  if (!eval.run(*compiled.expression(), &focus, env)) return std::nullopt;
  std::vector<const Element*> out;
  for (const fhirpath::Value& val : eval.results()) {
    if (val.kind == fhirpath::Kind::Element) out.push_back(val.element);
  }
  if (boolean != nullptr) *boolean = eval.boolean();
  return out;
#else
  (void)text;
  (void)focus;
  (void)boolean;
  return std::nullopt;
#endif
}

bool Invariants::baseHasConstraint(const Element& e, std::string_view key) const {
  const ElementDefinition* base = nullptr;
  if (e.property() != nullptr) {
    base = static_cast<const ElementDefinition*>(e.property()->definition);
  } else if (const StructureModel* bm = defs_.typeModel(e.type())) {
    base = bm->root().def;
  }
  if (base == nullptr) return false;
  for (const conformance::Constraint& c : base->constraints) {
    if (c.key == key) return true;
  }
  // The datatype's own invariants are checked by the base pass too.
  if (!e.isResource()) {
    if (const StructureModel* tm = defs_.typeModel(e.type())) {
      for (const Invariant& inv : tm->root().invariants) {
        if (inv.constraint->key == key) return true;
      }
    }
  }
  return false;
}

bool Invariants::readerErrorUnder(const std::string& path) const {
  if (readerIssues_ == nullptr) return false;
  for (const core::Issue& i : readerIssues_->items()) {
    if ((i.severity == Severity::Error || i.severity == Severity::Fatal) &&
        i.location.starts_with(path)) {
      return true;
    }
  }
  return false;
}

// dom-3, natively: each contained resource is referenced from elsewhere in the resource
// (references, canonicals, uris, or the narrative's links and images), or refers to it.
void Invariants::checkContainedReferenced(const Element& res, const Invariant& inv) {
  if (res.child("contained") == nullptr) return;
  std::unordered_set<std::string_view> refs;
  bool refersBack = false;
  std::vector<const Element*> todo{&res};
  while (!todo.empty()) {
    const Element* x = todo.back();
    todo.pop_back();
    for (const Element* c = x->firstChild(); c != nullptr; c = c->nextSibling()) {
      if (c->hasValue()) {
        const std::string_view v = c->value();
        if (c->type().name == "xhtml") {
          size_t pos = 0;
          while ((pos = v.find("=\"#", pos)) != std::string_view::npos) {
            const size_t end = v.find('"', pos + 3);
            if (end == std::string_view::npos) break;
            refs.insert(v.substr(pos + 3, end - pos - 3));
            pos = end;
          }
        } else if (!v.empty() && v[0] == '#') {
          if (v.size() == 1) {
            refersBack = true;
          } else {
            refs.insert(v.substr(1));
          }
        }
      }
      todo.push_back(c);
    }
  }
  res.forEachChild("contained", [&](const Element& c) {
    const std::string_view id = childValue(c, "id");
    if (refersBack || refs.count(id) != 0) return;
    Reporter::Scope s(rep_, c);
    rep_.add(inv.severity, IssueType::Invariant, &c,
             "The contained resource '" + std::string(id) +
                 "' is not referenced to from elsewhere in the containing resource nor does it "
                 "refer to the containing resource (dom-3)");
  });
}

}  // namespace trialbridge::validation
