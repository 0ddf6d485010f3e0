#include "cli/cmd_enrol.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <iostream>
#include <memory>
#include <sstream>

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

struct Response {
  int status = 0;
  std::string body;
};

// POSTs `body` to `url`; false with `error` on a connection failure.
bool post(const Poco::URI& url, const std::string& token, const std::string& body, Response& out,
          std::string& error) {
  try {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (url.getScheme() == "https") {
      Poco::Net::Context::Ptr context = new Poco::Net::Context(
          Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_RELAXED, 9, true);
      session =
          std::make_unique<Poco::Net::HTTPSClientSession>(url.getHost(), url.getPort(), context);
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(url.getHost(), url.getPort());
    }
    session->setTimeout(Poco::Timespan(60, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, url.getPathAndQuery(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.set("Accept", "application/fhir+json");
    if (!token.empty()) request.set("Authorization", "Bearer " + token);
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session->sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    std::ostringstream ss;
    Poco::StreamCopier::copyStream(in, ss);
    out.status = static_cast<int>(response.getStatus());
    out.body = std::move(ss).str();
    return true;
  } catch (const Poco::Exception& e) {
    error = e.displayText();
  } catch (const std::exception& e) {
    error = e.what();
  }
  return false;
}

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

// The issues of an OperationOutcome, one line each.
void printOutcome(const std::string& file, const Response& r) {
  core::JsonInput in;
  core::Issues issues;
  if (!in.parse(r.body, issues) || in.root().str("resourceType") != "OperationOutcome") {
    std::cerr << file << ": HTTP " << r.status << "\n";
    return;
  }
  const core::JsonNode list = in.root().get("issue");
  for (size_t i = 0; i < list.size(); ++i) {
    const core::JsonNode issue = list.item(i);
    std::string where;
    const core::JsonNode expressions = issue.get("expression");
    if (expressions.size() > 0) where = expressions.item(0).str() + ": ";
    std::cerr << file << ": " << issue.str("severity") << ": " << where << issue.str("diagnostics")
              << "\n";
  }
  std::cerr << file << ": refused (HTTP " << r.status << ")\n";
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
  Poco::URI url;
  try {
    url = Poco::URI(*server);
  } catch (const Poco::Exception& e) {
    std::cerr << "trialbridge enrol: --server: " << e.displayText() << "\n";
    return kExitUsage;
  }
  if ((url.getScheme() != "http" && url.getScheme() != "https") || url.getHost().empty()) {
    std::cerr << "trialbridge enrol: --server takes an http or https URL, not '" << *server
              << "'\n";
    return kExitUsage;
  }
  std::string path = url.getPath();
  while (!path.empty() && path.back() == '/') path.pop_back();
  url.setPath(path + "/ResearchSubject/$enrol");
  std::string shown = *server;  // for messages, as given (the URI would encode the '$')
  while (!shown.empty() && shown.back() == '/') shown.pop_back();
  shown += "/ResearchSubject/$enrol";
  int exit = kExitOk;
  for (const std::string& file : p.positionals()) {
    std::string text, error;
    if (!readInput(file, text, error)) {
      std::cerr << "trialbridge enrol: " << error << "\n";
      exit = kExitUsage;
      continue;
    }
    Response r;
    if (!post(url, p.value("--token").value_or(""), text, r, error)) {
      std::cerr << "trialbridge enrol: " << shown << ": " << error << "\n";
      return kExitUsage;
    }
    if (r.status == 200) {
      std::cout << displayName(file) << ": enrolled (" << summary(r.body) << ")\n";
      continue;
    }
    printOutcome(displayName(file), r);
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
