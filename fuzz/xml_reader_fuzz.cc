// libFuzzer target: FHIR XML reading (core::readXml) and writing (core::writeXml).
//
// Contract checked: no input crashes, hangs, leaks or trips a sanitizer (no DTD or entity is
// ever processed); and writing is stable: what writeXml produced for a document reads back with
// no fatal issue and writes again to the same text (fuzz/round_trip.h). Seed corpus:
// fuzz/corpus/xml_reader/.
#include "core/xml.h"
#include "round_trip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return trialbridge::fuzz::checkRoundTrip(
      "xml_reader_fuzz", "XML", data, size,
      [](std::string_view text, const auto& context, auto& issues, const auto& options) {
        return trialbridge::core::readXml(text, context, issues, options);
      },
      [](const trialbridge::core::Element& root) { return trialbridge::core::writeXml(root); });
}
