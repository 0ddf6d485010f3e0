#include "medplum_peer.h"

#include <signal.h>

#include <filesystem>

namespace trialbridge::testing {

MedplumPeer::MedplumPeer() {
  const std::string peers = std::string(TB_SOURCE_ROOT) + "/tests/peers";
  if (!std::filesystem::exists(peers + "/node_modules/@medplum/fhir-router/package.json")) {
    error_ =
        "@medplum/fhir-router is not installed: run 'npm ci' in tests/peers (deploy/test.sh "
        "does)";
    return;
  }
  dir_ = tempDir();
  child_ = spawn({"node", peers + "/medplum_server.mjs"}, peers, dir_ + "/medplum.log");
  if (child_.pid <= 0) {
    error_ = "cannot start node";
    return;
  }
  const std::string out = readUntil(child_.out, "medplum listening ", 60);
  const size_t at = out.find("medplum listening ");
  if (at == std::string::npos) {
    error_ = "the Medplum server did not start: " + out + slurp(dir_ + "/medplum.log");
    return;
  }
  port_ = std::stoi(out.substr(at + 18));
}

MedplumPeer::~MedplumPeer() {
  stopChild(child_, SIGTERM);
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

void MedplumPeer::faults(const std::string& jsonArray) const {
  client().request("POST", "/control/faults", R"({"faults":)" + jsonArray + "}",
                   {{"Content-Type", "application/json"}});
}

void MedplumPeer::down(int ms) const {
  client().request("POST", "/control/down", R"({"ms":)" + std::to_string(ms) + "}",
                   {{"Content-Type", "application/json"}});
}

std::string MedplumPeer::log() const { return client().get("/control/log").body; }

}  // namespace trialbridge::testing
