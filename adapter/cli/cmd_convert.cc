#include "cli/cmd_convert.h"

#include <iostream>

#include "conformance/context.h"
#include "core/resource_io.h"

namespace trialbridge::cli {

namespace {

constexpr std::string_view kHelp =
    "Usage: trialbridge convert --to json|xml FILE\n\n"
    "Reads one FHIR resource (JSON or XML; FILE '-' reads stdin) and prints it in the other\n"
    "format (or re-formatted in the same one). Problems in the input are printed to stderr as\n"
    "file:line:col: severity: message [location]; the parts that break the FHIR rules are left "
    "out.\n\n"
    "Exit status: 0 converted, 1 the input had errors (nothing or a partial resource printed),\n"
    "2 usage or I/O error.\n\n"
    "Examples:\n"
    "  trialbridge convert --to xml samples/fhir/patient-example.json\n"
    "  cat observation.xml | trialbridge convert --to json -\n\n";

ArgParser options() {
  ArgParser p("convert");
  p.option("--to", "FORMAT", "output format: json or xml").choices({"json", "xml"});
  return p;
}

int run(std::span<const std::string> args) {
  ArgParser p = options();
  if (!p.parse(args)) return kExitUsage;
  if (p.helpRequested()) {
    std::cout << kHelp << p.optionsHelp();
    return kExitOk;
  }
  const auto to = p.value("--to");
  if (!to || (*to != "json" && *to != "xml")) {
    std::cerr << "trialbridge convert: --to json or --to xml is required\n";
    return kExitUsage;
  }
  if (p.positionals().size() != 1) {
    std::cerr << "trialbridge convert: exactly one FILE is required ('-' for stdin)\n";
    return kExitUsage;
  }
  const std::string& path = p.positionals()[0];
  std::string text, error;
  if (!readInput(path, text, error)) {
    std::cerr << "trialbridge convert: " << error << "\n";
    return kExitUsage;
  }
  core::Issues issues;
  auto doc = core::readResource(text, conformance::Context::r4(), issues);
  for (const core::Issue& i : issues.items()) std::cerr << issueLine(path, i) << "\n";
  if (doc == nullptr) return kExitDataError;
  std::cout << core::writeResource(*doc->root(),
                                   *to == "xml" ? core::Format::Xml : core::Format::Json)
            << "\n";
  return issues.hasErrors() ? kExitDataError : kExitOk;
}

}  // namespace

Command convertCommand() {
  return {"convert", "convert a FHIR resource between JSON and XML", run, kHelp, options};
}

}  // namespace trialbridge::cli
