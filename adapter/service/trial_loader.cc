#include "service/trial_loader.h"

namespace trialbridge::service {

TrialLoad loadTrial(const pipeline::Pipeline& pipeline, const study::Trial& trial,
                    const std::vector<study::Entity>& entities, const mapping::MapOptions& options,
                    const pipeline::Options& write) {
  TrialLoad load;
  auto bundle = mapping::mapTrial(trial, entities, options, pipeline.store().types());
  if (!bundle) {
    load.status = pipeline::Status::Invalid;
    load.issues.add(core::Severity::Error, core::IssueType::Processing, bundle.message());
    return load;
  }
  pipeline::Result result =
      pipeline.apply(pipeline::Change::bundle(std::move(bundle.value())), write);
  load.status = result.status;
  load.issues = std::move(result.issues);
  for (const pipeline::EntryResult& e : result.entries) {
    load.created += e.outcome == pipeline::Outcome::Created;
    load.updated += e.outcome == pipeline::Outcome::Updated;
  }
  load.entries = std::move(result.entries);
  return load;
}

}  // namespace trialbridge::service
