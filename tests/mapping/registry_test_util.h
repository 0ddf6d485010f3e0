#pragma once
// Helpers for the registry tests: registry records of the sample trials and of the
// ClinicalTrials.gov records under tests/.
#include <string>
#include <vector>

#include "mapping/registry_ctgov.h"
#include "mapping/registry_fhir.h"
#include "test_util.h"

namespace trialbridge::mapping::test {

// The record of a sample trial, mapped to FHIR and read back.
inline RegistryRecord trialRecord(const std::string& file) {
  auto doc = mapTrial(sampleTrial(file), {}, MapOptions{}, context());
  if (!doc) throw std::runtime_error(doc.message());
  core::Issues issues;
  auto r = recordFromFhir(*doc.value()->root(), issues);
  if (!r) throw std::runtime_error("no record from " + file + "\n" + describe(issues));
  return *r;
}

// The record of a ClinicalTrials.gov JSON file.
inline RegistryRecord ctgovRecord(const std::string& file) {
  core::Issues issues;
  CtgovReadResult read = readCtgovJson(readSource(file), issues);
  if (read.records.size() != 1) throw std::runtime_error("not one record: " + file);
  return read.records[0];
}

// Every sample record: the trials (mapped) and the ClinicalTrials.gov files.
inline std::vector<std::pair<std::string, RegistryRecord>> sampleRecords() {
  std::vector<std::pair<std::string, RegistryRecord>> out;
  for (const char* t :
       {"samples/trials/NCT06813157.json", "samples/trials/tbx101-fih-01.json",
        "samples/trials/tbx202-boin-01.json", "tests/mapping/data/trial-observational-unknown.json",
        "tests/mapping/data/trial-randomized-masked.json"}) {
    out.emplace_back(t, trialRecord(t));
  }
  for (const char* c :
       {"tests/data/clinicaltrials-gov/NCT02513394.json",
        "tests/mapping/data/ctgov-observational.json",
        "tests/mapping/data/ctgov-expanded-access.json", "tests/mapping/data/ctgov-withdrawn.json",
        "tests/mapping/data/ctgov-unknown-freetext.json"}) {
    out.emplace_back(c, ctgovRecord(c));
  }
  return out;
}

}  // namespace trialbridge::mapping::test
