#include "cli/cmd_map_v2.h"

#include <iostream>
#include <optional>
#include <variant>

#include "conformance/context.h"
#include "conformance/profiles_package.h"
#include "core/json.h"
#include "hl7v2/batch.h"
#include "hl7v2/mllp.h"
#include "mapping/oru_mapping.h"
#include "mapping/v2_time.h"
#include "pipeline/memory_subject_directory.h"
#include "pipeline/study_context.h"
#include "study/entity_reader.h"
#include "study/trial_reader.h"
#include "validation/validator.h"

namespace trialbridge::cli {

namespace {

constexpr std::string_view kHelp =
    "Usage: trialbridge map-v2 [--maps DIR] [--timezone +HH:MM] [--base URL] [--ndjson]\n"
    "                          [--validate] [--verbose]\n"
    "                          [--trial TRIAL.json --subjects SUBJECT.json... [--secret-file "
    "FILE]]\n"
    "                          FILE.hl7|-\n\n"
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
    "With --trial and --subjects the study context is applied, as the service does (no store,\n"
    "no network; docs/study-logic.md): the patient is matched to a subject by the pseudonym of\n"
    "its PID-3 identifiers under the trial's secret (--secret-file FILE, or the variable\n"
    "TRIALBRIDGE_SECRET_{TRIAL}); the Bundle printed holds the subject's Observations with the\n"
    "pseudonymous Patient and their timepoint, the derived platelet responses, draft adverse\n"
    "events and a Provenance. A message of a patient who is no subject prints nothing (a line\n"
    "on standard error says so, without identity). The messages of the file are taken in order,\n"
    "each seeing the results of those before it (baseline, confirmation). Every argument\n"
    "between --subjects and the last is a subject file.\n\n"
    "Exit status: 0 every message was mapped; 1 a message has errors (or, with --validate, a\n"
    "Bundle does not validate); 2 usage, I/O or mapping-file error.\n\n"
    "Examples:\n"
    "  trialbridge map-v2 samples/hl7v2/nct06813157-itp-0001-screening.hl7\n"
    "  trialbridge map-v2 --ndjson samples/hl7v2/nct06813157-batch.hl7\n"
    "  trialbridge map-v2 --trial samples/trials/NCT06813157.json --secret-file \\\n"
    "      samples/entities/demo.secret --subjects samples/entities/nct06813157-subject-*.json \\\n"
    "      samples/hl7v2/nct06813157-itp-0001-fu-d14.hl7\n\n";

struct Part {
  std::string_view text;
  uint64_t offset = 0;
  uint32_t line = 1;
};

class Printer {
 public:
  Printer(std::string file, bool verbose) : file_(std::move(file)), verbose_(verbose) {}
  const std::string& file() const { return file_; }

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

// The study context of --trial/--subjects: the trial, its subjects in memory, the context.
struct Study {
  study::Trial trial;
  std::optional<mapping::Pseudonymizer> secret;
  std::unique_ptr<pipeline::MemorySubjectDirectory> directory;
  std::unique_ptr<pipeline::StudyContext> context;
};

void printLoadIssues(const std::string& file, const core::Issues& issues) {
  for (const core::Issue& i : issues.items()) {
    if (i.severity > core::Severity::Warning) continue;
    std::cerr << displayName(file) << ": " << core::severityCode(i.severity) << ": "
              << (i.location.empty() ? "" : i.location + ": ") << i.message << "\n";
  }
}

// Loads the trial, the subject files and the secret; an exit status on failure.
std::variant<std::unique_ptr<Study>, int> loadStudy(const ArgParser& p,
                                                    const std::vector<std::string>& subjects,
                                                    const core::TypeResolver& types) {
  auto study = std::make_unique<Study>();
  std::string text, error;
  const std::string trialPath = *p.value("--trial");
  if (!readInput(trialPath, text, error)) {
    std::cerr << "trialbridge map-v2: " << error << "\n";
    return kExitUsage;
  }
  core::Issues issues;
  std::optional<study::Trial> trial = study::readTrial(text, issues);
  printLoadIssues(trialPath, issues);
  if (!trial) return kExitDataError;
  study->trial = std::move(*trial);
  std::vector<study::SubjectRecord> records;
  for (const std::string& path : subjects) {
    if (!readInput(path, text, error)) {
      std::cerr << "trialbridge map-v2: " << error << "\n";
      return kExitUsage;
    }
    core::Issues entityIssues;
    std::optional<study::Entity> e = study::readEntity(text, study->trial, entityIssues);
    printLoadIssues(path, entityIssues);
    if (!e) return kExitDataError;
    if (e->kind == study::Entity::Kind::Subject) records.push_back(std::move(e->subject));
  }
  auto secret = mapping::Pseudonymizer::forTrial(study->trial.id, p.value("--secret-file"));
  if (!secret || !secret.value()) {
    std::cerr << "trialbridge map-v2: "
              << (secret ? "no pseudonymisation secret for the trial " + study->trial.id +
                               ": give --secret-file FILE or set " +
                               mapping::Pseudonymizer::secretVariable(study->trial.id)
                         : secret.message())
              << "\n";
    return kExitUsage;
  }
  study->secret = std::move(*secret.value());
  study->directory = std::make_unique<pipeline::MemorySubjectDirectory>(
      study->trial, std::move(records), *study->secret);
  pipeline::StudyContextOptions options;
  if (auto base = p.value("--base")) options.fullUrlBase = *base;
  study->context = std::make_unique<pipeline::StudyContext>(
      std::vector<pipeline::StudyTrial>{{&study->trial, &*study->secret}}, *study->directory, types,
      std::move(options));
  return study;
}

ArgParser options() {
  ArgParser p("map-v2");
  p.option("--maps", "DIR", "a site's mapping files (ConceptMaps, coding-systems.json, units.json)")
      .option("--timezone", "+HH:MM", "the zone of times without one when MSH-7 has none")
      .option("--base", "URL",
              "base of the entries' fullUrl (default http://trialbridge.local/fhir)")
      .flag("--ndjson", "one Bundle a line")
      .flag("--validate", "validate each Bundle against R4 before printing it")
      .flag("--verbose", "also print information messages")
      .option("--trial", "TRIAL.json", "apply the study context of this trial")
      .option("--subjects", "SUBJECT.json", "the trial's subjects (entity files)", true)
      .option("--secret-file", "FILE", "the trial's pseudonymisation secret");
  return p;
}

int run(std::span<const std::string> args) {
  ArgParser p = options();
  if (!p.parse(args)) return kExitUsage;
  if (p.helpRequested()) {
    std::cout << kHelp << p.optionsHelp();
    return kExitOk;
  }
  std::vector<std::string> subjects = p.values("--subjects");
  if (p.has("--subjects") && p.positionals().size() > 1) {
    subjects.insert(subjects.end(), p.positionals().begin(), p.positionals().end() - 1);
  }
  if (p.has("--trial") != p.has("--subjects")) {
    std::cerr << "trialbridge map-v2: --trial and --subjects go together (see 'trialbridge "
                 "map-v2 --help')\n";
    return kExitUsage;
  }
  if (p.positionals().size() != 1 && !(p.has("--subjects") && !p.positionals().empty())) {
    std::cerr << "trialbridge map-v2: one FILE.hl7 (or -) is required (see 'trialbridge map-v2 "
                 "--help')\n";
    return kExitUsage;
  }
  const std::string& path = p.positionals().back();
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
    const std::optional<std::string> zone = mapping::v2time::zoneSetting(*tz);
    if (!zone) {
      std::cerr << "trialbridge map-v2: --timezone " << *tz << ": not a zone like +08:00\n";
      return kExitUsage;
    }
    options.defaultTimezone = *zone;
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
  std::unique_ptr<Study> study;
  if (p.has("--trial")) {
    auto loaded = loadStudy(p, subjects, *context);
    if (const int* status = std::get_if<int>(&loaded)) return *status;
    study = std::move(std::get<std::unique_ptr<Study>>(loaded));
  }
  bool bad = false;
  for (const Part& part : *parts) {
    core::Issues issues;
    std::optional<hl7v2::Message> message = hl7v2::parseMessage(part.text, issues);
    std::unique_ptr<core::Document> bundle;
    if (message && !issues.hasErrors()) bundle = mapper.map(*message, issues);
    bad |= printer.print(issues, part) || !bundle;
    if (!bundle) continue;
    if (study) {
      pipeline::StudyOutcome outcome =
          study->context->apply(*bundle->root(), pipeline::v2SourceKey(*message),
                                pipeline::mappedRecorded(*bundle->root()));
      bad |= printer.print(outcome.issues, part);
      if (outcome.notSubjects > 0 || outcome.beforeConsent > 0) {
        std::cerr << printer.file() << ": message at line " << part.line << ": "
                  << outcome.notSubjectResults << " result(s) of a patient who is no subject, "
                  << outcome.beforeConsent << " dated before consent beyond the look-back: "
                  << "not kept\n";
      }
      if (!outcome.writes) continue;
      study->directory->remember(*outcome.writes->root());
      bundle = std::move(outcome.writes);
    }
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
