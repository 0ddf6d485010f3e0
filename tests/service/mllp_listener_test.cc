// The MLLP listener (service/mllp_listener.cc) in a running service on a loopback port, over
// real sockets: ordering, the framing departures and limits of docs/mllp.md, bad messages with
// their ACK codes and ERR segments ending in quarantine, enhanced-mode ACKs, the REST view of
// the quarantine, TLS with client certificates, a trial loaded without its secret.
#include <gtest/gtest.h>

#include <Poco/Net/Context.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "hl7v2/mllp.h"
#include "service/mllp_listener.h"
#include "study/trial_reader.h"
#include "test_client.h"

namespace trialbridge::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string oru(const std::string& controlId, const std::string& msh15 = "",
                const std::string& msh16 = "", const std::string& obx11 = "F") {
  return "MSH|^~\\&|LAB|HOSP|TRIALBRIDGE|SITE|20250301120000+0800||ORU^R01^ORU_R01|" + controlId +
         "|P|2.5.1|||" + msh15 + "|" + msh16 +
         "\r"
         "PID|1||MRN123^^^HOSP^MR||Doe^Jane||19800101|F\r"
         "OBR|1||F1|26515-7^Platelets^LN|||20250301100000+0800|||||||||||||||"
         "20250301110000+0800|||F\r"
         "OBX|1|NM|26515-7^Platelets^LN||145|10*9/L|150-400|L|||" +
         obx11 + "|||20250301100000+0800\r";
}

std::string frame(const std::string& m) { return hl7v2::mllpFrame(m); }

// The value of an ACK's segment field ("MSA", 1), by the ACK's own field separator (MSH-1 being
// the separator, MSH-n is the (n-1)th after the segment id).
std::string field(const std::string& ack, const std::string& segment, size_t n) {
  if (ack.size() < 4) return "";
  if (segment == "MSH") --n;
  const char sep = ack[3];
  size_t at = ack.rfind(segment + sep, 0) == 0 ? 0 : ack.find("\r" + segment + sep);
  if (at == std::string::npos) return "";
  if (ack[at] == '\r') ++at;
  const std::string line = ack.substr(at, ack.find('\r', at) - at);
  size_t pos = 0;
  for (size_t i = 0; i < n && pos != std::string::npos; ++i) pos = line.find(sep, pos + 1);
  if (pos == std::string::npos) return "";
  const size_t end = line.find(sep, pos + 1);
  return line.substr(pos + 1, end == std::string::npos ? std::string::npos : end - pos - 1);
}

// A sender on a plain or TLS socket.
class Peer {
 public:
  explicit Peer(int port) : socket_(Poco::Net::SocketAddress("127.0.0.1", port)) { setup(); }
  explicit Peer(Poco::Net::StreamSocket socket) : socket_(std::move(socket)) { setup(); }

  void send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      sent += static_cast<size_t>(
          socket_.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent)));
    }
  }
  // The ACK frames received until there are `n`, the server closed, or `seconds` passed.
  std::vector<std::string> acks(size_t n, int seconds = 15) {
    const auto deadline = Clock::now() + std::chrono::seconds(seconds);
    while (frames_.size() < n && !closed_ && Clock::now() < deadline) read();
    return frames_;
  }
  // Whether the server closed the connection within `seconds`.
  bool closedWithin(int seconds) {
    const auto deadline = Clock::now() + std::chrono::seconds(seconds);
    while (!closed_ && Clock::now() < deadline) read();
    return closed_;
  }
  void shutdownSend() { socket_.shutdownSend(); }

 private:
  void setup() { socket_.setReceiveTimeout(Poco::Timespan(0, 200 * 1000)); }
  void read() {
    char buf[8192];
    try {
      const int n = socket_.receiveBytes(buf, sizeof buf);
      if (n <= 0) {
        closed_ = true;
        return;
      }
      std::vector<hl7v2::MllpEvent> events;
      decoder_.feed(std::string_view(buf, static_cast<size_t>(n)), events);
      for (auto& e : events) {
        if (e.isFrame()) frames_.push_back(std::move(e.payload));
      }
    } catch (const Poco::TimeoutException&) {
    } catch (const Poco::Exception&) {
      closed_ = true;  // reset by the server
    }
  }
  Poco::Net::StreamSocket socket_;
  hl7v2::MllpDecoder decoder_;
  std::vector<std::string> frames_;
  bool closed_ = false;
};

class MllpServer {
 public:
  explicit MllpServer(const std::string& mllp = R"({"port":0})")
      : server_(R"({"mllp":)" + mllp + "}") {}
  bool ok() const { return server_.ok(); }
  const std::string& error() const { return server_.error(); }
  int port() { return server_.service().mllp()->port(); }
  Client http() const { return server_.client(); }
  service::MllpStats stats() { return server_.service().mllp()->stats(); }
  TestServer& server() { return server_; }

 private:
  TestServer server_;
};

#define START(srv)                      \
  ASSERT_TRUE(srv.ok()) << srv.error(); \
  ASSERT_NE(srv.server().service().mllp(), nullptr)

TEST(MllpListener, FramesOnOneConnectionAreAnsweredInOrder) {
  MllpServer s;
  START(s);
  Peer p(s.port());
  p.send(frame(oru("M-1")) + frame(oru("M-2")) + frame(oru("M-3")));
  const auto acks = p.acks(3);
  ASSERT_EQ(acks.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(field(acks[i], "MSA", 1), "AA") << acks[i];
    EXPECT_EQ(field(acks[i], "MSA", 2), "M-" + std::to_string(i + 1));
    EXPECT_EQ(field(acks[i], "MSH", 9), "ACK^R01^ACK");
  }
  EXPECT_NE(field(acks[0], "MSH", 10), field(acks[1], "MSH", 10));  // each ACK its own id
}

TEST(MllpListener, BytesBeforeAStartByteAreIgnored) {
  MllpServer s;
  START(s);
  Peer p(s.port());
  p.send("hello\r\n\x1C\r" + frame(oru("J-1")));
  const auto acks = p.acks(1);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(field(acks[0], "MSA", 1), "AA");
  EXPECT_EQ(s.stats().framingErrors, 1u);
}

TEST(MllpListener, AFrameCutByANewStartByteIsDroppedAndTheNextAnswered) {
  MllpServer s;
  START(s);
  Peer p(s.port());
  const std::string first = oru("CUT-1");
  p.send("\x0B" + first.substr(0, first.size() / 2) + frame(oru("CUT-2")));
  const auto acks = p.acks(2, 3);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(field(acks[0], "MSA", 2), "CUT-2");
  EXPECT_EQ(s.stats().messages, 1u);
}

TEST(MllpListener, AFrameEndedWithoutItsCarriageReturnIsTaken) {
  MllpServer s;
  START(s);
  Peer p(s.port());
  p.send("\x0B" + oru("CR-1") + "\x1C" + frame(oru("CR-2")));
  const auto acks = p.acks(2);
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(field(acks[0], "MSA", 2), "CR-1");
  EXPECT_EQ(field(acks[1], "MSA", 2), "CR-2");
}

TEST(MllpListener, AFrameWithoutItsEndBytesIsNotAnsweredNorStored) {
  MllpServer s;
  START(s);
  {
    Peer p(s.port());
    p.send("\x0B" + oru("END-1"));
    p.shutdownSend();
    EXPECT_TRUE(p.closedWithin(5));
    EXPECT_TRUE(p.acks(1, 1).empty());
  }
  EXPECT_EQ(s.stats().messages, 0u);
  // Sent again whole, it is new: accepted, not a resend.
  Peer again(s.port());
  again.send(frame(oru("END-1")));
  const auto acks = again.acks(1);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(field(acks[0], "MSA", 1), "AA");
}

TEST(MllpListener, AnOversizedFrameClosesTheConnection) {
  MllpServer s(R"({"port":0,"maxFrameBytes":2048})");
  START(s);
  Peer p(s.port());
  std::string big = oru("BIG-1");
  while (big.size() < 5000) big += "NTE|1||" + std::string(200, 'x') + "\r";
  p.send(frame(big));
  EXPECT_TRUE(p.closedWithin(5));
  EXPECT_TRUE(p.acks(1, 1).empty());
  Peer next(s.port());
  next.send(frame(oru("SMALL-1")));
  ASSERT_EQ(next.acks(1).size(), 1u);
}

TEST(MllpListener, AnIdleSenderIsDisconnected) {
  MllpServer s(R"({"port":0,"idleSeconds":1})");
  START(s);
  Peer p(s.port());
  const auto start = Clock::now();
  EXPECT_TRUE(p.closedWithin(5));
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(900));
}

TEST(MllpListener, AFrameMustEndInTime) {
  MllpServer s(R"({"port":0,"idleSeconds":30,"frameSeconds":1})");
  START(s);
  Peer p(s.port());
  p.send("\x0BMSH|");
  bool closed = false;
  for (int i = 0; i < 20 && !closed; ++i) {  // one byte every 250 ms: never idle, never done
    try {
      p.send("^");
    } catch (const Poco::Exception&) {
      closed = true;
      break;
    }
    closed = p.closedWithin(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_TRUE(closed || p.closedWithin(2));
  EXPECT_EQ(s.stats().messages, 0u);
}

TEST(MllpListener, ConnectionsOverTheLimitAreClosed) {
  MllpServer s(R"({"port":0,"maxConnections":2})");
  START(s);
  Peer a(s.port()), b(s.port());
  a.send(frame(oru("L-1")));
  b.send(frame(oru("L-2")));
  ASSERT_EQ(a.acks(1).size(), 1u);
  ASSERT_EQ(b.acks(1).size(), 1u);
  Peer c(s.port());
  EXPECT_TRUE(c.closedWithin(5));
  EXPECT_EQ(s.stats().refused, 1u);
  EXPECT_EQ(s.stats().connections, 2u);
  EXPECT_EQ(s.stats().open, 2u);  // a and b are still connected
}

TEST(MllpListener, SendersNotInTheAllowListAreRefused) {
  MllpServer s(R"({"port":0,"allow":["10.0.0.0/8","::1"]})");
  START(s);
  Peer p(s.port());
  EXPECT_TRUE(p.closedWithin(5));
  EXPECT_EQ(s.stats().refused, 1u);
  MllpServer open(R"({"port":0,"allow":["127.0.0.0/8"]})");
  START(open);
  Peer q(open.port());
  q.send(frame(oru("A-1")));
  EXPECT_EQ(q.acks(1).size(), 1u);
}

TEST(MllpListener, BadMessagesGetTheirAckAndEndInQuarantineOnce) {
  MllpServer s;
  START(s);
  const std::string adt =
      "MSH|^~\\&|LAB|HOSP|TRIALBRIDGE|SITE|20250301120000+0800||ADT^A01^ADT_A01|BAD-1|P|2.5.1\r"
      "PID|1||MRN123^^^HOSP^MR||Doe^Jane\r";
  const std::string badStatus = oru("BAD-2", "", "", "Q");
  const std::string noHeader = "PID|1||MRN123\r";
  for (int round = 0; round < 2; ++round) {
    Peer p(s.port());
    p.send(frame(adt) + frame(badStatus) + frame(noHeader));
    const auto acks = p.acks(3);
    ASSERT_EQ(acks.size(), 3u);
    EXPECT_EQ(field(acks[0], "MSA", 1), "AR");
    EXPECT_EQ(field(acks[0], "MSA", 2), "BAD-1");
    EXPECT_EQ(field(acks[0], "ERR", 2), "MSH^1^9^1^1");
    EXPECT_EQ(field(acks[0], "ERR", 3), "200^Unsupported message type^HL70357");
    EXPECT_NE(field(acks[0], "ERR", 8).find("unsupported message type"), std::string::npos);
    EXPECT_EQ(field(acks[1], "MSA", 1), "AE");
    EXPECT_EQ(field(acks[1], "ERR", 2), "OBX^1^11^1");
    EXPECT_EQ(field(acks[1], "ERR", 3), "103^Table value not found^HL70357");
    EXPECT_EQ(field(acks[2], "MSA", 1), "AR");
  }
  const Reply list = s.http().get("/mllp/quarantine");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(jsonAt(list.body, "total"), "3");
  EXPECT_EQ(list.body.find("Doe"), std::string::npos);  // no bytes in the listing
  const std::string id = jsonAt(list.body, "entries.0.id");
  const Reply one = s.http().get("/mllp/quarantine/" + id);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(jsonAt(one.body, "status"), "open");
  EXPECT_EQ(s.http().get("/mllp/quarantine/nothing").status, 404);
  EXPECT_EQ(s.http().get("/mllp/quarantine?status=open").status, 200);
  EXPECT_EQ(s.http().get("/mllp/quarantine?status=lost").status, 400);
  EXPECT_EQ(s.http().request("DELETE", "/mllp/quarantine/" + id).status, 405);
  EXPECT_EQ(s.stats().quarantined, 6u);  // three, then the same three answered again
}

// The study context cannot match a patient without the trial's secret: the message waits in
// the quarantine (AE) to be retried once the secret is there, instead of being taken for a
// patient who is no subject. (Subjects' messages stored: tests/service/study_end_to_end_test.cc.)
TEST(MllpListener, ATrialWithoutItsSecretPutsResultsInQuarantine) {
  unsetenv("TRIALBRIDGE_SECRET_NCT06813157");
  MllpServer s;
  START(s);
  core::Issues issues;
  std::ifstream in(std::string(TB_SOURCE_ROOT) + "/samples/trials/NCT06813157.json");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::optional<study::Trial> trial = study::readTrial(text, issues);
  ASSERT_TRUE(trial);
  ASSERT_TRUE(s.server().service().loadTrial(*trial, {}).ok());
  Peer p(s.port());
  p.send(frame(oru("NOSECRET-1")));
  const auto acks = p.acks(1);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(field(acks[0], "MSA", 1), "AE");
  EXPECT_NE(field(acks[0], "ERR", 8).find("pseudonymisation secret"), std::string::npos) << acks[0];
  EXPECT_EQ(jsonAt(s.http().get("/mllp/quarantine").body, "total"), "1");
}

TEST(MllpListener, EnhancedModeSendsTheAcknowledgmentsAsked) {
  MllpServer s;
  START(s);
  Peer p(s.port());
  p.send(frame(oru("E-1", "AL", "NE")) + frame(oru("E-2", "AL", "AL")) +
         frame(oru("E-3", "NE", "ER", "Q")));
  const auto acks = p.acks(4);
  ASSERT_EQ(acks.size(), 4u);
  EXPECT_EQ(field(acks[0], "MSA", 1), "CA");
  EXPECT_EQ(field(acks[0], "MSA", 2), "E-1");
  EXPECT_EQ(field(acks[1], "MSA", 1), "CA");
  EXPECT_EQ(field(acks[2], "MSA", 1), "AA");
  EXPECT_EQ(field(acks[2], "MSA", 2), "E-2");
  EXPECT_EQ(field(acks[3], "MSA", 1), "AE");  // NE: no accept ACK; ER: the error
  EXPECT_EQ(field(acks[3], "MSA", 2), "E-3");
}

// TLS with client certificates: a client with the CA's certificate is served; one without a
// certificate is refused in the handshake.
TEST(MllpListener, TlsWithClientCertificates) {
  const std::string dir = tempDir();
  makeCertificate(dir + "/server.pem", dir + "/server.key");
  makeCertificate(dir + "/client.pem", dir + "/client.key");
  MllpServer s(R"({"port":0,"tlsCertificate":")" + dir + R"(/server.pem","tlsPrivateKey":")" + dir +
               R"(/server.key","tlsClientCa":")" + dir +
               R"(/client.pem","tlsRequireClientCertificate":true})");
  START(s);
  Poco::Net::Context::Params params;
  params.verificationMode = Poco::Net::Context::VERIFY_NONE;
  params.certificateFile = dir + "/client.pem";
  params.privateKeyFile = dir + "/client.key";
  Poco::Net::Context::Ptr withCert =
      new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  Peer p(Poco::Net::SecureStreamSocket(Poco::Net::SocketAddress("127.0.0.1", s.port()), withCert));
  p.send(frame(oru("T-1")));
  const auto acks = p.acks(1);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(field(acks[0], "MSA", 1), "AA");

  // Without a certificate, and with one the CA did not sign.
  makeCertificate(dir + "/other.pem", dir + "/other.key");
  Poco::Net::Context::Params bare;
  bare.verificationMode = Poco::Net::Context::VERIFY_NONE;
  Poco::Net::Context::Params other = bare;
  other.certificateFile = dir + "/other.pem";
  other.privateKeyFile = dir + "/other.key";
  for (const auto* client : {&bare, &other}) {
    Poco::Net::Context::Ptr ctx =
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, *client);
    bool refused = false;
    try {
      Peer q(Poco::Net::SecureStreamSocket(Poco::Net::SocketAddress("127.0.0.1", s.port()), ctx));
      q.send(frame(oru("T-2")));
      refused = q.closedWithin(5) && q.acks(1, 1).empty();
    } catch (const Poco::Exception&) {
      refused = true;
    }
    EXPECT_TRUE(refused) << (client == &bare ? "without a certificate" : "another certificate");
  }
  EXPECT_EQ(s.stats().messages, 1u);
}

// Open file descriptors of this process (the service runs in it).
size_t openFds() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// Polls `count` until it is at most `target` or `seconds` passed; the last count.
template <typename F>
size_t settlesAt(F count, size_t target, int seconds) {
  const auto deadline = Clock::now() + std::chrono::seconds(seconds);
  size_t n = count();
  while (n > target && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    n = count();
  }
  return n;
}

// Whether the server closed (or reset) a raw socket, without waiting.
bool closedByServer(int fd) {
  char c;
  const ssize_t n = ::recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

// 2,000 connections that send nothing, against maxConnections 20: the 19 beside the real sender
// are held (until idleSeconds), every other one is closed at once; the real sender keeps getting
// its ACKs while they pour in; once they close, the service's descriptors are back to what they
// were, and a new sender is served.
TEST(MllpLimits, ThousandsOfIdleConnectionsAreRefusedOverTheLimit) {
  MllpServer s(R"({"port":0,"maxConnections":20,"idleSeconds":60,"messageLog":false})");
  START(s);
  auto sender = std::make_unique<Peer>(s.port());
  sender->send(frame(oru("IDLE-0")));
  ASSERT_EQ(sender->acks(1).size(), 1u);
  EXPECT_EQ(s.http().get("/healthz").status, 200);
  // What the service holds before the flood: its listeners, its store, the sender's connection
  // (the fewest over half a second: the health check's connection may still be closing).
  size_t baseline = openFds();
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    baseline = std::min(baseline, openFds());
  }
  std::vector<int> idle;
  auto slowest = std::chrono::milliseconds(0);
  const sockaddr_in to = [&] {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(s.port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
  }();
  for (int i = 0; i < 2000; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0) << "socket " << i << ": " << strerror(errno);
    ASSERT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to), 0)
        << "connect " << i << ": " << strerror(errno);
    idle.push_back(fd);
    if (i % 250 == 249) {  // the real sender, meanwhile
      const auto sent = Clock::now();
      sender->send(frame(oru("IDLE-" + std::to_string(i))));
      ASSERT_EQ(sender->acks(idle.size() / 250 + 1).size(), idle.size() / 250 + 1) << i;
      slowest = std::max(
          slowest, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent));
    }
  }
  const auto stillOpen = [&] {
    return static_cast<size_t>(
        std::count_if(idle.begin(), idle.end(), [](int fd) { return !closedByServer(fd); }));
  };
  EXPECT_EQ(settlesAt(stillOpen, 19, 20), 19u);
  EXPECT_LT(slowest, std::chrono::seconds(5));
  EXPECT_EQ(s.stats().connections, 20u);
  EXPECT_EQ(s.stats().messages, 9u);
  EXPECT_EQ(s.http().get("/healthz").status, 200);
  std::printf(
      "2000 idle connections: %zu held, %llu refused by the listener (the rest by the "
      "accept queue), slowest ACK meanwhile %lld ms, %zu descriptors at the start\n",
      stillOpen(), static_cast<unsigned long long>(s.stats().refused),
      static_cast<long long>(slowest.count()), baseline);
  for (int fd : idle) ::close(fd);
  EXPECT_LE(settlesAt(openFds, baseline, 10), baseline);
  sender.reset();
  Peer next(s.port());
  next.send(frame(oru("IDLE-AFTER")));
  ASSERT_EQ(next.acks(1).size(), 1u);
  EXPECT_EQ(field(next.acks(1)[0], "MSA", 1), "AA");
}

// A sender at one byte a second is cut off frameSeconds after its start byte, never answered,
// nothing of it stored; another connection is served meanwhile.
TEST(MllpLimits, ASenderAtOneByteASecondIsCutOff) {
  MllpServer s(R"({"port":0,"idleSeconds":30,"frameSeconds":3})");
  START(s);
  Peer slow(s.port());
  const std::string bytes = frame(oru("SLOW-1"));
  const auto start = Clock::now();
  bool cut = false;
  for (size_t i = 0; i < bytes.size() && !cut; ++i) {
    try {
      slow.send(bytes.substr(i, 1));
    } catch (const Poco::Exception&) {
      cut = true;
      break;
    }
    if (i == 1) {
      Peer other(s.port());
      other.send(frame(oru("FAST-1")));
      const auto acks = other.acks(1);
      ASSERT_EQ(acks.size(), 1u);
      EXPECT_EQ(field(acks[0], "MSA", 1), "AA");
    }
    cut = slow.closedWithin(1);
  }
  ASSERT_TRUE(cut);
  const auto after = Clock::now() - start;
  EXPECT_GE(after, std::chrono::seconds(3));
  EXPECT_LT(after, std::chrono::seconds(8));
  EXPECT_TRUE(slow.acks(1, 0).empty());
  EXPECT_EQ(s.stats().messages, 1u);
  EXPECT_EQ(s.stats().accepted, 1u);
  EXPECT_EQ(jsonAt(s.http().get("/mllp/quarantine").body, "total"), "0");
  // The slow message was not stored: sent whole now, it is new (AA), not a duplicate.
  Peer again(s.port());
  again.send(bytes);
  ASSERT_EQ(again.acks(1).size(), 1u);
  EXPECT_EQ(s.stats().accepted, 2u);
}

std::string withObx(const std::string& controlId, size_t count) {
  std::string m = oru(controlId);
  m.reserve(m.size() + count * 60);
  for (size_t i = 2; i <= count; ++i) {
    m += "OBX|" + std::to_string(i) + "|NM|26515-7^Platelets^LN||" + std::to_string(100 + i % 300) +
         "|10*9/L|150-400||||F|||20250301100000+0800\r";
  }
  return m;
}

// The rule: at most mllp.maxSegments segments in a message (MSH, PID, OBR and the OBX count).
// One more is answered AR with an ERR that says which limit, and kept in quarantine.
TEST(MllpLimits, SegmentsOverTheLimitAreRefusedWithAR) {
  MllpServer s(R"({"port":0,"maxSegments":20})");
  START(s);
  Peer p(s.port());
  p.send(frame(withObx("SEG-20", 17)) + frame(withObx("SEG-21", 18)));
  const auto acks = p.acks(2);
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(field(acks[0], "MSA", 1), "AA");
  EXPECT_EQ(field(acks[1], "MSA", 1), "AR");
  EXPECT_EQ(field(acks[1], "MSA", 2), "SEG-21");
  EXPECT_EQ(field(acks[1], "ERR", 8), "the message has more than 20 segments");
  EXPECT_EQ(jsonAt(s.http().get("/mllp/quarantine").body, "total"), "1");
}

// 100,000 OBX (about 6 MB): with a frame limit that lets it through, the default segment limit
// answers it AR at once; with the default frame limit the frame is dropped (no ACK).
TEST(MllpLimits, AMessageOfAHundredThousandObxIsRefused) {
  const std::string huge = withObx("OBX-100K", 100000);
  ASSERT_GT(huge.size(), 5u << 20);
  MllpServer s(R"({"port":0,"maxFrameBytes":16777216})");
  START(s);
  Peer p(s.port());
  const auto sent = Clock::now();
  p.send(frame(huge));
  const auto acks = p.acks(1, 30);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(field(acks[0], "MSA", 1), "AR");
  EXPECT_EQ(field(acks[0], "MSA", 2), "OBX-100K");
  EXPECT_EQ(field(acks[0], "ERR", 8), "the message has more than 10000 segments");
  std::printf(
      "100,000 OBX answered AR in %lld ms\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent).count()));
  MllpServer defaults;
  START(defaults);
  Peer q(defaults.port());
  try {
    q.send(frame(huge));
  } catch (const Poco::Exception&) {
    // reset while sending: the listener closed the connection at 2 MiB
  }
  EXPECT_TRUE(q.closedWithin(10));
  EXPECT_TRUE(q.acks(1, 0).empty());
}

}  // namespace
}  // namespace trialbridge::testing
