#pragma once
// FHIR resources <-> a registry record (registry_record.h), the step every registry format goes
// through: export reads a ResearchStudy and the resources it refers to into a record, import
// writes a record as a transaction Bundle of FHIR resources. The elements and extensions each
// field becomes are tabled in docs/registries.md; what one direction writes the other reads, so
// that a record survives FHIR unchanged (the round-trip tests check it). Pure functions: the
// publisher (service layer) calls recordFromFhir() on what the store holds.
#include <memory>
#include <optional>
#include <string>

#include "core/element.h"
#include "core/issue.h"
#include "mapping/registry_record.h"

namespace trialbridge::mapping {

// The record of a study: `root` is a ResearchStudy, or a Bundle holding one (the first; a
// second is reported), whose entries hold the resources it refers to (Organization, Location,
// Group, PractitionerRole; every PractitionerRole of the Bundle is taken as one of the study's
// contacts). References that do not resolve inside the Bundle keep their display. Problems are
// added to `issues` at their FHIR path; nullopt only when there is no ResearchStudy.
std::optional<RegistryRecord> recordFromFhir(const core::Element& root, core::Issues& issues);

struct RegistryImportOptions {
  // The base of the entries' fullUrl, as in mapTrial().
  std::string fullUrlBase = "http://trialbridge.local/fhir";
};

// A transaction Bundle (PUT {type}/{id}) with the record's resources: ResearchStudy {id}, its
// Group {id}-eligibility, Organizations {id}-org-*, Locations {id}-site-{n}, PractitionerRoles
// {id}-official-{n} and {id}-site-{n}-contact-{k}. {id} is the NCT number in lower case, else
// the organization's study id made an id. The resources claim no profile (an imported record
// need not meet the trialbridge profiles, e.g. an observational study has no phase); they are
// valid R4.
std::unique_ptr<core::Document> fhirFromRecord(const RegistryRecord& record,
                                               const core::TypeResolver& types,
                                               const RegistryImportOptions& options = {});

// The id fhirFromRecord() gives the record's ResearchStudy.
std::string registryStudyId(const RegistryRecord& record);

}  // namespace trialbridge::mapping
