#pragma once
// Internal to tb_study (its implementation uses RapidJSON's schema validator).
//
// Checks a JSON input against a JSON Schema (draft 4) with RapidJSON's schema validator, and
// reports every problem it finds, each with its JSON path, line and column and a reason a person
// can act on ("unknown property 'timepionts' (did you mean 'timepoints'?)").
//
// RapidJSON 1.1 stops at the first error. To report more than one, the checker validates an
// object's members (and an array's items) one by one against their own subschemas, and then the
// object itself against a copy of its schema whose member schemas accept anything (for
// required / additionalProperties / type). A oneOf with an "x-discriminator" keyword is checked
// against the branch its discriminator selects. A schema's "x-message" replaces the generic reason
// for value errors.
#include <memory>
#include <string_view>

#include "core/issue.h"
#include "core/json_input.h"

namespace trialbridge::study::detail {

class SchemaChecker {
 public:
  // The schema's JSON; a schema that is not valid JSON is a programming error (throws).
  explicit SchemaChecker(std::string_view schemaJson);
  ~SchemaChecker();
  SchemaChecker(const SchemaChecker&) = delete;
  SchemaChecker& operator=(const SchemaChecker&) = delete;

  // Adds an error issue for each problem; true when the input conforms. Thread-safe.
  bool check(const core::JsonInput& input, core::Issues& issues) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The embedded schemas of mappings/schemas/, built on first use.
const SchemaChecker& trialDefinitionSchema();
const SchemaChecker& subjectSchema();
const SchemaChecker& adverseEventSchema();

}  // namespace trialbridge::study::detail
