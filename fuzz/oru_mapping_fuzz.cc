// libFuzzer target: HL7 v2 ORU^R01 to FHIR (hl7v2::parseMessage, then mapping::V2Mapper::map, as
// `trialbridge map-v2` does for each message).
//
// Contract checked: no input crashes, hangs, leaks or trips a sanitizer; map() returns a Bundle
// exactly when it reported no error; the Bundle writes as JSON that reads back with no error and
// validates against R4 with no error (what map-v2 promises).
// Seed corpus: fuzz/corpus/oru_mapping/ (the hl7v2 seeds: samples/hl7v2/, the ELR samples and
// their broken variants, made by fuzz/make_seeds.py).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json.h"
#include "hl7v2/message.h"
#include "mapping/oru_mapping.h"
#include "mapping_fuzz.h"
#include "validation/validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trialbridge;
  static const conformance::Context& context = fuzz::mappingContext();
  static const mapping::V2Mapper mapper(context);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  hl7v2::Limits limits;
  limits.maxBytes = 1u << 20;
  core::Issues parseIssues;
  std::optional<hl7v2::Message> message = hl7v2::parseMessage(text, parseIssues, limits);
  if (!message || parseIssues.hasErrors()) return 0;
  core::Issues issues;
  std::unique_ptr<core::Document> bundle = mapper.map(*message, issues);
  fuzz::checkVerdict("oru_mapping_fuzz", bundle != nullptr, issues, text);
  if (!bundle) return 0;
  const std::string json = core::writeJson(*bundle->root());
  core::Issues back;
  if (!core::readJson(json, context, back) || back.hasErrors()) {
    fuzz::failFor("oru_mapping_fuzz", "the Bundle does not read back: " + json, text);
  }
  static const validation::Validator validator(context);
  core::Issues valid;
  validator.validate(*bundle->root(), valid);
  for (const core::Issue& i : valid.items()) {
    if (i.severity <= core::Severity::Error) {
      fuzz::failFor("oru_mapping_fuzz",
                    "the Bundle does not validate: " + i.location + ": " + i.message + "\n" + json,
                    text);
    }
  }
  return 0;
}
