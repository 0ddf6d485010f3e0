// libFuzzer target: the FHIRPath engine (fhirpath::compile and Evaluation::run).
//
// Contract checked: no expression crashes, hangs, leaks or trips a sanitizer, whether it is
// compiled without a context type or with Patient's (static checks), and evaluated against a
// Patient with contained resources, extensions and several names; a compile error always has a
// position inside the text. Seed corpus: fuzz/corpus/fhirpath/ (expressions of the official
// suite and of the R4 invariants).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "conformance/context.h"
#include "core/json.h"
#include "fhirpath/fhirpath.h"

namespace {

namespace fhirpath = trialbridge::fhirpath;

constexpr std::string_view kPatient = R"({"resourceType": "Patient", "id": "p",
  "contained": [{"resourceType": "Organization", "id": "o", "name": "Acme"}],
  "extension": [{"url": "http://example.org/x", "valueQuantity": {"value": 1.5, "code": "mg",
                  "system": "http://unitsofmeasure.org"}}],
  "active": true,
  "name": [{"use": "official", "family": "F", "given": ["A", "B"]}, {"given": ["C"]}],
  "gender": "female", "birthDate": "1974-12-25",
  "_birthDate": {"extension": [{"url": "http://example.org/t", "valueTime": "10:30:00"}]},
  "managingOrganization": {"reference": "#o"}})";

const trialbridge::core::Element* patient() {
  static std::unique_ptr<trialbridge::core::Document> doc = [] {
    trialbridge::core::Issues issues;
    return trialbridge::core::readJson(kPatient, trialbridge::conformance::Context::r4(), issues);
  }();
  return doc->root();
}

void check(std::string_view text, const fhirpath::CompileOptions& options) {
  fhirpath::CompileResult c = fhirpath::compile(text, options);
  if (!c) {
    if (c.error().offset > text.size()) {
      std::fprintf(stderr, "fhirpath_fuzz: error offset %u past the end (%zu)\n", c.error().offset,
                   text.size());
      std::abort();
    }
    return;
  }
  static fhirpath::Evaluation eval;
  fhirpath::Environment env;
  env.enforceAsSingleton = false;
  eval.run(*c.expression(), patient(), env);
  eval.run(*c.expression(), static_cast<const trialbridge::core::Element*>(nullptr));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check(text, fhirpath::CompileOptions{});
  fhirpath::CompileOptions typed;
  typed.contextType = "Patient";
  check(text, typed);
  return 0;
}
