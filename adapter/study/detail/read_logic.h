#pragma once
// Internal to tb_study: reading the trial file's blocks for the protocol's logic ("laboratory",
// "efficacy", "safety"; docs/trial-definition.md) into Trial, after the schema check, with the
// checks a schema cannot make (UCUM units, timepoints that exist, terms given once).
#include "core/issue.h"
#include "core/json_input.h"
#include "study/trial.h"

namespace trialbridge::study::detail {

void readProtocolLogic(const core::JsonInput& input, Trial& trial, core::Issues& issues);

}  // namespace trialbridge::study::detail
