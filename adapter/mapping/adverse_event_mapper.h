#pragma once
// Adverse-event report -> AdverseEvent (R4), with the study, the subject's pseudonymous Patient,
// seriousness and its criteria, severity and CTCAE grade, outcome, causality to the study
// intervention (suspectEntity) and the action taken (docs/mappings.md). Pure.
#include "mapping/bundle_builder.h"
#include "study/trial.h"

namespace trialbridge::mapping {

void mapAdverseEvent(const study::Trial& trial, const study::AdverseEventRecord& report,
                     TransactionBuilder& tx);

}  // namespace trialbridge::mapping
