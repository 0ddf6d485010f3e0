#include "cli/cmd_map_v2.h"

#include <iostream>
#include <optional>

#include "conformance/context.h"
#include "conformance/profiles_package.h"
#include "core/json.h"
#include "hl7v2/batch.h"
#include "hl7v2/mllp.h"
#include "mapping/oru_mapping.h"
#include "mapping/v2_time.h"
#include "validation/validator.h"

namespace trialbridge::cli {

namespace {

constexpr std::string_view kHelp =
    "Usage: trialbridge map-v2 [--maps DIR] [--timezone +HH:MM] [--base URL] [--ndjson]\n"
    "                          [--validate] [--verbose] FILE.hl7|-\n\n"
    "Maps HL7 v2 ORU^R01 lab result messages (v2.3 to v2.8.2) to FHIR R4, after the HL7\n"
    "V2-to-FHIR IG, and prints one transaction Bundle per message: MessageHeader, Patient,\n"
    "Encounter, ServiceRequest, Specimen, Observations, DiagnosticReport, the practitioners and\n"
    "organizations they name, and a Provenance. Local lab codes gain their LOINC coding and\n"
    "units their UCUM code through the maps of mappings/v2/ (built in); --maps DIR adds a\n"
    "site's ConceptMaps, coding-systems.json and units.json over them (docs/mappings.md).\n\n"
    "The file holds one message, several (one after the other, or a batch with FHS/BHS/BTS/FTS),\n"
    "or MLLP frames; '-' reads standard input. Segments end with CR, LF or CR LF.\n"
    "Each message's Bundle is printed (pretty JSON; one line each with --ndjson). A message with\n"
    "errors prints none; its problems go to standard error as\n"
    "  FILE:SEGMENT-FIELD: error: reason [line L, byte B]\n"
    "(line: the segment's line in the file; byte: its offset in the file).\n\n"
    "Times written without a time zone take MSH-7's; when MSH-7 has none, --timezone's, else\n"
    "UTC (with a warning).\n\n"
    "Exit status: 0 every message was mapped; 1 a message has errors (or, with --validate, a\n"
    "Bundle does not validate); 2 usage, I/O or mapping-file error.\n\n"
    "Examples:\n"
    "  trialbridge map-v2 samples/hl7v2/nct06813157-itp-0001-screening.hl7\n"
    "  trialbridge map-v2 --ndjson samples/hl7v2/nct06813157-batch.hl7\n\n";

struct Part {
  std::string_view text;
  uint64_t offset = 0;
  uint32_t line = 1;
};

class Printer {
 public:
  Printer(std::string file, bool verbose) : file_(std::move(file)), verbose_(verbose) {}

  // Prints a message's issues (locations relative to the file); true when one is an error.
  bool print(const core::Issues& issues, const Part& part) const {
    bool errors = false;
    for (const core::Issue& i : issues.items()) {
      if (i.severity == core::Severity::Information && !verbose_) continue;
      errors |= i.severity <= core::Severity::Error;
      std::cerr << file_ << ":" << (i.location.empty() ? "MSH" : i.location) << ": "
                << core::severityCode(i.severity) << ": " << i.message;
      if (i.line > 0) {
        std::cerr << " [line " << (part.line + i.line - 1);
        if (i.column > 0) std::cerr << ", byte " << (part.offset + i.column - 1);
        std::cerr << "]";
      }
      std::cerr << "\n";
    }
    return errors;
  }

 private:
  std::string file_;
  bool verbose_;
};

// The messages of the input: MLLP frames when it starts with a start byte, else a batch (or one
// message, or several after each other). nullopt (after printing why) when it cannot be split.
std::optional<std::vector<Part>> split(const std::string& text, const Printer& printer,
                                       std::vector<std::string>& frames) {
  std::vector<Part> parts;
  if (!text.empty() && text[0] == hl7v2::kMllpStart) {
    hl7v2::MllpDecoder decoder(text.size() + 1);
    std::vector<hl7v2::MllpEvent> events;
    decoder.feed(text, events);
    decoder.finish(events);
    for (hl7v2::MllpEvent& e : events) {
      if (!e.isFrame()) continue;
      frames.push_back(std::move(e.payload));
    }
    for (const std::string& f : frames) parts.push_back(Part{f, 0, 1});
    return parts;
  }
  core::Issues issues;
  std::optional<hl7v2::Batch> batch = hl7v2::readBatch(text, issues);
  printer.print(issues, Part{});
  if (!batch) return std::nullopt;
  for (const hl7v2::Batch::Part& p : batch->messages)
    parts.push_back(Part{p.text, p.offset, p.line});
  return parts;
}

ArgParser options() {
  ArgParser p("map-v2");
  p.option("--maps", "DIR", "a site's mapping files (ConceptMaps, coding-systems.json, units.json)")
      .option("--timezone", "+HH:MM", "the zone of times without one when MSH-7 has none")
      .option("--base", "URL",
              "base of the entries' fullUrl (default http://trialbridge.local/fhir)")
      .flag("--ndjson", "one Bundle a line")
      .flag("--validate", "validate each Bundle against R4 before printing it")
      .flag("--verbose", "also print information messages");
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
    std::cerr << "trialbridge map-v2: one FILE.hl7 (or -) is required (see 'trialbridge map-v2 "
                 "--help')\n";
    return kExitUsage;
  }
  const std::string& path = p.positionals()[0];
  std::string text, error;
  if (!readInput(path, text, error)) {
    std::cerr << "trialbridge map-v2: " << error << "\n";
    return kExitUsage;
  }
  std::unique_ptr<conformance::Context> context = conformance::Context::withCore();
  context->addPackage(conformance::profilesPackage());
  mapping::V2MapOptions options;
  if (auto base = p.value("--base")) options.fullUrlBase = *base;
  if (auto tz = p.value("--timezone")) {
    std::string v2 = *tz;
    if (v2.size() == 6 && v2[3] == ':') v2.erase(3, 1);
    if (*tz != "Z" && !mapping::v2time::offset(v2)) {
      std::cerr << "trialbridge map-v2: --timezone " << *tz << ": not a zone like +08:00\n";
      return kExitUsage;
    }
    options.defaultTimezone = *tz == "Z" ? "Z" : *mapping::v2time::offset(v2);
  }
  if (auto dir = p.value("--maps")) {
    core::Issues issues;
    options.terminology = mapping::V2Terminology::withSiteDirectory(*dir, *context, issues);
    for (const core::Issue& i : issues.items()) {
      std::cerr << "trialbridge map-v2: --maps: " << core::severityCode(i.severity) << ": "
                << i.message << (i.line > 0 ? " (line " + std::to_string(i.line) + ")" : "")
                << "\n";
    }
    if (!options.terminology) return kExitUsage;
  }
  const Printer printer(displayName(path), p.has("--verbose"));
  std::vector<std::string> frames;
  const std::optional<std::vector<Part>> parts = split(text, printer, frames);
  if (!parts) return kExitDataError;
  const bool ndjson = p.has("--ndjson");
  const validation::Validator validator(*context);
  const mapping::V2Mapper mapper(*context, options);
  bool bad = false;
  for (const Part& part : *parts) {
    core::Issues issues;
    std::optional<hl7v2::Message> message = hl7v2::parseMessage(part.text, issues);
    std::unique_ptr<core::Document> bundle;
    if (message && !issues.hasErrors()) bundle = mapper.map(*message, issues);
    bad |= printer.print(issues, part) || !bundle;
    if (!bundle) continue;
    if (p.has("--validate")) {
      core::Issues v;
      validator.validate(*bundle->root(), v);
      for (const core::Issue& i : v.items()) {
        if (i.severity > core::Severity::Error && !p.has("--verbose")) continue;
        std::cerr << "trialbridge map-v2: --validate: " << core::severityCode(i.severity) << ": "
                  << i.location << ": " << i.message << "\n";
      }
      if (v.hasErrors()) {
        bad = true;
        continue;
      }
    }
    std::cout << core::writeJson(*bundle->root(), core::WriteOptions{!ndjson}) << "\n";
  }
  return bad ? kExitDataError : kExitOk;
}

}  // namespace

Command mapV2Command() {
  return {"map-v2", "map HL7 v2 ORU^R01 lab results to FHIR transaction Bundles", run, kHelp,
          options};
}

}  // namespace trialbridge::cli
