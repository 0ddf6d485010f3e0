// The store's test suite, run against both backends: SQLite (a file in a temporary directory)
// and PostgreSQL 15 (a throwaway cluster started by the test binary, see pg_cluster.h).
#include "store/store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <Poco/Data/Session.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "conformance/context.h"
#include "core/json.h"
#include "pg_cluster.h"
#include "store/fhir_time.h"
#include "store/index.h"
#include "store/search_sql.h"
#include "store/sql_dialect.h"

namespace trialbridge::store {
namespace {

std::unique_ptr<core::Document> parse(std::string_view json) {
  core::Issues issues;
  auto doc = core::readJson(json, conformance::Context::r4(), issues);
  EXPECT_NE(doc, nullptr) << json;
  return doc;
}

void setId(core::Document& doc, const std::string& id) {
  for (core::Element* c = doc.root()->firstChild(); c != nullptr; c = c->nextSibling()) {
    if (c->name() == "id") {
      doc.setValue(c, id);
      return;
    }
  }
  doc.addPrimitive(doc.root(), "id", id);
}

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { open(); }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  bool postgres() const { return GetParam() == "postgresql"; }
  // A connection of the test's own to the store's database, beside the store.
  std::unique_ptr<Poco::Data::Session> rawSession() const {
    return std::make_unique<Poco::Data::Session>(postgres() ? "PostgreSQL" : "SQLite", database_);
  }

  void open(std::map<std::string, std::vector<std::string>> outbox = {}) {
    StoreOptions o;
    o.backend = GetParam();
    if (database_.empty()) {
      if (postgres()) {
        auto& pg = testing::PgCluster::shared();
        ASSERT_TRUE(pg.running()) << "PostgreSQL test cluster did not start: " << pg.error();
        database_ = pg.createDatabase();
      } else {
        char tmpl[] = "/tmp/tb-store-test.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        database_ = dir_ + "/store.db";
      }
    }
    o.database = database_;
    o.outboxTopics = std::move(outbox);
    o.writers = writers_;
    store_.reset();
    auto r = openStore(o);
    ASSERT_TRUE(r) << r.message();
    store_ = std::move(r.value());
  }

  Status put(std::string_view json, WriteResult& out, const std::string& id = {},
             PutOptions options = {}) {
    auto doc = parse(json);
    if (doc == nullptr) return Status::error(Code::Invalid, "unparsable");
    if (!id.empty()) setId(*doc, id);
    return store_->write([&](WriteContext& ctx) { return ctx.put(*doc, options, out); });
  }
  std::string create(std::string_view json) {
    WriteResult out;
    const std::string id = newId();
    Status st = put(json, out, id);
    EXPECT_TRUE(st) << st.message();
    return id;
  }

  SearchResult search(std::string_view type, std::string_view query) {
    SearchQuery q;
    core::Issues issues;
    parseSearch(store_->registry(), type, parseQueryString(query), SearchLimits{}, q, issues);
    EXPECT_FALSE(issues.hasErrors()) << query << ": " << issues.items()[0].message;
    SearchResult result;
    Status st = store_->search(q, result);
    EXPECT_TRUE(st) << st.message();
    return result;
  }
  std::set<std::string> ids(std::string_view type, std::string_view query) {
    std::set<std::string> out;
    for (const auto& m : search(type, query).matches) out.insert(m.id);
    return out;
  }

  std::string dir_, database_;
  size_t writers_ = 0;  // the store's default
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, CreateReadUpdateVreadHistory) {
  EXPECT_EQ(store_->backend(), GetParam());
  EXPECT_EQ(store_->schemaVersion(), migrations().back().version);
  WriteResult w;
  ASSERT_TRUE(put(R"({"resourceType":"Patient","active":true})", w, "p1"));
  EXPECT_TRUE(w.created);
  EXPECT_EQ(w.version, 1);
  EXPECT_NE(w.json.find(R"("versionId":"1")"), std::string::npos) << w.json;
  EXPECT_NE(w.json.find(R"("lastUpdated":")" + w.lastUpdated), std::string::npos);

  ResourceVersion r;
  ASSERT_TRUE(store_->read("Patient", "p1", r));
  EXPECT_EQ(r.version, 1);
  EXPECT_EQ(r.json, w.json);

  WriteResult w2;
  std::this_thread::sleep_for(std::chrono::milliseconds(3));  // a later millisecond for _since
  ASSERT_TRUE(put(R"({"resourceType":"Patient","active":false})", w2, "p1"));
  EXPECT_FALSE(w2.created);
  EXPECT_EQ(w2.version, 2);
  EXPECT_GE(w2.lastUpdated, w.lastUpdated);
  ASSERT_TRUE(store_->read("Patient", "p1", r));
  EXPECT_EQ(r.version, 2);
  EXPECT_NE(r.json.find(R"("active":false)"), std::string::npos);

  ASSERT_TRUE(store_->vread("Patient", "p1", 1, r));
  EXPECT_NE(r.json.find(R"("active":true)"), std::string::npos);
  EXPECT_EQ(store_->vread("Patient", "p1", 3, r).code(), Code::NotFound);
  EXPECT_EQ(store_->read("Patient", "nope", r).code(), Code::NotFound);

  HistoryQuery hq;
  hq.type = "Patient";
  hq.id = "p1";
  HistoryResult h;
  ASSERT_TRUE(store_->history(hq, h));
  ASSERT_EQ(h.total, 2);
  ASSERT_EQ(h.entries.size(), 2u);
  EXPECT_EQ(h.entries[0].version, 2);
  EXPECT_EQ(h.entries[0].op, Operation::Update);
  EXPECT_EQ(h.entries[1].op, Operation::Create);

  create(R"({"resourceType":"Patient"})");
  HistoryQuery type;
  type.type = "Patient";
  HistoryResult th;
  ASSERT_TRUE(store_->history(type, th));
  EXPECT_EQ(th.total, 3);
  HistoryQuery system;
  HistoryResult sh;
  ASSERT_TRUE(store_->history(system, sh));
  EXPECT_EQ(sh.total, 3);
  HistoryQuery since;
  since.type = "Patient";
  ResourceVersion v1;
  ASSERT_TRUE(store_->vread("Patient", "p1", 1, v1));
  since.sinceMs = v1.lastUpdatedMs + 1;
  HistoryResult sinceResult;
  ASSERT_TRUE(store_->history(since, sinceResult));
  EXPECT_EQ(sinceResult.total, 2);
}

// PostgreSQL refuses an index entry over about 2.7 kB: a long name, identifier or URL is indexed
// by its first kMaxIndexedBytes and is stored and found on both backends alike.
TEST_P(StoreTest, LongSearchableValuesAreStoredAndFound) {
  std::string family;  // 4 kB, ending in a two-byte character across the cut
  while (family.size() < kMaxIndexedBytes - 1) family += "Abcdefgh";
  family.resize(kMaxIndexedBytes - 1);
  family += "\xC3\xA9" + std::string(3000, 'z');
  const std::string mrn = std::string(3000, '7') + "-A";
  const std::string other = std::string(3000, '7') + "-B";  // differs after the first 1 kB only
  const std::string url = "https://example.org/" + std::string(3000, 'u');
  const std::string patient = R"({"resourceType":"Patient","name":[{"family":")" + family +
                              R"("}],"identifier":[{"system":"urn:mrn","value":")" + mrn +
                              R"("}]})";
  const std::string id = create(patient);
  const std::string library = create(R"({"resourceType":"Library","status":"draft","url":")" + url +
                                     R"(","type":{"coding":[{"code":"logic-library"}]}})");
  EXPECT_EQ(ids("Patient", "family=abcdefgh"), std::set<std::string>{id});
  EXPECT_EQ(ids("Patient", "family=" + family), std::set<std::string>{id});
  EXPECT_EQ(ids("Patient", "family:exact=" + family), std::set<std::string>{id});
  EXPECT_TRUE(ids("Patient", "family:exact=" + family.substr(0, 2000)).empty());
  EXPECT_EQ(ids("Patient", "family:contains=bcdefgha"), std::set<std::string>{id});
  EXPECT_EQ(ids("Patient", "identifier=urn:mrn|" + mrn), std::set<std::string>{id});
  // The documented limit: values that differ only after the first kMaxIndexedBytes match.
  EXPECT_EQ(ids("Patient", "identifier=urn:mrn|" + other), std::set<std::string>{id});
  EXPECT_TRUE(ids("Patient", "identifier=urn:mrn|" + mrn.substr(0, 500)).empty());
  EXPECT_EQ(ids("Library", "url=" + url), std::set<std::string>{library});
  EXPECT_EQ(ids("Library", "url:below=https://example.org/uuu"), std::set<std::string>{library});
}

TEST_P(StoreTest, IfMatchAndMustNotExist) {
  WriteResult w;
  ASSERT_TRUE(put(R"({"resourceType":"Patient"})", w, "p1"));
  PutOptions stale;
  stale.ifMatch = 7;
  EXPECT_EQ(put(R"({"resourceType":"Patient"})", w, "p1", stale).code(), Code::PreconditionFailed);
  PutOptions current;
  current.ifMatch = 1;
  ASSERT_TRUE(put(R"({"resourceType":"Patient"})", w, "p1", current));
  EXPECT_EQ(w.version, 2);
  PutOptions fresh;
  fresh.mustNotExist = true;
  EXPECT_EQ(put(R"({"resourceType":"Patient"})", w, "p1", fresh).code(), Code::Conflict);
  EXPECT_EQ(put(R"({"resourceType":"Patient"})", w, "bad id!").code(), Code::Invalid);
  // A prepared create: stamped and serialized before the unit, only inserted in it.
  auto doc = parse(R"({"resourceType":"Patient","gender":"male"})");
  setId(*doc, "prepared-1");
  const PreparedCreate prepared = prepareCreate(*doc);
  EXPECT_NE(prepared.json.find(R"("versionId":"1")"), std::string::npos);
  PutOptions po;
  po.prepared = &prepared;
  ASSERT_TRUE(store_->write([&](WriteContext& ctx) { return ctx.put(*doc, po, w); }));
  EXPECT_TRUE(w.created);
  EXPECT_EQ(w.json, prepared.json);
  ResourceVersion r;
  ASSERT_TRUE(store_->read("Patient", "prepared-1", r));
  EXPECT_EQ(r.json, prepared.json);
  EXPECT_EQ(ids("Patient", "gender=male"), std::set<std::string>{"prepared-1"});
  EXPECT_EQ(store_->write([&](WriteContext& ctx) { return ctx.put(*doc, po, w); }).code(),
            Code::Conflict);
  ASSERT_TRUE(store_->read("Patient", "prepared-1", r));
}

TEST_P(StoreTest, SoftDeleteKeepsHistoryAndCanBeUndone) {
  const std::string id = create(R"({"resourceType":"Patient","gender":"female"})");
  EXPECT_EQ(ids("Patient", "gender=female").size(), 1u);
  WriteResult d;
  ASSERT_TRUE(store_->write([&](WriteContext& ctx) { return ctx.remove("Patient", id, {}, d); }));
  EXPECT_EQ(d.version, 2);
  ResourceVersion r;
  EXPECT_EQ(store_->read("Patient", id, r).code(), Code::Gone);
  EXPECT_TRUE(r.deleted());
  EXPECT_EQ(r.version, 2);
  EXPECT_TRUE(store_->vread("Patient", id, 1, r));
  EXPECT_EQ(store_->vread("Patient", id, 2, r).code(), Code::Gone);
  EXPECT_TRUE(ids("Patient", "gender=female").empty());
  EXPECT_TRUE(ids("Patient", "_id=" + id).empty());
  // Deleting again changes nothing.
  WriteResult again;
  ASSERT_TRUE(
      store_->write([&](WriteContext& ctx) { return ctx.remove("Patient", id, {}, again); }));
  EXPECT_EQ(again.version, 2);
  WriteResult missing;
  EXPECT_EQ(
      store_->write([&](WriteContext& ctx) { return ctx.remove("Patient", "nope", {}, missing); })
          .code(),
      Code::NotFound);
  // An update brings it back as version 3.
  WriteResult back;
  ASSERT_TRUE(put(R"({"resourceType":"Patient","gender":"female"})", back, id));
  EXPECT_EQ(back.version, 3);
  EXPECT_FALSE(back.created);
  EXPECT_TRUE(store_->read("Patient", id, r));
  EXPECT_EQ(ids("Patient", "gender=female").size(), 1u);
  HistoryQuery hq;
  hq.type = "Patient";
  hq.id = id;
  HistoryResult h;
  ASSERT_TRUE(store_->history(hq, h));
  ASSERT_EQ(h.entries.size(), 3u);
  EXPECT_EQ(h.entries[1].op, Operation::Delete);
  EXPECT_TRUE(h.entries[1].json.empty());
}

TEST_P(StoreTest, AUnitIsAtomic) {
  auto a = parse(R"({"resourceType":"Patient","id":"a"})");
  auto b = parse(R"({"resourceType":"Patient","id":"b"})");
  Status st = store_->write([&](WriteContext& ctx) {
    WriteResult w;
    if (Status s = ctx.put(*a, {}, w); !s) return s;
    if (Status s = ctx.put(*b, {}, w); !s) return s;
    if (Status s = ctx.saveKey({"k1", "Patient", "a", 1, ""}); !s) return s;
    return Status::error(Code::Conflict, "changed my mind");
  });
  EXPECT_EQ(st.code(), Code::Conflict);
  ResourceVersion r;
  EXPECT_EQ(store_->read("Patient", "a", r).code(), Code::NotFound);
  EXPECT_EQ(store_->read("Patient", "b", r).code(), Code::NotFound);
  IdempotencyRecord k;
  EXPECT_EQ(store_->write([&](WriteContext& ctx) { return ctx.findKey("k1", k); }).code(),
            Code::NotFound);
  // The next unit in the same group is not affected.
  ASSERT_TRUE(store_->write([&](WriteContext& ctx) {
    WriteResult w;
    return ctx.put(*a, {}, w);
  }));
  EXPECT_TRUE(store_->read("Patient", "a", r));
}

TEST_P(StoreTest, IdempotencyKeys) {
  auto doc = parse(R"({"resourceType":"Observation","status":"final","code":{"text":"x"}})");
  auto submit = [&](WriteResult& out, bool& replayed) {
    return store_->write([&](WriteContext& ctx) {
      IdempotencyRecord k;
      if (ctx.findKey("hl7:LAB:MSG0001", k)) {
        replayed = true;
        out.id = k.id;
        out.version = k.version;
        return Status::ok();
      }
      replayed = false;
      setId(*doc, newId());
      if (Status s = ctx.put(*doc, {}, out); !s) return s;
      return ctx.saveKey({"hl7:LAB:MSG0001", out.type, out.id, out.version, ""});
    });
  };
  WriteResult first, second;
  bool replayed = true;
  ASSERT_TRUE(submit(first, replayed));
  EXPECT_FALSE(replayed);
  ASSERT_TRUE(submit(second, replayed));
  EXPECT_TRUE(replayed);
  EXPECT_EQ(first.id, second.id);
  EXPECT_EQ(search("Observation", "").total, 1);
  EXPECT_EQ(store_
                ->write([&](WriteContext& ctx) {
                  return ctx.saveKey({"hl7:LAB:MSG0001", "Observation", "x", 1, ""});
                })
                .code(),
            Code::Conflict);
}

TEST_P(StoreTest, MessageReceiptsAreKeptOnceUnlessReplaced) {
  MessageReceipt r{"hl7:LAB|HOSP|M1", "LAB", "HOSP", "M1", "ORU^R01", "AA"};
  r.fingerprint = "f1";
  ASSERT_TRUE(store_->write([&](WriteContext& ctx) { return ctx.saveReceipt(r, false); }));
  MessageReceipt again = r;
  again.ackCode = "AE";
  EXPECT_EQ(store_->write([&](WriteContext& ctx) { return ctx.saveReceipt(again, false); }).code(),
            Code::Conflict);
  MessageReceipt read;
  ASSERT_TRUE(store_->readReceipt(r.key, read));
  EXPECT_EQ(read.ackCode, "AA");
  EXPECT_EQ(read.senderApplication, "LAB");
  EXPECT_EQ(read.controlId, "M1");
  EXPECT_EQ(read.fingerprint, "f1");
  EXPECT_FALSE(read.received.empty());
  again.quarantineId = "q-1";
  ASSERT_TRUE(store_->write([&](WriteContext& ctx) { return ctx.saveReceipt(again, true); }));
  ASSERT_TRUE(store_->readReceipt(r.key, read));
  EXPECT_EQ(read.ackCode, "AE");
  EXPECT_EQ(read.quarantineId, "q-1");
  EXPECT_EQ(store_->readReceipt("hl7:none", read).code(), Code::NotFound);
}

TEST_P(StoreTest, QuarantineKeepsBytesAndListsByStatus) {
  // Bytes in any character set, a NUL among them.
  const std::string raw = std::string("MSH|^~\\&|LAB\rPID|1||\xE9t\xE9\r", 24) + '\0' + "x";
  for (int i = 0; i < 3; ++i) {
    QuarantineEntry e;
    e.id = "q-" + std::to_string(i);
    e.key = "hl7:LAB|HOSP|M" + std::to_string(i);
    e.peer = "10.0.0.9";
    e.ackCode = i == 0 ? "AR" : "AE";
    e.errorCode = i == 0 ? 200 : 103;
    e.location = "OBX-11";
    e.reason = "reason " + std::to_string(i);
    e.raw = raw;
    ASSERT_TRUE(store_->write([&](WriteContext& ctx) { return ctx.saveQuarantine(e); }));
  }
  QuarantineEntry e;
  ASSERT_TRUE(store_->readQuarantine("q-1", e));
  EXPECT_EQ(e.raw, raw);
  EXPECT_EQ(e.errorCode, 103);
  EXPECT_EQ(e.status, "open");
  EXPECT_EQ(e.attempts, 1);
  const std::string received = e.received;
  e.status = "retried";
  e.attempts = 2;
  e.reason = "fixed";
  ASSERT_TRUE(store_->write([&](WriteContext& ctx) {
    QuarantineEntry inUnit;
    if (Status s = ctx.findQuarantine("q-1", inUnit); !s) return s;
    EXPECT_EQ(inUnit.raw, raw);
    return ctx.saveQuarantine(e);
  }));
  ASSERT_TRUE(store_->readQuarantine("q-1", e));
  EXPECT_EQ(e.status, "retried");
  EXPECT_EQ(e.attempts, 2);
  EXPECT_EQ(e.received, received);  // the first arrival stays
  EXPECT_EQ(e.raw, raw);
  std::vector<QuarantineEntry> list;
  int64_t total = 0;
  QuarantineQuery q;
  q.status = "open";
  ASSERT_TRUE(store_->listQuarantine(q, list, total));
  EXPECT_EQ(total, 2);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, "q-2");  // newest first
  EXPECT_TRUE(list[0].raw.empty());
  list.clear();
  q = {};
  q.limit = 1;
  q.offset = 1;
  q.withRaw = true;
  ASSERT_TRUE(store_->listQuarantine(q, list, total));
  EXPECT_EQ(total, 3);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].raw, raw);
  EXPECT_EQ(store_->readQuarantine("q-9", e).code(), Code::NotFound);
}

TEST_P(StoreTest, OutboxRowsGoWithTheChange) {
  open({{"ResearchStudy", {"registry"}}});
  const std::string id = create(R"({"resourceType":"ResearchStudy","status":"active"})");
  create(R"({"resourceType":"Patient"})");  // not a published type
  // A failed unit leaves no outbox row.
  auto doc = parse(R"({"resourceType":"ResearchStudy","status":"active"})");
  setId(*doc, "rolled-back");
  EXPECT_FALSE(store_->write([&](WriteContext& ctx) {
    WriteResult w;
    if (Status s = ctx.put(*doc, {}, w); !s) return s;
    return Status::error(Code::Invalid, "no");
  }));
  std::vector<OutboxMessage> claimed;
  ASSERT_TRUE(store_->claimOutbox("registry", 10, 60000, claimed));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, id);
  EXPECT_EQ(claimed[0].version, 1);
  EXPECT_EQ(claimed[0].op, Operation::Create);
  // Leased: not handed out again until the lease ends.
  std::vector<OutboxMessage> again;
  ASSERT_TRUE(store_->claimOutbox("registry", 10, 60000, again));
  EXPECT_TRUE(again.empty());
  // A retry makes it due again (now, with delay 0) with the error kept.
  ASSERT_TRUE(store_->retryOutbox(claimed[0].seq, "registry unreachable", 0));
  ASSERT_TRUE(store_->claimOutbox("registry", 10, 60000, again));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempts, 1);
  EXPECT_EQ(again[0].lastError, "registry unreachable");
  ASSERT_TRUE(store_->completeOutbox(again[0].seq));
  // An explicit message from a unit, and the delete of the study.
  ASSERT_TRUE(store_->write([&](WriteContext& ctx) {
    OutboxMessage m;
    m.topic = "ctgov";
    m.type = "ResearchStudy";
    m.id = id;
    m.version = 1;
    m.payload = "{\"action\":\"publish\"}";
    return ctx.enqueue(m);
  }));
  WriteResult d;
  ASSERT_TRUE(
      store_->write([&](WriteContext& ctx) { return ctx.remove("ResearchStudy", id, {}, d); }));
  std::vector<OutboxMessage> ctgov, registry;
  ASSERT_TRUE(store_->claimOutbox("ctgov", 10, 1000, ctgov));
  ASSERT_EQ(ctgov.size(), 1u);
  EXPECT_EQ(ctgov[0].payload, "{\"action\":\"publish\"}");
  ASSERT_TRUE(store_->claimOutbox("registry", 10, 1000, registry));
  ASSERT_EQ(registry.size(), 1u);
  EXPECT_EQ(registry[0].op, Operation::Delete);
  EXPECT_EQ(registry[0].version, 2);
}

TEST_P(StoreTest, PendingOutboxListsWithoutClaiming) {
  open({{"ResearchStudy", {"registry"}}});
  const std::string a = create(R"({"resourceType":"ResearchStudy","status":"active"})");
  const std::string b = create(R"({"resourceType":"ResearchStudy","status":"active"})");
  std::vector<OutboxMessage> pending;
  int64_t total = 0;
  ASSERT_TRUE(store_->pendingOutbox({"registry", false, 10}, pending, total));
  ASSERT_EQ(total, 2);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].id, a);  // in order of the changes
  EXPECT_EQ(pending[1].id, b);
  EXPECT_FALSE(pending[0].created.empty());
  // Listing claims nothing: both are still handed out.
  std::vector<OutboxMessage> claimed;
  ASSERT_TRUE(store_->claimOutbox("registry", 10, 60000, claimed));
  ASSERT_EQ(claimed.size(), 2u);
  // A failing row is listed with its error; a completed one is gone; claimed ones stay pending.
  ASSERT_TRUE(store_->retryOutbox(claimed[1].seq, "HTTP 500 from the registry", 60000));
  ASSERT_TRUE(store_->completeOutbox(claimed[0].seq));
  pending.clear();
  ASSERT_TRUE(store_->pendingOutbox({"registry", false, 10}, pending, total));
  EXPECT_EQ(total, 1);
  pending.clear();
  ASSERT_TRUE(store_->pendingOutbox({"registry", true, 10}, pending, total));
  ASSERT_EQ(total, 1);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].id, b);
  EXPECT_EQ(pending[0].attempts, 1);
  EXPECT_EQ(pending[0].lastError, "HTTP 500 from the registry");
  EXPECT_GT(pending[0].dueMs, 0);
  // The limit bounds the list, not the count.
  create(R"({"resourceType":"ResearchStudy","status":"active"})");
  pending.clear();
  ASSERT_TRUE(store_->pendingOutbox({"registry", false, 1}, pending, total));
  EXPECT_EQ(total, 2);
  EXPECT_EQ(pending.size(), 1u);
  pending.clear();
  ASSERT_TRUE(store_->pendingOutbox({"other", false, 10}, pending, total));
  EXPECT_EQ(total, 0);
  EXPECT_TRUE(pending.empty());
}

// The one consumer of a topic takes over, at its start, the rows a consumer that died had
// claimed; rows waiting after a failure keep waiting.
TEST_P(StoreTest, ReclaimTakesOverClaimedRowsOnly) {
  open({{"ResearchStudy", {"registry"}}});
  create(R"({"resourceType":"ResearchStudy","status":"active"})");
  create(R"({"resourceType":"ResearchStudy","status":"active"})");
  create(R"({"resourceType":"ResearchStudy","status":"active"})");
  std::vector<OutboxMessage> claimed;
  ASSERT_TRUE(store_->claimOutbox("registry", 10, 600000, claimed));
  ASSERT_EQ(claimed.size(), 3u);
  ASSERT_TRUE(store_->retryOutbox(claimed[0].seq, "HTTP 503", 600000));  // waits ten minutes
  ASSERT_TRUE(store_->completeOutbox(claimed[1].seq));
  // claimed[2] is left claimed, as by a process that was killed.
  std::vector<OutboxMessage> again;
  ASSERT_TRUE(store_->claimOutbox("registry", 10, 600000, again));
  EXPECT_TRUE(again.empty());
  int64_t count = 0;
  ASSERT_TRUE(store_->reclaimOutbox("registry", count));
  EXPECT_EQ(count, 1);
  ASSERT_TRUE(store_->claimOutbox("registry", 10, 600000, again));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].seq, claimed[2].seq);
  EXPECT_EQ(again[0].attempts, 0);
  ASSERT_TRUE(store_->reclaimOutbox("other", count));
  EXPECT_EQ(count, 0);
}

TEST_P(StoreTest, PublishStateIsKeptPerTargetAndResource) {
  PublishState st;
  EXPECT_EQ(store_->readPublishState("medplum", "ResearchStudy", "s1", st).code(), Code::NotFound);
  PublishState s1{"medplum", "ResearchStudy", "s1", "abc", "3", "h1", "", "{}"};
  ASSERT_TRUE(store_->savePublishState(s1));
  PublishState other{"files", "ResearchStudy", "s1", "s1-1.json", "", "h9", "h10"};
  ASSERT_TRUE(store_->savePublishState(other));
  ASSERT_TRUE(store_->readPublishState("medplum", "ResearchStudy", "s1", st));
  EXPECT_EQ(st.remoteId, "abc");
  EXPECT_EQ(st.remoteVersion, "3");
  EXPECT_EQ(st.hash, "h1");
  EXPECT_EQ(st.pendingHash, "");
  EXPECT_EQ(st.content, "{}");
  EXPECT_FALSE(st.updated.empty());
  // Saving again replaces the row.
  s1.remoteVersion = "4";
  s1.pendingHash = "h2";
  ASSERT_TRUE(store_->savePublishState(s1));
  ASSERT_TRUE(store_->readPublishState("medplum", "ResearchStudy", "s1", st));
  EXPECT_EQ(st.remoteVersion, "4");
  EXPECT_EQ(st.pendingHash, "h2");
  ASSERT_TRUE(store_->readPublishState("files", "ResearchStudy", "s1", st));
  EXPECT_EQ(st.remoteId, "s1-1.json");
  EXPECT_EQ(st.pendingHash, "h10");
  // It survives a restart.
  open();
  ASSERT_TRUE(store_->readPublishState("medplum", "ResearchStudy", "s1", st));
  EXPECT_EQ(st.remoteVersion, "4");
}

TEST_P(StoreTest, ExclusiveLeaseHasOneHolder) {
  std::unique_ptr<StoreLease> first, second;
  ASSERT_TRUE(store_->tryExclusive("publisher:medplum", first));
  ASSERT_NE(first, nullptr);
  EXPECT_TRUE(first->held());
  ASSERT_TRUE(store_->tryExclusive("publisher:medplum", second));
  EXPECT_EQ(second, nullptr);  // held in this process
  std::unique_ptr<StoreLease> otherName;
  ASSERT_TRUE(store_->tryExclusive("publisher:files", otherName));
  EXPECT_NE(otherName, nullptr);
  first.reset();
  ASSERT_TRUE(store_->tryExclusive("publisher:medplum", second));
  EXPECT_NE(second, nullptr);
}

TEST_P(StoreTest, ReopenKeepsDataAndSchema) {
  const std::string id = create(R"({"resourceType":"Patient","gender":"male"})");
  open();
  EXPECT_EQ(store_->schemaVersion(), migrations().back().version);
  ResourceVersion r;
  ASSERT_TRUE(store_->read("Patient", id, r));
  EXPECT_EQ(ids("Patient", "gender=male").size(), 1u);
}

TEST_P(StoreTest, ConcurrentWritersShareCommits) {
  constexpr int kThreads = 8, kEach = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto doc = parse(R"({"resourceType":"Observation","status":"final","code":{"text":"t"}})");
        setId(*doc, "t" + std::to_string(t) + "-" + std::to_string(i));
        WriteResult w;
        if (!store_->write([&](WriteContext& ctx) { return ctx.put(*doc, {}, w); })) failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(search("Observation", "_summary=count").total, kThreads * kEach);
  const StoreStats s = store_->stats();
  EXPECT_GE(s.units, static_cast<uint64_t>(kThreads * kEach));
  EXPECT_LT(s.commits, s.units) << "no two units shared a commit";
  // Concurrent updates of one resource: every one gets its own version.
  threads.clear();
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto doc = parse(R"({"resourceType":"Patient"})");
        setId(*doc, "shared");
        WriteResult w;
        if (!store_->write([&](WriteContext& ctx) { return ctx.put(*doc, {}, w); })) failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  ResourceVersion r;
  ASSERT_TRUE(store_->read("Patient", "shared", r));
  EXPECT_EQ(r.version, 40);
  EXPECT_EQ(failures.load(), 0);
}

// A statement the writer keeps fails (the id of a prepared create is taken), then runs again and
// is destroyed with the store. With Poco 1.11's PostgreSQL connector this freed one result twice
// (see store/poco_postgres.h); one writer makes it deterministic.
TEST_P(StoreTest, AKeptStatementThatFailedRunsAgain) {
  writers_ = 1;
  open();
  auto createPrepared = [&](const std::string& id) {
    auto doc = parse(R"({"resourceType":"Patient","gender":"female"})");
    setId(*doc, id);
    const PreparedCreate prepared = prepareCreate(*doc);
    PutOptions po;
    po.prepared = &prepared;
    WriteResult w;
    return store_->write([&](WriteContext& ctx) { return ctx.put(*doc, po, w); });
  };
  for (int round = 0; round < 3; ++round) {
    const std::string id = "kept-" + std::to_string(round);
    ASSERT_TRUE(createPrepared(id));
    EXPECT_EQ(createPrepared(id).code(), Code::Conflict);
  }
  ResourceVersion r;
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(store_->read("Patient", "kept-" + std::to_string(round), r));
    EXPECT_EQ(r.version, 1);
  }
  EXPECT_EQ(search("Patient", "_summary=count").total, 3);
  store_.reset();  // the kept statements' destructors
  open();
  ASSERT_TRUE(store_->read("Patient", "kept-2", r));
}

// Several writers and readers while the server drops every connection of the store now and then
// (what a PostgreSQL restart does): statements fail on writers and readers, which are replaced.
// Nothing may crash, every acknowledged write must be stored, and the store serves again after.
TEST_P(StoreTest, WritersAndReadersSurviveLostConnections) {
  if (!postgres()) GTEST_SKIP() << "PostgreSQL only: SQLite has no connections to lose";
  constexpr int kWriters = 4, kReaders = 2, kIds = 6;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2500);
  std::atomic<bool> stop{false};
  std::atomic<int> kills{0}, lost{0}, conflicts{0}, reads{0};
  // acked[id] = the versions acknowledged by write(); each must be in the history.
  std::mutex ackedMutex;
  std::map<std::string, std::set<int64_t>> acked;
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        const std::string id = "c" + std::to_string((t + i) % kIds);
        auto doc = parse(R"({"resourceType":"Patient","active":true})");
        setId(*doc, i % 3 == 0 ? "p" + std::to_string(t) + "-" + std::to_string(i) : id);
        PutOptions options;
        std::optional<PreparedCreate> prepared;
        if (i % 3 == 0) {
          // A prepared create of an id that is taken half the time.
          if (i % 2 == 0) setId(*doc, "c0");
          prepared = prepareCreate(*doc);
          options.prepared = &*prepared;
        } else if (i % 5 == 0) {
          options.ifMatch = 100000;  // stale: refused, rolled back to the savepoint
        }
        WriteResult w;
        Status st = store_->write([&](WriteContext& ctx) { return ctx.put(*doc, options, w); });
        if (st) {
          std::lock_guard lock(ackedMutex);
          EXPECT_TRUE(acked[w.id].insert(w.version).second) << w.id << " v" << w.version;
        } else if (st.code() == Code::Conflict || st.code() == Code::PreconditionFailed) {
          conflicts++;
        } else {
          lost++;
        }
      }
    });
  }
  for (int t = 0; t < kReaders; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        ResourceVersion r;
        if (store_->read("Patient", "c" + std::to_string((t + i) % kIds), r)) reads++;
        if (i % 7 == 0) {
          SearchQuery q;
          core::Issues issues;
          parseSearch(store_->registry(), "Patient", parseQueryString("active=true&_count=5"),
                      SearchLimits{}, q, issues);
          SearchResult result;
          if (store_->search(q, result)) reads++;  // fails while connections are dropped
        }
      }
    });
  }
  auto admin = std::make_unique<Poco::Data::Session>("PostgreSQL", database_);
  auto dropConnections = [&] {
    *admin << "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
              "WHERE datname = current_database() AND pid <> pg_backend_pid()",
        Poco::Data::Keywords::now;
    kills++;
  };
  while (std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    dropConnections();
  }
  stop = true;
  for (auto& th : threads) th.join();
  dropConnections();  // idle connections now: writers and pooled readers
  for (int i = 0, others = 1; i < 200 && others > 0; ++i) {  // until the backends are gone
    *admin << "SELECT COUNT(*) FROM pg_stat_activity "
              "WHERE datname = current_database() AND pid <> pg_backend_pid()",
        Poco::Data::Keywords::into(others), Poco::Data::Keywords::now;
    if (others > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(kills.load(), 5);
  EXPECT_GT(conflicts.load(), 0);
  EXPECT_GT(reads.load(), 0);
  // The store serves again at once: every writer and pooled reader notices its dropped
  // connection before use, so not one request fails.
  admin.reset();
  for (int i = 0; i < 20; ++i) {
    WriteResult w;
    ASSERT_TRUE(put(R"({"resourceType":"Patient"})", w, "after" + std::to_string(i)));
    ResourceVersion r;
    ASSERT_TRUE(store_->read("Patient", "after" + std::to_string(i), r));
  }
  size_t ackedWrites = 0;
  for (const auto& [id, versions] : acked) {
    for (int64_t v : versions) {
      ResourceVersion got;
      EXPECT_TRUE(store_->vread("Patient", id, v, got)) << id << " v" << v << " was acknowledged";
      ++ackedWrites;
    }
  }
  EXPECT_GT(ackedWrites, 0u);
  std::cout << "kills " << kills << ", acknowledged writes " << ackedWrites << ", lost (error) "
            << lost << ", refused " << conflicts << ", reads " << reads << "\n";
}

TEST_P(StoreTest, AsyncPostsAreFlushed) {
  for (int i = 0; i < 20; ++i) {
    store_->post([i](WriteContext& ctx) {
      auto doc = parse(
          R"({"resourceType":"AuditEvent","type":{"code":"rest"},"recorded":"2025-01-01T00:00:00Z",
        "agent":[{"requestor":true}],"source":{"observer":{"display":"x"}}})");
      setId(*doc, "a" + std::to_string(i));
      WriteResult w;
      return ctx.put(*doc, {}, w);
    });
  }
  store_->flush();
  EXPECT_EQ(search("AuditEvent", "_summary=count").total, 20);
}

TEST_P(StoreTest, AuditLogIsAppendOnlyAndSearchable) {
  auto entry = [](const std::string& id, int64_t ms, const std::string& entity,
                  const std::string& subtype, const std::string& outcome) {
    AuditEntry e;
    e.id = id;
    e.recordedMs = ms;
    e.entity = entity;
    e.agent = "lab";
    e.subtype = subtype;
    e.action = subtype == "create" ? "C" : "R";
    e.outcome = outcome;
    e.json = R"({"resourceType":"AuditEvent","id":")" + id + R"("})";
    return e;
  };
  const int64_t t0 = 1735689600000;  // 2025-01-01T00:00:00Z
  ASSERT_TRUE(store_->write([&](WriteContext& ctx) {
    return ctx.audit({entry("a1", t0, "Patient/p1", "create", "0"),
                      entry("a2", t0 + 60000, "Patient/p1", "read", "0"),
                      entry("a3", t0 + 120000, "Observation/o1", "read", "4")});
  }));
  ResourceVersion v;
  ASSERT_TRUE(store_->readAudit("a2", v));
  EXPECT_EQ(v.json, R"({"resourceType":"AuditEvent","id":"a2"})");
  EXPECT_EQ(v.lastUpdated, "2025-01-01T00:01:00.000Z");
  EXPECT_EQ(store_->readAudit("zz", v).code(), Code::NotFound);
  auto search = [&](AuditQuery q) {
    SearchResult r;
    EXPECT_TRUE(store_->searchAudit(q, r));
    std::vector<std::string> ids;
    for (const auto& m : r.matches) ids.push_back(m.id);
    return ids;
  };
  AuditQuery byEntity;
  byEntity.entities = {"Patient/p1"};
  EXPECT_EQ(search(byEntity), (std::vector<std::string>{"a2", "a1"}));  // newest first
  AuditQuery failed;
  failed.outcomes = {"4"};
  EXPECT_EQ(search(failed), std::vector<std::string>{"a3"});
  AuditQuery since;
  since.dates.push_back({Prefix::Ge, t0 + 60000, t0 + 61000});
  since.newestFirst = false;
  EXPECT_EQ(search(since), (std::vector<std::string>{"a2", "a3"}));
  AuditQuery page;
  page.count = 1;
  page.offset = 1;
  SearchResult r;
  ASSERT_TRUE(store_->searchAudit(page, r));
  EXPECT_EQ(r.total, 3);
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(r.matches[0].id, "a2");
  // A rolled-back unit leaves no audit rows.
  EXPECT_FALSE(store_->write([&](WriteContext& ctx) {
    if (Status s = ctx.audit({entry("a4", t0, "Patient/p9", "read", "0")}); !s) return s;
    return Status::error(Code::Conflict, "no");
  }));
  EXPECT_EQ(store_->readAudit("a4", v).code(), Code::NotFound);
}

class SearchTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    WriteResult w;
    ASSERT_TRUE(put(R"({"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"A1"}],
      "name":[{"family":"Müller","given":["Anna"]}],"gender":"female","birthDate":"1980-05-17",
      "meta":{"tag":[{"system":"urn:trial","code":"NCT06813157"}]}})",
                    w, "anna"));
    ASSERT_TRUE(put(R"({"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"B2"}],
      "name":[{"family":"Martin","given":["Bob"]}],"gender":"male","birthDate":"1975"})",
                    w, "bob"));
    ASSERT_TRUE(put(R"({"resourceType":"Patient","name":[{"family":"Nobody"}]})", w, "nobody"));
    const char* obs = R"({"resourceType":"Observation","status":"%s",
      "code":{"coding":[{"system":"http://loinc.org","code":"777-3"}]},
      "subject":{"reference":"Patient/%s"},"effectiveDateTime":"%s",
      "valueQuantity":{"value":%s,"system":"http://unitsofmeasure.org","code":"10*9/L"}})";
    struct O {
      const char *id, *status, *patient, *when, *value;
    };
    for (const O& o : {O{"o1", "final", "anna", "2025-01-10T08:00:00Z", "25"},
                       O{"o2", "final", "anna", "2025-02-10T08:00:00Z", "60"},
                       O{"o3", "preliminary", "anna", "2025-03-10T08:00:00Z", "120"},
                       O{"o4", "final", "bob", "2025-02-15T08:00:00Z", "250"}}) {
      char buf[1024];
      std::snprintf(buf, sizeof buf, obs, o.status, o.patient, o.when, o.value);
      ASSERT_TRUE(put(buf, w, o.id));
    }
    ASSERT_TRUE(put(R"({"resourceType":"Provenance","target":[{"reference":"Observation/o1"}],
      "recorded":"2025-01-10T09:00:00Z","agent":[{"who":{"display":"lab"}}]})",
                    w, "prov1"));
  }
};

TEST_P(SearchTest, TokenStringDate) {
  EXPECT_EQ(ids("Patient", "identifier=urn:mrn|A1"), std::set<std::string>{"anna"});
  EXPECT_EQ(ids("Patient", "identifier=B2"), std::set<std::string>{"bob"});
  EXPECT_EQ(ids("Patient", "identifier=urn:mrn|").size(), 2u);
  EXPECT_EQ(ids("Patient", "identifier=urn:other|A1").size(), 0u);
  EXPECT_EQ(ids("Patient", "gender=female,male").size(), 2u);
  EXPECT_EQ(ids("Patient", "gender:not=male"), (std::set<std::string>{"anna", "nobody"}));
  EXPECT_EQ(ids("Patient", "gender:missing=true"), std::set<std::string>{"nobody"});
  EXPECT_EQ(ids("Patient", "gender:missing=false").size(), 2u);
  EXPECT_EQ(ids("Patient", "_tag=urn:trial|NCT06813157"), std::set<std::string>{"anna"});
  EXPECT_EQ(ids("Patient", "name=mul"), std::set<std::string>{"anna"});  // prefix, no accents
  EXPECT_EQ(ids("Patient", "family:exact=Müller"), std::set<std::string>{"anna"});
  EXPECT_EQ(ids("Patient", "family:exact=müller").size(), 0u);
  EXPECT_EQ(ids("Patient", "name:contains=ART"), std::set<std::string>{"bob"});
  EXPECT_EQ(ids("Patient", "birthdate=1980"), std::set<std::string>{"anna"});
  EXPECT_EQ(ids("Patient", "birthdate=1980-05-17"), std::set<std::string>{"anna"});
  EXPECT_EQ(ids("Patient", "birthdate=lt1978"), std::set<std::string>{"bob"});
  // Bob's "1975" covers the whole year, which reaches beyond 1975-06-01: it matches ge.
  EXPECT_EQ(ids("Patient", "birthdate=ge1975-06-01").size(), 2u);
  EXPECT_EQ(ids("Patient", "birthdate=ge1976").size(), 1u);
  EXPECT_EQ(ids("Patient", "birthdate=ne1975").size(), 1u);
  EXPECT_EQ(ids("Observation", "date=ge2025-02-01&date=lt2025-03-01"),
            (std::set<std::string>{"o2", "o4"}));
  EXPECT_EQ(ids("Observation", "date=gt2025-02-15"), std::set<std::string>{"o3"});
  EXPECT_EQ(ids("Observation", "date=le2025-01-10"), std::set<std::string>{"o1"});
  EXPECT_EQ(ids("Observation", "date=sa2025-02-15T08:00:00Z"), std::set<std::string>{"o3"});
  EXPECT_EQ(ids("Observation", "date=eb2025-01-11"), std::set<std::string>{"o1"});
  EXPECT_EQ(ids("Observation", "_id=o1,o3"), (std::set<std::string>{"o1", "o3"}));
  EXPECT_EQ(ids("Observation", "_lastUpdated=gt2000-01-01").size(), 4u);
  EXPECT_EQ(ids("Observation", "_lastUpdated=lt2000-01-01").size(), 0u);
}

TEST_P(SearchTest, ReferenceQuantityChain) {
  EXPECT_EQ(ids("Observation", "subject=Patient/anna").size(), 3u);
  EXPECT_EQ(ids("Observation", "subject=bob"), std::set<std::string>{"o4"});
  EXPECT_EQ(ids("Observation", "subject:Patient=bob"), std::set<std::string>{"o4"});
  EXPECT_EQ(ids("Observation", "patient=Patient/bob"), std::set<std::string>{"o4"});
  EXPECT_EQ(ids("Observation", "subject:Patient.identifier=urn:mrn|A1").size(), 3u);
  EXPECT_EQ(ids("Observation", "subject.identifier=urn:mrn|B2"), std::set<std::string>{"o4"});
  EXPECT_EQ(ids("Observation", "subject:Patient.name=mart"), std::set<std::string>{"o4"});
  EXPECT_EQ(ids("Observation", "subject.gender=female&status=final"),
            (std::set<std::string>{"o1", "o2"}));
  EXPECT_EQ(ids("Observation", "value-quantity=gt100"), (std::set<std::string>{"o3", "o4"}));
  EXPECT_EQ(ids("Observation", "value-quantity=lt50|http://unitsofmeasure.org|10*9/L"),
            std::set<std::string>{"o1"});
  EXPECT_EQ(ids("Observation", "value-quantity=60||10*9/L"), std::set<std::string>{"o2"});
  EXPECT_EQ(ids("Observation", "value-quantity=60||mg").size(), 0u);
  EXPECT_EQ(ids("Observation", "value-quantity=ge120"), (std::set<std::string>{"o3", "o4"}));
  EXPECT_EQ(ids("Observation", "code=http://loinc.org|777-3").size(), 4u);
  EXPECT_EQ(ids("Provenance", "target=Observation/o1"), std::set<std::string>{"prov1"});
}

// _total=none: a full page is not counted (the total is unknown, -1); a page that is not full
// still tells it; other values than none, estimate and accurate are refused.
TEST_P(SearchTest, TotalNoneSkipsTheCount) {
  SearchResult r = search("Observation", "_sort=-date&_count=2&_total=none");
  EXPECT_EQ(r.total, -1);
  ASSERT_EQ(r.matches.size(), 2u);
  EXPECT_EQ(r.matches[0].id, "o3");
  r = search("Observation", "_sort=-date&_count=10&_total=none");
  EXPECT_EQ(r.total, 4);
  EXPECT_EQ(search("Observation", "_count=2&_total=accurate").total, 4);
  EXPECT_EQ(search("Observation", "_count=2&_total=estimate").total, 4);
  SearchQuery q;
  core::Issues issues;
  parseSearch(store_->registry(), "Observation", parseQueryString("_total=some"), SearchLimits{}, q,
              issues);
  EXPECT_TRUE(issues.hasErrors());
}

// A sort key's correlated subquery looks up the resource's own rows (the _res index on SQLite):
// with the (type, param, value) index the planner would scan every value of the type per match.
TEST(SearchSql, SortKeysUseTheResourceIndexOnSqlite) {
  const SearchParameterRegistry registry(conformance::Context::r4());
  SearchQuery q;
  core::Issues issues;
  parseSearch(registry, "Observation", parseQueryString("_sort=-date,code"), SearchLimits{}, q,
              issues);
  ASSERT_FALSE(issues.hasErrors());
  SqlText sqlite;
  sqlite.sqlite = true;
  appendOrder(q, sqlite);
  EXPECT_NE(sqlite.text.find("FROM idx_date s INDEXED BY idx_date_res WHERE"), std::string::npos)
      << sqlite.text;
  EXPECT_NE(sqlite.text.find("FROM idx_token s INDEXED BY idx_token_res WHERE"), std::string::npos)
      << sqlite.text;
  SqlText postgres;
  appendOrder(q, postgres);
  EXPECT_EQ(postgres.text.find("INDEXED BY"), std::string::npos) << postgres.text;
}

TEST_P(SearchTest, SortPagingCountInclude) {
  SearchResult r = search("Observation", "_sort=-date&_count=2");
  EXPECT_EQ(r.total, 4);
  ASSERT_EQ(r.matches.size(), 2u);
  EXPECT_EQ(r.matches[0].id, "o3");
  EXPECT_EQ(r.matches[1].id, "o4");
  r = search("Observation", "_sort=-date&_count=2&_offset=2");
  ASSERT_EQ(r.matches.size(), 2u);
  EXPECT_EQ(r.matches[0].id, "o2");
  EXPECT_EQ(r.matches[1].id, "o1");
  r = search("Observation", "_sort=value-quantity");
  ASSERT_EQ(r.matches.size(), 4u);
  EXPECT_EQ(r.matches[0].id, "o1");
  EXPECT_EQ(r.matches[3].id, "o4");
  r = search("Patient", "_sort=family");
  ASSERT_EQ(r.matches.size(), 3u);
  EXPECT_EQ(r.matches[0].id, "bob");  // martin < muller < nobody
  EXPECT_EQ(r.matches[1].id, "anna");
  r = search("Observation", "_sort=_id");
  EXPECT_EQ(r.matches[0].id, "o1");
  r = search("Observation", "_sort=-_lastUpdated");
  ASSERT_EQ(r.matches.size(), 4u);
  for (size_t i = 1; i < r.matches.size(); ++i) {
    EXPECT_GE(r.matches[i - 1].lastUpdatedMs, r.matches[i].lastUpdatedMs);
  }
  r = search("Observation", "_sort=_lastUpdated");
  for (size_t i = 1; i < r.matches.size(); ++i) {
    EXPECT_LE(r.matches[i - 1].lastUpdatedMs, r.matches[i].lastUpdatedMs);
  }

  r = search("Observation", "status=final&_summary=count");
  EXPECT_EQ(r.total, 3);
  EXPECT_TRUE(r.matches.empty());

  r = search("Observation", "_id=o1,o4&_include=Observation:subject&_revinclude=Provenance:target");
  EXPECT_EQ(r.matches.size(), 2u);
  std::set<std::string> included;
  for (const auto& i : r.included) included.insert(i.type + "/" + i.id);
  EXPECT_EQ(included, (std::set<std::string>{"Patient/anna", "Patient/bob", "Provenance/prov1"}));
  EXPECT_FALSE(r.included[0].json.empty());
}

TEST_P(SearchTest, MatchInsideAUnitSeesItsOwnWrites) {
  SearchQuery q;
  core::Issues issues;
  parseSearch(store_->registry(), "Patient", parseQueryString("identifier=urn:mrn|C3"), {}, q,
              issues);
  std::vector<std::string> before, after;
  ASSERT_TRUE(store_->write([&](WriteContext& ctx) {
    if (Status s = ctx.match(q, 2, before); !s) return s;
    auto doc = parse(
        R"({"resourceType":"Patient","id":"carl","identifier":[{"system":"urn:mrn","value":"C3"}]})");
    WriteResult w;
    if (Status s = ctx.put(*doc, {}, w); !s) return s;
    return ctx.match(q, 2, after);
  }));
  EXPECT_TRUE(before.empty());
  EXPECT_EQ(after, std::vector<std::string>{"carl"});
}

// The series index (SeriesQuery, migration 7): a subject's resources of a code by the start of
// their date, latest first.
class SeriesTest : public SearchTest {
 protected:
  std::vector<std::string> series(const std::string& subject,
                                  std::vector<std::pair<std::string, std::string>> codes,
                                  size_t limit = 100, std::string_view filter = {},
                                  int64_t fromMs = std::numeric_limits<int64_t>::min(),
                                  int64_t beforeMs = std::numeric_limits<int64_t>::max()) {
    SeriesQuery q;
    q.type = "Observation";
    q.subjectType = "Patient";
    q.subjectId = subject;
    q.codes = std::move(codes);
    q.limit = limit;
    q.fromMs = fromMs;
    q.beforeMs = beforeMs;
    SearchQuery f;
    if (!filter.empty()) {
      core::Issues issues;
      parseSearch(store_->registry(), "Observation", parseQueryString(filter), SearchLimits{}, f,
                  issues);
      EXPECT_FALSE(issues.hasErrors()) << filter;
      q.filter = &f;
    }
    std::vector<ResourceVersion> out;
    Status st = store_->series(q, out);
    EXPECT_TRUE(st) << st.message();
    std::vector<std::string> ids;
    for (const ResourceVersion& v : out) {
      EXPECT_NE(v.json.find("\"id\":\"" + v.id + "\""), std::string::npos) << v.json;
      ids.push_back(v.id);
    }
    return ids;
  }
  static std::pair<std::string, std::string> loinc(const std::string& code) {
    return {"http://loinc.org", code};
  }
  static int64_t ms(const char* iso) {
    TimeRange r;
    EXPECT_TRUE(parseFhirTime(iso, r)) << iso;
    return r.low;
  }
  Status putObservation(const std::string& id, const std::string& patient,
                        const std::string& codings, const std::string& when,
                        const std::string& status = "final") {
    WriteResult w;
    return put(R"({"resourceType":"Observation","status":")" + status + R"(","code":{"coding":[)" +
                   codings + R"(]},"subject":{"reference":"Patient/)" + patient +
                   R"("},"effectiveDateTime":")" + when + R"("})",
               w, id);
  }
  using Ids = std::vector<std::string>;
};

TEST_P(SeriesTest, ASubjectsResultsOfACodeLatestFirst) {
  EXPECT_EQ(series("anna", {loinc("777-3")}), (Ids{"o3", "o2", "o1"}));
  EXPECT_EQ(series("anna", {loinc("777-3")}, 2), (Ids{"o3", "o2"}));
  EXPECT_EQ(series("bob", {loinc("777-3")}), Ids{"o4"});
  EXPECT_TRUE(series("anna", {loinc("1742-6")}).empty());
  EXPECT_TRUE(series("anna", {{"http://other", "777-3"}}).empty());  // the system counts
  EXPECT_TRUE(series("carl", {loinc("777-3")}).empty());
  EXPECT_TRUE(series("anna", {loinc("777-3")}, 0).empty());
  // Bounds on the start: from inclusive, before exclusive.
  EXPECT_EQ(series("anna", {loinc("777-3")}, 100, {}, ms("2025-02-10T08:00:00Z")),
            (Ids{"o3", "o2"}));
  EXPECT_EQ(series("anna", {loinc("777-3")}, 100, {}, std::numeric_limits<int64_t>::min(),
                   ms("2025-02-10T08:00:00Z")),
            Ids{"o1"});
  // A filter: the criteria of a search, checked on each match before the limit counts it.
  EXPECT_EQ(series("anna", {loinc("777-3")}, 2, "status:not=preliminary"), (Ids{"o2", "o1"}));
  EXPECT_EQ(series("anna", {loinc("777-3")}, 100, "value-quantity=gt50"), (Ids{"o3", "o2"}));
  // Several codes: one answer in order, a resource with two of them once.
  ASSERT_TRUE(putObservation(
      "o5", "anna",
      R"({"system":"http://loinc.org","code":"777-3"},{"system":"http://loinc.org","code":"26515-7"})",
      "2025-04-01T08:00:00Z"));
  ASSERT_TRUE(putObservation("o6", "anna", R"({"system":"http://loinc.org","code":"26515-7"})",
                             "2025-02-20T08:00:00Z"));
  EXPECT_EQ(series("anna", {loinc("777-3"), loinc("26515-7")}),
            (Ids{"o5", "o3", "o6", "o2", "o1"}));
  EXPECT_EQ(series("anna", {loinc("26515-7"), loinc("777-3")}, 3), (Ids{"o5", "o3", "o6"}));
  // Equal starts: by id, descending. Without a date, a subject or a coded code: in no series.
  ASSERT_TRUE(putObservation("o7", "anna", R"({"system":"http://loinc.org","code":"777-3"})",
                             "2025-04-01T08:00:00Z"));
  EXPECT_EQ(series("anna", {loinc("777-3")}, 3), (Ids{"o7", "o5", "o3"}));
  WriteResult w;
  ASSERT_TRUE(put(R"({"resourceType":"Observation","status":"final","code":{"coding":[
      {"system":"http://loinc.org","code":"777-3"}]},"subject":{"reference":"Patient/anna"}})",
                  w, "undated"));
  ASSERT_TRUE(put(R"({"resourceType":"Observation","status":"final","code":{"text":"platelets"},
      "subject":{"reference":"Patient/anna"},"effectiveDateTime":"2025-05-01"})",
                  w, "uncoded"));
  EXPECT_EQ(series("anna", {loinc("777-3")}, 1), Ids{"o7"});
  // A long code is indexed by its key (store::indexKey) as in the other index tables: stored on
  // both backends and found.
  const std::string longCode(3000, 'x');
  ASSERT_TRUE(putObservation("long", "anna",
                             R"({"system":"http://loinc.org","code":")" + longCode + R"("})",
                             "2025-04-02T08:00:00Z"));
  EXPECT_EQ(series("anna", {loinc(longCode)}), Ids{"long"});
  // An unknown type or a filter of another type is refused.
  SeriesQuery bad;
  bad.type = "NoSuchType";
  bad.codes = {loinc("777-3")};
  std::vector<ResourceVersion> out;
  EXPECT_EQ(store_->series(bad, out).code(), Code::Invalid);
  SearchQuery patients;
  patients.type = "Patient";
  bad.type = "Observation";
  bad.filter = &patients;
  EXPECT_EQ(store_->series(bad, out).code(), Code::Invalid);
}

// The index follows every change of a resource in its own transaction: a corrected date, code
// or subject moves it, a deletion removes it, a re-creation brings it back.
TEST_P(SeriesTest, CorrectionsAndDeletionsKeepTheIndexRight) {
  ASSERT_TRUE(putObservation("o2", "anna", R"({"system":"http://loinc.org","code":"777-3"})",
                             "2025-03-20T08:00:00Z", "corrected"));
  EXPECT_EQ(series("anna", {loinc("777-3")}), (Ids{"o2", "o3", "o1"}));
  ASSERT_TRUE(putObservation("o3", "anna", R"({"system":"http://loinc.org","code":"1742-6"})",
                             "2025-03-10T08:00:00Z"));
  EXPECT_EQ(series("anna", {loinc("777-3")}), (Ids{"o2", "o1"}));
  EXPECT_EQ(series("anna", {loinc("1742-6")}), Ids{"o3"});
  ASSERT_TRUE(putObservation("o1", "bob", R"({"system":"http://loinc.org","code":"777-3"})",
                             "2025-01-10T08:00:00Z"));
  EXPECT_EQ(series("anna", {loinc("777-3")}), Ids{"o2"});
  EXPECT_EQ(series("bob", {loinc("777-3")}), (Ids{"o4", "o1"}));
  // Entered in error: still in the index, which the caller's filter takes out.
  ASSERT_TRUE(putObservation("o4", "bob", R"({"system":"http://loinc.org","code":"777-3"})",
                             "2025-02-15T08:00:00Z", "entered-in-error"));
  EXPECT_EQ(series("bob", {loinc("777-3")}, 100, "status:not=entered-in-error"), Ids{"o1"});
  WriteResult d;
  ASSERT_TRUE(
      store_->write([&](WriteContext& ctx) { return ctx.remove("Observation", "o1", {}, d); }));
  EXPECT_EQ(series("bob", {loinc("777-3")}), Ids{"o4"});
  // A deletion and a change in one transaction that fails leave the index as it was.
  Status failed = store_->write([&](WriteContext& ctx) {
    WriteResult r;
    if (Status s = ctx.remove("Observation", "o4", {}, r); !s) return s;
    return Status::error(Code::Conflict, "the unit fails after the delete");
  });
  EXPECT_FALSE(failed);
  EXPECT_EQ(series("bob", {loinc("777-3")}), Ids{"o4"});
  ASSERT_TRUE(putObservation("o1", "bob", R"({"system":"http://loinc.org","code":"777-3"})",
                             "2025-01-11T08:00:00Z"));
  EXPECT_EQ(series("bob", {loinc("777-3")}), (Ids{"o4", "o1"}));
  // The index has one entry per subject and coding of a current version, none of the others.
  store_.reset();
  const std::unique_ptr<Poco::Data::Session> raw = rawSession();
  int entries = 0;
  *raw << "SELECT COUNT(*) FROM idx_series", Poco::Data::Keywords::into(entries),
      Poco::Data::Keywords::now;
  EXPECT_EQ(entries, 4);  // o1 (bob), o2 (anna), o3 (anna, 1742-6), o4 (bob)
}

// Migration 7 fills the series index from what a database of version 6 had indexed already.
TEST_P(SeriesTest, TheMigrationFillsTheIndexOfAnExistingDatabase) {
  ASSERT_TRUE(putObservation(
      "o5", "anna",
      R"({"system":"http://loinc.org","code":"777-3"},{"system":"http://loinc.org","code":"26515-7"})",
      "2025-04-01T08:00:00Z"));
  const Ids annas = series("anna", {loinc("777-3"), loinc("26515-7")});
  const Ids bobs = series("bob", {loinc("777-3")});
  ASSERT_EQ(annas, (Ids{"o5", "o3", "o2", "o1"}));
  store_.reset();
  {
    const std::unique_ptr<Poco::Data::Session> raw = rawSession();
    *raw << "DROP TABLE idx_series", Poco::Data::Keywords::now;  // as version 6 had it
    *raw << "DELETE FROM schema_migrations WHERE version = 7", Poco::Data::Keywords::now;
  }
  open();
  EXPECT_EQ(store_->schemaVersion(), migrations().back().version);
  EXPECT_EQ(series("anna", {loinc("777-3"), loinc("26515-7")}), annas);
  EXPECT_EQ(series("bob", {loinc("777-3")}), bobs);
  EXPECT_EQ(series("anna", {loinc("26515-7")}), Ids{"o5"});
}

// The series read and the receipt lookups are kept statements (store/kept_statements.h), which
// die with their connection: after a PostgreSQL restart the reader pool and the writer drop the
// connections the server closed, with their statements, and make both again. Each read runs past
// the fifth execution first, where the server may have switched to a generic plan.
TEST_P(SeriesTest, KeptStatementsAreMadeAgainAfterAPostgresqlRestart) {
  if (!postgres()) GTEST_SKIP() << "SQLite has no server to restart";
  MessageReceipt receipt{"hl7:LAB|HOSP|K1", "LAB", "HOSP", "K1", "ORU^R01", "AA"};
  ASSERT_TRUE(store_->write([&](WriteContext& ctx) { return ctx.saveReceipt(receipt, false); }));
  auto reads = [&] {
    for (int i = 0; i < 7; ++i) {
      EXPECT_EQ(series("anna", {loinc("777-3")}), (Ids{"o3", "o2", "o1"}));
      EXPECT_EQ(series("anna", {loinc("777-3"), loinc("1742-6")}, 2), (Ids{"o3", "o2"}));
      MessageReceipt read;
      EXPECT_TRUE(store_->readReceipt(receipt.key, read));
      EXPECT_EQ(read.controlId, "K1");
      EXPECT_TRUE(
          store_->write([&](WriteContext& ctx) { return ctx.findReceipt(receipt.key, read); }));
    }
  };
  reads();
  auto& pg = testing::PgCluster::shared();
  ASSERT_TRUE(pg.pause());
  ASSERT_TRUE(pg.resume());
  reads();
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& p) { return p.param; });
INSTANTIATE_TEST_SUITE_P(Backends, SearchTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& p) { return p.param; });
INSTANTIATE_TEST_SUITE_P(Backends, SeriesTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& p) { return p.param; });

TEST(SqliteStore, OneProcessOwnsTheFile) {
  char tmpl[] = "/tmp/tb-store-lock.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  StoreOptions o;
  o.database = std::string(tmpl) + "/s.db";
  auto first = openStore(o);
  ASSERT_TRUE(first) << first.message();
  auto second = openStore(o);
  EXPECT_FALSE(second);
  EXPECT_NE(second.message().find("in use"), std::string::npos) << second.message();
  first.value().reset();
  auto third = openStore(o);
  EXPECT_TRUE(third) << third.message();
  third.value().reset();
  std::filesystem::remove_all(tmpl);
}

// The cache of current versions holds at most cacheBytes of versions, whatever cacheEntries
// allows, and a read refills it within the same bound.
TEST(SqliteStore, TheCacheIsBoundedByBytes) {
  char tmpl[] = "/tmp/tb-store-cache.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const auto fill = [&](size_t cacheBytes) {
    StoreOptions o;
    o.database = std::string(tmpl) + "/s" + std::to_string(cacheBytes) + ".db";
    o.cacheBytes = cacheBytes;
    auto r = openStore(o);
    EXPECT_TRUE(r) << r.message();
    auto doc = parse(R"({"resourceType": "Basic", "id": "b", "code": {"text": ")" +
                     std::string(4000, 'x') + "\"}}");
    EXPECT_TRUE(r.value()->write([&](WriteContext& ctx) {
      for (int i = 0; i < 200; ++i) {
        setId(*doc, "b" + std::to_string(i));
        WriteResult out;
        if (Status s = ctx.put(*doc, {}, out); !s) return s;
      }
      return Status::ok();
    }));
    ResourceVersion v;
    for (int i = 0; i < 200; ++i) EXPECT_TRUE(r.value()->read("Basic", "b" + std::to_string(i), v));
    return r.value()->stats();
  };
  const StoreStats roomy = fill(size_t{64} << 20);
  EXPECT_EQ(roomy.cacheEntries, 200u);  // 200 x 4 KiB: all kept
  EXPECT_GT(roomy.cacheBytes, size_t{800} << 10);
  const StoreStats tight = fill(size_t{256} << 10);
  EXPECT_LE(tight.cacheBytes, size_t{256} << 10);
  EXPECT_GT(tight.cacheEntries, 16u);  // still a cache
  EXPECT_LT(tight.cacheEntries, 64u);
  std::filesystem::remove_all(tmpl);
}

// SQLite's heap, all connections together, after writing `count` resources of about 4 KiB through
// a page cache of 64 MiB a connection and reading each back.
int64_t sqliteHeapAfterWriting(int64_t heapLimitKiB, int count) {
  char tmpl[] = "/tmp/tb-store-heap.XXXXXX";
  EXPECT_NE(::mkdtemp(tmpl), nullptr);
  StoreOptions o;
  o.database = std::string(tmpl) + "/s.db";
  o.cache = false;
  o.pageCacheKiB = 65536;
  o.sqliteHeapLimitKiB = heapLimitKiB;
  auto r = openStore(o);
  EXPECT_TRUE(r) << r.message();
  if (!r) return -1;
  const std::string text(4000, 'x');
  auto doc = parse(R"({"resourceType": "Basic", "id": "b", "code": {"text": ")" + text + "\"}}");
  Status st = r.value()->write([&](WriteContext& ctx) {
    for (int i = 0; i < count; ++i) {
      setId(*doc, "b" + std::to_string(i));
      WriteResult out;
      if (Status s = ctx.put(*doc, PutOptions{}, out); !s) return s;
    }
    return Status::ok();
  });
  EXPECT_TRUE(st) << st.message();
  for (int i = 0; i < count; ++i) {
    ResourceVersion v;
    EXPECT_TRUE(r.value()->read("Basic", "b" + std::to_string(i), v));
  }
  const int64_t used = sqlite3_memory_used();
  r.value().reset();
  std::filesystem::remove_all(tmpl);
  return used;
}

// The soft heap limit is the process's, set by the store from its options: near it SQLite reuses
// its caches' pages rather than allocate more, so the page caches stay about the limit however
// large each connection's may grow. Without a limit the same writes keep some 14 MiB.
TEST(SqliteStore, TheHeapLimitBoundsThePageCachesOfTheProcess) {
  const int64_t unlimited = sqliteHeapAfterWriting(0, 1000);
  const int64_t limited = sqliteHeapAfterWriting(2048, 1000);
  EXPECT_GT(unlimited, int64_t{8} << 20) << "the writes no longer fill the page cache";
  EXPECT_LT(limited, int64_t{3} << 20) << "a 2 MiB soft limit, " << unlimited << " without";
  // Set for the process: another connection, not the store's, sees it.
  Poco::Data::Session other("SQLite", ":memory:");
  Poco::Int64 limit = -1;
  other << "PRAGMA soft_heap_limit", Poco::Data::Keywords::into(limit), Poco::Data::Keywords::now;
  EXPECT_EQ(limit, int64_t{2048} * 1024);
  other << "PRAGMA soft_heap_limit = 0", Poco::Data::Keywords::now;  // as before the test
}

// The largest size the write-ahead log reached while `writes` resources (4 kB each, one commit
// each) were written under two readers whose transactions always overlap, and the store's count
// of logs emptied.
std::pair<uintmax_t, uint64_t> walUnderOverlappingReads(uint64_t walRestartBytes, int writes) {
  char tmpl[] = "/tmp/tb-wal-test.XXXXXX";
  EXPECT_NE(::mkdtemp(tmpl), nullptr);
  StoreOptions o;
  o.database = std::string(tmpl) + "/s.db";
  o.cache = false;
  o.walRestartBytes = walRestartBytes;
  auto r = openStore(o);
  EXPECT_TRUE(r) << r.message();
  if (!r) return {0, 0};
  std::atomic<bool> stop{false};
  auto reader = [&](int startMs) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(o.database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    std::this_thread::sleep_for(std::chrono::milliseconds(startMs));
    while (!stop) {  // a read transaction of 20 ms every 20 ms: the two overlap always
      sqlite3_exec(db, "BEGIN; SELECT COUNT(*) FROM resources;", nullptr, nullptr, nullptr);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    }
    sqlite3_close(db);
  };
  std::thread a(reader, 0), b(reader, 10);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto doc =
      parse(R"({"resourceType": "Basic", "code": {"text": ")" + std::string(4000, 'x') + "\"}}");
  uintmax_t largest = 0;
  for (int i = 0; i < writes; ++i) {
    setId(*doc, "b" + std::to_string(i));
    Status st = r.value()->write([&](WriteContext& ctx) {
      WriteResult out;
      return ctx.put(*doc, PutOptions{}, out);
    });
    EXPECT_TRUE(st) << st.message();
    std::error_code ec;
    largest = std::max(largest, std::filesystem::file_size(o.database + "-wal", ec));
  }
  stop = true;
  a.join();
  b.join();
  const uint64_t emptied = r.value()->stats().walCheckpoints;
  r.value().reset();
  std::filesystem::remove_all(tmpl);
  return {largest, emptied};
}

// SQLite's own checkpoints never wait for readers, so reads that always overlap keep the log from
// being reset and it grows with every write (785 MB in 29 minutes of the mixed soak). Past
// walRestartBytes the writer waits for the reads to end and empties it.
TEST(SqliteStore, TheWriteAheadLogIsEmptiedUnderReadsThatAlwaysOverlap) {
  const auto [unbounded, none] = walUnderOverlappingReads(uint64_t{1} << 40, 100);
  EXPECT_EQ(none, 0u);
  EXPECT_GT(unbounded, uintmax_t{3} << 20) << "the writes no longer grow the log past 3 MiB";
  const auto [bounded, emptied] = walUnderOverlappingReads(uint64_t{1} << 20, 100);
  EXPECT_GE(emptied, 1u);
  // At most the bound and the commit that went past it.
  EXPECT_LT(bounded, uintmax_t{3} << 19) << "against " << unbounded << " without the bound";
}

// Two nodes on one PostgreSQL database: a lease held by one excludes the other (a session
// advisory lock), and is free again once the holder lets go.
TEST(PostgresStore, ExclusiveLeaseAcrossNodes) {
  auto& pg = testing::PgCluster::shared();
  ASSERT_TRUE(pg.running()) << "PostgreSQL test cluster did not start: " << pg.error();
  StoreOptions o;
  o.backend = "postgresql";
  o.database = pg.createDatabase();
  auto a = openStore(o);
  ASSERT_TRUE(a) << a.message();
  auto b = openStore(o);
  ASSERT_TRUE(b) << b.message();
  std::unique_ptr<StoreLease> held, refused;
  ASSERT_TRUE(a.value()->tryExclusive("publisher:registry", held));
  ASSERT_NE(held, nullptr);
  ASSERT_TRUE(b.value()->tryExclusive("publisher:registry", refused));
  EXPECT_EQ(refused, nullptr);
  // Another name is another lock; a resource write is not blocked by the lease.
  std::unique_ptr<StoreLease> other;
  ASSERT_TRUE(b.value()->tryExclusive("publisher:files", other));
  EXPECT_NE(other, nullptr);
  held.reset();
  ASSERT_TRUE(b.value()->tryExclusive("publisher:registry", refused));
  ASSERT_NE(refused, nullptr);
  EXPECT_TRUE(refused->held());
  // Once node b lets go (and closes), node a takes it again.
  refused.reset();
  other.reset();
  b.value().reset();
  ASSERT_TRUE(a.value()->tryExclusive("publisher:registry", held));
  EXPECT_NE(held, nullptr);
}

// Two nodes' groups take two criteria locks in opposite orders (a1 then a2 on node a, b1 then b2
// on node b, each pair one group commit): PostgreSQL aborts one of a2, b2 as a deadlock's victim.
// That unit is rolled back alone and runs again after its group commits, so every unit is stored
// once and none fails.
TEST(PostgresStore, CriteriaLocksInOppositeOrdersDeadlockAndRunAgain) {
  auto& pg = testing::PgCluster::shared();
  ASSERT_TRUE(pg.running()) << "PostgreSQL test cluster did not start: " << pg.error();
  StoreOptions o;
  o.backend = "postgresql";
  o.database = pg.createDatabase();
  o.writers = 1;  // one writer a node: the units queued behind the gate make one group
  auto a = openStore(o);
  ASSERT_TRUE(a) << a.message();
  auto b = openStore(o);
  ASSERT_TRUE(b) << b.message();
  std::atomic<bool> open{false};
  std::atomic<int> gates{0}, firstHeld{0}, secondRuns{0};
  // Waits (bounded) for `flag` to reach `value`: the units below must overlap.
  const auto await = [](const std::atomic<int>& flag, int value) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (flag.load() < value && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  const auto gate = [&](WriteContext&) {
    gates++;
    while (!open.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return Status::ok();
  };
  const auto unit = [&](const std::string& first, const std::string& second, const std::string& id,
                        bool isFirst) {
    return [&, first, second, id, isFirst](WriteContext& ctx) {
      if (isFirst) {
        if (Status s = ctx.lockCriteria("Patient", first); !s) return s;
        firstHeld++;
      } else {
        // The first run waits until both first units hold their keys; a second run does not.
        if (secondRuns++ < 2) await(firstHeld, 2);
        if (Status s = ctx.lockCriteria("Patient", second); !s) return s;
      }
      auto doc = parse(R"({"resourceType":"Patient","active":true})");
      setId(*doc, id);
      WriteResult out;
      return ctx.put(*doc, PutOptions{}, out);
    };
  };
  std::thread ga([&] { EXPECT_TRUE(a.value()->write(gate)); });
  std::thread gb([&] { EXPECT_TRUE(b.value()->write(gate)); });
  await(gates, 2);
  a.value()->post(unit("k1", "", "a1", true));
  a.value()->post(unit("", "k2", "a2", false));
  b.value()->post(unit("k2", "", "b1", true));
  b.value()->post(unit("", "k1", "b2", false));
  open = true;
  ga.join();
  gb.join();
  a.value()->flush();
  b.value()->flush();
  EXPECT_EQ(secondRuns.load(), 3);  // the victim ran twice
  for (const char* id : {"a1", "a2", "b1", "b2"}) {
    ResourceVersion v;
    EXPECT_TRUE(a.value()->read("Patient", id, v)) << id;
    EXPECT_EQ(v.version, 1) << id;
  }
}

TEST(Store, BadOptionsSayWhy) {
  StoreOptions o;
  o.backend = "oracle";
  EXPECT_NE(openStore(o).message().find("unknown store backend"), std::string::npos);
  o.backend = "postgresql";
  o.database = "host=127.0.0.1 port=1 dbname=x user=x connect_timeout=2";
  auto r = openStore(o);
  EXPECT_FALSE(r);
  EXPECT_NE(r.message().find("cannot open the postgresql database"), std::string::npos)
      << r.message();
}

}  // namespace
}  // namespace trialbridge::store
