#pragma once
// The project's FHIR package (fhir-profiles/trialbridge: the profiles, extensions, CodeSystems and
// ValueSets of what trialbridge emits), embedded in the binary, as a conformance::Package:
//   context->addPackage(mapping::profilesPackage());
// makes a Context know them without any file beside the binary.
#include <memory>

#include "conformance/package.h"

namespace trialbridge::mapping {

std::unique_ptr<conformance::Package> profilesPackage();

}  // namespace trialbridge::mapping
