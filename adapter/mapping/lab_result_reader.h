#pragma once
// FHIR -> the protocol's logic: an Observation or a MedicationAdministration (R4, in the element
// model) read into the study layer's value types (study::LabResult, study::DoseGiven). The
// pipeline's subject directory uses them for stored resources, and the study context for an
// incoming result. Pure; allocates only the strings of the result.
#include <optional>
#include <string>

#include "core/element.h"
#include "study/lab.h"
#include "study/visit_plan.h"

namespace trialbridge::mapping {

// The result an Observation holds: the test (the LOINC coding of `code` when there is one, else
// the first coding), a valueQuantity (value, comparator, UCUM code: the code when the system is
// UCUM or absent, else nothing), a valueCodeableConcept (first coding, text), valueString,
// interpretation (first coding's code), the first referenceRange's low and high (in their own
// unit), and the effective time (effectiveDateTime, effectiveInstant, or the start of
// effectivePeriod; a date is taken in `dateZoneMinutes`). source is "Observation/{id}".
// nullopt, with `why`, for an Observation without a coded test or without an effective time.
std::optional<study::LabResult> labResultOf(const core::Element& observation, std::string* why,
                                            int32_t dateZoneMinutes = 0);

// The dose a MedicationAdministration records: the tb-timepoint extension's timepoint and
// occurrence (default 1) and effectiveDateTime (or effectivePeriod.start). nullopt, with `why`,
// without them, or when its status says the dose was not given (not-done, entered-in-error).
std::optional<study::DoseGiven> doseOf(const core::Element& administration, std::string* why,
                                       int32_t dateZoneMinutes = 0);

}  // namespace trialbridge::mapping
