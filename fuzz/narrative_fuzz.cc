// libFuzzer target: the narrative XHTML rules (conformance/narrative.h), which read the text of
// Narrative.div as the readers give it and any string FHIRPath's htmlChecks() is called on.
//
// Contract checked: no text crashes, hangs or reads past its end; checkNarrativeXhtml() returns
// true exactly when it reports no problem, and each problem is a non-empty sentence. Seed corpus:
// fuzz/corpus/narrative/ (narratives with allowed and refused markup).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/narrative.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> problems;
  const bool ok = trialbridge::conformance::checkNarrativeXhtml(text, problems);
  if (ok != problems.empty()) std::abort();
  for (const std::string& p : problems) {
    if (p.empty()) std::abort();
  }
  (void)trialbridge::conformance::xhtmlHasContent(text);
  return 0;
}
