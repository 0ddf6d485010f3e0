#pragma once
// trialbridge's own documentation, generated from the commands' help texts and option tables
// (cli/command.h), so that it cannot drift from what the commands parse:
//   trialbridge --help                      usageText()
//   trialbridge help --man                  manPage(): docs/trialbridge.1 (installed by packaging)
//   trialbridge help --completion bash      bashCompletion(): deploy/completion/trialbridge.bash
// A ctest (cli.generated_docs) fails when the checked-in files are not what the binary prints;
// tools/gen_cli_docs.sh writes them again.
#include <string>

#include "cli/command.h"

namespace trialbridge::cli {

std::string usageText();
std::string manPage();
std::string bashCompletion();

// `trialbridge help [COMMAND | --man | --completion bash]`.
Command helpCommand();

}  // namespace trialbridge::cli
