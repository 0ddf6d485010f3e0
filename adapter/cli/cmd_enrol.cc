#include "cli/cmd_enrol.h"

#include <iostream>
#include <memory>
#include <sstream>

#include "cli/service_client.h"
#include "core/json_input.h"

namespace trialbridge::cli {

namespace {

constexpr std::string_view kHelp =
    "Usage: trialbridge enrol --server URL [--token TOKEN] SUBJECT.json...\n\n"
    "Enrols subjects in a running trialbridge service: each file is a subject's entity file\n"
    "(docs/trial-definition.md, \"Entity files\") for a trial the service has loaded, sent to\n"
    "POST {URL}/ResearchSubject/$enrol. The service checks it against its trial, maps it\n"
    "(the Patient carries only the pseudonym of the hospital identifier) and stores it through\n"
    "its write pipeline as one transaction. Enrolling the same file again updates the subject's\n"
    "resources; a hospital identifier enrolled as another subject is refused.\n\n"
    "Prints one line per file: what was stored, or the service's reasons.\n\n"
    "Exit status: 0 every file enrolled; 1 the service refused some file (its errors are\n"
    "printed); 2 usage, I/O or connection error, or a server error.\n\n"
    "Examples:\n"
    "  trialbridge enrol --server http://127.0.0.1:8080/fhir \\\n"
    "      samples/entities/nct06813157-subject-itp-0001.json\n"
    "  trialbridge enrol --server https://trials.example.org/fhir --token \"$TOKEN\" \\\n"
    "      subjects/*.json\n\n";

// "3 resources: 1 created, 2 updated" from a transaction-response Bundle.
std::string summary(const std::string& bundle) {
  core::JsonInput in;
  core::Issues issues;
  if (!in.parse(bundle, issues)) return "the response is not JSON";
  const core::JsonNode entries = in.root().get("entry");
  size_t created = 0, updated = 0;
  std::string subject;
  for (size_t i = 0; i < entries.size(); ++i) {
    const core::JsonNode e = entries.item(i);
    const std::string status = e.get("response").str("status");
    created += status.rfind("201", 0) == 0;
    updated += status.rfind("200", 0) == 0;
    const std::string location = e.get("response").str("location");
    // The location is absolute: {base}/ResearchSubject/{id}/_history/{version}.
    const size_t at = location.find("/ResearchSubject/");
    if (at != std::string::npos) {
      subject = location.substr(at + 1, location.find("/_history") - at - 1);
    }
  }
  return std::to_string(entries.size()) + " resources: " + std::to_string(created) + " created, " +
         std::to_string(updated) + " updated" + (subject.empty() ? "" : "; " + subject);
}

ArgParser options() {
  ArgParser p("enrol");
  p.option("--server", "URL", "the service's FHIR base URL (required)")
      .option("--token", "TOKEN", "a bearer token, when the service requires authentication");
  return p;
}

int run(std::span<const std::string> args) {
  ArgParser p = options();
  if (!p.parse(args)) return kExitUsage;
  if (p.helpRequested()) {
    std::cout << kHelp << p.optionsHelp();
    return kExitOk;
  }
  const std::optional<std::string> server = p.value("--server");
  if (!server || p.positionals().empty()) {
    std::cerr << "trialbridge enrol: give --server URL and at least one subject file (see "
                 "'trialbridge enrol --help')\n";
    return kExitUsage;
  }
  std::string shown, error;
  const std::optional<Poco::URI> url =
      operationUrl(*server, "ResearchSubject/$enrol", shown, error);
  if (!url) {
    std::cerr << "trialbridge enrol: --server: " << error << "\n";
    return kExitUsage;
  }
  int exit = kExitOk;
  for (const std::string& file : p.positionals()) {
    std::string text;
    if (!readInput(file, text, error)) {
      std::cerr << "trialbridge enrol: " << error << "\n";
      exit = kExitUsage;
      continue;
    }
    ServiceResponse r;
    if (!postToService(*url, p.value("--token").value_or(""), text, "application/json", r, error)) {
      std::cerr << "trialbridge enrol: " << shown << ": " << error << "\n";
      return kExitUsage;
    }
    if (r.status == 200) {
      std::cout << displayName(file) << ": enrolled (" << summary(r.body) << ")\n";
      continue;
    }
    if (printOperationOutcome(displayName(file), r))
      std::cerr << displayName(file) << ": refused (HTTP " << r.status << ")\n";
    exit = std::max(exit, r.status >= 500 ? kExitUsage : kExitDataError);
  }
  return exit;
}

}  // namespace

Command enrolCommand() {
  return {"enrol", "enrol subjects in a running service from their entity files", run, kHelp,
          options};
}

}  // namespace trialbridge::cli
