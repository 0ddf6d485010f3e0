#pragma once
// Subject -> Patient (pseudonymous: one identifier, the HMAC-SHA256 of the hospital identifier;
// no name, no hospital number), Consent, and ResearchSubject (docs/mappings.md). Pure.
#include "mapping/bundle_builder.h"
#include "mapping/pseudonymizer.h"
#include "mapping/trial.h"

namespace trialbridge::mapping {

void mapSubject(const Trial& trial, const SubjectRecord& subject,
                const Pseudonymizer& pseudonymizer, TransactionBuilder& tx);

// The hospital identifier the pseudonym is made from: the first of type MR, else the first.
const HospitalIdentifier& pseudonymSource(const SubjectRecord& subject);

}  // namespace trialbridge::mapping
