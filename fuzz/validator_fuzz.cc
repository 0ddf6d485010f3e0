// libFuzzer target: the validator over JSON and XML input (core::readResource sniffs the
// format, validation::Validator checks what was read against R4 and any meta.profile).
//
// Contract checked: no input crashes, hangs, leaks or trips a sanitizer, and memory stays
// bounded (the reader's limits hold, the validator's caches grow only with the definitions met).
// Validating the same input twice gives the same issues (the caches do not change the verdict).
// Seed corpus: fuzz/corpus/validator/ (JSON and XML resources, good and broken).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "conformance/context.h"
#include "validation/validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const trialbridge::validation::Validator validator(
      trialbridge::conformance::Context::r4());
  if (size > (1u << 20)) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  trialbridge::core::Issues first;
  validator.validateText(text, first);
  trialbridge::core::Issues second;
  validator.validateText(text, second);
  if (first.size() != second.size()) {
    std::fprintf(stderr, "validator_fuzz: %zu issues, then %zu for the same input\n", first.size(),
                 second.size());
    std::abort();
  }
  return 0;
}
