// Crash consistency (issue 15): `trialbridge serve` is killed with SIGKILL while REST clients write
// (creates, transactions and Organizations, each with an Idempotency-Key), MLLP senders send lab
// results of the enrolled sample subjects (with resends) and the registry sync publishes to the
// Medplum peer; then started again on the same database. Every acknowledged write and every
// ACKed message must be there exactly once, no transaction or message half there; resending
// everything must leave each exactly once; the registry ends with each change at most once.
// The kill comes after a random delay (even rounds) or right after a random commit, before its
// answers are written (odd rounds: the test-only hook TB_FAULT_KILL_AFTER_COMMIT of the store).
//
// Rounds per backend: $TB_CRASH_ROUNDS (default 8; bench/crash_soak.sh runs hundreds); the seed
// of the kill moments: $TB_CRASH_SEED (default: the clock), printed so that a failure can be rerun.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <Poco/Data/Session.h>
#include <Poco/Exception.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "child_process.h"
#include "medplum_peer.h"
#include "pg_cluster.h"
#include "publish_test_util.h"
#include "service/registry_config.h"
#include "test_client.h"
#include "v2_samples.h"

namespace trialbridge::testing {
namespace {

constexpr const char* kSystem = "urn:tb:crash";
const std::string kRoot = TB_SOURCE_ROOT;

struct Attempt {
  std::string key;
  std::string type = "Patient";
  std::vector<std::string> values;  // one for a create, two for a transaction
  std::string path, body;
  bool acked = false;
  std::string ackedBody;
};

// An HL7 v2 lab result sent over MLLP, and the MSA-1 of its ACK ("" when none came).
struct Sent {
  std::string controlId, text, ack;
};

struct Totals {
  int rounds = 0, kills = 0, afterCommitKills = 0, startupKills = 0;
  int attempts = 0, acked = 0, lost = 0, partial = 0, duplicates = 0;
  int messages = 0, messagesAcked = 0, messagesLost = 0, messagesPartial = 0, messageDuplicates = 0,
      resendsInRound = 0;
};

bool accepted(const std::string& ack) { return ack == "AA" || ack == "CA"; }

// The seed of a test's random moments: $TB_CRASH_SEED, else the clock (printed by the tests, so
// that a failure can be replayed).
unsigned seedFromEnv() {
  const char* env = std::getenv("TB_CRASH_SEED");
  return env != nullptr
             ? static_cast<unsigned>(std::strtoul(env, nullptr, 10))
             : static_cast<unsigned>(std::chrono::system_clock::now().time_since_epoch().count());
}

// The identifier system of a round's patients: one search finds them all.
std::string systemOf(int round) { return std::string(kSystem) + ":" + std::to_string(round); }

std::string patient(const std::string& system, const std::string& value) {
  return R"({"resourceType":"Patient","identifier":[{"system":")" + system + R"(","value":")" +
         value + R"("}]})";
}

// An Organization: a type the registry target publishes, so each create is one change for it.
std::string organization(const std::string& system, const std::string& value) {
  return R"({"resourceType":"Organization","identifier":[{"system":")" + system + R"(","value":")" +
         value + R"("}],"name":"Crash test )" + value + R"("})";
}

std::string transaction(const std::string& system, const std::string& a, const std::string& b,
                        int n) {
  auto entry = [&](const std::string& value, int k) {
    char uuid[64];
    std::snprintf(uuid, sizeof uuid, "urn:uuid:00000000-0000-4000-8000-%012d", n * 2 + k);
    return std::string(R"({"fullUrl":")") + uuid + R"(","resource":)" + patient(system, value) +
           R"(,"request":{"method":"POST","url":"Patient"}})";
  };
  return R"({"resourceType":"Bundle","type":"transaction","entry":[)" + entry(a, 0) + "," +
         entry(b, 1) + "]}";
}

void replaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

// ITP-0001's baseline CBC (samples/hl7v2/) cut to two results (WBC and RBC: without the platelet
// count no response is derived again at each message), its control id (MSH-10) and filler order
// number made `tag`, its patient (PID-3) one of the three enrolled sample subjects. Stored, it is
// two Observations and one Provenance naming the message.
std::string labMessage(const std::string& tag, int subject) {
  static const std::string kTemplate = [] {
    std::string text = slurpFile(kRoot + "/samples/hl7v2/nct06813157-itp-0001-baseline-cbc.hl7");
    replaceAll(text, "\r\n", "\r");
    replaceAll(text, "\n", "\r");
    std::string out;
    for (size_t at = 0; at < text.size();) {
      const size_t end = std::min(text.find('\r', at), text.size());
      const std::string segment = text.substr(at, end - at);
      const bool result = segment.rfind("OBX|", 0) == 0;
      if (!segment.empty() &&
          (!result || segment.rfind("OBX|2|", 0) == 0 || segment.rfind("OBX|3|", 0) == 0)) {
        out += segment + "\r";
      }
      at = end + 1;
    }
    return out;
  }();
  static const char* const kMrns[] = {"MRN0048213", "MRN0051977", "MRN0050102"};
  std::string m = kTemplate;
  replaceAll(m, "TX2502110211", tag);
  replaceAll(m, "LAB-2502110154", "LAB-" + tag);
  replaceAll(m, "MRN0048213", kMrns[subject % 3]);
  return m;
}

// The receipt key of a lab message, as its Provenance names it.
std::string sourceOf(const std::string& controlId) { return "hl7:TAIXIN-LIS|TAIXIN|" + controlId; }

std::string registryConfig(const std::string& peerBase) {
  return R"({"registries":{"peer":{"kind":"fhir","url":")" + peerBase +
         R"(","intervalSeconds":1,"retryBaseMillis":20,"retryMaxMillis":1000}}})";
}

// Crash consistency with everything at once: REST writers (creates, transactions, Organizations
// the registry target publishes), MLLP senders (lab results of the enrolled sample subjects,
// with resends) and the registry sync (to the Medplum peer, every second), `serve` killed at a
// seeded random moment (a delay, or right after its Nth commit through the test-only hook
// TB_FAULT_KILL_AFTER_COMMIT: between a commit and its answers), then checked and resent.
// What the store holds of the lab messages: the Provenance naming each, the Observations each
// Provenance names, and the Observations there are.
struct StoredMessages {
  std::map<std::string, int> named;                         // source -> Provenances
  std::map<std::string, std::vector<std::string>> targets;  // source -> "Observation/id"
  size_t targetCount = 0;
  std::string observations;  // the Observation count, as the server says it
};

// `trialbridge serve` with the reference trial, its secret and the MLLP listener, run as a child
// process on a database of the test's (SQLite in a temporary directory, or `env`'s PostgreSQL),
// and what the tests read back of it.
class ServeHarness : public ::testing::Test {
 protected:
  struct Ports {
    int http = 0, mllp = 0;
  };

  // The directory, the store (`env`) and, with `registry`, the Medplum peer as a registry target.
  void prepare(const Environment& env, bool registry) {
    dir_ = tempDir();
    env_ = env;
    std::string config = "{}";
    if (registry) {
      peer_ = std::make_unique<MedplumPeer>();
      ASSERT_TRUE(peer_->ok()) << peer_->error();
      config = registryConfig(peer_->base());
    }
    writeFile(dir_ + "/config.json", config);
  }

  // Starts the server with `extra` in its environment; its ports, or 0s. A start that may be cut
  // short by the fault hook (`mayDie`) records no failure when the process is gone.
  Ports start(const Environment& extra = {}, bool mayDie = false) {
    Environment env = env_;
    env.insert(env.end(), extra.begin(), extra.end());
    child_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{TB_SERVE_BINARY, "--config", dir_ + "/config.json", "--port", "0",
                                 "--mllp-port", "0", "--trial",
                                 kRoot + "/samples/trials/NCT06813157.json", "--secret-file",
                                 kRoot + "/samples/entities/demo.secret"},
        dir_, dir_ + "/stderr.log", env);
    const std::string out = child_->readUntil("MLLP on ", 120);
    const size_t base = out.find("FHIR base http://127.0.0.1:");
    const size_t mllp = out.find("MLLP on 127.0.0.1:");
    Ports p;
    if (base == std::string::npos || mllp == std::string::npos) {
      if (!(mayDie && child_->exited(5000))) {
        ADD_FAILURE() << out << slurpFile(dir_ + "/stderr.log");
      }
      return p;
    }
    const std::string url = out.substr(base + 10, out.find('\n', base) - base - 10);
    p.http = std::stoi(url.substr(url.rfind(':') + 1));
    p.mllp = std::stoi(out.substr(mllp + 18, out.find('\n', mllp) - mllp - 18));
    return p;
  }
  void stop(int signal) {
    if (signal == SIGTERM) {
      EXPECT_EQ(child_->terminate(), 0);
    } else {
      child_->kill();
    }
    child_.reset();
  }
  // The sample subjects enrolled through $enrol, once, before the rounds.
  void enrol() {
    const Ports p = start();
    ASSERT_GT(p.http, 0);
    const Client client("127.0.0.1", p.http);
    for (const auto& e : std::filesystem::directory_iterator(kRoot + "/samples/entities")) {
      if (e.path().filename().string().rfind("nct06813157-subject-", 0) != 0) continue;
      const Reply r =
          client.request("POST", "/fhir/ResearchSubject/$enrol", slurpFile(e.path().string()),
                         {{"Content-Type", "application/json"}});
      EXPECT_EQ(r.status, 200) << e.path() << ": " << r.body;
    }
    stop(SIGTERM);
  }

  static Reply send(const Client& client, const Attempt& a) {
    try {
      return client.request(
          "POST", a.path, a.body,
          {{"Content-Type", "application/fhir+json"}, {"Idempotency-Key", a.key}});
    } catch (const Poco::Exception&) {
      return {};  // the server is gone
    }
  }
  // Every resource of a search, over its pages (a fast machine writes more than a page holds).
  template <typename F>
  static void eachResource(const Client& client, std::string next, F&& f) {
    for (int page = 0; !next.empty() && page < 1000; ++page) {
      Reply r = client.get(next);
      EXPECT_EQ(r.status, 200) << r.body;
      rapidjson::Document d;
      d.Parse(r.body.c_str());
      EXPECT_TRUE(d.IsObject() && d.HasMember("total")) << r.body;
      if (!d.IsObject() || !d.HasMember("total")) return;
      next.clear();
      if (d.HasMember("link")) {
        for (const auto& l : d["link"].GetArray()) {
          if (std::string_view(l["relation"].GetString()) != "next") continue;
          const std::string url = l["url"].GetString();
          const size_t path = url.find("/fhir/");
          if (path != std::string::npos) next = url.substr(path);
        }
      }
      if (!d.HasMember("entry")) continue;
      for (const auto& e : d["entry"].GetArray()) f(e["resource"]);
    }
  }
  // How many resources of `type` hold each identifier value of `system`.
  static void count(const Client& client, const std::string& type, const std::string& system,
                    std::map<std::string, int>& out) {
    eachResource(client, "/fhir/" + type + "?identifier=" + system + "%7C&_count=1000",
                 [&](const rapidjson::Value& r) {
                   for (const auto& id : r["identifier"].GetArray()) out[id["value"].GetString()]++;
                 });
  }
  static std::map<std::string, int> counts(const Client& client, int round) {
    std::map<std::string, int> out;
    count(client, "Patient", systemOf(round), out);
    count(client, "Organization", systemOf(round), out);
    return out;
  }

  static StoredMessages storedMessages(const Client& client) {
    StoredMessages out;
    eachResource(client, "/fhir/Provenance?_count=1000", [&](const rapidjson::Value& p) {
      if (!p.HasMember("entity")) return;
      const std::string source = p["entity"][0]["what"]["identifier"]["value"].GetString();
      out.named[source]++;
      for (const auto& t : p["target"].GetArray()) {
        out.targets[source].push_back(t["reference"].GetString());
        ++out.targetCount;
      }
    });
    out.observations = jsonAt(client.get("/fhir/Observation?_summary=count").body, "total");
    return out;
  }

  std::string dir_;
  Environment env_;
  std::unique_ptr<MedplumPeer> peer_;
  std::unique_ptr<ChildProcess> child_;
};

class CrashTest : public ServeHarness, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    Environment env;
    if (GetParam() == "postgresql") {
      auto& pg = PgCluster::shared();
      ASSERT_TRUE(pg.running()) << "PostgreSQL test cluster did not start: " << pg.error();
      env = {{"TRIALBRIDGE_STORE_BACKEND", "postgresql"},
             {"TRIALBRIDGE_STORE_DATABASE", pg.createDatabase()}};
    }
    prepare(env, true);
  }

  void round(int number, std::mt19937& rng, Totals& totals);
  void checkRest(const Client& client, int number, const std::vector<std::vector<Attempt>>& all,
                 Totals& totals);
  void checkMllp(const Client& client, int mllpPort, const std::vector<std::vector<Sent>>& all,
                 Totals& totals);
  void checkRegistry();
};

void CrashTest::round(int number, std::mt19937& rng, Totals& totals) {
  // Both drawn in every round, so that a seed replays the same kills whatever the timing.
  const int delayMs = std::uniform_int_distribution<int>(20, 600)(rng);
  const int afterCommit = std::uniform_int_distribution<int>(1, 150)(rng);
  const bool hook = number % 2 == 1;
  const Ports ports =
      start(hook ? Environment{{"TB_FAULT_KILL_AFTER_COMMIT", std::to_string(afterCommit)}}
                 : Environment{},
            hook);
  ASSERT_TRUE(ports.http > 0 || hook);
  constexpr int kWriters = 3, kSenders = 2;
  std::vector<std::vector<Attempt>> attempts(kWriters);
  std::vector<std::vector<Sent>> messages(kSenders);
  std::string how;
  if (ports.http == 0) {
    ++totals.startupKills;
    how = "killed during start-up by commit " + std::to_string(afterCommit);
  } else {
    std::atomic<bool> gone{false};
    std::atomic<int> resends{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kWriters; ++t) {
      threads.emplace_back([&, t] {
        Client client("127.0.0.1", ports.http);
        for (int n = 0; !gone.load(); ++n) {
          Attempt a;
          const std::string tag =
              std::to_string(number) + "-" + std::to_string(t) + "-" + std::to_string(n);
          a.key = "k" + tag;
          if (n % 3 == 2) {
            a.values = {"tx" + tag + "a", "tx" + tag + "b"};
            a.path = "/fhir";
            a.body = transaction(systemOf(number), a.values[0], a.values[1],
                                 (number * kWriters + t) * 100000 + n);
          } else if (t == 0 && n % 3 == 1) {
            a.type = "Organization";
            a.values = {"org" + tag};
            a.path = "/fhir/Organization";
            a.body = organization(systemOf(number), a.values[0]);
          } else {
            a.values = {"c" + tag};
            a.path = "/fhir/Patient";
            a.body = patient(systemOf(number), a.values[0]);
          }
          attempts[t].push_back(a);  // attempted before it is sent: the kill may come any time
          Reply r = send(client, a);
          if (r.status == 0) break;
          attempts[t].back().acked = r.status / 100 == 2;
          attempts[t].back().ackedBody = r.body;
          EXPECT_TRUE(r.status / 100 == 2 || r.status >= 500) << r.status << " " << r.body;
        }
      });
    }
    for (int t = 0; t < kSenders; ++t) {
      threads.emplace_back([&, t] {
        MllpClient mllp(ports.mllp);
        for (int n = 0; !gone.load() && mllp.connected(); ++n) {
          // Every fourth send is a resend of the message before: the same answer, nothing new.
          if (n % 4 == 3 && !messages[t].empty() && !messages[t].back().ack.empty()) {
            const Sent& last = messages[t].back();
            const auto again = msas(mllp.exchange(last.text, 10));
            if (again.empty()) break;
            EXPECT_EQ(again[0].first, last.ack) << "resend of " << last.controlId;
            resends++;
            continue;
          }
          Sent s;
          s.controlId =
              "CR" + std::to_string(number) + "-" + std::to_string(t) + "-" + std::to_string(n);
          s.text = labMessage(s.controlId, n + t);
          messages[t].push_back(s);
          const auto acks = msas(mllp.exchange(s.text, 10));
          if (acks.empty()) break;  // the server is gone
          messages[t].back().ack = acks[0].first;
          EXPECT_EQ(acks[0].second, s.controlId);
          EXPECT_TRUE(acks[0].first == "AA" || acks[0].first == "AE")
              << s.controlId << ": " << acks[0].first;
        }
      });
    }
    if (hook && child_->exited(3000)) {
      ++totals.afterCommitKills;
      how = "killed by the hook after commit " + std::to_string(afterCommit);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(hook ? 0 : delayMs));
      child_->kill();
      how = "killed after " + std::to_string(hook ? 3000 : delayMs) + " ms";
    }
    gone = true;
    for (auto& th : threads) th.join();
    totals.resendsInRound += resends.load();
  }
  child_.reset();
  ++totals.kills;

  const auto restart = std::chrono::steady_clock::now();
  const Ports again = start();
  ASSERT_GT(again.http, 0);
  const auto started = std::chrono::steady_clock::now();
  const Client client("127.0.0.1", again.http);
  checkRest(client, number, attempts, totals);
  const auto restChecked = std::chrono::steady_clock::now();
  checkMllp(client, again.mllp, messages, totals);
  const auto ms = [](auto a, auto b) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
  };
  std::cout << "  restart " << ms(restart, started) << " ms, REST check "
            << ms(started, restChecked) << " ms, MLLP check "
            << ms(restChecked, std::chrono::steady_clock::now()) << " ms\n";
  stop(SIGTERM);
  ++totals.rounds;
  size_t writes = 0, sent = 0;
  for (const auto& l : attempts) writes += l.size();
  for (const auto& l : messages) sent += l.size();
  std::cout << "round " << number << ": " << how << ", " << writes << " REST writes, " << sent
            << " MLLP messages\n";
}

// Every acknowledged write there exactly once, no transaction half there; then every write sent
// again with its key: exactly once each, an acknowledged create's first answer back.
void CrashTest::checkRest(const Client& client, int number,
                          const std::vector<std::vector<Attempt>>& all, Totals& totals) {
  const std::map<std::string, int> stored = counts(client, number);
  auto countOf = [](const std::map<std::string, int>& m, const std::string& v) {
    auto it = m.find(v);
    return it == m.end() ? 0 : it->second;
  };
  for (const auto& list : all) {
    for (const Attempt& a : list) {
      ++totals.attempts;
      std::vector<int> found;
      for (const auto& v : a.values) found.push_back(countOf(stored, v));
      if (a.acked) {
        ++totals.acked;
        for (int c : found) {
          if (c == 0) ++totals.lost;
          EXPECT_EQ(c, 1) << "acknowledged " << a.key << " (round " << number << ")";
        }
      }
      for (int c : found) {
        if (c > 1) ++totals.duplicates;
        EXPECT_LE(c, 1) << a.key;
      }
      if (found.front() != found.back()) ++totals.partial;
      EXPECT_EQ(found.front(), found.back()) << "half of transaction " << a.key;
      Reply again = send(client, a);  // the client's retry after the crash
      EXPECT_EQ(again.status / 100, 2) << a.key << ": " << again.status << " " << again.body;
      if (a.acked && a.values.size() == 1) {
        EXPECT_EQ(jsonAt(again.body, "id"), jsonAt(a.ackedBody, "id")) << "the first answer again";
      }
    }
  }
  const std::map<std::string, int> resent = counts(client, number);
  for (const auto& list : all) {
    for (const Attempt& a : list) {
      for (const auto& v : a.values) {
        const int c = countOf(resent, v);
        if (c > 1) ++totals.duplicates;
        EXPECT_EQ(c, 1) << v << " after the resend";
      }
    }
  }
}

// Every message: at most one Provenance naming it, exactly one when it was accepted, and the two
// Observations it names stored at their first version; no Observation without its Provenance (no
// half message). Then every message sent again (the senders' resends of what had no ACK): each is
// accepted and then stored exactly once.
void CrashTest::checkMllp(const Client& client, int mllpPort,
                          const std::vector<std::vector<Sent>>& all, Totals& totals) {
  auto look = [&](bool afterResend) {
    StoredMessages stored = storedMessages(client);
    auto& named = stored.named;
    auto& targets = stored.targets;
    const std::string& observations = stored.observations;
    if (observations != std::to_string(stored.targetCount)) ++totals.messagesPartial;
    EXPECT_EQ(observations, std::to_string(stored.targetCount))
        << "an Observation without its message";
    for (const auto& list : all) {
      for (const Sent& s : list) {
        const int n = named[sourceOf(s.controlId)];
        if (!afterResend) {
          ++totals.messages;
          if (accepted(s.ack)) ++totals.messagesAcked;
          if (accepted(s.ack) && n == 0) ++totals.messagesLost;
          EXPECT_TRUE(n == 1 || !accepted(s.ack)) << "ACKed " << s.controlId << ": " << n;
        } else {
          EXPECT_EQ(n, 1) << s.controlId << " after the resend";
        }
        if (n > 1) ++totals.messageDuplicates;
        EXPECT_LE(n, 1) << s.controlId;
        for (const std::string& ref : targets[sourceOf(s.controlId)]) {
          const Reply r = client.get("/fhir/" + ref);
          EXPECT_EQ(r.status, 200) << ref;
          if (jsonAt(r.body, "meta.versionId") != "1") ++totals.messageDuplicates;
          EXPECT_EQ(jsonAt(r.body, "meta.versionId"), "1") << ref << " of " << s.controlId;
        }
        if (n == 1) {
          EXPECT_EQ(targets[sourceOf(s.controlId)].size(), 2u) << s.controlId;
        }
      }
    }
  };
  look(false);
  MllpClient mllp(mllpPort);
  ASSERT_TRUE(mllp.connected());
  for (const auto& list : all) {
    for (const Sent& s : list) {
      const auto acks = msas(mllp.exchange(s.text, 30));
      ASSERT_EQ(acks.size(), 1u) << s.controlId;
      EXPECT_EQ(acks[0].first, "AA") << s.controlId << " sent again";
    }
  }
  look(true);
}

// After the rounds, with the server up until its outbox is drained: the registry holds every
// published resource once, with the store's content, and no more versions than the store has
// (each change at most one version there; an Organization created once is one version).
void CrashTest::checkRegistry() {
  const Ports p = start();
  ASSERT_GT(p.http, 0);
  const Client local("127.0.0.1", p.http);
  std::string status;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < until) {
    status = local.get("/fhir/$registry-status").body;
    if (statusValue(status, "pending") == "0" && statusValue(status, "failing") == "0") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(statusValue(status, "pending"), "0") << status;
  const Mirror m = checkMirror(local, registryAt(peer_->base()), service::defaultPublishedTypes());
  EXPECT_EQ(m.problems, "");
  size_t organizations = 0;
  for (const auto& [key, versions] : m.versions) {
    const std::string local_version = jsonAt(local.get("/fhir/" + key).body, "meta.versionId");
    EXPECT_LE(versions, local_version.empty() ? 0u : std::stoul(local_version)) << key;
    if (key.rfind("Organization/", 0) == 0) ++organizations;
  }
  std::cout << GetParam() << ": registry holds " << m.records << " records (" << organizations
            << " Organizations), each change at most once\n";
  stop(SIGTERM);
}

TEST_P(CrashTest, KilledAtRandomEveryAcknowledgedWriteStaysExactlyOnce) {
  const char* roundsEnv = std::getenv("TB_CRASH_ROUNDS");
  const int rounds = roundsEnv != nullptr ? std::atoi(roundsEnv) : 8;
  const unsigned seed = seedFromEnv();
  std::cout << GetParam() << ": " << rounds << " rounds, TB_CRASH_SEED=" << seed << "\n";
  std::mt19937 rng(seed);
  enrol();
  Totals totals;
  for (int i = 0; i < rounds && !HasFatalFailure(); ++i) round(i, rng, totals);
  if (!HasFatalFailure()) checkRegistry();
  std::cout << GetParam() << ": rounds " << totals.rounds << ", kills " << totals.kills
            << " (after a commit by the hook " << totals.afterCommitKills << ", in start-up "
            << totals.startupKills << "), REST writes attempted " << totals.attempts
            << ", acknowledged " << totals.acked << ", lost " << totals.lost
            << ", half transactions " << totals.partial << ", duplicates " << totals.duplicates
            << "; MLLP messages " << totals.messages << ", ACKed " << totals.messagesAcked
            << ", lost " << totals.messagesLost << ", half " << totals.messagesPartial
            << ", duplicates " << totals.messageDuplicates << ", resends in rounds "
            << totals.resendsInRound << " (seed " << seed << ")\n";
  EXPECT_EQ(totals.rounds, rounds);
  EXPECT_GT(totals.acked, 0);
  EXPECT_GT(totals.messagesAcked, 0);
  EXPECT_EQ(totals.lost, 0);
  EXPECT_EQ(totals.partial, 0);
  EXPECT_EQ(totals.duplicates, 0);
  EXPECT_EQ(totals.messagesLost, 0);
  EXPECT_EQ(totals.messagesPartial, 0);
  EXPECT_EQ(totals.messageDuplicates, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& p) { return p.param; });

// What REST writers, MLLP senders and a /readyz poller saw while the database failed: before the
// fault (up), during it (down) and after it was undone (back).
enum Phase { kUp, kDown, kBack };

struct LoadRecord {
  std::mutex mutex;
  std::vector<std::string> acked;  // REST writes acknowledged (identifier values)
  std::vector<std::pair<std::string, std::string>> refused;  // REST writes refused: value, body
  std::vector<std::string> refusals;  // the first refusal and the first unclear one
  std::vector<Sent> messages;         // every message, with its last answer
  int restAcked = 0, restAckedWhileDown = 0, restRefused = 0, restRefusedWhileDown = 0;
  int restUnclear = 0;  // refusals other than 503 with an OperationOutcome and a Retry-After
  int aa = 0, aaWhileDown = 0, ae = 0, aeWhileDown = 0, aeWithout207 = 0, noAnswer = 0,
      noAnswerWhileDown = 0;
  int readyWhileDown = 0, notReadyWhileDown = 0, lastReady = 0;
  int64_t firstAckBackMs = -1, firstAaBackMs = -1, firstReadyBackMs = -1;
};

// A random, incompressible text of `n` letters (fills a disk as it says; "xxx" would be
// compressed by PostgreSQL's TOAST).
std::string noise(std::mt19937& rng, size_t n) {
  static const char kLetters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string out(n, 'a');
  for (char& c : out) c = kLetters[rng() % (sizeof kLetters - 1)];
  return out;
}

// Fills the file system of `filler` (a file written there) until `room` bytes are left.
void fillDisk(const std::string& filler, uintmax_t room) {
  const auto space = std::filesystem::space(std::filesystem::path(filler).parent_path());
  std::ofstream out(filler, std::ios::binary);
  const std::string block(1 << 16, '\0');
  for (uintmax_t left = space.available > room ? space.available - room : 0; left > 0;) {
    const size_t n = static_cast<size_t>(std::min<uintmax_t>(left, block.size()));
    out.write(block.data(), static_cast<std::streamsize>(n));
    left -= n;
  }
}

// How often `what` occurs in `text`.
size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class DatabaseFaults : public ServeHarness {
 protected:
  // Starts `serve` on a database of `pg` (in `tablespace` when named) and enrols the subjects.
  Ports startOn(PgCluster& pg, const std::string& tablespace = "") {
    prepare({{"TRIALBRIDGE_STORE_BACKEND", "postgresql"},
             {"TRIALBRIDGE_STORE_DATABASE", pg.createDatabase(tablespace)}},
            false);
    enrol();
    return start();
  }

  // Three REST writers (Patients with `fillerBytes` of noise), two MLLP senders (the lab results
  // of the subjects; each message sent until it is accepted, on a new connection when one is
  // closed or gives no answer, as interface engines do) and a /readyz poller run; after 700 ms
  // `fault()`, `downMs` later `recover()`, then the load runs until every sender had an AA
  // after the recovery (at most 20 s) and 300 ms more.
  void underLoad(const Ports& ports, const std::function<void()>& fault,
                 const std::function<void()>& recover, int downMs, size_t fillerBytes,
                 LoadRecord& rec) {
    std::atomic<int> phase{kUp};
    std::atomic<bool> done{false};
    std::atomic<int> sendersBack{0};
    auto backAt = std::chrono::steady_clock::now();
    auto sinceBack = [&] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - backAt)
          .count();
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937 rng(static_cast<unsigned>(t));
        Client client("127.0.0.1", ports.http);
        for (int n = 0; !done.load(); ++n) {
          const std::string value = "df-" + tag_ + std::to_string(t) + "-" + std::to_string(n);
          const std::string body =
              R"({"resourceType":"Patient","identifier":[{"system":"urn:tb:df","value":")" + value +
              R"("}],"name":[{"text":")" + noise(rng, std::max<size_t>(fillerBytes, 8)) + R"("}]})";
          const int before = phase.load();
          Reply r;
          try {
            r = client.post("/fhir/Patient", body);
          } catch (const Poco::Exception&) {
            continue;
          }
          const int after = phase.load();
          std::lock_guard lock(rec.mutex);
          if (r.status == 201) {
            rec.acked.push_back(value);
            ++rec.restAcked;
            if (before == kDown && after == kDown) ++rec.restAckedWhileDown;
            if (before == kBack && rec.firstAckBackMs < 0) rec.firstAckBackMs = sinceBack();
            continue;
          }
          ++rec.restRefused;
          rec.refused.emplace_back(value, r.body);
          if (before == kDown) ++rec.restRefusedWhileDown;
          const bool clear = r.status == 503 && !r.header("retry-after").empty() &&
                             jsonAt(r.body, "resourceType") == "OperationOutcome";
          if (!clear) ++rec.restUnclear;
          if (rec.refusals.empty() || (!clear && rec.restUnclear == 1)) {
            rec.refusals.push_back(std::to_string(r.status) + " Retry-After: " +
                                   r.header("retry-after") + " " + r.body.substr(0, 300));
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      });
    }
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        auto mllp = std::make_unique<MllpClient>(ports.mllp);
        bool back = false;
        for (int n = 0; !done.load(); ++n) {
          Sent s;
          s.controlId = "DF" + tag_ + std::to_string(t) + "-" + std::to_string(n);
          s.text = labMessage(s.controlId, n + t);
          while (!done.load() && !accepted(s.ack)) {
            const int before = phase.load();
            const std::string answer = mllp->exchange(s.text, 5);
            const int after = phase.load();
            const auto acks = msas(answer);
            std::lock_guard lock(rec.mutex);
            if (acks.empty()) {
              ++rec.noAnswer;
              if (before == kDown) ++rec.noAnswerWhileDown;
              mllp = std::make_unique<MllpClient>(ports.mllp);  // and send it again
              std::this_thread::sleep_for(std::chrono::milliseconds(50));
              continue;
            }
            s.ack = acks[0].first;
            if (accepted(s.ack)) {
              ++rec.aa;
              if (before == kDown && after == kDown) ++rec.aaWhileDown;
              if (before == kBack && !back) {
                back = true;
                ++sendersBack;
                if (rec.firstAaBackMs < 0) rec.firstAaBackMs = sinceBack();
              }
            } else {
              ++rec.ae;
              if (before == kDown) ++rec.aeWhileDown;
              if (answer.find("207^") == std::string::npos) ++rec.aeWithout207;
              std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
          }
          std::lock_guard lock(rec.mutex);
          rec.messages.push_back(s);
        }
      });
    }
    threads.emplace_back([&] {
      Client client("127.0.0.1", ports.http);
      while (!done.load()) {
        const int before = phase.load();
        int status = 0;
        try {
          status = client.get("/readyz").status;
        } catch (const Poco::Exception&) {
        }
        const int after = phase.load();
        {
          std::lock_guard lock(rec.mutex);
          rec.lastReady = status;
          if (before == kDown && after == kDown) {
            (status == 200 ? rec.readyWhileDown : rec.notReadyWhileDown)++;
          }
          if (before == kBack && status == 200 && rec.firstReadyBackMs < 0) {
            rec.firstReadyBackMs = sinceBack();
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    fault();
    phase = kDown;
    std::this_thread::sleep_for(std::chrono::milliseconds(downMs));
    backAt = std::chrono::steady_clock::now();
    phase = kBack;
    recover();
    for (int i = 0; i < 400 && sendersBack.load() < 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    done = true;
    for (auto& th : threads) th.join();
  }

  // What every database fault must leave once the database serves again: no refusal that does
  // not say whether to send again, every AE with ERR-3 207, writes and messages accepted again,
  // /readyz 200, and (checkAfter) nothing acknowledged lost. Returns the REST writes lost.
  int expectServedAgain(const Ports& ports, LoadRecord& rec, const std::string& what) {
    EXPECT_EQ(rec.restUnclear, 0) << what << ": "
                                  << (rec.refusals.empty() ? "" : rec.refusals.back());
    EXPECT_EQ(rec.aeWithout207, 0) << what;
    EXPECT_GE(rec.firstAckBackMs, 0) << what << ": no write succeeded once it served again";
    EXPECT_GE(rec.firstAaBackMs, 0) << what << ": no message accepted once it served again";
    EXPECT_EQ(rec.lastReady, 200) << what;
    const int lost = checkAfter(ports, rec);
    EXPECT_EQ(lost, 0) << what;
    return lost;
  }

  // After the load: every acknowledged REST write stored once; every message without an AA sent
  // again until accepted; then every message stored exactly once. Returns the REST writes lost.
  int checkAfter(const Ports& ports, LoadRecord& rec) {
    const Client client("127.0.0.1", ports.http);
    int lost = 0;
    for (const auto& v : rec.acked) {
      const Reply r = client.get("/fhir/Patient?identifier=urn:tb:df%7C" + v + "&_summary=count");
      if (jsonAt(r.body, "total") != "1") ++lost;
    }
    StoredMessages before = storedMessages(client);
    for (const Sent& s : rec.messages) {
      const int n = before.named[sourceOf(s.controlId)];
      EXPECT_TRUE(accepted(s.ack) ? n == 1 : n <= 1) << s.controlId << " (" << s.ack << "): " << n;
    }
    MllpClient mllp(ports.mllp);
    for (Sent& s : rec.messages) {
      if (accepted(s.ack)) continue;
      const std::string answer = mllp.exchange(s.text, 30);
      const auto acks = msas(answer);
      EXPECT_EQ(acks.size(), 1u) << s.controlId;
      if (!acks.empty()) s.ack = acks[0].first;
      EXPECT_TRUE(accepted(s.ack)) << s.controlId << " sent again: " << answer;
    }
    StoredMessages after = storedMessages(client);
    EXPECT_EQ(after.observations, std::to_string(after.targetCount))
        << "an Observation without its message";
    for (const Sent& s : rec.messages) {
      EXPECT_EQ(after.named[sourceOf(s.controlId)], 1) << s.controlId;
    }
    return lost;
  }

  // Prefixes the identifiers and control ids of underLoad(), unique per round of a test that
  // runs it more than once on one database.
  std::string tag_;
};

// PostgreSQL stopped (fast shutdown) for 1.5 s and started again under REST and MLLP load: no
// write is acknowledged and no message gets AA while it is down (REST: 503 with Retry-After;
// MLLP: AE with ERR-3 207, or no answer when the connection is closed); nothing acknowledged is
// lost; /readyz says 503 meanwhile and 200 after; the server and its listener serve again by
// themselves.
TEST_F(DatabaseFaults, PostgresqlStoppedAndRestartedUnderLoad) {
  PgCluster pg;  // its own cluster: this test stops it
  ASSERT_TRUE(pg.start()) << pg.error();
  const Ports ports = startOn(pg);
  ASSERT_GT(ports.http, 0);
  LoadRecord rec;
  underLoad(
      ports, [&] { ASSERT_TRUE(pg.pause()) << pg.error(); },
      [&] { ASSERT_TRUE(pg.resume()) << pg.error(); }, 1500, 0, rec);
  EXPECT_EQ(rec.restAckedWhileDown, 0);
  EXPECT_GT(rec.restRefusedWhileDown, 0);
  EXPECT_EQ(rec.aaWhileDown, 0);
  EXPECT_GT(rec.aeWhileDown + rec.noAnswerWhileDown, 0);
  EXPECT_GT(rec.notReadyWhileDown, 0);
  const int lost = expectServedAgain(ports, rec, "after the restart");
  stop(SIGTERM);
  std::cout << "PostgreSQL down 1.5 s under 3 REST writers and 2 MLLP senders: REST "
            << rec.restAcked << " acknowledged, " << rec.restRefusedWhileDown
            << " refused while down (503), " << rec.restAckedWhileDown
            << " acknowledged while down, lost " << lost << ", first accepted "
            << rec.firstAckBackMs << " ms after the restart began; MLLP " << rec.messages.size()
            << " messages, " << rec.aa << " AA, " << rec.aaWhileDown << " AA while down, "
            << rec.aeWhileDown << " AE (207) and " << rec.noAnswerWhileDown
            << " without an answer while down, first AA " << rec.firstAaBackMs
            << " ms after; /readyz 503 " << rec.notReadyWhileDown << " times and 200 "
            << rec.readyWhileDown << " times while down, 200 again " << rec.firstReadyBackMs
            << " ms after\n";
}

// PostgreSQL's disk fills up under REST and MLLP load: the test database lives in a tablespace on
// a small tmpfs, filled to 192 KiB of room by a file (or, where mounting is refused, the server
// runs with its files limited by RLIMIT_FSIZE just past their size). Writes that find no room
// are refused clearly (REST 503 with an OperationOutcome and Retry-After; MLLP AE with ERR-3
// 207), nothing acknowledged is lost, and once there is room again (the file removed, the limit
// lifted) the server writes again without a restart.
TEST_F(DatabaseFaults, PostgresqlDiskFullUnderLoad) {
  const bool forceLimit = std::getenv("TB_PG_FULL_DISK") != nullptr &&
                          std::string(std::getenv("TB_PG_FULL_DISK")) == "ulimit";
  PgCluster pg;
  ASSERT_TRUE(pg.start(false, 1)) << pg.error();  // 1 MiB WAL segments: under a file limit
  std::string how, whyNoMount;
  if (!forceLimit && pg.smallTablespace("tbsmall", 24)) {
    how = "tmpfs";
  } else {
    whyNoMount = forceLimit ? "TB_PG_FULL_DISK=ulimit" : pg.error();
    how = "RLIMIT_FSIZE";
  }
  const Ports ports = startOn(pg, how == "tmpfs" ? "tbsmall" : "");
  ASSERT_GT(ports.http, 0);
  const std::string filler = pg.tablespaceDir() + "/filler";
  auto fill = [&] {
    if (how == "tmpfs") {
      fillDisk(filler, 192 * 1024);
      return;
    }
    uintmax_t largest = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(pg.dataDir() + "/base")) {
      if (e.is_regular_file()) largest = std::max(largest, e.file_size());
    }
    ASSERT_TRUE(pg.limitFileSize(static_cast<int>(largest / 1024 + 192))) << pg.error();
  };
  auto unfill = [&] {
    if (how == "tmpfs") {
      // Room again, plenty of it: PostgreSQL extends a busy table by up to 4 MiB at once.
      std::filesystem::remove(filler);
      ASSERT_TRUE(pg.resizeTablespace(256)) << pg.error();
    } else {
      ASSERT_TRUE(pg.limitFileSize(0)) << pg.error();
    }
  };
  LoadRecord rec;
  underLoad(ports, fill, unfill, 2500, 2000, rec);
  if (how == "tmpfs") {
    std::cout << "tablespace: " << std::filesystem::space(pg.tablespaceDir()).available / 1024
              << " KiB free after the load\n";
  }
  EXPECT_GT(rec.restRefusedWhileDown, 0) << "the disk never filled (" << how << ")";
  const int lost = expectServedAgain(ports, rec, "once there was room again");
  stop(SIGTERM);
  std::cout << "PostgreSQL disk full (" << how << (whyNoMount.empty() ? "" : ": " + whyNoMount)
            << ") for 2.5 s under 3 REST writers and 2 MLLP senders: REST " << rec.restAcked
            << " acknowledged, " << rec.restRefused << " refused, " << rec.restUnclear
            << " unclear, lost " << lost << ", first accepted " << rec.firstAckBackMs
            << " ms after room returned; MLLP " << rec.messages.size() << " messages, " << rec.aa
            << " AA, " << rec.ae << " AE (207), " << rec.noAnswer << " without an answer; "
            << "first refusal: " << (rec.refusals.empty() ? "" : rec.refusals.front()) << "\n";
}

// PostgreSQL itself killed under REST and MLLP load, on a cluster of its own with fsync,
// synchronous_commit and full_page_writes on (a commit is answered once its WAL is on disk), in
// rounds on one running `serve` and one database, each after a seeded random delay: even rounds
// SIGKILL the postmaster and every process of the server at once, keep it down 0.6 s, start it
// again (crash recovery from the WAL); odd rounds SIGKILL one client backend, after which the
// postmaster ends every other session and recovers by itself. Each round: every acknowledged
// REST write stored exactly once, every message stored exactly once after the resends (none
// half: no Observation without its message); while the server is down no write acknowledged, no
// AA, /readyz 503; and the service writes again by itself. Rounds: $TB_PG_KILL_ROUNDS (default
// 3; bench/crash_soak.sh runs more); the seed: $TB_CRASH_SEED (default: the clock), printed.
TEST_F(DatabaseFaults, PostgresqlKilledUnderLoad) {
  const char* roundsEnv = std::getenv("TB_PG_KILL_ROUNDS");
  const int rounds = roundsEnv != nullptr ? std::atoi(roundsEnv) : 3;
  const unsigned seed = seedFromEnv();
  std::cout << "PostgreSQL killed: " << rounds << " rounds, TB_CRASH_SEED=" << seed << "\n";
  std::mt19937 rng(seed);
  PgCluster pg;
  ASSERT_TRUE(pg.start(true)) << pg.error();
  const Ports ports = startOn(pg);
  ASSERT_GT(ports.http, 0);
  int acked = 0, messages = 0, lost = 0, refused = 0, ackedWhileDown = 0, aaWhileDown = 0,
      refusedStored = 0;
  int64_t slowestBackMs = 0;
  for (int r = 0; r < rounds && !HasFatalFailure(); ++r) {
    tag_ = "k" + std::to_string(r) + ".";
    const bool whole = r % 2 == 0;
    const int delayMs = static_cast<int>(rng() % 600);
    const unsigned pick = rng();
    LoadRecord rec;
    underLoad(
        ports,
        [&] {
          std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));
          ASSERT_TRUE(whole ? pg.killServer() : pg.killBackend(pick)) << pg.error();
        },
        [&] {
          if (whole) {
            ASSERT_TRUE(pg.resume()) << pg.error();
          }
        },
        whole ? 600 : 0, 0, rec);
    const std::string what = std::string(whole ? "the server" : "a backend") + " killed " +
                             std::to_string(700 + delayMs) + " ms into round " + std::to_string(r);
    if (whole) {
      EXPECT_EQ(rec.restAckedWhileDown, 0) << what;
      EXPECT_EQ(rec.aaWhileDown, 0) << what;
      EXPECT_GT(rec.restRefusedWhileDown, 0) << what;
      EXPECT_GT(rec.notReadyWhileDown, 0) << what;
      EXPECT_EQ(rec.readyWhileDown, 0) << what;
    }
    const int roundLost = expectServedAgain(ports, rec, what);
    // A write whose commit was under way when the server died may be there though refused; its
    // answer must say that the outcome is unknown (a resend with its Idempotency-Key makes it
    // once), not that nothing was stored.
    const Client client("127.0.0.1", ports.http);
    for (const auto& [value, body] : rec.refused) {
      const Reply c =
          client.get("/fhir/Patient?identifier=urn:tb:df%7C" + value + "&_summary=count");
      if (jsonAt(c.body, "total") == "0") continue;
      ++refusedStored;
      EXPECT_NE(body.find("outcome unknown"), std::string::npos) << what << ": " << body;
    }
    acked += rec.restAcked;
    messages += static_cast<int>(rec.messages.size());
    lost += roundLost;
    refused += rec.restRefused;
    ackedWhileDown += rec.restAckedWhileDown;
    aaWhileDown += rec.aaWhileDown;
    slowestBackMs = std::max({slowestBackMs, rec.firstAckBackMs, rec.firstAaBackMs});
    std::cout << "PostgreSQL killed (" << what << "): REST " << rec.restAcked << " acknowledged, "
              << rec.restRefused << " refused (503), lost " << roundLost << "; MLLP "
              << rec.messages.size() << " messages, " << rec.aa << " AA, " << rec.ae
              << " AE (207), " << rec.noAnswer << " without an answer; /readyz 503 "
              << rec.notReadyWhileDown << " times while down; first write " << rec.firstAckBackMs
              << " ms and first AA " << rec.firstAaBackMs << " ms after the restart began\n";
  }
  stop(SIGTERM);
  std::cout << "PostgreSQL killed " << rounds << " times (seed " << seed << "): REST " << acked
            << " acknowledged, " << refused << " refused (" << refusedStored
            << " of them stored: their commit was under way), " << ackedWhileDown
            << " acknowledged while down, lost " << lost << "; MLLP " << messages << " messages, "
            << aaWhileDown << " AA while down, all stored once; back within " << slowestBackMs
            << " ms\n";
}

// PostgreSQL's WAL disk full under REST and MLLP load: the cluster (fsync and synchronous_commit
// on) keeps its WAL on a 48 MiB tmpfs of its own (initdb --waldir, 1 MiB segments), filled by a
// file to 256 KiB of room, less than a segment. The server PANICs when it cannot write the next
// WAL segment, ends every session and recovers; recovery finds no room either, and the
// postmaster exits. Meanwhile writes are refused clearly (REST 503 with an OperationOutcome and
// Retry-After; MLLP AE with ERR-3 207) and /readyz says 503. 500 ms later room is made (the file
// removed) and the postmaster started again, as a supervisor (systemd) does; trialbridge is not
// restarted: it writes again by itself, and nothing it acknowledged is lost. Where mounting is
// refused (no root; TB_PG_FULL_DISK=ulimit forces it) the server is started again with its files
// limited to 960 KiB (RLIMIT_FSIZE), so that no new WAL segment can be written (EFBIG), and the
// limit is lifted with a start after its exit: the same PANIC and exit, after a planned restart.
TEST_F(DatabaseFaults, PostgresqlWalDiskFullUnderLoad) {
  const char* force = std::getenv("TB_PG_FULL_DISK");
  PgCluster pg;
  std::string how = "tmpfs", whyNoMount;
  if ((force != nullptr && std::string(force) == "ulimit") || !pg.start(true, 1, 48)) {
    whyNoMount = force != nullptr ? "TB_PG_FULL_DISK=ulimit" : pg.error();
    how = "RLIMIT_FSIZE";
    pg.stop();
    ASSERT_TRUE(pg.start(true, 1)) << pg.error();
  }
  const Ports ports = startOn(pg);
  ASSERT_GT(ports.http, 0);
  const std::string filler = pg.walDir() + "/filler";
  size_t readyBefore = 0;
  bool restarted = false;
  int64_t panicAfterMs = -1;
  auto fill = [&] {
    const auto from = std::chrono::steady_clock::now();
    if (how == "tmpfs") {
      readyBefore = occurrences(pg.serverLog(), "ready to accept connections");
      fillDisk(filler, 256 * 1024);
    } else {
      // No new 1 MiB segment can be written under a 960 KiB limit (a restart, with the limit).
      ASSERT_TRUE(pg.limitFileSize(960)) << pg.error();
      readyBefore = occurrences(pg.serverLog(), "ready to accept connections");
    }
    for (int i = 0; i < 600 && pg.serverLog().find("PANIC:") == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    panicAfterMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - from)
                       .count();
    ASSERT_NE(pg.serverLog().find("PANIC:"), std::string::npos) << "the WAL never filled";
    // Its recovery, still without room, gives up and the postmaster exits (or, should recovery
    // find room in recycled segments, it serves again by itself).
    for (int i = 0; i < 600 && pg.postmasterAlive(); ++i) {
      if (occurrences(pg.serverLog(), "ready to accept connections") > readyBefore) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_FALSE(pg.postmasterAlive()) << "PostgreSQL neither recovered nor exited";
  };
  auto unfill = [&] {
    if (how == "tmpfs") {
      std::filesystem::remove(filler);
      ASSERT_TRUE(pg.restartIfExited(restarted)) << pg.error();
    } else {
      restarted = !pg.postmasterAlive();
      ASSERT_TRUE(pg.limitFileSize(0)) << pg.error();
    }
  };
  LoadRecord rec;
  underLoad(ports, fill, unfill, 500, 2000, rec);
  const std::string log = pg.serverLog();
  const size_t panic = log.find("PANIC:");
  const std::string panicLine =
      panic == std::string::npos ? "" : log.substr(panic, log.find('\n', panic) - panic);
  EXPECT_NE(panicLine.find(how == "tmpfs" ? "No space left on device" : "File too large"),
            std::string::npos)
      << panicLine;
  EXPECT_EQ(rec.restAckedWhileDown, 0);
  EXPECT_EQ(rec.aaWhileDown, 0);
  EXPECT_GT(rec.restRefusedWhileDown, 0);
  EXPECT_GT(rec.notReadyWhileDown, 0);
  EXPECT_EQ(rec.readyWhileDown, 0);
  const int lost = expectServedAgain(ports, rec, "once there was room again");
  stop(SIGTERM);
  std::cout << "PostgreSQL WAL disk full (" << how << (whyNoMount.empty() ? "" : ": " + whyNoMount)
            << "; " << panicLine << ", " << panicAfterMs << " ms after the fill; the postmaster "
            << (restarted ? "exited, started again once there was room" : "recovered by itself")
            << ") under 3 REST writers and 2 MLLP senders: REST " << rec.restAcked
            << " acknowledged, " << rec.restRefused << " refused, " << rec.restRefusedWhileDown
            << " while down, " << rec.restAckedWhileDown << " acknowledged while down, "
            << rec.restUnclear << " unclear, lost " << lost << ", first accepted "
            << rec.firstAckBackMs << " ms after room returned; MLLP " << rec.messages.size()
            << " messages, " << rec.aa << " AA, " << rec.aaWhileDown << " AA while down, " << rec.ae
            << " AE (207), " << rec.noAnswer << " without an answer; /readyz 503 "
            << rec.notReadyWhileDown << " times while down; first refusal: "
            << (rec.refusals.empty() ? "" : rec.refusals.front()) << "\n";
}

// A connection lost during COMMIT, made certain: with synchronous_standby_names naming a standby
// that never comes, PostgreSQL writes a commit locally and then waits for it; the test ends that
// backend (pg_terminate_backend) during the wait. The write is stored, but its answer could not
// say so: it must be 503 saying "commit outcome unknown" (not "nothing was done"), and the same
// request sent again with its Idempotency-Key must find it, stored once. A write refused before
// its commit (the database stopped) keeps the plain "commit failed" or "cannot connect".
TEST_F(DatabaseFaults, PostgresqlConnectionLostDuringCommitSaysOutcomeUnknown) {
  PgCluster pg;
  ASSERT_TRUE(pg.start(true)) << pg.error();  // synchronous_commit on: commits wait for standbys
  const Ports ports = startOn(pg);
  ASSERT_GT(ports.http, 0);
  Poco::Data::Session admin("PostgreSQL", pg.adminConnection());
  using Poco::Data::Keywords::into;
  using Poco::Data::Keywords::now;
  admin << "ALTER SYSTEM SET synchronous_standby_names = 'tb_never'", now;
  admin << "SELECT pg_reload_conf()", now;
  const std::string body =
      R"({"resourceType":"Patient","identifier":[{"system":"urn:tb:df","value":"unknown-1"}]})";
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/fhir+json"}, {"Idempotency-Key", "tb-unknown-1"}};
  const Client client("127.0.0.1", ports.http);
  Reply first;
  std::thread writer([&] { first = client.request("POST", "/fhir/Patient", body, headers); });
  int pid = 0;
  for (int i = 0; i < 200 && pid == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    admin << "SELECT COALESCE(MAX(pid), 0) FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND "
             "query = 'COMMIT'",
        into(pid), now;
  }
  EXPECT_GT(pid, 0) << "no commit waited for the standby";
  bool ended = false;
  if (pid > 0)
    admin << "SELECT pg_terminate_backend(" + std::to_string(pid) + ")", into(ended), now;
  writer.join();
  admin << "ALTER SYSTEM RESET synchronous_standby_names", now;
  admin << "SELECT pg_reload_conf()", now;
  EXPECT_TRUE(ended);
  EXPECT_EQ(first.status, 503) << first.body;
  EXPECT_FALSE(first.header("retry-after").empty());
  EXPECT_NE(first.body.find("commit outcome unknown"), std::string::npos) << first.body;
  auto stored = [&] {
    return jsonAt(client.get("/fhir/Patient?identifier=urn:tb:df%7Cunknown-1&_summary=count").body,
                  "total");
  };
  EXPECT_EQ(stored(), "1") << "the commit was made locally before the wait";
  const Reply again = client.request("POST", "/fhir/Patient", body, headers);
  EXPECT_TRUE(again.status == 200 || again.status == 201) << again.status << " " << again.body;
  EXPECT_EQ(stored(), "1") << "the resend with its Idempotency-Key stored it again";
  // Refused before any commit: not "unknown".
  ASSERT_TRUE(pg.pause()) << pg.error();
  const Reply down = client.post(
      "/fhir/Patient",
      R"({"resourceType":"Patient","identifier":[{"system":"urn:tb:df","value":"unknown-2"}]})");
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_EQ(down.body.find("outcome unknown"), std::string::npos) << down.body;
  ASSERT_TRUE(pg.resume()) << pg.error();
  stop(SIGTERM);
}

// SQLite on a full disk: the server's files may not grow past a limit (RLIMIT_FSIZE, with SIGXFSZ
// ignored, so a write past it fails with EFBIG as one past a full file system fails with ENOSPC).
// Writes are then refused with 503 and Retry-After (retry later), the server stays up, nothing
// refused is stored, every acknowledged write is, and the database passes integrity_check once the
// limit is gone.
TEST(FullDisk, SqliteRefusesWritesAndStaysIntact) {
  const std::string dir = tempDir();
  auto startWith = [&](const std::string& limitBlocks, int& port) {
    std::vector<std::string> args = {
        "/bin/sh", "-c",
        limitBlocks.empty() ? "exec \"$0\" --port 0"
                            : "trap '' XFSZ; ulimit -f " + limitBlocks + " && exec \"$0\" --port 0",
        TB_SERVE_BINARY};
    auto c = std::make_unique<ChildProcess>(args, dir, dir + "/stderr.log");
    const std::string out = c->readUntil("FHIR base ", 120);
    const size_t at = out.find("FHIR base http://127.0.0.1:");
    port = 0;
    if (at != std::string::npos) {
      const std::string base = out.substr(at + 10, out.find('\n', at) - at - 10);
      port = std::stoi(base.substr(base.rfind(':') + 1));
    }
    return c;
  };
  auto stopChild = [](std::unique_ptr<ChildProcess>& c) { return c->terminate(); };
  int port = 0;
  auto first = startWith("", port);  // creates the schema
  ASSERT_GT(port, 0) << slurpFile(dir + "/stderr.log");
  stopChild(first);
  // Room for the files as they are plus about 1 MiB (ulimit -f counts 512-byte blocks in dash).
  uintmax_t size = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file()) size = std::max(size, e.file_size());
  }
  auto limited = startWith(std::to_string(size / 512 + 2048), port);
  ASSERT_GT(port, 0) << slurpFile(dir + "/stderr.log");
  Client client("127.0.0.1", port);
  const std::string filler(4000, 'x');
  std::vector<std::string> acked, refused;
  std::string firstRefusal;
  for (int i = 0; i < 3000 && refused.size() < 20; ++i) {
    const std::string value = "full-" + std::to_string(i);
    Reply r = client.post("/fhir/Patient",
                          R"({"resourceType":"Patient","identifier":[{"system":"urn:tb:full",)"
                          R"("value":")" +
                              value + R"("}],"name":[{"text":")" + filler + R"("}]})");
    ASSERT_NE(r.status, 0) << "the server died at write " << i;
    if (r.status == 201) {
      acked.push_back(value);
    } else {
      // Retry later: nothing was done, and the same request succeeds once there is room.
      EXPECT_EQ(r.status, 503) << r.body;
      EXPECT_FALSE(r.header("retry-after").empty());
      EXPECT_EQ(jsonAt(r.body, "resourceType"), "OperationOutcome") << r.body;
      if (refused.empty()) firstRefusal = std::to_string(r.status) + " " + r.body;
      refused.push_back(value);
    }
  }
  ASSERT_FALSE(refused.empty()) << "the limit was never reached (" << acked.size() << " writes)";
  EXPECT_GT(acked.size(), 0u);
  Reply health = client.get("/fhir/metadata");
  EXPECT_EQ(health.status, 200) << "the server answers reads on a full disk";
  stopChild(limited);
  // Without the limit: everything acknowledged is there, nothing refused, the file is intact.
  auto again = startWith("", port);
  ASSERT_GT(port, 0) << slurpFile(dir + "/stderr.log");
  Client after("127.0.0.1", port);
  auto count = [&](const std::string& value) {
    return jsonAt(
        after.get("/fhir/Patient?identifier=urn:tb:full%7C" + value + "&_summary=count").body,
        "total");
  };
  for (const auto& v : acked) EXPECT_EQ(count(v), "1") << v;
  for (const auto& v : refused) EXPECT_EQ(count(v), "0") << v;
  Reply more = after.post("/fhir/Patient", R"({"resourceType":"Patient"})");
  EXPECT_EQ(more.status, 201) << "writes resume once there is room";
  stopChild(again);
  const int rc = std::system(("python3 -c \"import sqlite3,sys; r = sqlite3.connect('" + dir +
                              "/trialbridge.db').execute('PRAGMA integrity_check').fetchall(); "
                              "sys.exit(0 if r == [('ok',)] else 1)\"")
                                 .c_str());
  EXPECT_EQ(rc, 0) << "PRAGMA integrity_check";
  EXPECT_NE(firstRefusal.find("disk"), std::string::npos) << "a clear error: " << firstRefusal;
  std::cout << "full disk: " << acked.size() << " writes stored, " << refused.size()
            << " refused; the first refusal: " << firstRefusal << "\n";
}

}  // namespace
}  // namespace trialbridge::testing
