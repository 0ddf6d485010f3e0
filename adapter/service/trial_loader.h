#pragma once
// Loading a trial (and its entities: subjects, adverse-event reports) through the pipeline: the
// mapping layer turns it into a transaction Bundle, and the pipeline stores it as one change
// (validated against the required profiles, audited, all or nothing). `serve --trial` uses it
// at start; enrolment will use the same path.
#include <string>
#include <vector>

#include "core/issue.h"
#include "mapping/trial_mapping.h"
#include "pipeline/pipeline.h"

namespace trialbridge::service {

struct TrialLoad {
  pipeline::Status status = pipeline::Status::Ok;
  core::Issues issues;  // why it failed (located in the mapped Bundle), or the mapping's error
  size_t created = 0;
  size_t updated = 0;
  std::vector<pipeline::EntryResult> entries;  // what was stored, in Bundle order
  bool ok() const { return status == pipeline::Status::Ok; }
};

// Maps `trial` and `entities` (options.fullUrlBase should be the server's base URL) and applies
// the Bundle as a transaction with `write` (actor, validation policy, base URL).
TrialLoad loadTrial(const pipeline::Pipeline& pipeline, const study::Trial& trial,
                    const std::vector<study::Entity>& entities, const mapping::MapOptions& options,
                    const pipeline::Options& write);

}  // namespace trialbridge::service
