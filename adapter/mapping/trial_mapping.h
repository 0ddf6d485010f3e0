#pragma once
// The mapping layer's entry point for a trial and its entities: one transaction Bundle with the
// study's resources, then the resources of each entity in the order given.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/element.h"
#include "core/result.h"
#include "mapping/pseudonymizer.h"
#include "study/trial.h"

namespace trialbridge::mapping {

struct MapOptions {
  // The base of the entries' fullUrl ({base}/{type}/{id}): the FHIR server the Bundle is for.
  std::string fullUrlBase = "http://trialbridge.local/fhir";
  // Needed when there are subjects; the trial's pseudonymisation secret.
  std::optional<Pseudonymizer> pseudonymizer;
};

// Fails (a configuration error) only when there are subjects and no pseudonymizer.
core::Result<std::unique_ptr<core::Document>> mapTrial(const study::Trial& trial,
                                                       const std::vector<study::Entity>& entities,
                                                       const MapOptions& options,
                                                       const core::TypeResolver& types);
// The entities' resources only, for a trial whose own resources are stored already (enrolment
// in the running service). The same failure.
core::Result<std::unique_ptr<core::Document>> mapEntities(
    const study::Trial& trial, const std::vector<study::Entity>& entities,
    const MapOptions& options, const core::TypeResolver& types);

}  // namespace trialbridge::mapping
