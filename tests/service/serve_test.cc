// `trialbridge serve` in a child process: default configuration (loopback, no authentication,
// SQLite in the working directory), the reference trial loaded, the base URL printed, a clean
// stop on SIGTERM.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <rapidjson/document.h>

#include "child_process.h"
#include "store/store.h"
#include "test_client.h"

namespace trialbridge::testing {
namespace {

TEST(ServeCommand, DefaultsTrialBaseUrlAndCleanStop) {
  const std::string dir = tempDir();
  const std::string trial = std::string(TB_SOURCE_ROOT) + "/samples/trials/NCT06813157.json";
  Child c = spawn({TB_SERVE_BINARY, "--port", "0", "--trial", trial}, dir, dir + "/stderr.log");
  ASSERT_GT(c.pid, 0);
  const std::string out = readUntil(c.out, "FHIR base ", 120);
  const size_t at = out.find("FHIR base http://127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << out << slurp(dir + "/stderr.log");
  EXPECT_NE(out.find("loaded trial nct06813157"), std::string::npos) << out;
  const std::string base = out.substr(at + 10, out.find('\n', at) - at - 10);
  const int port = std::stoi(base.substr(base.rfind(':') + 1));
  EXPECT_NE(slurp(dir + "/stderr.log").find("WITHOUT authentication"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir + "/trialbridge.db"));

  Client client("127.0.0.1", port);
  Reply study = client.get("/fhir/ResearchStudy?_summary=count");
  EXPECT_EQ(study.status, 200);
  EXPECT_EQ(jsonAt(study.body, "total"), "1") << study.body;
  Reply found = client.get("/fhir/ResearchStudy?identifier=NCT06813157");
  EXPECT_EQ(jsonAt(found.body, "total"), "1") << found.body;

  ASSERT_EQ(::kill(c.pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(c.pid, &status, 0), c.pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(slurp(dir + "/stderr.log").find("stopped"), std::string::npos);
  ::close(c.out);

  // Started again on the same file: the data is there.
  Child again = spawn({TB_SERVE_BINARY, "--port", "0"}, dir, dir + "/stderr2.log");
  const std::string out2 = readUntil(again.out, "FHIR base ", 60);
  const size_t at2 = out2.find("FHIR base http://127.0.0.1:");
  ASSERT_NE(at2, std::string::npos) << out2 << slurp(dir + "/stderr2.log");
  const std::string base2 = out2.substr(at2 + 10, out2.find('\n', at2) - at2 - 10);
  Client client2("127.0.0.1", std::stoi(base2.substr(base2.rfind(':') + 1)));
  EXPECT_EQ(jsonAt(client2.get("/fhir/ResearchStudy?_summary=count").body, "total"), "1");
  ::kill(again.pid, SIGTERM);
  ::waitpid(again.pid, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ::close(again.out);
  std::filesystem::remove_all(dir);
}

TEST(ServeCommand, BadConfigurationStopsStartUp) {
  const std::string dir = tempDir();
  writeFile(dir + "/bad.json", R"({"http":{"port":"eighty"}})");
  Child c = spawn({TB_SERVE_BINARY, "--config", dir + "/bad.json"}, dir, dir + "/stderr.log");
  int status = 0;
  ASSERT_EQ(::waitpid(c.pid, &status, 0), c.pid);
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(slurp(dir + "/stderr.log").find("'http.port' must be a whole number"),
            std::string::npos)
      << slurp(dir + "/stderr.log");
  ::close(c.out);
  std::filesystem::remove_all(dir);
}

int waitFor(const Child& c) {
  int status = 0;
  if (::waitpid(c.pid, &status, 0) != c.pid) return -1;
  ::close(c.out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Settings from the environment over the file (the database from a secret file), the log as JSON
// lines on standard error, and no personal data in it: not the patient's name or identifier sent
// in a body and a query string, even with the access log on.
TEST(ServeCommand, EnvironmentOverridesAndJsonLogsWithoutPersonalData) {
  const std::string dir = tempDir();
  writeFile(dir + "/tb.json",
            R"({"http": {"port": 1, "accessLog": false}, "log": {"format": "text"}})");
  writeFile(dir + "/database.secret", dir + "/from-secret.db\n");
  Child c = spawn({TB_SERVE_BINARY, "--config", dir + "/tb.json"}, dir, dir + "/stderr.log",
                  {{"TRIALBRIDGE_HTTP_PORT", "0"},
                   {"TRIALBRIDGE_HTTP_ACCESS_LOG", "true"},
                   {"TRIALBRIDGE_LOG_FORMAT", "json"},
                   {"TRIALBRIDGE_STORE_DATABASE_FILE", dir + "/database.secret"}});
  ASSERT_GT(c.pid, 0);
  const std::string out = readUntil(c.out, "FHIR base ", 120);
  const size_t at = out.find("FHIR base http://127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << out << slurp(dir + "/stderr.log");
  const std::string base = out.substr(at + 10, out.find('\n', at) - at - 10);
  Client client("127.0.0.1", std::stoi(base.substr(base.rfind(':') + 1)));
  const std::string patient =
      R"({"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"MRN-98765"}],
          "name":[{"family":"Zyxwvutsrq"}]})";
  const Reply created = client.post("/fhir/Patient", patient);
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(client.get("/fhir/Patient?name=Zyxwvutsrq&identifier=MRN-98765").status, 200);
  EXPECT_EQ(client.get("/fhir/Patient/" + jsonAt(created.body, "id")).status, 200);
  ASSERT_EQ(::kill(c.pid, SIGTERM), 0);
  EXPECT_EQ(waitFor(c), 0);
  EXPECT_TRUE(std::filesystem::exists(dir + "/from-secret.db"));

  const std::string log = slurp(dir + "/stderr.log");
  EXPECT_EQ(log.find("Zyxwvutsrq"), std::string::npos) << log;
  EXPECT_EQ(log.find("MRN-98765"), std::string::npos) << log;
  std::istringstream lines(log);
  std::string line;
  std::set<std::string> events, routes;
  while (std::getline(lines, line)) {
    rapidjson::Document doc;
    doc.Parse(line.c_str());
    ASSERT_FALSE(doc.HasParseError()) << "not a JSON line: " << line;
    ASSERT_TRUE(doc.IsObject() && doc.HasMember("time") && doc.HasMember("level") &&
                doc.HasMember("event") && doc.HasMember("message"))
        << line;
    events.insert(doc["event"].GetString());
    if (doc.HasMember("route")) routes.insert(doc["route"].GetString());
  }
  for (const char* e :
       {"serve.no_auth", "serve.started", "http.request", "serve.stopping", "serve.stopped"}) {
    EXPECT_EQ(events.count(e), 1u) << e << " missing in:\n" << log;
  }
  EXPECT_EQ(routes, (std::set<std::string>{"/fhir/Patient", "/fhir/Patient/:id"})) << log;
  std::filesystem::remove_all(dir);
}

// --check-config: every problem on its own line and status 2, or "valid" and status 0; it starts
// nothing (no database file appears).
TEST(ServeCommand, CheckConfigValidatesAndExits) {
  const std::string dir = tempDir();
  writeFile(dir + "/bad.json", R"({"http": {"port": 70000}, "store": {"backend": "postgresql"}})");
  Child bad = spawn({TB_SERVE_BINARY, "--config", dir + "/bad.json", "--check-config"}, dir,
                    dir + "/bad.log", {{"TRIALBRIDGE_HTTP_TREADS", "4"}});
  EXPECT_EQ(waitFor(bad), 2);
  const std::string errors = slurp(dir + "/bad.log");
  for (const char* line : {
           "trialbridge serve: " /* file */,
           "'http.port' must be a whole number from 0 to 65535\n",
           "'store.database' is required with the \"postgresql\" backend",
           "trialbridge serve: environment variable TRIALBRIDGE_HTTP_TREADS is not a known setting",
       }) {
    EXPECT_NE(errors.find(line), std::string::npos) << line << "\n--- in:\n" << errors;
  }

  const std::string trial = std::string(TB_SOURCE_ROOT) + "/samples/trials/NCT06813157.json";
  writeFile(dir + "/good.json",
            R"({"store": {"database": ")" + dir + R"(/good.db"}, "trials": [")" + trial + R"("]})");
  Child good = spawn({TB_SERVE_BINARY, "--config", dir + "/good.json", "--check-config"}, dir,
                     dir + "/good.log", {{"TRIALBRIDGE_HTTP_PORT", "9"}});
  const std::string out = readUntil(good.out, "valid", 60);
  EXPECT_EQ(waitFor(good), 0) << slurp(dir + "/good.log");
  EXPECT_EQ(out, "trialbridge serve: the configuration is valid (" + dir +
                     "/good.json; environment: TRIALBRIDGE_HTTP_PORT)\n");
  EXPECT_FALSE(std::filesystem::exists(dir + "/good.db"));
  std::filesystem::remove_all(dir);
}

// SIGTERM during a load of MLLP messages (4 connections) and REST writes (2 clients), the service
// started from the example configuration (deploy/trialbridge.example.json) with the variables
// that put it on loopback and SQLite: it exits 0 within shutdownGraceSeconds, and afterwards the
// store holds every message that got an ACK and every write that got a 2xx, each once.
TEST(ServeCommand, SigtermFinishesTheWorkInProgressAndLosesNothing) {
  const std::string dir = tempDir();
  writeFile(dir + "/database", dir + "/tb.db\n");
  const std::vector<std::pair<std::string, std::string>> env = {
      {"TRIALBRIDGE_HTTP_HOST", "127.0.0.1"},
      {"TRIALBRIDGE_HTTP_PORT", "0"},
      {"TRIALBRIDGE_HTTP_PUBLIC_BASE_URL", ""},
      {"TRIALBRIDGE_TLS_ENABLED", "false"},
      {"TRIALBRIDGE_AUTH_ENABLED", "false"},
      {"TRIALBRIDGE_STORE_BACKEND", "sqlite"},
      {"TRIALBRIDGE_STORE_DATABASE_FILE", dir + "/database"},
      {"TRIALBRIDGE_MLLP_HOST", "127.0.0.1"},
      {"TRIALBRIDGE_MLLP_PORT", "0"},
      {"TRIALBRIDGE_MLLP_TLS_CERTIFICATE", ""},
      {"TRIALBRIDGE_MLLP_TLS_PRIVATE_KEY", ""},
      {"TRIALBRIDGE_TRIALS", "[]"},
      {"TRIALBRIDGE_SHUTDOWN_GRACE_SECONDS", "10"}};
  Child c = spawn({TB_SERVE_BINARY, "--config",
                   std::string(TB_SOURCE_ROOT) + "/deploy/trialbridge.example.json"},
                  dir, dir + "/stderr.log", env);
  ASSERT_GT(c.pid, 0);
  const std::string out = readUntil(c.out, "MLLP on ", 120);
  const size_t base = out.find("FHIR base http://127.0.0.1:");
  const size_t mllp = out.find("MLLP on 127.0.0.1:");
  ASSERT_TRUE(base != std::string::npos && mllp != std::string::npos)
      << out << slurp(dir + "/stderr.log");
  const int httpPort = std::stoi(out.substr(base + 27));
  const int mllpPort = std::stoi(out.substr(mllp + 18));

  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::vector<std::string> acked, created;
  std::atomic<int> refused{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, t] {
      MllpClient sender(mllpPort);
      for (int i = 0; !stop.load() && sender.connected(); ++i) {
        const std::string id = "GS-" + std::to_string(t) + "-" + std::to_string(i);
        const std::string ack = sender.exchange(
            "MSH|^~\\&|LAB|HOSP|TRIALBRIDGE|SITE|20250301120000||ORU^R01^ORU_R01|" + id +
            "|P|2.5.1\rPID|1||MRN1^^^HOSP^MR||Doe^Jane||19800101|F\r"
            "OBR|1||F1|26515-7^Platelets^LN|||20250301100000|||||||||||||||20250301110000|||F\r"
            "OBX|1|NM|26515-7^Platelets^LN||145|10*9/L|150-400|L|||F|||20250301100000\r");
        if (ack.find("MSA|AA|" + id) != std::string::npos) {
          std::lock_guard lock(mutex);
          acked.push_back(id);
        }
      }
    });
  }
  for (int t = 0; t < 2; ++t) {
    load.emplace_back([&, t] {
      Client client("127.0.0.1", httpPort);
      for (int i = 0; !stop.load(); ++i) {
        Reply r;
        try {
          r = client.post("/fhir/Patient",
                          R"({"resourceType":"Patient","identifier":[{"system":"urn:gs",)"
                          R"("value":")" +
                              std::to_string(t) + "-" + std::to_string(i) + R"("}]})");
        } catch (const std::exception&) {
          break;  // connection refused or reset: the server is gone
        }
        if (r.status == 201) {
          std::lock_guard lock(mutex);
          created.push_back(jsonAt(r.body, "id"));
        } else if (r.status == 503) {
          refused++;
        } else {
          break;  // connection refused or closed: the server is gone
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const auto signalled = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(c.pid, SIGTERM), 0);
  EXPECT_EQ(waitFor(c), 0) << slurp(dir + "/stderr.log");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();
  EXPECT_LT(seconds, 11.0);
  stop = true;
  for (auto& t : load) t.join();
  ASSERT_GT(acked.size(), 0u);
  ASSERT_GT(created.size(), 0u);

  store::StoreOptions o;
  o.database = dir + "/tb.db";
  auto opened = store::openStore(o);
  ASSERT_TRUE(opened) << opened.message();
  store::Store& st = *opened.value();
  for (const std::string& id : acked) {
    store::MessageReceipt r;
    EXPECT_TRUE(st.readReceipt("hl7:LAB|HOSP|" + id, r)) << id;
    EXPECT_EQ(r.ackCode, "AA") << id;
  }
  for (const std::string& id : created) {
    store::ResourceVersion v;
    EXPECT_TRUE(st.read("Patient", id, v)) << id;
  }
  store::HistoryQuery h;
  h.type = "Patient";
  store::HistoryResult all;
  ASSERT_TRUE(st.history(h, all));
  EXPECT_EQ(all.total,
            static_cast<int64_t>(created.size()));  // no write stored twice or unanswered
  std::set<std::string> ids(created.begin(), created.end());
  EXPECT_EQ(ids.size(), created.size());
  opened.value().reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trialbridge::testing
