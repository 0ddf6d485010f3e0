// libFuzzer target: FHIR XML reading (core::readXml) and writing (core::writeXml).
//
// Contract checked: no input crashes, hangs, leaks or trips a sanitizer (no DTD or entity is
// ever processed); and writing is stable: what writeXml produced for a document reads back with
// no fatal issue and writes again to the same text. Seed corpus: fuzz/corpus/xml_reader/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "conformance/context.h"
#include "core/xml.h"

namespace {

using trialbridge::core::Issues;
using trialbridge::core::ReadOptions;

// Smaller limits than the defaults keep each run fast; the limits themselves are exercised.
ReadOptions fuzzOptions() {
  ReadOptions options;
  options.maxBytes = 1u << 20;
  options.maxDepth = 64;
  return options;
}

[[noreturn]] void fail(const char* what, std::string_view first, std::string_view second) {
  std::fprintf(stderr, "xml_reader_fuzz: %s\n--- first:\n%.*s\n--- second:\n%.*s\n", what,
               static_cast<int>(first.size()), first.data(), static_cast<int>(second.size()),
               second.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const trialbridge::conformance::Context& context = trialbridge::conformance::Context::r4();
  static const ReadOptions options = fuzzOptions();

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Issues issues;
  auto document = trialbridge::core::readXml(text, context, issues, options);
  if (!document || document->root() == nullptr) return 0;

  const std::string written = trialbridge::core::writeXml(*document->root());
  Issues again;
  auto reread = trialbridge::core::readXml(written, context, again, options);
  if (!reread || reread->root() == nullptr) fail("written XML does not read back", text, written);
  const std::string rewritten = trialbridge::core::writeXml(*reread->root());
  if (rewritten != written) fail("writeXml is not stable across a read", written, rewritten);
  return 0;
}
