// libFuzzer target: FHIR JSON reading (core::readJson) and writing (core::writeJson).
//
// Contract checked: no input crashes, hangs, leaks or trips a sanitizer; and writing is stable:
// what writeJson produced for a document reads back with no fatal issue and writes again to the
// same text (fuzz/round_trip.h). Seed corpus: fuzz/corpus/json_reader/.
#include "core/json.h"
#include "round_trip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return trialbridge::fuzz::checkRoundTrip(
      "json_reader_fuzz", "JSON", data, size,
      [](std::string_view text, const auto& context, auto& issues, const auto& options) {
        return trialbridge::core::readJson(text, context, issues, options);
      },
      [](const trialbridge::core::Element& root) { return trialbridge::core::writeJson(root); });
}
