#include "fhirpath/fhir_support.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "conformance/context.h"
#include "conformance/narrative.h"
#include "conformance/structure_definition.h"
#include "conformance/terminology.h"
#include "fhirpath/engine.h"
#include "fhirpath/types.h"

namespace trialbridge::fhirpath {

namespace {

std::string_view childValue(const core::Element* e, std::string_view name) {
  if (e == nullptr) return {};
  const core::Element* c = e->child(name);
  return c != nullptr && c->hasValue() ? c->value() : std::string_view();
}

// "Patient/123", "http://x/fhir/Patient/123/_history/2" -> ("Patient", "123").
bool typeAndId(std::string_view ref, std::string_view& type, std::string_view& id) {
  size_t hist = ref.find("/_history/");
  if (hist != std::string_view::npos) ref = ref.substr(0, hist);
  size_t slash = ref.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  id = ref.substr(slash + 1);
  std::string_view rest = ref.substr(0, slash);
  size_t prev = rest.rfind('/');
  type = prev == std::string_view::npos ? rest : rest.substr(prev + 1);
  return !type.empty() && !id.empty() && type[0] >= 'A' && type[0] <= 'Z';
}

const core::Element* searchBundle(const core::Element* bundle, std::string_view ref) {
  std::string_view type, id;
  const bool relative = typeAndId(ref, type, id);
  const bool absolute = ref.find("://") != std::string_view::npos || ref.rfind("urn:", 0) == 0;
  const core::Element* found = nullptr;
  bundle->forEachChild("entry", [&](const core::Element& entry) {
    if (found != nullptr) return;
    const core::Element* res = entry.child("resource");
    if (res == nullptr) return;
    std::string_view fullUrl = childValue(&entry, "fullUrl");
    if (!fullUrl.empty() && fullUrl == ref) {
      found = res;
      return;
    }
    if (relative && !absolute) {
      if (res->type().name == type && childValue(res, "id") == id) found = res;
    } else if (relative && absolute && !fullUrl.empty()) {
      std::string_view t2, i2;
      if (typeAndId(fullUrl, t2, i2) && t2 == type && i2 == id &&
          ref.substr(0, ref.find("/_history/")) == fullUrl) {
        found = res;
      }
    }
  });
  return found;
}

}  // namespace

const core::Element* resolveReference(Engine& e, const Value& v) {
  std::string_view ref;
  const core::Element* from = nullptr;
  if (v.kind == Kind::Element) {
    from = v.element;
    ref = v.element->isPrimitive() ? v.element->value() : childValue(v.element, "reference");
  } else if (v.kind == Kind::String) {
    ref = v.string();
    from = e.env().resource;
  }
  if (ref.empty()) return nullptr;
  if (ref[0] == '#') {
    const core::Element* container =
        from != nullptr ? e.rootResourceOf(from) : e.env().rootResource;
    if (container == nullptr) return nullptr;
    if (ref.size() == 1) return container;
    const std::string_view id = ref.substr(1);
    const core::Element* found = nullptr;
    container->forEachChild("contained", [&](const core::Element& c) {
      if (found == nullptr && childValue(&c, "id") == id) found = &c;
    });
    return found;
  }
  for (const core::Element* a = from; a != nullptr; a = a->parent()) {
    if (a->isResource() && a->type().name == "Bundle") {
      if (const core::Element* r = searchBundle(a, ref)) return r;
    }
  }
  if (e.env().resolveReference && from != nullptr) return e.env().resolveReference(ref, *from);
  return nullptr;
}

// --- terminology ---

namespace {

// One Terminology per Context for evaluations that do not bring their own (the validator does).
const conformance::Terminology& sharedTerminology(const conformance::Context& ctx) {
  static std::mutex mutex;
  static std::map<const conformance::Context*, std::unique_ptr<conformance::Terminology>> byContext;
  std::lock_guard lock(mutex);
  auto& t = byContext[&ctx];
  if (t == nullptr) t = std::make_unique<conformance::Terminology>(ctx);
  return *t;
}

struct CodeRef {
  std::string_view system;
  std::string_view code;
};

void codesOf(const Value& v, std::vector<CodeRef>& out) {
  if (v.kind == Kind::String) {
    out.push_back({{}, v.string()});
    return;
  }
  if (v.kind != Kind::Element) return;
  const core::Element* e = v.element;
  if (e->isPrimitive()) {
    if (e->hasValue()) out.push_back({{}, e->value()});
    return;
  }
  const std::string& t = e->type().name;
  if (t == "Coding") {
    out.push_back({childValue(e, "system"), childValue(e, "code")});
  } else if (t == "CodeableConcept") {
    e->forEachChild("coding", [&](const core::Element& c) {
      out.push_back({childValue(&c, "system"), childValue(&c, "code")});
    });
  } else if (t == "Quantity" || e->type().baseName == "Quantity") {
    out.push_back({childValue(e, "system"), childValue(e, "code")});
  }
}

}  // namespace

std::optional<bool> memberOf(Engine& e, const Value& item, std::string_view url) {
  const conformance::Terminology& tx =
      e.env().terminology != nullptr ? *e.env().terminology : sharedTerminology(e.conformance());
  if (!tx.expand(url).found) return std::nullopt;
  std::vector<CodeRef> codes;
  codesOf(item, codes);
  bool unknown = false;
  for (const CodeRef& c : codes) {
    if (c.code.empty()) continue;
    switch (tx.member(url, c.system, c.code)) {
      case conformance::Membership::In: return true;
      case conformance::Membership::Unknown: unknown = true; break;
      case conformance::Membership::NotIn: break;
    }
  }
  if (unknown) return std::nullopt;
  return false;
}

std::optional<bool> subsumes(Engine& e, const Value& a, const Value& b) {
  std::vector<CodeRef> ca, cb;
  codesOf(a, ca);
  codesOf(b, cb);
  if (ca.size() != 1 || cb.size() != 1) return std::nullopt;
  std::string_view system = !ca[0].system.empty() ? ca[0].system : cb[0].system;
  if (system.empty() || (!cb[0].system.empty() && cb[0].system != system)) return std::nullopt;
  const conformance::Terminology& tx =
      e.env().terminology != nullptr ? *e.env().terminology : sharedTerminology(e.conformance());
  const conformance::CodeSystemInfo* cs = tx.codeSystem(system);
  if (cs == nullptr || cs->find(ca[0].code) == nullptr || cs->find(cb[0].code) == nullptr) {
    return std::nullopt;
  }
  return cs->isA(cb[0].code, ca[0].code);
}

// --- conformsTo ---

namespace {

// Instances of an element path below `root` ("Patient.contact.name" from a Patient).
void instancesAt(const core::Element* root, std::string_view relPath,
                 std::vector<const core::Element*>& out) {
  if (relPath.empty()) {
    out.push_back(root);
    return;
  }
  size_t dot = relPath.find('.');
  std::string_view name = relPath.substr(0, dot);
  std::string_view rest =
      dot == std::string_view::npos ? std::string_view() : relPath.substr(dot + 1);
  if (name.size() > 3 && name.substr(name.size() - 3) == "[x]") name.remove_suffix(3);
  root->forEachChild(name, [&](const core::Element& c) { instancesAt(&c, rest, out); });
}

}  // namespace

std::optional<bool> conformsTo(Engine& e, const Value& item, std::string_view url) {
  const conformance::StructureDefinition* sd = e.conformance().structureDefinition(url);
  if (sd == nullptr) return std::nullopt;
  if (item.kind != Kind::Element) return false;
  const core::Element* el = item.element;
  if (!derivesFromName(el->type(), sd->type, e.types())) return false;
  if (!sd->isConstraint()) return true;
  if (e.env().conformsTo) {
    if (auto r = e.env().conformsTo(*el, url)) return r;
  }
  // Without a validator: the profile's cardinalities on unsliced paths.
  for (const conformance::ElementDefinition& d : sd->snapshot) {
    if (!d.sliceName.empty() || d.id.find(':') != std::string::npos) continue;
    size_t dot = d.path.rfind('.');
    if (dot == std::string::npos) continue;
    const size_t first = d.path.find('.');
    std::string_view parentRel = first == dot
                                     ? std::string_view()
                                     : std::string_view(d.path).substr(first + 1, dot - first - 1);
    std::string_view name = std::string_view(d.path).substr(dot + 1);
    if (name.size() > 3 && name.substr(name.size() - 3) == "[x]") name.remove_suffix(3);
    std::vector<const core::Element*> parents;
    instancesAt(el, parentRel, parents);
    for (const core::Element* p : parents) {
      const size_t count = p->childCount(name);
      if (count < d.min) return false;
      if (d.max != conformance::ElementDefinition::kUnbounded && count > d.max) return false;
    }
  }
  return true;
}

// --- htmlChecks ---

// R4 defines txt-1 and txt-2 both as htmlChecks(): the XHTML rules and some content.
bool htmlChecks(std::string_view x) {
  std::vector<std::string> problems;
  return conformance::checkNarrativeXhtml(x, problems) && conformance::xhtmlHasContent(x);
}

}  // namespace trialbridge::fhirpath
