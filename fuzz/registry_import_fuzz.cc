// libFuzzer target: importing ClinicalTrials.gov API v2 JSON (mapping::readCtgovJson) into FHIR
// (mapping::fhirFromRecord), as `trialbridge registry import` does, and every export of what was
// read (ClinicalTrials.gov JSON, PRS XML, the WHO data set).
//
// Contract checked: no input crashes, hangs, leaks or trips a sanitizer; an error means no
// record; each record survives FHIR unchanged (recordFromFhir(fhirFromRecord(r)) == r, the
// unmapped parts included); the JSON trialbridge writes for a record reads back as that record
// (without its unmapped parts, which are not written) with nothing unmapped.
// Seed corpus: fuzz/corpus/registry_import/ (fuzz/make_seeds.py: the ClinicalTrials.gov records
// of the tests, cut down, a page of studies, and broken variants).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json.h"
#include "mapping/registry_ctgov.h"
#include "mapping/registry_fhir.h"
#include "mapping/registry_prs.h"
#include "mapping/registry_who.h"
#include "mapping_fuzz.h"

namespace {

// Where two records differ, for the failure message: the first difference of their JSON, else
// of their unmapped parts or trialbridge's own fields.
std::string difference(const trialbridge::mapping::RegistryRecord& a,
                       const trialbridge::mapping::RegistryRecord& b) {
  const std::string ja = trialbridge::mapping::writeCtgovJson(a);
  const std::string jb = trialbridge::mapping::writeCtgovJson(b);
  if (ja != jb) {
    size_t i = 0;
    while (i < ja.size() && i < jb.size() && ja[i] == jb[i]) ++i;
    const size_t from = i > 120 ? i - 120 : 0;
    return "before: ..." + ja.substr(from, 240) + "\nafter: ..." + jb.substr(from, 240);
  }
  if (a.unmapped.size() != b.unmapped.size()) return "the number of unmapped parts";
  for (size_t i = 0; i < a.unmapped.size(); ++i) {
    if (!(a.unmapped[i] == b.unmapped[i])) return "unmapped " + a.unmapped[i].path;
  }
  return "trialbridge's own fields (cohorts, escalation)";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trialbridge;
  static const conformance::Context& context = fuzz::mappingContext();
  constexpr const char* kTarget = "registry_import_fuzz";
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  core::Issues issues;
  const mapping::CtgovReadResult read = mapping::readCtgovJson(text, issues);
  if (issues.hasErrors() && !read.records.empty())
    fuzz::failFor(kTarget, "records were read although an error was reported", text);
  for (const mapping::RegistryRecord& r : read.records) {
    auto bundle = mapping::fhirFromRecord(r, context);
    const std::string json = core::writeJson(*bundle->root());
    core::Issues fhirIssues;
    auto doc = core::readJson(json, context, fhirIssues);
    if (doc == nullptr || fhirIssues.hasErrors())
      fuzz::failFor(kTarget, "the Bundle does not read back: " + json.substr(0, 2000), text);
    auto back = mapping::recordFromFhir(*doc->root(), fhirIssues);
    if (!back) fuzz::failFor(kTarget, "no record from the Bundle", text);
    if (!(*back == r))
      fuzz::failFor(kTarget, "the record changed through FHIR: " + difference(r, *back), text);
    mapping::RegistryRecord plain = r;
    plain.unmapped.clear();
    core::Issues again;
    const mapping::CtgovReadResult reread =
        mapping::readCtgovJson(mapping::writeCtgovJson(r), again);
    if (reread.records.size() != 1)
      fuzz::failFor(kTarget, "the written JSON does not read back as one record", text);
    if (!(reread.records[0] == plain)) {
      fuzz::failFor(kTarget,
                    "the written JSON does not read back as the record: " +
                        difference(plain, reread.records[0]),
                    text);
    }
    core::Issues prs;
    (void)mapping::writePrsXml(r, mapping::PrsOptions{"FUZZ", {}}, prs);
    (void)mapping::writeWhoJson(r);
    (void)mapping::writeWhoXml(r);
  }
  return 0;
}
