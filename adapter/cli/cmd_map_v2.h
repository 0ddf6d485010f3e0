#pragma once
#include "cli/command.h"

namespace trialbridge::cli {

// trialbridge map-v2 FILE.hl7: HL7 v2 ORU^R01 messages as FHIR transaction Bundles (docs/cli.md,
// docs/mappings.md).
Command mapV2Command();

}  // namespace trialbridge::cli
