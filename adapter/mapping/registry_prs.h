#pragma once
// Registry record -> a ClinicalTrials.gov PRS protocol record upload (study_collection XML, valid
// against ProtocolRecordSchema.xsd 2018.05.08): display strings rather than the API's codes
// ("Recruiting", "Phase 1/Phase 2", "Anticipated"), names split into first name, last name and
// degrees. PRS replaces a whole record with what a full upload sends; sending only some sections
// is a partial upload (partial_upload="true"), which replaces those and keeps the rest.
#include <set>
#include <string>
#include <vector>

#include "core/issue.h"
#include "mapping/registry_record.h"

namespace trialbridge::mapping {

struct PrsOptions {
  // id_info/org_name: the organization's PRS login name. Empty: the record's organization name,
  // with a warning (PRS knows organizations by their login name).
  std::string orgName;
  // The sections to send, by their PRS element names (brief_title, overall_status, location...:
  // prsSections() lists them). Empty: all of them, a full upload.
  std::set<std::string> sections;
};

// The element names a partial upload may send, as ProtocolRecordSchema.xsd lists them.
const std::vector<std::string>& prsSections();

// The upload. Problems (an unknown section; a status or field PRS cannot take; a required value
// the record lacks, sent empty) are added to `issues` as warnings, or as an error for an unknown
// section (nothing is written then: "" is returned).
std::string writePrsXml(const RegistryRecord& record, const PrsOptions& options,
                        core::Issues& issues);

}  // namespace trialbridge::mapping
