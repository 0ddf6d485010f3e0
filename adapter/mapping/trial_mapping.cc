#include "mapping/trial_mapping.h"

#include "mapping/adverse_event_mapper.h"
#include "mapping/bundle_builder.h"
#include "mapping/study_mapper.h"
#include "mapping/subject_mapper.h"

namespace trialbridge::mapping {

using study::Entity;
using study::Trial;

namespace {

core::Result<std::unique_ptr<core::Document>> build(const Trial& trial,
                                                    const std::vector<Entity>& entities,
                                                    const MapOptions& options,
                                                    const core::TypeResolver& types,
                                                    bool withStudy) {
  using R = core::Result<std::unique_ptr<core::Document>>;
  for (const Entity& e : entities) {
    if (e.kind == Entity::Kind::Subject && !options.pseudonymizer) {
      return R::error("no pseudonymisation secret is configured for the trial " + trial.id +
                      ": subjects cannot be mapped without it");
    }
  }
  TransactionBuilder tx(types, options.fullUrlBase);
  if (withStudy) mapStudy(trial, tx);
  for (const Entity& e : entities) {
    if (e.kind == Entity::Kind::Subject) {
      mapSubject(trial, e.subject, *options.pseudonymizer, tx);
    } else {
      mapAdverseEvent(trial, e.adverseEvent, tx);
    }
  }
  return tx.release();
}

}  // namespace

core::Result<std::unique_ptr<core::Document>> mapTrial(const Trial& trial,
                                                       const std::vector<Entity>& entities,
                                                       const MapOptions& options,
                                                       const core::TypeResolver& types) {
  return build(trial, entities, options, types, true);
}

core::Result<std::unique_ptr<core::Document>> mapEntities(const Trial& trial,
                                                          const std::vector<Entity>& entities,
                                                          const MapOptions& options,
                                                          const core::TypeResolver& types) {
  return build(trial, entities, options, types, false);
}

}  // namespace trialbridge::mapping
