#pragma once
// The FHIR API over HTTP(S): Poco's HTTPServer with a thread pool, keep-alive, request limits,
// optional TLS (OpenSSL through Poco NetSSL, certificate and key from files) and optional
// bearer-token authentication. Every error, including the ones found before the API sees the
// request (401, 413, 500), is answered with an OperationOutcome.
#include <atomic>
#include <memory>
#include <string>

#include "core/result.h"

namespace trialbridge::service {

class FhirApi;
class QuarantineView;
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
  // Binds and starts serving. `verifier` null: no authentication. `quarantine` (may be null)
  // answers its paths beside the API. `api`, `verifier` and `quarantine` must outlive the
  // service.
  static core::Result<std::unique_ptr<HttpService>> start(
      const FhirApi& api, const TokenVerifier* verifier, const HttpServerOptions& options,
      const QuarantineView* quarantine = nullptr);
  ~HttpService();
  int port() const;
  bool tls() const;
  // Stops accepting, closes connections and waits for handlers to finish.
  void stop();
  uint64_t requests() const;

  struct Impl;

 private:
  explicit HttpService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trialbridge::service
