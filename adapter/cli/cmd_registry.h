#pragma once
#include "cli/command.h"

namespace trialbridge::cli {

// `trialbridge registry export|import`: a study between FHIR and the registry formats.
Command registryCommand();

}  // namespace trialbridge::cli
