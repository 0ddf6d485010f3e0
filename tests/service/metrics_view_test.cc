// GET /metrics (service/metrics_view.h) on a running service with its MLLP listener: the text
// parses with the Prometheus client library's own parser (Debian python3-prometheus-client,
// tests/service/parse_metrics.py), needs no token, and its values move as HL7 v2 messages (sent
// with mllp_send, Debian python3-hl7) and REST requests go through.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <map>

#include <chrono>
#include <thread>

#include "hl7v2/mllp.h"
#include "publish_test_util.h"
#include "test_client.h"
#include "v2_samples.h"

namespace trialbridge::testing {
namespace {

using Samples = std::map<std::string, double>;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// One scrape, parsed by prometheus_client: "name{labels}" -> value.
Samples scrape(const Client& c, const std::string& dir, std::string& error) {
  const Reply r = c.get("/metrics");
  if (r.status != 200) {
    error = "GET /metrics: " + std::to_string(r.status);
    return {};
  }
  if (r.header("content-type").find("version=0.0.4") == std::string::npos) {
    error = "content type " + r.header("content-type");
    return {};
  }
  writeFile(dir + "/scrape.txt", r.body);
  int status = 0;
  const std::string out = runCommand("/usr/bin/python3 " + std::string(TB_SOURCE_ROOT) +
                                         "/tests/service/parse_metrics.py " + dir + "/scrape.txt",
                                     status);
  if (status != 0) {
    error = out + "\n" + r.body;
    return {};
  }
  Samples s;
  size_t pos = 0;
  while (pos < out.size()) {
    const size_t end = std::min(out.find('\n', pos), out.size());
    const std::string line = out.substr(pos, end - pos);
    pos = end + 1;
    const size_t space = line.rfind(' ');
    if (space != std::string::npos) s[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return s;
}

double at(const Samples& s, const std::string& key) {
  auto it = s.find(key);
  return it == s.end() ? -1 : it->second;
}

TEST(MetricsView, ParsesAndMovesWithMessagesAndRequests) {
  ASSERT_EQ(std::system("command -v mllp_send >/dev/null 2>&1"), 0)
      << "mllp_send is not installed (Debian python3-hl7; deploy/install-deps.sh installs it)";
  ASSERT_EQ(std::system("/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null"), 0)
      << "python3-prometheus-client is not installed (deploy/install-deps.sh installs it)";
  const SigningKey key = makeRsaKey("k-1");
  const std::string dir = tempDir();
  writeFile(dir + "/jwks.json", jwks({&key}));
  TestServer server(R"({"auth":{"jwks":")" + dir + R"(/jwks.json"},"mllp":{"port":0}})");
  ASSERT_TRUE(server.ok()) << server.error();
  const Client c = server.client();
  std::string error;
  const Samples before = scrape(c, dir, error);  // no token needed
  ASSERT_TRUE(error.empty()) << error;
  EXPECT_EQ(at(before, "trialbridge_mllp_messages_received_total{}"), 0);
  EXPECT_EQ(at(before, "trialbridge_mllp_acks_total{code=\"AA\"}"), 0);
  EXPECT_EQ(at(before, "trialbridge_v2_not_a_subject_total{}"), 0);
  EXPECT_EQ(at(before, "trialbridge_mllp_connections_total{}"), 0);
  EXPECT_EQ(at(before, "trialbridge_mllp_connections_open{}"), 0);
  EXPECT_EQ(at(before, "trialbridge_mllp_connections_refused_total{}"), 0);
  EXPECT_GT(at(before, "process_resident_memory_bytes{}"), 1e6);
  EXPECT_GT(at(before, "process_open_fds{}"), 3);
  EXPECT_GT(at(before, "process_start_time_seconds{}"), 1.7e9);
  EXPECT_GE(at(before, "process_cpu_seconds_total{}"), 0);

  // Three messages: two new ORUs (one sent twice), one ADT (AR, quarantined).
  const int port = server.service().mllp()->port();
  writeFile(dir + "/m.mllp", hl7v2::mllpFrame(plateletOru("MET-1")) +
                                 hl7v2::mllpFrame(plateletOru("MET-2")) +
                                 hl7v2::mllpFrame(plateletOru("MET-1")) +
                                 hl7v2::mllpFrame(plateletOru("MET-3", "ADT^A01")));
  int status = 0;
  const std::string sent = runCommand(
      "mllp_send -f " + dir + "/m.mllp -p " + std::to_string(port) + " 127.0.0.1", status);
  ASSERT_EQ(status, 0) << sent;
  EXPECT_EQ(c.get("/fhir/Patient").status, 401);
  EXPECT_EQ(c.get("/fhir/Patient").status, 401);

  const Samples after = scrape(c, dir, error);
  ASSERT_TRUE(error.empty()) << error;
  EXPECT_EQ(at(after, "trialbridge_mllp_messages_received_total{}"), 4);
  EXPECT_EQ(at(after, "trialbridge_mllp_connections_total{}"), 1);  // mllp_send's one
  EXPECT_LE(at(after, "trialbridge_mllp_connections_open{}"), 1);   // it may not be closed yet
  EXPECT_EQ(at(after, "trialbridge_mllp_connections_refused_total{}"), 0);
  EXPECT_EQ(at(after, "trialbridge_mllp_acks_total{code=\"AA\"}"), 3);
  EXPECT_EQ(at(after, "trialbridge_mllp_acks_total{code=\"AR\"}"), 1);
  EXPECT_EQ(at(after, "trialbridge_mllp_acks_total{code=\"AE\"}"), 0);
  EXPECT_EQ(at(after, "trialbridge_mllp_duplicates_total{}"), 1);
  EXPECT_EQ(at(after, "trialbridge_mllp_messages_quarantined_total{}"), 1);
  EXPECT_EQ(at(after, "trialbridge_mllp_ack_seconds_count{}"), 4);
  EXPECT_GT(at(after, "trialbridge_mllp_ack_seconds_sum{}"), 0);
  EXPECT_EQ(at(after, "trialbridge_mllp_ack_seconds_bucket{le=\"+Inf\"}"), 4);
  // Four units committed (the resend writes nothing but is a unit that replays).
  EXPECT_GE(at(after, "trialbridge_store_commit_units_sum{}"), 3);
  EXPECT_GE(at(after, "trialbridge_store_commit_units_count{}"), 1);
  EXPECT_EQ(
      at(after,
         "trialbridge_http_requests_total{method=\"GET\",route=\"/fhir/Patient\",status=\"401\"}"),
      2);
  // The first scrape itself is counted, under its route.
  EXPECT_GE(at(after,
               "trialbridge_http_requests_total{method=\"GET\",route=\"/metrics\","
               "status=\"200\"}"),
            1);
  EXPECT_GE(at(after, "trialbridge_http_request_seconds_count{}"), 3);
  EXPECT_EQ(c.request("POST", "/metrics").status, 405);
  std::filesystem::remove_all(dir);
}

// The store's figures (the version cache, SQLite's heap) and the C library's heap move with
// what the service holds: a write puts its version in the cache, reads of it are hits.
TEST(MetricsView, StoreCacheAndHeapFiguresFollowWritesAndReads) {
  const std::string dir = tempDir();
  TestServer server("{}");
  ASSERT_TRUE(server.ok()) << server.error();
  const Client c = server.client();
  std::string error;
  const Samples before = scrape(c, dir, error);
  ASSERT_TRUE(error.empty()) << error;
  // Under AddressSanitizer its own allocator replaces glibc's, whose figures are then 0.
  EXPECT_GT(at(before, "trialbridge_malloc_in_use_bytes{}"), kSanitized ? -1 : 1e6);
  EXPECT_GE(at(before, "trialbridge_malloc_free_bytes{}"), 0);
  EXPECT_GT(at(before, "trialbridge_store_sqlite_heap_bytes{}"), 0);
  EXPECT_EQ(at(before, "trialbridge_store_wal_checkpoints_total{}"), 0);
  EXPECT_GE(at(before, "trialbridge_audit_records_queued{}"), 0);
  const double entries0 = at(before, "trialbridge_store_cache_entries{}");
  const double bytes0 = at(before, "trialbridge_store_cache_bytes{}");
  const double hits0 = at(before, "trialbridge_store_cache_hits_total{}");
  ASSERT_GE(entries0, 0);
  ASSERT_GE(hits0, 0);

  const std::string name(4000, 'x');  // a version of at least 4 kB
  const Reply created =
      c.put("/fhir/Organization/metrics-1",
            R"({"resourceType":"Organization","id":"metrics-1","name":")" + name + R"("})");
  ASSERT_EQ(created.status, 201) << created.body;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.get("/fhir/Organization/metrics-1").status, 200);

  const Samples after = scrape(c, dir, error);
  ASSERT_TRUE(error.empty()) << error;
  EXPECT_EQ(at(after, "trialbridge_store_cache_entries{}"), entries0 + 1);
  EXPECT_GE(at(after, "trialbridge_store_cache_bytes{}"), bytes0 + 4000);
  EXPECT_GE(at(after, "trialbridge_store_cache_hits_total{}"), hits0 + 3);
  EXPECT_GE(at(after, "trialbridge_store_cache_misses_total{}"), 0);
  std::filesystem::remove_all(dir);
}

// The registry publisher's figures per target: the outbox backlog and the rows that failed, for a
// file target that publishes and a FHIR target nobody listens at.
TEST(MetricsView, RegistryBacklogAndFailuresPerTarget) {
  ASSERT_EQ(std::system("/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null"), 0)
      << "python3-prometheus-client is not installed (deploy/install-deps.sh installs it)";
  const std::string dir = tempDir();
  TestServer server(R"({"registries":{"files":{"kind":"file","directory":")" + dir +
                    R"(/ctgov","intervalSeconds":1},"down":{"kind":"fhir",)"
                    R"("url":"http://127.0.0.1:1/fhir","intervalSeconds":1,"maxAttempts":1,)"
                    R"("retryBaseMillis":10,"retryMaxMillis":100,"types":["ResearchStudy"]}}})");
  ASSERT_TRUE(server.ok()) << server.error();
  const Client c = server.client();
  const std::string backlogFiles = "trialbridge_registry_outbox_backlog{target=\"files\"}";
  const std::string backlogDown = "trialbridge_registry_outbox_backlog{target=\"down\"}";
  const std::string failedFiles = "trialbridge_registry_publish_failures_total{target=\"files\"}";
  const std::string failedDown = "trialbridge_registry_publish_failures_total{target=\"down\"}";
  std::string error;
  const Samples before = scrape(c, dir, error);
  ASSERT_TRUE(error.empty()) << error;
  EXPECT_EQ(at(before, backlogFiles), 0);
  EXPECT_EQ(at(before, backlogDown), 0);
  EXPECT_EQ(at(before, failedFiles), 0);
  EXPECT_EQ(at(before, failedDown), 0);

  ASSERT_EQ(loadReferenceTrial(server.service()), "");
  // Runs every second: the file target drains its rows, the FHIR target fails its one row
  // (the ResearchStudy) in every run and keeps it.
  Samples after;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    after = scrape(c, dir, error);
    ASSERT_TRUE(error.empty()) << error;
    if (at(after, failedDown) >= 2 && at(after, backlogFiles) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(at(after, backlogFiles), 0);
  EXPECT_EQ(at(after, failedFiles), 0);
  EXPECT_EQ(at(after, backlogDown), 1);
  EXPECT_GE(at(after, failedDown), 2);
  EXPECT_FALSE(std::filesystem::is_empty(dir + "/ctgov"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trialbridge::testing
