#include "validation/references.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "core/uri.h"

namespace trialbridge::validation {

using core::Element;
using core::IssueType;

namespace {

// Whether `ref` (Type/id, or a URL ending so) names `res`.
bool namesResource(std::string_view ref, const Element& res) {
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
const Element* enclosingBundle(const Element* res, const Element** entry) {
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

}  // namespace

const Element* References::resolve(std::string_view ref, const Element* from, bool fetch) const {
  if (ref.empty()) return nullptr;
  const Element* container = from;
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
  if (found == nullptr && fetch && options_.fetchReference) {
    found = namesResource(ref, *state_.root) ? state_.root : options_.fetchReference(ref);
  }
  return found;
}

std::optional<std::string_view> References::restfulRoot(std::string_view url) const {
  if (!url.starts_with("http://") && !url.starts_with("https://")) return std::nullopt;
  if (const size_t h = url.find("/_history/"); h != std::string_view::npos) {
    url = url.substr(0, h);
  }
  const size_t slash = url.rfind('/');
  if (slash == std::string_view::npos || slash + 1 == url.size()) return std::nullopt;
  const size_t prev = url.rfind('/', slash - 1);
  if (prev == std::string_view::npos) return std::nullopt;
  const core::TypeInfo* t = defs_.context().findType(url.substr(prev + 1, slash - prev - 1));
  if (t == nullptr || !t->isResource()) return std::nullopt;
  return url.substr(0, prev + 1);
}

const Element* References::resolveInBundle(const Element& bundle, std::string_view ref,
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
  const auto& byUrl = entriesByFullUrl(bundle);
  if (auto it = byUrl.find(std::string_view(target)); it != byUrl.end()) return it->second.front();
  if (version.empty()) return nullptr;
  auto it = byUrl.find(url);
  if (it == byUrl.end()) return nullptr;
  for (const Element* r : it->second) {
    const Element* meta = r->child("meta");
    if (meta != nullptr && childValue(*meta, "versionId") == version) return r;
  }
  return nullptr;
}

const References::FullUrlIndex& References::entriesByFullUrl(const Element& bundle) const {
  // Not a structured binding: clang 14 cannot capture one in the lambda.
  const auto emplaced = bundles_.try_emplace(&bundle);
  FullUrlIndex& index = emplaced.first->second;
  if (emplaced.second) {
    bundle.forEachChild("entry", [&](const Element& entry) {
      const Element* r = entry.child("resource");
      const std::string_view full = childValue(entry, "fullUrl");
      if (r != nullptr && !full.empty()) index[full].push_back(r);
    });
  }
  return index;
}

bool References::isAbsoluteUrl(std::string_view s) { return core::hasUriScheme(s); }

std::string References::typeOfProfile(const std::string& url) const {
  if (url.starts_with(kCoreSd)) {
    // Core types by name; core profiles (vitalsigns...) by their definition.
    const std::string name = versionless(url.substr(kCoreSd.size()));
    const core::TypeInfo* t = defs_.context().findType(name);
    if (t != nullptr && t->url == versionless(url)) return name;
  }
  if (const StructureModel* pm = defs_.models().get(url)) return pm->sd().type;
  return {};
}

std::string References::targetType(const Element& e, const Element* from,
                                   const Element** resolved) const {
  const std::string_view ref = childValue(e, "reference");
  if (!ref.empty()) {
    if (const Element* target = resolve(ref, from)) {
      if (resolved != nullptr) *resolved = target;
      return std::string(target->type().name);
    }
    if (ref[0] != '#' && !ref.starts_with("urn:")) {
      std::string_view r = ref.substr(0, ref.find('?'));
      const size_t hist = r.find("/_history/");
      if (hist != std::string_view::npos) r = r.substr(0, hist);
      const size_t slash = r.rfind('/');
      if (slash != std::string_view::npos && slash > 0) {
        std::string_view head = r.substr(0, slash);
        const size_t prev = head.rfind('/');
        std::string_view type = prev == std::string_view::npos ? head : head.substr(prev + 1);
        const core::TypeInfo* ti = defs_.context().findType(type);
        if (ti != nullptr && ti->isResource()) return std::string(type);
      }
    }
  }
  return std::string(childValue(e, "type"));
}

void References::check(const Element& e, const ElementNode& node, bool profile) const {
  const std::string_view ref = childValue(e, "reference");
  if (!profile && !ref.empty() && ref[0] != '#' && ref.find(':') == std::string_view::npos) {
    checkRelativeType(e, ref);
  }
  const Element* target = nullptr;
  const std::string type = targetType(e, state_.resource, &target);
  if (!ref.empty()) checkAggregation(e, node, ref, target);
  if (target == nullptr && !ref.empty() && !options_.assumeValidRestReferences) return;
  if (!ref.empty() && ref[0] == '#') {
    using Policy = ValidatorOptions::ContainedReferences;
    if (options_.containedReferences == Policy::Ignore) return;
    if (options_.containedReferences == Policy::Type) target = nullptr;  // no profile checks
  }
  checkTargets(e, node, ref, type, target);
}

// A relative reference: Type/id[/_history/version].
void References::checkRelativeType(const Element& e, std::string_view ref) const {
  const size_t slash = ref.find('/');
  const std::string_view type = ref.substr(0, slash);
  const core::TypeInfo* ti = defs_.context().findType(type);
  if (slash != std::string_view::npos && ti != nullptr && ti->isResource()) return;
  const Element* r = e.child("reference");
  Reporter::Scope s(rep_, *r);
  if (slash != std::string_view::npos && !type.empty() &&
      std::isupper(static_cast<unsigned char>(type[0])) != 0) {
    rep_.warning(IssueType::Structure, r,
                 "Invalid Resource Type '" + std::string(type) + "' in the reference '" +
                     std::string(ref) + "'");
  }
}

// Aggregation: a reference that must be to a resource in the Bundle or contained.
void References::checkAggregation(const Element& e, const ElementNode& node, std::string_view ref,
                                  const Element* target) const {
  for (const conformance::TypeRef& t : node.def->types) {
    if (t.code != "Reference" || t.aggregation.empty()) continue;
    const auto has = [&](const char* a) {
      return std::find(t.aggregation.begin(), t.aggregation.end(), a) != t.aggregation.end();
    };
    if ((has("bundled") || has("contained")) && !has("referenced") &&
        (target == nullptr || resolve(ref, state_.resource, /*fetch=*/false) == nullptr)) {
      rep_.error(IssueType::Required, &e,
                 "Bundled or contained reference not found within the bundle/resource " +
                     std::string(ref));
    }
  }
}

// The target's type among those the element allows; a target we hold (contained, in the
// Bundle) must conform to one of the profiles given for its type, when the allowed targets are
// all profiles of that type.
void References::checkTargets(const Element& e, const ElementNode& node, std::string_view ref,
                              const std::string& targetType, const Element* target) const {
  const auto* tps = node.targetProfiles();
  if (targetType.empty() || tps == nullptr || tps->empty()) return;
  const conformance::Context& context = defs_.context();
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
    if (type == targetType && context.findType(type) != nullptr &&
        context.findType(type)->url != versionless(tp)) {
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
    rep_.error(IssueType::Structure, &e,
               "The type '" + targetType + "' implied by the reference URL " + std::string(ref) +
                   " is not a valid Target for this element (must be one of [" + joinList(allowed) +
                   "])");
    return;
  }
  if (target == nullptr || profilesForType.empty()) return;
  for (const std::string& tp : *tps) {
    const core::TypeInfo* t = context.findType(targetType);
    if (t != nullptr && t->url == versionless(tp)) return;  // the plain type is allowed too
  }
  for (const std::string& tp : profilesForType) {
    if (match_.conformsTo(*target, tp)) return;
  }
  rep_.error(IssueType::Structure, &e,
             "Unable to find a profile match for " + std::string(ref) +
                 " among choices: " + joinList(profilesForType));
}

}  // namespace trialbridge::validation
