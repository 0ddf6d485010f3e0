#pragma once
// What a Validator prepares once from the loaded definitions and shares with every run on every
// thread: snapshots, the terminology (expanded value sets, code systems), the element models of
// StructureDefinitions, and the global profiles of the loaded ImplementationGuides. Everything in
// it is built on first use, thread-safe, and never changes afterwards.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "conformance/context.h"
#include "conformance/snapshot.h"
#include "conformance/terminology.h"
#include "core/type_info.h"
#include "validation/structure_model.h"

namespace trialbridge::validation {

class Definitions {
 public:
  Definitions(const conformance::Context& context, bool compileInvariants);
  Definitions(const Definitions&) = delete;
  Definitions& operator=(const Definitions&) = delete;

  const conformance::Context& context() const { return context_; }
  const conformance::Snapshots& snapshots() const { return snapshots_; }
  const conformance::Terminology& terminology() const { return terminology_; }
  const ModelCache& models() const { return models_; }
  // ImplementationGuide.global of the loaded guides: (resource type, profile).
  const std::vector<std::pair<std::string, std::string>>& globalProfiles() const {
    return globalProfiles_;
  }

  // The model of an element's own type (its StructureDefinition), or nullptr. Through a
  // thread-local cache: no lock and no string hash on the hot path.
  const StructureModel* typeModel(const core::TypeInfo& type) const;

 private:
  const conformance::Context& context_;
  // Tells this object's thread-local caches from those of an earlier one.
  const uint64_t id_;
  conformance::Snapshots snapshots_;
  conformance::Terminology terminology_;
  ModelCache models_;
  std::vector<std::pair<std::string, std::string>> globalProfiles_;
};

}  // namespace trialbridge::validation
