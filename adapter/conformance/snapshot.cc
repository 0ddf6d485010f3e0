#include "conformance/snapshot.h"

#include <algorithm>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_map>

#include "conformance/context.h"

namespace trialbridge::conformance {

namespace {

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

std::string effectiveId(const ElementDefinition& e) {
  if (!e.id.empty()) return e.id;
  return e.sliceName.empty() ? e.path : e.path + ":" + e.sliceName;
}

// True when `id` is `root` or lies below it (children, or slices of it and theirs).
bool within(std::string_view id, std::string_view root) {
  return id == root || (startsWith(id, root) && id.size() > root.size() &&
                        (id[root.size()] == '.' || id[root.size()] == ':'));
}

// Last '.' that separates path segments (not inside a slice name after ':' ... '.').
size_t lastDot(std::string_view id) { return id.rfind('.'); }

void merge(ElementDefinition& target, const ElementDefinition& d, bool newSlice) {
  if (newSlice) {
    target.min = d.min;
  } else {
    target.min = std::max(target.min, d.min);
  }
  if (!d.maxText.empty()) {
    target.maxText = d.maxText;
    target.max = d.max;
  }
  if (!d.shortText.empty()) target.shortText = d.shortText;
  if (!d.types.empty()) target.types = d.types;
  if (!d.fixedName.empty()) {
    target.fixedName = d.fixedName;
    target.fixedJson = d.fixedJson;
  }
  if (!d.patternName.empty()) {
    target.patternName = d.patternName;
    target.patternJson = d.patternJson;
  }
  if (!d.minValueName.empty()) {
    target.minValueName = d.minValueName;
    target.minValueJson = d.minValueJson;
  }
  if (!d.maxValueName.empty()) {
    target.maxValueName = d.maxValueName;
    target.maxValueJson = d.maxValueJson;
  }
  if (d.maxLength) target.maxLength = d.maxLength;
  if (d.binding) target.binding = d.binding;
  if (d.slicing) target.slicing = d.slicing;
  if (d.mustSupport) target.mustSupport = true;
  if (!d.regex.empty()) target.regex = d.regex;
  for (const Constraint& c : d.constraints) {
    auto same = [&](const Constraint& k) { return k.key == c.key; };
    auto it = std::find_if(target.constraints.begin(), target.constraints.end(), same);
    if (it == target.constraints.end()) {
      target.constraints.push_back(c);
    } else {
      *it = c;
    }
  }
  for (const std::string& c : d.conditions) {
    if (std::find(target.conditions.begin(), target.conditions.end(), c) ==
        target.conditions.end()) {
      target.conditions.push_back(c);
    }
  }
}

class Builder {
 public:
  Builder(std::vector<ElementDefinition> base,
          const std::function<const StructureDefinition*(std::string_view)>& typeSnapshot)
      : elements_(std::move(base)), typeSnapshot_(typeSnapshot) {
    for (ElementDefinition& e : elements_) e.id = effectiveId(e);
  }

  std::vector<ElementDefinition> take() { return std::move(elements_); }

  // Applies one differential element; false if it matches nothing.
  bool apply(const ElementDefinition& d) {
    const std::string id = effectiveId(d);
    if (id.empty()) return false;
    int64_t at = find(id);
    bool newSlice = false;
    if (at < 0) at = place(id, d, newSlice, 0);
    if (at < 0) return false;
    ElementDefinition& target = elements_[static_cast<size_t>(at)];
    merge(target, d, newSlice);
    // A renamed choice ("valueQuantity") keeps its own path but constrains value[x].
    return true;
  }

 private:
  int64_t find(std::string_view id) const {
    for (size_t i = 0; i < elements_.size(); ++i) {
      if (elements_[i].id == id) return static_cast<int64_t>(i);
    }
    return -1;
  }

  // The element a differential id names, created if it is a new slice or a child of an
  // element whose type has not been expanded yet.
  int64_t place(const std::string& id, const ElementDefinition& d, bool& newSlice, int depth) {
    if (depth > 32) return -1;
    int64_t at = find(id);
    if (at >= 0) return at;
    const size_t dot = lastDot(id);
    const size_t colon = id.rfind(':');
    if (colon != std::string::npos && (dot == std::string::npos || colon > dot)) {
      // A new slice of the element before ':'.
      const std::string slicedId = id.substr(0, colon);
      bool ignored = false;
      const int64_t sliced = place(slicedId, d, ignored, depth + 1);
      if (sliced < 0) return -1;
      newSlice = true;
      return addSlice(static_cast<size_t>(sliced), slicedId, id, id.substr(colon + 1));
    }
    if (dot == std::string::npos) return -1;
    const std::string parentId = id.substr(0, dot);
    bool ignored = false;
    const int64_t parent = place(parentId, d, ignored, depth + 1);
    if (parent < 0) return -1;
    const std::string name = id.substr(dot + 1);
    if (!hasChildren(static_cast<size_t>(parent))) {
      expand(static_cast<size_t>(parent));
      at = find(id);
      if (at >= 0) return at;
    }
    // A renamed choice: "valueQuantity" for "value[x]".
    for (size_t i = static_cast<size_t>(parent) + 1; i < elements_.size(); ++i) {
      const ElementDefinition& e = elements_[i];
      if (!within(e.id, parentId)) break;
      if (e.id.size() < 3 || e.id.compare(e.id.size() - 3, 3, "[x]") != 0) continue;
      const size_t d2 = lastDot(e.id);
      if (e.id.substr(0, d2) != parentId) continue;
      const std::string prefix = e.id.substr(d2 + 1, e.id.size() - d2 - 4);
      if (name.size() > prefix.size() && startsWith(name, prefix) &&
          std::isupper(static_cast<unsigned char>(name[prefix.size()]))) {
        return static_cast<int64_t>(i);
      }
    }
    return -1;
  }

  bool hasChildren(size_t i) const {
    return i + 1 < elements_.size() && startsWith(elements_[i + 1].id, elements_[i].id + ".");
  }

  // Copies the children of element i's type (or type profile) in under it.
  void expand(size_t i) {
    const ElementDefinition& e = elements_[i];
    if (!e.contentReference.empty()) {
      // The children of the element named by the content reference ("#Parameters.parameter").
      const std::string target = e.contentReference.substr(e.contentReference.find('#') + 1);
      const int64_t at = find(target);
      if (at < 0) return;
      std::vector<ElementDefinition> copies;
      for (size_t k = static_cast<size_t>(at) + 1; k < elements_.size(); ++k) {
        const std::string& cid = elements_[k].id;
        if (!within(cid, target)) break;
        if (!startsWith(cid, target + ".")) continue;
        ElementDefinition c = elements_[k];
        c.path = e.path + c.path.substr(target.size());
        c.id = e.id + cid.substr(target.size());
        copies.push_back(std::move(c));
      }
      ElementDefinition& self = elements_[i];
      self.types = elements_[static_cast<size_t>(at)].types;
      self.contentReference.clear();
      elements_.insert(elements_.begin() + static_cast<std::ptrdiff_t>(i) + 1, copies.begin(),
                       copies.end());
      return;
    }
    if (e.types.empty()) return;
    const TypeRef& t = e.types.front();
    const StructureDefinition* sd = nullptr;
    if (!t.profiles.empty()) sd = typeSnapshot_(t.profiles.front());
    if (sd == nullptr) sd = typeSnapshot_(t.code);
    if (sd == nullptr || sd->snapshot.size() < 2) return;
    const std::string rootPath = sd->snapshot.front().path;
    const std::string rootId = effectiveId(sd->snapshot.front());
    std::vector<ElementDefinition> copies;
    for (size_t k = 1; k < sd->snapshot.size(); ++k) {
      ElementDefinition c = sd->snapshot[k];
      const std::string cid = effectiveId(c);
      c.path = e.path + c.path.substr(rootPath.size());
      c.id = e.id + cid.substr(rootId.size());
      copies.push_back(std::move(c));
    }
    elements_.insert(elements_.begin() + static_cast<std::ptrdiff_t>(i) + 1, copies.begin(),
                     copies.end());
  }

  int64_t addSlice(size_t sliced, const std::string& slicedId, const std::string& id,
                   const std::string& sliceName) {
    // The copy: the sliced element and its children (not its other slices).
    std::vector<ElementDefinition> copies;
    ElementDefinition root = elements_[sliced];
    root.id = id;
    root.sliceName = sliceName;
    root.slicing.reset();
    copies.push_back(std::move(root));
    size_t end = sliced + 1;
    for (; end < elements_.size(); ++end) {
      const std::string& cid = elements_[end].id;
      if (!within(cid, slicedId)) break;
      if (startsWith(cid, slicedId + ".")) {
        ElementDefinition c = elements_[end];
        c.id = id + cid.substr(slicedId.size());
        copies.push_back(std::move(c));
      }
    }
    // Inserted after everything under the sliced element (its children and earlier slices).
    elements_.insert(elements_.begin() + static_cast<std::ptrdiff_t>(end), copies.begin(),
                     copies.end());
    return static_cast<int64_t>(end);
  }

  std::vector<ElementDefinition> elements_;
  const std::function<const StructureDefinition*(std::string_view)>& typeSnapshot_;
};

}  // namespace

core::Result<std::vector<ElementDefinition>> generateSnapshot(
    const StructureDefinition& profile, const StructureDefinition& base,
    const std::function<const StructureDefinition*(std::string_view)>& typeSnapshot,
    std::vector<std::string>* warnings) {
  using R = core::Result<std::vector<ElementDefinition>>;
  if (base.snapshot.empty()) return R::error("the base " + base.url + " has no snapshot");
  if (profile.differential.empty()) return base.snapshot;
  std::vector<ElementDefinition> start = base.snapshot;
  // A profile of another type (rare: logical models) renames the root.
  const std::string& diffRoot = profile.differential.front().path;
  const std::string baseRoot = start.front().path;
  const std::string newRoot = diffRoot.substr(0, diffRoot.find('.'));
  if (newRoot != baseRoot && !profile.type.empty() && newRoot == profile.type) {
    for (ElementDefinition& e : start) {
      e.path = newRoot + e.path.substr(baseRoot.size());
      if (!e.id.empty()) e.id = newRoot + e.id.substr(baseRoot.size());
    }
  }
  Builder b(std::move(start), typeSnapshot);
  for (const ElementDefinition& d : profile.differential) {
    if (!b.apply(d) && warnings != nullptr) {
      warnings->push_back("No match found for " + effectiveId(d) +
                          " in the generated snapshot: check that the path and definitions are "
                          "legal in the differential (including order)");
    }
  }
  return b.take();
}

struct Snapshots::Impl {
  mutable std::shared_mutex mutex;
  std::unordered_map<const StructureDefinition*, std::unique_ptr<StructureDefinition>> generated;
  std::unordered_map<const StructureDefinition*, std::string> failed;
};

Snapshots::Snapshots(const Context& context) : context_(context), impl_(std::make_unique<Impl>()) {}
Snapshots::~Snapshots() = default;

const StructureDefinition* Snapshots::get(std::string_view nameOrUrl, std::string* error) const {
  const StructureDefinition* sd = context_.structureDefinition(nameOrUrl);
  if (sd == nullptr) {
    if (error != nullptr) *error = "unknown profile " + std::string(nameOrUrl);
    return nullptr;
  }
  if (!sd->snapshot.empty()) return sd;
  {
    std::shared_lock lock(impl_->mutex);
    auto it = impl_->generated.find(sd);
    if (it != impl_->generated.end()) return it->second.get();
    auto f = impl_->failed.find(sd);
    if (f != impl_->failed.end()) {
      if (error != nullptr) *error = f->second;
      return nullptr;
    }
  }
  // Circular baseDefinitions are cut by this thread's chain of profiles being generated.
  thread_local std::set<const StructureDefinition*> inProgress;
  std::string why;
  std::unique_ptr<StructureDefinition> out;
  if (inProgress.count(sd) != 0 || inProgress.size() > 16) {
    why = "the profile " + sd->url + " is derived from itself";
  } else if (sd->baseDefinition.empty()) {
    why = "the profile " + sd->url + " has neither a snapshot nor a baseDefinition";
  } else {
    inProgress.insert(sd);
    std::string baseError;
    const StructureDefinition* base = get(sd->baseDefinition, &baseError);
    if (base == nullptr) {
      why = "cannot generate the snapshot of " + sd->url + ": base " + sd->baseDefinition +
            (baseError.empty() ? "" : " (" + baseError + ")");
    } else {
      auto typeSnapshot = [this](std::string_view name) { return get(name); };
      auto snap = generateSnapshot(*sd, *base, typeSnapshot);
      if (snap) {
        out = std::make_unique<StructureDefinition>(*sd);
        out->snapshot = std::move(snap.value());
      } else {
        why = snap.message();
      }
    }
    inProgress.erase(sd);
  }
  std::unique_lock lock(impl_->mutex);
  if (out) {
    auto [it, inserted] = impl_->generated.try_emplace(sd, std::move(out));
    return it->second.get();
  }
  impl_->failed.try_emplace(sd, why);
  if (error != nullptr) *error = why;
  return nullptr;
}

}  // namespace trialbridge::conformance
