#include "cli/cmd_fhirpath.h"

#include <iostream>

#include "conformance/context.h"
#include "core/resource_io.h"
#include "fhirpath/fhirpath.h"

namespace trialbridge::cli {

namespace {

constexpr std::string_view kHelp =
    "Usage: trialbridge fhirpath [--input FILE] [--strict] EXPRESSION\n\n"
    "Evaluates a FHIRPath expression against the resource in FILE (JSON or XML; '-' reads\n"
    "stdin; without --input the context is empty) and prints the result collection as a JSON\n"
    "array of {\"type\": T, \"value\": V}: T is the System type (boolean, integer, decimal, "
    "string,\n"
    "date, dateTime, time, Quantity) or the FHIR type of an element (code, HumanName, "
    "Patient...),\n"
    "V its JSON value (a Quantity as {\"value\": ..., \"unit\": ...}, an element as its FHIR "
    "JSON).\n"
    "trace() output goes to stderr. An expression that starts with '-' goes after '--'.\n\n"
    "--strict checks the paths against the input's type before evaluating (an unknown element is\n"
    "then an error instead of an empty result).\n\n"
    "Exit status: 0 evaluated, 1 evaluation error (or an expression that cannot apply: semantic\n"
    "error; or an input that cannot be read as FHIR), 2 syntax error, usage or I/O error.\n\n"
    "Examples:\n"
    "  trialbridge fhirpath --input samples/fhir/patient-example.json \"name.given\"\n"
    "  trialbridge fhirpath \"today() + 7 days\"\n"
    "  trialbridge fhirpath --input obs.xml \"value.as(Quantity).toQuantity('g/L')\"\n\n";

ArgParser options() {
  ArgParser p("fhirpath");
  p.option("--input", "FILE", "the resource to evaluate against (JSON or XML; '-' for stdin)");
  p.flag("--strict", "check paths against the input's type (semantic errors)");
  return p;
}

int run(std::span<const std::string> args) {
  ArgParser p = options();
  if (!p.parse(args)) return kExitUsage;
  if (p.helpRequested()) {
    std::cout << kHelp << p.optionsHelp();
    return kExitOk;
  }
  if (p.positionals().size() != 1) {
    std::cerr << "trialbridge fhirpath: exactly one EXPRESSION is required (see --help)\n";
    return kExitUsage;
  }
  const std::string& expression = p.positionals()[0];
  const conformance::Context& ctx = conformance::Context::r4();

  std::unique_ptr<core::Document> doc;
  if (auto input = p.value("--input")) {
    std::string text, error;
    if (!readInput(*input, text, error)) {
      std::cerr << "trialbridge fhirpath: " << error << "\n";
      return kExitUsage;
    }
    core::Issues issues;
    doc = core::readResource(text, ctx, issues);
    for (const core::Issue& i : issues.items()) {
      if (i.severity != core::Severity::Fatal && i.severity != core::Severity::Error) continue;
      std::cerr << issueLine(*input, i) << "\n";
    }
    if (doc == nullptr || doc->root() == nullptr) {
      std::cerr << "trialbridge fhirpath: " << displayName(*input)
                << " could not be read as a FHIR resource\n";
      return kExitDataError;
    }
  }

  fhirpath::CompileOptions options;
  options.types = &ctx;
  if (p.has("--strict") && doc != nullptr) options.contextType = doc->root()->type().name;
  fhirpath::CompileResult compiled = fhirpath::compile(expression, options);
  if (!compiled) {
    const fhirpath::Error& e = compiled.error();
    std::cerr << "trialbridge fhirpath: " << e.toString() << "\n  " << expression << "\n  "
              << std::string(e.column > 0 ? e.column - 1 : 0, ' ') << "^\n";
    return e.kind == fhirpath::ErrorKind::Syntax ? kExitUsage : kExitDataError;
  }

  fhirpath::Environment env;
  env.context = &ctx;
  env.trace = [](std::string_view name, std::span<const fhirpath::Value> values) {
    std::cerr << "trace " << name << ": " << fhirpath::resultsToJson(values) << "\n";
  };
  fhirpath::Evaluation eval;
  const core::Element* focus = doc != nullptr ? doc->root() : nullptr;
  if (!eval.run(*compiled.expression(), focus, env)) {
    std::cerr << "trialbridge fhirpath: " << eval.error().toString() << "\n";
    return kExitDataError;
  }
  std::cout << fhirpath::resultsToJson(eval.results()) << "\n";
  return kExitOk;
}

}  // namespace

Command fhirpathCommand() {
  return {"fhirpath", "evaluate a FHIRPath expression against a resource", run, kHelp, options, ""};
}

}  // namespace trialbridge::cli
