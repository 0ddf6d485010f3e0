#pragma once
// A registry record of a study: the protocol section of a ClinicalTrials.gov API v2 study
// (ctg-oas-v2.yaml), with its codes (RECRUITING, PHASE2, DRUG...), as the registry formats share
// it. FHIR resources become a record (recordFromFhir) and a record becomes FHIR resources
// (fhirFromRecord) in registry_fhir.h; a record is written as ClinicalTrials.gov JSON, PRS XML or
// the WHO data set, and read from ClinicalTrials.gov JSON (registry_ctgov.h, registry_prs.h,
// registry_who.h). Every field is optional: "" or empty for absent.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trialbridge::mapping {

// A partial date (yyyy, yyyy-MM or yyyy-MM-dd) and whether it is ACTUAL or ESTIMATED.
struct RegistryDate {
  std::string date, type;
  bool operator==(const RegistryDate&) const = default;
};

struct RegistryOrganization {
  std::string name, klass;  // klass: AgencyClass
  bool operator==(const RegistryOrganization&) const = default;
};

struct RegistrySecondaryId {
  std::string id, type, domain;  // type: SecondaryIdType
  bool operator==(const RegistrySecondaryId&) const = default;
};

// trialbridge's own: a dose-escalation cohort (ClinicalTrials.gov has no field for it).
struct RegistryCohort {
  int sequence = 0;
  std::string part;
  int size = 0;
  std::vector<std::string> doseFrom;  // arm group labels
  bool operator==(const RegistryCohort&) const = default;
};

struct RegistryArmGroup {
  std::string label, type, description;        // type: ArmGroupType
  std::vector<std::string> interventionNames;  // "Drug: Palbociclib"
  std::optional<RegistryCohort> cohort;
  bool operator==(const RegistryArmGroup&) const = default;
};

struct RegistryIntervention {
  std::string type, name, description;  // type: InterventionType
  std::vector<std::string> armGroupLabels, otherNames;
  bool operator==(const RegistryIntervention&) const = default;
};

struct RegistryOutcome {
  std::string kind;  // primary | secondary | other
  std::string measure, description, timeFrame;
  bool operator==(const RegistryOutcome&) const = default;
};

struct RegistryContact {
  std::string name, role, phone, phoneExt, email;  // role: ContactRole
  bool operator==(const RegistryContact&) const = default;
};

struct RegistryOfficial {
  std::string name, affiliation, role;  // role: OfficialRole
  bool operator==(const RegistryOfficial&) const = default;
};

struct RegistryLocation {
  std::string facility, status, city, state, zip, country;  // country: the English name
  std::vector<RegistryContact> contacts;
  std::string latitude, longitude;  // decimal text as written
  bool operator==(const RegistryLocation&) const = default;
};

struct RegistryReference {
  std::string pmid, type, citation;  // type: ReferenceType
  bool operator==(const RegistryReference&) const = default;
};

struct RegistryLink {
  std::string label, url;
  bool operator==(const RegistryLink&) const = default;
};

struct RegistryIpdSharing {
  std::string sharing, description;  // sharing: YES | NO | UNDECIDED
  std::vector<std::string> infoTypes;
  std::string timeFrame, accessCriteria, url;
  bool operator==(const RegistryIpdSharing&) const = default;
};

// A part of an imported record with no place in the record: its JSON path, why, and its JSON.
struct RegistryUnmapped {
  std::string path, reason, json;
  bool operator==(const RegistryUnmapped&) const = default;
};

struct RegistryRecord {
  // identificationModule
  std::string nctId, orgStudyId;
  RegistryOrganization organization;
  std::vector<RegistrySecondaryId> secondaryIds;
  std::string briefTitle, officialTitle, acronym;
  // statusModule
  std::string overallStatus, lastKnownStatus, whyStopped, statusVerifiedDate;
  std::string firstSubmitDate;  // when the study was registered (yyyy-MM-dd)
  RegistryDate startDate, primaryCompletionDate, completionDate;
  // sponsorCollaboratorsModule
  RegistryOrganization leadSponsor;
  std::vector<RegistryOrganization> collaborators;
  // oversightModule
  std::optional<bool> oversightHasDmc, isFdaRegulatedDrug, isFdaRegulatedDevice;
  // descriptionModule
  std::string briefSummary, detailedDescription;
  // conditionsModule
  std::vector<std::string> conditions, keywords;
  // designModule
  std::string studyType;
  std::vector<std::string> phases;
  std::string allocation, interventionModel, interventionModelDescription, primaryPurpose;
  std::string observationalModel, timePerspective;
  std::string masking, maskingDescription;
  std::vector<std::string> whoMasked;
  std::string bioSpecRetention, bioSpecDescription;  // observational: biospecimens kept
  std::optional<int64_t> enrollmentCount;
  std::string enrollmentType;
  // armsInterventionsModule
  std::vector<RegistryArmGroup> armGroups;
  std::vector<RegistryIntervention> interventions;
  // outcomesModule: primary, then secondary, then other
  std::vector<RegistryOutcome> outcomes;
  // eligibilityModule
  std::string eligibilityCriteria;
  std::optional<bool> healthyVolunteers;
  std::string sex, minimumAge, maximumAge;  // ages as ClinicalTrials.gov writes them: "18 Years"
  std::string studyPopulation, samplingMethod;
  // contactsLocationsModule
  std::vector<RegistryContact> centralContacts;
  std::vector<RegistryOfficial> overallOfficials;
  std::vector<RegistryLocation> locations;
  // referencesModule
  std::vector<RegistryReference> references;
  std::vector<RegistryLink> seeAlsoLinks;
  // ipdSharingStatementModule
  std::optional<RegistryIpdSharing> ipdSharing;
  // trialbridge's own: the dose-escalation rule (rule, description, target toxicity rate)
  std::string escalationRule, escalationDescription, escalationTargetRate;
  // whether the record has a results section
  std::optional<bool> hasResults;
  // what an import could not map, kept
  std::vector<RegistryUnmapped> unmapped;

  bool operator==(const RegistryRecord&) const = default;
};

}  // namespace trialbridge::mapping
