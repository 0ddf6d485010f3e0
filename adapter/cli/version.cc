#include "cli/version.h"

namespace trialbridge::cli {

std::string versionText() {
  return "trialbridge " + std::string(versionNumber()) + " (commit " +
         std::string(versionCommit()) + ", FHIR R4 4.0.1)";
}

}  // namespace trialbridge::cli
