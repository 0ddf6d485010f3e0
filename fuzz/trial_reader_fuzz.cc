// libFuzzer target: reading trial definitions (study::readTrial: JSON, the trial-definition
// schema, the cross-reference checks) and mapping what reads to FHIR (mapping::mapTrial, as
// `trialbridge map --trial` does with no entities).
//
// Contract checked: no input crashes, hangs, leaks or trips a sanitizer; readTrial returns a
// trial exactly when it reported no error; a trial that reads maps to a Bundle (mapTrial fails
// only for subjects without a secret, and there are none here) that writes as JSON.
// Seed corpus: fuzz/corpus/trial_reader/ (the samples/trials/ files and broken variants).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json.h"
#include "mapping/trial_mapping.h"
#include "mapping_fuzz.h"
#include "study/trial_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trialbridge;
  static const conformance::Context& context = fuzz::mappingContext();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  core::Issues issues;
  const std::optional<study::Trial> trial = study::readTrial(text, issues);
  fuzz::checkVerdict("trial_reader_fuzz", trial.has_value(), issues, text);
  if (!trial) return 0;
  auto bundle = mapping::mapTrial(*trial, {}, mapping::MapOptions{}, context);
  if (!bundle) fuzz::failFor("trial_reader_fuzz", "mapTrial failed: " + bundle.message(), text);
  const std::string json = core::writeJson(*bundle.value()->root());
  if (json.empty()) fuzz::failFor("trial_reader_fuzz", "the Bundle wrote as nothing", text);
  return 0;
}
