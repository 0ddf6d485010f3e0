#pragma once
// Helpers for the FHIRPath tests: read a resource from JSON text, evaluate an expression and
// render the result in the suite's text form.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/context.h"
#include "core/json.h"
#include "fhirpath/fhirpath.h"

namespace trialbridge::fhirpath::testing {

inline std::unique_ptr<core::Document> readDoc(std::string_view json) {
  core::Issues issues;
  auto doc = core::readJson(json, conformance::Context::r4(), issues);
  EXPECT_NE(doc, nullptr) << (issues.empty() ? "" : issues.items()[0].message);
  return doc;
}

// "a, b, c" of the results' FHIRPath text; "ERROR: kind: message" on failure.
inline std::string eval(std::string_view expr, const core::Element* focus = nullptr,
                        const Environment& env = {}, const CompileOptions& options = {}) {
  CompileResult c = compile(expr, options);
  if (!c) return "ERROR: " + std::string(errorKindName(c.error().kind)) + ": " + c.error().message;
  Evaluation e;
  if (!e.run(*c.expression(), focus, env)) {
    return "ERROR: " + std::string(errorKindName(e.error().kind)) + ": " + e.error().message;
  }
  std::string out;
  for (const Value& v : e.results()) {
    if (!out.empty()) out += ", ";
    if (v.kind == Kind::Element && !v.element->isPrimitive()) {
      out += v.element->type().fhirType;
    } else {
      out += valueToString(v);
    }
  }
  return out;
}

inline std::string errorKind(std::string_view expr, const CompileOptions& options = {}) {
  CompileResult c = compile(expr, options);
  return c ? "" : std::string(errorKindName(c.error().kind));
}

}  // namespace trialbridge::fhirpath::testing
