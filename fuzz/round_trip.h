#pragma once
// The body the FHIR reader fuzz targets share (json_reader_fuzz, xml_reader_fuzz): read the
// input, and when a document comes out, check that writing is stable: what the writer produced
// reads back with no fatal issue and writes again to the same text. Any failure aborts with
// both texts on stderr, which libFuzzer reports as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "conformance/context.h"
#include "core/element.h"
#include "core/issue.h"
#include "core/json.h"

namespace trialbridge::fuzz {

// Smaller limits than the defaults keep each run fast; the limits themselves are exercised.
inline core::ReadOptions fuzzReadOptions() {
  core::ReadOptions options;
  options.maxBytes = 1u << 20;
  options.maxDepth = 64;
  return options;
}

[[noreturn]] inline void failWith(const char* target, const char* what, std::string_view first,
                                  std::string_view second) {
  std::fprintf(stderr, "%s: %s\n--- first:\n%.*s\n--- second:\n%.*s\n", target, what,
               static_cast<int>(first.size()), first.data(), static_cast<int>(second.size()),
               second.data());
  std::abort();
}

// `read(text, context, issues, options)` returns a std::unique_ptr<core::Document>;
// `write(element)` returns the text. `format` names the format in messages ("JSON", "XML").
template <typename Read, typename Write>
int checkRoundTrip(const char* target, const char* format, const uint8_t* data, size_t size,
                   Read read, Write write) {
  static const conformance::Context& context = conformance::Context::r4();
  static const core::ReadOptions options = fuzzReadOptions();

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  core::Issues issues;
  auto document = read(text, context, issues, options);
  if (!document || document->root() == nullptr) return 0;

  const std::string written = write(*document->root());
  core::Issues again;
  auto reread = read(written, context, again, options);
  if (!reread || reread->root() == nullptr) {
    failWith(target, (std::string("written ") + format + " does not read back").c_str(), text,
             written);
  }
  const std::string rewritten = write(*reread->root());
  if (rewritten != written) {
    failWith(target, "the writer is not stable across a read", written, rewritten);
  }
  return 0;
}

}  // namespace trialbridge::fuzz
