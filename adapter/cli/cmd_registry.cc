#include "cli/cmd_registry.h"

#include <iostream>
#include <memory>
#include <set>
#include <sstream>

#include "conformance/context.h"
#include "conformance/profiles_package.h"
#include "core/json.h"
#include "core/resource_io.h"
#include "mapping/registry_ctgov.h"
#include "mapping/registry_fhir.h"
#include "mapping/registry_prs.h"
#include "mapping/registry_who.h"
#include "service/publishing.h"
#include "service/service.h"
#include "validation/validator.h"

namespace trialbridge::cli {

namespace {

constexpr std::string_view kHelp =
    "Usage: trialbridge registry export --format FORMAT [--prs-org NAME]\n"
    "                                   [--prs-sections LIST] [--verbose] FILE\n"
    "       trialbridge registry import --format ctgov-json [--base URL] [--validate]\n"
    "                                   [--verbose] FILE\n"
    "       trialbridge registry publish --config FILE --target NAME [--dry-run]\n\n"
    "export: reads FILE, a ResearchStudy or a Bundle from 'trialbridge map' (JSON or XML), and\n"
    "prints the study as a registry record. FORMAT is one of\n"
    "  ctgov-json  a ClinicalTrials.gov API v2 study (protocolSection)\n"
    "  prs-xml     a PRS protocol record upload (ProtocolRecordSchema.xsd); --prs-org gives the\n"
    "              organization's PRS login name, --prs-sections a comma-separated list of\n"
    "              sections (brief_title,overall_status,...) for a partial upload\n"
    "  who-json    the WHO Trial Registration Data Set, all 24 items, as JSON\n"
    "  who-xml     the same as XML\n\n"
    "import: reads FILE, a ClinicalTrials.gov API v2 study or a page {\"studies\": [...]}, and\n"
    "prints a transaction Bundle of FHIR resources (ResearchStudy, Group, Organizations,\n"
    "Locations, PractitionerRoles); a page gives one Bundle per study, one a line. What a record\n"
    "holds that has no place in FHIR is kept in the ResearchStudy (extension\n"
    "tb-registry-unmapped) and reported on standard error (with --verbose; values that break\n"
    "the API's schema always).\n\n"
    "publish: brings the registry target NAME of the configuration's `registries` section up\n"
    "to date with the store, once: every change waiting in its outbox is sent (a FHIR registry\n"
    "server) or written (a folder of registry files). --dry-run sends nothing and prints, field\n"
    "by field, how each registry record would change. `trialbridge serve` does the same on\n"
    "each target's schedule; with SQLite, stop it first (one process owns the database).\n\n"
    "Problems are printed to standard error as FILE:LINE:COLUMN: severity: PATH: reason.\n"
    "Field mappings: docs/registries.md.\n\n"
    "Exit status: 0 printed (publish: all sent); 1 FILE has errors (not a study, not JSON, or\n"
    "with --validate resources that do not validate; publish: changes left waiting, or another\n"
    "publisher is at work); 2 usage, configuration, database or I/O error.\n\n"
    "Examples:\n"
    "  trialbridge map --trial samples/trials/NCT06813157.json > study.json\n"
    "  trialbridge registry export --format ctgov-json study.json\n"
    "  trialbridge registry export --format prs-xml --prs-org EXAMPLE \\\n"
    "      --prs-sections overall_status,enrollment study.json\n"
    "  trialbridge registry import --format ctgov-json NCT02513394.json\n"
    "  trialbridge registry publish --config trialbridge.json --target hub --dry-run\n\n";

void printIssues(const std::string& file, const core::Issues& issues, bool verbose) {
  for (const core::Issue& i : issues.items()) {
    if (i.severity == core::Severity::Information && !verbose) continue;
    std::cerr << issueLine(file, i) << "\n";
  }
}

std::unique_ptr<conformance::Context> fhirContext() {
  auto context = conformance::Context::withCore();
  context->addPackage(conformance::profilesPackage());
  return context;
}

std::set<std::string> splitList(const std::string& list) {
  std::set<std::string> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.insert(item);
  }
  return out;
}

int exportStudy(const ArgParser& p, const std::string& format, const std::string& path,
                const std::string& text) {
  const bool verbose = p.has("--verbose");
  auto context = fhirContext();
  core::Issues issues;
  auto doc = core::readResource(text, *context, issues);
  if (doc == nullptr || issues.hasErrors()) {
    printIssues(path, issues, verbose);
    return kExitDataError;
  }
  std::optional<mapping::RegistryRecord> record = mapping::recordFromFhir(*doc->root(), issues);
  if (!record) {
    printIssues(path, issues, verbose);
    return kExitDataError;
  }
  std::string out;
  if (format == "ctgov-json") {
    out = mapping::writeCtgovJson(*record);
  } else if (format == "prs-xml") {
    mapping::PrsOptions options;
    if (auto org = p.value("--prs-org")) options.orgName = *org;
    if (auto sections = p.value("--prs-sections")) options.sections = splitList(*sections);
    out = mapping::writePrsXml(*record, options, issues);
    if (out.empty()) {
      printIssues(path, issues, verbose);
      return kExitUsage;
    }
  } else if (format == "who-json") {
    out = mapping::writeWhoJson(*record);
  } else {
    out = mapping::writeWhoXml(*record);
  }
  printIssues(path, issues, verbose);
  std::cout << out;
  return kExitOk;
}

int importStudies(const ArgParser& p, const std::string& path, const std::string& text) {
  const bool verbose = p.has("--verbose");
  core::Issues issues;
  const mapping::CtgovReadResult read = mapping::readCtgovJson(text, issues);
  printIssues(path, issues, verbose);
  if (read.records.empty()) return kExitDataError;
  auto context = fhirContext();
  mapping::RegistryImportOptions options;
  if (auto base = p.value("--base")) options.fullUrlBase = *base;
  std::unique_ptr<validation::Validator> validator;
  if (p.has("--validate")) validator = std::make_unique<validation::Validator>(*context);
  const bool page = read.records.size() > 1 || text.find("\"studies\"") != std::string::npos;
  int status = kExitOk;
  for (const mapping::RegistryRecord& r : read.records) {
    auto bundle = mapping::fhirFromRecord(r, *context, options);
    if (validator) {
      core::Issues v;
      validator->validate(*bundle->root(), v);
      for (const core::Issue& i : v.items()) {
        if (i.severity > core::Severity::Error && !verbose) continue;
        std::cerr << "trialbridge registry import: --validate: " << r.nctId << ": "
                  << core::severityCode(i.severity) << ": " << i.location << ": " << i.message
                  << "\n";
      }
      if (v.hasErrors()) status = kExitDataError;
    }
    std::cout << core::writeJson(*bundle->root(), core::WriteOptions{!page}) << "\n";
  }
  return status;
}

void printPlan(const service::PublishRun& r) {
  std::cout << "registry publish --target " << r.target << " --dry-run: " << r.rows
            << " change(s) waiting, " << r.plan.size() << " record(s) to look at\n";
  for (const service::PlannedChange& c : r.plan) {
    std::cout << c.resource << ": " << c.action;
    if (!c.remote.empty()) std::cout << " " << c.remote;
    if (!c.note.empty()) std::cout << " (" << c.note << ")";
    std::cout << "\n";
    for (const service::FieldChange& f : c.changes) {
      std::cout << "  " << f.path << ": " << (f.before.empty() ? "(none)" : f.before) << " -> "
                << (f.after.empty() ? "(none)" : f.after) << "\n";
    }
  }
}

int publish(const ArgParser& p) {
  const auto configPath = p.value("--config");
  const auto target = p.value("--target");
  if (!configPath || !target) {
    std::cerr << "trialbridge registry publish: needs --config FILE (its `registries` section "
                 "names the targets) and --target NAME\n";
    return kExitUsage;
  }
  auto config = service::loadConfig(*configPath);
  if (!config) {
    std::cerr << "trialbridge registry publish: " << config.message() << "\n";
    return kExitUsage;
  }
  const bool dryRun = p.has("--dry-run");
  auto run = service::publishOnce(config.value(), *target, dryRun);
  if (!run) {
    std::cerr << "trialbridge registry publish: " << run.message() << "\n";
    return kExitUsage;
  }
  const service::PublishRun& r = run.value();
  if (!r.fatal.empty()) {
    std::cerr << "trialbridge registry publish: " << r.fatal << "\n";
    return kExitUsage;
  }
  if (r.busy) {
    std::cerr << "trialbridge registry publish: another publisher is working on '" << r.target
              << "' (a `serve` node): nothing done\n";
    return kExitDataError;
  }
  if (dryRun) {
    printPlan(r);
    return kExitOk;
  }
  for (const std::string& e : r.errors) std::cerr << "trialbridge registry publish: " << e << "\n";
  std::cout << "registry publish --target " << r.target << ": " << r.rows << " change(s), "
            << r.sent << " sent, " << r.unchanged << " unchanged, " << r.failed
            << " left waiting\n";
  return r.failed == 0 ? kExitOk : kExitDataError;
}

ArgParser options() {
  ArgParser p("registry");
  p.option("--format", "FORMAT",
           "export: ctgov-json, prs-xml, who-json or who-xml; import: ctgov-json")
      .choices({"ctgov-json", "prs-xml", "who-json", "who-xml"})
      .option("--prs-org", "NAME", "prs-xml: the organization's PRS login name (id_info/org_name)")
      .option("--prs-sections", "LIST",
              "prs-xml: comma-separated sections for a partial upload (default: all)")
      .option("--base", "URL",
              "import: base of the entries' fullUrl (default http://trialbridge.local/fhir)")
      .flag("--validate", "import: validate each Bundle against R4 before printing it")
      .flag("--verbose", "also print information: what an import could not map, and why")
      .option("--config", "FILE", "publish: the service configuration (its registries section)")
      .option("--target", "NAME", "publish: the registry target to publish to")
      .flag("--dry-run", "publish: send nothing; print how each registry record would change");
  return p;
}

int run(std::span<const std::string> args) {
  ArgParser p = options();
  if (!p.parse(args)) return kExitUsage;
  if (p.helpRequested()) {
    std::cout << kHelp << p.optionsHelp();
    return kExitOk;
  }
  const auto& pos = p.positionals();
  if (pos.size() == 1 && pos[0] == "publish") return publish(p);
  if (pos.size() != 2 || (pos[0] != "export" && pos[0] != "import")) {
    std::cerr << "trialbridge registry: give export or import and one FILE, or publish (see "
                 "'trialbridge registry --help')\n";
    return kExitUsage;
  }
  const std::string format = p.value("--format").value_or("");
  const bool exporting = pos[0] == "export";
  const std::set<std::string> formats =
      exporting ? std::set<std::string>{"ctgov-json", "prs-xml", "who-json", "who-xml"}
                : std::set<std::string>{"ctgov-json"};
  if (formats.count(format) == 0) {
    std::cerr << "trialbridge registry " << pos[0] << ": --format must be one of";
    for (const std::string& f : formats) std::cerr << " " << f;
    std::cerr << "\n";
    return kExitUsage;
  }
  std::string text, error;
  if (!readInput(pos[1], text, error)) {
    std::cerr << "trialbridge registry: " << error << "\n";
    return kExitUsage;
  }
  return exporting ? exportStudy(p, format, pos[1], text) : importStudies(p, pos[1], text);
}

}  // namespace

Command registryCommand() {
  return {"registry",
          "a study between FHIR and ClinicalTrials.gov JSON, PRS XML and the WHO data set; "
          "publishing to registries",
          run, kHelp, options};
}

}  // namespace trialbridge::cli
