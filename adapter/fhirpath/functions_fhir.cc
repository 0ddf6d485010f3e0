// FHIR's additional functions (FHIR R4 section 2.1.9.1): extension, hasValue, getValue, resolve,
// memberOf, subsumes, subsumedBy, conformsTo, htmlChecks, and the validator-only ones. The work
// that needs more than the element tree is in fhir_support.cc.
#include "fhirpath/fhir_support.h"
#include "fhirpath/functions.h"
#include "fhirpath/types.h"

namespace trialbridge::fhirpath {

namespace {

void extension(Call& c, Coll& out) {
  auto url = c.argString(0);
  if (!url) return;
  for (const Value& v : c.in) {
    if (v.kind != Kind::Element) continue;
    v.element->forEachChild("extension", [&](const core::Element& ext) {
      const core::Element* u = ext.child("url");
      if (u != nullptr && u->value() == *url) c.push(out, Value::ofElement(&ext));
    });
  }
}

// True for one primitive with a value (or one System value).
void hasValue(Call& c, Coll& out) {
  const Coll& in = c.in;
  bool r =
      in.size == 1 &&
      ((in[0].kind == Kind::Element && in[0].element->isPrimitive() && in[0].element->hasValue()) ||
       in[0].kind != Kind::Element);
  c.push(out, Value::ofBoolean(r));
}

void getValue(Call& c, Coll& out) {
  if (c.in.size != 1) return;
  if (auto v = toSystem(c.in[0]); v && !(v->kind == Kind::Element)) c.push(out, *v);
}

void resolve(Call& c, Coll& out) {
  for (const Value& v : c.in) {
    if (const core::Element* r = resolveReference(c.e, v)) c.push(out, Value::ofElement(r));
  }
}

void memberOfFn(Call& c, Coll& out) {
  auto url = c.argString(0);
  if (!url || c.in.empty()) return;
  if (c.in.size > 1) c.fail("memberOf() needs a single item");
  auto r = memberOf(c.e, c.in[0], *url);
  if (r) c.push(out, Value::ofBoolean(*r));
}

// subsumes(code) and subsumedBy(code): the same test, the operands swapped.
template <bool inputSubsumes>
void subsumption(Call& c, Coll& out) {
  auto other = c.argSingle(0);
  if (c.in.empty() || !other) return;
  if (c.in.size > 1) c.fail(c.n->name + "() needs a single item");
  auto r = inputSubsumes ? subsumes(c.e, c.in[0], *other) : subsumes(c.e, *other, c.in[0]);
  if (r) c.push(out, Value::ofBoolean(*r));
}

void conformsToFn(Call& c, Coll& out) {
  auto url = c.argString(0);
  if (!url || c.in.empty()) return;
  if (c.in.size > 1) c.fail("conformsTo() needs a single item");
  auto r = conformsTo(c.e, c.in[0], *url);
  if (!r) c.fail("unknown profile '" + std::string(*url) + "'");
  c.push(out, Value::ofBoolean(*r));
}

void htmlChecksFn(Call& c, Coll& out) {
  if (c.in.empty()) return;
  auto s = c.inputString();
  c.push(out, Value::ofBoolean(s && htmlChecks(*s)));
}

// elementDefinition() and slice() need the validator's context.
void validatorOnly(Call& c, Coll&) { c.fail(c.n->name + "() is not supported outside validation"); }

// checkModifiers(modifiers): the input unchanged.
void checkModifiers(Call& c, Coll& out) { c.e.append(out, c.in); }

using namespace rows;

constexpr FunctionSpec kFhir[] = {
    {"extension", Fn::Extension, 1, 1, {V, V, V}, R::Computed, Any, extension},
    {"hasValue", Fn::HasValue, 0, 0, {V, V, V}, R::Boolean, Any, hasValue},
    {"getValue", Fn::GetValue, 0, 0, {V, V, V}, R::Unknown, Any, getValue},
    {"resolve", Fn::Resolve, 0, 0, {V, V, V}, R::Unknown, Any, resolve},
    {"memberOf", Fn::MemberOf, 1, 1, {V, V, V}, R::Boolean, Any, memberOfFn},
    {"conformsTo", Fn::ConformsTo, 1, 1, {V, V, V}, R::Boolean, Any, conformsToFn},
    {"htmlChecks", Fn::HtmlChecks, 0, 0, {V, V, V}, R::Boolean, Any, htmlChecksFn},
    {"htmlchecks", Fn::HtmlChecks, 0, 0, {V, V, V}, R::Boolean, Any, htmlChecksFn},
    {"subsumes", Fn::Subsumes, 1, 1, {V, V, V}, R::Boolean, Any, subsumption<true>},
    {"subsumedBy", Fn::SubsumedBy, 1, 1, {V, V, V}, R::Boolean, Any, subsumption<false>},
    {"elementDefinition", Fn::ElementDefinition, 0, 0, {V, V, V}, R::Unknown, Any, validatorOnly},
    {"slice", Fn::Slice, 2, 2, {V, V, V}, R::Unknown, Any, validatorOnly},
    {"checkModifiers", Fn::CheckModifiers, 1, 1, {V, V, V}, R::Input, Any, checkModifiers},
};

}  // namespace

std::span<const FunctionSpec> fhirFunctions() { return kFhir; }

}  // namespace trialbridge::fhirpath
