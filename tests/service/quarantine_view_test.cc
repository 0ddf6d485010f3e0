// The REST view of the HL7 v2 quarantine (service/quarantine_view.cc) in a running service:
// one entry's segments with the identifying fields masked by the server, retry and discard as
// operations (the pipeline's, audited with who, when and why), their errors and their scopes.
#include "service/quarantine_view.h"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "study/trial_reader.h"
#include "test_client.h"
#include "v2_samples.h"

namespace trialbridge::testing {
namespace {

const std::string kAdt =
    "MSH|^~\\&|LAB|HOSP|TRIALBRIDGE|SITE|20250301120000+0800||ADT^A01^ADT_A01|Q-ADT|P|2.5.1\r"
    "PID|1||MRN123^^^HOSP^MR||Doe^Jane||19800101|F|||1 Main St^^Springfield||^PRN^PH^^^555^123\r";

class QuarantineViewTest : public ::testing::Test {
 protected:
  void SetUp() override { start("{}"); }
  void start(const std::string& extra) {
    std::string config = R"({"mllp":{"port":0})";
    if (extra != "{}") config += "," + extra.substr(1, extra.size() - 2);
    server_ = std::make_unique<TestServer>(config + "}");
    ASSERT_TRUE(server_->ok()) << server_->error();
  }
  // Sends `message` over MLLP; the id of its quarantine entry (the newest), or "".
  std::string quarantine(const std::string& message) {
    MllpClient c(server_->service().mllp()->port());
    EXPECT_FALSE(c.exchange(message).empty());
    return jsonAt(server_->client().get("/mllp/quarantine?_count=1").body, "entries.0.id");
  }
  Reply post(const std::string& uri, const std::string& body, const std::string& token = "") {
    Client c = server_->client();
    if (!token.empty()) c.setBearer(token);
    return c.request("POST", uri, body, {{"Content-Type", "application/json"}});
  }
  std::unique_ptr<TestServer> server_;
};

TEST_F(QuarantineViewTest, AnEntryShowsItsSegmentsWithIdentifyingFieldsMaskedByTheServer) {
  const std::string id = quarantine(kAdt);
  ASSERT_FALSE(id.empty());
  const Reply one = server_->client().get("/mllp/quarantine/" + id);
  ASSERT_EQ(one.status, 200) << one.body;
  for (const char* personal : {"Doe", "Jane", "MRN123", "19800101", "Main St", "555"}) {
    EXPECT_EQ(one.body.find(personal), std::string::npos) << personal << " in " << one.body;
  }
  EXPECT_EQ(jsonAt(one.body, "segments.0.id"), "MSH");
  EXPECT_EQ(jsonAt(one.body, "segments.0.fields.8.value"), "ADT^A01^ADT_A01");  // MSH-9
  EXPECT_EQ(jsonAt(one.body, "segments.1.id"), "PID");
  EXPECT_EQ(jsonAt(one.body, "segments.1.fields.2.n"), "3");
  EXPECT_EQ(jsonAt(one.body, "segments.1.fields.2.value"), "***^^^HOSP^MR");
  EXPECT_EQ(jsonAt(one.body, "segments.1.fields.2.masked"), "true");
  EXPECT_EQ(jsonAt(one.body, "segments.1.fields.7.value"), "F");  // PID-8
  // The listing carries no segments.
  EXPECT_EQ(server_->client().get("/mllp/quarantine").body.find("segments"), std::string::npos);
}

TEST_F(QuarantineViewTest, DiscardNeedsAReasonAndIsAudited) {
  const std::string id = quarantine(kAdt);
  ASSERT_FALSE(id.empty());
  const std::string uri = "/mllp/quarantine/" + id + "/$discard";
  EXPECT_EQ(post(uri, "").status, 400);
  EXPECT_EQ(post(uri, R"({"reason":""})").status, 400);
  EXPECT_EQ(post(uri, R"({"why":"x"})").status, 400);
  EXPECT_EQ(post(uri, "not json").status, 400);
  EXPECT_EQ(post(uri, R"({"reason":")" + std::string(1001, 'x') + R"("})").status, 400);
  EXPECT_EQ(jsonAt(server_->client().get("/mllp/quarantine/" + id).body, "status"), "open");

  const Reply done = post(uri, R"({"reason":"test message from the vendor"})");
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(jsonAt(done.body, "outcome"), "discarded");
  EXPECT_EQ(jsonAt(done.body, "entry.status"), "discarded");
  EXPECT_EQ(jsonAt(server_->client().get("/mllp/quarantine?status=open").body, "total"), "0");
  EXPECT_EQ(post(uri, R"({"reason":"again"})").status, 409);  // no longer open

  const Reply audit = server_->client().get("/fhir/AuditEvent?entity=Quarantine/" + id);
  ASSERT_EQ(audit.status, 200) << audit.body;
  ASSERT_EQ(jsonAt(audit.body, "total"), "1") << audit.body;
  const std::string e = "entry.0.resource.";
  EXPECT_EQ(jsonAt(audit.body, e + "action"), "D");
  EXPECT_EQ(jsonAt(audit.body, e + "entity.0.what.identifier.system"),
            "urn:trialbridge:quarantine");
  EXPECT_EQ(jsonAt(audit.body, e + "entity.0.what.identifier.value"), id);
  EXPECT_EQ(jsonAt(audit.body, e + "entity.0.detail.0.valueString"), "discard");
  EXPECT_EQ(jsonAt(audit.body, e + "entity.0.detail.1.type"), "reason");
  EXPECT_EQ(jsonAt(audit.body, e + "entity.0.detail.1.valueString"),
            "test message from the vendor");
  EXPECT_EQ(jsonAt(audit.body, e + "agent.0.network.address"), "127.0.0.1");
  EXPECT_FALSE(jsonAt(audit.body, e + "recorded").empty());
}

TEST_F(QuarantineViewTest, ARetryThatStillFailsKeepsTheEntryOpen) {
  const std::string id = quarantine(kAdt);
  ASSERT_FALSE(id.empty());
  const Reply r = post("/mllp/quarantine/" + id + "/$retry", "");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(jsonAt(r.body, "outcome"), "still-fails");
  EXPECT_NE(jsonAt(r.body, "error").find("MSH-9"), std::string::npos) << r.body;
  EXPECT_EQ(jsonAt(r.body, "entry.status"), "open");
  EXPECT_EQ(jsonAt(r.body, "entry.attempts"), "2");
  const Reply audit = server_->client().get("/fhir/AuditEvent?entity=Quarantine/" + id);
  EXPECT_EQ(jsonAt(audit.body, "entry.0.resource.outcome"), "4");
}

// A trial loaded without its secret quarantines its results; once the secret is there, a retry
// over REST lands the message.
TEST_F(QuarantineViewTest, ARetryAfterTheFixLandsTheMessage) {
  unsetenv("TRIALBRIDGE_SECRET_NCT06813157");
  core::Issues issues;
  std::ifstream in(std::string(TB_SOURCE_ROOT) + "/samples/trials/NCT06813157.json");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::optional<study::Trial> trial = study::readTrial(text, issues);
  ASSERT_TRUE(trial);
  ASSERT_TRUE(server_->service().loadTrial(*trial, {}).ok());
  const std::string id = quarantine(plateletOru("RETRY-1"));
  ASSERT_FALSE(id.empty());
  setenv("TRIALBRIDGE_SECRET_NCT06813157", "a test secret of enough length 0123456789", 1);
  ASSERT_TRUE(server_->service().loadTrial(*trial, {}).ok());
  unsetenv("TRIALBRIDGE_SECRET_NCT06813157");
  const Reply r = post("/mllp/quarantine/" + id + "/$retry", R"({"reason":"secret installed"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(jsonAt(r.body, "outcome"), "accepted");
  EXPECT_EQ(jsonAt(r.body, "entry.status"), "retried");
  const Reply audit = server_->client().get("/fhir/AuditEvent?entity=Quarantine/" + id);
  EXPECT_EQ(jsonAt(audit.body, "entry.0.resource.action"), "E");
  EXPECT_EQ(jsonAt(audit.body, "entry.0.resource.entity.0.detail.1.valueString"),
            "secret installed");
}

TEST_F(QuarantineViewTest, MethodsAndUnknownThings) {
  const std::string id = quarantine(kAdt);
  Client c = server_->client();
  EXPECT_EQ(c.request("POST", "/mllp/quarantine", "{}").status, 405);
  EXPECT_EQ(c.request("GET", "/mllp/quarantine/" + id + "/$retry").status, 405);
  EXPECT_EQ(c.request("DELETE", "/mllp/quarantine/" + id).status, 405);
  EXPECT_EQ(post("/mllp/quarantine/" + id + "/$forget", "").status, 404);
  EXPECT_EQ(post("/mllp/quarantine/nothing/$retry", "").status, 404);
  EXPECT_EQ(post("/mllp/quarantine/nothing/$discard", R"({"reason":"x"})").status, 404);
  EXPECT_EQ(post("/mllp/quarantine/" + id + "/$discard", std::string(9000, ' ')).status, 413);
}

TEST_F(QuarantineViewTest, ErrorsAreOperationOutcomesNamingWhereTheyAre) {
  const std::string id = quarantine(kAdt);
  ASSERT_FALSE(id.empty());
  Client c = server_->client();
  struct Case {
    Reply reply;
    int status;
    const char* code;
    const char* location;  // "" for none
  };
  const Case cases[] = {
      {c.get("/mllp/quarantine?status=lost"), 400, "value", "status"},
      {c.get("/mllp/quarantine?_count=many"), 400, "value", "_count"},
      {c.get("/mllp/quarantine?_offset=-1"), 400, "value", "_offset"},
      {c.get("/mllp/quarantine?colour=red"), 400, "value", "colour"},
      {c.get("/mllp/quarantine/nothing"), 404, "not-found", ""},
      {c.request("DELETE", "/mllp/quarantine/" + id), 405, "not-supported", ""},
      {post("/mllp/quarantine/" + id + "/$discard", R"({"why":"x"})"), 400, "value", "why"},
      {post("/mllp/quarantine/" + id + "/$discard", std::string(9000, ' ')), 413, "too-long", ""},
  };
  for (const Case& k : cases) {
    EXPECT_EQ(k.reply.status, k.status) << k.reply.body;
    EXPECT_EQ(jsonAt(k.reply.body, "resourceType"), "OperationOutcome") << k.reply.body;
    EXPECT_EQ(jsonAt(k.reply.body, "issue.0.severity"), "error") << k.reply.body;
    EXPECT_EQ(jsonAt(k.reply.body, "issue.0.code"), k.code) << k.reply.body;
    EXPECT_FALSE(jsonAt(k.reply.body, "issue.0.diagnostics").empty()) << k.reply.body;
    EXPECT_EQ(jsonAt(k.reply.body, "issue.0.expression.0"), k.location) << k.reply.body;
  }
  // Refused by the pipeline (no reason): its own issues.
  const Reply noReason = post("/mllp/quarantine/" + id + "/$discard", "");
  EXPECT_EQ(noReason.status, 400) << noReason.body;
  EXPECT_EQ(jsonAt(noReason.body, "resourceType"), "OperationOutcome") << noReason.body;
  EXPECT_NE(noReason.body.find("reason"), std::string::npos) << noReason.body;
}

TEST_F(QuarantineViewTest, StatusAllListsEveryEntryAndEachStatusItsOwn) {
  const std::string first = quarantine(kAdt);
  std::string other = kAdt;
  other.replace(other.find("Q-ADT"), 5, "Q-ADT2");  // another message, not a resend
  const std::string second = quarantine(other);
  ASSERT_FALSE(first.empty());
  ASSERT_NE(first, second);
  ASSERT_EQ(post("/mllp/quarantine/" + first + "/$discard", R"({"reason":"test feed"})").status,
            200);
  Client c = server_->client();
  EXPECT_EQ(jsonAt(c.get("/mllp/quarantine?status=all").body, "total"), "2");
  EXPECT_EQ(jsonAt(c.get("/mllp/quarantine").body, "total"), "2");
  EXPECT_EQ(jsonAt(c.get("/mllp/quarantine?status=open").body, "total"), "1");
  EXPECT_EQ(jsonAt(c.get("/mllp/quarantine?status=open").body, "entries.0.id"), second);
  EXPECT_EQ(jsonAt(c.get("/mllp/quarantine?status=discarded").body, "entries.0.id"), first);
}

int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST_F(QuarantineViewTest, ReadingNeedsQuarantineReadAndDecidingQuarantineUpdate) {
  const SigningKey key = makeRsaKey("k1");
  const std::string dir = tempDir();
  writeFile(dir + "/jwks.json", jwks({&key}));
  start(R"({"auth":{"jwks":")" + dir + R"(/jwks.json"}})");
  const std::string id = [&] {
    MllpClient m(server_->service().mllp()->port());
    m.exchange(kAdt);
    std::vector<store::QuarantineEntry> q;
    int64_t total = 0;
    EXPECT_TRUE(server_->service().store().listQuarantine({}, q, total));
    return q.empty() ? std::string() : q[0].id;
  }();
  ASSERT_FALSE(id.empty());
  auto token = [&](const std::string& scope) {
    return signJwt(key, R"({"sub":"dm","client_id":"data-manager","scope":")" + scope +
                            R"(","exp":)" + std::to_string(now() + 300) + "}");
  };
  const std::string uri = "/mllp/quarantine/" + id + "/$discard";
  const std::string body = R"({"reason":"duplicate"})";
  EXPECT_EQ(post(uri, body).status, 401);
  EXPECT_EQ(post(uri, body, token("system/Quarantine.r")).status, 403);
  const Reply ok = post(uri, body, token("system/Quarantine.ru system/AuditEvent.rs"));
  ASSERT_EQ(ok.status, 200) << ok.body;
  Client c = server_->client();
  c.setBearer(token("system/AuditEvent.rs"));
  const Reply audit = c.get("/fhir/AuditEvent?entity=Quarantine/" + id);
  EXPECT_EQ(jsonAt(audit.body, "entry.0.resource.agent.0.who.identifier.value"), "data-manager");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trialbridge::testing
