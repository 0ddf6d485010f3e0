// Rules of Bundles (http://hl7.org/fhir/R4/bundle.html): each entry's fullUrl (present outside
// transactions and batches, absolute, a RESTful one ending with the entry's type and id); links
// (paging only in search sets and histories, unique relations); search sets (self link, search
// modes, matches of the searched types, ids, outcomes); in a document the Composition's
// references resolve in the Bundle, and in a message the MessageHeader's focus; in both, no
// relative reference only seems to resolve (it names an entry by type and id that the fullUrl
// rules do not reach), and every entry is reachable from the first.
#include <algorithm>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
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

// The links of an entry's resource to other entries: its references, and its uri and url values
// that name an entry (not those that name code systems, profiles, extensions or endpoints).
void collectLinks(const Element& e, std::vector<const Element*>& out) {
  for (const Element* c = e.firstChild(); c != nullptr; c = c->nextSibling()) {
    if (c->isResource()) continue;  // contained resources are part of their own entry
    const std::string_view type = c->type().name;
    if (type == "Reference") {
      if (const Element* r = c->child("reference"); r != nullptr && r->hasValue()) {
        out.push_back(r);
      }
    } else if ((type == "uri" || type == "url") && c->hasValue() && c->name() != "system" &&
               c->name() != "url" && c->name() != "profile" && c->name() != "endpoint" &&
               c->name() != "address") {
      out.push_back(c);
    }
    collectLinks(*c, out);
  }
}

// The entry a relative stylesheet link of a document names (Type/id), or nullptr.
const Element* stylesheetEntry(const Element& bundle, std::string_view url) {
  const Element* found = nullptr;
  bundle.forEachChild("entry", [&](const Element& e) {
    const Element* r = e.child("resource");
    if (found == nullptr && r != nullptr &&
        url == std::string(r->type().name) + "/" + std::string(childValue(*r, "id"))) {
      found = &e;
    }
  });
  return found;
}

// Documents and messages: every entry is reachable from the first (the Composition or the
// MessageHeader) by following links forward. An entry that only links to the reachable ones
// (backward) is reached too, with a warning unless it is a Provenance (R4 documents.html
// 3.3.1); an entry reached neither way is an error in a document, a warning in a message.
void checkInterlinked(const Element& bundle, bool message, RuleContext& ctx) {
  std::vector<const Element*> entries;
  bundle.forEachChild("entry", [&](const Element& e) { entries.push_back(&e); });
  if (entries.empty() || entries[0]->child("resource") == nullptr) return;
  std::unordered_map<const Element*, size_t> indexOf;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (const Element* r = entries[i]->child("resource")) indexOf.emplace(r, i);
  }
  std::vector<std::vector<size_t>> targets(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const Element* res = entries[i]->child("resource");
    if (res == nullptr) continue;
    std::vector<const Element*> links;
    collectLinks(*res, links);
    const std::string_view fullUrl = childValue(*entries[i], "fullUrl");
    for (const Element* l : links) {
      const Element* target = ctx.references.resolveInBundle(bundle, l->value(), fullUrl);
      if (auto it = indexOf.find(target); it != indexOf.end() && it->second != i) {
        targets[i].push_back(it->second);
      }
    }
  }
  std::vector<bool> reached(entries.size(), false);
  const auto visit = [&](size_t from) {
    std::vector<size_t> todo{from};
    while (!todo.empty()) {
      const size_t k = todo.back();
      todo.pop_back();
      if (reached[k]) continue;
      reached[k] = true;
      for (size_t t : targets[k]) todo.push_back(t);
    }
  };
  visit(0);
  // A document's stylesheet in the Bundle is reached through the Bundle's link.
  bundle.forEachChild("link", [&](const Element& link) {
    if (childValue(link, "relation") != "stylesheet") return;
    const Element* e = stylesheetEntry(bundle, childValue(link, "url"));
    for (size_t i = 0; e != nullptr && i < entries.size(); ++i) {
      if (entries[i] == e) visit(i);
    }
  });
  Reporter& rep = ctx.reporter;
  const std::string_view head = message ? "MessageHeader" : "Composition";
  const auto name = [&](size_t i) {
    const std::string_view full = childValue(*entries[i], "fullUrl");
    return full.empty() ? "#" + std::to_string(i) : "'" + std::string(full) + "'";
  };
  for (bool again = true; again;) {
    again = false;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (reached[i] || entries[i]->child("resource") == nullptr) continue;
      const bool back =
          std::any_of(targets[i].begin(), targets[i].end(), [&](size_t t) { return reached[t]; });
      if (!back) continue;
      if (entries[i]->child("resource")->type().name != "Provenance") {
        Reporter::Scope s(rep, *entries[i]);
        rep.add(message ? core::Severity::Information : core::Severity::Warning,
                IssueType::Informational, entries[i],
                "Entry " + name(i) + " is reached from the " + std::string(head) +
                    " only by its own links to the entries that are (backwards)");
      }
      visit(i);
      again = true;
    }
  }
  for (size_t i = 1; i < entries.size(); ++i) {
    if (reached[i] || entries[i]->child("resource") == nullptr) continue;
    Reporter::Scope s(rep, *entries[i]);
    rep.add(message ? core::Severity::Warning : core::Severity::Error, IssueType::Informational,
            entries[i],
            "Entry " + name(i) +
                " isn't reachable by traversing links (forward or backward) from the " +
                std::string(head));
  }
}

// The resource type and id a RESTful URL ends with ([base]/Type/id[/_history/v]), when the type
// is a resource type.
std::optional<std::pair<std::string_view, std::string_view>> restfulTail(std::string_view url,
                                                                         RuleContext& ctx) {
  if (!url.starts_with("http://") && !url.starts_with("https://")) return std::nullopt;
  if (const size_t h = url.find("/_history/"); h != std::string_view::npos) url = url.substr(0, h);
  const size_t slash = url.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  const size_t prev = url.rfind('/', slash - 1);
  if (prev == std::string_view::npos) return std::nullopt;
  const std::string_view type = url.substr(prev + 1, slash - prev - 1);
  const core::TypeInfo* ti = ctx.context().findType(type);
  if (ti == nullptr || !ti->isResource()) return std::nullopt;
  return std::make_pair(type, url.substr(slash + 1));
}

// Each entry's fullUrl: absolute; a RESTful one ends with the resource's type and id (so the
// resource has an id); a canonical resource whose url is its fullUrl has that id too; and every
// entry has one, except in transactions and batches and their responses.
void checkEntryUrls(const Element& bundle, std::string_view bundleType, RuleContext& ctx) {
  const bool optional = bundleType == "transaction" || bundleType == "transaction-response" ||
                        bundleType == "batch" || bundleType == "batch-response";
  Reporter& rep = ctx.reporter;
  bundle.forEachChild("entry", [&](const Element& entry) {
    Reporter::Scope s(rep, entry);
    const Element* full = entry.child("fullUrl");
    const Element* res = entry.child("resource");
    if (full == nullptr || !full->hasValue()) {
      if (!optional) {
        rep.error(IssueType::Invalid, &entry,
                  "The entry has no fullUrl; outside transactions and batches every entry "
                  "needs one, the identity of its resource");
      }
      return;
    }
    const std::string_view url = full->value();
    if (!References::isAbsoluteUrl(url)) {
      rep.error(IssueType::Invalid, &entry,
                "The fullUrl '" + std::string(url) + "' is not an absolute URL");
      return;
    }
    if (res == nullptr) return;
    const std::string_view id = childValue(*res, "id");
    if (const auto tail = restfulTail(url, ctx)) {
      if (id.empty()) {
        rep.error(
            IssueType::Invalid, &entry,
            "The fullUrl '" + std::string(url) +
                "' is a RESTful URL, so the resource needs the id it ends with, and has none");
      } else if (tail->first != res->type().name || tail->second != id) {
        rep.error(IssueType::Invalid, &entry,
                  "The fullUrl '" + std::string(url) +
                      "' looks like a RESTful server URL, so it must end with the correct type "
                      "and id (/" +
                      std::string(res->type().name) + "/" + std::string(id) + ")");
      }
    } else if (childValue(*res, "url") == url) {
      rep.error(IssueType::Invalid, &entry,
                "The resource's canonical url is its fullUrl " + std::string(url) +
                    ", which must then be a RESTful URL ending with the resource's id (" +
                    std::string(id) + ")");
    }
  });
}

// A document's stylesheet (documents.html#presentation): FHIR's own, or one in the Bundle;
// another one outside is discouraged, and one over http: is not secure.
void checkStylesheet(const Element& bundle, const Element& link, RuleContext& ctx) {
  const Element* url = link.child("url");
  if (url == nullptr || !url->hasValue()) return;
  const std::string_view u = url->value();
  Reporter& rep = ctx.reporter;
  Reporter::Scope s(rep, *url);
  if (!References::isAbsoluteUrl(u)) {
    if (stylesheetEntry(bundle, u) == nullptr) {
      rep.error(IssueType::NotFound, url,
                "The stylesheet " + std::string(u) + " is not an entry of the document");
    }
    return;
  }
  if (u == "https://hl7.org/fhir/fhir.css") return;
  rep.warning(
      IssueType::BusinessRule, url,
      "A document should use FHIR's stylesheet or one in the Bundle, not " + std::string(u));
  if (u.starts_with("http://")) {
    rep.warning(IssueType::BusinessRule, url,
                "The stylesheet " + std::string(u) + " is fetched over http:, which is not secure");
  }
}

// Links: the paging relations belong to search sets and histories, and a relation that must be
// unique (self, and the paging ones) appears once; a document's stylesheets.
void checkLinks(const Element& bundle, std::string_view bundleType, RuleContext& ctx) {
  const bool paged = bundleType == "searchset" || bundleType == "history";
  std::vector<std::string_view> seen;
  Reporter& rep = ctx.reporter;
  bundle.forEachChild("link", [&](const Element& link) {
    const std::string_view rel = childValue(link, "relation");
    const bool paging = rel == "first" || rel == "previous" || rel == "next" || rel == "last";
    Reporter::Scope s(rep, link);
    if (paging && !paged) {
      rep.error(IssueType::Invalid, &link,
                "The link relation '" + std::string(rel) +
                    "' pages search sets and histories, not a Bundle of type " +
                    std::string(bundleType));
    }
    if (rel == "stylesheet" && bundleType == "document") checkStylesheet(bundle, link, ctx);
    if (paging || rel == "self") {
      if (std::find(seen.begin(), seen.end(), rel) != seen.end()) {
        rep.error(IssueType::Invalid, &link,
                  "The link relation '" + std::string(rel) + "' appears more than once");
      }
      seen.push_back(rel);
    }
  });
}

// The resource types a search URL asks for: its last path segment when that is a type, or the
// _type parameter.
std::vector<std::string> searchTypes(std::string_view url, RuleContext& ctx) {
  std::vector<std::string> types;
  const size_t q = url.find('?');
  std::string_view path = url.substr(0, q);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  const std::string_view last = path.substr(path.rfind('/') + 1);
  if (const core::TypeInfo* t = ctx.context().findType(last); t != nullptr && t->isResource()) {
    types.emplace_back(last);
    return types;
  }
  if (q == std::string_view::npos) return types;
  std::string_view query = url.substr(q + 1);
  while (!query.empty()) {
    const std::string_view param = query.substr(0, query.find('&'));
    if (param.starts_with("_type=")) {
      std::string_view list = param.substr(6);
      while (!list.empty()) {
        const std::string_view one = list.substr(0, list.find(','));
        types.emplace_back(one);
        list.remove_prefix(std::min(list.size(), one.size() + 1));
      }
    }
    query.remove_prefix(std::min(query.size(), param.size() + 1));
  }
  return types;
}

// Search sets: a self link that says what the search was; entries with a resource and a search
// mode; matches of the types searched for, with ids; includes with ids; outcomes that are
// OperationOutcomes.
void checkSearchSet(const Element& bundle, RuleContext& ctx) {
  Reporter& rep = ctx.reporter;
  const Element* self = nullptr;
  bundle.forEachChild("link", [&](const Element& l) {
    if (self == nullptr && childValue(l, "relation") == "self") self = &l;
  });
  if (self == nullptr) {
    rep.warning(IssueType::Invalid, &bundle,
                "A search set should have a self link: the search it answers");
  }
  const std::vector<std::string> types =
      self == nullptr ? std::vector<std::string>() : searchTypes(childValue(*self, "url"), ctx);
  bundle.forEachChild("entry", [&](const Element& entry) {
    Reporter::Scope s(rep, entry);
    const Element* search = entry.child("search");
    const std::string_view mode = search == nullptr ? "" : childValue(*search, "mode");
    const Element* res = entry.child("resource");
    if (res == nullptr) {
      rep.error(IssueType::Invalid, &entry,
                "An entry of a search set holds a resource; this one has none");
      return;
    }
    if (mode.empty()) {
      rep.warning(IssueType::Invalid, &entry,
                  "The entry has no search mode (match, include or outcome)");
      return;
    }
    const std::string rt(res->type().name);
    Reporter::Scope sr(rep, *res);
    if ((mode == "match" || mode == "include") && childValue(*res, "id").empty()) {
      rep.error(IssueType::Invalid, res,
                "A search result (match or include) has an id; this one has none");
    }
    if (mode == "match" && !types.empty() &&
        std::find(types.begin(), types.end(), rt) == types.end()) {
      rep.error(IssueType::Invalid, res,
                "A match of type " + rt + ", but the search was for " + joinList(types));
    }
    if (mode == "outcome" && rt != "OperationOutcome") {
      rep.error(IssueType::Invalid, res,
                "An entry in outcome mode holds an OperationOutcome, not a " + rt);
    }
  });
}

void checkBundle(const Element& bundle, RuleContext& ctx) {
  const std::string_view bundleType = childValue(bundle, "type");
  if (bundleType == "document" || bundleType == "message") {
    const Element* first = bundle.child("entry");
    if (first == nullptr) {
      ctx.reporter.error(IssueType::Invalid, &bundle,
                         "A document or message has at least one entry, its Composition or "
                         "MessageHeader");
    } else if (first->child("resource") == nullptr) {
      Reporter::Scope s(ctx.reporter, *first);
      ctx.reporter.error(IssueType::Invalid, first,
                         "The first entry holds no resource (the Composition or MessageHeader)");
    } else {
      BundleLinks(bundle, ctx).check(bundleType == "document");
      checkInterlinked(bundle, bundleType == "message", ctx);
    }
  }
  if (bundleType == "searchset") checkSearchSet(bundle, ctx);
  checkEntryUrls(bundle, bundleType, ctx);
  checkLinks(bundle, bundleType, ctx);
}

}  // namespace

void addBundleRules(RuleTable& table) { table.addResourceRule("Bundle", checkBundle); }

}  // namespace trialbridge::validation
