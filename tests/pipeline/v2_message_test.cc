// HL7 v2 messages through the pipeline (pipeline/v2_message.cc), on both store backends: the
// receipt and deduplication, the quarantine with its ACK codes and locations, the study
// context's seam, retry and discard.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "conformance/context.h"
#include "core/json.h"
#include "hl7v2/location.h"
#include "mapping/oru_mapping.h"
#include "pg_cluster.h"
#include "pipeline/pipeline.h"
#include "run_together.h"
#include "validation/validator.h"

namespace trialbridge::pipeline {
namespace {

using hl7v2::AckCode;

// A platelet count: accepted as it is.
constexpr std::string_view kOru =
    "MSH|^~\\&|LAB|HOSP|TRIALBRIDGE|SITE|20250301120000+0800||ORU^R01^ORU_R01|MSG0001|P|2.5.1\r"
    "PID|1||MRN123^^^HOSP^MR||Doe^Jane||19800101|F\r"
    "OBR|1||F1|26515-7^Platelets^LN|||20250301100000+0800|||||||||||||||20250301110000+0800|||F\r"
    "OBX|1|NM|26515-7^Platelets^LN||145|10*9/L|150-400|L|||F|||20250301100000+0800\r";

std::string replace(std::string_view text, std::string_view from, std::string_view to) {
  std::string s(text);
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

// Stores a copy of the mapping's first Observation (without its subject) when `store` is on, or
// refuses the message with an error at PID-3 when `refuse` is on: the seam issue 11 fills.
class TestStudyContext final : public V2StudyContext {
 public:
  V2Decision decide(const hl7v2::Message&, const core::Document& mapped) const override {
    V2Decision d;
    calls++;
    if (refuse) {
      d.issues.add(hl7v2::makeIssue(core::Severity::Error, core::IssueType::NotFound,
                                    "the patient matches no subject", {"PID", 1, 3}));
      return d;
    }
    if (directoryDown) {
      d.issues.add(core::Severity::Error, core::IssueType::Exception,
                   "the subject directory cannot answer: the database went away");
      d.retryLater = true;
      return d;
    }
    if (!store) return d;
    std::string observation;
    mapped.root()->forEachChild("entry", [&](const core::Element& e) {
      const core::Element* r = e.child("resource");
      if (observation.empty() && r != nullptr && r->type().name == "Observation") {
        observation = R"({"resourceType":"Observation","status":"final","code":)" +
                      core::writeJson(*r->child("code")) + "}";
      }
    });
    core::Issues issues;
    d.writes =
        core::readJson(R"({"resourceType":"Bundle","type":"transaction","entry":[)"
                       R"({"fullUrl":"urn:uuid:1","resource":)" +
                           observation + R"(,"request":{"method":"POST","url":"Observation"}}]})",
                       conformance::Context::r4(), issues);
    EXPECT_FALSE(issues.hasErrors());
    return d;
  }
  std::atomic<bool> refuse{false};
  std::atomic<bool> store{false};
  std::atomic<bool> directoryDown{false};  // the subjects cannot be read (the database failed)
  mutable std::atomic<int> calls{0};
};

class V2MessageTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    validator_ = new validation::Validator(conformance::Context::r4());
    mapper_ = new mapping::V2Mapper(conformance::Context::r4());
  }
  static void TearDownTestSuite() {
    delete validator_;
    delete mapper_;
  }

  void SetUp() override {
    store::StoreOptions o;
    o.backend = GetParam();
    if (GetParam() == "postgresql") {
      auto& pg = testing::PgCluster::shared();
      ASSERT_TRUE(pg.running()) << "PostgreSQL test cluster did not start: " << pg.error();
      o.database = pg.createDatabase();
    } else {
      char tmpl[] = "/tmp/tb-v2-test.XXXXXX";
      ASSERT_NE(::mkdtemp(tmpl), nullptr);
      dir_ = tmpl;
      o.database = dir_ + "/store.db";
    }
    auto r = store::openStore(o);
    ASSERT_TRUE(r) << r.message();
    store_ = std::move(r.value());
    Config c;
    c.v2Mapper = mapper_;
    c.v2Study = &study_;
    pipeline_ = std::make_unique<Pipeline>(*store_, validator_, c);
    options_.actor = {"mllp", "10.0.0.9"};
  }
  void TearDown() override {
    pipeline_.reset();
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  Result send(std::string_view bytes) {
    Change c = Change::v2Message(std::string(bytes));
    c.source = "10.0.0.9";
    return pipeline_->apply(std::move(c), options_);
  }

  int64_t resources(std::string_view type) {
    store::HistoryQuery q;
    q.type = std::string(type);
    store::HistoryResult h;
    EXPECT_TRUE(store_->history(q, h));
    return h.total;
  }
  std::vector<store::QuarantineEntry> quarantine(std::string status = "") {
    store::QuarantineQuery q;
    q.status = std::move(status);
    std::vector<store::QuarantineEntry> out;
    int64_t total = 0;
    EXPECT_TRUE(store_->listQuarantine(q, out, total));
    EXPECT_EQ(total, static_cast<int64_t>(out.size()));
    return out;
  }

  static validation::Validator* validator_;
  static mapping::V2Mapper* mapper_;
  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Pipeline> pipeline_;
  TestStudyContext study_;
  Options options_;
};

validation::Validator* V2MessageTest::validator_ = nullptr;
mapping::V2Mapper* V2MessageTest::mapper_ = nullptr;

std::string errors(const core::Issues& issues) {
  std::string out;
  for (const auto& i : issues.items()) out += i.location + ": " + i.message + "\n";
  return out;
}

TEST_P(V2MessageTest, AnAcceptedMessageLeavesItsReceiptAndNothingOfThePlainMapping) {
  Result r = send(kOru);
  ASSERT_TRUE(r.ok()) << errors(r.issues);
  ASSERT_TRUE(r.v2.has_value());
  EXPECT_EQ(r.v2->code, AckCode::AA);
  EXPECT_EQ(r.v2->key, "hl7:LAB|HOSP|MSG0001");
  EXPECT_EQ(r.v2->header.controlId, "MSG0001");
  EXPECT_TRUE(r.v2->quarantineId.empty());
  EXPECT_FALSE(r.replayed);
  for (const char* type : {"Patient", "Observation", "DiagnosticReport", "MessageHeader"}) {
    EXPECT_EQ(resources(type), 0) << type;
  }
  store::MessageReceipt receipt;
  ASSERT_TRUE(store_->readReceipt("hl7:LAB|HOSP|MSG0001", receipt));
  EXPECT_EQ(receipt.senderApplication, "LAB");
  EXPECT_EQ(receipt.senderFacility, "HOSP");
  EXPECT_EQ(receipt.controlId, "MSG0001");
  EXPECT_EQ(receipt.messageType, "ORU^R01^ORU_R01");
  EXPECT_EQ(receipt.ackCode, "AA");
  EXPECT_FALSE(receipt.received.empty());
  for (const std::string* field : {&receipt.result, &receipt.fingerprint, &receipt.key}) {
    EXPECT_EQ(field->find("MRN123"), std::string::npos);
    EXPECT_EQ(field->find("Doe"), std::string::npos);
  }
  EXPECT_TRUE(quarantine().empty());
}

TEST_P(V2MessageTest, AResendIsAnsweredTheSameAndCreatesNothing) {
  ASSERT_TRUE(send(kOru).ok());
  Result again = send(kOru);
  ASSERT_TRUE(again.ok()) << errors(again.issues);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.v2->code, AckCode::AA);
  // Other segment terminators and a new MSH-7 (engines that stamp the time again): a resend.
  std::string crlf = replace(kOru, "20250301120000+0800||", "20250302080000+0800||");
  for (size_t p = crlf.find('\r'); p != std::string::npos; p = crlf.find('\r', p + 2)) {
    crlf.insert(p + 1, "\n");
  }
  Result third = send(crlf);
  EXPECT_TRUE(third.ok() && third.replayed) << errors(third.issues);
  EXPECT_TRUE(quarantine().empty());
  EXPECT_EQ(study_.calls.load(), 3);  // decided each time; written once
}

TEST_P(V2MessageTest, ANonOruMessageIsRejectedAndQuarantinedOnce) {
  const std::string adt =
      "MSH|^~\\&|LAB|HOSP|TRIALBRIDGE|SITE|20250301120000+0800||ADT^A01^ADT_A01|MSG0002|P|2.5.1\r"
      "PID|1||MRN123^^^HOSP^MR||Doe^Jane\r";
  Result r = send(adt);
  EXPECT_EQ(r.status, Status::Invalid);
  ASSERT_TRUE(r.v2.has_value());
  EXPECT_EQ(r.v2->code, AckCode::AR);
  ASSERT_TRUE(r.issues.hasErrors());
  EXPECT_EQ(r.issues.items()[0].location, "MSH-9.1");
  EXPECT_EQ(hl7v2::errorCodeFor(r.issues.items()[0]), hl7v2::ErrorCode::UnsupportedMessageType);
  EXPECT_NE(r.issues.items()[0].message.find("unsupported message type"), std::string::npos);
  auto q = quarantine("open");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].id, r.v2->quarantineId);
  EXPECT_EQ(q[0].ackCode, "AR");
  EXPECT_EQ(q[0].errorCode, 200);
  EXPECT_EQ(q[0].location, "MSH-9.1");
  EXPECT_EQ(q[0].peer, "10.0.0.9");
  EXPECT_EQ(q[0].controlId, "MSG0002");
  EXPECT_TRUE(q[0].raw.empty());  // listings leave the bytes out
  store::QuarantineEntry full;
  ASSERT_TRUE(store_->readQuarantine(q[0].id, full));
  EXPECT_EQ(full.raw, adt);
  // The resend: the same answer, quarantined once.
  Result again = send(adt);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.v2->code, AckCode::AR);
  EXPECT_EQ(again.v2->quarantineId, r.v2->quarantineId);
  ASSERT_TRUE(again.issues.hasErrors());
  EXPECT_EQ(again.issues.items()[0].location, "MSH-9.1");
  EXPECT_EQ(again.issues.items().size(), r.issues.items().size());  // its ERR segments once
  EXPECT_EQ(quarantine().size(), 1u);
}

TEST_P(V2MessageTest, AMessageWithErrorsGetsAeWithTheirLocation) {
  const std::string bad = replace(kOru, "|F|||2025", "|Q|||2025");
  Result r = send(bad);
  EXPECT_EQ(r.status, Status::Unprocessable);
  EXPECT_EQ(r.v2->code, AckCode::AE);
  ASSERT_TRUE(r.issues.hasErrors());
  auto q = quarantine();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].location, "OBX-11");
  EXPECT_EQ(q[0].errorCode, 103);
  EXPECT_EQ(q[0].ackCode, "AE");
  EXPECT_EQ(study_.calls.load(), 0);  // the study context sees only messages that mapped
}

TEST_P(V2MessageTest, BytesWithoutAHeaderAreRejectedAndKeptByTheirDigest) {
  Result r = send("this is not HL7");
  EXPECT_EQ(r.v2->code, AckCode::AR);
  EXPECT_EQ(r.v2->key.rfind("raw:", 0), 0u) << r.v2->key;
  Result again = send("this is not HL7");
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.v2->code, AckCode::AR);
  ASSERT_EQ(quarantine().size(), 1u);
  EXPECT_EQ(quarantine()[0].raw, "");  // not in listings
}

TEST_P(V2MessageTest, AControlIdUsedAgainForAnotherMessageIsADuplicate) {
  ASSERT_TRUE(send(kOru).ok());
  const std::string other = replace(kOru, "||145|", "||152|");
  Result r = send(other);
  EXPECT_EQ(r.v2->code, AckCode::AE);
  bool duplicate = false;
  for (const auto& i : r.issues.items()) {
    duplicate |= hl7v2::errorCodeFor(i) == hl7v2::ErrorCode::DuplicateKeyIdentifier &&
                 i.location == "MSH-10";
  }
  EXPECT_TRUE(duplicate) << errors(r.issues);
  Result again = send(other);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.v2->code, AckCode::AE);
  EXPECT_EQ(quarantine().size(), 1u);
  // The first one still replays AA.
  EXPECT_EQ(send(kOru).v2->code, AckCode::AA);
}

TEST_P(V2MessageTest, TheStudyContextDecidesWhatTheUnitWrites) {
  study_.store = true;
  Result r = send(kOru);
  ASSERT_TRUE(r.ok()) << errors(r.issues);
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0].type, "Observation");
  EXPECT_EQ(r.entries[0].outcome, Outcome::Created);
  EXPECT_EQ(resources("Observation"), 1);
  EXPECT_EQ(resources("Patient"), 0);
  Result again = send(kOru);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(resources("Observation"), 1);
}

// The subjects could not be read (the database failed): no fault of the message, so nothing is
// kept (no receipt, no quarantine) and the answer is AE, internal error; sent again once the
// directory answers, it is processed as new and accepted. A refusal by the study context (the
// message's own fault) is quarantined as before.
TEST_P(V2MessageTest, ADirectoryThatCannotAnswerKeepsNothingAndTheResendIsNew) {
  study_.store = true;
  study_.directoryDown = true;
  Result r = send(kOru);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status, Status::Internal);
  ASSERT_TRUE(r.v2.has_value());
  EXPECT_EQ(r.v2->code, AckCode::AE);
  ASSERT_FALSE(r.issues.items().empty());
  EXPECT_NE(r.issues.items()[0].message.find("send it again"), std::string::npos);
  store::MessageReceipt receipt;
  EXPECT_FALSE(store_->readReceipt("hl7:LAB|HOSP|MSG0001", receipt));
  EXPECT_TRUE(quarantine().empty());
  study_.directoryDown = false;
  Result again = send(kOru);
  ASSERT_TRUE(again.ok()) << errors(again.issues);
  EXPECT_FALSE(again.replayed);
  EXPECT_EQ(again.v2->code, AckCode::AA);
  EXPECT_EQ(resources("Observation"), 1);
  study_.refuse = true;
  Result refused = send(replace(kOru, "MSG0001", "MSG0009"));
  EXPECT_EQ(refused.v2->code, AckCode::AE);
  EXPECT_EQ(quarantine().size(), 1u);
}

TEST_P(V2MessageTest, RetryAfterAFixAcceptsAndDiscardCloses) {
  study_.refuse = true;
  Result r = send(kOru);
  ASSERT_EQ(r.v2->code, AckCode::AE);
  EXPECT_EQ(quarantine("open").at(0).location, "PID-3");
  const std::string id = r.v2->quarantineId;
  // Still refused: the entry stays open with one more attempt.
  Result still = pipeline_->retryQuarantined(id, options_);
  EXPECT_EQ(still.v2->code, AckCode::AE);
  store::QuarantineEntry e;
  ASSERT_TRUE(store_->readQuarantine(id, e));
  EXPECT_EQ(e.status, "open");
  EXPECT_EQ(e.attempts, 2);
  // Fixed (the subject enrolled, say): accepted, the entry retried, the receipt AA.
  study_.refuse = false;
  study_.store = true;
  Result fixed = pipeline_->retryQuarantined(id, options_);
  ASSERT_TRUE(fixed.ok()) << errors(fixed.issues);
  EXPECT_EQ(fixed.v2->code, AckCode::AA);
  EXPECT_EQ(resources("Observation"), 1);
  ASSERT_TRUE(store_->readQuarantine(id, e));
  EXPECT_EQ(e.status, "retried");
  EXPECT_EQ(e.attempts, 3);
  Result resent = send(kOru);
  EXPECT_TRUE(resent.replayed);
  EXPECT_EQ(resent.v2->code, AckCode::AA);
  EXPECT_EQ(resources("Observation"), 1);
  EXPECT_EQ(pipeline_->retryQuarantined(id, options_).status, Status::Conflict);
  EXPECT_EQ(pipeline_->retryQuarantined("nothing", options_).status, Status::NotFound);

  Result adt = send(replace(replace(kOru, "ORU^R01^ORU_R01", "ADT^A01"), "MSG0001", "MSG0003"));
  ASSERT_EQ(adt.v2->code, AckCode::AR);
  // A discard needs a reason (for its audit row), of at most kMaxReasonBytes.
  EXPECT_EQ(pipeline_->discardQuarantined(adt.v2->quarantineId, options_).status, Status::Invalid);
  options_.reason = std::string(kMaxReasonBytes + 1, 'x');
  EXPECT_EQ(pipeline_->discardQuarantined(adt.v2->quarantineId, options_).status, Status::Invalid);
  EXPECT_EQ(pipeline_->retryQuarantined(adt.v2->quarantineId, options_).status, Status::Invalid);
  ASSERT_TRUE(store_->readQuarantine(adt.v2->quarantineId, e));
  EXPECT_EQ(e.status, "open");
  options_.reason = "not ours: an ADT";
  EXPECT_TRUE(pipeline_->discardQuarantined(adt.v2->quarantineId, options_).ok());
  ASSERT_TRUE(store_->readQuarantine(adt.v2->quarantineId, e));
  EXPECT_EQ(e.status, "discarded");
  EXPECT_EQ(pipeline_->discardQuarantined(adt.v2->quarantineId, options_).status, Status::Conflict);
  EXPECT_EQ(quarantine("open").size(), 0u);
  EXPECT_EQ(quarantine().size(), 2u);
}

// MLLP senders resend while the first is in flight: on PostgreSQL with several writers the units
// run at once; each answer must be AA, one of them the first, and one receipt kept.
TEST_P(V2MessageTest, ConcurrentResendsAreAnsweredOnce) {
  study_.store = true;
  for (int round = 0; round < 10; ++round) {
    const std::string msg = replace(kOru, "MSG0001", "MSG-C" + std::to_string(round));
    constexpr int kThreads = 8;
    std::vector<Result> results(kThreads);
    testing::runTogether(kThreads, [&](int t) { results[t] = send(msg); });
    int first = 0;
    for (const Result& r : results) {
      ASSERT_TRUE(r.ok()) << statusName(r.status) << ": " << errors(r.issues);
      EXPECT_EQ(r.v2->code, AckCode::AA);
      first += r.replayed ? 0 : 1;
    }
    EXPECT_EQ(first, 1) << "round " << round;
  }
  EXPECT_EQ(resources("Observation"), 10);
}

INSTANTIATE_TEST_SUITE_P(Backends, V2MessageTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace trialbridge::pipeline
