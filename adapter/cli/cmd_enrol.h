#pragma once
#include "cli/command.h"

namespace trialbridge::cli {

// trialbridge enrol --server URL SUBJECT.json...: enrols subjects in a running service through
// POST [base]/ResearchSubject/$enrol (docs/cli.md, docs/rest.md).
Command enrolCommand();

}  // namespace trialbridge::cli
