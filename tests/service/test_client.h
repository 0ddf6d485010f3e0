#pragma once
// Test helpers: a small HTTP(S) client over Poco, a running Service on a loopback port with its
// store in a temporary directory, and keys, certificates and tokens made with OpenSSL.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "service/service.h"

namespace trialbridge::testing {

struct Reply {
  int status = 0;
  std::string reason;                          // the status line's reason phrase
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? std::string() : it->second;
  }
};

class Client {
 public:
  Client(std::string host, int port, bool tls = false)
      : host_(std::move(host)), port_(port), tls_(tls) {}
  Reply request(const std::string& method, const std::string& uri, const std::string& body = {},
                std::vector<std::pair<std::string, std::string>> headers = {}) const;
  Reply get(const std::string& uri) const { return request("GET", uri); }
  Reply post(const std::string& uri, const std::string& json) const {
    return request("POST", uri, json, {{"Content-Type", "application/fhir+json"}});
  }
  Reply put(const std::string& uri, const std::string& json) const {
    return request("PUT", uri, json, {{"Content-Type", "application/fhir+json"}});
  }
  void setBearer(std::string token) { bearer_ = std::move(token); }

 private:
  std::string host_;
  int port_;
  bool tls_;
  std::string bearer_;
};

// A Service on 127.0.0.1 (any free port) with an SQLite store in a fresh temporary directory.
class TestServer {
 public:
  // `configJson` is parsed over the test defaults (port 0, temp store, no profile packages).
  explicit TestServer(const std::string& configJson = "{}");
  ~TestServer();
  bool ok() const { return service_ != nullptr; }
  const std::string& error() const { return error_; }
  service::Service& service() { return *service_; }
  int port() const { return service_->port(); }
  std::string dir() const { return dir_; }
  Client client() const { return Client("127.0.0.1", port(), tls_); }

 private:
  std::string dir_, error_;
  bool tls_ = false;
  std::unique_ptr<service::Service> service_;
};

// A new temporary directory.
std::string tempDir();
void writeFile(const std::string& path, const std::string& text);

// Keys and tokens.
struct SigningKey {
  std::string alg;  // RS256 or ES256
  std::string kid;
  std::string jwk;  // the public JWK (JSON object)
  std::shared_ptr<void> pkey;
};
SigningKey makeRsaKey(const std::string& kid);
SigningKey makeEcKey(const std::string& kid);
std::string jwks(const std::vector<const SigningKey*>& keys);
// A compact JWS with these claims (a JSON object text), signed with `key`.
std::string signJwt(const SigningKey& key, const std::string& claimsJson);
// A self-signed certificate (CN=localhost) and its key, written as PEM files.
void makeCertificate(const std::string& certPath, const std::string& keyPath);

// An MLLP sender that waits for each ACK (one message in flight, as MLLP senders do).
class MllpClient {
 public:
  explicit MllpClient(int port);
  ~MllpClient();
  bool connected() const { return socket_ != nullptr; }
  // Sends one message in its frame; its ACK's payload, or "" when the connection failed or was
  // closed before an ACK came (within `seconds`).
  std::string exchange(const std::string& message, int seconds = 30);

 private:
  std::shared_ptr<void> socket_;  // Poco::Net::StreamSocket, kept out of this header
  std::string pending_;
};

// A value from a JSON text: a dotted path of member names and array indexes
// ("entry.0.resource.id"); "" when absent. Numbers and booleans come back as their JSON text.
std::string jsonAt(const std::string& json, const std::string& path);
size_t jsonSize(const std::string& json, const std::string& path);

}  // namespace trialbridge::testing
