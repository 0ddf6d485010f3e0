#include "service/mllp_listener.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Net/TCPServerParams.h>
#include <Poco/ThreadPool.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <mutex>
#include <optional>

#include "core/metrics.h"
#include "hl7v2/ack.h"
#include "hl7v2/mllp.h"
#include "pipeline/pipeline.h"

namespace trialbridge::service {

using hl7v2::AckCode;
using hl7v2::MllpEvent;
using Clock = std::chrono::steady_clock;

struct MllpListener::Impl {
  const pipeline::Pipeline& pipeline;
  MllpOptions options;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::TCPServer> server;
  int port = 0;
  bool stopped = false;
  std::atomic<bool> stopping{false};
  std::atomic<int> active{0};
  std::atomic<uint64_t> ackSeq{0};
  std::string ackPrefix;
  std::atomic<uint64_t> connections{0}, refused{0}, messages{0}, accepted{0}, quarantined{0},
      failed{0}, framingErrors{0};
  std::mutex logMutex;
  // Metrics (null without a registry).
  core::Counter* received = nullptr;
  core::Counter* quarantinedTotal = nullptr;
  core::Counter* duplicates = nullptr;
  core::MetricFamily* acks = nullptr;
  core::Histogram* ackSeconds = nullptr;
  core::Gauge* openGauge = nullptr;
  core::Counter* connectionsTotal = nullptr;
  core::Counter* refusedTotal = nullptr;

  Impl(const pipeline::Pipeline& p, MllpOptions o) : pipeline(p), options(std::move(o)) {}

  void registerMetrics(core::MetricsRegistry& m) {
    received = &m.counter("trialbridge_mllp_messages_received_total",
                          "HL7 v2 messages received over MLLP (frames taken)")
                    .counter();
    quarantinedTotal = &m.counter("trialbridge_mllp_messages_quarantined_total",
                                  "HL7 v2 messages kept in quarantine (AE or AR)")
                            .counter();
    duplicates = &m.counter("trialbridge_mllp_duplicates_total",
                            "HL7 v2 messages resent (same MSH-3/MSH-4/MSH-10): answered again, "
                            "nothing new stored")
                      .counter();
    acks = &m.counter("trialbridge_mllp_acks_total", "ACKs sent, by MSA-1 code", {"code"});
    for (const char* code : {"AA", "AE", "AR", "CA", "CE", "CR"}) acks->counter({code});
    openGauge = &m.gauge("trialbridge_mllp_connections_open", "MLLP connections open now").gauge();
    connectionsTotal =
        &m.counter("trialbridge_mllp_connections_total", "MLLP connections accepted (served)")
             .counter();
    refusedTotal = &m.counter("trialbridge_mllp_connections_refused_total",
                              "MLLP connections refused (not in mllp.allow, or over "
                              "mllp.maxConnections)")
                        .counter();
    ackSeconds =
        &m.histogram("trialbridge_mllp_ack_seconds",
                     "time from a frame's end to its ACK(s) sent (durable commit included)",
                     core::latencyBuckets())
             .histogram();
  }
  void countRefused() {
    refused++;
    if (refusedTotal != nullptr) refusedTotal->inc();
  }
  // A connection served: counted, and open until `opened` is false.
  void countOpen(bool opened) {
    if (opened) {
      connections++;
      if (connectionsTotal != nullptr) connectionsTotal->inc();
    }
    if (openGauge != nullptr) openGauge->add(opened ? 1 : -1);
  }
  void countAck(AckCode code) {
    if (acks != nullptr) acks->counter({hl7v2::ackCodeName(code)}).inc();
  }

  void log(const std::string& line) {
    std::lock_guard lock(logMutex);
    std::cerr << "trialbridge serve: mllp: " << line << "\n";
  }
  // A unique ACK control id (MSH-10 of the ACK, at most 20 characters).
  std::string nextAckId() { return ackPrefix + std::to_string(++ackSeq); }
};

namespace {

// One connection, on a thread of the server's pool: frames are read, processed and answered in
// the order they came.
class Connection final : public Poco::Net::TCPServerConnection {
 public:
  Connection(const Poco::Net::StreamSocket& socket, MllpListener::Impl& impl)
      : TCPServerConnection(socket), impl_(impl), decoder_(impl.options.maxFrameBytes) {}

  void run() override {
    try {
      peer_ = socket().peerAddress().host().toString();
    } catch (const Poco::Exception&) {
      return;  // gone before it started
    }
    if (impl_.active.fetch_add(1) >= impl_.options.maxConnections) {
      impl_.active--;
      impl_.countRefused();
      impl_.log("refused " + peer_ + ": " + std::to_string(impl_.options.maxConnections) +
                " connections already (mllp.maxConnections)");
      return;
    }
    impl_.countOpen(true);
    try {
      serve();
    } catch (const Poco::Exception& e) {
      impl_.log("connection from " + peer_ + " ended: " + e.displayText());
    } catch (const std::exception& e) {
      impl_.log("connection from " + peer_ + " ended: " + e.what());
    }
    impl_.countOpen(false);
    impl_.active--;
  }

 private:
  void serve() {
    socket().setReceiveTimeout(Poco::Timespan(0, 250 * 1000));
    socket().setNoDelay(true);
    const auto idle = std::chrono::seconds(impl_.options.idleSeconds);
    const auto frameLimit = std::chrono::seconds(impl_.options.frameSeconds);
    Clock::time_point last = Clock::now();
    std::optional<Clock::time_point> frameStart;
    std::vector<MllpEvent> events;
    std::vector<char> buf(64 * 1024);
    while (!impl_.stopping.load()) {
      int n = 0;
      try {
        n = socket().receiveBytes(buf.data(), static_cast<int>(buf.size()));
      } catch (const Poco::TimeoutException&) {
        const Clock::time_point now = Clock::now();
        if (frameStart && now - *frameStart > frameLimit) {
          return close("a frame was not finished within " +
                       std::to_string(impl_.options.frameSeconds) + " s (mllp.frameSeconds)");
        }
        if (now - last > idle) {
          return close("nothing received for " + std::to_string(impl_.options.idleSeconds) +
                       " s (mllp.idleSeconds)");
        }
        continue;
      }
      if (n <= 0) return close("");
      last = Clock::now();
      events.clear();
      decoder_.feed(std::string_view(buf.data(), static_cast<size_t>(n)), events);
      for (MllpEvent& e : events) {
        // Stopping: what is not being processed yet is left to the sender's resend (to another
        // node): not answered, so not lost.
        if (impl_.stopping.load()) return close("the service is stopping");
        if (!handle(e)) return;
      }
      if (!decoder_.inFrame()) {
        frameStart.reset();
      } else if (!frameStart) {
        frameStart = last;
      }
    }
  }

  // The end of the connection: what the decoder still holds, and why it ends ("" when the peer
  // closed it).
  void close(const std::string& why) {
    std::vector<MllpEvent> events;
    decoder_.finish(events);
    for (MllpEvent& e : events) handle(e);
    if (!why.empty()) impl_.log("closed the connection from " + peer_ + ": " + why);
  }

  // False when the connection must end.
  bool handle(MllpEvent& e) {
    const std::string at = " at byte " + std::to_string(e.offset) + " from " + peer_;
    switch (e.kind) {
      case MllpEvent::Kind::Frame: return process(std::move(e.payload));
      case MllpEvent::Kind::MissingCarriageReturn:
        impl_.framingErrors++;
        impl_.log("a frame ended by 0x1C without 0x0D" + at + " (taken)");
        return process(std::move(e.payload));
      case MllpEvent::Kind::Junk:
        impl_.framingErrors++;
        impl_.log(std::to_string(e.size) + " bytes outside a frame ignored" + at);
        return true;
      case MllpEvent::Kind::Unterminated:
        impl_.framingErrors++;
        impl_.log("a frame was cut off after " + std::to_string(e.size) + " bytes" + at +
                  ": dropped, not answered");
        return true;
      case MllpEvent::Kind::Oversized:
        impl_.framingErrors++;
        impl_.log("a frame is longer than " + std::to_string(e.size) +
                  " bytes (mllp.maxFrameBytes)" + at + ": dropped, connection closed");
        return false;
    }
    return true;
  }

  // Puts a message through the pipeline and sends its ACK(s) once its unit is durable.
  bool process(std::string bytes) {
    const auto started = Clock::now();
    if (impl_.received != nullptr) impl_.received->inc();
    pipeline::Change change = pipeline::Change::v2Message(std::move(bytes));
    change.source = peer_;
    pipeline::Options options;
    options.actor = {"mllp", peer_};
    const pipeline::Result r = impl_.pipeline.apply(std::move(change), options);
    impl_.messages++;
    if (!r.v2) {
      impl_.failed++;
      impl_.log("a message from " + peer_ +
                " was not processed: " + std::string(pipeline::statusName(r.status)));
      return false;
    }
    const pipeline::V2Answer& a = *r.v2;
    const bool stored = r.status != pipeline::Status::Internal;
    if (r.replayed && impl_.duplicates != nullptr) impl_.duplicates->inc();
    if (a.code == AckCode::AA) {
      impl_.accepted++;
    } else if (stored) {
      impl_.quarantined++;
      if (impl_.quarantinedTotal != nullptr && !r.replayed) impl_.quarantinedTotal->inc();
    } else {
      impl_.failed++;
    }
    std::string out;
    const hl7v2::AckPlan plan =
        hl7v2::planAcks(a.header.acceptAckType, a.header.applicationAckType, a.code == AckCode::AA);
    hl7v2::AckOptions ack;
    ack.application = impl_.options.application;
    ack.facility = impl_.options.facility;
    if (plan.enhanced && plan.accept) {
      // Committed to safe storage (in quarantine too), or not (CE), or rejected (CR).
      const AckCode accept =
          !stored ? AckCode::CE : (a.code == AckCode::AR ? AckCode::CR : AckCode::CA);
      ack.controlId = impl_.nextAckId();
      const core::Issues none;
      out += hl7v2::mllpFrame(
          hl7v2::buildAck(a.header, accept, accept == AckCode::CA ? none : r.issues, ack));
      impl_.countAck(accept);
    }
    if (!plan.enhanced || plan.application) {
      ack.controlId = impl_.nextAckId();
      out += hl7v2::mllpFrame(hl7v2::buildAck(a.header, a.code, r.issues, ack));
      impl_.countAck(a.code);
    }
    if (impl_.options.messageLog) {
      impl_.log(peer_ + " " + a.header.sendingApplication + "|" + a.header.sendingFacility +
                " control id " + a.header.controlId + ": " +
                std::string(hl7v2::ackCodeName(a.code)) + (r.replayed ? " (resent)" : "") +
                (a.quarantineId.empty() ? "" : ", quarantine " + a.quarantineId) +
                (stored ? "" : ", NOT stored"));
    }
    const bool sent = send(out);
    if (impl_.ackSeconds != nullptr) {
      impl_.ackSeconds->observe(std::chrono::duration<double>(Clock::now() - started).count());
    }
    return sent;
  }

  bool send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const int n = socket().sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent));
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  MllpListener::Impl& impl_;
  hl7v2::MllpDecoder decoder_;
  std::string peer_;
};

class Factory final : public Poco::Net::TCPServerConnectionFactory {
 public:
  explicit Factory(MllpListener::Impl& impl) : impl_(impl) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& s) override {
    return new Connection(s, impl_);
  }

 private:
  MllpListener::Impl& impl_;
};

// The allow-list, checked before a thread is given to the connection.
class AllowFilter final : public Poco::Net::TCPServerConnectionFilter {
 public:
  explicit AllowFilter(MllpListener::Impl& impl) : impl_(impl) {}
  bool accept(const Poco::Net::StreamSocket& socket) override {
    std::string peer;
    try {
      peer = socket.peerAddress().host().toString();
    } catch (const Poco::Exception&) {
      return false;
    }
    if (addressAllowed(impl_.options.allow, peer)) return true;
    impl_.countRefused();
    impl_.log("refused " + peer + ": not in mllp.allow");
    return false;
  }

 private:
  MllpListener::Impl& impl_;
};

Poco::Net::Context::Ptr tlsContext(const MllpOptions& o) {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
  Poco::Net::Context::Params p;
  p.privateKeyFile = o.privateKeyFile;
  p.certificateFile = o.certificateFile;
  p.caLocation = o.clientCaFile;
  p.verificationMode = o.clientCaFile.empty()       ? Poco::Net::Context::VERIFY_NONE
                       : o.requireClientCertificate ? Poco::Net::Context::VERIFY_STRICT
                                                    : Poco::Net::Context::VERIFY_RELAXED;
  p.loadDefaultCAs = false;
  p.cipherList = "HIGH:!aNULL:!MD5:!RC4:@STRENGTH";
  Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, p);
  ctx->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                        Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
  // A client certificate is checked against the CA (OpenSSL's chain check); Poco's extended
  // check would also match its name against the client's address, which means nothing here.
  ctx->enableExtendedCertificateVerification(false);
  return ctx;
}

}  // namespace

core::Result<std::unique_ptr<MllpListener>> MllpListener::start(const pipeline::Pipeline& pipeline,
                                                                const MllpOptions& options,
                                                                core::MetricsRegistry* metrics) {
  using R = core::Result<std::unique_ptr<MllpListener>>;
  auto impl = std::make_unique<Impl>(pipeline, options);
  if (metrics != nullptr) impl->registerMetrics(*metrics);
  // ACK ids: the start time in seconds (base 36) and a counter, unique across restarts.
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  std::string prefix;
  for (auto v = secs; v > 0; v /= 36)
    prefix.insert(prefix.begin(), "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[v % 36]);
  impl->ackPrefix = "TB" + prefix + "-";
  try {
    const Poco::Net::SocketAddress address(options.host, static_cast<Poco::UInt16>(options.port));
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    if (options.tls) {
      Poco::Net::Context::Ptr ctx;
      try {
        ctx = tlsContext(options);
      } catch (const Poco::Exception& e) {
        return R::error(
            "mllp: cannot load the TLS certificate '" + options.certificateFile + "', key '" +
            options.privateKeyFile + "'" +
            (options.clientCaFile.empty() ? "" : " or CA '" + options.clientCaFile + "'") + ": " +
            e.displayText());
      }
      socket = std::make_unique<Poco::Net::SecureServerSocket>(ctx);
    } else {
      socket = std::make_unique<Poco::Net::ServerSocket>();
    }
    socket->bind(address, true, false);
    socket->listen(256);
    impl->port = socket->address().port();
    auto* params = new Poco::Net::TCPServerParams();
    // A thread for every allowed connection and a few more, so that one over the limit is told
    // so (and logged) rather than left waiting in the queue.
    const int threads = options.maxConnections + 4;
    params->setMaxThreads(threads);
    params->setMaxQueued(threads);
    impl->pool = std::make_unique<Poco::ThreadPool>(2, threads + 2);
    impl->server =
        std::make_unique<Poco::Net::TCPServer>(new Factory(*impl), *impl->pool, *socket, params);
    impl->server->setConnectionFilter(new AllowFilter(*impl));
    impl->server->start();
  } catch (const Poco::Exception& e) {
    return R::error("mllp: cannot listen on " + options.host + ":" + std::to_string(options.port) +
                    ": " + e.displayText());
  }
  return R(std::unique_ptr<MllpListener>(new MllpListener(std::move(impl))));
}

MllpListener::MllpListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MllpListener::~MllpListener() { stop(); }

int MllpListener::port() const { return impl_->port; }
std::string MllpListener::host() const { return impl_->options.host; }

void MllpListener::stop() {
  if (impl_ == nullptr || impl_->stopped) return;
  impl_->stopped = true;
  impl_->server->stop();
  impl_->stopping = true;  // connections notice within their receive timeout
  impl_->pool->joinAll();
}

MllpStats MllpListener::stats() const {
  MllpStats s;
  s.connections = impl_->connections.load();
  s.open = static_cast<uint64_t>(std::max(0, impl_->active.load()));
  s.refused = impl_->refused.load();
  s.messages = impl_->messages.load();
  s.accepted = impl_->accepted.load();
  s.quarantined = impl_->quarantined.load();
  s.failed = impl_->failed.load();
  s.framingErrors = impl_->framingErrors.load();
  return s;
}

}  // namespace trialbridge::service
