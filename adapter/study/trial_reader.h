#pragma once
// Reading a trial definition (docs/trial-definition.md). Problems in the file are issues, each
// located by its JSON path ($.schedules[0].timepoints[2].anchor) with line and column:
//   1. JSON syntax, size and nesting limits, duplicate member names;
//   2. the JSON Schema (mappings/schemas/trial-definition.schema.json), all problems at once;
//   3. what a schema cannot say: ids are unique and references resolve (sponsor, sites, arms,
//      interventions, activities, anchors, criteria), anchors form no cycle, windows and offsets
//      use units that can be added, a dosing timepoint gives an intervention every arm of its
//      schedule receives, registry identifiers have their registry's format, resource ids fit in
//      64 characters.
#include <optional>
#include <string_view>

#include "core/issue.h"
#include "study/trial.h"

namespace trialbridge::study {

// The trial, or nothing when the file has errors (warnings and information may be added either
// way).
std::optional<Trial> readTrial(std::string_view text, core::Issues& issues);

}  // namespace trialbridge::study
