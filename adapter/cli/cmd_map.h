#pragma once
#include "cli/command.h"

namespace trialbridge::cli {

// trialbridge map --trial TRIAL.json [ENTITY.json]...: the trial and its entities as a FHIR
// transaction Bundle (docs/cli.md, docs/mappings.md).
Command mapCommand();

}  // namespace trialbridge::cli
