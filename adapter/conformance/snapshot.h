#pragma once
// Snapshot generation for profiles published with a differential only.
//
// The snapshot is the base's snapshot with the differential applied in order: each differential
// element is matched to a snapshot element by id (or path and slice name) and its constraints
// are merged in (cardinality, types, fixed/pattern, binding, constraints added to the inherited
// ones, slicing, min/maxValue, maxLength, mustSupport). A differential element that has no match
// yet is either
//   - a new slice ("Patient.identifier:mrn"): a copy of the sliced element and its children is
//     added after the last slice of that element, or
//   - a child of an element whose type was not expanded ("Patient.identifier.system"): the
//     children of the element's type (or type profile) are copied in under it first, or
//   - a renamed choice ("Observation.valueQuantity"): it constrains "Observation.value[x]" to
//     the one type.
// Differential elements that still match nothing are reported as errors.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/structure_definition.h"
#include "core/result.h"

namespace trialbridge::conformance {

class Context;

// Builds the snapshot of `profile` on `base` (which has one). `typeSnapshot` gives the snapshot
// of a type or profile by URL or type name, for expanding children (may return nullptr).
// Differential elements that match nothing are left out and named in `warnings`.
core::Result<std::vector<ElementDefinition>> generateSnapshot(
    const StructureDefinition& profile, const StructureDefinition& base,
    const std::function<const StructureDefinition*(std::string_view)>& typeSnapshot,
    std::vector<std::string>* warnings = nullptr);

// StructureDefinitions with their snapshots, generating (and caching) those that lack one,
// recursively along baseDefinition. Thread-safe; pointers stay valid for its lifetime.
class Snapshots {
 public:
  explicit Snapshots(const Context& context);
  ~Snapshots();
  Snapshots(const Snapshots&) = delete;
  Snapshots& operator=(const Snapshots&) = delete;

  // By canonical URL ("url|version" allowed) or core type name. nullptr when the profile is
  // not loaded or its snapshot cannot be built (the reason is then in `error`).
  const StructureDefinition* get(std::string_view nameOrUrl, std::string* error = nullptr) const;
  const Context& context() const { return context_; }

 private:
  struct Impl;
  const Context& context_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trialbridge::conformance
