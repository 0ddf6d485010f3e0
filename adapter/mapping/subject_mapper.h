#pragma once
// Subject -> Patient (pseudonymous: one identifier, the HMAC-SHA256 of the hospital identifier;
// no name, no hospital number), Consent, ResearchSubject, and a MedicationAdministration per dose
// given (tb-medication-administration, naming its timepoint) (docs/mappings.md). Pure.
#include "mapping/bundle_builder.h"
#include "mapping/pseudonymizer.h"
#include "study/trial.h"

namespace trialbridge::mapping {

void mapSubject(const study::Trial& trial, const study::SubjectRecord& subject,
                const Pseudonymizer& pseudonymizer, TransactionBuilder& tx);

// The hospital identifier the pseudonym is made from: the first of type MR, else the first.
const study::HospitalIdentifier& pseudonymSource(const study::SubjectRecord& subject);

}  // namespace trialbridge::mapping
