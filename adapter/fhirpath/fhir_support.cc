#include "fhirpath/fhir_support.h"

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "conformance/context.h"
#include "conformance/structure_definition.h"
#include "core/json.h"
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

struct CodeSystemInfo {
  bool complete = false;  // content = complete
  std::unordered_map<std::string, std::vector<std::string>> children;  // code -> child codes
  std::unordered_set<std::string> codes;
};

struct Expansion {
  bool complete = true;
  std::unordered_set<std::string> codes;  // "system|code"
  std::unordered_set<std::string> openSystems;  // systems whose codes could not be listed
};

struct TerminologyCache {
  std::mutex mutex;
  std::map<std::pair<const conformance::Context*, std::string>, std::shared_ptr<CodeSystemInfo>>
      codeSystems;
  std::map<std::pair<const conformance::Context*, std::string>, std::shared_ptr<Expansion>>
      valueSets;
};

TerminologyCache& terminologyCache() {
  static TerminologyCache c;
  return c;
}

std::unique_ptr<core::Document> readResourceJson(const conformance::Context& ctx,
                                                 std::string_view url) {
  auto json = ctx.resourceJson(url);
  if (!json) return nullptr;
  core::Issues issues;
  return core::readJson(json.value(), ctx, issues);
}

void collectConcepts(const core::Element* parent, const std::string& parentCode,
                     CodeSystemInfo& cs) {
  parent->forEachChild("concept", [&](const core::Element& c) {
    std::string code(childValue(&c, "code"));
    if (code.empty()) return;
    cs.codes.insert(code);
    if (!parentCode.empty()) cs.children[parentCode].push_back(code);
    collectConcepts(&c, code, cs);
  });
}

std::shared_ptr<CodeSystemInfo> loadCodeSystem(const conformance::Context& ctx,
                                               const std::string& url) {
  TerminologyCache& cache = terminologyCache();
  {
    std::lock_guard lock(cache.mutex);
    auto it = cache.codeSystems.find({&ctx, url});
    if (it != cache.codeSystems.end()) return it->second;
  }
  std::shared_ptr<CodeSystemInfo> cs;
  auto doc = readResourceJson(ctx, url);
  if (doc != nullptr && doc->root() != nullptr && doc->root()->type().name == "CodeSystem") {
    cs = std::make_shared<CodeSystemInfo>();
    cs->complete = childValue(doc->root(), "content") == "complete";
    collectConcepts(doc->root(), std::string(), *cs);
    // Parents declared through the "parent" property also form the hierarchy.
    std::function<void(const core::Element*)> walk = [&](const core::Element* p) {
      p->forEachChild("concept", [&](const core::Element& c) {
        std::string code(childValue(&c, "code"));
        c.forEachChild("property", [&](const core::Element& prop) {
          if (childValue(&prop, "code") == "parent") {
            const core::Element* v = prop.child("value");
            if (v != nullptr && v->hasValue()) cs->children[std::string(v->value())].push_back(code);
          }
        });
        walk(&c);
      });
    };
    walk(doc->root());
  }
  std::lock_guard lock(cache.mutex);
  cache.codeSystems[{&ctx, url}] = cs;
  return cs;
}

void descendantsOf(const CodeSystemInfo& cs, const std::string& code, bool includeSelf,
                   std::unordered_set<std::string>& out) {
  if (includeSelf) out.insert(code);
  auto it = cs.children.find(code);
  if (it == cs.children.end()) return;
  for (const std::string& c : it->second) {
    if (out.insert(c).second) descendantsOf(cs, c, false, out);
  }
}

std::shared_ptr<Expansion> expand(const conformance::Context& ctx, const std::string& url,
                                  int depth);

// The codes one include/exclude selects, as "system|code"; false if they cannot all be listed.
bool selectCodes(const conformance::Context& ctx, const core::Element& inc, int depth,
                 std::unordered_set<std::string>& out, std::unordered_set<std::string>& open) {
  std::string system(childValue(&inc, "system"));
  bool complete = true;
  std::unordered_set<std::string> fromSystem;
  bool haveSystemSet = false;
  if (!system.empty()) {
    haveSystemSet = true;
    if (inc.child("concept") != nullptr) {
      inc.forEachChild("concept", [&](const core::Element& c) {
        fromSystem.insert(system + "|" + std::string(childValue(&c, "code")));
      });
    } else {
      auto cs = loadCodeSystem(ctx, system);
      if (cs == nullptr || !cs->complete) {
        open.insert(system);
        complete = false;
      } else if (inc.child("filter") != nullptr) {
        std::unordered_set<std::string> selected = cs->codes;
        inc.forEachChild("filter", [&](const core::Element& flt) {
          std::string_view op = childValue(&flt, "op");
          std::string_view prop = childValue(&flt, "property");
          std::string value(childValue(&flt, "value"));
          std::unordered_set<std::string> match;
          if ((op == "is-a" || op == "descendent-of") && (prop == "concept" || prop == "code")) {
            descendantsOf(*cs, value, op == "is-a", match);
          } else if (op == "=" && (prop == "concept" || prop == "code")) {
            match.insert(value);
          } else if (op == "in" && (prop == "concept" || prop == "code")) {
            size_t p = 0;
            while (p <= value.size()) {
              size_t q = value.find(',', p);
              if (q == std::string::npos) q = value.size();
              match.insert(value.substr(p, q - p));
              p = q + 1;
            }
          } else {
            complete = false;
            open.insert(system);
            return;
          }
          std::unordered_set<std::string> kept;
          for (const std::string& c : selected) {
            if (match.count(c) != 0) kept.insert(c);
          }
          selected.swap(kept);
        });
        for (const std::string& c : selected) fromSystem.insert(system + "|" + c);
      } else {
        for (const std::string& c : cs->codes) fromSystem.insert(system + "|" + c);
      }
    }
  }
  bool haveVsSet = false;
  std::unordered_set<std::string> fromValueSets;
  inc.forEachChild("valueSet", [&](const core::Element& vs) {
    auto e = expand(ctx, std::string(vs.value()), depth + 1);
    if (e == nullptr) {
      complete = false;
      return;
    }
    if (!e->complete) complete = false;
    open.insert(e->openSystems.begin(), e->openSystems.end());
    if (!haveVsSet) {
      fromValueSets = e->codes;
      haveVsSet = true;
    } else {
      std::unordered_set<std::string> kept;
      for (const std::string& c : fromValueSets) {
        if (e->codes.count(c) != 0) kept.insert(c);
      }
      fromValueSets.swap(kept);
    }
  });
  if (haveSystemSet && haveVsSet) {
    for (const std::string& c : fromSystem) {
      if (fromValueSets.count(c) != 0) out.insert(c);
    }
  } else if (haveSystemSet) {
    out.insert(fromSystem.begin(), fromSystem.end());
  } else {
    out.insert(fromValueSets.begin(), fromValueSets.end());
  }
  return complete;
}

void collectContains(const core::Element* parent, Expansion& e) {
  parent->forEachChild("contains", [&](const core::Element& c) {
    std::string_view code = childValue(&c, "code");
    if (!code.empty()) e.codes.insert(std::string(childValue(&c, "system")) + "|" + std::string(code));
    collectContains(&c, e);
  });
}

std::shared_ptr<Expansion> expand(const conformance::Context& ctx, const std::string& url,
                                  int depth) {
  if (depth > 8) return nullptr;
  TerminologyCache& cache = terminologyCache();
  {
    std::lock_guard lock(cache.mutex);
    auto it = cache.valueSets.find({&ctx, url});
    if (it != cache.valueSets.end()) return it->second;
  }
  std::shared_ptr<Expansion> result;
  auto doc = readResourceJson(ctx, url);
  if (doc != nullptr && doc->root() != nullptr && doc->root()->type().name == "ValueSet") {
    result = std::make_shared<Expansion>();
    const core::Element* vs = doc->root();
    const core::Element* expansion = vs->child("expansion");
    const core::Element* compose = vs->child("compose");
    if (expansion != nullptr && expansion->child("contains") != nullptr) {
      collectContains(expansion, *result);
    } else if (compose != nullptr) {
      compose->forEachChild("include", [&](const core::Element& inc) {
        if (!selectCodes(ctx, inc, depth, result->codes, result->openSystems)) {
          result->complete = false;
        }
      });
      compose->forEachChild("exclude", [&](const core::Element& exc) {
        std::unordered_set<std::string> removed, open;
        selectCodes(ctx, exc, depth, removed, open);
        for (const std::string& c : removed) result->codes.erase(c);
      });
    } else {
      result->complete = false;
    }
  }
  std::lock_guard lock(cache.mutex);
  cache.valueSets[{&ctx, url}] = result;
  return result;
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

std::optional<bool> memberOf(const conformance::Context& ctx, const Value& item,
                             std::string_view url) {
  auto e = expand(ctx, std::string(url), 0);
  if (e == nullptr) return std::nullopt;
  std::vector<CodeRef> codes;
  codesOf(item, codes);
  bool unknown = false;
  for (const CodeRef& c : codes) {
    if (c.code.empty()) continue;
    if (!c.system.empty()) {
      if (e->codes.count(std::string(c.system) + "|" + std::string(c.code)) != 0) return true;
      if (e->openSystems.count(std::string(c.system)) != 0) unknown = true;
    } else {
      // A bare code: in the value set under any system.
      for (const std::string& sc : e->codes) {
        size_t bar = sc.rfind('|');
        if (std::string_view(sc).substr(bar + 1) == c.code) return true;
      }
      if (!e->openSystems.empty()) unknown = true;
    }
  }
  if (unknown || !e->complete) return std::nullopt;
  return false;
}

std::optional<bool> subsumes(const conformance::Context& ctx, const Value& a, const Value& b) {
  std::vector<CodeRef> ca, cb;
  codesOf(a, ca);
  codesOf(b, cb);
  if (ca.size() != 1 || cb.size() != 1) return std::nullopt;
  std::string_view system = !ca[0].system.empty() ? ca[0].system : cb[0].system;
  if (system.empty() || (!cb[0].system.empty() && cb[0].system != system)) return std::nullopt;
  auto cs = loadCodeSystem(ctx, std::string(system));
  if (cs == nullptr) return std::nullopt;
  std::unordered_set<std::string> below;
  descendantsOf(*cs, std::string(ca[0].code), true, below);
  return below.count(std::string(cb[0].code)) != 0;
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
  std::string_view rest = dot == std::string_view::npos ? std::string_view() : relPath.substr(dot + 1);
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
    std::string_view parentRel =
        first == dot ? std::string_view() : std::string_view(d.path).substr(first + 1, dot - first - 1);
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

bool htmlChecks(std::string_view x) {
  static const std::unordered_set<std::string> kAllowed = {
      "div",   "p",     "br",   "hr",     "h1",  "h2",     "h3",   "h4",       "h5",
      "h6",    "span",  "b",    "i",      "u",   "s",      "em",   "strong",   "small",
      "big",   "tt",    "sub",  "sup",    "a",   "img",    "ul",   "ol",       "li",
      "dl",    "dt",    "dd",   "table",  "tr",  "td",     "th",   "thead",    "tbody",
      "tfoot", "col",   "colgroup",       "caption",       "pre",  "code",     "blockquote",
      "q",     "cite",  "dfn",  "abbr",   "acronym",       "address", "samp", "kbd",
      "var",   "del",   "ins",  "center", "font", "strike", "bdo",  "tr"};
  static const std::unordered_set<std::string> kAllowedAttrs = {
      "xmlns", "xml:lang", "lang", "class", "style", "id", "title", "dir", "href", "name",
      "src",   "alt",      "width", "height", "border", "cellpadding", "cellspacing", "colspan",
      "rowspan", "align", "valign", "span", "summary", "abbr", "axis", "headers", "scope",
      "charoff", "char", "cite", "datetime", "type", "start", "value", "compact", "nowrap",
      "bgcolor", "color", "size", "face", "rules", "frame", "clear", "noshade", "hspace",
      "vspace", "longdesc", "usemap", "ismap", "shape", "coords", "rel", "rev", "target",
      "hreflang", "accesskey", "tabindex", "xml:space", "charset"};
  auto lower = [](std::string_view s) {
    std::string r(s);
    for (char& c : r) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return r;
  };
  size_t i = 0;
  while (i < x.size() && (x[i] == ' ' || x[i] == '\n' || x[i] == '\r' || x[i] == '\t')) ++i;
  if (x.substr(i, 4) != "<div") return false;
  bool hasContent = false;
  while (i < x.size()) {
    size_t lt = x.find('<', i);
    std::string_view text = x.substr(i, lt == std::string_view::npos ? std::string_view::npos : lt - i);
    for (char c : text) {
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') hasContent = true;
    }
    if (lt == std::string_view::npos) break;
    if (x.substr(lt, 4) == "<!--") {
      size_t end = x.find("-->", lt);
      if (end == std::string_view::npos) return false;
      i = end + 3;
      continue;
    }
    size_t gt = x.find('>', lt);
    if (gt == std::string_view::npos) return false;
    std::string_view tag = x.substr(lt + 1, gt - lt - 1);
    i = gt + 1;
    if (!tag.empty() && (tag[0] == '/' || tag[0] == '?' || tag[0] == '!')) continue;
    size_t nameEnd = 0;
    while (nameEnd < tag.size() && tag[nameEnd] != ' ' && tag[nameEnd] != '/' &&
           tag[nameEnd] != '\n' && tag[nameEnd] != '\t' && tag[nameEnd] != '\r') {
      ++nameEnd;
    }
    std::string name = lower(tag.substr(0, nameEnd));
    size_t colon = name.find(':');
    if (colon != std::string::npos) name = name.substr(colon + 1);
    if (kAllowed.count(name) == 0) return false;
    if (name == "img" || name == "a" || name == "br" || name == "hr") hasContent = true;
    // Attributes.
    size_t p = nameEnd;
    while (p < tag.size()) {
      while (p < tag.size() && (tag[p] == ' ' || tag[p] == '\n' || tag[p] == '\t' ||
                                tag[p] == '\r' || tag[p] == '/')) {
        ++p;
      }
      size_t an = p;
      while (p < tag.size() && tag[p] != '=' && tag[p] != ' ' && tag[p] != '/') ++p;
      if (p == an) break;
      std::string attr = lower(tag.substr(an, p - an));
      std::string_view value;
      if (p < tag.size() && tag[p] == '=') {
        ++p;
        if (p < tag.size() && (tag[p] == '"' || tag[p] == '\'')) {
          char q = tag[p];
          size_t end = tag.find(q, p + 1);
          if (end == std::string_view::npos) return false;
          value = tag.substr(p + 1, end - p - 1);
          p = end + 1;
        }
      }
      if (attr.rfind("xmlns", 0) == 0) continue;
      if (attr.rfind("on", 0) == 0 || kAllowedAttrs.count(attr) == 0) return false;
      std::string v = lower(value);
      size_t s = v.find_first_not_of(" \t\n\r");
      if (s != std::string::npos && v.compare(s, 11, "javascript:") == 0) return false;
    }
  }
  return hasContent;
}

}  // namespace trialbridge::fhirpath
