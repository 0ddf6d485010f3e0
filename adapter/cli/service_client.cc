#include "cli/service_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>

#include <iostream>
#include <memory>
#include <sstream>

#include "core/json_input.h"

namespace trialbridge::cli {

std::optional<Poco::URI> operationUrl(const std::string& server, const std::string& operation,
                                      std::string& shown, std::string& error) {
  Poco::URI url;
  try {
    url = Poco::URI(server);
  } catch (const Poco::Exception& e) {
    error = e.displayText();
    return std::nullopt;
  }
  if ((url.getScheme() != "http" && url.getScheme() != "https") || url.getHost().empty()) {
    error = "not an http or https URL: '" + server + "'";
    return std::nullopt;
  }
  std::string path = url.getPath();
  while (!path.empty() && path.back() == '/') path.pop_back();
  url.setPath(path + "/" + operation);
  shown = server;
  while (!shown.empty() && shown.back() == '/') shown.pop_back();
  shown += "/" + operation;
  return url;
}

bool postToService(const Poco::URI& url, const std::string& token, const std::string& body,
                   const std::string& contentType, ServiceResponse& out, std::string& error) {
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
    request.setContentType(contentType);
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

bool printOperationOutcome(const std::string& what, const ServiceResponse& r) {
  core::JsonInput in;
  core::Issues issues;
  if (!in.parse(r.body, issues) || in.root().str("resourceType") != "OperationOutcome") {
    std::cerr << what << ": HTTP " << r.status << "\n";
    return false;
  }
  const core::JsonNode list = in.root().get("issue");
  for (size_t i = 0; i < list.size(); ++i) {
    const core::JsonNode issue = list.item(i);
    std::string where;
    const core::JsonNode expressions = issue.get("expression");
    if (expressions.size() > 0) where = expressions.item(0).str() + ": ";
    std::cerr << what << ": " << issue.str("severity") << ": " << where << issue.str("diagnostics")
              << "\n";
  }
  return true;
}

}  // namespace trialbridge::cli
