// Scale-out (issue 14, docs/scaling.md): two and then three `trialbridge serve` nodes (child
// processes on loopback, distinct ports) share one throwaway PostgreSQL database. REST writers
// (creates with an Idempotency-Key, every third one also conditional: If-None-Exist on its own
// identifier) and MLLP senders (one connection each, one message in flight) are spread over the
// nodes at once; afterwards every write and every message is resent to another node. Every 2xx
// write is stored exactly once, every ACKed message has its receipt, the resends create nothing
// (same answer, same counts) and each node's /readyz is 200. The throughput seen is printed, not
// asserted (bench/multi_node.sh measures it).
//
// bench/multi_node.sh sets $TB_MULTI_NODE_COUNTS (default "2,3"), $TB_MULTI_NODE_SECONDS (default
// 2), $TB_MULTI_NODE_FSYNC=1 (a cluster of its own with fsync on; the test's has it off), and
// $TB_MULTI_NODE_WRITERS / $TB_MULTI_NODE_SENDERS (the clients in all, spread over the nodes;
// default two writers and one sender a node).
#include <gtest/gtest.h>

#include <Poco/Exception.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "child_process.h"
#include "pg_cluster.h"
#include "store/store.h"
#include "test_client.h"

namespace trialbridge::testing {
namespace {

constexpr const char* kSystem = "urn:tb:multi";

struct Node {
  std::unique_ptr<ChildProcess> process;
  int http = 0, mllp = 0;
};

struct Write {
  std::string key, value, id;
  bool conditional = false;
  int node = 0;
};

struct Message {
  std::string controlId, text;
  int node = 0;
};

std::string patient(const std::string& value) {
  return R"({"resourceType":"Patient","identifier":[{"system":")" + std::string(kSystem) +
         R"(","value":")" + value + R"("}]})";
}

std::string oru(const std::string& controlId) {
  return "MSH|^~\\&|LAB|HOSP|TRIALBRIDGE|SITE|20250301120000||ORU^R01^ORU_R01|" + controlId +
         "|P|2.5.1\rPID|1||MRN1^^^HOSP^MR||Doe^Jane||19800101|F\r"
         "OBR|1||F1|26515-7^Platelets^LN|||20250301100000|||||||||||||||20250301110000|||F\r"
         "OBX|1|NM|26515-7^Platelets^LN||145|10*9/L|150-400|L|||F|||20250301100000\r";
}

Reply sendWrite(const Client& client, const Write& w) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/fhir+json"}, {"Idempotency-Key", w.key}};
  if (w.conditional) {
    headers.emplace_back("If-None-Exist", "identifier=" + std::string(kSystem) + "|" + w.value);
  }
  try {
    return client.request("POST", "/fhir/Patient", patient(w.value), headers);
  } catch (const Poco::Exception& e) {
    Reply r;
    r.body = e.displayText();
    return r;
  }
}

// The shared test cluster (fsync off), or with $TB_MULTI_NODE_FSYNC=1 one of this binary's with
// fsync on, as a production database has it.
PgCluster& cluster() {
  const char* fsync = std::getenv("TB_MULTI_NODE_FSYNC");
  if (fsync == nullptr || std::string(fsync) != "1") return PgCluster::shared();
  static PgCluster own;
  if (!own.running() && own.error().empty()) own.start(true);
  return own;
}

class MultiNode : public ::testing::Test {
 protected:
  // Starts `count` nodes on a new database of the shared cluster; false when one did not start.
  bool startNodes(int count) {
    auto& pg = cluster();
    EXPECT_TRUE(pg.running()) << "PostgreSQL test cluster did not start: " << pg.error();
    if (!pg.running()) return false;
    database_ = pg.createDatabase();
    dir_ = tempDir();
    for (int i = 0; i < count; ++i) {
      Node n;
      const std::string err = dir_ + "/node" + std::to_string(i) + ".log";
      n.process = std::make_unique<ChildProcess>(
          std::vector<std::string>{TB_SERVE_BINARY, "--port", "0", "--mllp-port", "0"}, dir_, err,
          std::vector<std::pair<std::string, std::string>>{
              {"TRIALBRIDGE_STORE_BACKEND", "postgresql"},
              {"TRIALBRIDGE_STORE_DATABASE", database_}});
      const std::string out = n.process->readUntil("MLLP on ", 120);
      const size_t base = out.find("FHIR base http://127.0.0.1:");
      const size_t mllp = out.find("MLLP on 127.0.0.1:");
      EXPECT_TRUE(base != std::string::npos && mllp != std::string::npos)
          << "node " << i << ": " << out << slurpFile(err);
      if (base == std::string::npos || mllp == std::string::npos) return false;
      n.http = std::stoi(out.substr(base + 27));
      n.mllp = std::stoi(out.substr(mllp + 18));
      nodes_.push_back(std::move(n));
    }
    return true;
  }

  // Loads the nodes for `seconds`, resends everything to another node, checks; the operations
  // per second acknowledged during the load.
  double run(int count, double seconds);

  std::string database_, dir_;
  std::vector<Node> nodes_;
};

double MultiNode::run(int count, double seconds) {
  if (!startNodes(count)) return 0;
  const int n = static_cast<int>(nodes_.size());
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::vector<Write> writes;
  std::vector<Message> messages;
  std::atomic<int> failedWrites{0}, failedMessages{0};
  std::vector<std::thread> load;
  // REST writers and MLLP senders spread over the nodes, each bound to one.
  auto clients = [&](const char* name, int perNode) {
    const char* v = std::getenv(name);
    return v != nullptr ? std::max(1, std::atoi(v)) : perNode * n;
  };
  const int writers = clients("TB_MULTI_NODE_WRITERS", 2);
  const int senders = clients("TB_MULTI_NODE_SENDERS", 1);
  for (int t = 0; t < writers; ++t) {
    load.emplace_back([&, t] {
      const int node = t % n;
      Client client("127.0.0.1", nodes_[node].http);
      for (int i = 0; !stop.load(); ++i) {
        Write w;
        w.value = std::to_string(count) + "-" + std::to_string(t) + "-" + std::to_string(i);
        w.key = "mn-" + w.value;
        w.conditional = i % 3 == 2;
        w.node = node;
        const Reply r = sendWrite(client, w);
        if (r.status != 201) {
          ADD_FAILURE() << "node " << node << ": " << r.status << " " << r.body;
          failedWrites++;
          return;
        }
        w.id = jsonAt(r.body, "id");
        std::lock_guard lock(mutex);
        writes.push_back(std::move(w));
      }
    });
  }
  for (int s = 0; s < senders; ++s) {
    load.emplace_back([&, s] {
      const int t = s % n;
      MllpClient sender(nodes_[t].mllp);
      for (int i = 0; !stop.load() && sender.connected(); ++i) {
        Message m;
        m.controlId =
            "MN" + std::to_string(count) + "-" + std::to_string(s) + "-" + std::to_string(i);
        m.text = oru(m.controlId);
        m.node = t;
        const std::string ack = sender.exchange(m.text);
        if (ack.find("MSA|AA|" + m.controlId) == std::string::npos) {
          ADD_FAILURE() << "node " << t << ": " << ack;
          failedMessages++;
          return;
        }
        std::lock_guard lock(mutex);
        messages.push_back(std::move(m));
      }
    });
  }
  const auto began = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : load) t.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  EXPECT_EQ(failedWrites.load(), 0);
  EXPECT_EQ(failedMessages.load(), 0);
  EXPECT_GT(writes.size(), 0u);
  EXPECT_GT(messages.size(), 0u);

  store::StoreOptions o;
  o.backend = "postgresql";
  o.database = database_;
  auto opened = store::openStore(o);
  EXPECT_TRUE(opened) << opened.message();
  if (!opened) return 0;
  store::Store& st = *opened.value();
  auto totalVersions = [&] {
    store::HistoryResult h;
    EXPECT_TRUE(st.history({}, h));
    return h.total;
  };
  // Every acknowledged write once (ids distinct, one version each, nothing else written: the
  // messages map to no trial and keep only their receipts), every ACKed message's receipt.
  std::set<std::string> ids;
  for (const Write& w : writes) {
    store::ResourceVersion v;
    EXPECT_TRUE(st.read("Patient", w.id, v)) << w.key;
    ids.insert(w.id);
  }
  EXPECT_EQ(ids.size(), writes.size());
  const int64_t before = totalVersions();
  EXPECT_EQ(before, static_cast<int64_t>(writes.size()));
  for (const Message& m : messages) {
    store::MessageReceipt r;
    EXPECT_TRUE(st.readReceipt("hl7:LAB|HOSP|" + m.controlId, r)) << m.controlId;
    EXPECT_EQ(r.ackCode, "AA") << m.controlId;
  }

  // Resends to the next node: writes with their key (the first answer again), conditional ones
  // also without it (the match, 200), messages on a new connection (AA again).
  std::vector<std::thread> resend;
  for (int t = 0; t < n; ++t) {
    resend.emplace_back([&, t] {
      Client client("127.0.0.1", nodes_[(t + 1) % n].http);
      for (size_t i = t; i < writes.size(); i += n) {
        Write w = writes[i];
        Reply r = sendWrite(client, w);
        EXPECT_EQ(r.status, 201) << w.key << ": " << r.body;
        EXPECT_EQ(jsonAt(r.body, "id"), w.id) << w.key;
        if (w.conditional) {
          w.key = "other-" + w.key;
          r = sendWrite(client, w);
          EXPECT_EQ(r.status, 200) << w.key << ": " << r.body;
          EXPECT_EQ(jsonAt(r.body, "id"), w.id) << w.key;
        }
      }
      MllpClient sender(nodes_[(t + 1) % n].mllp);
      EXPECT_TRUE(sender.connected());
      for (const Message& m : messages) {
        if (m.node != t) continue;
        const std::string ack = sender.exchange(m.text);
        EXPECT_NE(ack.find("MSA|AA|" + m.controlId), std::string::npos) << ack;
      }
    });
  }
  for (auto& t : resend) t.join();
  EXPECT_EQ(totalVersions(), before) << "a resend created something";

  for (int i = 0; i < n; ++i) {
    const Reply r = Client("127.0.0.1", nodes_[i].http).get("/readyz");
    EXPECT_EQ(r.status, 200) << "node " << i << ": " << r.body;
  }
  opened.value().reset();
  for (auto& node : nodes_) EXPECT_EQ(node.process->terminate(), 0);
  nodes_.clear();
  const double rate = static_cast<double>(writes.size() + messages.size()) / elapsed;
  std::cout << count << " nodes, " << writers << " writers, " << senders
            << " senders: " << writes.size() << " REST writes + " << messages.size()
            << " MLLP messages in " << elapsed << " s = " << static_cast<int>(rate)
            << " acknowledged/s (resent: " << writes.size() << " writes, " << messages.size()
            << " messages)\n";
  return rate;
}

TEST_F(MultiNode, TwoThenThreeNodesOnOnePostgresqlLoseAndDoubleNothing) {
  const char* countsEnv = std::getenv("TB_MULTI_NODE_COUNTS");
  const char* secondsEnv = std::getenv("TB_MULTI_NODE_SECONDS");
  const std::string counts = countsEnv != nullptr ? countsEnv : "2,3";
  const double seconds = secondsEnv != nullptr ? std::atof(secondsEnv) : 2.0;
  for (size_t at = 0; at < counts.size() && !HasFailure();) {
    const size_t comma = std::min(counts.find(',', at), counts.size());
    const int n = std::atoi(counts.substr(at, comma - at).c_str());
    ASSERT_TRUE(n >= 1 && n <= 8) << "TB_MULTI_NODE_COUNTS: " << counts;
    EXPECT_GT(run(n, seconds), 0);
    at = comma + 1;
  }
}

}  // namespace
}  // namespace trialbridge::testing
