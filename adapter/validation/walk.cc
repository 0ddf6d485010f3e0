#include "validation/walk.h"

#include <algorithm>

#include "validation/primitives.h"

namespace trialbridge::validation {

using conformance::ElementDefinition;
using core::Element;
using core::IssueType;

namespace {

// Consecutive children with the same name (children are in definition order).
struct Group {
  std::string_view name;
  const Element* first = nullptr;
  uint32_t count = 0;
};

// A 64-bit signature of a name (its length and first and last letters) for a quick "surely not
// among these names" test before comparing strings.
uint64_t nameBit(std::string_view name) {
  if (name.empty()) return 1;
  return uint64_t{1} << ((name.size() * 7 + static_cast<unsigned char>(name.front()) * 3 +
                          static_cast<unsigned char>(name.back())) &
                         63);
}

void items(const Group& g, std::vector<const Element*>& out) {
  out.clear();
  const Element* c = g.first;
  for (uint32_t i = 0; i < g.count && c != nullptr; ++i, c = c->nextSibling()) out.push_back(c);
}

// Whether profile model `pm` is for resources of the type of `e` (or any resource).
bool profileTakes(const StructureModel& pm, const Element& e) {
  return pm.sd().type == e.type().name || pm.sd().type == "Resource" ||
         pm.sd().type == "DomainResource";
}

}  // namespace

Walk::Walk(const ValidatorOptions& options, const Definitions& definitions, core::Issues& issues,
           const core::Issues* readerIssues)
    : options_(options),
      defs_(definitions),
      rep_(issues),
      values_(options, rep_),
      bindings_(definitions.terminology(), rep_),
      invariants_(definitions, options, rep_, state_, readerIssues),
      references_(definitions, options, rep_, state_, *this),
      extensions_(definitions, options, rep_, invariants_),
      slicing_(definitions, references_, rep_, state_, *this),
      rules_{rep_, definitions, options, references_, invariants_},
      table_(RuleTable::get()) {}

void Walk::validateRoot(const Element& root, std::span<const std::string> profiles) {
  state_.root = &root;
  rep_.setRoot(root.type().name);
  validateResource(root, profiles, /*base=*/true);
}

// --- resources -----------------------------------------------------------------------------

void Walk::validateResource(const Element& res, std::span<const std::string> profiles, bool base) {
  const Element* savedResource = state_.resource;
  state_.resource = &res;
  const size_t displaysFrom = bindings_.mark();
  if (base) checkResourceBase(res);
  for (const std::string& url : resourceProfiles(res, profiles, base)) {
    std::string error;
    const StructureModel* m = defs_.models().get(url, &error);
    if (m == nullptr) {
      rep_.error(IssueType::NotFound, &res,
                 "Unable to resolve the profile reference '" + url + "'" +
                     (error.empty() ? "" : " (" + error + ")"));
      continue;
    }
    if (!profileTakes(*m, res)) {
      rep_.error(IssueType::Structure, &res,
                 "The type '" + std::string(res.type().name) + "' is not valid - must be " +
                     m->sd().type + " (profile " + m->label() + ")");
      continue;
    }
    // While it is under way, references that lead back to this resource take it to conform
    // (circular links between resources that must conform to the same profile).
    checking_.emplace_back(&res, m);
    validateNode(res, m->root(), *m, /*profile=*/true);
    checking_.pop_back();
  }
  if (base) bindings_.reportDisplays(displaysFrom);
  state_.resource = savedResource;
}

// The base pass: the resource id, the resource's type, the rules of resources of its type.
void Walk::checkResourceBase(const Element& res) {
  if (const Element* id = res.child("id"); id != nullptr && id->hasValue()) {
    std::string why;
    if (!checkResourceId(id->value(), why)) {
      Reporter::Scope s(rep_, *id);
      rep_.error(IssueType::Invalid, id, "Invalid Resource id: " + why);
    }
  }
  std::string error;
  const StructureModel* model = defs_.models().get(res.type().name, &error);
  if (model == nullptr) {
    rep_.error(IssueType::NotSupported, &res,
               "No definition for the resource type " + std::string(res.type().name));
  } else {
    validateNode(res, model->root(), *model, /*profile=*/false);
  }
  table_.runResourceRules(res, rules_);
}

// The profiles a resource is checked against: `profiles`, and in the base pass those an
// ImplementationGuide declares global for its type and its meta.profile (an unknown one is
// warned about and left out).
std::vector<std::string> Walk::resourceProfiles(const Element& res,
                                                std::span<const std::string> profiles, bool base) {
  std::vector<std::string> all(profiles.begin(), profiles.end());
  if (!base) return all;
  for (const auto& [type, url] : defs_.globalProfiles()) {
    if (type == res.type().name && std::find(all.begin(), all.end(), url) == all.end()) {
      all.push_back(url);
    }
  }
  if (const Element* meta = res.child("meta")) {
    meta->forEachChild("profile", [&](const Element& p) {
      if (!p.hasValue()) return;
      std::string url(p.value());
      if (std::find(all.begin(), all.end(), url) != all.end()) return;
      if (defs_.models().get(url) == nullptr) {
        Reporter::Scope s1(rep_, *meta);
        Reporter::Scope s2(rep_, p);
        rep_.warning(IssueType::BusinessRule, &p,
                     "Profile reference '" + url + "' has not been checked because it is unknown");
        return;
      }
      all.push_back(std::move(url));
    });
  }
  return all;
}

// ValidatorOptions::bundleRules for an entry of the input Bundle.
void Walk::addBundleRuleProfiles(const Element& res, std::vector<std::string>& profiles) const {
  const auto& rules = options_.bundleRules;
  const Element* root = state_.root;
  if (rules.empty() || res.name() != "resource" || res.parent() == nullptr ||
      res.parent()->parent() != root || root->type().name != "Bundle") {
    return;
  }
  size_t index = 0;  // among the entries with a resource of this type
  for (const Element* e = root->child("entry"); e != nullptr && e != res.parent();
       e = e->nextSibling()) {
    const Element* r = e->name() == "entry" ? e->child("resource") : nullptr;
    if (r != nullptr && r->type().name == res.type().name) ++index;
  }
  for (const auto& rule : rules) {
    const size_t colon = rule.rule.find(':');
    const std::string type = rule.rule.substr(0, colon);
    const std::string which = colon == std::string::npos ? "*" : rule.rule.substr(colon + 1);
    if (type != res.type().name) continue;
    if (which != "*" && which != std::to_string(index)) continue;
    profiles.push_back(rule.profile);
  }
}

// --- elements ------------------------------------------------------------------------------

void Walk::validateNode(const Element& e, const ElementNode& node, const StructureModel& m,
                        bool profile) {
  if (e.isResource() && &node != &m.root()) {
    validateInnerResource(e, node, m, profile);
    return;
  }
  checkRules(e, node, m, profile);
  validateTypeProfiles(e, node, m);
  if (e.isPrimitive() && !e.hasChildren()) return;
  const std::vector<const ElementNode*>* defs = &node.children;
  const StructureModel* dm = &m;
  if (defs->empty() && node.contentReference != nullptr) defs = &node.contentReference->children;
  if (defs->empty()) {
    // The element's type was not expanded in this definition: its own type's definition says
    // what its children are. Profiles that say nothing about them add nothing to the base.
    if (profile) return;
    const StructureModel* tm = defs_.typeModel(e.type());
    if (tm == nullptr) return;
    dm = tm;
    defs = &tm->root().children;
    invariants_.checkTypeInvariants(e, node, *tm);
  }
  validateChildren(e, *defs, *dm, profile);
}

// A resource inside another (contained, Bundle.entry.resource, Parameters): its own type, its
// own meta.profile, and the profiles the definition asks for (several are alternatives).
void Walk::validateInnerResource(const Element& e, const ElementNode& node, const StructureModel& m,
                                 bool profile) {
  std::vector<std::string> profiles;
  if (const auto* tp = node.typeProfiles(node.types.empty() ? "" : node.types.front())) {
    profiles = *tp;
  }
  for (const std::string& t : node.types) {
    if (const auto* tp = node.typeProfiles(t)) {
      for (const std::string& p : *tp) {
        if (std::find(profiles.begin(), profiles.end(), p) == profiles.end()) {
          profiles.push_back(p);
        }
      }
    }
  }
  checkRules(e, node, m, profile);
  if (!profile) addBundleRuleProfiles(e, profiles);
  std::vector<std::string> candidates;
  for (const std::string& url : profiles) {
    const StructureModel* pm = defs_.models().get(url);
    if (pm == nullptr || profileTakes(*pm, e)) candidates.push_back(url);
  }
  if (!profiles.empty() && candidates.empty()) {
    rep_.error(IssueType::Structure, &e,
               "The type '" + std::string(e.type().name) +
                   "' is not valid - must match one of the profiles " + joinList(profiles));
    validateResource(e, {}, /*base=*/!profile);
    return;
  }
  if (candidates.size() > 1) {
    for (const std::string& url : candidates) {
      if (conformsTo(e, url)) {
        validateResource(e, std::vector<std::string>{url}, /*base=*/!profile);
        return;
      }
    }
    rep_.error(
        IssueType::Structure, &e,
        "Unable to find a match for the specified profile among choices: " + joinList(candidates));
  }
  validateResource(e, candidates, /*base=*/!profile);
}

// Type profiles (type[].profile) other than the extension's own definition; several profiles
// for one type are alternatives: the first the element conforms to is the one it is checked
// against.
void Walk::validateTypeProfiles(const Element& e, const ElementNode& node,
                                const StructureModel& m) {
  const auto* tp = node.typeProfiles(e.type().fhirType);
  if (tp == nullptr) return;
  std::vector<const StructureModel*> models;
  for (const std::string& url : *tp) {
    if (e.type().name == "Extension" && versionless(url) == childValue(e, "url")) continue;
    std::string error;
    const StructureModel* pm = defs_.models().get(url, &error);
    if (pm == nullptr) {
      rep_.error(IssueType::Structure, &e, "Unknown profile " + url);
    } else if (pm != &m || &pm->root() != &node) {
      models.push_back(pm);
    }
  }
  if (models.size() > 1) {
    for (const StructureModel* pm : models) {
      if (conformsTo(e, pm->sd().url)) {
        validateNode(e, pm->root(), *pm, /*profile=*/true);
        return;
      }
    }
    std::vector<std::string> urls;
    for (const StructureModel* pm : models) urls.push_back(pm->sd().url);
    rep_.error(IssueType::Structure, &e,
               "Unable to find a match for the specified profile among choices: " + joinList(urls));
  }
  for (const StructureModel* pm : models) validateNode(e, pm->root(), *pm, /*profile=*/true);
}

void Walk::validateChildren(const Element& e, const std::vector<const ElementNode*>& defs,
                            const StructureModel& m, bool profile) {
  // Groups, without allocating for the usual handful of names.
  Group inlineGroups[32];
  std::vector<Group> moreGroups;
  size_t n = 0;
  auto at = [&](size_t i) -> Group& { return i < 32 ? inlineGroups[i] : moreGroups[i - 32]; };
  uint64_t names = 0;    // nameBit of every group
  bool choices = false;  // a group is a choice element (a renamed choice may name it)
  for (const Element* c = e.firstChild(); c != nullptr; c = c->nextSibling()) {
    if (n > 0 && at(n - 1).name == c->name()) {
      ++at(n - 1).count;
      continue;
    }
    if (n >= 32) moreGroups.emplace_back();
    Group& g = at(n++);
    g.name = c->name();
    g.first = c;
    g.count = 1;
    names |= nameBit(g.name);
    choices = choices || (c->property() != nullptr && c->property()->choice);
  }
  std::vector<const Element*> matched;
  size_t cursor = 0;
  for (const ElementNode* c : defs) {
    if (e.isPrimitive() && c->name == "value") continue;
    const Group* found = nullptr;
    // Definitions and groups come in the same order: look at the cursor first.
    if (cursor < n && at(cursor).name == c->name) {
      found = &at(cursor++);
    } else if ((names & nameBit(c->name)) != 0) {
      for (size_t r = 0; r < n && found == nullptr; ++r) {
        if (at(r).name == c->name) found = &at(r);
      }
    }
    if (found == nullptr && !c->choice && choices) {
      // A renamed choice ("valueQuantity" for value[x]).
      for (size_t r = 0; r < n && found == nullptr; ++r) {
        const Group& g = at(r);
        if (g.first->property() != nullptr && g.first->property()->choice &&
            c->name.size() > g.name.size() && c->name.starts_with(g.name) &&
            g.first->jsonName() == c->name) {
          found = &g;
        }
      }
    }
    if (found == nullptr) {
      if (c->def->min > 0) checkCardinality(e, *c, 0, m, profile);
      if (!c->slices.empty()) {
        matched.clear();
        validateSliced(e, *c, matched, m, profile);  // slices that must be there
      }
      continue;
    }
    checkCardinality(e, *c, found->count, m, profile);
    checkChoiceTypes(*found->first, found->count, *c, m, profile);
    if (!c->slices.empty() || (c->def->slicing && profile)) {
      items(*found, matched);
      validateSliced(e, *c, matched, m, profile);
    } else {
      const Element* child = found->first;
      for (uint32_t i = 0; i < found->count; ++i, child = child->nextSibling()) {
        validateChild(*child, *c, m, profile);
      }
    }
  }
}

// The types of the `count` children from `first` against those definition `c` allows, where it
// allows several, or a profile narrowed a choice to one.
void Walk::checkChoiceTypes(const Element& first, uint32_t count, const ElementNode& c,
                            const StructureModel& m, bool profile) {
  const bool several = !c.def->types.empty() && c.types.size() >= 2;
  const bool narrowed = c.types.size() == 1 && c.choice;
  if (!several && !narrowed) return;
  const Element* child = &first;
  for (uint32_t i = 0; i < count; ++i, child = child->nextSibling()) {
    if (several && child->isResource()) continue;
    const std::string_view t = child->type().fhirType;
    if (c.allowsType(t) || c.allowsType(child->type().name)) continue;
    Reporter::Scope s(rep_, *child);
    rep_.error(IssueType::Structure, child,
               "The type '" + std::string(t) + "' is not allowed here (allowed: " +
                   joinList(c.types) + ")" + fromProfile(m, profile));
  }
}

// Sliced element `c`: each item against the slice it matches (or `c` when none), re-slices
// sliced again.
void Walk::validateSliced(const Element& parent, const ElementNode& c,
                          const std::vector<const Element*>& items, const StructureModel& m,
                          bool profile) {
  const std::vector<const ElementNode*> assigned = slicing_.assign(parent, c, items, m);
  for (const ElementNode* slice : c.slices) {
    if (slice->slices.empty()) continue;
    std::vector<const Element*> mine;
    for (size_t i = 0; i < items.size(); ++i) {
      if (assigned[i] == slice) mine.push_back(items[i]);
    }
    validateSliced(parent, *slice, mine, m, profile);
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (assigned[i] != nullptr && !assigned[i]->slices.empty()) continue;
    validateChild(*items[i], assigned[i] != nullptr ? *assigned[i] : c, m, profile);
  }
}

void Walk::validateChild(const Element& child, const ElementNode& node, const StructureModel& m,
                         bool profile) {
  Reporter::Scope s(rep_, child);
  validateNode(child, node, m, profile);
  if (!profile && child.type().name == "Extension") {
    if (const StructureModel* em = extensions_.check(child)) {
      validateNode(child, em->root(), *em, /*profile=*/true);
    }
  }
}

void Walk::checkCardinality(const Element& parent, const ElementNode& c, size_t n,
                            const StructureModel& m, bool profile) {
  const ElementDefinition& d = *c.def;
  if (profile) {
    // The base pass already checked the base's own cardinality.
    const core::PropertyInfo* p = parent.type().property(c.name);
    if (p != nullptr && p->min == d.min &&
        (p->max == d.max ||
         (p->max == core::PropertyInfo::kUnbounded && d.max == ElementDefinition::kUnbounded))) {
      return;
    }
  }
  if (n < d.min) {
    rep_.error(IssueType::Structure, &parent,
               d.path + ": minimum required = " + std::to_string(d.min) + ", but only found " +
                   std::to_string(n) + " (from " + m.label() + ")");
  }
  if (d.max != ElementDefinition::kUnbounded && n > d.max) {
    rep_.error(IssueType::Structure, &parent,
               d.path + ": max allowed = " + std::to_string(d.max) + ", but found " +
                   std::to_string(n) + " (from " + m.label() + ")");
  }
}

// The rules of one element against its definition, in this order: values, datatype rules,
// binding, code (base pass), reference, invariants.
void Walk::checkRules(const Element& e, const ElementNode& node, const StructureModel& m,
                      bool profile) {
  values_.check(e, node, m, profile);
  table_.runDatatypeRules(ElementAt{e, node, m, profile}, rules_);
  if (node.def->binding) bindings_.checkBinding(e, *node.def->binding, m, profile);
  if (!profile && e.type().name == "Coding") bindings_.checkCoding(e);
  if (e.type().name == "Reference") references_.check(e, node, profile);
  invariants_.checkNode(e, node, profile);
}

// --- profiles on the side ------------------------------------------------------------------

bool Walk::conformsTo(const Element& e, std::string_view url) {
  const StructureModel* pm = defs_.models().get(url);
  if (pm == nullptr) return false;
  // Profiles that refer to each other (circular references) are taken to conform while
  // the same check is already under way.
  const std::pair<const Element*, const StructureModel*> key{&e, pm};
  if (std::find(checking_.begin(), checking_.end(), key) != checking_.end()) return true;
  if (checking_.size() > 16) return true;
  checking_.push_back(key);
  struct Pop {
    std::vector<std::pair<const Element*, const StructureModel*>>& v;
    ~Pop() { v.pop_back(); }
  } pop{checking_};
  if (e.isResource() && pm->sd().type != e.type().name && pm->sd().type != "Resource") {
    return false;
  }
  if (!e.isResource() && pm->sd().type != e.type().fhirType && pm->sd().type != e.type().name) {
    return false;
  }
  core::Issues trial;
  core::Issues* old = rep_.redirect(&trial);
  const Element* saved = state_.resource;
  if (e.isResource()) state_.resource = &e;
  validateNode(e, pm->root(), *pm, /*profile=*/true);
  state_.resource = saved;
  rep_.redirect(old);
  return !trial.hasErrors();
}

}  // namespace trialbridge::validation
