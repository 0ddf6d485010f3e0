#include "cli/cmd_import.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <vector>

#include "cli/progress.h"
#include "cli/service_client.h"
#include "cli/terminal.h"
#include "core/json_input.h"

namespace trialbridge::cli {

namespace {

constexpr std::string_view kHelp =
    "Usage: trialbridge import --server URL [--token TOKEN] FILE.ndjson|FOLDER...\n\n"
    "Sends an EHR's FHIR Bulk Data export (NDJSON: one resource a line; a FOLDER's *.ndjson\n"
    "files) through a running trialbridge service's study context, as the EHR's results would\n"
    "come one by one: each Patient with its Observations (those whose subject is\n"
    "Patient/{id}) is POSTed as one Bundle to [base]/$ingest (docs/rest.md). The service keeps\n"
    "the results of enrolled subjects, pseudonymous and placed in the schedule, with what it\n"
    "derives; nothing of the other patients. Other resource types are skipped.\n\n"
    "Prints a summary: patients sent, resources stored, results of patients who are no\n"
    "subjects, and patients refused (their reasons on standard error, without identity). A\n"
    "progress bar is drawn on a terminal.\n\n"
    "Exit status: 0 every patient was taken; 1 the service refused some (or a line is not a\n"
    "resource); 2 usage, I/O or connection error.\n\n"
    "Examples:\n"
    "  trialbridge import --server http://127.0.0.1:8080/fhir export/\n"
    "  trialbridge import --server https://trials.example.org/fhir --token \"$TOKEN\" \\\n"
    "      export/Patient.ndjson export/Observation.ndjson\n\n";

ArgParser options() {
  ArgParser p("import");
  p.option("--server", "URL", "the service's FHIR base URL (required)")
      .option("--token", "TOKEN", "a bearer token, when the service requires authentication");
  return p;
}

struct PatientGroup {
  std::string patient;                    // the Patient's JSON line
  std::vector<std::string> observations;  // their JSON lines
};

// Reads the NDJSON lines of `files` into groups by Patient; false when a line is not a resource.
bool collect(const std::vector<std::string>& files, std::map<std::string, PatientGroup>& groups,
             size_t& skipped) {
  bool ok = true;
  for (const std::string& file : files) {
    std::string text, error;
    if (!readInput(file, text, error)) {
      std::cerr << "trialbridge import: " << error << "\n";
      return false;
    }
    size_t line = 0;
    for (size_t at = 0; at < text.size();) {
      size_t end = text.find('\n', at);
      if (end == std::string::npos) end = text.size();
      const std::string_view json = std::string_view(text).substr(at, end - at);
      at = end + 1;
      ++line;
      if (json.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      core::JsonInput in;
      core::Issues issues;
      if (!in.parse(json, issues) || in.root().str("resourceType").empty()) {
        std::cerr << displayName(file) << ":" << line << ": error: not a FHIR resource\n";
        ok = false;
        continue;
      }
      const std::string type = in.root().str("resourceType");
      if (type == "Patient") {
        groups["Patient/" + in.root().str("id")].patient = std::string(json);
      } else if (type == "Observation") {
        groups[in.root().get("subject").str("reference")].observations.emplace_back(json);
      } else {
        ++skipped;
      }
    }
  }
  return ok;
}

// The Bundle of one Patient and its Observations.
std::string bundleOf(const PatientGroup& g) {
  std::string b =
      R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":)" + g.patient + "}";
  for (const std::string& o : g.observations) b += R"(,{"resource":)" + o + "}";
  return b + "]}";
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
    std::cerr << "trialbridge import: give --server URL and at least one NDJSON file or folder "
                 "(see 'trialbridge import --help')\n";
    return kExitUsage;
  }
  std::string shown, error;
  const std::optional<Poco::URI> url = operationUrl(*server, "$ingest", shown, error);
  if (!url) {
    std::cerr << "trialbridge import: --server: " << error << "\n";
    return kExitUsage;
  }
  std::vector<std::string> files;
  for (const std::string& arg : p.positionals()) {
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      for (const auto& e : std::filesystem::directory_iterator(arg, ec)) {
        if (e.path().extension() == ".ndjson") files.push_back(e.path().string());
      }
    } else {
      files.push_back(arg);
    }
  }
  std::sort(files.begin(), files.end());
  std::map<std::string, PatientGroup> groups;
  size_t skipped = 0;
  bool bad = !collect(files, groups, skipped);
  size_t sent = 0, refused = 0, stored = 0, orphans = 0, notSubjects = 0;
  Progress progress(groups.size(), "patients", interactive(STDERR_FILENO));
  int n = 0;
  for (const auto& [ref, group] : groups) {
    ++n;
    progress.advance();
    if (group.patient.empty()) {
      orphans += group.observations.size();  // results without their Patient cannot be matched
      continue;
    }
    ServiceResponse r;
    if (!postToService(*url, p.value("--token").value_or(""), bundleOf(group),
                       "application/fhir+json", r, error)) {
      progress.finish();
      std::cerr << "trialbridge import: " << shown << ": " << error << "\n";
      return kExitUsage;
    }
    ++sent;
    core::JsonInput in;
    core::Issues issues;
    const bool json = in.parse(r.body, issues);
    if (r.status == 200 && json && in.root().str("resourceType") == "Bundle") {
      stored += in.root().get("entry").size();
    } else if (r.status == 200) {
      notSubjects += group.observations.size();
    } else {
      ++refused;
      progress.finish();
      // The patient's position in the export, never its identity.
      printOperationOutcome("trialbridge import: patient " + std::to_string(n), r);
      if (r.status >= 500) return kExitUsage;
    }
  }
  progress.finish();
  std::cout << "patients sent: " << sent << "; resources stored: " << stored
            << "; results of patients who are no subjects: " << notSubjects
            << "; patients refused: " << refused << "; results without their Patient: " << orphans
            << "; other resources skipped: " << skipped << "\n";
  return bad || refused > 0 ? kExitDataError : kExitOk;
}

}  // namespace

Command importCommand() {
  return {"import", "send an EHR's Bulk Data NDJSON through a service's study context", run, kHelp,
          options};
}

}  // namespace trialbridge::cli
