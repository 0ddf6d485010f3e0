#pragma once
// HTTP to one FHIR registry server, for the publisher (publisher.h): plain HTTP or TLS with the
// peer always verified (the system's CAs or the target's CA file, and the host name), a bearer
// token read from a file, a timeout per request, and a rate limit (a token bucket shared by all
// requests to the target). One request per send(): retrying is the publisher's decision, since
// a write whose answer was lost must be checked before it is sent again. The pure parts (backoff,
// Retry-After, the token bucket, what is worth retrying) are free functions, tested on their own.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "service/registry_config.h"

namespace trialbridge::service {

struct RegistryReply {
  // 0 when no HTTP answer came: then `error` says why (refused, reset, timeout, TLS) and `sent`
  // whether the request may have reached the server (its answer is then unknown).
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  std::string body;
  std::string error;
  bool sent = false;

  std::string header(std::string_view lowerName) const;
  bool ok() const { return status >= 200 && status < 300; }
  // A failure that may pass: no answer, 408, 429, 500, 502, 503, 504.
  bool transient() const;
  // For messages: "HTTP 500 (diagnostics...)" or the transport error.
  std::string describe() const;
};

// The delay before try `attempt` (1 for the first retry): a random time from 0 to
// min(maxMs, baseMs * 2^(attempt-1)) ("full jitter", so that many clients do not retry in step).
int64_t backoffDelay(int attempt, int64_t baseMs, int64_t maxMs, std::mt19937_64& random);
// A Retry-After value (delay-seconds, or an HTTP-date) as milliseconds from `nowMs` (epoch
// milliseconds); nullopt when it is neither. A date in the past gives 0.
std::optional<int64_t> parseRetryAfter(std::string_view value, int64_t nowMs);
// The version in an ETag (W/"3", "3"); "" when it is not one.
std::string etagVersion(std::string_view etag);

// A token bucket: `perMinute` tokens a minute, at most `burst` saved up.
class RateLimiter {
 public:
  RateLimiter(int perMinute, int burst);
  // Takes a token at `nowMs` and returns how long to wait before using it (0: now).
  int64_t reserve(int64_t nowMs);

 private:
  std::mutex mutex_;
  double perMs_;
  double burst_;
  double tokens_;
  int64_t lastMs_ = -1;
};

class RegistryClient {
 public:
  // Checks the target's URL and CA file; the token file is read at each request (rotation).
  static core::Result<std::unique_ptr<RegistryClient>> create(const RegistryTarget& target);
  ~RegistryClient();

  // One request to `base + pathAndQuery` (pathAndQuery starts with '/'), after the rate
  // limiter's wait. FHIR JSON in and out; `headers` are added (If-Match...).
  RegistryReply send(const std::string& method, const std::string& pathAndQuery,
                     const std::string& body = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {});

  const RegistryTarget& target() const { return target_; }

 private:
  explicit RegistryClient(const RegistryTarget& target);
  struct Impl;
  RegistryTarget target_;
  RateLimiter limiter_;
  std::unique_ptr<Impl> impl_;
};

// Epoch milliseconds now (the system clock), as the publisher stamps and waits.
int64_t epochMillis();

}  // namespace trialbridge::service
