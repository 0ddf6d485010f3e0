// Publishing inside `trialbridge serve` (service/publishing.h): the schedule and its state over
// REST ($registry-status), recovery after the process is killed in the middle of a publish, and
// several nodes on one PostgreSQL database with one publisher at a time. The registry is
// Medplum's FHIR router (tests/peers/medplum_server.mjs).
#include "service/publishing.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "child_process.h"
#include "medplum_peer.h"
#include "pg_cluster.h"
#include "publish_test_util.h"
#include "study/trial_reader.h"
#include "test_client.h"

namespace trialbridge::testing {
namespace {

using service::JsonTree;

const std::vector<std::string>& types() { return service::defaultPublishedTypes(); }

std::string config(const std::string& peerBase, int interval, const std::string& store = {}) {
  return R"({"registries":{"peer":{"kind":"fhir","url":")" + peerBase + R"(","intervalSeconds":)" +
         std::to_string(interval) + R"(,"retryBaseMillis":20,"retryMaxMillis":1000}})" + store +
         "}";
}

// A `serve` child on a free port in `dir`, with `configJson`; its port, or 0.
struct Serve {
  Child child;
  int port = 0;
  std::string output;
};

Serve startServe(const std::string& dir, const std::string& configJson, bool trial,
                 const std::string& log) {
  writeFile(dir + "/config.json", configJson);
  std::vector<std::string> args = {TB_SERVE_BINARY, "--config", dir + "/config.json", "--port",
                                   "0"};
  if (trial) {
    args.push_back("--trial");
    args.push_back(std::string(TB_SOURCE_ROOT) + "/samples/trials/NCT06813157.json");
  }
  Serve s;
  s.child = spawn(args, dir, dir + "/" + log);
  s.output = readUntil(s.child.out, "FHIR base ", 120);
  const size_t at = s.output.find("FHIR base http://127.0.0.1:");
  if (at != std::string::npos) s.port = std::stoi(s.output.substr(at + 27));
  return s;
}

// Polls until `done` or `seconds` pass.
template <typename F>
bool waitFor(F&& done, int seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return done();
}

TEST(Publishing, ServePublishesOnItsScheduleAndReportsItsState) {
  MedplumPeer peer;
  ASSERT_TRUE(peer.ok()) << peer.error();
  const std::string dir = tempDir();
  Serve serve = startServe(dir, config(peer.base(), 1), true, "serve.log");
  ASSERT_GT(serve.port, 0) << serve.output << slurp(dir + "/serve.log");
  Client local("127.0.0.1", serve.port);
  std::string status;
  EXPECT_TRUE(waitFor(
      [&] {
        status = local.get("/fhir/$registry-status").body;
        return statusValue(status, "pending") == "0" && statusValue(status, "lastRun") == "part" &&
               peer.log().find("ResearchStudy") != std::string::npos;
      },
      60))
      << status;
  EXPECT_EQ(statusValue(status, "name"), "peer");
  EXPECT_EQ(statusValue(status, "kind"), "fhir");
  EXPECT_EQ(statusValue(status, "destination"), peer.base());
  EXPECT_EQ(statusValue(status, "intervalSeconds"), "1");
  EXPECT_EQ(statusValue(status, "failing"), "0");
  Mirror m = checkMirror(local, registryAt(peer.base()), types());
  EXPECT_EQ(m.problems, "");
  EXPECT_GE(m.records, 10u);
  // As XML too (the renderer's), and refused for writes.
  EXPECT_NE(local.get("/fhir/$registry-status?_format=xml").body.find("<Parameters"),
            std::string::npos);
  EXPECT_EQ(local.post("/fhir/$registry-status", "{}").status, 405);
  EXPECT_EQ(local.get("/fhir/$no-such-operation").status, 404);
  const int st = stopChild(serve.child, SIGTERM);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << slurp(dir + "/serve.log");
  std::filesystem::remove_all(dir);
}

// `serve` is killed (SIGKILL) while a write is on its way; the registry does it after the
// process is gone. Started again, serve takes over the rows the dead one had claimed, finds
// that write at the registry, and finishes: every record once, one version each, matching.
TEST(Publishing, KilledMidPublishLosesAndDoublesNothing) {
  MedplumPeer peer;
  ASSERT_TRUE(peer.ok()) << peer.error();
  peer.faults(R"([{"method":"PUT","path":"/fhir/ResearchStudy","action":"delay","ms":3000}])");
  const std::string dir = tempDir();
  Serve first = startServe(dir, config(peer.base(), 1), true, "first.log");
  ASSERT_GT(first.port, 0) << first.output << slurp(dir + "/first.log");
  ASSERT_TRUE(
      waitFor([&] { return peer.log().find("\"fault\":\"delay\"") != std::string::npos; }, 60))
      << peer.log();
  stopChild(first.child, SIGKILL);
  // The registry finishes the write nobody waits for any more.
  ASSERT_TRUE(waitFor(
      [&] {
        const std::string log = peer.log();
        const size_t at = log.find("\"fault\":\"delay\"");
        return at != std::string::npos && log.find("\"status\"", at) != std::string::npos;
      },
      30));
  const std::string before = peer.log();

  Serve second = startServe(dir, config(peer.base(), 1), false, "second.log");
  ASSERT_GT(second.port, 0) << second.output << slurp(dir + "/second.log");
  Client local("127.0.0.1", second.port);
  std::string status;
  EXPECT_TRUE(waitFor(
      [&] {
        status = local.get("/fhir/$registry-status").body;
        return statusValue(status, "pending") == "0" && statusValue(status, "lastRun") == "part";
      },
      60))
      << status;
  Mirror m = checkMirror(local, registryAt(peer.base()), types());
  EXPECT_EQ(m.problems, "");
  EXPECT_GE(m.records, 10u);
  for (const auto& [key, versions] : m.versions) EXPECT_EQ(versions, 1u) << key;
  // The study's write was not sent again: it was found at the registry.
  const std::string after = peer.log();
  size_t puts = 0;
  for (size_t at = after.find("\"PUT\",\"url\":\"/fhir/ResearchStudy"); at != std::string::npos;
       at = after.find("\"PUT\",\"url\":\"/fhir/ResearchStudy", at + 1)) {
    ++puts;
  }
  EXPECT_EQ(puts, 1u) << after;
  stopChild(second.child, SIGTERM);
  std::filesystem::remove_all(dir);
}

// Two nodes on one PostgreSQL database, each with the target on its schedule: one publisher at a
// time (the lease), every change published once.
TEST(Publishing, TwoNodesOnePostgresPublishOnce) {
  auto& pg = PgCluster::shared();
  ASSERT_TRUE(pg.running()) << "PostgreSQL test cluster did not start: " << pg.error();
  MedplumPeer peer;
  ASSERT_TRUE(peer.ok()) << peer.error();
  const std::string store =
      R"(,"store":{"backend":"postgresql","database":")" + pg.createDatabase() + "\"}";
  TestServer a(config(peer.base(), 0, store));
  ASSERT_TRUE(a.ok()) << a.error();
  TestServer b(config(peer.base(), 0, store));
  ASSERT_TRUE(b.ok()) << b.error();
  ASSERT_EQ(loadReferenceTrial(a.service()), "");
  // Slow answers keep each run going long enough for the other node to try.
  peer.faults(R"([{"method":"PUT","action":"delay","ms":150,"count":100}])");
  service::PublishRun ra, rb;
  std::thread ta([&] { ra = a.service().publishing().find("peer")->run(false); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::thread tb([&] { rb = b.service().publishing().find("peer")->run(false); });
  ta.join();
  tb.join();
  EXPECT_TRUE(rb.busy) << "node b ran while node a held the lease";
  EXPECT_TRUE(ra.ok()) << ra.errors.size();
  // Node b, once a is done, finds nothing left.
  service::PublishRun again = b.service().publishing().find("peer")->run(false);
  EXPECT_TRUE(again.ok());
  EXPECT_EQ(again.rows, 0u);
  Mirror m = checkMirror(a.client(), registryAt(peer.base()), types());
  EXPECT_EQ(m.problems, "");
  EXPECT_EQ(m.records, ra.sent);
  for (const auto& [key, versions] : m.versions) EXPECT_EQ(versions, 1u) << key;
  // B's status says so.
  const std::string status = b.client().get("/fhir/$registry-status").body;
  EXPECT_EQ(statusValue(status, "pending"), "0");
}

// GET [base]/$registry-dry-run?target=NAME: the publisher's own dry run over REST. A file target
// shows the new record as a create, then, once published, a change of the study as the field
// that changed; nothing is written by the dry run.
TEST(Publishing, DryRunOperationShowsTheFieldByFieldDiffOfATarget) {
  const std::string out = tempDir();
  TestServer s(R"({"registries":{"files":{"kind":"file","directory":")" + out +
               R"(","intervalSeconds":0}}})");
  ASSERT_TRUE(s.ok()) << s.error();
  core::Issues issues;
  const std::optional<study::Trial> trial = study::readTrial(
      slurp(std::string(TB_SOURCE_ROOT) + "/samples/trials/NCT06813157.json"), issues);
  ASSERT_TRUE(trial);
  ASSERT_TRUE(s.service().loadTrial(*trial, {}).ok());
  Client c = s.client();
  const Reply first = c.get("/fhir/$registry-dry-run?target=files");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(jsonAt(first.body, "resourceType"), "Parameters");
  EXPECT_NE(first.body.find(R"({"name":"action","valueCode":"create"})"), std::string::npos);
  EXPECT_NE(first.body.find("ResearchStudy/nct06813157"), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_empty(out));  // a dry run writes nothing

  ASSERT_TRUE(s.service().publishing().find("files")->run(false).ok());
  Reply study = c.get("/fhir/ResearchStudy/nct06813157");
  ASSERT_EQ(study.status, 200);
  const std::string title = R"("title":")" + jsonAt(study.body, "title") + R"(")";
  ASSERT_GT(title.size(), 12u);
  std::string changed = study.body;
  changed.replace(changed.find(title), title.size(), R"("title":"A retitled study")");
  ASSERT_EQ(c.put("/fhir/ResearchStudy/nct06813157", changed).status, 200);
  const Reply second = c.get("/fhir/$registry-dry-run?target=files");
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_NE(second.body.find(R"({"name":"action","valueCode":"update"})"), std::string::npos)
      << second.body;
  EXPECT_NE(
      second.body.find(R"({"name":"path","valueString":"protocolSection.identificationModule.)"),
      std::string::npos)
      << second.body;
  EXPECT_NE(second.body.find(R"({"name":"after","valueString":"\"A retitled study\""})"),
            std::string::npos)
      << second.body;
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(out), {}), 1);  // still one file

  EXPECT_EQ(c.get("/fhir/$registry-dry-run").status, 400);
  EXPECT_EQ(c.get("/fhir/$registry-dry-run?target=files&x=1").status, 400);
  EXPECT_EQ(c.get("/fhir/$registry-dry-run?target=nothing").status, 404);
  EXPECT_EQ(c.post("/fhir/$registry-dry-run?target=files", "{}").status, 405);
  std::filesystem::remove_all(out);
}

}  // namespace
}  // namespace trialbridge::testing
