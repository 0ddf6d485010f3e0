// The pipeline without any transport, on both store backends: SQLite (a file in a temporary
// directory) and PostgreSQL 15 (the throwaway cluster of tests/store/pg_cluster.h).
#include "pipeline/pipeline.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>

#include "conformance/context.h"
#include "core/json.h"
#include "pg_cluster.h"
#include "pipeline/steps.h"
#include "run_together.h"
#include "validation/validator.h"

namespace trialbridge::pipeline {
namespace {

using store::Code;

constexpr std::string_view kPatient =
    R"({"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"P-1"}],"gender":"female"})";

std::unique_ptr<core::Document> parse(std::string_view json, core::Issues* issues = nullptr) {
  core::Issues own;
  auto doc = core::readJson(json, conformance::Context::r4(), issues != nullptr ? *issues : own);
  EXPECT_NE(doc, nullptr) << json;
  return doc;
}

std::string text(const core::Issues& issues) {
  std::string out;
  for (const auto& i : issues.items()) out += i.location + ": " + i.message + "\n";
  return out;
}

// A store that fails the unit at its last step (the audit rows, or the key): every put before
// it was made, and the unit must leave nothing behind, as if the process had died between the
// writes and the commit.
class FailingContext final : public store::WriteContext {
 public:
  explicit FailingContext(store::WriteContext& inner) : inner_(inner) {}
  store::Status current(std::string_view t, std::string_view id,
                        store::ResourceVersion& out) override {
    return inner_.current(t, id, out);
  }
  store::Status match(const store::SearchQuery& q, size_t limit,
                      std::vector<std::string>& ids) override {
    return inner_.match(q, limit, ids);
  }
  store::Status lockCriteria(std::string_view type, std::string_view key) override {
    return inner_.lockCriteria(type, key);
  }
  store::Status put(core::Document& doc, const store::PutOptions& o,
                    store::WriteResult& out) override {
    ++puts;
    return inner_.put(doc, o, out);
  }
  store::Status remove(std::string_view t, std::string_view id, const store::PutOptions& o,
                       store::WriteResult& out) override {
    return inner_.remove(t, id, o, out);
  }
  store::Status findKey(std::string_view key, store::IdempotencyRecord& out) override {
    return inner_.findKey(key, out);
  }
  store::Status saveKey(const store::IdempotencyRecord&) override {
    return store::Status::error(Code::Internal, "the database went away");
  }
  store::Status enqueue(const store::OutboxMessage& m) override { return inner_.enqueue(m); }
  store::Status audit(const std::vector<store::AuditEntry>&) override {
    return store::Status::error(Code::Internal, "the database went away");
  }
  const std::string& now() const override { return inner_.now(); }
  store::Status findReceipt(std::string_view key, store::MessageReceipt& out) override {
    return inner_.findReceipt(key, out);
  }
  store::Status saveReceipt(const store::MessageReceipt& r, bool replace) override {
    return inner_.saveReceipt(r, replace);
  }
  store::Status saveQuarantine(const store::QuarantineEntry& e) override {
    return inner_.saveQuarantine(e);
  }
  store::Status findQuarantine(std::string_view id, store::QuarantineEntry& out) override {
    return inner_.findQuarantine(id, out);
  }
  int puts = 0;

 private:
  store::WriteContext& inner_;
};

class FailingStore final : public store::Store {
 public:
  explicit FailingStore(store::Store& inner) : inner_(inner) {}
  std::string_view backend() const override { return inner_.backend(); }
  int schemaVersion() const override { return inner_.schemaVersion(); }
  store::Status databaseVersion(int& out) override { return inner_.databaseVersion(out); }
  const store::SearchParameterRegistry& registry() const override { return inner_.registry(); }
  const core::TypeResolver& types() const override { return inner_.types(); }
  const std::vector<std::string>& outboxTopics(std::string_view type) const override {
    return inner_.outboxTopics(type);
  }
  store::Status write(Unit unit) override {
    return inner_.write([&](store::WriteContext& ctx) {
      FailingContext failing(ctx);
      store::Status s = unit(failing);
      puts += failing.puts;
      return s;
    });
  }
  void post(Unit unit) override { inner_.post(std::move(unit)); }
  void flush() override { inner_.flush(); }
  store::Status read(std::string_view t, std::string_view id,
                     store::ResourceVersion& out) override {
    return inner_.read(t, id, out);
  }
  store::Status vread(std::string_view t, std::string_view id, int64_t v,
                      store::ResourceVersion& out) override {
    return inner_.vread(t, id, v, out);
  }
  store::Status history(const store::HistoryQuery& q, store::HistoryResult& out) override {
    return inner_.history(q, out);
  }
  store::Status search(const store::SearchQuery& q, store::SearchResult& out) override {
    return inner_.search(q, out);
  }
  store::Status series(const store::SeriesQuery& q,
                       std::vector<store::ResourceVersion>& out) override {
    return inner_.series(q, out);
  }
  store::Status claimOutbox(std::string_view topic, size_t limit, int64_t leaseMs,
                            std::vector<store::OutboxMessage>& out) override {
    return inner_.claimOutbox(topic, limit, leaseMs, out);
  }
  store::Status completeOutbox(int64_t seq) override { return inner_.completeOutbox(seq); }
  store::Status retryOutbox(int64_t seq, std::string_view e, int64_t delayMs) override {
    return inner_.retryOutbox(seq, e, delayMs);
  }
  store::Status reclaimOutbox(std::string_view topic, int64_t& count) override {
    return inner_.reclaimOutbox(topic, count);
  }
  store::Status pendingOutbox(const store::OutboxQuery& q, std::vector<store::OutboxMessage>& out,
                              int64_t& total) override {
    return inner_.pendingOutbox(q, out, total);
  }
  store::Status readPublishState(std::string_view target, std::string_view type,
                                 std::string_view id, store::PublishState& out) override {
    return inner_.readPublishState(target, type, id, out);
  }
  store::Status savePublishState(const store::PublishState& state) override {
    return inner_.savePublishState(state);
  }
  store::Status tryExclusive(std::string_view name,
                             std::unique_ptr<store::StoreLease>& out) override {
    return inner_.tryExclusive(name, out);
  }
  store::Status readAudit(std::string_view id, store::ResourceVersion& out) override {
    return inner_.readAudit(id, out);
  }
  store::Status searchAudit(const store::AuditQuery& q, store::SearchResult& out) override {
    return inner_.searchAudit(q, out);
  }
  store::Status readReceipt(std::string_view key, store::MessageReceipt& out) override {
    return inner_.readReceipt(key, out);
  }
  store::Status readQuarantine(std::string_view id, store::QuarantineEntry& out) override {
    return inner_.readQuarantine(id, out);
  }
  store::Status listQuarantine(const store::QuarantineQuery& q,
                               std::vector<store::QuarantineEntry>& out, int64_t& total) override {
    return inner_.listQuarantine(q, out, total);
  }
  store::StoreStats stats() const override { return inner_.stats(); }
  int puts = 0;

 private:
  store::Store& inner_;
};

class PipelineTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    validator_ = new validation::Validator(conformance::Context::r4());
    policy_ = new AuditPolicy(&conformance::Context::r4(), {});
  }
  static void TearDownTestSuite() {
    delete validator_;
    delete policy_;
  }

  void SetUp() override {
    store::StoreOptions o;
    o.backend = GetParam();
    if (GetParam() == "postgresql") {
      auto& pg = testing::PgCluster::shared();
      ASSERT_TRUE(pg.running()) << "PostgreSQL test cluster did not start: " << pg.error();
      o.database = pg.createDatabase();
    } else {
      char tmpl[] = "/tmp/tb-pipeline-test.XXXXXX";
      ASSERT_NE(::mkdtemp(tmpl), nullptr);
      dir_ = tmpl;
      o.database = dir_ + "/store.db";
    }
    o.outboxTopics = {{"ResearchStudy", {"registry"}}};
    storeOptions_ = o;
    auto r = store::openStore(o);
    ASSERT_TRUE(r) << r.message();
    store_ = std::move(r.value());
    Config c;
    c.audit = policy_;
    c.recordFailure = [this](AuditRecord record) { failures_.push_back(std::move(record)); };
    c.maxBundleEntries = 10;
    pipeline_ = std::make_unique<Pipeline>(*store_, validator_, c);
    options_.actor = {"client-1", "10.0.0.7"};
    options_.baseUrl = "http://example.org/fhir";
  }
  void TearDown() override {
    pipeline_.reset();
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  Result apply(Change change) { return pipeline_->apply(std::move(change), options_); }
  Result create(std::string_view json) { return apply(Change::create(parse(json))); }
  Result bundle(std::string_view json) {
    core::Issues issues;
    auto doc = parse(json, &issues);
    return apply(Change::bundle(std::move(doc), std::move(issues)));
  }

  int64_t count(std::string_view type, std::string_view query = "") {
    store::SearchQuery q;
    core::Issues issues;
    store::parseSearch(store_->registry(), type, store::parseQueryString(query), {}, q, issues);
    q.summaryCount = true;
    store::SearchResult r;
    EXPECT_TRUE(store_->search(q, r));
    return r.total;
  }
  int64_t versions(std::string_view type) {
    store::HistoryQuery q;
    q.type = std::string(type);
    store::HistoryResult h;
    EXPECT_TRUE(store_->history(q, h));
    return h.total;
  }
  int64_t audits() {
    store::AuditQuery q;
    q.summaryCount = true;
    store::SearchResult r;
    EXPECT_TRUE(store_->searchAudit(q, r));
    return r.total;
  }
  std::vector<store::OutboxMessage> outbox() {
    std::vector<store::OutboxMessage> out;
    EXPECT_TRUE(store_->claimOutbox("registry", 100, 60000, out));
    return out;
  }

  static validation::Validator* validator_;
  static AuditPolicy* policy_;
  std::string dir_;
  store::StoreOptions storeOptions_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Pipeline> pipeline_;
  Options options_;
  std::vector<AuditRecord> failures_;
};

validation::Validator* PipelineTest::validator_ = nullptr;
AuditPolicy* PipelineTest::policy_ = nullptr;

TEST_P(PipelineTest, CreateStoresAVersionWithItsAuditRow) {
  Result r = create(kPatient);
  ASSERT_TRUE(r.ok()) << text(r.issues);
  ASSERT_EQ(r.entries.size(), 1u);
  const EntryResult& e = r.entries[0];
  EXPECT_EQ(e.outcome, Outcome::Created);
  EXPECT_EQ(e.type, "Patient");
  EXPECT_TRUE(store::isValidId(e.id));
  EXPECT_EQ(e.version, 1);
  EXPECT_FALSE(e.lastUpdated.empty());
  ASSERT_NE(e.document, nullptr);
  EXPECT_EQ(core::writeJson(*e.document->root()), e.json);
  store::ResourceVersion stored;
  ASSERT_TRUE(store_->read("Patient", e.id, stored));
  EXPECT_EQ(stored.json, e.json);
  EXPECT_TRUE(e.outbox.empty());  // Patient has no outbox topic
  store::AuditQuery q;
  q.entities = {"Patient/" + e.id};
  store::SearchResult audit;
  ASSERT_TRUE(store_->searchAudit(q, audit));
  ASSERT_EQ(audit.total, 1);
  EXPECT_NE(audit.matches[0].json.find(R"("value":"client-1")"), std::string::npos);
  EXPECT_NE(audit.matches[0].json.find(R"("address":"10.0.0.7")"), std::string::npos);
}

TEST_P(PipelineTest, ConditionalCreateUpdateAndDelete) {
  options_.ifNoneExist = "identifier=urn:mrn|P-1";
  Result first = create(kPatient);
  ASSERT_TRUE(first.ok()) << text(first.issues);
  EXPECT_EQ(first.entries[0].outcome, Outcome::Created);
  Result again = create(kPatient);
  ASSERT_TRUE(again.ok()) << text(again.issues);
  EXPECT_EQ(again.entries[0].outcome, Outcome::Matched);
  EXPECT_EQ(again.entries[0].id, first.entries[0].id);
  EXPECT_EQ(again.entries[0].json, first.entries[0].json);
  EXPECT_EQ(versions("Patient"), 1);
  options_.ifNoneExist.clear();

  // Conditional update: the match gets a new version; a body id that differs is refused.
  Result upd = apply(Change::conditionalUpdate(
      "Patient", "identifier=urn:mrn|P-1",
      parse(
          R"({"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"P-1"}],"gender":"other"})")));
  ASSERT_TRUE(upd.ok()) << text(upd.issues);
  EXPECT_EQ(upd.entries[0].outcome, Outcome::Updated);
  EXPECT_EQ(upd.entries[0].id, first.entries[0].id);
  EXPECT_EQ(upd.entries[0].version, 2);
  Result other = apply(Change::conditionalUpdate(
      "Patient", "identifier=urn:mrn|P-1",
      parse(R"({"resourceType":"Patient","id":"someone-else","gender":"other"})")));
  EXPECT_EQ(other.status, Status::Invalid) << text(other.issues);

  // If-Match on another version.
  options_.ifMatch = 1;
  Result stale = apply(
      Change::update("Patient", first.entries[0].id,
                     parse(R"({"resourceType":"Patient","id":")" + first.entries[0].id + R"("})")));
  EXPECT_EQ(stale.status, Status::PreconditionFailed);
  options_.ifMatch.reset();

  // A condition that matches several resources.
  create(kPatient);
  options_.ifNoneExist = "identifier=urn:mrn|P-1";
  EXPECT_EQ(create(kPatient).status, Status::PreconditionFailed);
  options_.ifNoneExist.clear();
  EXPECT_EQ(apply(Change::conditionalRemove("Patient", "identifier=urn:mrn|P-1")).status,
            Status::PreconditionFailed);

  Result none = apply(Change::conditionalRemove("Patient", "identifier=urn:mrn|nobody"));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none.entries[0].outcome, Outcome::NoOp);
  Result del = apply(Change::remove("Patient", first.entries[0].id));
  ASSERT_TRUE(del.ok()) << text(del.issues);
  EXPECT_EQ(del.entries[0].outcome, Outcome::Deleted);
  EXPECT_EQ(del.entries[0].version, 3);
  EXPECT_EQ(apply(Change::remove("Patient", first.entries[0].id)).entries[0].outcome,
            Outcome::NoOp);
  EXPECT_EQ(apply(Change::remove("Patient", "nobody")).status, Status::NotFound);
  EXPECT_EQ(apply(Change::conditionalRemove("Patient", "")).status, Status::Invalid);
  EXPECT_EQ(apply(Change::remove("Patient", "bad id!")).status, Status::Invalid);
}

TEST_P(PipelineTest, TransactionRewritesUuidAndConditionalReferences) {
  ASSERT_TRUE(create(R"({"resourceType":"ResearchStudy","status":"active",
      "identifier":[{"system":"https://clinicaltrials.gov","value":"NCT00000001"}]})")
                  .ok());
  Result r = bundle(R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a",
     "resource":{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"T-1"}]},
     "request":{"method":"POST","url":"Patient"}},
    {"fullUrl":"http://example.org/fhir/ResearchSubject/rs-1",
     "resource":{"resourceType":"ResearchSubject","id":"rs-1","status":"on-study",
      "study":{"reference":"ResearchStudy?identifier=https://clinicaltrials.gov|NCT00000001"},
      "individual":{"reference":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"}},
     "request":{"method":"PUT","url":"ResearchSubject/rs-1"}},
    {"resource":{"resourceType":"Observation","status":"final","code":{"text":"platelets"},
      "subject":{"reference":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"},
      "focus":[{"reference":"http://example.org/fhir/ResearchSubject/rs-1"}]},
     "request":{"method":"POST","url":"Observation"}},
    {"request":{"method":"GET","url":"Patient?identifier=urn:mrn|T-1"}}]})");
  ASSERT_TRUE(r.ok()) << text(r.issues);
  ASSERT_EQ(r.entries.size(), 4u);
  const std::string patient = r.entries[0].id;
  EXPECT_EQ(r.entries[0].outcome, Outcome::Created);
  EXPECT_EQ(r.entries[1].outcome, Outcome::Created);
  EXPECT_EQ(r.entries[1].id, "rs-1");
  EXPECT_EQ(r.entries[2].outcome, Outcome::Created);
  EXPECT_EQ(r.entries[3].outcome, Outcome::Read);
  ASSERT_TRUE(r.entries[3].read.has_value());
  EXPECT_EQ(r.entries[3].read->type, "Patient");
  EXPECT_EQ(r.entries[3].read->query, "identifier=urn:mrn|T-1");

  store::ResourceVersion rs;
  ASSERT_TRUE(store_->read("ResearchSubject", "rs-1", rs));
  EXPECT_NE(rs.json.find(R"("individual":{"reference":"Patient/)" + patient + "\"}"),
            std::string::npos)
      << rs.json;
  EXPECT_NE(rs.json.find(R"("study":{"reference":"ResearchStudy/)"), std::string::npos) << rs.json;
  EXPECT_EQ(rs.json.find("ResearchStudy?"), std::string::npos) << rs.json;
  EXPECT_NE(r.entries[2].json.find(R"("reference":"ResearchSubject/rs-1")"), std::string::npos)
      << r.entries[2].json;
  EXPECT_EQ(count("Observation", "subject=Patient/" + patient), 1);

  // A conditional reference that matches nothing fails the whole transaction at its entry.
  Result bad = bundle(R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"T-2"}]},
     "request":{"method":"POST","url":"Patient"}},
    {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},
      "subject":{"reference":"Patient?identifier=urn:mrn|nobody"}},
     "request":{"method":"POST","url":"Observation"}}]})");
  EXPECT_EQ(bad.status, Status::PreconditionFailed);
  ASSERT_FALSE(bad.issues.empty());
  EXPECT_EQ(bad.issues.items()[0].location, "Bundle.entry[1]");
  EXPECT_EQ(count("Patient", "identifier=urn:mrn|T-2"), 0);
}

TEST_P(PipelineTest, TransactionChecksEveryEntryFirst) {
  // Two entries for one resource.
  Result dup = bundle(R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Patient","id":"a"},"request":{"method":"PUT","url":"Patient/a"}},
    {"request":{"method":"DELETE","url":"Patient/a"}}]})");
  EXPECT_EQ(dup.status, Status::Invalid);
  // An entry without a request, and a PUT whose body id differs.
  Result bad = bundle(R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Patient","active":true}},
    {"resource":{"resourceType":"Patient","id":"b"},"request":{"method":"PUT","url":"Patient/a"}}]})");
  EXPECT_EQ(bad.status, Status::Invalid);
  std::set<std::string> where;
  for (const auto& i : bad.issues.items()) where.insert(i.location);
  EXPECT_EQ(where, (std::set<std::string>{"Bundle.entry[0].request", "Bundle.entry[1].resource"}));
  // The authorisation callback sees every type and permission.
  std::vector<std::string> asked;
  options_.authorize = [&](std::string_view type, Permission p) {
    asked.push_back(std::string(type) + "." + static_cast<char>(p));
    return p != Permission::Delete;
  };
  Result forbidden = bundle(R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Patient","active":true},"request":{"method":"POST","url":"Patient"}},
    {"request":{"method":"GET","url":"Observation?code=x"}},
    {"request":{"method":"DELETE","url":"Observation/o1"}}]})");
  EXPECT_EQ(forbidden.status, Status::Forbidden);
  EXPECT_EQ(asked, (std::vector<std::string>{"Patient.c", "Observation.s", "Observation.d"}));
  EXPECT_EQ(count("Patient"), 0);
  options_.authorize = nullptr;
  // Too many entries.
  std::string big = R"({"resourceType":"Bundle","type":"batch","entry":[)";
  for (int i = 0; i < 11; ++i) {
    big += std::string(i ? "," : "") + R"({"request":{"method":"GET","url":"Patient/)" +
           std::to_string(i) + R"("}})";
  }
  EXPECT_EQ(bundle(big + "]}").status, Status::TooLarge);
  EXPECT_EQ(bundle(R"({"resourceType":"Bundle","type":"collection"})").status, Status::Invalid);
}

TEST_P(PipelineTest, ValidationFailuresSayWhere) {
  Result single = create(R"({"resourceType":"Patient","gender":"sometimes"})");
  EXPECT_EQ(single.status, Status::Unprocessable);
  ASSERT_FALSE(single.issues.empty());
  EXPECT_EQ(single.issues.items()[0].location, "Patient.gender") << text(single.issues);
  for (const auto& i : single.issues.items()) {
    EXPECT_TRUE(i.severity <= core::Severity::Error) << "only errors refuse a change";
  }
  // The reader's errors count: an unknown element is not stored without it.
  core::Issues readIssues;
  auto doc = parse(R"({"resourceType":"Patient","nonsense":1})", &readIssues);
  EXPECT_EQ(apply(Change::create(std::move(doc), readIssues)).status, Status::Unprocessable);

  Result tx = bundle(R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Patient","active":true},"request":{"method":"POST","url":"Patient"}},
    {"resource":{"resourceType":"Patient","gender":"sometimes"},"request":{"method":"POST","url":"Patient"}},
    {"resource":{"resourceType":"Patient","active":true,"nonsense":true},"request":{"method":"POST","url":"Patient"}}]})");
  EXPECT_EQ(tx.status, Status::Unprocessable) << text(tx.issues);
  std::set<std::string> where;
  for (const auto& i : tx.issues.items()) where.insert(i.location);
  EXPECT_TRUE(where.count("Bundle.entry[1].resource.gender")) << text(tx.issues);
  EXPECT_TRUE(where.count("Bundle.entry[2].resource.nonsense")) << text(tx.issues);
  EXPECT_EQ(count("Patient"), 0);

  // A required profile for the type: an Observation that is no vital sign is refused.
  Config c = pipeline_->config();
  c.requiredProfiles = {{"Observation", "http://hl7.org/fhir/StructureDefinition/vitalsigns"}};
  Pipeline strict(*store_, validator_, c);
  Result obs = strict.apply(
      Change::create(
          parse(R"({"resourceType":"Observation","status":"final","code":{"text":"x"}})")),
      options_);
  EXPECT_EQ(obs.status, Status::Unprocessable);
  // Without validation only the reader's errors count.
  options_.validation = ValidationPolicy::None;
  EXPECT_TRUE(
      strict
          .apply(Change::create(parse(
                     R"({"resourceType":"Observation","status":"final","code":{"text":"x"}})")),
                 options_)
          .ok());
}

TEST_P(PipelineTest, BatchEntriesStandAlone) {
  Result r = bundle(R"({"resourceType":"Bundle","type":"batch","entry":[
    {"resource":{"resourceType":"Patient","gender":"male"},"request":{"method":"POST","url":"Patient"}},
    {"request":{"method":"GET","url":"Patient/does-not-exist"}},
    {"resource":{"resourceType":"Patient","gender":"bogus"},"request":{"method":"POST","url":"Patient"}},
    {"request":{"method":"DELETE","url":"Patient/nobody"}},
    {"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient","link":[{"type":"seealso","other":{"reference":"urn:uuid:2"}}]},
     "request":{"method":"POST","url":"Patient"}}]})");
  ASSERT_TRUE(r.ok()) << text(r.issues);
  ASSERT_EQ(r.entries.size(), 5u);
  EXPECT_EQ(r.entries[0].status, Status::Ok);
  EXPECT_EQ(r.entries[0].outcome, Outcome::Created);
  EXPECT_EQ(r.entries[1].outcome, Outcome::Read);
  EXPECT_EQ(r.entries[2].status, Status::Unprocessable);
  EXPECT_EQ(r.entries[2].issues.items()[0].location, "Bundle.entry[2].resource.gender")
      << text(r.entries[2].issues);
  EXPECT_EQ(r.entries[3].status, Status::NotFound);
  // No references are rewritten in a batch.
  EXPECT_NE(r.entries[4].json.find("urn:uuid:2"), std::string::npos);
  EXPECT_EQ(count("Patient"), 2);
}

TEST_P(PipelineTest, AReplayWithTheSameKeyWritesNothing) {
  options_.idempotencyKey = "hl7:LAB:MSG0001";
  const std::string tx = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient","active":true},"request":{"method":"POST","url":"Patient"}},
    {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:1"}},
     "request":{"method":"POST","url":"Observation"}}]})";
  Result first = bundle(tx);
  ASSERT_TRUE(first.ok()) << text(first.issues);
  EXPECT_FALSE(first.replayed);
  const int64_t audited = audits();
  Result again = bundle(tx);
  ASSERT_TRUE(again.ok()) << text(again.issues);
  EXPECT_TRUE(again.replayed);
  ASSERT_EQ(again.entries.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(again.entries[i].outcome, first.entries[i].outcome);
    EXPECT_EQ(again.entries[i].id, first.entries[i].id);
    EXPECT_EQ(again.entries[i].version, first.entries[i].version);
    EXPECT_EQ(again.entries[i].lastUpdated, first.entries[i].lastUpdated);
    EXPECT_EQ(again.entries[i].json, first.entries[i].json);
  }
  EXPECT_EQ(versions("Patient"), 1);
  EXPECT_EQ(versions("Observation"), 1);
  EXPECT_EQ(audits(), audited);

  // The same key with another change.
  Result other = create(kPatient);
  EXPECT_EQ(other.status, Status::Conflict);
  EXPECT_EQ(versions("Patient"), 1);

  // A single change, and a batch (entry i keyed "key#i").
  options_.idempotencyKey = "http:client-1:42";
  Result c1 = create(kPatient);
  Result c2 = create(kPatient);
  ASSERT_TRUE(c1.ok() && c2.ok());
  EXPECT_TRUE(c2.replayed);
  EXPECT_EQ(c2.entries[0].id, c1.entries[0].id);
  EXPECT_EQ(count("Patient", "identifier=urn:mrn|P-1"), 1);
  options_.idempotencyKey = "batch-1";
  const std::string batch = R"({"resourceType":"Bundle","type":"batch","entry":[
    {"resource":{"resourceType":"Patient","gender":"male"},"request":{"method":"POST","url":"Patient"}},
    {"request":{"method":"DELETE","url":"Patient/nobody"}}]})";
  Result b1 = bundle(batch);
  Result b2 = bundle(batch);
  EXPECT_TRUE(b2.replayed);
  EXPECT_EQ(b2.entries[0].id, b1.entries[0].id);
  EXPECT_EQ(b2.entries[1].status, Status::NotFound);  // failed entries are not remembered
  EXPECT_EQ(count("Patient", "gender=male"), 1);
}

// Two changes with one key at the same time (a client retrying while its first request is in
// flight): on PostgreSQL several writers run them at once, and the second's key insert waits for
// the first. Every answer is the first result; one resource is written.
TEST_P(PipelineTest, ConcurrentChangesWithOneKeyWriteOnce) {
  for (int round = 0; round < 10; ++round) {
    Options o = options_;
    o.idempotencyKey = "http:client-1:race-" + std::to_string(round);
    constexpr int kThreads = 8;
    std::vector<Result> results(kThreads);
    testing::runTogether(kThreads, [&](int t) {
      results[t] = pipeline_->apply(Change::create(parse(kPatient)), o);
    });
    int first = 0;
    for (const Result& r : results) {
      ASSERT_TRUE(r.ok()) << statusName(r.status) << ": " << text(r.issues);
      EXPECT_EQ(r.entries[0].id, results[0].entries[0].id);
      first += r.replayed ? 0 : 1;
    }
    EXPECT_EQ(first, 1) << "round " << round;
  }
  EXPECT_EQ(versions("Patient"), 10);
}

// Conditional writes with the same criteria at the same time on two nodes (two stores on one
// PostgreSQL database, several threads each; on SQLite, where one process owns the file, both
// "nodes" are the one store): each criteria is created once, every other conditional create
// (REST and transaction entry alike) is answered with the match, none is refused; concurrent
// conditional updates of one new criteria make one resource with a version each.
TEST_P(PipelineTest, ConcurrentConditionalWritesAcrossNodesCreateOnce) {
  std::unique_ptr<store::Store> otherStore;
  std::unique_ptr<Pipeline> otherPipeline;
  Pipeline* nodes[2] = {pipeline_.get(), pipeline_.get()};
  if (GetParam() == "postgresql") {
    auto r = store::openStore(storeOptions_);
    ASSERT_TRUE(r) << r.message();
    otherStore = std::move(r.value());
    otherPipeline = std::make_unique<Pipeline>(*otherStore, validator_, pipeline_->config());
    nodes[1] = otherPipeline.get();
  }
  const auto patient = [](const std::string& value) {
    return R"({"resourceType":"Patient","identifier":[{"system":"urn:race","value":")" + value +
           R"("}]})";
  };
  const auto transaction = [&](const std::string& value) {
    return R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":)" +
           patient(value) +
           R"(,"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=urn:race|)" +
           value + R"("}}]})";
  };
  constexpr int kThreads = 8, kRounds = 12;
  // Thread t, round r: t % 4 == 3 has criteria of its own, the others share one; t % 4 == 1
  // sends a transaction, the others a conditional create.
  const auto valueOf = [](int t, int r) {
    return t % 4 == 3 ? "own-" + std::to_string(r) + "-" + std::to_string(t)
                      : "same-" + std::to_string(r);
  };
  const auto run = [&](const std::function<Result(Pipeline&, int)>& send) {
    std::vector<Result> results(kThreads);
    testing::runTogether(kThreads, [&](int t) { results[t] = send(*nodes[t % 2], t); });
    return results;
  };
  for (int round = 0; round < kRounds; ++round) {
    std::vector<Result> results = run([&](Pipeline& node, int t) {
      const std::string value = valueOf(t, round);
      if (t % 4 == 1) {
        core::Issues issues;
        auto doc = parse(transaction(value), &issues);
        return node.apply(Change::bundle(std::move(doc), std::move(issues)), options_);
      }
      Options o = options_;
      o.ifNoneExist = "identifier=urn:race|" + value;
      return node.apply(Change::create(parse(patient(value))), o);
    });
    int created = 0;
    std::set<std::string> ids;
    for (int t = 0; t < kThreads; ++t) {
      const Result& r = results[t];
      ASSERT_TRUE(r.ok()) << "round " << round << ": " << statusName(r.status) << ": "
                          << text(r.issues);
      ASSERT_EQ(r.entries.size(), 1u);
      const Outcome outcome = r.entries[0].outcome;
      if (t % 4 == 3) {
        EXPECT_EQ(outcome, Outcome::Created) << "round " << round;
        continue;
      }
      EXPECT_TRUE(outcome == Outcome::Created || outcome == Outcome::Matched);
      created += outcome == Outcome::Created ? 1 : 0;
      ids.insert(r.entries[0].id);
    }
    EXPECT_EQ(created, 1) << "round " << round;
    EXPECT_EQ(ids.size(), 1u) << "round " << round;
    EXPECT_EQ(count("Patient", "identifier=urn:race|same-" + std::to_string(round)), 1);
  }
  EXPECT_EQ(count("Patient"), kRounds * 3);  // one shared and two own criteria a round
  // Conditional updates of criteria nothing matches yet: one creates, the others update it.
  for (int round = 0; round < kRounds / 2; ++round) {
    const std::string value = "update-" + std::to_string(round);
    std::vector<Result> results = run([&](Pipeline& node, int) {
      return node.apply(Change::conditionalUpdate("Patient", "identifier=urn:race|" + value,
                                                  parse(patient(value))),
                        options_);
    });
    int created = 0;
    for (const Result& r : results) {
      ASSERT_TRUE(r.ok()) << statusName(r.status) << ": " << text(r.issues);
      created += r.entries[0].outcome == Outcome::Created ? 1 : 0;
    }
    EXPECT_EQ(created, 1) << "round " << round;
    EXPECT_EQ(count("Patient", "identifier=urn:race|" + value), 1) << "round " << round;
  }
}

TEST_P(PipelineTest, OutboxRowsCommitWithTheirChange) {
  Result r = create(R"({"resourceType":"ResearchStudy","status":"active"})");
  ASSERT_TRUE(r.ok()) << text(r.issues);
  EXPECT_EQ(r.entries[0].outbox, std::vector<std::string>{"registry"});
  auto rows = outbox();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].type, "ResearchStudy");
  EXPECT_EQ(rows[0].id, r.entries[0].id);
  EXPECT_EQ(rows[0].version, 1);
  EXPECT_EQ(rows[0].op, store::Operation::Create);

  // A transaction that fails after its ResearchStudy was put leaves no outbox row.
  Result failed = bundle(R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"ResearchStudy","status":"active"},"request":{"method":"POST","url":"ResearchStudy"}},
    {"resource":{"resourceType":"Patient","id":"p"},"request":{"method":"PUT","url":"Patient/p","ifMatch":"W/\"4\""}}]})");
  EXPECT_FALSE(failed.ok());
  EXPECT_TRUE(failed.entries[0].outbox.empty());
  EXPECT_TRUE(outbox().empty());
  EXPECT_EQ(count("ResearchStudy"), 1);
}

TEST_P(PipelineTest, AUnitThatFailsBeforeItsCommitLeavesNothing) {
  FailingStore failing(*store_);
  Pipeline broken(failing, validator_, pipeline_->config());
  Result r =
      broken.apply(Change::bundle(parse(R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient","active":true},"request":{"method":"POST","url":"Patient"}},
    {"resource":{"resourceType":"ResearchStudy","status":"active"},"request":{"method":"POST","url":"ResearchStudy"}},
    {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:1"}},
     "request":{"method":"POST","url":"Observation"}}]})")),
                   options_);
  EXPECT_EQ(r.status, Status::Internal);
  EXPECT_EQ(failing.puts, 3);  // every resource was put before the unit failed
  for (const auto& e : r.entries) EXPECT_EQ(e.outcome, Outcome::None);
  EXPECT_EQ(versions("Patient"), 0);
  EXPECT_EQ(versions("ResearchStudy"), 0);
  EXPECT_EQ(versions("Observation"), 0);
  EXPECT_TRUE(outbox().empty());
  EXPECT_EQ(audits(), 0);
  // The failure's audit record went to the asynchronous sink (a Bundle is not audited; a
  // Patient create is).
  Result single = broken.apply(Change::create(parse(kPatient)), options_);
  EXPECT_EQ(single.status, Status::Internal);
  EXPECT_EQ(count("Patient"), 0);
  ASSERT_EQ(failures_.size(), 1u);
  EXPECT_EQ(failures_[0].interaction, "create");
  EXPECT_EQ(failures_[0].outcome, '8');
  EXPECT_EQ(failures_[0].agentId, "client-1");
  // A key is kept only with a change that succeeded.
  options_.idempotencyKey = "k";
  EXPECT_FALSE(broken.apply(Change::create(parse(kPatient)), options_).ok());
  Result ok = create(kPatient);
  EXPECT_TRUE(ok.ok());
  EXPECT_FALSE(ok.replayed);
}

TEST_P(PipelineTest, ValidateAlone) {
  core::Issues issues;
  auto doc = parse(R"({"resourceType":"Patient","gender":"x"})");
  EXPECT_EQ(pipeline_->validate(*doc->root(), {}, issues), Status::Ok);
  EXPECT_TRUE(issues.hasErrors());
  Pipeline blind(*store_, nullptr, pipeline_->config());
  core::Issues none;
  EXPECT_EQ(blind.validate(*doc->root(), {}, none), Status::Unavailable);
  Change message;
  message.kind = ChangeKind::V2Message;
  message.payload = "MSH|^~\\&|LAB";
  EXPECT_EQ(blind.apply(std::move(message), options_).status, Status::Unavailable);
}

INSTANTIATE_TEST_SUITE_P(Backends, PipelineTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& p) { return p.param; });

TEST(PipelineValues, CriteriaKeysIgnoreOrderOnly) {
  const auto key = [](std::string_view type, std::string_view query) {
    store::SearchQuery q;
    core::Issues issues;
    store::parseSearch(store::SearchParameterRegistry::r4(), type, store::parseQueryString(query),
                       {}, q, issues);
    EXPECT_FALSE(issues.hasErrors()) << query;
    return detail::criteriaKey(q);
  };
  const std::string base = key("Patient", "identifier=urn:a|1&family=Doe");
  EXPECT_EQ(key("Patient", "family=Doe&identifier=urn:a|1"), base);
  EXPECT_EQ(key("Patient", "identifier=urn:a|1&family=Doe&family=Doe"), base);
  EXPECT_EQ(key("Patient", "identifier=urn:a|1,urn:b|2"),
            key("Patient", "identifier=urn:b|2,urn:a|1"));
  EXPECT_NE(key("Patient", "identifier=urn:a|1"), base);
  EXPECT_NE(key("Patient", "identifier=urn:a|1&family=Do"), base);
  EXPECT_NE(key("Patient", "identifier=urn:a|1&family:exact=Doe"), base);
  EXPECT_NE(key("Patient", "identifier=urn:a|12"), key("Patient", "identifier=urn:a1|2"));
  EXPECT_NE(key("Patient", "identifier=urn:a|1"), key("Patient", "identifier=|urn:a1"));
  EXPECT_NE(key("Patient", "identifier=urn:a|1"), key("Patient", "identifier=urn:a|1,urn:a|2"));
  EXPECT_NE(key("Patient", "birthdate=ge2000-01-01"), key("Patient", "birthdate=le2000-01-01"));
  EXPECT_NE(key("Observation", "subject=Patient/1"), key("Observation", "subject=Patient/2"));
}

TEST(PipelineValues, ETagsAndNames) {
  EXPECT_EQ(parseETag("W/\"3\""), 3);
  EXPECT_EQ(parseETag(" \"12\" "), 12);
  EXPECT_EQ(parseETag("7"), 7);
  EXPECT_FALSE(parseETag("W/\"x\""));
  EXPECT_FALSE(parseETag(""));
  EXPECT_FALSE(parseETag("1234567890123456789"));
  EXPECT_EQ(statusName(Status::PreconditionFailed), "precondition-failed");
  EXPECT_EQ(outcomeName(Outcome::Matched), "matched");
  auto doc = parse(R"({"resourceType":"Bundle","type":"batch"})");
  EXPECT_EQ(Change::bundle(std::move(doc)).kind, ChangeKind::Batch);
}

}  // namespace
}  // namespace trialbridge::pipeline
