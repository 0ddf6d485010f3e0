#pragma once
// The MLLP listener (docs/mllp.md): HL7 v2 messages over TCP (or TLS), each frame put through
// the pipeline as a ChangeKind::V2Message and answered with its ACK once the pipeline's unit is
// durable. Poco's TCPServer gives each connection a thread of its own: frames on a connection
// are processed and answered in order, connections at once (the store's group commit gathers
// their units).
//
// Limits, each with a log line on standard error naming the peer (never the message's content):
//   maxConnections  a connection over the limit is closed at once;
//   allow           a peer whose address is not in the list is closed at once;
//   maxFrameBytes   a longer frame is dropped as it arrives and the connection closed (no ACK
//                   can be built without the frame's MSH);
//   maxSegments     a message with more segments is answered AR (the pipeline's v2 limits);
//   idleSeconds     a connection with nothing received for this long is closed (a frame still
//                   open is reported as cut);
//   frameSeconds    a frame must end within this long after its start byte (slow senders).
// Bytes before a start byte are ignored (logged once per run), a frame cut by a new start byte
// is dropped (logged), and a frame that ends with 0x1C without 0x0D is taken (logged).
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/issue.h"
#include "core/result.h"

namespace trialbridge::core {
class JsonObjectReader;
class MetricsRegistry;
}  // namespace trialbridge::core
namespace trialbridge::pipeline {
class Pipeline;
}

namespace trialbridge::service {

struct MllpOptions {
  bool enabled = false;
  std::string host = "127.0.0.1";
  int port = 2575;  // 0: any free port (MllpListener::port())
  int maxConnections = 64;
  size_t maxFrameBytes = 2u * 1024u * 1024u;
  // Segments in one message: a message with more is answered AR, its ERR saying "the message has
  // more than N segments", and kept in quarantine (the parser stops counting there).
  uint32_t maxSegments = 10000;
  int idleSeconds = 600;
  int frameSeconds = 60;
  // Addresses ("10.1.2.3", "::1") and networks ("10.1.0.0/16") allowed to connect; empty: all.
  std::vector<std::string> allow;
  // TLS: certificate and key in PEM. clientCa set: client certificates are checked against it
  // (required when requireClientCertificate, else checked when the client sends one).
  bool tls = false;
  std::string certificateFile, privateKeyFile, clientCaFile;
  bool requireClientCertificate = false;
  // The ACK's MSH-3 and MSH-4.
  std::string application = "TRIALBRIDGE";
  std::string facility;
  // The v2 mapping: a site directory of maps (local lab codes, units, coding systems, assigning
  // authorities; docs/mappings.md), as `trialbridge map-v2 --maps`; empty: the embedded ones.
  std::string maps;
  // The zone of times written without one when MSH-7 has none either ("+08:00", "Z"); empty: UTC
  // with a warning on each result that needs it.
  std::string timezone;
  // One log line per message (peer, sender, control id, ACK code, quarantine id).
  bool messageLog = true;
};

// Reads the configuration's "mllp" section into `out` (present: the listener is on unless
// `enabled` is false); problems are reported through the reader, located at the setting.
void readMllpConfig(core::JsonObjectReader& section, MllpOptions& out);

// True when `address` (IPv4 or IPv6 text) is in `allow` (addresses and CIDR networks); an empty
// list allows every address. Bad entries match nothing (readMllpConfig refuses them).
bool addressAllowed(const std::vector<std::string>& allow, const std::string& address);
// Whether `entry` is an address or a network readable by addressAllowed.
bool validAllowEntry(const std::string& entry);

struct MllpStats {
  uint64_t connections = 0;  // accepted
  uint64_t open = 0;         // open now (being served)
  uint64_t refused = 0;      // over the limit or not allowed
  uint64_t messages = 0;     // frames answered
  uint64_t accepted = 0;     // AA
  uint64_t quarantined = 0;  // AE or AR, kept in quarantine
  uint64_t failed = 0;       // AE: not stored (the store failed)
  uint64_t framingErrors = 0;
};

class MllpListener {
 public:
  // Binds and starts. `pipeline` (and `metrics`, when given: the listener's counters and ACK
  // latency are registered there) must outlive the listener.
  static core::Result<std::unique_ptr<MllpListener>> start(
      const pipeline::Pipeline& pipeline, const MllpOptions& options,
      core::MetricsRegistry* metrics = nullptr);
  ~MllpListener();
  int port() const;
  std::string host() const;
  // Stops accepting, ends the connections (a message in progress is finished and answered) and
  // waits for them.
  void stop();
  MllpStats stats() const;

  struct Impl;

 private:
  explicit MllpListener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trialbridge::service
