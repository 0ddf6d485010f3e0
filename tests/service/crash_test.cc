// Crash consistency (issue 15): `trialbridge serve` is killed with SIGKILL at a random moment while
// REST clients write (creates and transactions, each with an Idempotency-Key), then started again
// on the same database. Every acknowledged write must be there exactly once, no transaction may be
// half there, and resending every write with its key must leave each exactly once.
//
// Rounds per backend: $TB_CRASH_ROUNDS (default 8; bench/crash_soak.sh runs hundreds); the seed
// of the kill delays: $TB_CRASH_SEED (default: the clock), printed so that a failure can be rerun.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <Poco/Exception.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "child_process.h"
#include "pg_cluster.h"
#include "test_client.h"

namespace trialbridge::testing {
namespace {

constexpr const char* kSystem = "urn:tb:crash";

struct Attempt {
  std::string key;
  std::vector<std::string> values;  // one for a create, two for a transaction
  std::string path, body;
  bool acked = false;
  std::string ackedBody;
};

struct Totals {
  int rounds = 0, attempts = 0, acked = 0, lost = 0, partial = 0, duplicates = 0;
};

// The identifier system of a round's patients: one search finds them all.
std::string systemOf(int round) { return std::string(kSystem) + ":" + std::to_string(round); }

std::string patient(const std::string& system, const std::string& value) {
  return R"({"resourceType":"Patient","identifier":[{"system":")" + system + R"(","value":")" +
         value + R"("}]})";
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

class CrashTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = tempDir();
    if (GetParam() == "postgresql") {
      auto& pg = PgCluster::shared();
      ASSERT_TRUE(pg.running()) << "PostgreSQL test cluster did not start: " << pg.error();
      env_ = {{"TRIALBRIDGE_STORE_BACKEND", "postgresql"},
              {"TRIALBRIDGE_STORE_DATABASE", pg.createDatabase()}};
    }
  }

  // Starts the server; its port, or 0 (with the failure recorded).
  int start() {
    child_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{TB_SERVE_BINARY, "--port", "0"}, dir_, dir_ + "/stderr.log", env_);
    const std::string out = child_->readUntil("FHIR base ", 120);
    const size_t at = out.find("FHIR base http://127.0.0.1:");
    EXPECT_NE(at, std::string::npos) << out << slurpFile(dir_ + "/stderr.log");
    if (at == std::string::npos) return 0;
    const std::string base = out.substr(at + 10, out.find('\n', at) - at - 10);
    return std::stoi(base.substr(base.rfind(':') + 1));
  }
  void stop(int signal) {
    if (signal == SIGTERM) {
      EXPECT_EQ(child_->terminate(), 0);
    } else {
      child_->kill();
    }
    child_.reset();
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
  // How many patients of `system` hold each identifier value, over every page of the search (a
  // fast machine writes more than a page holds in a round).
  static std::map<std::string, int> counts(const Client& client, const std::string& system) {
    std::map<std::string, int> out;
    std::string next = "/fhir/Patient?identifier=" + system + "%7C&_count=1000";
    for (int page = 0; !next.empty() && page < 100; ++page) {
      Reply r = client.get(next);
      EXPECT_EQ(r.status, 200) << r.body;
      rapidjson::Document d;
      d.Parse(r.body.c_str());
      EXPECT_TRUE(d.IsObject() && d.HasMember("total")) << r.body;
      if (!d.IsObject() || !d.HasMember("total")) return out;
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
      for (const auto& e : d["entry"].GetArray()) {
        for (const auto& id : e["resource"]["identifier"].GetArray())
          out[id["value"].GetString()]++;
      }
    }
    return out;
  }

  void round(int number, std::mt19937& rng, Totals& totals);

  std::string dir_;
  std::vector<std::pair<std::string, std::string>> env_;
  std::unique_ptr<ChildProcess> child_;
};

void CrashTest::round(int number, std::mt19937& rng, Totals& totals) {
  const int port = start();
  ASSERT_GT(port, 0);
  constexpr int kWriters = 3;
  std::vector<std::vector<Attempt>> attempts(kWriters);
  std::atomic<bool> gone{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      Client client("127.0.0.1", port);
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
        } else {
          a.values = {"c" + tag};
          a.path = "/fhir/Patient";
          a.body = patient(systemOf(number), a.values[0]);
        }
        attempts[t].push_back(a);  // attempted before it is sent: the kill may come at any time
        Reply r = send(client, a);
        if (r.status == 0) break;
        attempts[t].back().acked = r.status / 100 == 2;
        attempts[t].back().ackedBody = r.body;
        EXPECT_TRUE(r.status / 100 == 2 || r.status >= 500) << r.status << " " << r.body;
      }
    });
  }
  const int delayMs = std::uniform_int_distribution<int>(20, 600)(rng);
  std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));
  stop(SIGKILL);
  gone = true;
  for (auto& w : writers) w.join();

  const int port2 = start();
  ASSERT_GT(port2, 0);
  Client client("127.0.0.1", port2);
  const std::map<std::string, int> stored = counts(client, systemOf(number));
  auto countOf = [](const std::map<std::string, int>& m, const std::string& v) {
    auto it = m.find(v);
    return it == m.end() ? 0 : it->second;
  };
  for (const auto& list : attempts) {
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
      // The client's retry after the crash: same key, same request.
      Reply again = send(client, a);
      EXPECT_EQ(again.status / 100, 2) << a.key << ": " << again.status << " " << again.body;
      if (a.acked && a.values.size() == 1) {
        EXPECT_EQ(jsonAt(again.body, "id"), jsonAt(a.ackedBody, "id")) << "the first answer again";
      }
    }
  }
  const std::map<std::string, int> resent = counts(client, systemOf(number));
  for (const auto& list : attempts) {
    for (const Attempt& a : list) {
      for (const auto& v : a.values) {
        const int c = countOf(resent, v);
        if (c > 1) ++totals.duplicates;
        EXPECT_EQ(c, 1) << v << " after the resend";
      }
    }
  }
  stop(SIGTERM);
  ++totals.rounds;
  std::cout << "round " << number << ": killed after " << delayMs << " ms, "
            << attempts[0].size() + attempts[1].size() + attempts[2].size() << " attempts\n";
}

TEST_P(CrashTest, KilledAtRandomEveryAcknowledgedWriteStaysExactlyOnce) {
  const char* roundsEnv = std::getenv("TB_CRASH_ROUNDS");
  const char* seedEnv = std::getenv("TB_CRASH_SEED");
  const int rounds = roundsEnv != nullptr ? std::atoi(roundsEnv) : 8;
  const unsigned seed =
      seedEnv != nullptr
          ? static_cast<unsigned>(std::strtoul(seedEnv, nullptr, 10))
          : static_cast<unsigned>(std::chrono::system_clock::now().time_since_epoch().count());
  std::cout << GetParam() << ": " << rounds << " rounds, TB_CRASH_SEED=" << seed << "\n";
  std::mt19937 rng(seed);
  Totals totals;
  for (int i = 0; i < rounds && !HasFatalFailure(); ++i) round(i, rng, totals);
  std::cout << GetParam() << ": rounds " << totals.rounds << ", writes attempted "
            << totals.attempts << ", acknowledged " << totals.acked << ", lost " << totals.lost
            << ", half transactions " << totals.partial << ", duplicates " << totals.duplicates
            << " (seed " << seed << ")\n";
  EXPECT_EQ(totals.rounds, rounds);
  EXPECT_GT(totals.acked, 0);
  EXPECT_EQ(totals.lost, 0);
  EXPECT_EQ(totals.partial, 0);
  EXPECT_EQ(totals.duplicates, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& p) { return p.param; });

// PostgreSQL stopped (fast shutdown) and started again while REST clients write: no write sent
// while it is down is acknowledged, every acknowledged write is stored once, and the server
// serves again by itself once the database is back (the time it takes is printed).
TEST(DatabaseFaults, PostgresqlStoppedAndRestartedUnderLoad) {
  PgCluster pg;  // its own cluster: this test stops it
  ASSERT_TRUE(pg.start()) << pg.error();
  const std::string dir = tempDir();
  ChildProcess server({TB_SERVE_BINARY, "--port", "0"}, dir, dir + "/stderr.log",
                      {{"TRIALBRIDGE_STORE_BACKEND", "postgresql"},
                       {"TRIALBRIDGE_STORE_DATABASE", pg.createDatabase()}});
  const std::string out = server.readUntil("FHIR base ", 120);
  const size_t at = out.find("FHIR base http://127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << out << slurpFile(dir + "/stderr.log");
  const std::string base = out.substr(at + 10, out.find('\n', at) - at - 10);
  const int port = std::stoi(base.substr(base.rfind(':') + 1));

  enum Phase { kUp, kDown, kBack };
  std::atomic<int> phase{kUp};
  std::atomic<bool> done{false};
  std::mutex mutex;
  std::vector<std::string> acked;
  std::atomic<int> ackedWhileDown{0}, refusedWhileDown{0}, errors{0};
  std::atomic<int64_t> firstAckBackMs{-1};
  const auto backAt = std::make_shared<std::chrono::steady_clock::time_point>();
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      Client client("127.0.0.1", port);
      for (int n = 0; !done.load(); ++n) {
        const std::string value = "pg-" + std::to_string(t) + "-" + std::to_string(n);
        const int before = phase.load();
        Reply r;
        try {
          r = client.post("/fhir/Patient",
                          R"({"resourceType":"Patient","identifier":[{"system":"urn:tb:pg",)"
                          R"("value":")" +
                              value + R"("}]})");
        } catch (const Poco::Exception&) {
          errors++;
          continue;
        }
        const int after = phase.load();
        if (r.status == 201) {
          std::lock_guard lock(mutex);
          acked.push_back(value);
          if (before == kDown && after == kDown) ackedWhileDown++;
          if (before == kBack && firstAckBackMs.load() < 0) {
            firstAckBackMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - *backAt)
                                 .count();
          }
        } else {
          EXPECT_GE(r.status, 500) << r.body;
          if (before == kDown) refusedWhileDown++;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ASSERT_TRUE(pg.pause()) << pg.error();
  phase = kDown;
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  *backAt = std::chrono::steady_clock::now();
  phase = kBack;
  ASSERT_TRUE(pg.resume()) << pg.error();
  for (int i = 0; i < 300 && firstAckBackMs.load() < 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  done = true;
  for (auto& w : writers) w.join();
  EXPECT_EQ(ackedWhileDown.load(), 0);
  EXPECT_GT(refusedWhileDown.load(), 0);
  EXPECT_GE(firstAckBackMs.load(), 0) << "no write succeeded after the database came back";
  Client client("127.0.0.1", port);
  int lost = 0;
  for (const auto& v : acked) {
    Reply r = client.get("/fhir/Patient?identifier=urn:tb:pg%7C" + v + "&_summary=count");
    if (jsonAt(r.body, "total") != "1") ++lost;
  }
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(server.terminate(), 0) << "the server survived the outage and stopped cleanly";
  std::cout << "PostgreSQL down 1.5 s under 3 writers: " << acked.size() << " acknowledged, "
            << refusedWhileDown.load() << " refused while down, " << ackedWhileDown.load()
            << " acknowledged while down, lost " << lost << ", first write accepted "
            << firstAckBackMs.load() << " ms after the restart began\n";
}

// SQLite on a full disk: the server's files may not grow past a limit (RLIMIT_FSIZE, with SIGXFSZ
// ignored, so a write past it fails with EFBIG as one past a full file system fails with ENOSPC).
// Writes are then refused with a server error, the server stays up, nothing refused is stored,
// every acknowledged write is, and the database passes integrity_check once the limit is gone.
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
      EXPECT_GE(r.status, 500) << r.body;
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
