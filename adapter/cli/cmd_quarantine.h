#pragma once
#include "cli/command.h"

namespace trialbridge::cli {

// trialbridge quarantine list|show ID|retry ID|discard ID: the HL7 v2 messages kept in
// quarantine, against the configuration's store (docs/cli.md, docs/mllp.md).
Command quarantineCommand();

}  // namespace trialbridge::cli
