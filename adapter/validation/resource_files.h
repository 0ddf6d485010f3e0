#pragma once
// Loading single conformance resources (StructureDefinition, ValueSet, CodeSystem...) written in
// JSON or XML, or a Bundle of them, into a Context, for `validate --load` and the test runners.
// Files are read by conformance::openResourceFile (XML is kept as JSON, the form the conformance
// layer reads); the entries of a Bundle become resources of their own.
#include <string>
#include <string_view>
#include <vector>

#include "conformance/context.h"
#include "core/result.h"

namespace trialbridge::validation {

// Loads one resource file (.json or .xml; a Bundle's entries one by one) into `context`.
core::Status loadResourceFile(conformance::Context& context, const std::string& path);

// Loads resources given as text (JSON or XML) as one package named `name`.
core::Status loadResourceTexts(conformance::Context& context, const std::string& name,
                               const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace trialbridge::validation
