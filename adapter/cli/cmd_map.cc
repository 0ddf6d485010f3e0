#include "cli/cmd_map.h"

#include <cctype>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "conformance/context.h"
#include "conformance/profiles_package.h"
#include "core/json.h"
#include "mapping/trial_mapping.h"
#include "study/entity_reader.h"
#include "study/trial_reader.h"
#include "validation/validator.h"

namespace trialbridge::cli {

namespace {

constexpr std::string_view kHelp =
    "Usage: trialbridge map --trial TRIAL.json [--secret-file FILE] [--base URL] [--validate]\n"
    "                       [--verbose] [ENTITY.json]...\n\n"
    "Maps a trial definition and trial entities (subjects, adverse-event reports; each file\n"
    "says its kind) to FHIR R4, and prints one transaction Bundle: the study's resources\n"
    "(ResearchStudy, Group, PlanDefinitions, ActivityDefinitions, Organizations, Locations,\n"
    "PractitionerRoles, Medications), then each entity's (Patient, Consent, ResearchSubject;\n"
    "AdverseEvent). Formats: docs/trial-definition.md; mapping: docs/mappings.md.\n\n"
    "Subjects need the trial's pseudonymisation secret: --secret-file FILE, or the\n"
    "environment variable TRIALBRIDGE_SECRET_{TRIAL} holding the secret itself ({TRIAL}: the\n"
    "trial's id in upper case, other characters than letters and digits as '_', e.g.\n"
    "TRIALBRIDGE_SECRET_NCT06813157). Patients carry only the HMAC-SHA256 of the hospital\n"
    "identifier under that secret; names and hospital numbers are never printed.\n\n"
    "Problems in the files are printed to standard error as\n"
    "  FILE:LINE:COLUMN: error: JSONPATH: reason\n"
    "and nothing goes to standard output.\n\n"
    "With --validate, the Bundle is validated against R4 and the trialbridge profiles before it\n"
    "is printed; its errors (and with --verbose its warnings) go to standard error.\n\n"
    "Exit status: 0 the Bundle was printed; 1 a file has errors (or, with --validate, the\n"
    "Bundle does not validate); 2 usage, I/O or configuration error (such as no secret).\n\n"
    "Examples:\n"
    "  trialbridge map --trial samples/trials/NCT06813157.json\n"
    "  trialbridge map --trial samples/trials/NCT06813157.json \\\n"
    "      --secret-file samples/entities/demo.secret samples/entities/nct06813157-*.json\n\n";

// Prints issues as FILE:LINE:COL: severity: message; information only when verbose.
void printIssues(const std::string& file, const core::Issues& issues, bool verbose) {
  for (const core::Issue& i : issues.items()) {
    if (i.severity == core::Severity::Information && !verbose) continue;
    std::cerr << displayName(file) << ":" << i.line << ":" << i.column << ": "
              << core::severityCode(i.severity) << ": "
              << (i.location.empty() ? "" : i.location + ": ") << i.message << "\n";
  }
}

ArgParser options() {
  ArgParser p("map");
  p.option("--trial", "TRIAL.json", "the trial definition (required)")
      .option("--secret-file", "FILE", "the trial's pseudonymisation secret (needed for subjects)")
      .option("--base", "URL",
              "base of the entries' fullUrl (default http://trialbridge.local/fhir)")
      .flag("--validate", "validate the Bundle against R4 and the trialbridge profiles first")
      .flag("--verbose",
            "also print information messages, and with --validate the Bundle's warnings");
  return p;
}

int run(std::span<const std::string> args) {
  ArgParser p = options();
  if (!p.parse(args)) return kExitUsage;
  if (p.helpRequested()) {
    std::cout << kHelp << p.optionsHelp();
    return kExitOk;
  }
  const std::optional<std::string> trialPath = p.value("--trial");
  if (!trialPath) {
    std::cerr << "trialbridge map: --trial TRIAL.json is required (see 'trialbridge map --help')\n";
    return kExitUsage;
  }
  const bool verbose = p.has("--verbose");

  std::string text, error;
  if (!readInput(*trialPath, text, error)) {
    std::cerr << "trialbridge map: " << error << "\n";
    return kExitUsage;
  }
  core::Issues trialIssues;
  std::optional<study::Trial> trial = study::readTrial(text, trialIssues);
  printIssues(*trialPath, trialIssues, verbose);
  if (!trial) return kExitDataError;

  std::vector<study::Entity> entities;
  std::vector<std::string> files;
  bool bad = false;
  bool io = false;
  for (const std::string& path : p.positionals()) {
    if (!readInput(path, text, error)) {
      std::cerr << "trialbridge map: " << error << "\n";
      io = true;
      continue;
    }
    core::Issues issues;
    std::optional<study::Entity> e = study::readEntity(text, *trial, issues);
    printIssues(path, issues, verbose);
    if (!e) {
      bad = true;
      continue;
    }
    e->file = displayName(path);
    entities.push_back(std::move(*e));
    files.push_back(path);
  }
  if (io) return kExitUsage;
  std::vector<core::Issues> crossIssues(entities.size());
  study::checkEntities(*trial, entities, crossIssues);
  for (size_t i = 0; i < entities.size(); ++i) {
    printIssues(files[i], crossIssues[i], verbose);
    bad |= crossIssues[i].hasErrors();
  }
  if (bad) return kExitDataError;

  mapping::MapOptions options;
  if (auto base = p.value("--base")) options.fullUrlBase = *base;
  bool subjects = false;
  for (const study::Entity& e : entities) subjects |= e.kind == study::Entity::Kind::Subject;
  if (subjects) {
    auto ps = mapping::Pseudonymizer::forTrial(trial->id, p.value("--secret-file"));
    if (!ps) {
      std::cerr << "trialbridge map: " << ps.message() << "\n";
      return kExitUsage;
    }
    if (!ps.value()) {
      std::cerr << "trialbridge map: no pseudonymisation secret for the trial " << trial->id
                << ": give --secret-file FILE or set "
                << mapping::Pseudonymizer::secretVariable(trial->id)
                << " (subjects are never mapped without one)\n";
      return kExitUsage;
    }
    options.pseudonymizer = std::move(*ps.value());
  }

  std::unique_ptr<conformance::Context> context = conformance::Context::withCore();
  context->addPackage(conformance::profilesPackage());
  auto bundle = mapping::mapTrial(*trial, entities, options, *context);
  if (!bundle) {
    std::cerr << "trialbridge map: " << bundle.message() << "\n";
    return kExitUsage;
  }
  if (p.has("--validate")) {
    validation::Validator validator(*context);
    core::Issues issues;
    validator.validate(*bundle.value()->root(), issues);
    // Problems of the output, not of the input files: errors always, the rest with --verbose.
    for (const core::Issue& i : issues.items()) {
      if (i.severity > core::Severity::Error && !verbose) continue;
      std::cerr << "trialbridge map: --validate: " << core::severityCode(i.severity) << ": "
                << i.location << ": " << i.message << "\n";
    }
    if (issues.hasErrors()) return kExitDataError;
  }
  std::cout << core::writeJson(*bundle.value()->root(), core::WriteOptions{true}) << "\n";
  return kExitOk;
}

}  // namespace

Command mapCommand() {
  return {"map", "map a trial definition and its subjects and adverse events to a FHIR Bundle", run,
          kHelp, options};
}

}  // namespace trialbridge::cli
