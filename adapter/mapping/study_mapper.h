#pragma once
// Trial definition -> FHIR (docs/mappings.md): the ResearchStudy; its Organizations, Locations
// (sites), PractitionerRoles (contacts) and Medications (drug-like interventions); the enrollment
// Group with the eligibility criteria; and, for each schedule of activities, a PlanDefinition
// drawn the way the HL7 Vulcan Schedule of Activities IG does it, with ActivityDefinitions for
// its activities. Pure: the trial must have been read by readTrial().
#include "mapping/bundle_builder.h"
#include "study/trial.h"

namespace trialbridge::mapping {

void mapStudy(const study::Trial& trial, TransactionBuilder& tx);

}  // namespace trialbridge::mapping
