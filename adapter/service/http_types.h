#pragma once
// Requests and responses as the FHIR API sees them, independent of the HTTP library: the Poco
// server (http_server.h) fills an HttpRequest from the socket, and batch/transaction entries are
// turned into HttpRequests for the same code.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trialbridge::service {

struct Principal;

struct HttpRequest {
  std::string method;                                        // GET, POST, PUT, DELETE, ...
  std::string path;                                          // "/fhir/Patient/1", percent-decoded
  std::string query;                                         // raw query string, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  std::string remoteAddress;
  bool secure = false;  // came over TLS
  // The authenticated client, or nullptr when authentication is off.
  const Principal* principal = nullptr;

  // The first value of a header (lower-case name), or "".
  std::string_view header(std::string_view lowerName) const {
    for (const auto& [n, v] : headers) {
      if (n == lowerName) return v;
    }
    return {};
  }
};

struct HttpResponse {
  int status = 200;
  std::string contentType;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  void setHeader(std::string name, std::string value) {
    for (auto& [n, v] : headers) {
      if (n == name) {
        v = std::move(value);
        return;
      }
    }
    headers.emplace_back(std::move(name), std::move(value));
  }
  std::string_view header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return {};
  }
};

// A part of the HTTP interface beside the FHIR API, on the same server (the quarantine's view, the
// probes): the server asks each view in turn whether a request is its own.
class HttpView {
 public:
  virtual ~HttpView() = default;
  virtual bool handles(const HttpRequest& request) const = 0;
  // True: answered without authentication (the probes); false: after it, like the API.
  virtual bool open() const { return false; }
  virtual void handle(const HttpRequest& request, HttpResponse& response) const = 0;
};

}  // namespace trialbridge::service
