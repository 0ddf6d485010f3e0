// Rules of StructureDefinitions as profiles: the discriminator paths of their slicings name
// something in the element being sliced, and, in a constraint's differential, what snapshot
// generation would refuse (slicing at the root or redefined by a slice, unknown discriminator
// types, paths with an empty name, elements out of the base's order, fixed values other than the
// base's, bindings on types that take none, type profiles of another type).
#include <algorithm>
#include <cctype>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "conformance/structure_definition.h"
#include "core/json.h"
#include "validation/check_util.h"
#include "validation/rules.h"

namespace trialbridge::validation {

namespace {

using conformance::ElementDefinition;
using core::Element;
using core::IssueType;

// A place in the element definitions of the base types: a type's (or resource's) snapshot
// and the path of one of its elements (no snapshot: a value without children).
struct DefinitionPlace {
  const conformance::StructureDefinition* sd;
  std::string path;
};

// Where discriminator paths lead in the core definitions.
class DefinitionPlaces {
 public:
  explicit DefinitionPlaces(const conformance::Snapshots& snapshots) : snapshots_(snapshots) {}

  // Whether the discriminator `path` can name something in the element at `elementPath` (of
  // the core definitions). Steps that cannot be followed here (resolve(), functions other than
  // extension() and ofType()) are given the benefit of the doubt, as is an element path that
  // cannot be found.
  bool discriminatorPathExists(std::string_view path, std::string_view elementPath) const {
    std::vector<DefinitionPlace> places;
    const std::vector<std::string_view> where = pathSteps(elementPath);
    typeRoot(where.front(), places);
    for (size_t i = 1; i < where.size() && !places.empty(); ++i) {
      std::vector<DefinitionPlace> next;
      for (const DefinitionPlace& p : places) childPlaces(p, where[i], next);
      places = std::move(next);
    }
    if (places.empty()) return true;
    for (const std::string_view step : pathSteps(path)) {
      if (step == "$this") continue;
      std::vector<DefinitionPlace> next;
      const size_t paren = step.find('(');
      if (paren != std::string_view::npos) {
        const std::string_view fn = step.substr(0, paren);
        if (fn == "extension") {
          typeRoot("Extension", next);
        } else if ((fn == "ofType" || fn == "as") && step.back() == ')') {
          typeRoot(step.substr(paren + 1, step.size() - paren - 2), next);
        }
        if (next.empty()) return true;
      } else {
        for (const DefinitionPlace& p : places) childPlaces(p, step, next);
        if (next.empty()) return false;
      }
      places = std::move(next);
    }
    return true;
  }

 private:
  // The places of the root of type `code` (none when it is not a loaded type).
  void typeRoot(std::string_view code, std::vector<DefinitionPlace>& out) const {
    const conformance::StructureDefinition* t = snapshots_.get(code);
    if (t != nullptr && !t->snapshot.empty()) out.push_back({t, t->snapshot.front().path});
  }

  // The places that child `name` of `from` can be: the element itself when its definition
  // has children (backbone elements), else the roots of its types; a choice is named with or
  // without [x], or renamed for one of its types (valueQuantity).
  void childPlaces(const DefinitionPlace& from, std::string_view name,
                   std::vector<DefinitionPlace>& out) const {
    if (from.sd == nullptr) return;
    const std::string prefix = from.path + ".";
    for (const ElementDefinition& e : from.sd->snapshot) {
      if (e.path.size() <= prefix.size() || e.path.compare(0, prefix.size(), prefix) != 0) {
        continue;
      }
      const std::string_view tail = std::string_view(e.path).substr(prefix.size());
      if (tail.find('.') != std::string_view::npos) continue;
      std::string_view type;  // the one type a renamed choice names
      if (tail != name) {
        if (tail.size() < 3 || tail.substr(tail.size() - 3) != "[x]") continue;
        const std::string_view stem = tail.substr(0, tail.size() - 3);
        if (name == stem) {
          // value[x] named as value
        } else if (name.starts_with(stem) && name.size() > stem.size()) {
          type = name.substr(stem.size());
        } else {
          continue;
        }
      }
      placesOf(from, e, type, out);
      return;
    }
  }

  // The places of element `e` of `from`'s definition, or of its type `type` (a renamed choice).
  void placesOf(const DefinitionPlace& from, const ElementDefinition& e, std::string_view type,
                std::vector<DefinitionPlace>& out) const {
    if (!e.contentReference.empty()) {
      out.push_back({from.sd, e.contentReference.substr(e.contentReference.find('#') + 1)});
      return;
    }
    const std::string own = e.path + ".";
    for (const ElementDefinition& c : from.sd->snapshot) {
      if (c.path.starts_with(own)) {
        out.push_back({from.sd, e.path});
        return;
      }
    }
    const size_t before = out.size();
    for (const conformance::TypeRef& t : e.types) {
      if (!type.empty()) {
        std::string code = t.code;
        if (!code.empty()) code[0] = static_cast<char>(std::toupper(code[0]));
        if (code != type) continue;
      }
      typeRoot(t.code, out);
    }
    // A value with no definition of its own (System.String): it exists, and has no children.
    if (out.size() == before && type.empty()) out.push_back({nullptr, e.path});
  }

  const conformance::Snapshots& snapshots_;
};

// The discriminator paths of every slicing in the definition (differential and snapshot)
// name something in the element being sliced.
void checkDiscriminatorPaths(const Element& res, RuleContext& ctx) {
  Reporter& rep = ctx.reporter;
  const DefinitionPlaces places(ctx.definitions.snapshots());
  for (const char* part : {"differential", "snapshot"}) {
    const Element* list = res.child(part);
    if (list == nullptr) continue;
    Reporter::Scope sList(rep, *list);
    list->forEachChild("element", [&](const Element& el) {
      const Element* slicing = el.child("slicing");
      const std::string_view path = childValue(el, "path");
      if (slicing == nullptr || path.find('.') == std::string_view::npos) return;
      slicing->forEachChild("discriminator", [&](const Element& d) {
        const std::string_view dp = childValue(d, "path");
        if (dp.empty() || places.discriminatorPathExists(dp, path)) return;
        Reporter::Scope s1(rep, el);
        Reporter::Scope s2(rep, *slicing);
        Reporter::Scope s3(rep, d);
        rep.error(IssueType::Invalid, &d,
                  "The discriminator path '" + std::string(dp) +
                      "' does not appear to be valid for the element that is being sliced '" +
                      std::string(path) + "'");
      });
    });
  }
}

// "ordered/rules [type=path, ...]" of a slicing element, with ?? for what it does not say.
std::string slicingSummary(const Element& slicing) {
  const Element* ordered = slicing.child("ordered");
  std::string s = ordered == nullptr || !ordered->hasValue()
                      ? "??"
                      : (ordered->value() == "true" ? "ordered" : "unordered");
  const std::string_view rules = childValue(slicing, "rules");
  s += "/" + (rules.empty() ? std::string("??") : std::string(rules)) + " [";
  bool first = true;
  slicing.forEachChild("discriminator", [&](const Element& d) {
    s += (first ? "" : ", ") + std::string(childValue(d, "type")) + "=" +
         std::string(childValue(d, "path"));
    first = false;
  });
  return s + "]";
}

// Whether `later` (the slicing stated again on a slice) agrees with `first` (the slicing of
// the element): it may leave out ordered and rules, but not change them or the
// discriminators.
bool sameSlicing(const Element& first, const Element& later) {
  for (const char* name : {"ordered", "rules"}) {
    const Element* b = later.child(name);
    if (b == nullptr) continue;
    const Element* a = first.child(name);
    if (a == nullptr || a->value() != b->value()) return false;
  }
  std::vector<std::pair<std::string_view, std::string_view>> a, b;
  first.forEachChild("discriminator", [&](const Element& d) {
    a.emplace_back(childValue(d, "type"), childValue(d, "path"));
  });
  later.forEachChild("discriminator", [&](const Element& d) {
    b.emplace_back(childValue(d, "type"), childValue(d, "path"));
  });
  return a == b;
}

// In a differential, the slices of an element may not state a slicing other than the
// element's own (snapshot generation would have to choose one).
void checkSlicingRedefinitions(const Element& diff, Reporter& rep) {
  // Elements by (id of the parent, path): the element and its slices, in order.
  std::vector<std::pair<std::string, std::vector<const Element*>>> groups;
  diff.forEachChild("element", [&](const Element& el) {
    std::string_view id = childValue(el, "id");
    const std::string_view path = childValue(el, "path");
    if (id.empty()) id = path;
    const size_t dot = id.rfind('.');
    const std::string key = std::string(dot == std::string_view::npos ? "" : id.substr(0, dot)) +
                            "|" + std::string(path);
    for (auto& [k, members] : groups) {
      if (k == key) {
        members.push_back(&el);
        return;
      }
    }
    groups.push_back({key, {&el}});
  });
  const auto label = [](const Element& el) {
    const std::string_view id = childValue(el, "id");
    return std::string(id.empty() ? childValue(el, "path") : id);
  };
  for (const auto& [key, members] : groups) {
    const Element* first = members.front()->child("slicing");
    if (first == nullptr) continue;
    for (size_t i = 1; i < members.size(); ++i) {
      const Element* later = members[i]->child("slicing");
      if (later == nullptr || sameSlicing(*first, *later)) continue;
      rep.error(IssueType::Invalid, members[i],
                "The element at " + label(*members.front()) + " defines the slicing " +
                    slicingSummary(*first) + " but then an element in the slicing " +
                    label(*members[i]) + " tries to redefine the slicing to " +
                    slicingSummary(*later));
    }
  }
}

// One element of a constraint's differential (`el`, read as `d`), on its own: slicing at the
// root, discriminator types, bindings on types that take one, type profiles of its types.
void checkDifferentialElement(const ElementDefinition& d, const Element& el, RuleContext& ctx) {
  Reporter& rep = ctx.reporter;
  if (d.path.find('.') == std::string::npos && d.slicing) {
    rep.error(IssueType::Invalid, &el, "Slicing is not allowed at the root of a profile");
    rep.error(IssueType::Exception, &el,
              "Error generating Snapshot: The profile has slicing at the root ('" + d.path +
                  "'), which is illegal");
  }
  if (d.slicing) {
    for (const conformance::Discriminator& disc : d.slicing->discriminators) {
      static const char* kTypes[] = {"value", "exists", "pattern", "type", "profile"};
      if (std::find(std::begin(kTypes), std::end(kTypes), disc.type) == std::end(kTypes) &&
          !disc.type.empty()) {
        rep.error(IssueType::Exception, &el,
                  "Error generating Snapshot: Unknown DiscriminatorType code '" + disc.type + "'");
      }
    }
  }
  if (d.binding && !d.types.empty()) {
    static const char* kBindable[] = {"code",   "Coding", "CodeableConcept", "Quantity",
                                      "string", "uri",    "Duration",        "CodeableReference"};
    bool bindable = false;
    std::vector<std::string> codes;
    for (const conformance::TypeRef& t : d.types) {
      if (std::find(std::begin(kBindable), std::end(kBindable), t.code) != std::end(kBindable)) {
        bindable = true;
      }
      codes.push_back(t.code);
    }
    if (!bindable) {
      rep.error(IssueType::BusinessRule, &el,
                "This element has a Binding but the types [" + joinList(codes) +
                    "] do not make this kind of constraint relevant");
    }
  }
  for (const conformance::TypeRef& t : d.types) {
    for (const std::string& p : t.profiles) {
      const conformance::StructureDefinition* psd = ctx.definitions.snapshots().get(p);
      if (psd != nullptr && psd->type != t.code && t.code != "Extension" && !psd->type.empty()) {
        rep.error(IssueType::Exception, &el,
                  "Profile " + p + " is for type " + psd->type + ", but the " + d.path +
                      " element has type " + t.code);
      }
    }
  }
}

// Order and fixed values of a differential's element against the base's element of the same
// path. `last`: the place in the base's snapshot of the elements before it.
void checkAgainstBase(const conformance::StructureDefinition& sd,
                      const conformance::StructureDefinition& base, const ElementDefinition& d,
                      const Element& el, const Element& res, size_t& last, Reporter& rep) {
  size_t at = base.snapshot.size();
  for (size_t k = 0; k < base.snapshot.size(); ++k) {
    if (base.snapshot[k].path == d.path && base.snapshot[k].sliceName.empty()) {
      at = k;
      break;
    }
  }
  if (at == base.snapshot.size()) return;
  if (at < last) {
    const std::string id = d.id.empty() ? d.path : d.id;
    rep.error(IssueType::Value, &el,
              "No match found for " + id +
                  " in the generated snapshot: check that the path and definitions are legal "
                  "in the differential (including order)");
    rep.error(IssueType::Value, &res,
              "The profile " + sd.url + " has 1 element in the differential (id: " + id +
                  ") that don't have a matching element in the snapshot: check that the "
                  "path and definitions are legal in the differential (including order)");
  }
  last = std::max(last, at);
  const ElementDefinition& b = base.snapshot[at];
  if (!d.fixedName.empty() && !b.fixedName.empty() && d.fixedJson != b.fixedJson) {
    auto text = [](std::string j) {
      if (j.size() >= 2 && j.front() == '"') j = j.substr(1, j.size() - 2);
      return j;
    };
    rep.error(IssueType::Value, &el,
              "Value is '" + text(d.fixedJson) + "' but is fixed to '" + text(b.fixedJson) +
                  "' in the profile " + base.url);
  }
}

// The definition as JSON text without its snapshot and narrative, which these rules do not read
// and which are most of a profile's size (the conformance layer parses definitions from text).
std::string withoutSnapshot(const Element& res, const core::TypeResolver& types) {
  core::Document doc(types);
  core::Element* root = doc.createResource("StructureDefinition");
  for (const Element* c = res.firstChild(); c != nullptr; c = c->nextSibling()) {
    if (c->name() != "snapshot" && c->name() != "text") core::copyElement(doc, root, *c);
  }
  return core::writeJson(*root);
}

// What snapshot generation would refuse in a constraint profile's differential.
void checkProfileDefinition(const Element& res, RuleContext& ctx) {
  checkDiscriminatorPaths(res, ctx);
  if (childValue(res, "derivation") != "constraint" || res.child("differential") == nullptr) {
    return;
  }
  Reporter& rep = ctx.reporter;
  checkSlicingRedefinitions(*res.child("differential"), rep);
  auto parsed = conformance::parseStructureDefinition(withoutSnapshot(res, ctx.context()));
  if (!parsed) return;
  const conformance::StructureDefinition& sd = parsed.value();
  const conformance::StructureDefinition* base = ctx.definitions.snapshots().get(sd.baseDefinition);
  for (const ElementDefinition& d : sd.differential) {
    if (d.path.find("..") != std::string::npos) {
      rep.error(IssueType::Exception, &res,
                "Error generating Snapshot: Invalid path '" + d.path + "' in differential in " +
                    sd.url + ": name portion missing ('..')");
    }
  }
  const Element& diff = *res.child("differential");
  Reporter::Scope sDiff(rep, diff);
  std::vector<const Element*> elements;
  diff.forEachChild("element", [&](const Element& el) { elements.push_back(&el); });
  size_t last = 0;
  for (size_t i = 0; i < sd.differential.size() && i < elements.size(); ++i) {
    const ElementDefinition& d = sd.differential[i];
    Reporter::Scope sEl(rep, *elements[i]);
    checkDifferentialElement(d, *elements[i], ctx);
    if (base == nullptr || !d.sliceName.empty() || d.id.find(':') != std::string::npos) continue;
    checkAgainstBase(sd, *base, d, *elements[i], res, last, rep);
  }
}

}  // namespace

void addProfileRules(RuleTable& table) {
  table.addResourceRule("StructureDefinition", checkProfileDefinition);
}

}  // namespace trialbridge::validation
