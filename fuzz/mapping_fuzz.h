#pragma once
// What the mapping-layer fuzz targets (trial_reader_fuzz, entity_reader_fuzz) share: the context
// `trialbridge map` maps with (R4 core plus the embedded trialbridge package), files of the
// source tree (TB_SOURCE_ROOT, set by fuzz/CMakeLists.txt), and the readers' contract that a
// value comes back exactly when the issues have no error.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "conformance/context.h"
#include "conformance/profiles_package.h"
#include "core/issue.h"

namespace trialbridge::fuzz {

inline const conformance::Context& mappingContext() {
  static const std::unique_ptr<conformance::Context> context = [] {
    auto c = conformance::Context::withCore();
    c->addPackage(conformance::profilesPackage());
    return c;
  }();
  return *context;
}

// A file of the source tree; aborts when it cannot be read (the fuzz target is misbuilt).
inline std::string sourceFile(const std::string& relative) {
  const std::string path = std::string(TB_SOURCE_ROOT) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "fuzz: cannot read %s\n", path.c_str());
    std::abort();
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

[[noreturn]] inline void failFor(const char* target, const std::string& what,
                                 std::string_view input) {
  std::fprintf(stderr, "%s: %s\n--- input:\n%.*s\n", target, what.c_str(),
               static_cast<int>(input.size()), input.data());
  std::abort();
}

// A reader returns a value exactly when it reported no error.
inline void checkVerdict(const char* target, bool read, const core::Issues& issues,
                         std::string_view input) {
  if (read == issues.hasErrors()) {
    failFor(target,
            read ? "a value was read although an error was reported"
                 : "nothing was read and no error was reported",
            input);
  }
}

}  // namespace trialbridge::fuzz
