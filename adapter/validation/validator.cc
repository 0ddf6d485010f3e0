#include "validation/validator.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <optional>
#include <unordered_set>

#include "conformance/type_model.h"
#include "core/json.h"
#include "core/resource_io.h"
#if TB_HAVE_FHIRPATH
#include "fhirpath/fhirpath.h"
#endif
#include "validation/primitives.h"
#include "validation/reporter.h"
#include "validation/structure_model.h"
#include "validation/xhtml.h"

namespace trialbridge::validation {

using conformance::ElementDefinition;
using core::Element;
using core::IssueType;
using core::Severity;

struct Validator::Impl {
  // Tells this validator's thread-local caches from those of an earlier one.
  const uint64_t id = nextId();
  static uint64_t nextId() {
    static std::atomic<uint64_t> counter{0};
    return ++counter;
  }
  conformance::Snapshots snapshots;
  conformance::Terminology terminology;
  ModelCache models;
  // ImplementationGuide.global of the loaded guides: (resource type, profile).
  std::vector<std::pair<std::string, std::string>> globalProfiles;
  Impl(const conformance::Context& c, bool invariants)
      : snapshots(c), terminology(c), models(c, snapshots, invariants) {
    for (const auto& pkg : c.packages()) {
      for (size_t i = 0; i < pkg->resources().size(); ++i) {
        if (pkg->resources()[i].resourceType != "ImplementationGuide") continue;
        auto json = pkg->json(i);
        if (!json) continue;
        rapidjson::Document d;
        d.Parse(json.value().data(), json.value().size());
        if (d.HasParseError() || !d.IsObject() || !d.HasMember("global") ||
            !d["global"].IsArray()) {
          continue;
        }
        for (const auto& g : d["global"].GetArray()) {
          if (g.IsObject() && g.HasMember("type") && g["type"].IsString() &&
              g.HasMember("profile") && g["profile"].IsString()) {
            globalProfiles.emplace_back(g["type"].GetString(), g["profile"].GetString());
          }
        }
      }
    }
  }
};

namespace {

constexpr std::string_view kCoreSd = "http://hl7.org/fhir/StructureDefinition/";

bool startsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.compare(0, p.size(), p) == 0;
}

std::string_view valueOf(const Element* e) {
  return e == nullptr ? std::string_view() : e->value();
}

std::string_view childValue(const Element& e, std::string_view name) {
  return valueOf(e.child(name));
}

std::string versionless(std::string_view url) { return std::string(url.substr(0, url.find('|'))); }

bool sameElement(const Element& a, const Element& b);

// Equal values and children, deep and in order, whatever the two elements are called (the
// fixed[x] semantics of ElementDefinition).
bool sameContent(const Element& a, const Element& b) {
  if (a.hasValue() != b.hasValue() || a.value() != b.value()) return false;
  const Element* x = a.firstChild();
  const Element* y = b.firstChild();
  while (x != nullptr && y != nullptr) {
    if (!sameElement(*x, *y)) return false;
    x = x->nextSibling();
    y = y->nextSibling();
  }
  return x == nullptr && y == nullptr;
}

// Deep equality of two elements: the same name and the same content.
bool sameElement(const Element& a, const Element& b) {
  return a.name() == b.name() && sameContent(a, b);
}

// Whether `instance` has everything `pattern` has (pattern semantics of ElementDefinition).
bool matchesPattern(const Element& instance, const Element& pattern) {
  if (pattern.hasValue() && (!instance.hasValue() || instance.value() != pattern.value())) {
    return false;
  }
  for (const Element* p = pattern.firstChild(); p != nullptr; p = p->nextSibling()) {
    bool found = false;
    for (const Element* c = instance.firstChild(); c != nullptr && !found; c = c->nextSibling()) {
      if (c->name() == p->name() && matchesPattern(*c, *p)) found = true;
    }
    if (!found) return false;
  }
  return true;
}

// The steps of a simple FHIRPath such as a discriminator path (split at the dots outside
// parentheses and quotes): "extension('http://a.org/x').value" -> extension('...'), value.
std::vector<std::string_view> pathSteps(std::string_view path) {
  std::vector<std::string_view> steps;
  size_t start = 0;
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (c == '.' && depth == 0) {
      steps.push_back(path.substr(start, i - start));
      start = i + 1;
    }
  }
  steps.push_back(path.substr(start));
  return steps;
}

// A display as compared: lower case, white space collapsed.
std::string normalizedDisplay(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (std::isspace(static_cast<unsigned char>(ch)) != 0) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string describeValue(const Element& e) {
  if (e.hasValue()) return std::string(e.value());
  return core::writeJson(e);
}

}  // namespace

// One validation of one resource tree, on one thread.
class Run {
 public:
  Run(const Validator& v, Validator::Impl& impl, core::Issues& issues,
      const core::Issues* readerIssues)
      : v_(v), impl_(impl), rep_(issues), readerErrors_(readerIssues) {}

  void validateRoot(const Element& root, std::span<const std::string> profiles) {
    root_ = &root;
    rep_.setRoot(root.type().name);
    validateResource(root, profiles, /*base=*/true);
  }

 private:
  // --- resources ---------------------------------------------------------------------------

  void validateResource(const Element& res, std::span<const std::string> profiles, bool base) {
    const Element* savedResource = resource_;
    resource_ = &res;
    const size_t pendingFrom = pendingDisplays_.size();
    if (base) {
      if (const Element* id = res.child("id"); id != nullptr && id->hasValue()) {
        std::string why;
        if (!checkResourceId(id->value(), why)) {
          Reporter::Scope s(rep_, *id);
          rep_.error(IssueType::Invalid, id, "Invalid Resource id: " + why);
        }
      }
      std::string error;
      const StructureModel* model = impl_.models.get(res.type().name, &error);
      if (model == nullptr) {
        rep_.error(IssueType::NotSupported, &res,
                   "No definition for the resource type " + std::string(res.type().name));
      } else {
        validateNode(res, model->root(), *model, /*profile=*/false);
      }
      if (res.type().name == "Bundle") checkBundle(res);
      if (res.type().name == "CapabilityStatement") checkCapabilityStatement(res);
      if (res.type().name == "SearchParameter") checkSearchParameter(res);
      if (res.type().name == "Questionnaire") checkQuestionnaire(res);
      if (res.type().name == "StructureDefinition") checkProfileDefinition(res);
      if (res.type().name == "MeasureReport") checkMeasureReport(res);
      checkElementIds(res);
      if (res.type().name == "QuestionnaireResponse") checkQuestionnaireResponse(res);
    }
    std::vector<std::string> all(profiles.begin(), profiles.end());
    if (base) {
      // Profiles an ImplementationGuide declares global for this type.
      for (const auto& [type, url] : impl_.globalProfiles) {
        if (type == res.type().name && std::find(all.begin(), all.end(), url) == all.end()) {
          all.push_back(url);
        }
      }
      if (const Element* meta = res.child("meta")) {
        meta->forEachChild("profile", [&](const Element& p) {
          if (!p.hasValue()) return;
          std::string url(p.value());
          if (std::find(all.begin(), all.end(), url) == all.end()) {
            const StructureModel* m = impl_.models.get(url);
            if (m == nullptr) {
              Reporter::Scope s1(rep_, *meta);
              Reporter::Scope s2(rep_, p);
              rep_.warning(
                  IssueType::BusinessRule, &p,
                  "Profile reference '" + url + "' has not been checked because it is unknown");
              return;
            }
            all.push_back(std::move(url));
          }
        });
      }
    }
    for (const std::string& url : all) {
      std::string error;
      const StructureModel* m = impl_.models.get(url, &error);
      if (m == nullptr) {
        rep_.error(IssueType::NotFound, &res,
                   "Unable to resolve the profile reference '" + url + "'" +
                       (error.empty() ? "" : " (" + error + ")"));
        continue;
      }
      if (m->sd().type != res.type().name && m->sd().type != "Resource" &&
          m->sd().type != "DomainResource") {
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
    if (base) reportPendingDisplays(pendingFrom);
    resource_ = savedResource;
  }

  // --- elements ----------------------------------------------------------------------------

  // ValidatorOptions::bundleRules for an entry of the input Bundle.
  void addBundleRuleProfiles(const Element& res, std::vector<std::string>& profiles) {
    const auto& rules = v_.options().bundleRules;
    if (rules.empty() || res.name() != "resource" || res.parent() == nullptr ||
        res.parent()->parent() != root_ || root_->type().name != "Bundle") {
      return;
    }
    size_t index = 0;  // among the entries with a resource of this type
    for (const Element* e = root_->child("entry"); e != nullptr && e != res.parent();
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

  void validateNode(const Element& e, const ElementNode& node, const StructureModel& m,
                    bool profile) {
    if (e.isResource() && &node != &m.root()) {
      // A resource inside another (contained, Bundle.entry.resource, Parameters): its own type,
      // its own meta.profile, and the profiles the definition asks for.
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
        const StructureModel* pm = impl_.models.get(url);
        if (pm == nullptr || pm->sd().type == e.type().name || pm->sd().type == "Resource" ||
            pm->sd().type == "DomainResource") {
          candidates.push_back(url);
        }
      }
      if (!profiles.empty() && candidates.empty()) {
        std::string list;
        for (const std::string& u : profiles) list += (list.empty() ? "" : ", ") + u;
        rep_.error(IssueType::Structure, &e,
                   "The type '" + std::string(e.type().name) +
                       "' is not valid - must match one of the profiles " + list);
        validateResource(e, {}, /*base=*/!profile);
        return;
      }
      if (candidates.size() > 1) {
        std::string chosen;
        for (const std::string& url : candidates) {
          if (conformsTo(e, url)) {
            chosen = url;
            break;
          }
        }
        if (!chosen.empty()) {
          validateResource(e, std::vector<std::string>{chosen}, /*base=*/!profile);
          return;
        }
        std::string list;
        for (const std::string& u : candidates) list += (list.empty() ? "" : ", ") + u;
        rep_.error(IssueType::Structure, &e,
                   "Unable to find a match for the specified profile among choices: " + list);
      }
      validateResource(e, candidates, /*base=*/!profile);
      return;
    }
    checkRules(e, node, m, profile);

    // Type profiles (type[].profile) other than the extension's own definition; several
    // profiles for one type are alternatives.
    if (const auto* tp = node.typeProfiles(e.type().fhirType)) {
      std::vector<const StructureModel*> models;
      for (const std::string& url : *tp) {
        if (e.type().name == "Extension" && versionless(url) == childValue(e, "url")) continue;
        std::string error;
        const StructureModel* pm = impl_.models.get(url, &error);
        if (pm == nullptr) {
          rep_.error(IssueType::Structure, &e, "Unknown profile " + url);
        } else if (pm != &m || &pm->root() != &node) {
          models.push_back(pm);
        }
      }
      bool done = false;
      if (models.size() > 1) {
        for (const StructureModel* pm : models) {
          if (conformsTo(e, pm->sd().url)) {
            validateNode(e, pm->root(), *pm, /*profile=*/true);
            done = true;
            break;
          }
        }
        if (!done) {
          std::string list;
          for (const StructureModel* pm : models) list += (list.empty() ? "" : ", ") + pm->sd().url;
          rep_.error(IssueType::Structure, &e,
                     "Unable to find a match for the specified profile among choices: " + list);
        }
      }
      if (!done) {
        for (const StructureModel* pm : models) validateNode(e, pm->root(), *pm, /*profile=*/true);
      }
    }

    if (e.isPrimitive() && !e.hasChildren()) return;
    const std::vector<const ElementNode*>* defs = &node.children;
    const StructureModel* dm = &m;
    if (defs->empty() && node.contentReference != nullptr) defs = &node.contentReference->children;
    if (defs->empty()) {
      // The element's type was not expanded in this definition: its own type's definition says
      // what its children are. Profiles that say nothing about them add nothing to the base.
      if (profile) return;
      const StructureModel* tm = typeModel(e.type());
      if (tm == nullptr) return;
      dm = tm;
      defs = &tm->root().children;
      // The datatype's own invariants (per-1, qty-3, ref-1...) apply here too.
      for (const Invariant& inv : tm->root().invariants) {
        bool dup = false;
        for (const Invariant& own : node.invariants) {
          if (own.constraint->key == inv.constraint->key) dup = true;
        }
        if (!dup) checkInvariant(e, inv, *tm);
      }
    }
    validateChildren(e, *defs, *dm, profile);
  }

  // Consecutive children with the same name (children are in definition order).
  struct Group {
    std::string_view name;
    const Element* first = nullptr;
    uint32_t count = 0;
  };

  static void items(const Group& g, std::vector<const Element*>& out) {
    out.clear();
    const Element* c = g.first;
    for (uint32_t i = 0; i < g.count && c != nullptr; ++i, c = c->nextSibling()) out.push_back(c);
  }

  void validateChildren(const Element& e, const std::vector<const ElementNode*>& defs,
                        const StructureModel& m, bool profile) {
    // Groups, without allocating for the usual handful of names.
    Group inlineGroups[32];
    std::vector<Group> moreGroups;
    size_t n = 0;
    auto at = [&](size_t i) -> Group& { return i < 32 ? inlineGroups[i] : moreGroups[i - 32]; };
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
    }
    std::vector<const Element*> matched;
    size_t cursor = 0;
    for (const ElementNode* c : defs) {
      if (e.isPrimitive() && c->name == "value") continue;
      const Group* found = nullptr;
      // Definitions and groups come in the same order: look at the cursor first.
      if (cursor < n && at(cursor).name == c->name) {
        found = &at(cursor++);
      } else {
        for (size_t r = 0; r < n && found == nullptr; ++r) {
          if (at(r).name == c->name) found = &at(r);
        }
      }
      if (found == nullptr && !c->choice) {
        // A renamed choice ("valueQuantity" for value[x]).
        for (size_t r = 0; r < n && found == nullptr; ++r) {
          const Group& g = at(r);
          if (g.first->property() != nullptr && g.first->property()->choice &&
              c->name.size() > g.name.size() && startsWith(c->name, g.name) &&
              g.first->jsonName() == c->name) {
            found = &g;
          }
        }
      }
      if (found == nullptr) {
        if (c->def->min > 0) checkCardinality(e, *c, 0, m, profile);
        if (!c->slices.empty()) {
          matched.clear();
          validateSlices(e, *c, matched, m, profile);  // slices that must be there
        }
        continue;
      }
      checkCardinality(e, *c, found->count, m, profile);
      const Element* child = found->first;
      for (uint32_t i = 0; i < found->count; ++i, child = child->nextSibling()) {
        if (c->def->types.empty() || child->isResource() || c->types.size() < 2) continue;
        const std::string_view t = child->type().fhirType;
        if (!c->allowsType(t) && !c->allowsType(child->type().name)) {
          Reporter::Scope s(rep_, *child);
          std::string allowed;
          for (const std::string& a : c->types) allowed += (allowed.empty() ? "" : ", ") + a;
          rep_.error(IssueType::Structure, child,
                     "The type '" + std::string(t) + "' is not allowed here (allowed: " + allowed +
                         ")" + from(m, profile));
        }
      }
      if (c->types.size() == 1 && c->choice) {
        // A choice narrowed to one type by a profile.
        child = found->first;
        for (uint32_t i = 0; i < found->count; ++i, child = child->nextSibling()) {
          const std::string_view t = child->type().fhirType;
          if (!c->allowsType(t) && !c->allowsType(child->type().name)) {
            Reporter::Scope s(rep_, *child);
            rep_.error(IssueType::Structure, child,
                       "The type '" + std::string(t) + "' is not allowed here (allowed: " +
                           c->types.front() + ")" + from(m, profile));
          }
        }
      }
      if (!c->slices.empty() || (c->def->slicing && profile)) {
        items(*found, matched);
        validateSlices(e, *c, matched, m, profile);
      } else {
        child = found->first;
        for (uint32_t i = 0; i < found->count; ++i, child = child->nextSibling()) {
          validateChild(*child, *c, m, profile);
        }
      }
    }
  }

  void validateChild(const Element& child, const ElementNode& node, const StructureModel& m,
                     bool profile) {
    Reporter::Scope s(rep_, child);
    validateNode(child, node, m, profile);
    if (!profile && child.type().name == "Extension") checkExtension(child);
  }

  std::string from(const StructureModel& m, bool profile) const {
    return profile ? " (from " + m.label() + ")" : "";
  }

  void checkCardinality(const Element& parent, const ElementNode& c, size_t n,
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

  // --- slicing -----------------------------------------------------------------------------

  void validateSlices(const Element& parent, const ElementNode& c,
                      const std::vector<const Element*>& items, const StructureModel& m,
                      bool profile) {
    std::vector<const ElementNode*> assigned(items.size(), nullptr);
    std::vector<size_t> counts(c.slices.size(), 0);
    for (size_t i = 0; i < items.size(); ++i) {
      for (size_t s = 0; s < c.slices.size(); ++s) {
        if (sliceMatches(*items[i], *c.slices[s], c, m)) {
          assigned[i] = c.slices[s];
          ++counts[s];
          break;
        }
      }
    }
    for (size_t s = 0; s < c.slices.size(); ++s) {
      const ElementDefinition& d = *c.slices[s]->def;
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
    const conformance::Slicing* slicing = c.def->slicing ? &*c.def->slicing : nullptr;
    size_t lastSlice = 0;
    bool seenUnmatched = false;
    for (size_t i = 0; i < items.size(); ++i) {
      Reporter::Scope s(rep_, *items[i]);
      if (assigned[i] == nullptr) {
        seenUnmatched = true;
        if (m.sd().type == "Extension" && c.def->path == "Extension.extension" &&
            items[i]->type().name == "Extension") {
          const std::string_view url = childValue(*items[i], "url");
          if (url.find("://") == std::string_view::npos && !startsWith(url, "urn:")) {
            rep_.error(IssueType::Invalid, items[i],
                       "Sub-extension url '" + std::string(url) +
                           "' is not defined by the Extension " + m.label());
          }
        }
        if (slicing != nullptr && slicing->rules == "closed") {
          rep_.error(IssueType::Structure, items[i],
                     "This element does not match any known slice defined in the profile " +
                         m.label() + " (closed slicing of " + c.def->path + ")");
        }
        continue;
      }
      const size_t idx = static_cast<size_t>(
          std::find(c.slices.begin(), c.slices.end(), assigned[i]) - c.slices.begin());
      if (slicing != nullptr && slicing->ordered && idx < lastSlice) {
        rep_.error(IssueType::Structure, items[i],
                   "As specified by profile " + m.label() + ", Element '" + c.def->path +
                       "' is out of order in the slicing");
      }
      if (slicing != nullptr && slicing->rules == "openAtEnd" && seenUnmatched) {
        rep_.error(IssueType::Structure, items[i],
                   "The slicing of " + c.def->path + " is open at the end only, but a slice " +
                       "follows an element that matches no slice");
      }
      lastSlice = std::max(lastSlice, idx);
    }
    for (size_t s = 0; s < c.slices.size(); ++s) {
      const ElementNode& slice = *c.slices[s];
      if (slice.slices.empty()) continue;
      // Re-slicing: the items of this slice are sliced again.
      std::vector<const Element*> mine;
      for (size_t i = 0; i < items.size(); ++i) {
        if (assigned[i] == &slice) mine.push_back(items[i]);
      }
      validateSlices(parent, slice, mine, m, profile);
    }
    for (size_t i = 0; i < items.size(); ++i) {
      if (assigned[i] != nullptr && !assigned[i]->slices.empty()) continue;
      validateChild(*items[i], assigned[i] != nullptr ? *assigned[i] : c, m, profile);
    }
  }

  // The elements a discriminator path selects from `e`.
  std::vector<const Element*> select(const Element& e, std::string_view path) {
    std::vector<const Element*> cur{&e};
    if (path.empty()) return cur;
    for (const std::string_view seg : pathSteps(path)) {
      if (cur.empty()) break;
      if (seg == "$this") continue;
      std::vector<const Element*> next;
      if (startsWith(seg, "extension(")) {
        std::string_view url = seg.substr(10, seg.size() - 11);
        if (url.size() >= 2) url = url.substr(1, url.size() - 2);
        for (const Element* x : cur) {
          x->forEachChild("extension", [&](const Element& ext) {
            if (childValue(ext, "url") == url) next.push_back(&ext);
          });
        }
      } else if (seg == "resolve()") {
        for (const Element* x : cur) {
          if (const Element* r = resolveReference(childValue(*x, "reference"))) next.push_back(r);
        }
      } else if (startsWith(seg, "ofType(")) {
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
  const ElementNode* defAt(const ElementNode& node, std::string_view path,
                           const StructureModel*& model) {
    const ElementNode* cur = &node;
    if (path.empty()) return cur;
    int guard = 0;
    for (const std::string_view seg : pathSteps(path)) {
      if (cur == nullptr || ++guard >= 32) break;
      if (seg == "$this" || startsWith(seg, "ofType(")) continue;
      const std::vector<const ElementNode*>* kids = &cur->children;
      if (kids->empty() && cur->contentReference != nullptr)
        kids = &cur->contentReference->children;
      if (seg == "resolve()") {
        const auto* tps = cur->targetProfiles();
        if (tps == nullptr || tps->empty()) return nullptr;
        const StructureModel* pm = impl_.models.get(tps->front());
        if (pm == nullptr) return nullptr;
        model = pm;
        cur = &pm->root();
        continue;
      }
      if (kids->empty()) {
        const StructureModel* tm = nullptr;
        const std::string type = cur->types.empty() ? std::string() : cur->types.front();
        if (const auto* tp = cur->typeProfiles(type)) tm = impl_.models.get(tp->front());
        if (tm == nullptr) tm = impl_.models.get(type);
        if (tm == nullptr) return nullptr;
        model = tm;
        kids = &tm->root().children;
      }
      if (startsWith(seg, "extension(")) {
        std::string_view url = seg.substr(10, seg.size() - 11);
        if (url.size() >= 2) url = url.substr(1, url.size() - 2);
        const ElementNode* ext = nullptr;
        for (const ElementNode* k : *kids) {
          if (k->name == "extension") ext = k;
        }
        const ElementNode* found = nullptr;
        auto byUrl = [&](const std::vector<const ElementNode*>& slices) -> const ElementNode* {
          for (const ElementNode* s : slices) {
            const auto* tp = s->typeProfiles("Extension");
            if (tp != nullptr && !tp->empty() && versionless(tp->front()) == url) return s;
          }
          return nullptr;
        };
        if (ext != nullptr) found = byUrl(ext->slices);
        // Re-slices of that slice say more (a fixed value in "actionType/Single").
        while (found != nullptr && !found->slices.empty()) {
          const ElementNode* deeper = byUrl(found->slices);
          if (deeper == nullptr) break;
          found = deeper;
        }
        if (found == nullptr) {
          const StructureModel* em = impl_.models.get(url);
          if (em == nullptr) return nullptr;
          model = em;
          found = &em->root();
        }
        cur = found;
        continue;
      }
      const ElementNode* next = nullptr;
      for (const ElementNode* k : *kids) {
        if (k->name == seg) next = k;
      }
      if (next == nullptr) {
        // "value" for a renamed choice ("valueCode").
        for (const ElementNode* k : *kids) {
          if (k->name.size() > seg.size() && startsWith(k->name, seg) &&
              std::isupper(static_cast<unsigned char>(k->name[seg.size()])) != 0) {
            next = k;
          }
        }
      }
      cur = next;
    }
    return cur;
  }

  bool sliceMatches(const Element& item, const ElementNode& slice, const ElementNode& sliced,
                    const StructureModel& m) {
    if (!sliced.def->slicing && sliced.slicedBy != nullptr && sliced.slicedBy->def->slicing) {
      return sliceMatches(item, slice, *sliced.slicedBy, m);  // a re-slice: the same rules
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

  bool extensionSliceMatches(const Element& item, const ElementNode& slice) {
    const auto* tp = slice.typeProfiles("Extension");
    const std::string_view url = childValue(item, "url");
    if (tp != nullptr) {
      for (const std::string& p : *tp) {
        if (versionless(p) == url) return true;
      }
      return false;
    }
    // A sub-extension slice (complex extension): url fixed in its children.
    for (const ElementNode* k : slice.children) {
      if (k->name == "url" && k->fixed.present()) return k->fixed.text == url;
    }
    return slice.def->sliceName == url;
  }

  bool discriminatorMatches(const Element& item, const ElementNode& slice,
                            const conformance::Discriminator& d, const StructureModel& m) {
    const std::string& type = d.type;
    if ((type == "value" || type == "pattern") && d.path == "url" &&
        item.type().name == "Extension") {
      return extensionSliceMatches(item, slice);
    }
    const StructureModel* dm = &m;
    const ElementNode* target = defAt(slice, d.path, dm);
    std::vector<const Element*> values = select(item, d.path);
    if (type == "value" || type == "pattern") {
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
            if (impl_.terminology.member(target->def->binding->valueSet, system, code) ==
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
    if (type == "exists") {
      if (target == nullptr) return false;
      if (target->def->min >= 1) return !values.empty();
      if (target->def->max == 0) return values.empty();
      return false;
    }
    if (type == "type") {
      if (target == nullptr || values.empty()) return false;
      for (const Element* v : values) {
        if (target == &dm->root() && target->types.empty()) {
          // The path ends at a resource (resolve()): its type against the profile's.
          if (v->type().name == dm->sd().type || dm->sd().type == "Resource") return true;
          continue;
        }
        if (!target->allowsType(v->type().fhirType) && !target->allowsType(v->type().name)) {
          continue;
        }
        if (v->type().name == "Reference") {
          // Slices of references by type also tell the targets apart.
          const auto* tps = target->targetProfiles();
          const std::string t = referenceTargetType(*v);
          if (tps != nullptr && !tps->empty() && !t.empty()) {
            bool any = false;
            for (const std::string& tp : *tps) {
              const std::string tt = typeOfProfile(tp);
              if (tt == t || tt == "Resource" || tt.empty()) any = true;
            }
            if (!any) continue;
          }
        }
        return true;
      }
      return false;
    }
    if (type == "profile") {
      if (target == nullptr || values.empty()) return false;
      std::vector<std::string> urls;
      for (const std::string& t : target->types) {
        if (const auto* tp = target->typeProfiles(t))
          urls.insert(urls.end(), tp->begin(), tp->end());
      }
      if (urls.empty()) {
        if (const auto* tp = target->targetProfiles()) urls = *tp;
      }
      if (urls.empty()) return false;
      for (const Element* v : values) {
        for (const std::string& url : urls) {
          if (conformsTo(*v, url)) return true;
        }
      }
      return false;
    }
    return false;
  }

  // Validates `e` against profile `url` on the side and says whether it has no errors.
  bool conformsTo(const Element& e, std::string_view url) {
    const StructureModel* pm = impl_.models.get(url);
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
    const Element* saved = resource_;
    if (e.isResource()) resource_ = &e;
    validateNode(e, pm->root(), *pm, /*profile=*/true);
    resource_ = saved;
    rep_.redirect(old);
    return !trial.hasErrors();
  }

  // --- rules of one element ----------------------------------------------------------------

  void checkRules(const Element& e, const ElementNode& node, const StructureModel& m,
                  bool profile) {
    const ElementDefinition& d = *node.def;
    const bool resourceId = e.name() == "id" && e.parent() != nullptr && e.parent()->isResource();
    if (!profile && e.isPrimitive() && e.hasValue() && !resourceId) checkPrimitiveValue(e);
    if (node.fixed.present()) checkFixed(e, node.fixed, m, d, /*pattern=*/false);
    if (node.pattern.present()) checkFixed(e, node.pattern, m, d, /*pattern=*/true);
    if (e.isPrimitive() && e.hasValue()) {
      if (!d.minValueName.empty()) checkBound(e, d.minValueJson, m, true);
      if (!d.maxValueName.empty()) checkBound(e, d.maxValueJson, m, false);
      if (d.maxLength && *d.maxLength > 0 &&
          codePoints(e.value()) > static_cast<size_t>(*d.maxLength)) {
        rep_.error(IssueType::TooLong, &e,
                   "The value is longer than the permitted maximum length of " +
                       std::to_string(*d.maxLength) + from(m, profile));
      }
    } else if (e.type().name == "Quantity") {
      if (!d.minValueName.empty()) checkBound(e, d.minValueJson, m, true);
      if (!d.maxValueName.empty()) checkBound(e, d.maxValueJson, m, false);
    }
    if (node.minLength > 0 && e.hasValue() &&
        codePoints(e.value()) < static_cast<size_t>(node.minLength)) {
      rep_.error(IssueType::Invalid, &e,
                 "Value '" + std::string(e.value()) +
                     "' is shorter than permitted minimum length of " +
                     std::to_string(node.minLength));
    }
    if (node.mustHaveValue && e.isPrimitive() && !e.hasValue()) {
      rep_.error(IssueType::Invalid, &e,
                 "The element definition " + d.path + " in the profile '" + m.sd().url +
                     "' requires that a value be present in this element");
    }
    if (!node.valueAlternatives.empty() && e.isPrimitive() && !e.hasValue()) {
      // No value: one of the extensions that may stand in for it.
      bool found = false;
      std::string list;
      for (const std::string& url : node.valueAlternatives) {
        e.forEachChild("extension", [&](const Element& x) {
          if (versionless(childValue(x, "url")) == versionless(url)) found = true;
        });
        list += (list.empty() ? "" : ", ") + url;
      }
      if (!found) {
        rep_.error(IssueType::Invalid, &e,
                   "The element definition " + d.path + " in the profile '" + m.sd().url +
                       "' requires that if a value is not present, one of the extensions [" + list +
                       "] must be present");
      }
    }
    if (!node.languageControl.empty() && e.type().name == "Narrative") {
      checkLanguageControl(e, node.languageControl, m);
    }
    if (d.binding) checkBinding(e, *d.binding, m, profile);
    if (!profile && e.type().name == "Coding") checkCoding(e);
    if (e.type().name == "Reference") checkReference(e, node, profile);
    for (const Invariant& inv : node.invariants) {
      if (profile && baseHasConstraint(e, inv.constraint->key)) continue;
      // Contained resources are not expected to carry their own narrative.
      if (inv.constraint->key == "dom-6" && e.name() == "contained") continue;
      checkInvariant(e, inv, m);
    }
  }

  // narrative-language-control: language sections (<div lang="..">) required or forbidden.
  void checkLanguageControl(const Element& narrative, const std::string& control,
                            const StructureModel& m) {
    const std::string_view div = childValue(narrative, "div");
    std::vector<std::string> langs;
    // Direct children of the root div with a lang attribute.
    int depth = 0;
    for (size_t i = 0; i < div.size(); ++i) {
      if (div[i] != '<') continue;
      if (i + 1 < div.size() && div[i + 1] == '/') {
        --depth;
        continue;
      }
      const size_t gt = div.find('>', i);
      if (gt == std::string_view::npos) break;
      const std::string_view tag = div.substr(i, gt - i);
      const bool selfClosing = tag.back() == '/';
      if (depth == 1) {
        const size_t l = tag.find(" lang=\"");
        if (l != std::string_view::npos) {
          const size_t end = tag.find('"', l + 7);
          langs.emplace_back(tag.substr(l + 7, end - l - 7));
        }
      }
      if (!selfClosing) ++depth;
      i = gt;
    }
    std::string list;
    for (const std::string& l : langs) list += (list.empty() ? "" : ", ") + l;
    if (control == "_no" && !langs.empty()) {
      rep_.error(IssueType::BusinessRule, &narrative,
                 "The xhtml has some language sections (" + list +
                     "), but language sections are prohibited in this context by the profile " +
                     m.sd().url);
    } else if (control == "_yes" && langs.empty()) {
      rep_.error(IssueType::BusinessRule, &narrative,
                 "The xhtml has no language sections, but language sections are required in this "
                 "context by the profile " +
                     m.sd().url);
    }
  }

  bool baseHasConstraint(const Element& e, std::string_view key) {
    const ElementDefinition* base = nullptr;
    if (e.property() != nullptr) {
      base = static_cast<const ElementDefinition*>(e.property()->definition);
    } else if (const StructureModel* bm = typeModel(e.type())) {
      base = bm->root().def;
    }
    if (base == nullptr) return false;
    for (const conformance::Constraint& c : base->constraints) {
      if (c.key == key) return true;
    }
    // The datatype's own invariants are checked by the base pass too.
    if (!e.isResource()) {
      if (const StructureModel* tm = typeModel(e.type())) {
        for (const Invariant& inv : tm->root().invariants) {
          if (inv.constraint->key == key) return true;
        }
      }
    }
    return false;
  }

  void checkPrimitiveValue(const Element& e) {
    std::string why;
    const std::string_view type = e.type().name;
    if (!checkPrimitive(type, e.value(), why)) {
      std::string msg = "The value '" +
                        std::string(e.value().substr(0, std::min<size_t>(e.value().size(), 100))) +
                        "' is not a valid " + std::string(type);
      if (!why.empty()) msg += ": " + why;
      rep_.error(IssueType::Invalid, &e, std::move(msg));
      return;
    }
    if (type == "markdown" && v_.options().htmlInMarkdownIsError && looksLikeHtml(e.value())) {
      rep_.error(IssueType::Invalid, &e,
                 "The markdown contains content that appears to be an embedded HTML tag. This "
                 "will (or SHOULD) be escaped by the presentation layer");
    } else if (v_.options().securityChecks && (type == "string" || type == "markdown") &&
               looksLikeHtml(e.value())) {
      rep_.error(IssueType::Invalid, &e,
                 "The string value contains text that looks like embedded HTML tags, which are "
                 "not allowed for security reasons in this context");
    }
  }

  void checkFixed(const Element& e, const ValueSpec& spec, const StructureModel& m,
                  const ElementDefinition& d, bool pattern) {
    const std::string where = m.sd().url + "#" + d.path;
    if (!spec.document) {
      if (e.value() != spec.text) {
        rep_.error(IssueType::Value, &e,
                   "Value is '" + std::string(e.value()) + "' but is " +
                       (pattern ? "required to be '" : "fixed to '") + spec.text +
                       "' in the profile " + where);
      }
      return;
    }
    if (pattern) {
      if (!matchesPattern(e, *spec.root())) {
        rep_.error(IssueType::Value, &e,
                   "The value does not match the pattern " + describeValue(*spec.root()) +
                       " required by the profile " + where);
      }
      return;
    }
    compareFixed(e, *spec.root(), where);
  }

  // Fixed complex value: every element of the fixed value, and nothing else, must be there.
  void compareFixed(const Element& e, const Element& fixed, const std::string& where) {
    if (fixed.hasValue() && e.value() != fixed.value()) {
      rep_.error(IssueType::Value, &e,
                 "Value is '" + std::string(e.value()) + "' but is fixed to '" +
                     std::string(fixed.value()) + "' in the profile " + where);
    }
    for (const Element* c = e.firstChild(); c != nullptr; c = c->nextSibling()) {
      if (fixed.child(c->name()) == nullptr && c->name() != "id") {
        Reporter::Scope s(rep_, *c);
        rep_.error(IssueType::Value, c,
                   "The element " + std::string(c->name()) +
                       " is present in the instance but not allowed in the applicable fixed "
                       "value specified in profile");
      }
    }
    for (const Element* f = fixed.firstChild(); f != nullptr; f = f->nextSibling()) {
      const Element* c = nullptr;
      e.forEachChild(f->name(), [&](const Element& x) {
        if (c == nullptr && x.index() == f->index()) c = &x;
      });
      if (c == nullptr) {
        rep_.error(IssueType::Value, &e,
                   "Missing element '" + std::string(f->name()) +
                       "' - required by fixed value in the profile " + where);
        continue;
      }
      Reporter::Scope s(rep_, *c);
      compareFixed(*c, *f, where);
    }
  }

  void checkBound(const Element& e, const std::string& json, const StructureModel& m, bool min) {
    std::string bound = json;
    std::string actual(e.value());
    std::string_view type = e.type().name;
    if (type == "Quantity") {
      actual = std::string(childValue(e, "value"));
      const size_t v = json.find("\"value\":");
      if (v == std::string::npos || actual.empty()) return;
      size_t s = v + 8;
      size_t end = json.find_first_of(",}", s);
      bound = json.substr(s, end - s);
    }
    if (bound.size() >= 2 && bound.front() == '"') bound = bound.substr(1, bound.size() - 2);
    const int c = comparePrimitive(type, actual, bound);
    if (c == 2) return;
    if (min && c < 0) {
      rep_.error(IssueType::Invalid, &e,
                 "The value '" + actual + "' is less than the minimum value " + bound +
                     " allowed by " + m.label());
    } else if (!min && c > 0) {
      rep_.error(IssueType::Invalid, &e,
                 "The value '" + actual + "' is greater than the maximum value " + bound +
                     " allowed by " + m.label());
    }
  }

  // --- terminology -------------------------------------------------------------------------

  std::string vsLabel(const conformance::ValueSetExpansion& x, std::string_view url) {
    std::string label = versionless(url);
    if (!x.version.empty()) label += "|" + x.version;
    return x.name.empty() ? label : "'" + x.name + "' (" + label + ")";
  }

  void checkBinding(const Element& e, const conformance::Binding& b, const StructureModel& m,
                    bool profile) {
    const bool required = b.strength == "required";
    if ((!required && b.strength != "extensible") || b.valueSet.empty()) return;
    if (profile) {
      // Same binding as the base: checked by the base pass.
      if (e.property() != nullptr) {
        const auto* base = static_cast<const ElementDefinition*>(e.property()->definition);
        if (base != nullptr && base->binding && base->binding->valueSet == b.valueSet &&
            base->binding->strength == b.strength) {
          return;
        }
      }
    }
    if (startsWith(b.valueSet, "#")) {
      // A ValueSet contained in the profile.
      conformance::Binding contained = b;
      contained.valueSet = m.sd().url + b.valueSet;
      checkBoundValue(e, contained, required);
    } else {
      checkBoundValue(e, b, required);
    }
  }

  // A code, Coding or CodeableConcept against the value set of binding `b`.
  void checkBoundValue(const Element& e, const conformance::Binding& b, bool required) {
    const std::string_view type = e.type().name;
    const Severity sev = required ? Severity::Error : Severity::Warning;
    auto& tx = impl_.terminology;
    if (e.isPrimitive()) {
      if (!e.hasValue() || (type != "code" && type != "string" && type != "uri")) return;
      const auto mem = tx.member(b.valueSet, "", e.value());
      if (mem == conformance::Membership::NotIn) {
        const auto& x = tx.expand(b.valueSet);
        if (required) {
          rep_.add(sev, IssueType::NotFound, &e,
                   "The System URI could not be determined for the code '" +
                       std::string(e.value()) + "' in the ValueSet '" + versionless(b.valueSet) +
                       (x.version.empty() ? "" : "|" + x.version) + "'");
        }
        rep_.add(sev, IssueType::CodeInvalid, &e,
                 "The value provided ('" + std::string(e.value()) +
                     "') was not found in the value set " + vsLabel(x, b.valueSet) +
                     (required ? ", and a code is required from this value set"
                               : ", and a code should come from this value set unless it has no "
                                 "suitable code"));
      } else if (mem == conformance::Membership::Unknown) {
        unknownValueSet(e, b.valueSet);
      }
      return;
    }
    if (type == "Coding") {
      checkCodings(e, {&e}, b, sev, required);
    } else if (type == "CodeableConcept") {
      std::vector<const Element*> codings;
      e.forEachChild("coding", [&](const Element& c) { codings.push_back(&c); });
      if (!codings.empty()) checkCodings(e, codings, b, sev, required);
    }
  }

  void unknownValueSet(const Element& e, std::string_view vs) {
    const auto& x = impl_.terminology.expand(vs);
    if (!x.found) {
      rep_.warning(IssueType::NotFound, &e,
                   "The value set " + std::string(vs) +
                       " is not loaded, so the code cannot be "
                       "checked against it");
    } else if (!x.error.empty()) {
      rep_.warning(IssueType::NotSupported, &e,
                   "The value set " + std::string(vs) + " could not be expanded: " + x.error);
    }
  }

  // A Coding's display that the value set it is in gives its code is not a wrong display.
  void noteValueSetDisplay(const Element& coding, const conformance::ValueSetExpansion& x) {
    const Element* display = coding.child("display");
    if (display == nullptr || !display->hasValue()) return;
    const auto* given = x.displaysOf(childValue(coding, "system"), childValue(coding, "code"));
    if (given == nullptr) return;
    const std::string d = normalizedDisplay(display->value());
    for (const std::string& g : *given) {
      if (normalizedDisplay(g) == d) {
        valueSetDisplays_.insert(display);
        return;
      }
    }
  }

  void checkCodings(const Element& at, const std::vector<const Element*>& codings,
                    const conformance::Binding& b, Severity sev, bool required) {
    auto& tx = impl_.terminology;
    bool unknown = false;
    std::string codes;
    std::string unknownSystems;
    for (const Element* c : codings) {
      const std::string_view system = childValue(*c, "system");
      const std::string_view code = childValue(*c, "code");
      if (code.empty()) continue;
      codes += (codes.empty() ? "" : ", ") + std::string(system) + "#" + std::string(code);
      const auto mem = tx.member(b.valueSet, system, code);
      if (mem == conformance::Membership::In) {
        noteValueSetDisplay(*c, tx.expand(b.valueSet));
        return;
      }
      if (mem == conformance::Membership::Unknown) {
        unknown = true;
        if (!system.empty() && tx.codeSystem(system) == nullptr) {
          unknownSystems += (unknownSystems.empty() ? "" : ", ") + std::string(system);
        }
      }
    }
    if (codes.empty()) return;
    const auto& x = tx.expand(b.valueSet);
    if (unknown) {
      if (!x.found || !x.error.empty()) {
        unknownValueSet(at, b.valueSet);
      } else {
        rep_.information(
            IssueType::NotSupported, &at,
            "The code system" + (unknownSystems.empty() ? std::string() : " " + unknownSystems) +
                " is not loaded, so the code " + codes +
                " could not be checked against the value set " + vsLabel(x, b.valueSet));
      }
      return;
    }
    if (at.type().name == "Coding") {
      rep_.add(sev, IssueType::CodeInvalid, &at,
               "The Coding provided (" + codes + ") was not found in the value set " +
                   vsLabel(x, b.valueSet) +
                   (required ? ", and a code is required from this value set"
                             : ", and a code should come from this value set unless it has no "
                               "suitable code"));
    } else {
      rep_.add(sev, IssueType::CodeInvalid, &at,
               "None of the codings provided are in the value set " + vsLabel(x, b.valueSet) +
                   (required ? ", and a coding from this value set is required"
                             : ", and a coding should come from this value set unless it has no "
                               "suitable code") +
                   " (codes = " + codes + ")");
    }
  }

  // A Coding's code and display against its CodeSystem, when that is loaded.
  void checkCoding(const Element& c) {
    const std::string_view system = childValue(c, "system");
    const std::string_view code = childValue(c, "code");
    if (system.empty() || code.empty()) return;
    const conformance::CodeSystemInfo* cs = impl_.terminology.codeSystem(system);
    if (cs == nullptr) return;
    const conformance::CodeConcept* item = cs->find(code);
    if (item == nullptr) {
      if (cs->complete()) {
        rep_.error(IssueType::CodeInvalid, &c,
                   "Unknown code '" + std::string(system) + "#" + std::string(code) +
                       "' in the CodeSystem '" + cs->url + "'" +
                       (cs->version.empty() ? "" : " version '" + cs->version + "'"));
      }
      return;
    }
    const Element* displayEl = c.child("display");
    if (displayEl == nullptr || !displayEl->hasValue() || item->display.empty()) return;
    const std::string given = normalizedDisplay(displayEl->value());
    if (given == normalizedDisplay(item->display)) return;
    for (const std::string& d : item->designations) {
      if (given == normalizedDisplay(d)) return;
    }
    // An error, unless a value set the element is bound to gives this display (decided when
    // all the passes over the resource are done).
    std::string valid = "'" + item->display + "'";
    for (const std::string& d : item->designations) valid += " or '" + d + "'";
    Reporter::Scope s(rep_, *displayEl);
    pendingDisplays_.push_back(
        {displayEl, rep_.path(),
         "Wrong Display Name '" + std::string(displayEl->value()) + "' for " + std::string(system) +
             "#" + std::string(code) + ". Valid display is " +
             (item->designations.empty()
                  ? valid
                  : "one of " + std::to_string(item->designations.size() + 1) +
                        " choices: " + valid)});
  }

  // Wrong displays found in the base pass, and displays a bound value set gives (these are not
  // wrong): reported at the end of the resource.
  struct PendingDisplay {
    const Element* display;
    std::string location;
    std::string message;
  };

  void reportPendingDisplays(size_t from) {
    const std::string saved = rep_.path();
    for (size_t i = from; i < pendingDisplays_.size(); ++i) {
      const PendingDisplay& p = pendingDisplays_[i];
      if (valueSetDisplays_.count(p.display) != 0) continue;
      rep_.setRoot(p.location);
      rep_.error(IssueType::Invalid, p.display, p.message);
    }
    rep_.setRoot(saved);
    pendingDisplays_.resize(from);
  }

  // --- extensions --------------------------------------------------------------------------

  static bool unknownAllowed(std::string_view url) {
    return url.find("example.org") != std::string_view::npos ||
           url.find("acme.com") != std::string_view::npos ||
           url.find("nema.org") != std::string_view::npos ||
           startsWith(url, "http://hl7.org/fhir/tools/StructureDefinition/");
  }

  void checkExtension(const Element& ext) {
    const std::string_view url = childValue(ext, "url");
    if (url.empty()) {
      rep_.error(IssueType::Invalid, &ext,
                 "Extension.url is required in order to identify, use and validate the extension");
      return;
    }
    if (url.find("://") == std::string_view::npos && !startsWith(url, "urn:")) return;  // nested
    if (url.find('|') != std::string_view::npos) {
      rep_.error(IssueType::Invalid, &ext, "The extension URL must not contain a version");
    }
    std::string error;
    const StructureModel* em = impl_.models.get(versionless(url), &error);
    if (em == nullptr) {
      const std::string msg =
          "The extension " + std::string(url) + " could not be found so is not allowed here";
      if (startsWith(url, kCoreSd)) {
        // An HL7 extension published outside the R4 core package (the extensions pack).
        rep_.information(IssueType::NotSupported, &ext,
                         "The extension " + std::string(url) +
                             " is not loaded (it is not part of the R4 core package), so it was "
                             "not checked");
      } else if (unknownAllowed(url) || !v_.options().strictExtensions) {
        rep_.warning(IssueType::Structure, &ext,
                     "The extension " + std::string(url) + " is unknown, and not allowed here");
      } else {
        rep_.error(IssueType::Structure, &ext, msg);
      }
      return;
    }
    if (em->sd().type != "Extension") {
      rep_.error(IssueType::Structure, &ext,
                 "The URL " + std::string(url) + " names a " + em->sd().type +
                     " definition, not an extension");
      return;
    }
    checkExtensionContext(ext, *em);
    if (ext.name() == "modifierExtension" && !em->root().def->isModifier) {
      bool modifier = false;
      for (const ElementNode* k : em->root().children) (void)k;
      if (!modifier) {
        // R4 marks modifier extensions by Extension.isModifier in the definition's root.
      }
    }
    validateNode(ext, em->root(), *em, /*profile=*/true);
  }

  void checkExtensionContext(const Element& ext, const StructureModel& em) {
    const conformance::StructureDefinition& sd = em.sd();
    if (sd.contextTypes.empty() && sd.contextExpressions.empty()) return;
    const Element* host = ext.parent();
    if (host == nullptr) return;
    // What the host element is: its type names, up the type hierarchy, and its path.
    std::vector<std::string> names;
    const core::TypeInfo* t = &host->type();
    const core::TypeResolver& types = v_.context();
    for (int i = 0; t != nullptr && i < 10; ++i) {
      names.push_back(t->name);
      if (t->fhirType != t->name) names.push_back(t->fhirType);
      if (t->baseName.empty()) break;
      t = types.findType(t->baseName);
    }
    if (host->property() != nullptr) {
      std::string p = host->property()->path;
      if (p.size() > 3 && p.compare(p.size() - 3, 3, "[x]") == 0) p.resize(p.size() - 3);
      names.push_back(p);
      if (const auto* d = static_cast<const ElementDefinition*>(host->property()->definition)) {
        std::string b = d->basePath;
        if (b.size() > 3 && b.compare(b.size() - 3, 3, "[x]") == 0) b.resize(b.size() - 3);
        if (!b.empty() && b != p) names.push_back(b);
      }
    }
    const std::string_view hostUrl =
        host->type().name == "Extension" ? childValue(*host, "url") : std::string_view();
    bool ok = false;
    for (const std::string& c : sd.contextTypes) {
      if (c == "Element" || c == "Base" ||
          std::find(names.begin(), names.end(), c) != names.end()) {
        ok = true;
      } else if (!hostUrl.empty() && (c == hostUrl || versionless(c) == hostUrl)) {
        ok = true;
      } else if (c.find('.') != std::string::npos && host->property() != nullptr) {
        // "Patient.name" also matches the same element reached through a profile's path; a
        // context on a child of the host is taken as the host (as the Java validator does).
        const std::string& p = host->property()->path;
        if (p == c || p + "[x]" == c || startsWith(c, p + ".")) ok = true;
      } else if (c.find('#') != std::string::npos && !hostUrl.empty()) {
        if (c.substr(0, c.find('#')) == hostUrl) ok = true;
      }
      if (ok) break;
    }
    // FHIRPath contexts: the host must be among what the expression selects from its resource.
    const Element* res = host->resource();
    for (const std::string& expr : sd.contextExpressions) {
      if (ok || res == nullptr) break;
      auto selected = evalElements(expr, *res);
      if (!selected) {
        ok = true;  // cannot tell
      } else if (std::find(selected->begin(), selected->end(), host) != selected->end()) {
        ok = true;
      }
    }
    if (ok) {
      for (const std::string& inv : sd.contextInvariants) {
        std::optional<bool> b;
        auto r = evalElements(inv, *host, &b);
        if (r && b.has_value() && !*b) {
          rep_.error(IssueType::Structure, &ext,
                     "The extension " + sd.url +
                         " is not allowed to be used at this point (based on context invariant '" +
                         inv + "')");
        }
      }
    }
    if (!ok) {
      std::string allowed;
      for (const std::string& c : sd.contextTypes) allowed += (allowed.empty() ? "" : ", ") + c;
      std::string here;
      for (const std::string& n : names) {
        if (n == "Element" || n == "Base" || n == "DataType") continue;
        here += (here.empty() ? "" : ", ") + n;
      }
      rep_.error(IssueType::Structure, &ext,
                 "The extension " + sd.url +
                     " is not allowed to be used at this point (this "
                     "element is [" +
                     here + "]; allowed = " + allowed + ")");
    }
  }

  // --- references --------------------------------------------------------------------------

  // The resource a reference points to inside the current resource or Bundle, or (`fetch`)
  // outside the input through ValidatorOptions::fetchReference; nullptr when none.
  const Element* resolveReference(std::string_view ref, bool fetch = true) {
    if (ref.empty()) return nullptr;
    const Element* container = resource_;
    while (container != nullptr && container->parent() != nullptr &&
           container->name() == "contained") {
      container = container->parent()->resource();
    }
    if (ref[0] == '#') {
      if (container == nullptr) return nullptr;
      if (ref.size() == 1) return container;
      const Element* found = nullptr;
      container->forEachChild("contained", [&](const Element& c) {
        if (found == nullptr && childValue(c, "id") == ref.substr(1)) found = &c;
      });
      return found;
    }
    // Inside a Bundle: by the rules for references in Bundles, against the fullUrl of the
    // entry that holds the resource.
    const Element* entry = nullptr;
    const Element* bundle = enclosingBundle(container, &entry);
    const Element* found =
        bundle == nullptr
            ? nullptr
            : resolveInBundle(*bundle, ref, entry == nullptr ? "" : childValue(*entry, "fullUrl"));
    // Outside the input, when the caller can look: the input itself (a resource its links lead
    // back to), else whatever the caller finds.
    if (found == nullptr && fetch && v_.options().fetchReference) {
      found = namesResource(ref, *root_) ? root_ : v_.options().fetchReference(ref);
    }
    return found;
  }

  // Whether `ref` (Type/id, or a URL ending so) names `res`.
  static bool namesResource(std::string_view ref, const Element& res) {
    ref = ref.substr(0, ref.find("/_history/"));
    const std::string_view id = childValue(res, "id");
    if (id.empty()) return false;
    const std::string typeId = std::string(res.type().name) + "/" + std::string(id);
    return ref == typeId || (ref.size() > typeId.size() &&
                             ref.compare(ref.size() - typeId.size(), typeId.size(), typeId) == 0 &&
                             ref[ref.size() - typeId.size() - 1] == '/');
  }

  // The nearest Bundle around `res` (or `res` itself), and in `entry` the entry of that Bundle
  // that holds `res` (nullptr when `res` is the Bundle).
  static const Element* enclosingBundle(const Element* res, const Element** entry) {
    *entry = nullptr;
    const Element* below = nullptr;
    for (const Element* p = res; p != nullptr; below = p, p = p->parent()) {
      if (p->isResource() && p->type().name == "Bundle") {
        if (below != nullptr && below->name() == "entry") *entry = below;
        return p;
      }
    }
    return nullptr;
  }

  // The [root] of a RESTful URL ([root]Type/id[/_history/version]), or nullopt.
  std::optional<std::string_view> restfulRoot(std::string_view url) const {
    if (!startsWith(url, "http://") && !startsWith(url, "https://")) return std::nullopt;
    if (const size_t h = url.find("/_history/"); h != std::string_view::npos) {
      url = url.substr(0, h);
    }
    const size_t slash = url.rfind('/');
    if (slash == std::string_view::npos || slash + 1 == url.size()) return std::nullopt;
    const size_t prev = url.rfind('/', slash - 1);
    if (prev == std::string_view::npos) return std::nullopt;
    const core::TypeInfo* t = v_.context().findType(url.substr(prev + 1, slash - prev - 1));
    if (t == nullptr || !t->isResource()) return std::nullopt;
    return url.substr(0, prev + 1);
  }

  // Resolves `ref` in `bundle` as http://hl7.org/fhir/R4/bundle.html#references says: an
  // absolute reference matches a fullUrl; a relative one (Type/id) is made absolute with the
  // [root] of `fullUrl`, the fullUrl of the entry that holds the reference, when that is a
  // RESTful URL, and has no meaning in the Bundle otherwise (a urn:uuid fullUrl, none). A
  // version (/_history/v) is matched against meta.versionId.
  const Element* resolveInBundle(const Element& bundle, std::string_view ref,
                                 std::string_view fullUrl) const {
    ref = ref.substr(0, ref.find('#'));
    if (ref.empty()) return nullptr;
    std::string target;
    if (isAbsoluteUrl(ref)) {
      target = std::string(ref);
    } else {
      const auto root = restfulRoot(fullUrl);
      if (!root) return nullptr;
      target = std::string(*root) + std::string(ref);
    }
    std::string_view version;
    std::string_view url = target;
    if (const size_t h = url.find("/_history/"); h != std::string_view::npos) {
      version = url.substr(h + 10);
      url = url.substr(0, h);
    }
    const Element* found = nullptr;
    bundle.forEachChild("entry", [&](const Element& entry) {
      if (found != nullptr) return;
      const Element* r = entry.child("resource");
      if (r == nullptr) return;
      const std::string_view full = childValue(entry, "fullUrl");
      if (full == target) {
        found = r;
      } else if (!version.empty() && full == url) {
        const Element* meta = r->child("meta");
        if (meta != nullptr && childValue(*meta, "versionId") == version) found = r;
      }
    });
    return found;
  }

  // A URL with a scheme (http:, urn:...), as opposed to a relative reference (Type/id).
  static bool isAbsoluteUrl(std::string_view s) {
    for (size_t i = 0; i < s.size(); ++i) {
      const char c = s[i];
      if (c == ':') return i > 0;
      const bool ok = std::isalpha(static_cast<unsigned char>(c)) != 0 ||
                      (i > 0 && (std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '+' ||
                                 c == '-' || c == '.'));
      if (!ok) return false;
    }
    return false;
  }

  std::string typeOfProfile(const std::string& url) {
    if (startsWith(url, kCoreSd)) {
      // Core types by name; core profiles (vitalsigns...) by their definition.
      const std::string name = versionless(url.substr(kCoreSd.size()));
      const core::TypeInfo* t = v_.context().findType(name);
      if (t != nullptr && t->url == versionless(url)) return name;
    }
    if (const StructureModel* pm = impl_.models.get(url)) return pm->sd().type;
    return {};
  }

  // The resource type a Reference points to: from the resolved target, the URL, or `type`.
  std::string referenceTargetType(const Element& e, const Element** resolved = nullptr) {
    const std::string_view ref = childValue(e, "reference");
    if (!ref.empty()) {
      if (const Element* target = resolveReference(ref)) {
        if (resolved != nullptr) *resolved = target;
        return std::string(target->type().name);
      }
      if (ref[0] != '#' && !startsWith(ref, "urn:")) {
        std::string_view r = ref.substr(0, ref.find('?'));
        const size_t hist = r.find("/_history/");
        if (hist != std::string_view::npos) r = r.substr(0, hist);
        const size_t slash = r.rfind('/');
        if (slash != std::string_view::npos && slash > 0) {
          std::string_view head = r.substr(0, slash);
          const size_t prev = head.rfind('/');
          std::string_view type = prev == std::string_view::npos ? head : head.substr(prev + 1);
          const core::TypeInfo* ti = v_.context().findType(type);
          if (ti != nullptr && ti->isResource()) return std::string(type);
        }
      }
    }
    return std::string(childValue(e, "type"));
  }

  void checkReference(const Element& e, const ElementNode& node, bool profile) {
    const std::string_view ref = childValue(e, "reference");
    if (!profile && !ref.empty() && ref[0] != '#' && ref.find(':') == std::string_view::npos) {
      // A relative reference: Type/id[/_history/version].
      const size_t slash = ref.find('/');
      const std::string_view type = ref.substr(0, slash);
      const core::TypeInfo* ti = v_.context().findType(type);
      if (slash == std::string_view::npos || ti == nullptr || !ti->isResource()) {
        const Element* r = e.child("reference");
        Reporter::Scope s(rep_, *r);
        if (slash != std::string_view::npos && !type.empty() &&
            std::isupper(static_cast<unsigned char>(type[0])) != 0) {
          rep_.warning(IssueType::Structure, r,
                       "Invalid Resource Type '" + std::string(type) + "' in the reference '" +
                           std::string(ref) + "'");
        }
      }
    }
    const Element* target = nullptr;
    const std::string targetType = referenceTargetType(e, &target);
    // Aggregation: a reference that must be to a resource in the Bundle or contained.
    if (!ref.empty()) {
      for (const conformance::TypeRef& t : node.def->types) {
        if (t.code != "Reference" || t.aggregation.empty()) continue;
        const auto has = [&](const char* a) {
          return std::find(t.aggregation.begin(), t.aggregation.end(), a) != t.aggregation.end();
        };
        if ((has("bundled") || has("contained")) && !has("referenced") &&
            (target == nullptr || resolveReference(ref, /*fetch=*/false) == nullptr)) {
          rep_.error(IssueType::Required, &e,
                     "Bundled or contained reference not found within the bundle/resource " +
                         std::string(ref));
        }
      }
    }
    if (target == nullptr && !ref.empty() && !v_.options().assumeValidRestReferences) return;
    const auto* tps = node.targetProfiles();
    if (targetType.empty() || tps == nullptr || tps->empty()) return;
    std::vector<std::string> allowed;
    std::vector<std::string> profilesForType;
    for (const std::string& tp : *tps) {
      const std::string type = typeOfProfile(tp);
      if (type == "Resource" || type == "DomainResource") return;
      if (type.empty()) {
        if (target != nullptr) {
          rep_.error(IssueType::Structure, &e,
                     "Unable to resolve the profile reference '" + tp + "'");
        }
        continue;
      }
      if (std::find(allowed.begin(), allowed.end(), type) == allowed.end()) allowed.push_back(type);
      if (type == targetType && v_.context().findType(type) != nullptr &&
          v_.context().findType(type)->url != versionless(tp)) {
        profilesForType.push_back(tp);
      }
    }
    if (allowed.empty()) {
      if (target != nullptr) {
        rep_.error(
            IssueType::Structure, &e,
            "Invalid Resource target type. Found " + targetType + ", but expected one of ([])");
      }
      return;
    }
    if (std::find(allowed.begin(), allowed.end(), targetType) == allowed.end()) {
      std::string list;
      for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
      rep_.error(IssueType::Structure, &e,
                 "The type '" + targetType + "' implied by the reference URL " + std::string(ref) +
                     " is not a valid Target for this element (must be one of [" + list + "])");
      return;
    }
    // A target we hold (contained, in the Bundle) must conform to one of the profiles given
    // for its type, when the allowed targets are all profiles of that type.
    if (target == nullptr || profilesForType.empty()) return;
    for (const std::string& tp : *tps) {
      const core::TypeInfo* t = v_.context().findType(targetType);
      if (t != nullptr && t->url == versionless(tp)) return;  // the plain type is allowed too
    }
    for (const std::string& tp : profilesForType) {
      if (conformsTo(*target, tp)) return;
    }
    std::string list;
    for (const std::string& tp : profilesForType) list += (list.empty() ? "" : ", ") + tp;
    rep_.error(
        IssueType::Structure, &e,
        "Unable to find a profile match for " + std::string(ref) + " among choices: " + list);
  }

  // --- element ids and measures -------------------------------------------------------------

  // Element ids are unique within a resource (not counting the resources inside it).
  void checkElementIds(const Element& res) {
    std::vector<std::pair<std::string_view, const Element*>> ids;
    std::vector<const Element*> todo;
    for (const Element* c = res.firstChild(); c != nullptr; c = c->nextSibling()) todo.push_back(c);
    while (!todo.empty()) {
      const Element* e = todo.back();
      todo.pop_back();
      if (e->isResource()) continue;
      for (const Element* c = e->firstChild(); c != nullptr; c = c->nextSibling()) {
        // ElementDefinition ids name definitions (snapshot and differential repeat them).
        if (c->name() == "id" && c->hasValue() && !e->isPrimitive() &&
            e->type().name != "ElementDefinition") {
          ids.emplace_back(c->value(), e);
        } else {
          todo.push_back(c);
        }
      }
    }
    if (ids.size() < 2) return;
    std::sort(ids.begin(), ids.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : a.second->line() < b.second->line();
    });
    for (size_t i = 1; i < ids.size(); ++i) {
      if (ids[i].first != ids[i - 1].first) continue;
      rep_.error(IssueType::BusinessRule, ids[i].second,
                 "Duplicate id value '" + std::string(ids[i].first) + "' (at " +
                     ids[i].second->path() + ")");
    }
  }

  static std::string codeText(const Element* cc) {
    if (cc == nullptr) return {};
    if (const Element* c = cc->child("coding")) return std::string(childValue(*c, "code"));
    return std::string(childValue(*cc, "text"));
  }

  static bool sameCode(const Element* a, const Element* b) {
    if (a == nullptr || b == nullptr) return false;
    bool same = false;
    a->forEachChild("coding", [&](const Element& x) {
      b->forEachChild("coding", [&](const Element& y) {
        if (childValue(x, "code") == childValue(y, "code") &&
            childValue(x, "system") == childValue(y, "system")) {
          same = true;
        }
      });
    });
    if (!same && a->child("coding") == nullptr && b->child("coding") == nullptr) {
      same = !childValue(*a, "text").empty() && childValue(*a, "text") == childValue(*b, "text");
    }
    return same;
  }

  // The loaded resource of `type` with canonical URL `canonical`, read into the element model;
  // nullptr when there is none.
  std::unique_ptr<core::Document> loadDefinition(std::string_view canonical,
                                                 std::string_view type) {
    if (canonical.empty()) return nullptr;
    const auto* loc = v_.context().find(canonical);
    if (loc == nullptr || loc->info->resourceType != type) return nullptr;
    auto json = loc->package->json(loc->index);
    if (!json) return nullptr;
    core::Issues ignored;
    auto doc = core::readJson(json.value(), v_.context(), ignored);
    if (doc == nullptr || doc->root() == nullptr) return nullptr;
    return doc;
  }

  // In a subject-list report, a population's count is the number of subjects its subjectResults
  // name: the entries of a List held in the input, or one for a reference to a single subject
  // (Patient/1). A List that is not in the input cannot be counted.
  void checkSubjectCount(const Element& pop) {
    const std::string_view countText = childValue(pop, "count");
    if (countText.empty() || pop.child("subjectResults") == nullptr) return;
    size_t count = 0;
    const auto [end, ec] =
        std::from_chars(countText.data(), countText.data() + countText.size(), count);
    if (ec != std::errc() || end != countText.data() + countText.size()) return;
    size_t subjects = 0;
    bool known = true;
    pop.forEachChild("subjectResults", [&](const Element& r) {
      const Element* target = nullptr;
      const std::string type = referenceTargetType(r, &target);
      if (target != nullptr && type == "List") {
        subjects += target->childCount("entry");
      } else if (type.empty() || type == "List") {
        known = false;
      } else {
        ++subjects;
      }
    });
    if (!known || subjects == count) return;
    Reporter::Scope s(rep_, pop);
    rep_.error(IssueType::BusinessRule, &pop,
               "Mismatch between count " + std::to_string(count) + " and number of subjects " +
                   std::to_string(subjects));
  }

  // Report groups and stratifiers against the Measure's (when it is loaded).
  void checkMeasureReport(const Element& mr) {
    const auto doc = loadDefinition(childValue(mr, "measure"), "Measure");
    if (doc == nullptr) return;
    std::vector<const Element*> mGroups, rGroups;
    doc->root()->forEachChild("group", [&](const Element& g) { mGroups.push_back(&g); });
    mr.forEachChild("group", [&](const Element& g) { rGroups.push_back(&g); });
    std::vector<bool> used(mGroups.size(), false);
    for (const Element* rg : rGroups) {
      Reporter::Scope s(rep_, *rg);
      const Element* match = nullptr;
      for (size_t k = 0; k < mGroups.size() && match == nullptr; ++k) {
        if (!used[k] && sameCode(rg->child("code"), mGroups[k]->child("code"))) {
          match = mGroups[k];
          used[k] = true;
        }
      }
      if (match == nullptr && rg->child("code") == nullptr && mGroups.size() == 1 &&
          rGroups.size() == 1) {
        match = mGroups[0];
        used[0] = true;
      }
      if (match == nullptr) {
        rep_.error(IssueType::BusinessRule, rg,
                   "Group should have a code that matches the group definition in the measure");
        continue;
      }
      if (childValue(mr, "type") == "subject-list") {
        rg->forEachChild("population", [&](const Element& pop) { checkSubjectCount(pop); });
      }
      // Stratifiers of the group.
      std::vector<const Element*> mStrat, rStrat;
      match->forEachChild("stratifier", [&](const Element& x) { mStrat.push_back(&x); });
      rg->forEachChild("stratifier", [&](const Element& x) { rStrat.push_back(&x); });
      std::vector<bool> usedS(mStrat.size(), false);
      for (const Element* rs : rStrat) {
        bool found = false;
        for (size_t k = 0; k < mStrat.size() && !found; ++k) {
          const Element* rc = rs->child("code");
          if (!usedS[k] && sameCode(rc, mStrat[k]->child("code"))) {
            usedS[k] = found = true;
          }
        }
        if (!found) {
          Reporter::Scope ss(rep_, *rs);
          rep_.error(IssueType::BusinessRule, rs,
                     "Group should have a code that matches the group stratifier definition in "
                     "the measure");
        }
      }
      for (size_t k = 0; k < mStrat.size(); ++k) {
        if (usedS[k]) continue;
        rep_.error(
            IssueType::BusinessRule, rg,
            "The MeasureReport does not include a stratifier for the stratifier with code '" +
                codeText(mStrat[k]->child("code")) + "' (id = '" +
                std::string(childValue(*mStrat[k], "id")) + "')");
      }
    }
    for (size_t k = 0; k < mGroups.size(); ++k) {
      if (used[k]) continue;
      rep_.error(IssueType::BusinessRule, &mr,
                 "The MeasureReport does not include a group for the group with code '" +
                     codeText(mGroups[k]->child("code")) + "'");
    }
  }

  // --- StructureDefinitions as profiles ---------------------------------------------------

  // A place in the element definitions of the base types: a type's (or resource's) snapshot
  // and the path of one of its elements (no snapshot: a value without children).
  struct DefinitionPlace {
    const conformance::StructureDefinition* sd;
    std::string path;
  };

  // The places of the root of type `code` (none when it is not a loaded type).
  void typeRoot(std::string_view code, std::vector<DefinitionPlace>& out) {
    const conformance::StructureDefinition* t = impl_.snapshots.get(code);
    if (t != nullptr && !t->snapshot.empty()) out.push_back({t, t->snapshot.front().path});
  }

  // The places that child `name` of `from` can be: the element itself when its definition
  // has children (backbone elements), else the roots of its types; a choice is named with or
  // without [x], or renamed for one of its types (valueQuantity).
  void childPlaces(const DefinitionPlace& from, std::string_view name,
                   std::vector<DefinitionPlace>& out) {
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
        } else if (startsWith(name, stem) && name.size() > stem.size()) {
          type = name.substr(stem.size());
        } else {
          continue;
        }
      }
      if (!e.contentReference.empty()) {
        out.push_back({from.sd, e.contentReference.substr(e.contentReference.find('#') + 1)});
        return;
      }
      const std::string own = e.path + ".";
      for (const ElementDefinition& c : from.sd->snapshot) {
        if (startsWith(c.path, own)) {
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
      return;
    }
  }

  // Whether the discriminator `path` can name something in the element at `elementPath` (of
  // the core definitions). Steps that cannot be followed here (resolve(), functions other than
  // extension() and ofType()) are given the benefit of the doubt, as is an element path that
  // cannot be found.
  bool discriminatorPathExists(std::string_view path, std::string_view elementPath) {
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

  // The discriminator paths of every slicing in the definition (differential and snapshot)
  // name something in the element being sliced.
  void checkDiscriminatorPaths(const Element& res) {
    for (const char* part : {"differential", "snapshot"}) {
      const Element* list = res.child(part);
      if (list == nullptr) continue;
      Reporter::Scope sList(rep_, *list);
      list->forEachChild("element", [&](const Element& el) {
        const Element* slicing = el.child("slicing");
        const std::string_view path = childValue(el, "path");
        if (slicing == nullptr || path.find('.') == std::string_view::npos) return;
        slicing->forEachChild("discriminator", [&](const Element& d) {
          const std::string_view dp = childValue(d, "path");
          if (dp.empty() || discriminatorPathExists(dp, path)) return;
          Reporter::Scope s1(rep_, el);
          Reporter::Scope s2(rep_, *slicing);
          Reporter::Scope s3(rep_, d);
          rep_.error(IssueType::Invalid, &d,
                     "The discriminator path '" + std::string(dp) +
                         "' does not appear to be valid for the element that is being sliced '" +
                         std::string(path) + "'");
        });
      });
    }
  }

  // "ordered/rules [type=path, ...]" of a slicing element, with ?? for what it does not say.
  static std::string slicingSummary(const Element& slicing) {
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
  static bool sameSlicing(const Element& first, const Element& later) {
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
  void checkSlicingRedefinitions(const Element& diff) {
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
    for (const auto& [key, members] : groups) {
      const Element* first = members.front()->child("slicing");
      if (first == nullptr) continue;
      for (size_t i = 1; i < members.size(); ++i) {
        const Element* later = members[i]->child("slicing");
        if (later == nullptr || sameSlicing(*first, *later)) continue;
        const auto label = [](const Element& el) {
          const std::string_view id = childValue(el, "id");
          return std::string(id.empty() ? childValue(el, "path") : id);
        };
        rep_.error(IssueType::Invalid, members[i],
                   "The element at " + label(*members.front()) + " defines the slicing " +
                       slicingSummary(*first) + " but then an element in the slicing " +
                       label(*members[i]) + " tries to redefine the slicing to " +
                       slicingSummary(*later));
      }
    }
  }

  // What snapshot generation would refuse in a constraint profile's differential: slicing at the
  // root, unknown discriminator types, elements out of the base's order, fixed values that differ
  // from the base's, bindings on types that cannot have one, type profiles of another type.
  void checkProfileDefinition(const Element& res) {
    checkDiscriminatorPaths(res);
    if (childValue(res, "derivation") != "constraint" || res.child("differential") == nullptr)
      return;
    checkSlicingRedefinitions(*res.child("differential"));
    auto parsed = conformance::parseStructureDefinition(core::writeJson(res));
    if (!parsed) return;
    const conformance::StructureDefinition& sd = parsed.value();
    const conformance::StructureDefinition* base = impl_.snapshots.get(sd.baseDefinition);
    for (const ElementDefinition& d : sd.differential) {
      if (d.path.find("..") != std::string::npos) {
        rep_.error(IssueType::Exception, &res,
                   "Error generating Snapshot: Invalid path '" + d.path + "' in differential in " +
                       sd.url + ": name portion missing ('..')");
      }
    }
    const Element& diff = *res.child("differential");
    Reporter::Scope sDiff(rep_, diff);
    std::vector<const Element*> elements;
    diff.forEachChild("element", [&](const Element& el) { elements.push_back(&el); });
    size_t last = 0;
    for (size_t i = 0; i < sd.differential.size() && i < elements.size(); ++i) {
      const ElementDefinition& d = sd.differential[i];
      Reporter::Scope sEl(rep_, *elements[i]);
      if (d.path.find('.') == std::string::npos && d.slicing) {
        rep_.error(IssueType::Invalid, elements[i],
                   "Slicing is not allowed at the root of a profile");
        rep_.error(IssueType::Exception, elements[i],
                   "Error generating Snapshot: The profile has slicing at the root ('" + d.path +
                       "'), which is illegal");
      }
      if (d.slicing) {
        for (const conformance::Discriminator& disc : d.slicing->discriminators) {
          static const char* kTypes[] = {"value", "exists", "pattern", "type", "profile"};
          if (std::find(std::begin(kTypes), std::end(kTypes), disc.type) == std::end(kTypes) &&
              !disc.type.empty()) {
            rep_.error(
                IssueType::Exception, elements[i],
                "Error generating Snapshot: Unknown DiscriminatorType code '" + disc.type + "'");
          }
        }
      }
      if (d.binding && !d.types.empty()) {
        bool bindable = false;
        std::string list;
        for (const conformance::TypeRef& t : d.types) {
          static const char* kBindable[] = {"code",     "Coding",           "CodeableConcept",
                                            "Quantity", "string",           "uri",
                                            "Duration", "CodeableReference"};
          if (std::find(std::begin(kBindable), std::end(kBindable), t.code) !=
              std::end(kBindable)) {
            bindable = true;
          }
          list += (list.empty() ? "" : ", ") + t.code;
        }
        if (!bindable) {
          rep_.error(IssueType::BusinessRule, elements[i],
                     "This element has a Binding but the types [" + list +
                         "] do not make this kind of constraint relevant");
        }
      }
      for (const conformance::TypeRef& t : d.types) {
        for (const std::string& p : t.profiles) {
          const conformance::StructureDefinition* psd = impl_.snapshots.get(p);
          if (psd != nullptr && psd->type != t.code && t.code != "Extension" &&
              !psd->type.empty()) {
            rep_.error(IssueType::Exception, elements[i],
                       "Profile " + p + " is for type " + psd->type + ", but the " + d.path +
                           " element has type " + t.code);
          }
        }
      }
      if (base == nullptr || !d.sliceName.empty() || d.id.find(':') != std::string::npos) continue;
      // Order and fixed values against the base's element of the same path.
      size_t at = base->snapshot.size();
      for (size_t k = 0; k < base->snapshot.size(); ++k) {
        if (base->snapshot[k].path == d.path && base->snapshot[k].sliceName.empty()) {
          at = k;
          break;
        }
      }
      if (at == base->snapshot.size()) continue;
      if (at < last) {
        const std::string id = d.id.empty() ? d.path : d.id;
        rep_.error(IssueType::Value, elements[i],
                   "No match found for " + id +
                       " in the generated snapshot: check that the path and definitions are legal "
                       "in the differential (including order)");
        rep_.error(IssueType::Value, &res,
                   "The profile " + sd.url + " has 1 element in the differential (id: " + id +
                       ") that don't have a matching element in the snapshot: check that the "
                       "path and definitions are legal in the differential (including order)");
      }
      last = std::max(last, at);
      const ElementDefinition& b = base->snapshot[at];
      if (!d.fixedName.empty() && !b.fixedName.empty() && d.fixedJson != b.fixedJson) {
        auto text = [](std::string j) {
          if (j.size() >= 2 && j.front() == '"') j = j.substr(1, j.size() - 2);
          return j;
        };
        rep_.error(IssueType::Value, elements[i],
                   "Value is '" + text(d.fixedJson) + "' but is fixed to '" + text(b.fixedJson) +
                       "' in the profile " + base->url);
      }
    }
  }

  // --- questionnaires -----------------------------------------------------------------------

  static void collectItems(const Element& e, std::vector<const Element*>& out) {
    e.forEachChild("item", [&](const Element& i) {
      out.push_back(&i);
      collectItems(i, out);
    });
  }

  // An enableWhen may not depend on a question inside the item it enables.
  void checkQuestionnaire(const Element& q) {
    std::vector<const Element*> items;
    collectItems(q, items);
    for (const Element* item : items) {
      std::vector<const Element*> inner;
      collectItems(*item, inner);
      item->forEachChild("enableWhen", [&](const Element& ew) {
        const std::string_view question = childValue(ew, "question");
        for (const Element* i : inner) {
          if (childValue(*i, "linkId") == question) {
            rep_.error(IssueType::BusinessRule, item,
                       "Questions with an enableWhen cannot refer to an inner question for its "
                       "enableWhen condition");
            return;
          }
        }
      });
    }
  }

  // The answers given to a question, anywhere in the response.
  static void answersTo(const Element& qr, std::string_view linkId,
                        std::vector<const Element*>& out) {
    std::vector<const Element*> items;
    collectItems(qr, items);
    for (const Element* i : items) {
      if (childValue(*i, "linkId") != linkId) continue;
      i->forEachChild("answer", [&](const Element& a) {
        if (const Element* v = a.child("value")) out.push_back(v);
      });
    }
  }

  static bool compareAnswer(const Element& given, const Element& expected, std::string_view op) {
    if (given.hasValue() && expected.hasValue()) {
      const int c = comparePrimitive(given.type().name, given.value(), expected.value());
      if (op == "=") return given.value() == expected.value() || c == 0;
      if (op == "!=") return given.value() != expected.value() && c != 0;
      if (c == 2) return false;
      if (op == ">") return c > 0;
      if (op == "<") return c < 0;
      if (op == ">=") return c >= 0;
      if (op == "<=") return c <= 0;
      return false;
    }
    // Coding and Quantity answers: system and code, or value and unit.
    const bool same = childValue(given, "code") == childValue(expected, "code") &&
                      (childValue(expected, "system").empty() ||
                       childValue(given, "system") == childValue(expected, "system")) &&
                      childValue(given, "value") == childValue(expected, "value");
    return op == "=" ? same : (op == "!=" ? !same : false);
  }

  bool enabled(const Element& qItem, const Element& qr) {
    bool has = false;
    for (const Element* ext = qItem.child("extension"); ext != nullptr; ext = ext->nextSibling()) {
      if (ext->name() != "extension") continue;
      // SDC's enableWhenExpression (an Expression), or the Finnish PHR extension (a string).
      std::string url(childValue(*ext, "url"));
      for (char& c : url) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (url.find("enablewhen") == std::string::npos) continue;
      const Element* value = ext->child("value");
      if (value == nullptr) continue;
      const std::string expr(value->hasValue() ? value->value() : childValue(*value, "expression"));
      if (expr.empty()) continue;
      std::optional<bool> b;
      auto r = evalElements(expr, qr, &b);
      if (r && b.has_value()) return *b;
      has = true;
    }
    if (has) return true;
    std::vector<bool> results;
    qItem.forEachChild("enableWhen", [&](const Element& ew) {
      const std::string_view op = childValue(ew, "operator");
      std::vector<const Element*> answers;
      answersTo(qr, childValue(ew, "question"), answers);
      const Element* expected = ew.child("answer");
      if (op == "exists") {
        const bool want = expected == nullptr || expected->value() == "true";
        results.push_back(answers.empty() != want);
        return;
      }
      bool any = false;
      for (const Element* a : answers) {
        if (expected != nullptr && compareAnswer(*a, *expected, op)) any = true;
      }
      results.push_back(any);
    });
    if (results.empty()) return true;
    if (childValue(qItem, "enableBehavior") == "any") {
      return std::find(results.begin(), results.end(), true) != results.end();
    }
    return std::find(results.begin(), results.end(), false) == results.end();
  }

  // Items against the questionnaire (when it is loaded): known linkIds, answers only to
  // enabled items.
  void checkQuestionnaireResponse(const Element& qr) {
    const auto doc = loadDefinition(childValue(qr, "questionnaire"), "Questionnaire");
    if (doc == nullptr) return;
    std::vector<const Element*> qItems;
    collectItems(*doc->root(), qItems);
    auto byLinkId = [&](std::string_view id) -> const Element* {
      for (const Element* i : qItems) {
        if (childValue(*i, "linkId") == id) return i;
      }
      return nullptr;
    };
    walkResponseItems(qr, qr, byLinkId);
  }

  template <typename F>
  void walkResponseItems(const Element& parent, const Element& qr, F& byLinkId) {
    parent.forEachChild("item", [&](const Element& item) {
      Reporter::Scope s(rep_, item);
      const std::string_view linkId = childValue(item, "linkId");
      const Element* qItem = byLinkId(linkId);
      if (qItem == nullptr) {
        rep_.error(IssueType::NotFound, &item,
                   "LinkId '" + std::string(linkId) + "' not found in questionnaire");
      } else if (item.child("answer") != nullptr && !enabled(*qItem, qr)) {
        rep_.error(IssueType::Invalid, &item,
                   "Item has answer, even though it is not enabled (item id = '" +
                       std::string(linkId) + "')");
      }
      walkResponseItems(item, qr, byLinkId);
      item.forEachChild("answer", [&](const Element& a) {
        Reporter::Scope sa(rep_, a);
        walkResponseItems(a, qr, byLinkId);
      });
    });
  }

  // --- search parameters -------------------------------------------------------------------

  std::string searchParamType(std::string_view url) {
    const auto* loc = v_.context().find(url);
    if (loc == nullptr || loc->info->resourceType != "SearchParameter") return {};
    auto json = loc->package->json(loc->index);
    if (!json) return {};
    const std::string& t = json.value();
    const size_t k = t.find("\"type\":");
    if (k == std::string::npos) return {};
    const size_t q1 = t.find('"', k + 7);
    const size_t q2 = q1 == std::string::npos ? q1 : t.find('"', q1 + 1);
    if (q2 == std::string::npos) return {};
    return t.substr(q1 + 1, q2 - q1 - 1);
  }

  void checkCapabilityStatement(const Element& cs) {
    cs.forEachChild("rest", [&](const Element& rest) {
      Reporter::Scope s1(rep_, rest);
      rest.forEachChild("resource", [&](const Element& r) {
        Reporter::Scope s2(rep_, r);
        r.forEachChild("searchParam", [&](const Element& sp) {
          Reporter::Scope s3(rep_, sp);
          const std::string_view def = childValue(sp, "definition");
          const std::string_view type = childValue(sp, "type");
          if (def.empty() || type.empty()) return;
          const std::string actual = searchParamType(def);
          if (actual.empty() || actual == type) return;
          const auto* loc = v_.context().find(def);
          std::string label = versionless(def);
          if (loc != nullptr && !loc->info->version.empty()) label += "|" + loc->info->version;
          rep_.error(IssueType::Invalid, &sp,
                     "Type mismatch - SearchParameter '" + label + "' type is " + actual +
                         ", but type here is " + std::string(type));
        });
      });
    });
  }

  void checkSearchParameter(const Element& sp) {
    const std::string_view from = childValue(sp, "derivedFrom");
    const std::string_view type = childValue(sp, "type");
    if (from.empty() || type.empty()) return;
    const std::string actual = searchParamType(from);
    if (!actual.empty() && actual != type) {
      rep_.error(IssueType::BusinessRule, &sp,
                 "The type " + std::string(type) + " is different to the type " + actual +
                     " in the derivedFrom SearchParameter " + std::string(from));
    }
  }

  // --- Bundle ------------------------------------------------------------------------------

  // All Reference.reference values under `e`.
  static void collectReferences(const Element& e, std::vector<const Element*>& out) {
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
  static bool isCanonicalResourceType(std::string_view t) {
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

  // Checks that the reference in `reference` (a Reference) from the entry with `fullUrl`
  // resolves in `bundle` by the Bundle rules. `mustResolve`: the document or message needs the
  // target in the Bundle (Composition.subject, MessageHeader.focus...), so any reference that
  // does not resolve is an error; otherwise only a relative reference that names entries by
  // type and id that the rules do not reach is (it looks resolved and is not). `name` says
  // what the reference is (empty: its path). Each reference is reported once (`reported`).
  void checkBundleReference(const Element& bundle, const Element& reference,
                            std::string_view fullUrl, std::string_view name, bool mustResolve,
                            std::unordered_set<const Element*>& reported) {
    const Element* r = reference.child("reference");
    if (r == nullptr || !r->hasValue() || r->value().empty() || r->value()[0] == '#') return;
    if (reported.count(&reference) != 0) return;
    const std::string_view ref = r->value();
    if (resolveInBundle(bundle, ref, fullUrl) != nullptr) return;
    std::string message = "Can't find '" + std::string(ref) + "' in the bundle (" +
                          (name.empty() ? reference.path() : std::string(name)) + ")";
    if (isAbsoluteUrl(ref)) {
      if (!mustResolve || v_.context().find(ref) != nullptr) return;
      if (const auto root = restfulRoot(ref)) {
        std::string_view rest = ref.substr(root->size());
        if (isCanonicalResourceType(rest.substr(0, rest.find('/')))) return;
      }
    } else {
      // Entries that have the reference's type and id, which the rules do not reach.
      const std::string_view rel = ref.substr(0, ref.find("/_history/"));
      const size_t slash = rel.find('/');
      if (slash == std::string_view::npos) return;
      const core::TypeInfo* t = v_.context().findType(rel.substr(0, slash));
      if (t == nullptr || !t->isResource()) return;
      std::vector<std::string> found;
      bundle.forEachChild("entry", [&](const Element& entry) {
        const Element* res = entry.child("resource");
        if (res == nullptr || res->type().name != rel.substr(0, slash) ||
            childValue(*res, "id") != rel.substr(slash + 1)) {
          return;
        }
        const Element* full = entry.child("fullUrl");
        found.emplace_back(full != nullptr && full->hasValue() ? full->value() : "<missing>");
      });
      if (found.empty() && !mustResolve) return;
      if (!found.empty()) {
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
      }
    }
    reported.insert(&reference);
    const std::string saved = rep_.path();
    rep_.setRoot(reference.path());
    rep_.error(IssueType::Invalid, r, std::move(message));
    rep_.setRoot(saved);
  }

  // The references of a document's Composition that must resolve in the Bundle.
  void checkCompositionReferences(const Element& bundle, const Element& composition,
                                  std::string_view fullUrl,
                                  std::unordered_set<const Element*>& reported) {
    const auto check = [&](const Element& owner, std::string_view prop, std::string_view name) {
      owner.forEachChild(prop, [&](const Element& ref) {
        checkBundleReference(bundle, ref, fullUrl, name, /*mustResolve=*/true, reported);
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

  // Document and message Bundles: the references their first resource needs resolve in the
  // Bundle, and no relative reference only seems to (it names an entry by type and id that the
  // fullUrl rules do not reach).
  void checkBundleLinks(const Element& bundle, bool document) {
    const Element* first = bundle.child("entry");
    const Element* head = first == nullptr ? nullptr : first->child("resource");
    if (head == nullptr) return;
    std::unordered_set<const Element*> reported;
    const std::string_view headUrl = childValue(*first, "fullUrl");
    if (document && head->type().name == "Composition") {
      checkCompositionReferences(bundle, *head, headUrl, reported);
    } else if (!document && head->type().name == "MessageHeader") {
      head->forEachChild("focus", [&](const Element& ref) {
        checkBundleReference(bundle, ref, headUrl, "MessageHeader Data", /*mustResolve=*/true,
                             reported);
      });
    }
    bundle.forEachChild("entry", [&](const Element& entry) {
      const Element* res = entry.child("resource");
      if (res == nullptr) return;
      std::vector<const Element*> refs;
      collectReferences(*res, refs);
      for (const Element* r : refs) {
        checkBundleReference(bundle, *r->parent(), childValue(entry, "fullUrl"),
                             /*name: its path=*/"", /*mustResolve=*/false, reported);
      }
    });
  }

  // A document's entries must all be reachable from the Composition by following references
  // forward or backward.
  void checkDocument(const Element& bundle) {
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
      const Element* saved = resource_;
      resource_ = resources[i];
      std::vector<const Element*> refs;
      collectReferences(*resources[i], refs);
      for (const Element* r : refs) {
        const Element* target = resolveReference(r->value());
        for (size_t j = 0; j < entries.size() && target != nullptr; ++j) {
          if (resources[j] == target) edges[i].push_back(j);
        }
      }
      resource_ = saved;
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
      Reporter::Scope s(rep_, *entries[i]);
      rep_.error(IssueType::Informational, entries[i],
                 "Entry '" + std::string(childValue(*entries[i], "fullUrl")) +
                     "' isn't reachable by traversing links (forward or backward) from the "
                     "Composition");
    }
  }

  void checkBundle(const Element& bundle) {
    const std::string_view bundleType = childValue(bundle, "type");
    if (bundleType == "document" || bundleType == "message") {
      checkBundleLinks(bundle, bundleType == "document");
    }
    if (bundleType == "document") checkDocument(bundle);
    bundle.forEachChild("entry", [&](const Element& entry) {
      const Element* full = entry.child("fullUrl");
      const Element* res = entry.child("resource");
      if (full == nullptr || res == nullptr || !full->hasValue()) return;
      const std::string_view url = full->value();
      if (!startsWith(url, "http://") && !startsWith(url, "https://")) return;
      const std::string_view id = childValue(*res, "id");
      if (id.empty()) return;
      // A RESTful URL ends with /Type/id.
      const size_t slash = url.rfind('/');
      if (slash == std::string_view::npos) return;
      std::string_view head = url.substr(0, slash);
      const size_t prev = head.rfind('/');
      const std::string_view type = prev == std::string_view::npos ? head : head.substr(prev + 1);
      const core::TypeInfo* ti = v_.context().findType(type);
      if (ti == nullptr || !ti->isResource()) return;
      if (type != res->type().name || url.substr(slash + 1) != id) {
        Reporter::Scope s(rep_, entry);
        rep_.error(IssueType::Invalid, &entry,
                   "The fullUrl '" + std::string(url) +
                       "' looks like a RESTful server URL, so it must end with the correct type "
                       "and id (/" +
                       std::string(res->type().name) + "/" + std::string(id) + ")");
      }
    });
  }

  // --- invariants --------------------------------------------------------------------------

  void checkInvariant(const Element& e, const Invariant& inv, const StructureModel& /*m*/) {
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
          rep_.add(inv.severity, IssueType::Invariant, &e,
                   "Constraint failed: txt-1: '" + inv.constraint->human + "' (" + p + ")");
        }
        return;
      }
      case Invariant::Native::Txt2: ok = !e.hasValue() || xhtmlHasContent(e.value()); break;
      case Invariant::Native::Dom3: checkContainedReferenced(e, inv); return;
      case Invariant::Native::WholeMatch: {
        if (!v_.options().invariants) return;
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
        if (!inv.expression || !v_.options().invariants) return;
        thread_local fhirpath::Evaluation eval;
        const fhirpath::Environment env = pathEnvironment();
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
    rep_.add(inv.severity, IssueType::Invariant, &e, std::move(msg));
  }

#if TB_HAVE_FHIRPATH
  // The FHIRPath environment of the resource being validated (%resource, %rootResource).
  fhirpath::Environment pathEnvironment() const {
    fhirpath::Environment env;
    env.resource = resource_;
    env.rootResource = root_;
    env.context = &v_.context();
    env.enforceAsSingleton = false;
    return env;
  }
#endif

  // Evaluates a FHIRPath expression (compiled once per process) on `focus`; nullopt when it
  // cannot be compiled or evaluated.
  std::optional<std::vector<const Element*>> evalElements(const std::string& text,
                                                          const Element& focus,
                                                          std::optional<bool>* boolean = nullptr) {
#if TB_HAVE_FHIRPATH
    fhirpath::CompileOptions options;
    options.types = &v_.context();
    auto compiled = fhirpath::ExpressionCache::global().get(text, options);
    if (!compiled) return std::nullopt;
    thread_local fhirpath::Evaluation eval;
    const fhirpath::Environment env = pathEnvironment();
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

  // The model of an element's own type, through a thread-local cache (no lock, no string hash on
  // the hot path).
  const StructureModel* typeModel(const core::TypeInfo& type) {
    struct Cache {
      uint64_t owner = 0;
      std::unordered_map<const core::TypeInfo*, const StructureModel*> byType;
    };
    thread_local Cache cache;
    if (cache.owner != impl_.id) {
      cache.byType.clear();
      cache.owner = impl_.id;
    }
    auto [it, inserted] = cache.byType.try_emplace(&type, nullptr);
    if (inserted) it->second = impl_.models.get(type.name);
    return it->second;
  }

  bool readerErrorUnder(const std::string& path) const {
    if (readerErrors_ == nullptr) return false;
    for (const core::Issue& i : readerErrors_->items()) {
      if ((i.severity == Severity::Error || i.severity == Severity::Fatal) &&
          startsWith(i.location, path)) {
        return true;
      }
    }
    return false;
  }

  // dom-3, natively: each contained resource is referenced from elsewhere in the resource
  // (references, canonicals, uris, or the narrative's links and images), or refers to it.
  void checkContainedReferenced(const Element& res, const Invariant& inv) {
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

  const Validator& v_;
  Validator::Impl& impl_;
  Reporter rep_;
  const core::Issues* readerErrors_ = nullptr;
  std::vector<std::pair<const Element*, const StructureModel*>> checking_;
  std::vector<PendingDisplay> pendingDisplays_;
  std::unordered_set<const Element*> valueSetDisplays_;
  const Element* root_ = nullptr;
  const Element* resource_ = nullptr;
};

Validator::Validator(const conformance::Context& context, ValidatorOptions options)
    : context_(context),
      options_(options),
      impl_(std::make_unique<Impl>(context, options.invariants)) {}
Validator::~Validator() = default;

const conformance::Terminology& Validator::terminology() const { return impl_->terminology; }
const conformance::Snapshots& Validator::snapshots() const { return impl_->snapshots; }

void Validator::validate(const core::Element& resource, core::Issues& issues,
                         std::span<const std::string> profiles) const {
  core::Issues found;
  Run run(*this, *impl_, found, &issues);
  run.validateRoot(resource, profiles);
  // The same finding reached through the base and a profile (or two profiles) is kept once.
  std::unordered_set<std::string> seen;
  for (core::Issue& i : found.items()) {
    std::string key;
    key.reserve(i.location.size() + i.message.size() + 4);
    key += static_cast<char>('0' + static_cast<int>(i.severity));
    key += i.location;
    key += '\x1f';
    key += i.message;
    if (seen.insert(std::move(key)).second) issues.add(std::move(i));
  }
}

void Validator::validateText(std::string_view text, core::Issues& issues,
                             std::span<const std::string> profiles) const {
  std::string stripped;
  if (options_.allowJsonComments && text.find('/') != std::string_view::npos) {
    // Comments become spaces, so that lines and columns stay where they were.
    stripped.assign(text);
    bool inString = false;
    for (size_t i = 0; i < stripped.size(); ++i) {
      const char c = stripped[i];
      if (inString) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '/' && i + 1 < stripped.size() && stripped[i + 1] == '/') {
        while (i < stripped.size() && stripped[i] != '\n') stripped[i++] = ' ';
      } else if (c == '/' && i + 1 < stripped.size() && stripped[i + 1] == '*') {
        const size_t end = stripped.find("*/", i + 2);
        const size_t stop = end == std::string::npos ? stripped.size() : end + 2;
        for (; i < stop; ++i) {
          if (stripped[i] != '\n') stripped[i] = ' ';
        }
        --i;
      }
    }
    text = stripped;
  }
  auto doc = core::readResource(text, context_, issues);
  if (doc == nullptr || doc->root() == nullptr) return;
  validate(*doc->root(), issues, profiles);
}

}  // namespace trialbridge::validation
