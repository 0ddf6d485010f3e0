// End to end: `trialbridge serve --mllp-port 0` in a child process, and three MLLP clients written
// by others, mllp_send (Debian python3-hl7), @medplum/hl7's Hl7Client and node-hl7-client's
// Client (npm, tests/peers/), sending the messages of samples/hl7v2/ (a batch file's messages one
// by one). Every ACK is positive (AA; CA in enhanced mode), every sending after the first is a
// resend that creates nothing, and the store keeps one receipt per message and nothing of the
// plain mapping.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>

#include "child_process.h"
#include "hl7v2/ack.h"
#include "hl7v2/batch.h"
#include "hl7v2/mllp.h"
#include "store/store.h"
#include "test_client.h"
#include "v2_samples.h"

namespace trialbridge::testing {
namespace {

// mllp_peer.mjs prints "FILE CONTROL-ID MSA-1" a message.
std::vector<std::pair<std::string, std::string>> peerLines(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    pos = end == std::string::npos ? text.size() : end + 1;
    const size_t a = line.find(' '), b = line.rfind(' ');
    if (a == std::string::npos || a == b) continue;
    out.emplace_back(line.substr(b + 1), line.substr(a + 1, b - a - 1));
  }
  return out;
}

void expectPositive(const std::string& who, const std::string& output,
                    const std::vector<V2Sample>& sent) {
  const auto acks = who.rfind("mllp_send", 0) == 0 ? msas(output) : peerLines(output);
  ASSERT_EQ(acks.size(), sent.size()) << who << ":\n" << output;
  for (size_t i = 0; i < acks.size(); ++i) {
    EXPECT_TRUE(acks[i].first == "AA" || acks[i].first == "CA")
        << who << ": " << sent[i].file << " got " << acks[i].first << "\n"
        << output;
    EXPECT_EQ(acks[i].second, sent[i].controlId) << who << ": " << sent[i].file;
  }
}

TEST(MllpPeers, MllpSendMedplumAndNodeHl7ClientSendTheSamplesAndResendsCreateNothing) {
  const std::string peers = std::string(TB_SOURCE_ROOT) + "/tests/peers";
  ASSERT_TRUE(std::filesystem::exists(peers + "/node_modules/@medplum/hl7/package.json"))
      << "@medplum/hl7 is not installed: run 'npm ci' in tests/peers (deploy/test.sh does)";
  ASSERT_TRUE(std::filesystem::exists(peers + "/node_modules/node-hl7-client/package.json"))
      << "node-hl7-client is not installed: run 'npm ci' in tests/peers (deploy/test.sh does)";
  ASSERT_EQ(std::system("command -v mllp_send >/dev/null 2>&1"), 0)
      << "mllp_send is not installed (Debian python3-hl7; deploy/install-deps.sh installs it)";
  const std::string dir = tempDir();
  const std::vector<V2Sample> sent = v2Samples(dir);
  ASSERT_GE(sent.size(), 10u);
  std::string framed;
  std::string files;
  for (const V2Sample& s : sent) {
    framed += hl7v2::mllpFrame(slurpFile(s.file));
    files += " " + s.file;
  }
  writeFile(dir + "/all.mllp", framed);

  ChildProcess serve({TB_SERVE_BINARY, "--port", "0", "--mllp-port", "0"}, dir,
                     dir + "/stderr.log");
  ASSERT_TRUE(serve.started());
  const std::string out = serve.readUntil("MLLP on ", 120);
  const size_t at = out.find("MLLP on 127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << out << slurpFile(dir + "/stderr.log");
  const std::string port = out.substr(at + 18, out.find('\n', at) - at - 18);

  const std::string mllpSend = "mllp_send -f " + dir + "/all.mllp -p " + port + " 127.0.0.1";
  expectPositive("mllp_send", runCommand(mllpSend), sent);
  const std::string node = "node " + std::string(TB_SOURCE_ROOT) + "/tests/service/mllp_peer.mjs ";
  const std::string args = " " + port + " " + peers + files;
  expectPositive("@medplum/hl7", runCommand(node + "medplum" + args), sent);
  expectPositive("node-hl7-client", runCommand(node + "node-hl7-client" + args), sent);
  expectPositive("mllp_send again", runCommand(mllpSend), sent);

  EXPECT_EQ(serve.terminate(), 0);
  const std::string log = slurpFile(dir + "/stderr.log");
  size_t resent = 0;
  for (size_t p = log.find("(resent)"); p != std::string::npos; p = log.find("(resent)", p + 1)) {
    ++resent;
  }
  EXPECT_EQ(resent, 3 * sent.size()) << log;
  EXPECT_EQ(log.find("quarantine"), std::string::npos) << log;

  store::StoreOptions o;
  o.database = dir + "/trialbridge.db";
  auto opened = store::openStore(o);
  ASSERT_TRUE(opened) << opened.message();
  store::Store& st = *opened.value();
  for (const V2Sample& s : sent) {
    store::MessageReceipt r;
    ASSERT_TRUE(st.readReceipt(s.key, r)) << s.key;
    EXPECT_EQ(r.ackCode, "AA") << s.key;
  }
  std::vector<store::QuarantineEntry> q;
  int64_t total = -1;
  ASSERT_TRUE(st.listQuarantine({}, q, total));
  EXPECT_EQ(total, 0);
  store::HistoryResult h;
  ASSERT_TRUE(st.history({}, h));
  EXPECT_EQ(h.total, 0);  // nothing of the plain mapping: names and MRNs stay out
  opened.value().reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trialbridge::testing
