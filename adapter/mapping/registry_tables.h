#pragma once
// The tables of mappings/registries.json and mappings/countries.json (embedded): ClinicalTrials.gov
// API v2 codes with their FHIR R4 codes, PRS display strings and WHO data set wording; country
// codes and names. The registry formats (registry_*.h) and the trial mapper read their codes
// here, so that one table serves every direction. Built on first use; thread-safe.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace trialbridge::mapping {

class RegistryTables {
 public:
  static const RegistryTables& get();

  struct Status {
    std::string fhir;      // research-study-status; "" for UNKNOWN (from the last known status)
    std::string location;  // Location.status of a site with this recruitment status
    std::string prs;  // PRS overall_status / expanded_access_status display; "" when PRS has none
    std::string who;  // WHO TRDS recruitment status
    bool expandedAccess = false;
  };
  // A ClinicalTrials.gov overall status (RECRUITING...), or nullptr.
  const Status* status(std::string_view ctgov) const;
  // The research-study-status for a ClinicalTrials.gov status. UNKNOWN takes the last known
  // status's, except that it is never `active`: then, and when there is no last known status,
  // the table's unknownStatusWithoutLastKnown (closed-to-accrual; see docs/registries.md).
  std::string fhirStatus(std::string_view ctgov, std::string_view lastKnown = {}) const;
  // The ClinicalTrials.gov status for a research-study-status (when no extension says better).
  std::string statusFromFhir(std::string_view fhir) const;

  // Whether `code` is a value of the ClinicalTrials.gov enumeration `name` (StudyType, Phase...).
  bool isCode(std::string_view name, std::string_view code) const;
  // A field of an enumeration value: "prs" (PRS display), "who", "label" (ClinicalTrials.gov's
  // display, e.g. InterventionType DRUG -> Drug); "" when the table has none.
  std::string field(std::string_view name, std::string_view code, std::string_view key) const;
  std::string prs(std::string_view name, std::string_view code) const {
    return field(name, code, "prs");
  }
  // The code whose `key` field is `value` (e.g. the InterventionType whose label is "Drug").
  std::string codeOf(std::string_view name, std::string_view key, std::string_view value) const;

  // ClinicalTrials.gov SecondaryIdType for an identifier of a trial-definition registry (eudract
  // -> EUDRACT_NUMBER, other -> OTHER, other registries -> REGISTRY).
  std::string secondaryIdType(std::string_view registry) const;

  // Age units: UCUM (a, mo, wk, d, h, min) <-> ClinicalTrials.gov's plural word (Years...).
  std::string ageUnitWord(std::string_view ucum) const;
  // The UCUM unit of "Years"/"Year" and the like; "" when unknown.
  std::string ageUnitCode(std::string_view word) const;

  // Country: the name for an ISO 3166-1 alpha-2 code ("" when unknown), and the code for a name
  // or alias, compared without regard to ASCII case ("" when unknown).
  std::string countryName(std::string_view code) const;
  std::string countryCode(std::string_view name) const;

 private:
  RegistryTables();
  using Fields = std::map<std::string, std::string, std::less<>>;
  std::map<std::string, Status, std::less<>> status_;
  std::string unknownFallback_;
  std::map<std::string, std::string, std::less<>> statusFromFhir_, secondaryIdTypes_;
  std::map<std::string, std::map<std::string, Fields, std::less<>>, std::less<>> enums_;
  std::map<std::string, std::vector<std::string>, std::less<>> ageUnits_;
  std::map<std::string, std::string, std::less<>> countryNames_, countryCodes_;
};

}  // namespace trialbridge::mapping
