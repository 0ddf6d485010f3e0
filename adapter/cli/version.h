#pragma once
// What `trialbridge --version` says: the release number (CMake's project version) and the commit
// the binary was built from (the git commit, "-dirty" when tracked files had changed, or what the
// build was given as TB_GIT_COMMIT, as container builds without .git do; "unknown" otherwise).
// The commit is written at build time by cmake/GitVersion.cmake.
#include <string>
#include <string_view>

namespace trialbridge::cli {

std::string_view versionNumber();
std::string_view versionCommit();
// "trialbridge 0.1.0 (commit 4b6692f1a2b3, FHIR R4 4.0.1)"
std::string versionText();

}  // namespace trialbridge::cli
