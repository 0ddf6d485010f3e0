// trialbridge: one executable, many subcommands (see docs/cli.md).
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/help.h"
#include "cli/version.h"

int main(int argc, char** argv) {
  using namespace trialbridge::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << usageText();
    return kExitUsage;
  }
  if (args[0] == "--help" || args[0] == "-h") {
    std::cout << usageText();
    return kExitOk;
  }
  if (args[0] == "--version") {
    std::cout << versionText() << "\n";
    return kExitOk;
  }
  for (const auto& c : commands()) {
    if (c.name == args[0]) {
      try {
        return c.run(std::span<const std::string>(args).subspan(1));
      } catch (const std::exception& e) {
        std::cerr << "trialbridge " << c.name << ": internal error: " << e.what() << "\n";
        return kExitUsage;
      }
    }
  }
  std::cerr << "trialbridge: unknown command or option '" << args[0]
            << "' (see 'trialbridge --help')\n";
  return kExitUsage;
}
