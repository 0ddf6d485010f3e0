#pragma once
// ClinicalTrials.gov API v2 study JSON (../shared/references/clinicaltrials-gov/ctg-oas-v2.yaml,
// schema Study) <-> registry record. The names, enumerations and formats are the API's:
// "overallStatus": "RECRUITING", "phases": ["NA"], "minimumAge": "18 Years", dates yyyy,
// yyyy-MM or yyyy-MM-dd with ACTUAL / ESTIMATED.
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/issue.h"
#include "mapping/registry_record.h"

namespace trialbridge::mapping {

// A study record as the API returns it: {"protocolSection": {...}, "hasResults": ...}. Only the
// protocol section is written (results, annotations, documents and derived data are the
// registry's). Pretty-printed with two spaces.
std::string writeCtgovJson(const RegistryRecord& record);

struct CtgovReadResult {
  std::vector<RegistryRecord> records;
  // For each record, the JSON paths ($.protocolSection.statusModule.overallStatus, relative to
  // the study) of the values it took: what an export must give back.
  std::vector<std::set<std::string>> mapped;
};

// Reads one study ({"protocolSection": ...}) or a page of them ({"studies": [...]}). Never fails
// on a record valid against the API's schema: a value that is absent, of the wrong type, not one
// of its enumeration's codes, or has no place in the record (results, derived data, fields the
// record does not hold) is kept in the record's `unmapped` with its path and the reason, and
// reported in `issues` (information for what has no place, a warning for what breaks the
// schema), at its JSON path with line and column. Only text that is not JSON, not an object, or
// past the limits (16 MiB, nesting depth 64) gives an error and no record.
CtgovReadResult readCtgovJson(std::string_view text, core::Issues& issues);

}  // namespace trialbridge::mapping
