#pragma once
// Reading trial entity files (docs/trial-definition.md, "Entity files"): one subject or one
// adverse-event report per file, its kind named by "kind". Problems are issues located by JSON
// path, line and column: JSON syntax; the schema of the kind (mappings/schemas/subject.schema.json,
// adverse-event.schema.json); and the checks against the trial: the entity names this trial, its
// site, arm, interventions and timepoint exist, statuses are known, dates are in order, the
// seriousness, severity, CTCAE grade and outcome agree.
#include <optional>
#include <string_view>
#include <vector>

#include "core/issue.h"
#include "study/trial.h"

namespace trialbridge::study {

// The entity, or nothing when the file has errors.
std::optional<Entity> readEntity(std::string_view text, const Trial& trial, core::Issues& issues);

// Checks across a set of entities: two subjects with the same number, two reports with the same
// id. issues[i] receives the problems of entities[i] (issues must have entities.size() items).
void checkEntities(const Trial& trial, const std::vector<Entity>& entities,
                   std::vector<core::Issues>& issues);

}  // namespace trialbridge::study
