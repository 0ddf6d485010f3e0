#pragma once
// What the commands that talk to a running service share (`enrol`, `import`): the URL of one of
// its operations from --server, a POST with an optional bearer token, and an OperationOutcome
// printed one issue a line.
#include <Poco/URI.h>

#include <optional>
#include <string>

namespace trialbridge::cli {

struct ServiceResponse {
  int status = 0;
  std::string body;
};

// The URL of `operation` ("ResearchSubject/$enrol") under the FHIR base `server`; `shown` gets
// it as given, for messages (the URI would encode the '$'). nullopt, with `error`, when `server`
// is not an http or https URL.
std::optional<Poco::URI> operationUrl(const std::string& server, const std::string& operation,
                                      std::string& shown, std::string& error);

// POSTs `body` (`contentType`) to `url`, accepting FHIR JSON; false with `error` on a connection
// failure (any HTTP status is a response).
bool postToService(const Poco::URI& url, const std::string& token, const std::string& body,
                   const std::string& contentType, ServiceResponse& out, std::string& error);

// The issues of an OperationOutcome answer on standard error, "WHAT: severity: where: text",
// and true; anything else as "WHAT: HTTP status", and false.
bool printOperationOutcome(const std::string& what, const ServiceResponse& r);

}  // namespace trialbridge::cli
