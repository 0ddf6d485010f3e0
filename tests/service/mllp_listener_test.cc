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

#include <stdlib.h>

#include <chrono>
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

}  // namespace
}  // namespace trialbridge::testing
