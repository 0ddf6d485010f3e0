#pragma once
// The project's FHIR package (fhir-profiles/trialbridge: the profiles, extensions, CodeSystems and
// ValueSets of what trialbridge emits), embedded in the binary, as a conformance::Package:
//   context->addPackage(conformance::profilesPackage());
// makes a Context know them without any file beside the binary. The canonical URLs of what it
// defines are the constants of conformance/profiles.h.
#include <memory>

#include "conformance/package.h"

namespace trialbridge::conformance {

std::unique_ptr<Package> profilesPackage();

}  // namespace trialbridge::conformance
