#pragma once
// The parts of a ResearchStudy and its enrollment Group that the trial mapper (study_mapper.h)
// and the registry import (registry_fhir.h) both write, each in one place: the recruitment
// status, phases, design categories, dates, titles, descriptions, arms, interventions, outcome
// measures and the registry's eligibility facts. recordFromFhir() reads them back; the element
// each registry field becomes is listed in docs/registries.md.
#include <string>
#include <string_view>
#include <vector>

#include "core/element.h"
#include "mapping/bundle_builder.h"
#include "mapping/registry_record.h"
#include "study/trial.h"

namespace trialbridge::mapping::elements {

// A part of a complex extension: extension[url=name].value{type} = value; nothing when the value
// is empty. `valueJsonName` is e.g. "valueString".
core::Element* part(ResourceBuilder& b, core::Element* ext, std::string_view name,
                    std::string_view valueJsonName, std::string_view value);

// The design codes of the registry's design module (ClinicalTrials.gov enums).
struct DesignCodes {
  std::string studyType, primaryPurpose, allocation, interventionModel, masking;
  std::vector<std::string> whoMasked;
  std::string observationalModel, timePerspective, samplingMethod;
};

// ResearchStudy.status from a ClinicalTrials.gov status, and tb-recruitment-status with the
// status as registered (and the last known status, why it stopped, when it was verified).
void studyStatus(ResourceBuilder& b, core::Element* study, std::string_view status,
                 std::string_view lastKnownStatus, std::string_view whyStopped = {},
                 std::string_view verifiedDate = {});
// Location.status and tb-recruitment-status from a site's recruitment status.
void siteStatus(ResourceBuilder& b, core::Element* location, std::string_view status);
// ResearchStudy.phase: research-study-phase for the phases (PHASE1+PHASE2 -> phase-1-phase-2),
// text only for a combination it has no code for; nothing without phases.
void phase(ResourceBuilder& b, core::Element* study, const std::vector<std::string>& phases);
// ResearchStudy.category (tb-study-type, tb-study-design) and primaryPurposeType.
void design(ResourceBuilder& b, core::Element* study, const DesignCodes& d);
// title (the official title, else the brief one), tb-brief-title when there is an official
// title, tb-acronym.
void titles(ResourceBuilder& b, core::Element* study, std::string_view brief,
            std::string_view official, std::string_view acronym);
// description: the detailed description, else the summary; the R5 descriptionSummary extension
// holds the summary when both are given.
void descriptions(ResourceBuilder& b, core::Element* study, std::string_view summary,
                  std::string_view detailed);
// period.start and period.end (the completion date) with their tb-date-type, and
// tb-primary-completion.
void dates(ResourceBuilder& b, core::Element* study, const RegistryDate& start,
           const RegistryDate& primaryCompletion, const RegistryDate& completion);
// tb-design-detail: the model and masking described, biospecimens retained and described.
struct DesignTexts {
  std::string modelDescription, maskingDescription, bioSpecRetention, bioSpecDescription;
};
void designDetail(ResourceBuilder& b, core::Element* study, const DesignTexts& d);
// tb-dose-escalation.
void doseEscalation(ResourceBuilder& b, core::Element* study, std::string_view rule,
                    std::string_view description, std::string_view targetToxicityRate);
// ResearchStudy.focus: the intervention's codes and name, and tb-intervention.
void intervention(ResourceBuilder& b, core::Element* study, const RegistryIntervention& i,
                  const std::vector<study::Coding>& codes = {});
// ResearchStudy.arm: name, type (tb-arm-type; none for an observational group), description,
// tb-arm-cohort and tb-arm-intervention.
void arm(ResourceBuilder& b, core::Element* study, const RegistryArmGroup& a);
// ResearchStudy.objective for an outcome measure: name "Outcome measure: {measure} ({time
// frame})", type (other -> exploratory), and tb-outcome-measure with each field.
void outcome(ResourceBuilder& b, core::Element* study, const RegistryOutcome& o);

// The eligibility criteria text as ClinicalTrials.gov lays it out: "Inclusion Criteria:" and
// "Exclusion Criteria:", each followed by a blank line and one "* " line a criterion.
std::string criteriaText(const std::vector<std::string>& inclusion,
                         const std::vector<std::string>& exclusion);
// The inclusion and exclusion items of a criteria text laid out so (nothing for other text).
void splitCriteria(std::string_view text, std::vector<std::string>& inclusion,
                   std::vector<std::string>& exclusion);
// Group characteristics of kind inclusion-text / exclusion-text for each criterion (with its
// id when given).
void criteria(ResourceBuilder& b, core::Element* group,
              const std::vector<study::Criterion>& inclusion,
              const std::vector<study::Criterion>& exclusion);
// The age range characteristic (LOINC 30525-0); `criterion` is the free-text criterion it comes
// from, when known.
void ageRange(ResourceBuilder& b, core::Element* group, const std::optional<study::Age>& minimum,
              const std::optional<study::Age>& maximum, std::string_view criterion = {});
// The sex characteristic (FEMALE / MALE; nothing for ALL), and healthy volunteers:
// tb-healthy-volunteers, and when they are not accepted a characteristic that excludes them.
void sexAndVolunteers(ResourceBuilder& b, core::Element* group, std::string_view sex,
                      std::optional<bool> healthyVolunteers);
// Group.quantity and tb-enrollment-type.
void enrollment(ResourceBuilder& b, core::Element* group, std::string_view count,
                std::string_view type);

// One Group characteristic with its tb-criterion-kind (and tb-criterion-id, tb-alternative-group).
core::Element* characteristic(ResourceBuilder& b, core::Element* group, std::string_view kind,
                              std::string_view criterionId = {}, std::string_view alternative = {});

// ClinicalTrials.gov's way of writing an age ("18 Years", "1 Year") and reading one back.
std::string ageText(const study::Age& age);
std::optional<study::Age> parseAge(std::string_view text);

// ClinicalTrials.gov enum -> the project's codes: INDUSTRY -> industry, OTHER_GOV -> other-gov;
// and back.
std::string localCode(std::string_view ctgov);
std::string ctgovCode(std::string_view local);

}  // namespace trialbridge::mapping::elements
