#pragma once
// Adverse-event report -> AdverseEvent (R4), with the study, the subject's pseudonymous Patient,
// seriousness and its criteria, severity and CTCAE grade, outcome, causality to the study
// intervention (suspectEntity) and the action taken (docs/mappings.md). Pure.
#include "mapping/bundle_builder.h"
#include "mapping/trial.h"

namespace trialbridge::mapping {

void mapAdverseEvent(const Trial& trial, const AdverseEventRecord& report, TransactionBuilder& tx);

}  // namespace trialbridge::mapping
