#pragma once
#include "cli/command.h"

namespace trialbridge::cli {

// `trialbridge fhirpath [--input FILE] EXPRESSION`: evaluates a FHIRPath expression.
Command fhirpathCommand();

}  // namespace trialbridge::cli
