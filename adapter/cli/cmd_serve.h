#pragma once
#include "cli/command.h"

namespace trialbridge::cli {

// `trialbridge serve`: the FHIR REST service (docs/rest.md, docs/configuration.md).
Command serveCommand();

}  // namespace trialbridge::cli
