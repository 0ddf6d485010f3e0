#include "cli/cmd_validate.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/progress.h"
#include "cli/terminal.h"
#include "cli/validate_options.h"
#include "conformance/context.h"
#include "conformance/profiles_package.h"
#include "core/resource_io.h"
#include "core/text.h"
#include "validation/resource_files.h"
#include "validation/validator.h"

namespace trialbridge::cli {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kHelp =
    "Usage: trialbridge validate [--profile URL]... [--package PATH]... [--load FILE]...\n"
    "                            [--format text|json] PATH...\n\n"
    "Checks FHIR R4 resources. PATH is a JSON or XML file, an NDJSON file (one resource a line),\n"
    "a folder (searched recursively for .json, .xml and .ndjson files), or '-' for stdin.\n\n"
    "Output: --format text (the default on a terminal) prints one line per issue,\n"
    "  file:line:col: severity: message [location]\n"
    "and a summary; --format json (the default otherwise) prints an OperationOutcome for one\n"
    "input, or a Bundle of OperationOutcomes (each naming its file) for several.\n"
    "On a terminal the severities are coloured (never with NO_COLOR set), and a run that takes\n"
    "more than half a second shows a progress bar with its rate and ETA on standard error\n"
    "(never in a pipe, a file or a CI log).\n\n"
    "Exit status: 0 no input has an error, 1 some input has an error or fatal issue,\n"
    "2 usage or I/O error.\n\n"
    "Examples:\n"
    "  trialbridge validate samples/fhir/\n"
    "  trialbridge validate --format json patient.json\n"
    "  trialbridge validate --package hl7.fhir.us.core-3.1.0.tgz \\\n"
    "      --profile http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient "
    "patient.xml\n\n";

struct Input {
  std::string path;  // "-" for stdin
  bool ndjson = false;
};

struct Outcome {
  core::Issues issues;
  bool ioError = false;
};

bool wantedExtension(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".json" || ext == ".xml" || ext == ".ndjson";
}

// Expands folders; reports paths that do not exist.
bool collectInputs(const std::vector<std::string>& paths, std::vector<Input>& out) {
  bool ok = true;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (path == "-") {
      out.push_back({path, false});
    } else if (fs::is_directory(path, ec)) {
      std::vector<std::string> files;
      for (auto it = fs::recursive_directory_iterator(path, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file() && wantedExtension(it->path()))
          files.push_back(it->path().string());
      }
      if (ec) {
        std::cerr << "trialbridge validate: " << path << ": " << ec.message() << "\n";
        ok = false;
      }
      std::sort(files.begin(), files.end());
      for (auto& f : files) out.push_back({f, fs::path(f).extension() == ".ndjson"});
    } else if (fs::exists(path, ec)) {
      out.push_back({path, fs::path(path).extension() == ".ndjson"});
    } else {
      std::cerr << "trialbridge validate: " << path << ": no such file or folder\n";
      ok = false;
    }
  }
  return ok;
}

struct Checker {
  const validation::Validator& validator;
  std::span<const std::string> profiles;
};

void checkText(std::string_view text, const Checker& checker, core::Issues& issues) {
  checker.validator.validateText(text, issues, checker.profiles);
}

void checkNdjson(std::string_view text, const Checker& context, core::Issues& issues) {
  core::forEachLine(text, [&](std::string_view line, uint32_t lineNo) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;
    core::Issues lineIssues;
    checkText(line, context, lineIssues);
    for (core::Issue& i : lineIssues.items()) {
      i.line = lineNo;  // the NDJSON line; the column is within that line
      issues.add(std::move(i));
    }
  });
}

// Standard input has no file name to tell NDJSON by: it is NDJSON when its first line is one
// whole JSON object and more lines follow (pretty-printed JSON never closes its root on line 1).
bool looksLikeNdjson(std::string_view text) {
  const size_t eol = text.find('\n');
  if (eol == std::string_view::npos) return false;
  std::string_view first = text.substr(0, eol);
  while (!first.empty() && (first.back() == '\r' || first.back() == ' ' || first.back() == '\t')) {
    first.remove_suffix(1);
  }
  const size_t start = first.find_first_not_of(" \t\xEF\xBB\xBF");
  return start != std::string_view::npos && first[start] == '{' && first.back() == '}' &&
         text.find_first_not_of(" \t\r\n", eol) != std::string_view::npos;
}

Outcome check(const Input& input, const Checker& context) {
  Outcome out;
  std::string text, error;
  if (!readInput(input.path, text, error)) {
    out.ioError = true;
    out.issues.add(core::Severity::Fatal, core::IssueType::Exception, error);
    return out;
  }
  if (input.ndjson || (input.path == "-" && looksLikeNdjson(text))) {
    checkNdjson(text, context, out.issues);
  } else {
    checkText(text, context, out.issues);
  }
  return out;
}

Style styleOf(core::Severity s) {
  switch (s) {
    case core::Severity::Fatal:
    case core::Severity::Error: return Style::Error;
    case core::Severity::Warning: return Style::Warning;
    case core::Severity::Information: return Style::Information;
  }
  return Style::Information;
}

void printText(const std::vector<Input>& inputs, const std::vector<Outcome>& outcomes,
               const Painter& paint) {
  size_t errors = 0, warnings = 0, infos = 0, bad = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const core::Issues& issues = outcomes[k].issues;
    for (const core::Issue& i : issues.items()) {
      std::string line = issueLine(inputs[k].path, i);
      if (paint.on()) {
        // file:line:col: severity: ... -> the severity word coloured.
        const std::string word = std::string(core::severityCode(i.severity)) + ":";
        const size_t at = line.find(": " + word);
        if (at != std::string::npos) {
          line = line.substr(0, at + 2) + paint(styleOf(i.severity), word) +
                 line.substr(at + 2 + word.size());
        }
      }
      std::cout << line << "\n";
    }
    errors += issues.count(core::Severity::Error) + issues.count(core::Severity::Fatal);
    warnings += issues.count(core::Severity::Warning);
    infos += issues.count(core::Severity::Information);
    bad += issues.hasErrors() ? 1 : 0;
  }
  const std::string valid = std::to_string(inputs.size() - bad) + " valid";
  const std::string withErrors = std::to_string(bad) + " with errors";
  std::cout << inputs.size() << (inputs.size() == 1 ? " file" : " files")
            << " checked: " << paint(Style::Ok, valid) << ", "
            << (bad > 0 ? paint(Style::Error, withErrors) : withErrors) << " (" << errors
            << " errors, " << warnings << " warnings, " << infos << " information)\n";
}

void printJson(const std::vector<Input>& inputs, const std::vector<Outcome>& outcomes,
               const conformance::Context& context) {
  core::Document doc(context);
  if (inputs.size() == 1) {
    core::buildOperationOutcome(doc, outcomes[0].issues, displayName(inputs[0].path));
  } else {
    core::Element* bundle = doc.createResource("Bundle");
    doc.addPrimitive(bundle, "type", "collection");
    for (size_t k = 0; k < inputs.size(); ++k) {
      core::Element* entry = doc.add(bundle, "entry");
      core::Element* oo = doc.addResource(entry, "resource", "OperationOutcome");
      core::fillOperationOutcome(doc, oo, outcomes[k].issues, displayName(inputs[k].path));
    }
  }
  std::cout << core::writeJson(*doc.root(), core::WriteOptions{true}) << "\n";
}

ArgParser options() {
  ArgParser p("validate");
  p.option("--profile", "URL", "also validate against this profile (canonical URL)", true)
      .option("--package", "PATH", "load a FHIR package (.tgz or folder)", true)
      .option("--load", "FILE", "load one conformance resource (StructureDefinition, ValueSet...)",
              true)
      .option("--format", "FORMAT", "text or json")
      .choices({"text", "json"});
  addValidatorOptions(p);
  return p;
}

int run(std::span<const std::string> args) {
  ArgParser p = options();
  if (!p.parse(args)) return kExitUsage;
  if (p.helpRequested()) {
    std::cout << kHelp << p.optionsHelp();
    return kExitOk;
  }
  const bool tty = isatty(STDOUT_FILENO) != 0;
  const std::string format = p.value("--format").value_or(tty ? "text" : "json");
  if (format != "text" && format != "json") {
    std::cerr << "trialbridge validate: --format must be text or json, not '" << format << "'\n";
    return kExitUsage;
  }
  if (p.positionals().empty()) {
    std::cerr << "trialbridge validate: no PATH given (see 'trialbridge validate --help')\n";
    return kExitUsage;
  }
  // The R4 core and the project's own profiles (fhir-profiles/trialbridge) are always known;
  // --package and --load add to them.
  std::unique_ptr<conformance::Context> loaded = conformance::Context::withCore();
  loaded->addPackage(conformance::profilesPackage());
  {
    for (const std::string& path : p.values("--package")) {
      if (auto st = loaded->loadPackage(path); !st) {
        std::cerr << "trialbridge validate: --package " << st.message() << "\n";
        return kExitUsage;
      }
    }
    for (const std::string& path : p.values("--load")) {
      if (auto st = validation::loadResourceFile(*loaded, path); !st) {
        std::cerr << "trialbridge validate: --load " << st.message() << "\n";
        return kExitUsage;
      }
    }
  }
  const std::optional<validation::ValidatorOptions> options = validatorOptions(p);
  if (!options) return kExitUsage;
  const conformance::Context* context = loaded.get();
  const validation::Validator validator(*context, *options);
  const std::vector<std::string> profiles = p.values("--profile");
  for (const std::string& url : profiles) {
    std::string error;
    if (validator.snapshots().get(url, &error) == nullptr) {
      std::cerr << "trialbridge validate: --profile " << url << ": "
                << (context->structureDefinition(url) == nullptr
                        ? "no such StructureDefinition is loaded"
                        : error)
                << "\n";
      return kExitUsage;
    }
  }
  const Checker checker{validator, profiles};

  std::vector<Input> inputs;
  const bool allFound = collectInputs(p.positionals(), inputs);
  if (inputs.empty()) {
    if (allFound) std::cerr << "trialbridge validate: no .json, .xml or .ndjson files found\n";
    return kExitUsage;
  }

  std::vector<Outcome> outcomes(inputs.size());
  std::atomic<size_t> next{0};
  // On a terminal, long runs show their progress on standard error (cli/progress.h).
  Progress progress(inputs.size(), "files", interactive(STDERR_FILENO));
  auto worker = [&] {
    for (size_t k = next++; k < inputs.size(); k = next++) {
      outcomes[k] = check(inputs[k], checker);
      progress.advance();
    }
  };
  const size_t threads =
      std::min<size_t>(inputs.size(), std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  progress.finish();

  if (format == "text") {
    printText(inputs, outcomes, Painter(colourWanted(STDOUT_FILENO)));
  } else {
    printJson(inputs, outcomes, *context);
  }
  const bool io = !allFound || std::any_of(outcomes.begin(), outcomes.end(),
                                           [](const Outcome& o) { return o.ioError; });
  if (io) return kExitUsage;
  const bool errors = std::any_of(outcomes.begin(), outcomes.end(),
                                  [](const Outcome& o) { return o.issues.hasErrors(); });
  return errors ? kExitDataError : kExitOk;
}

}  // namespace

Command validateCommand() {
  return {"validate", "validate FHIR resources (files, folders, NDJSON) against R4 and profiles",
          run, kHelp, options};
}

}  // namespace trialbridge::cli
