#include "validation/slicing.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace trialbridge::validation {

using conformance::ElementDefinition;
using core::Element;
using core::IssueType;

namespace {

// An extension slice is known by its type profile's URL, or, for a sub-extension of a complex
// extension, by the url fixed in its children (or its slice name).
bool extensionSliceMatches(const Element& item, const ElementNode& slice) {
  const auto* tp = slice.typeProfiles("Extension");
  const std::string_view url = childValue(item, "url");
  if (tp != nullptr) {
    for (const std::string& p : *tp) {
      if (versionless(p) == url) return true;
    }
    return false;
  }
  for (const ElementNode* k : slice.children) {
    if (k->name == "url" && k->fixed.present()) return k->fixed.text == url;
  }
  return slice.def->sliceName == url;
}

// The url in a path step "extension('url')".
std::string_view extensionStepUrl(std::string_view step) {
  std::string_view url = step.substr(10, step.size() - 11);
  if (url.size() >= 2) url = url.substr(1, url.size() - 2);
  return url;
}

}  // namespace

std::vector<const ElementNode*> Slicing::assign(const Element& parent, const ElementNode& sliced,
                                                const std::vector<const Element*>& items,
                                                const StructureModel& m) {
  std::vector<const ElementNode*> assigned(items.size(), nullptr);
  std::vector<size_t> counts(sliced.slices.size(), 0);
  for (size_t i = 0; i < items.size(); ++i) {
    for (size_t s = 0; s < sliced.slices.size(); ++s) {
      if (matches(*items[i], *sliced.slices[s], sliced, m)) {
        assigned[i] = sliced.slices[s];
        ++counts[s];
        break;
      }
    }
  }
  checkCounts(parent, sliced, counts, m);
  checkOrder(sliced, items, assigned, m);
  return assigned;
}

void Slicing::checkCounts(const Element& parent, const ElementNode& sliced,
                          const std::vector<size_t>& counts, const StructureModel& m) {
  for (size_t s = 0; s < sliced.slices.size(); ++s) {
    const ElementDefinition& d = *sliced.slices[s]->def;
    const std::string id = d.id.empty() ? d.path + ":" + d.sliceName : d.id;
    if (counts[s] < d.min) {
      rep_.error(IssueType::Structure, &parent,
                 "Slice '" + id + "': a matching slice is required, but not found (from " +
                     m.label() + ")");
    }
    if (d.max != ElementDefinition::kUnbounded && counts[s] > d.max) {
      rep_.error(IssueType::Structure, &parent,
                 id + ": max allowed = " + std::to_string(d.max) + ", but found " +
                     std::to_string(counts[s]) + " (from " + m.label() + ")");
    }
  }
}

// Items in no slice (closed slicing; undefined sub-extensions), and the order of the others
// (ordered, openAtEnd).
void Slicing::checkOrder(const ElementNode& sliced, const std::vector<const Element*>& items,
                         const std::vector<const ElementNode*>& assigned, const StructureModel& m) {
  const conformance::Slicing* slicing = sliced.def->slicing ? &*sliced.def->slicing : nullptr;
  size_t lastSlice = 0;
  bool seenUnmatched = false;
  for (size_t i = 0; i < items.size(); ++i) {
    Reporter::Scope s(rep_, *items[i]);
    if (assigned[i] == nullptr) {
      seenUnmatched = true;
      if (m.sd().type == "Extension" && sliced.def->path == "Extension.extension" &&
          items[i]->type().name == "Extension") {
        const std::string_view url = childValue(*items[i], "url");
        if (url.find("://") == std::string_view::npos && !url.starts_with("urn:")) {
          rep_.error(IssueType::Invalid, items[i],
                     "Sub-extension url '" + std::string(url) +
                         "' is not defined by the Extension " + m.label());
        }
      }
      if (slicing != nullptr && slicing->rules == "closed") {
        rep_.error(IssueType::Structure, items[i],
                   "This element does not match any known slice defined in the profile " +
                       m.label() + " (closed slicing of " + sliced.def->path + ")");
      }
      continue;
    }
    const size_t idx = static_cast<size_t>(
        std::find(sliced.slices.begin(), sliced.slices.end(), assigned[i]) - sliced.slices.begin());
    if (slicing != nullptr && slicing->ordered && idx < lastSlice) {
      rep_.error(IssueType::Structure, items[i],
                 "As specified by profile " + m.label() + ", Element '" + sliced.def->path +
                     "' is out of order in the slicing");
    }
    if (slicing != nullptr && slicing->rules == "openAtEnd" && seenUnmatched) {
      rep_.error(IssueType::Structure, items[i],
                 "The slicing of " + sliced.def->path + " is open at the end only, but a slice " +
                     "follows an element that matches no slice");
    }
    lastSlice = std::max(lastSlice, idx);
  }
}

bool Slicing::matches(const Element& item, const ElementNode& slice, const ElementNode& sliced,
                      const StructureModel& m) {
  if (!sliced.def->slicing && sliced.slicedBy != nullptr && sliced.slicedBy->def->slicing) {
    return matches(item, slice, *sliced.slicedBy, m);  // a re-slice: the same rules
  }
  if (!sliced.def->slicing || sliced.def->slicing->discriminators.empty()) {
    // No discriminator: an extension slice is still known by its type profile's URL.
    if (item.type().name == "Extension") return extensionSliceMatches(item, slice);
    return false;
  }
  for (const conformance::Discriminator& d : sliced.def->slicing->discriminators) {
    if (!discriminatorMatches(item, slice, d, m)) return false;
  }
  return true;
}

bool Slicing::discriminatorMatches(const Element& item, const ElementNode& slice,
                                   const conformance::Discriminator& d, const StructureModel& m) {
  const std::string& type = d.type;
  if ((type == "value" || type == "pattern") && d.path == "url" &&
      item.type().name == "Extension") {
    return extensionSliceMatches(item, slice);
  }
  const StructureModel* dm = &m;
  const ElementNode* target = defAt(slice, d.path, dm);
  const std::vector<const Element*> values = select(item, d.path);
  if (type == "value" || type == "pattern") return valueMatches(values, target);
  if (type == "exists") {
    if (target == nullptr) return false;
    if (target->def->min >= 1) return !values.empty();
    if (target->def->max == 0) return values.empty();
    return false;
  }
  if (type == "type") return typeMatches(values, target, *dm);
  if (type == "profile") return profileMatches(values, target);
  return false;
}

// value and pattern discriminators: the fixed or pattern value of the slice, or a required
// binding.
bool Slicing::valueMatches(const std::vector<const Element*>& values, const ElementNode* target) {
  if (target == nullptr) return false;
  const ValueSpec* spec = target->fixed.present()     ? &target->fixed
                          : target->pattern.present() ? &target->pattern
                                                      : nullptr;
  if (spec == nullptr) {
    // A required binding can discriminate too.
    if (target->def->binding && target->def->binding->strength == "required") {
      for (const Element* v : values) {
        std::string_view code = v->hasValue() ? v->value() : childValue(*v, "code");
        std::string_view system = v->hasValue() ? std::string_view() : childValue(*v, "system");
        if (defs_.terminology().member(target->def->binding->valueSet, system, code) ==
            conformance::Membership::In) {
          return true;
        }
      }
    }
    return false;
  }
  for (const Element* v : values) {
    if (spec->document) {
      if (spec == &target->fixed ? sameContent(*v, *spec->root())
                                 : matchesPattern(*v, *spec->root())) {
        return true;
      }
    } else if (v->hasValue() && v->value() == spec->text) {
      return true;
    }
  }
  return false;
}

// type discriminators: the value's type (or, where the path ends at a resource, the resource's)
// among the slice's; for references, the target's type among the slice's target profiles'.
bool Slicing::typeMatches(const std::vector<const Element*>& values, const ElementNode* target,
                          const StructureModel& dm) {
  if (target == nullptr || values.empty()) return false;
  for (const Element* v : values) {
    if (target == &dm.root() && target->types.empty()) {
      // The path ends at a resource (resolve()): its type against the profile's.
      if (v->type().name == dm.sd().type || dm.sd().type == "Resource") return true;
      continue;
    }
    if (!target->allowsType(v->type().fhirType) && !target->allowsType(v->type().name)) {
      continue;
    }
    if (v->type().name == "Reference") {
      // Slices of references by type also tell the targets apart.
      const auto* tps = target->targetProfiles();
      const std::string t = refs_.targetType(*v, state_.resource);
      if (tps != nullptr && !tps->empty() && !t.empty()) {
        bool any = false;
        for (const std::string& tp : *tps) {
          const std::string tt = refs_.typeOfProfile(tp);
          if (tt == t || tt == "Resource" || tt.empty()) any = true;
        }
        if (!any) continue;
      }
    }
    return true;
  }
  return false;
}

// profile discriminators: the value conforms to one of the slice's type (or target) profiles.
bool Slicing::profileMatches(const std::vector<const Element*>& values, const ElementNode* target) {
  if (target == nullptr || values.empty()) return false;
  std::vector<std::string> urls;
  for (const std::string& t : target->types) {
    if (const auto* tp = target->typeProfiles(t)) urls.insert(urls.end(), tp->begin(), tp->end());
  }
  if (urls.empty()) {
    if (const auto* tp = target->targetProfiles()) urls = *tp;
  }
  if (urls.empty()) return false;
  for (const Element* v : values) {
    for (const std::string& url : urls) {
      if (match_.conformsTo(*v, url)) return true;
    }
  }
  return false;
}

// The elements a discriminator path selects from `e`.
std::vector<const Element*> Slicing::select(const Element& e, std::string_view path) const {
  std::vector<const Element*> cur{&e};
  if (path.empty()) return cur;
  for (const std::string_view seg : pathSteps(path)) {
    if (cur.empty()) break;
    if (seg == "$this") continue;
    std::vector<const Element*> next;
    if (seg.starts_with("extension(")) {
      const std::string_view url = extensionStepUrl(seg);
      for (const Element* x : cur) {
        x->forEachChild("extension", [&](const Element& ext) {
          if (childValue(ext, "url") == url) next.push_back(&ext);
        });
      }
    } else if (seg == "resolve()") {
      for (const Element* x : cur) {
        if (const Element* r = refs_.resolve(childValue(*x, "reference"), state_.resource)) {
          next.push_back(r);
        }
      }
    } else if (seg.starts_with("ofType(")) {
      const std::string_view t = seg.substr(7, seg.size() - 8);
      for (const Element* x : cur) {
        if (x->type().fhirType == t || x->type().name == t) next.push_back(x);
      }
    } else {
      for (const Element* x : cur) {
        for (const Element* c = x->firstChild(); c != nullptr; c = c->nextSibling()) {
          if (c->name() == seg ||
              (c->property() != nullptr && c->property()->choice && c->jsonName() == seg)) {
            next.push_back(c);
          }
        }
      }
    }
    cur = std::move(next);
  }
  return cur;
}

// The definition a discriminator path leads to from `node`, looking into type definitions
// and type profiles where the slice does not constrain the children itself.
const ElementNode* Slicing::defAt(const ElementNode& node, std::string_view path,
                                  const StructureModel*& model) const {
  const ElementNode* cur = &node;
  if (path.empty()) return cur;
  int guard = 0;
  for (const std::string_view seg : pathSteps(path)) {
    if (cur == nullptr || ++guard >= 32) break;
    if (seg == "$this" || seg.starts_with("ofType(")) continue;
    const std::vector<const ElementNode*>* kids = &cur->children;
    if (kids->empty() && cur->contentReference != nullptr) kids = &cur->contentReference->children;
    if (seg == "resolve()") {
      const auto* tps = cur->targetProfiles();
      if (tps == nullptr || tps->empty()) return nullptr;
      const StructureModel* pm = defs_.models().get(tps->front());
      if (pm == nullptr) return nullptr;
      model = pm;
      cur = &pm->root();
      continue;
    }
    if (kids->empty()) {
      const StructureModel* tm = nullptr;
      const std::string type = cur->types.empty() ? std::string() : cur->types.front();
      if (const auto* tp = cur->typeProfiles(type)) tm = defs_.models().get(tp->front());
      if (tm == nullptr) tm = defs_.models().get(type);
      if (tm == nullptr) return nullptr;
      model = tm;
      kids = &tm->root().children;
    }
    if (seg.starts_with("extension(")) {
      cur = extensionDefAt(*kids, extensionStepUrl(seg), model);
      if (cur == nullptr) return nullptr;
      continue;
    }
    const ElementNode* next = nullptr;
    for (const ElementNode* k : *kids) {
      if (k->name == seg) next = k;
    }
    if (next == nullptr) {
      // "value" for a renamed choice ("valueCode").
      for (const ElementNode* k : *kids) {
        if (k->name.size() > seg.size() && k->name.starts_with(seg) &&
            std::isupper(static_cast<unsigned char>(k->name[seg.size()])) != 0) {
          next = k;
        }
      }
    }
    cur = next;
  }
  return cur;
}

// The definition of extension `url` among `kids`: the extension slice for it (and the deepest
// re-slice of that), else the extension's own definition.
const ElementNode* Slicing::extensionDefAt(const std::vector<const ElementNode*>& kids,
                                           std::string_view url,
                                           const StructureModel*& model) const {
  const ElementNode* ext = nullptr;
  for (const ElementNode* k : kids) {
    if (k->name == "extension") ext = k;
  }
  auto byUrl = [&](const std::vector<const ElementNode*>& slices) -> const ElementNode* {
    for (const ElementNode* s : slices) {
      const auto* tp = s->typeProfiles("Extension");
      if (tp != nullptr && !tp->empty() && versionless(tp->front()) == url) return s;
    }
    return nullptr;
  };
  const ElementNode* found = ext != nullptr ? byUrl(ext->slices) : nullptr;
  // Re-slices of that slice say more (a fixed value in "actionType/Single").
  while (found != nullptr && !found->slices.empty()) {
    const ElementNode* deeper = byUrl(found->slices);
    if (deeper == nullptr) break;
    found = deeper;
  }
  if (found != nullptr) return found;
  const StructureModel* em = defs_.models().get(url);
  if (em == nullptr) return nullptr;
  model = em;
  return &em->root();
}

}  // namespace trialbridge::validation
