// trialbridge: one executable, many subcommands (see docs/cli.md).
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"

namespace {

void printUsage(std::ostream& out) {
  out << "trialbridge: HL7 FHIR R4 adapter for clinical trials\n\n"
         "Usage: trialbridge COMMAND [OPTIONS] [ARGS]\n\nCommands:\n";
  for (const auto& c : trialbridge::cli::commands()) {
    std::string name = "  " + c.name;
    name.resize(std::max<size_t>(name.size() + 2, 14), ' ');
    out << name << c.summary << "\n";
  }
  out << "\nExamples:\n"
         "  trialbridge validate samples/fhir/\n"
         "  trialbridge convert --to xml samples/fhir/patient-example.json\n\n"
         "Run 'trialbridge COMMAND --help' for a command's options.\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    printUsage(std::cerr);
    return trialbridge::cli::kExitUsage;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    printUsage(std::cout);
    return trialbridge::cli::kExitOk;
  }
  if (args[0] == "--version") {
    std::cout << "trialbridge 0.1.0 (FHIR R4 4.0.1)\n";
    return trialbridge::cli::kExitOk;
  }
  for (const auto& c : trialbridge::cli::commands()) {
    if (c.name == args[0]) {
      try {
        return c.run(std::span<const std::string>(args).subspan(1));
      } catch (const std::exception& e) {
        std::cerr << "trialbridge " << c.name << ": internal error: " << e.what() << "\n";
        return trialbridge::cli::kExitUsage;
      }
    }
  }
  std::cerr << "trialbridge: unknown command or option '" << args[0]
            << "' (see 'trialbridge --help')\n";
  return trialbridge::cli::kExitUsage;
}
