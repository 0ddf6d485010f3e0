#pragma once
#include "cli/command.h"

namespace trialbridge::cli {

// trialbridge import --server URL FILE.ndjson|FOLDER...: an EHR's FHIR Bulk Data export (Patient
// and Observation NDJSON) through the running service's study context, POST [base]/$ingest
// (docs/cli.md, docs/rest.md).
Command importCommand();

}  // namespace trialbridge::cli
