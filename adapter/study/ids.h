#pragma once
// The FHIR resource ids, canonical URLs and identifier systems made from a trial definition.
// Deterministic, so that mapping the same trial twice updates (PUT) the same resources.
// Every id starts with the trial's id; the readers check that none is longer than 64 characters.
#include <string>
#include <string_view>

#include "study/trial.h"

namespace trialbridge::study::ids {

std::string study(const Trial& t);                                      // {t}
std::string eligibilityGroup(const Trial& t);                           // {t}-eligibility
std::string organization(const Trial& t, std::string_view orgId);       // {t}-org-{id}
std::string location(const Trial& t, std::string_view siteId);          // {t}-site-{id}
std::string contact(const Trial& t, std::string_view contactId);        // {t}-contact-{id}
std::string medication(const Trial& t, std::string_view intervention);  // {t}-med-{id}
// {t}-act-{activity}, or {t}-act-{activity}-{arm} for an administration at an arm's dose.
std::string activity(const Trial& t, std::string_view activityId, std::string_view armId = {});
std::string schedule(const Trial& t, std::string_view scheduleId);        // {t}-soa-{id}
std::string patient(const Trial& t, std::string_view subjectId);          // {t}-pt-{subject}
std::string researchSubject(const Trial& t, std::string_view subjectId);  // {t}-rs-{subject}
std::string consent(const Trial& t, std::string_view subjectId);          // {t}-consent-{subject}
std::string adverseEvent(const Trial& t, std::string_view reportId);      // {t}-ae-{report}
// {t}-dose-{subject}-{timepoint}, and -{occurrence} after the first: a MedicationAdministration.
std::string dose(const Trial& t, std::string_view subjectId, std::string_view timepoint,
                 int occurrence);

// {canonicalBase}/{type}/{id}: the url of a PlanDefinition or ActivityDefinition.
std::string canonical(const Trial& t, std::string_view type, std::string_view id);

// Identifier systems: {canonicalBase}/subject-id, /screening-number, /pseudonym,
// /adverse-event-id, /sponsor-protocol.
std::string subjectIdSystem(const Trial& t);
std::string screeningNumberSystem(const Trial& t);
std::string pseudonymSystem(const Trial& t);
std::string adverseEventIdSystem(const Trial& t);
std::string sponsorProtocolSystem(const Trial& t);
// {canonicalBase}/dose: a dose's identifier, "{subject}/{timepoint}/{occurrence}".
std::string doseIdSystem(const Trial& t);

}  // namespace trialbridge::study::ids
