// The registry publisher (service/publisher.h) against real FHIR servers written by others and by
// us: Medplum's FHIR router (tests/peers/medplum_server.mjs) and a second trialbridge. The
// reference trial is loaded through the pipeline (its outbox rows commit with it), then published;
// each test checks that the registry holds every resource exactly once (one record, one version
// per change) and that it matches the store. Faults come from the Medplum server's switches.
#include "service/publisher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "conformance/profiles.h"
#include "medplum_peer.h"
#include "publish_test_util.h"
#include "test_client.h"

namespace trialbridge::testing {
namespace {

using service::PublishRun;

const std::vector<std::string>& types() { return service::defaultPublishedTypes(); }

// A FHIR target named "peer" with short waits (tests must not sleep for minutes).
std::string fhirTarget(const std::string& url, const std::string& extra = {}) {
  return R"({"registries":{"peer":{"kind":"fhir","url":")" + url +
         R"(","intervalSeconds":0,"retryBaseMillis":20,"retryMaxMillis":1500,)"
         R"("failureDelayMillis":60000)" +
         extra + "}}}";
}

PublishRun publish(TestServer& server, bool dryRun = false) {
  service::Publisher* p = server.service().publishing().find("peer");
  EXPECT_NE(p, nullptr);
  return p == nullptr ? PublishRun{} : p->run(dryRun);
}

std::string describe(const PublishRun& r) {
  std::string out = "rows " + std::to_string(r.rows) + ", sent " + std::to_string(r.sent) +
                    ", unchanged " + std::to_string(r.unchanged) + ", failed " +
                    std::to_string(r.failed) + (r.busy ? ", busy" : "") + " " + r.fatal;
  for (const std::string& e : r.errors) out += "\n  " + e;
  return out;
}

int64_t pending(TestServer& server) {
  std::vector<store::OutboxMessage> none;
  int64_t total = -1;
  server.service().store().pendingOutbox({"registry:peer", false, 0}, none, total);
  return total;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Every record of the mirror has one version (each change reached the registry once).
void expectOneVersionEach(const Mirror& m) {
  for (const auto& [key, versions] : m.versions) EXPECT_EQ(versions, 1u) << key;
}

TEST(Publisher, PublishesTheTrialToMedplumOnceAndOnlyWhatChanged) {
  MedplumPeer peer;
  ASSERT_TRUE(peer.ok()) << peer.error();
  TestServer server(fhirTarget(peer.base()));
  ASSERT_TRUE(server.ok()) << server.error();
  ASSERT_EQ(loadReferenceTrial(server.service()), "");
  const int64_t rows = pending(server);
  EXPECT_GE(rows, 10);  // the study and its resources, committed with their outbox rows

  PublishRun first = publish(server);
  EXPECT_TRUE(first.ok()) << describe(first);
  EXPECT_EQ(first.rows, static_cast<size_t>(rows));
  EXPECT_EQ(first.sent, static_cast<size_t>(rows));
  EXPECT_EQ(pending(server), 0);
  Mirror m = checkMirror(server.client(), registryAt(peer.base()), types());
  EXPECT_EQ(m.problems, "");
  EXPECT_EQ(m.records, static_cast<size_t>(rows));
  expectOneVersionEach(m);
  // The study's references point at the registry's records of the site and sponsor.
  const std::string study =
      peer.client()
          .get("/fhir/ResearchStudy?identifier=https%3A%2F%2Fclinicaltrials.gov%7CNCT06813157")
          .body;
  EXPECT_EQ(count(study, "nct06813157-site-taixin"), 0u) << study;

  // The same trial again: new versions here, the same content: nothing is sent.
  const size_t writesBefore = count(peer.log(), "\"PUT\"");
  ASSERT_EQ(loadReferenceTrial(server.service()), "");
  PublishRun again = publish(server);
  EXPECT_TRUE(again.ok()) << describe(again);
  EXPECT_EQ(again.sent, 0u);
  EXPECT_EQ(again.unchanged, static_cast<size_t>(rows));
  EXPECT_EQ(count(peer.log(), "\"PUT\""), writesBefore);

  // One change: one update, by the registry's id with If-Match on its version.
  Reply local = server.client().get("/fhir/ResearchStudy/nct06813157");
  std::string changed = local.body;
  changed.replace(changed.find("\"status\":\"active\""), 17, "\"status\":\"closed-to-accrual\"");
  ASSERT_EQ(server.client().put("/fhir/ResearchStudy/nct06813157", changed).status, 200);
  PublishRun third = publish(server);
  EXPECT_TRUE(third.ok()) << describe(third);
  EXPECT_EQ(third.sent, 1u);
  const std::string log = peer.log();
  EXPECT_EQ(count(log, "\"PUT\""), writesBefore + 1);
  EXPECT_NE(log.rfind("\"url\":\"/fhir/ResearchStudy/"), std::string::npos) << log;
  m = checkMirror(server.client(), registryAt(peer.base()), types());
  EXPECT_EQ(m.problems, "");
  EXPECT_EQ(m.versions["ResearchStudy/nct06813157"], 2u);
}

TEST(Publisher, DryRunShowsFieldByFieldAndSendsNothing) {
  MedplumPeer peer;
  ASSERT_TRUE(peer.ok()) << peer.error();
  TestServer server(fhirTarget(peer.base()));
  ASSERT_TRUE(server.ok()) << server.error();
  ASSERT_EQ(loadReferenceTrial(server.service()), "");
  // Before the first send: every record would be created.
  PublishRun plan = publish(server, true);
  EXPECT_TRUE(plan.ok()) << describe(plan);
  EXPECT_EQ(count(peer.log(), "\"PUT\""), 0u);
  ASSERT_FALSE(plan.plan.empty());
  for (const service::PlannedChange& c : plan.plan) EXPECT_EQ(c.action, "create") << c.resource;
  ASSERT_TRUE(publish(server).ok());

  Reply local = server.client().get("/fhir/ResearchStudy/nct06813157");
  std::string changed = local.body;
  changed.replace(changed.find("\"status\":\"active\""), 17, "\"status\":\"closed-to-accrual\"");
  ASSERT_EQ(server.client().put("/fhir/ResearchStudy/nct06813157", changed).status, 200);
  const size_t writes = count(peer.log(), "\"PUT\"");
  plan = publish(server, true);
  ASSERT_EQ(plan.plan.size(), 1u);
  const service::PlannedChange& c = plan.plan[0];
  EXPECT_EQ(c.resource, "ResearchStudy/nct06813157");
  EXPECT_EQ(c.action, "update");
  EXPECT_NE(c.remote.find("ResearchStudy/"), std::string::npos);
  ASSERT_EQ(c.changes.size(), 1u);
  EXPECT_EQ(c.changes[0].path, "status");
  EXPECT_EQ(c.changes[0].before, "\"active\"");
  EXPECT_EQ(c.changes[0].after, "\"closed-to-accrual\"");
  // Nothing was sent and the change still waits.
  EXPECT_EQ(count(peer.log(), "\"PUT\""), writes);
  EXPECT_EQ(pending(server), 1);
  Mirror m = checkMirror(server.client(), registryAt(peer.base()), {"ResearchStudy"});
  EXPECT_NE(m.problems.find("status"), std::string::npos);
}

// 500s, a 429 with Retry-After, a dropped connection, and answers lost after the write, in the
// middle of a sync: every record is there once, with one version, and matches.
TEST(Publisher, FaultsInTheMiddleOfASyncLoseAndDoubleNothing) {
  MedplumPeer peer;
  ASSERT_TRUE(peer.ok()) << peer.error();
  TestServer server(fhirTarget(peer.base(), R"(,"maxAttempts":6)"));
  ASSERT_TRUE(server.ok()) << server.error();
  ASSERT_EQ(loadReferenceTrial(server.service()), "");
  const int64_t rows = pending(server);
  peer.faults(R"([{"method":"PUT","action":"drop-after","count":1},
                  {"method":"PUT","action":"500","count":2},
                  {"method":"PUT","action":"429","retryAfter":"1","count":1},
                  {"method":"PUT","action":"drop","count":1},
                  {"method":"PUT","action":"drop-after","count":2},
                  {"method":"GET","action":"500","count":1}])");
  PublishRun r = publish(server);
  EXPECT_TRUE(r.ok()) << describe(r);
  EXPECT_EQ(r.sent, static_cast<size_t>(rows));
  EXPECT_EQ(pending(server), 0);
  Mirror m = checkMirror(server.client(), registryAt(peer.base()), types());
  EXPECT_EQ(m.problems, "");
  EXPECT_EQ(m.records, static_cast<size_t>(rows));
  expectOneVersionEach(m);
  // Retry-After was honoured: the request after the 429 came a second later or more.
  const std::vector<service::JsonTree> log = [&] {
    std::string error;
    auto t = service::parseJsonTree(peer.log(), error);
    return t ? t->items : std::vector<service::JsonTree>{};
  }();
  for (size_t i = 0; i + 1 < log.size(); ++i) {
    if (log[i].str("fault") != "429") continue;
    const double at = std::stod(log[i].get("at")->text);
    const double next = std::stod(log[i + 1].get("at")->text);
    EXPECT_GE(next - at, 1000.0);
  }
}

// The registry is down for the whole run: nothing is lost, every row waits with its reason,
// and a later run publishes everything once.
TEST(Publisher, RegistryDownLosesNothing) {
  MedplumPeer peer;
  ASSERT_TRUE(peer.ok()) << peer.error();
  TestServer server(fhirTarget(peer.base(), R"(,"maxAttempts":2)"));
  ASSERT_TRUE(server.ok()) << server.error();
  ASSERT_EQ(loadReferenceTrial(server.service()), "");
  const int64_t rows = pending(server);
  peer.down(2500);
  PublishRun r = publish(server);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.sent, 0u);
  EXPECT_EQ(pending(server), rows);
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors[0].find("cannot connect"), std::string::npos) << r.errors[0];
  // The state says so over REST.
  Reply status = server.client().get("/fhir/$registry-status");
  EXPECT_EQ(status.status, 200);
  EXPECT_NE(status.body.find("\"resourceType\":\"Parameters\""), std::string::npos);
  EXPECT_NE(status.body.find("cannot connect"), std::string::npos) << status.body;
  EXPECT_NE(status.body.find(R"({"name":"pending","valueInteger":)" + std::to_string(rows)),
            std::string::npos)
      << status.body;

  std::this_thread::sleep_for(std::chrono::milliseconds(4000));  // up again; delays passed
  PublishRun later = publish(server);
  EXPECT_TRUE(later.ok()) << describe(later);
  EXPECT_EQ(pending(server), 0);
  Mirror m = checkMirror(server.client(), registryAt(peer.base()), types());
  EXPECT_EQ(m.problems, "");
  expectOneVersionEach(m);
}

// A record changed at the registry by someone else is not overwritten: If-Match fails, the
// publisher reads it, sees other content, and reports the conflict.
TEST(Publisher, SomeoneElsesChangeIsNotOverwritten) {
  MedplumPeer peer;
  ASSERT_TRUE(peer.ok()) << peer.error();
  TestServer server(fhirTarget(peer.base()));
  ASSERT_TRUE(server.ok()) << server.error();
  ASSERT_EQ(loadReferenceTrial(server.service()), "");
  ASSERT_TRUE(publish(server).ok());
  const std::vector<service::JsonTree> found = entries(
      peer.client()
          .get("/fhir/ResearchStudy?identifier=https%3A%2F%2Fclinicaltrials.gov%7CNCT06813157")
          .body);
  ASSERT_EQ(found.size(), 1u);
  service::JsonTree theirs = found[0];
  theirs.set("title", service::JsonTree::string("Edited at the registry"));
  ASSERT_EQ(peer.client()
                .put("/fhir/ResearchStudy/" + theirs.str("id"), service::writeJsonTree(theirs))
                .status,
            200);

  std::string changed = server.client().get("/fhir/ResearchStudy/nct06813157").body;
  changed.replace(changed.find("\"status\":\"active\""), 17, "\"status\":\"closed-to-accrual\"");
  ASSERT_EQ(server.client().put("/fhir/ResearchStudy/nct06813157", changed).status, 200);
  PublishRun r = publish(server);
  EXPECT_EQ(r.failed, 1u) << describe(r);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("changed by someone else"), std::string::npos) << r.errors[0];
  EXPECT_NE(peer.client()
                .get("/fhir/ResearchStudy/" + theirs.str("id"))
                .body.find("Edited at the registry"),
            std::string::npos);
  EXPECT_EQ(pending(server), 1);
}

// A second trialbridge as the registry: it validates what it receives against the trial's
// profiles, supports conditional update and If-Match; the publisher keeps it in step.
TEST(Publisher, KeepsASecondTrialbridgeInStep) {
  std::string profiles;
  for (const auto& [type, profile] : conformance::profiles::kTrialRecordProfiles) {
    profiles += std::string(profiles.empty() ? "" : ",") + "\"" + std::string(type) + "\":\"" +
                std::string(profile) + "\"";
  }
  TestServer registry(R"({"fhir":{"requiredProfiles":{)" + profiles + "}}}");
  ASSERT_TRUE(registry.ok()) << registry.error();
  const std::string base = "http://127.0.0.1:" + std::to_string(registry.port()) + "/fhir";
  TestServer server(fhirTarget(base));
  ASSERT_TRUE(server.ok()) << server.error();
  ASSERT_EQ(loadReferenceTrial(server.service()), "");
  PublishRun r = publish(server);
  EXPECT_TRUE(r.ok()) << describe(r);
  Mirror m = checkMirror(server.client(), registryAt(base), types());
  EXPECT_EQ(m.problems, "");
  expectOneVersionEach(m);

  std::string changed = server.client().get("/fhir/ResearchStudy/nct06813157").body;
  changed.replace(changed.find("\"status\":\"active\""), 17, "\"status\":\"closed-to-accrual\"");
  ASSERT_EQ(server.client().put("/fhir/ResearchStudy/nct06813157", changed).status, 200);
  r = publish(server);
  EXPECT_TRUE(r.ok()) << describe(r);
  EXPECT_EQ(r.sent, 1u);
  m = checkMirror(server.client(), registryAt(base), types());
  EXPECT_EQ(m.problems, "");
  EXPECT_EQ(m.versions["ResearchStudy/nct06813157"], 2u);
}

// TLS: the registry's certificate is verified against the target's CA file (and the host
// name); without it the certificate is refused and nothing is sent. The bearer token comes
// from a file.
TEST(Publisher, VerifiesTheRegistrysCertificateAndSendsTheToken) {
  const std::string dir = tempDir();
  makeCertificate(dir + "/cert.pem", dir + "/key.pem");
  const SigningKey key = makeRsaKey("k1");
  writeFile(dir + "/jwks.json", jwks({&key}));
  TestServer registry(R"({"tls":{"certificate":")" + dir + R"(/cert.pem","privateKey":")" + dir +
                      R"(/key.pem"},"auth":{"jwks":")" + dir +
                      R"(/jwks.json","issuer":"https://issuer","audience":"trialbridge"}})");
  ASSERT_TRUE(registry.ok()) << registry.error();
  const std::string base = "https://localhost:" + std::to_string(registry.port()) + "/fhir";
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const std::string token =
      signJwt(key, R"({"iss":"https://issuer","aud":"trialbridge","sub":"publisher","exp":)" +
                       std::to_string(now + 3600) + R"(,"scope":"system/*.cruds"})");
  writeFile(dir + "/token", token + "\n");
  {
    TestServer unverified(fhirTarget(base, R"(,"maxAttempts":1,"tokenFile":")" + dir + "/token\""));
    ASSERT_TRUE(unverified.ok()) << unverified.error();
    ASSERT_EQ(loadReferenceTrial(unverified.service()), "");
    PublishRun r = publish(unverified);
    EXPECT_EQ(r.sent, 0u);
    ASSERT_FALSE(r.errors.empty());
    EXPECT_NE(r.errors[0].find("TLS"), std::string::npos) << r.errors[0];
  }
  {
    // The right CA, the wrong name: the certificate is for localhost, not 127.0.0.1.
    const std::string byAddress = "https://127.0.0.1:" + std::to_string(registry.port()) + "/fhir";
    TestServer wrongName(
        fhirTarget(byAddress, R"(,"maxAttempts":1,"caFile":")" + dir + "/cert.pem\""));
    ASSERT_TRUE(wrongName.ok()) << wrongName.error();
    ASSERT_EQ(loadReferenceTrial(wrongName.service()), "");
    PublishRun r = publish(wrongName);
    EXPECT_EQ(r.sent, 0u);
    ASSERT_FALSE(r.errors.empty());
    EXPECT_NE(r.errors[0].find("TLS"), std::string::npos) << r.errors[0];
  }
  TestServer noToken(fhirTarget(base, R"(,"caFile":")" + dir + "/cert.pem\""));
  ASSERT_TRUE(noToken.ok()) << noToken.error();
  ASSERT_EQ(loadReferenceTrial(noToken.service()), "");
  PublishRun refused = publish(noToken);
  ASSERT_FALSE(refused.errors.empty());
  EXPECT_NE(refused.errors[0].find("HTTP 401"), std::string::npos) << refused.errors[0];

  TestServer server(
      fhirTarget(base, R"(,"caFile":")" + dir + R"(/cert.pem","tokenFile":")" + dir + "/token\""));
  ASSERT_TRUE(server.ok()) << server.error();
  ASSERT_EQ(loadReferenceTrial(server.service()), "");
  PublishRun r = publish(server);
  EXPECT_TRUE(r.ok()) << describe(r);
  Registry reg = registryAt(base);
  reg.client.setBearer(token);
  Mirror m = checkMirror(server.client(), reg, types());
  EXPECT_EQ(m.problems, "");
  std::filesystem::remove_all(dir);
}

// The rate limit spaces the requests: 600 a minute with no burst is one each 100 ms.
TEST(Publisher, KeepsToTheRateLimit) {
  MedplumPeer peer;
  ASSERT_TRUE(peer.ok()) << peer.error();
  TestServer server(fhirTarget(peer.base(), R"(,"requestsPerMinute":600,"burst":1)"));
  ASSERT_TRUE(server.ok()) << server.error();
  ASSERT_EQ(loadReferenceTrial(server.service()), "");
  ASSERT_TRUE(publish(server).ok());
  std::string error;
  auto log = service::parseJsonTree(peer.log(), error);
  ASSERT_TRUE(log);
  ASSERT_GT(log->items.size(), 10u);
  const double first = std::stod(log->items.front().get("at")->text);
  const double last = std::stod(log->items.back().get("at")->text);
  // n requests at 10 a second take at least (n - 1) * 100 ms (less a little for clock rounding).
  EXPECT_GE(last - first, static_cast<double>(log->items.size() - 1) * 100.0 - 50.0);
}

std::vector<std::string> filesIn(const std::string& dir) {
  std::vector<std::string> out;
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string edit(const std::string& json, const std::string& from, const std::string& to) {
  std::string out = json;
  const size_t at = out.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) out.replace(at, from.size(), to);
  return out;
}

// A file target: one file per change of the study's registry record, whatever resource the
// change was made to; nothing for changes that leave the record as it was.
TEST(Publisher, FileTargetWritesAFilePerChange) {
  const std::string dir = tempDir();
  TestServer server(R"({"registries":{"peer":{"kind":"file","directory":")" + dir +
                    R"(/ctgov","intervalSeconds":0},"prs":{"kind":"file","directory":")" + dir +
                    R"(/prs","format":"prs-xml","prsOrg":"EXAMPLE","intervalSeconds":0}}})");
  ASSERT_TRUE(server.ok()) << server.error();
  ASSERT_EQ(loadReferenceTrial(server.service()), "");
  PublishRun r = publish(server);
  EXPECT_TRUE(r.ok()) << describe(r);
  EXPECT_EQ(r.sent, 1u);
  std::vector<std::string> files = filesIn(dir + "/ctgov");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].rfind("NCT06813157-1-", 0), 0u) << files[0];
  EXPECT_EQ(files[0].substr(files[0].size() - 5), ".json");
  std::string error;
  const auto first = service::parseJsonTree(slurp(dir + "/ctgov/" + files[0]), error);
  ASSERT_TRUE(first) << error;
  const service::JsonTree* protocol = first->get("protocolSection");
  ASSERT_NE(protocol, nullptr);
  EXPECT_EQ(protocol->get("identificationModule")->str("nctId"), "NCT06813157");
  EXPECT_EQ(protocol->get("statusModule")->str("overallStatus"), "RECRUITING");

  // The same trial again: the record is the same, no file.
  ASSERT_EQ(loadReferenceTrial(server.service()), "");
  r = publish(server);
  EXPECT_TRUE(r.ok()) << describe(r);
  EXPECT_EQ(r.sent, 0u);
  EXPECT_EQ(filesIn(dir + "/ctgov").size(), 1u);

  // A change to the sponsor (not the study itself) changes the record: a second file.
  const std::string org = server.client().get("/fhir/Organization/nct06813157-org-bio-gene").body;
  ASSERT_EQ(server.client()
                .put("/fhir/Organization/nct06813157-org-bio-gene",
                     edit(org, "\"name\":\"Guangzhou Bio-gene Technology Co., Ltd\"",
                          "\"name\":\"Bio-gene Therapeutics\""))
                .status,
            200);
  // The dry run shows the record's field as ClinicalTrials.gov names it, and writes nothing.
  PublishRun plan = publish(server, true);
  ASSERT_EQ(plan.plan.size(), 1u);
  EXPECT_EQ(plan.plan[0].action, "update");
  // The sponsor is the record's organization and its lead sponsor.
  ASSERT_EQ(plan.plan[0].changes.size(), 2u);
  EXPECT_EQ(plan.plan[0].changes[0].path,
            "protocolSection.identificationModule.organization.fullName");
  EXPECT_EQ(plan.plan[0].changes[1].path,
            "protocolSection.sponsorCollaboratorsModule.leadSponsor.name");
  EXPECT_EQ(plan.plan[0].changes[1].before, "\"Guangzhou Bio-gene Technology Co., Ltd\"");
  EXPECT_EQ(plan.plan[0].changes[1].after, "\"Bio-gene Therapeutics\"");
  EXPECT_EQ(filesIn(dir + "/ctgov").size(), 1u);
  r = publish(server);
  EXPECT_TRUE(r.ok()) << describe(r);
  EXPECT_EQ(r.sent, 1u);
  files = filesIn(dir + "/ctgov");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[1].rfind("NCT06813157-2-", 0), 0u) << files[1];
  EXPECT_NE(slurp(dir + "/ctgov/" + files[1]).find("Bio-gene Therapeutics"), std::string::npos);

  // The study's recruitment status (its registry status is kept in an extension): a third file.
  const std::string study = server.client().get("/fhir/ResearchStudy/nct06813157").body;
  ASSERT_EQ(server.client()
                .put("/fhir/ResearchStudy/nct06813157",
                     edit(edit(study, "\"status\":\"active\"", "\"status\":\"closed-to-accrual\""),
                          R"({"url":"status","valueCode":"RECRUITING"})",
                          R"({"url":"status","valueCode":"ACTIVE_NOT_RECRUITING"})"))
                .status,
            200);
  r = publish(server);
  EXPECT_EQ(r.sent, 1u) << describe(r);
  files = filesIn(dir + "/ctgov");
  ASSERT_EQ(files.size(), 3u);
  EXPECT_NE(slurp(dir + "/ctgov/" + files[2]).find("\"ACTIVE_NOT_RECRUITING\""), std::string::npos);

  // The PRS target has its own outbox topic and state: one upload for the whole history.
  service::Publisher* prs = server.service().publishing().find("prs");
  ASSERT_NE(prs, nullptr);
  r = prs->run(false);
  EXPECT_TRUE(r.ok()) << describe(r);
  files = filesIn(dir + "/prs");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].substr(files[0].size() - 4), ".xml");
  const std::string xml = slurp(dir + "/prs/" + files[0]);
  EXPECT_NE(xml.find("<org_name>EXAMPLE</org_name>"), std::string::npos) << xml.substr(0, 400);
  EXPECT_NE(xml.find("Active, not recruiting"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trialbridge::testing
