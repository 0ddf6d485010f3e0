// Rules of Bundles (http://hl7.org/fhir/R4/bundle.html): a RESTful fullUrl ends with the entry's
// type and id; in a document the Composition's references resolve in the Bundle, and in a
// message the MessageHeader's focus; in both, no relative reference only seems to resolve (it
// names an entry by type and id that the fullUrl rules do not reach); in a document every entry
// is reachable from the Composition.
#include <algorithm>
#include <string>
#include <unordered_set>
#include <vector>

#include "validation/check_util.h"
#include "validation/rules.h"

namespace trialbridge::validation {

namespace {

using core::Element;
using core::IssueType;

// All Reference.reference values under `e`.
void collectReferences(const Element& e, std::vector<const Element*>& out) {
  for (const Element* c = e.firstChild(); c != nullptr; c = c->nextSibling()) {
    if (c->isResource()) continue;  // contained resources are part of their own entry
    if (c->type().name == "Reference") {
      if (const Element* r = c->child("reference"); r != nullptr && r->hasValue()) {
        out.push_back(r);
      }
    }
    collectReferences(*c, out);
  }
}

// The resource types whose instances are canonical resources (they have a canonical url): a
// RESTful URL of one of them, outside the Bundle, is taken to be resolvable.
bool isCanonicalResourceType(std::string_view t) {
  static const std::unordered_set<std::string_view> kTypes = {"ActivityDefinition",
                                                              "CapabilityStatement",
                                                              "ChargeItemDefinition",
                                                              "CodeSystem",
                                                              "CompartmentDefinition",
                                                              "ConceptMap",
                                                              "EffectEvidenceSynthesis",
                                                              "EventDefinition",
                                                              "Evidence",
                                                              "EvidenceVariable",
                                                              "ExampleScenario",
                                                              "GraphDefinition",
                                                              "ImplementationGuide",
                                                              "Library",
                                                              "Measure",
                                                              "MessageDefinition",
                                                              "NamingSystem",
                                                              "OperationDefinition",
                                                              "PlanDefinition",
                                                              "Questionnaire",
                                                              "ResearchDefinition",
                                                              "ResearchElementDefinition",
                                                              "RiskEvidenceSynthesis",
                                                              "SearchParameter",
                                                              "StructureDefinition",
                                                              "StructureMap",
                                                              "TerminologyCapabilities",
                                                              "TestScript",
                                                              "ValueSet"};
  return kTypes.count(t) != 0;
}

// The references of a document or message Bundle that must resolve in it, and those that only
// seem to. Each reference is reported once.
class BundleLinks {
 public:
  BundleLinks(const Element& bundle, RuleContext& ctx) : bundle_(bundle), ctx_(ctx) {}

  // Document and message Bundles: the references their first resource needs resolve in the
  // Bundle, and no relative reference only seems to.
  void check(bool document) {
    const Element* first = bundle_.child("entry");
    const Element* head = first == nullptr ? nullptr : first->child("resource");
    if (head == nullptr) return;
    const std::string_view headUrl = childValue(*first, "fullUrl");
    if (document && head->type().name == "Composition") {
      checkComposition(*head, headUrl);
    } else if (!document && head->type().name == "MessageHeader") {
      head->forEachChild("focus", [&](const Element& ref) {
        checkReference(ref, headUrl, "MessageHeader Data", /*mustResolve=*/true);
      });
    }
    bundle_.forEachChild("entry", [&](const Element& entry) {
      const Element* res = entry.child("resource");
      if (res == nullptr) return;
      std::vector<const Element*> refs;
      collectReferences(*res, refs);
      for (const Element* r : refs) {
        checkReference(*r->parent(), childValue(entry, "fullUrl"), /*name: its path=*/"",
                       /*mustResolve=*/false);
      }
    });
  }

 private:
  // The references of a document's Composition that must resolve in the Bundle.
  void checkComposition(const Element& composition, std::string_view fullUrl) {
    const auto check = [&](const Element& owner, std::string_view prop, std::string_view name) {
      owner.forEachChild(prop, [&](const Element& ref) {
        checkReference(ref, fullUrl, name, /*mustResolve=*/true);
      });
    };
    check(composition, "subject", "Composition.subject");
    check(composition, "author", "Composition.author");
    check(composition, "encounter", "Composition.encounter");
    check(composition, "custodian", "Composition.custodian");
    composition.forEachChild(
        "attester", [&](const Element& a) { check(a, "party", "Composition.attester.party"); });
    composition.forEachChild(
        "event", [&](const Element& ev) { check(ev, "detail", "Composition.event.detail"); });
    std::vector<const Element*> sections;
    composition.forEachChild("section", [&](const Element& sec) { sections.push_back(&sec); });
    while (!sections.empty()) {
      const Element* sec = sections.back();
      sections.pop_back();
      check(*sec, "author", "Section.author");
      check(*sec, "focus", "Section.focus");
      check(*sec, "entry", "Section Entry");
      sec->forEachChild("section", [&](const Element& sub) { sections.push_back(&sub); });
    }
  }

  // Checks that the reference in `reference` (a Reference) from the entry with `fullUrl`
  // resolves by the Bundle rules. `mustResolve`: the document or message needs the target in
  // the Bundle (Composition.subject, MessageHeader.focus...), so any reference that does not
  // resolve is an error; otherwise only a relative reference that names entries by type and id
  // that the rules do not reach is (it looks resolved and is not). `name` says what the
  // reference is (empty: its path).
  void checkReference(const Element& reference, std::string_view fullUrl, std::string_view name,
                      bool mustResolve) {
    const Element* r = reference.child("reference");
    if (r == nullptr || !r->hasValue() || r->value().empty() || r->value()[0] == '#') return;
    if (reported_.count(&reference) != 0) return;
    const std::string_view ref = r->value();
    const References& refs = ctx_.references;
    if (refs.resolveInBundle(bundle_, ref, fullUrl) != nullptr) return;
    std::string message = "Can't find '" + std::string(ref) + "' in the bundle (" +
                          (name.empty() ? reference.path() : std::string(name)) + ")";
    if (References::isAbsoluteUrl(ref)) {
      if (!mustResolve || ctx_.context().find(ref) != nullptr) return;
      if (const auto root = refs.restfulRoot(ref)) {
        std::string_view rest = ref.substr(root->size());
        if (isCanonicalResourceType(rest.substr(0, rest.find('/')))) return;
      }
    } else if (!explainRelative(ref, fullUrl, mustResolve, message)) {
      return;
    }
    reported_.insert(&reference);
    Reporter& rep = ctx_.reporter;
    const std::string saved = rep.path();
    rep.setRoot(reference.path());
    rep.error(IssueType::Invalid, r, std::move(message));
    rep.setRoot(saved);
  }

  // A relative reference that the Bundle rules do not resolve: whether it is an error, and
  // (appended to `message`) the entries that have its type and id, which the rules do not reach.
  bool explainRelative(std::string_view ref, std::string_view fullUrl, bool mustResolve,
                       std::string& message) const {
    const std::string_view rel = ref.substr(0, ref.find("/_history/"));
    const size_t slash = rel.find('/');
    if (slash == std::string_view::npos) return false;
    const core::TypeInfo* t = ctx_.context().findType(rel.substr(0, slash));
    if (t == nullptr || !t->isResource()) return false;
    std::vector<std::string> found;
    bundle_.forEachChild("entry", [&](const Element& entry) {
      const Element* res = entry.child("resource");
      if (res == nullptr || res->type().name != rel.substr(0, slash) ||
          childValue(*res, "id") != rel.substr(slash + 1)) {
        return;
      }
      const Element* full = entry.child("fullUrl");
      found.emplace_back(full != nullptr && full->hasValue() ? full->value() : "<missing>");
    });
    if (found.empty()) return mustResolve;
    std::sort(found.begin(), found.end());
    std::string list;
    for (const std::string& f : found) list += (list.empty() ? "" : ",") + f;
    message += found.size() == 1
                   ? ". Note that there is a resource in the bundle with the same type and "
                     "id, but it does not match because of the fullUrl based rules around "
                     "matching relative references: found '" +
                         list + "'"
                   : ". Note that there are " + std::to_string(found.size()) +
                         " resources in the bundle with the same type and id, but they do "
                         "not match because of the fullUrl based rules around matching "
                         "relative references: found '" +
                         list + "'";
    message += fullUrl.empty() ? std::string(", and the source entry has no fullUrl")
                               : ", and the source fullUrl is '" + std::string(fullUrl) + "'";
    return true;
  }

  const Element& bundle_;
  RuleContext& ctx_;
  std::unordered_set<const Element*> reported_;
};

// A document's entries must all be reachable from the Composition by following references
// forward or backward.
void checkDocument(const Element& bundle, RuleContext& ctx) {
  std::vector<const Element*> entries;
  bundle.forEachChild("entry", [&](const Element& e) { entries.push_back(&e); });
  if (entries.empty()) return;
  std::vector<const Element*> resources(entries.size(), nullptr);
  for (size_t i = 0; i < entries.size(); ++i) resources[i] = entries[i]->child("resource");
  if (resources[0] == nullptr || resources[0]->type().name != "Composition") return;
  // Edges: entry i refers to entry j.
  std::vector<std::vector<size_t>> edges(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (resources[i] == nullptr) continue;
    std::vector<const Element*> refs;
    collectReferences(*resources[i], refs);
    for (const Element* r : refs) {
      const Element* target = ctx.references.resolve(r->value(), resources[i]);
      for (size_t j = 0; j < entries.size() && target != nullptr; ++j) {
        if (resources[j] == target) edges[i].push_back(j);
      }
    }
  }
  std::vector<bool> reached(entries.size(), false);
  reached[0] = true;
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < entries.size(); ++i) {
      for (size_t j : edges[i]) {
        if (reached[i] != reached[j]) {
          reached[i] = reached[j] = true;
          changed = true;
        }
      }
    }
  }
  for (size_t i = 1; i < entries.size(); ++i) {
    if (reached[i] || resources[i] == nullptr) continue;
    Reporter::Scope s(ctx.reporter, *entries[i]);
    ctx.reporter.error(IssueType::Informational, entries[i],
                       "Entry '" + std::string(childValue(*entries[i], "fullUrl")) +
                           "' isn't reachable by traversing links (forward or backward) from the "
                           "Composition");
  }
}

// A RESTful fullUrl ends with /Type/id of the entry's resource.
void checkFullUrls(const Element& bundle, RuleContext& ctx) {
  bundle.forEachChild("entry", [&](const Element& entry) {
    const Element* full = entry.child("fullUrl");
    const Element* res = entry.child("resource");
    if (full == nullptr || res == nullptr || !full->hasValue()) return;
    const std::string_view url = full->value();
    if (!url.starts_with("http://") && !url.starts_with("https://")) return;
    const std::string_view id = childValue(*res, "id");
    if (id.empty()) return;
    const size_t slash = url.rfind('/');
    if (slash == std::string_view::npos) return;
    std::string_view head = url.substr(0, slash);
    const size_t prev = head.rfind('/');
    const std::string_view type = prev == std::string_view::npos ? head : head.substr(prev + 1);
    const core::TypeInfo* ti = ctx.context().findType(type);
    if (ti == nullptr || !ti->isResource()) return;
    if (type != res->type().name || url.substr(slash + 1) != id) {
      Reporter::Scope s(ctx.reporter, entry);
      ctx.reporter.error(IssueType::Invalid, &entry,
                         "The fullUrl '" + std::string(url) +
                             "' looks like a RESTful server URL, so it must end with the correct "
                             "type and id (/" +
                             std::string(res->type().name) + "/" + std::string(id) + ")");
    }
  });
}

void checkBundle(const Element& bundle, RuleContext& ctx) {
  const std::string_view bundleType = childValue(bundle, "type");
  if (bundleType == "document" || bundleType == "message") {
    BundleLinks(bundle, ctx).check(bundleType == "document");
  }
  if (bundleType == "document") checkDocument(bundle, ctx);
  checkFullUrls(bundle, ctx);
}

}  // namespace

void addBundleRules(RuleTable& table) { table.addResourceRule("Bundle", checkBundle); }

}  // namespace trialbridge::validation
