#pragma once
// The Medplum FHIR server of tests/peers/medplum_server.mjs (@medplum/fhir-router over its
// in-memory repository), run by `node` as a child process on a free loopback port, with its
// fault switches (500, 429 with Retry-After, dropped connections, answers lost after the write,
// delays, down for a while). Node and the packages come from deploy/test.sh (`npm ci` in
// tests/peers); a test that cannot start it fails with the reason.
#include <string>

#include "child_process.h"
#include "test_client.h"

namespace trialbridge::testing {

class MedplumPeer {
 public:
  MedplumPeer();
  ~MedplumPeer();
  bool ok() const { return port_ > 0; }
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_) + "/fhir"; }
  Client client() const { return Client("127.0.0.1", port_); }

  // Queues faults: a JSON array of {"method", "action", "count", "path", "retryAfter", "ms"}.
  void faults(const std::string& jsonArray) const;
  // Stops listening for `ms` milliseconds.
  void down(int ms) const;
  // The requests it received (JSON array, see medplum_server.mjs).
  std::string log() const;

 private:
  Child child_;
  std::string dir_, error_;
  int port_ = 0;
};

}  // namespace trialbridge::testing
