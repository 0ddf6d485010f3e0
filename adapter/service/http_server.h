#pragma once
// The FHIR API over HTTP(S): Poco's HTTPServer with a thread pool, keep-alive, request limits,
// optional TLS (OpenSSL through Poco NetSSL, certificate and key from files) and optional
// bearer-token authentication. Every error, including the ones found before the API sees the
// request (401, 413, 500), is answered with an OperationOutcome.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace trialbridge::core {
class MetricsRegistry;
}

namespace trialbridge::service {

class FhirApi;
class HttpView;
class TokenVerifier;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see HttpService::port())
  int threads = 64;
  int maxQueued = 512;
  int keepAliveSeconds = 15;
  int backlog = 1024;
  // TLS: both files in PEM.
  bool tls = false;
  std::string certificateFile;
  std::string privateKeyFile;
  // One access-log record per request (core/log.h): method, path with ids replaced by ":id",
  // status, time. No query strings, bodies or client identities are logged.
  bool accessLog = false;
};

class HttpService {
 public:
  // Binds and starts serving. `verifier` null: no authentication. `views` answer their paths
  // beside the API (open ones before authentication). `metrics`, when given, gets the requests
  // by route and status and their latency. `api`, `verifier`, the views and `metrics` must
  // outlive the service.
  static core::Result<std::unique_ptr<HttpService>> start(const FhirApi& api,
                                                          const TokenVerifier* verifier,
                                                          const HttpServerOptions& options,
                                                          std::vector<const HttpView*> views = {},
                                                          core::MetricsRegistry* metrics = nullptr);
  ~HttpService();
  int port() const;
  bool tls() const;
  // Graceful stop, first step: from now on API requests get 503 (an OperationOutcome, "the
  // service is stopping"; the open views still answer), and the requests in progress are waited
  // for until `deadline`.
  void drain(std::chrono::steady_clock::time_point deadline);
  // Stops accepting, closes connections and waits for handlers to finish.
  void stop();
  uint64_t requests() const;

  struct Impl;

 private:
  explicit HttpService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trialbridge::service
