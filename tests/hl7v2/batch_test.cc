#include "hl7v2/batch.h"

#include <gtest/gtest.h>

#include "test_messages.h"

namespace trialbridge::hl7v2 {
namespace {

using test::oruMessage;
using test::segments;

size_t countWarnings(const core::Issues& issues) { return issues.count(core::Severity::Warning); }

TEST(Batch, FileWithOneBatch) {
  const std::string text = segments({"FHS|^~\\&|LAB|TAIXIN"}) + segments({"BHS|^~\\&|LAB|TAIXIN"}) +
                           oruMessage() + oruMessage() + segments({"BTS|2", "FTS|1"});
  core::Issues issues;
  std::optional<Batch> b = readBatch(text, issues);
  ASSERT_TRUE(b);
  EXPECT_TRUE(issues.empty());
  ASSERT_EQ(b->messages.size(), 2u);
  EXPECT_EQ(b->messages[0].text, oruMessage());
  EXPECT_EQ(b->messages[1].line, 12u);
  EXPECT_EQ(b->messages[1].offset, text.find("MSH", text.find("MSH") + 1));
  ASSERT_TRUE(b->fileHeader);
  EXPECT_EQ(b->fileHeader->segment(0).field(3).text(), "LAB");
  ASSERT_TRUE(b->batchTrailer);
  EXPECT_EQ(b->batchTrailer->segment(0).field(1).text(), "2");
  EXPECT_EQ(b->batchCount, 1u);
  // Each message reads on its own.
  for (const Batch::Part& p : b->messages) {
    core::Issues mi;
    std::optional<Message> m = parseMessage(p.text, mi);
    ASSERT_TRUE(m);
    EXPECT_TRUE(mi.empty());
    EXPECT_EQ(m->segmentCount(), 9u);
  }
}

TEST(Batch, MessagesWithoutAnEnvelope) {
  core::Issues issues;
  std::optional<Batch> b = readBatch(oruMessage("\n") + oruMessage("\r\n") + oruMessage(), issues);
  ASSERT_TRUE(b);
  EXPECT_TRUE(issues.empty());
  EXPECT_EQ(b->messages.size(), 3u);
  EXPECT_FALSE(b->batchHeader);
}

TEST(Batch, CountsInTrailersAreChecked) {
  const std::string text = segments({"FHS|^~\\&", "BHS|^~\\&"}) + oruMessage() +
                           segments({"BTS|3", "BHS|^~\\&", "BTS|0", "FTS|1"});
  core::Issues issues;
  std::optional<Batch> b = readBatch(text, issues);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->batchCount, 2u);
  ASSERT_EQ(countWarnings(issues), 2u);
  EXPECT_NE(issues.items()[0].message.find("BTS-1 says the batch has 3 messages; it has 1"),
            std::string::npos);
  EXPECT_EQ(issues.items()[0].location, "BTS");
  EXPECT_NE(issues.items()[1].message.find("FTS-1 says the file has 1 batches; it has 2"),
            std::string::npos);
}

TEST(Batch, MissingTrailersAndHeadersAreWarnings) {
  core::Issues issues;
  ASSERT_TRUE(readBatch(segments({"FHS|^~\\&", "BHS|^~\\&"}) + oruMessage(), issues));
  EXPECT_EQ(countWarnings(issues), 2u);  // no BTS, no FTS
  core::Issues issues2;
  ASSERT_TRUE(readBatch(oruMessage() + segments({"BTS|1", "FTS|0"}), issues2));
  EXPECT_EQ(countWarnings(issues2), 2u);  // BTS without BHS, FTS without FHS
}

TEST(Batch, CustomDelimitersOfTheBatchHeader) {
  const std::string text = segments({"BHS!@*$%!LAB"}) + oruMessage() + segments({"BTS!1!done"});
  core::Issues issues;
  std::optional<Batch> b = readBatch(text, issues);
  ASSERT_TRUE(b);
  EXPECT_TRUE(issues.empty());
  EXPECT_EQ(b->batchHeader->encoding().field, '!');
  EXPECT_EQ(b->batchTrailer->segment(0).field(2).text(), "done");
}

TEST(Batch, SegmentsBeforeTheFirstMessageAreErrors) {
  core::Issues issues;
  std::optional<Batch> b = readBatch(segments({"PID|1"}) + oruMessage(), issues);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->messages.size(), 1u);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues.items()[0].severity, core::Severity::Error);
  EXPECT_EQ(issues.items()[0].location, "PID");
}

TEST(Batch, EmptyText) {
  core::Issues issues;
  std::optional<Batch> b = readBatch("", issues);
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->messages.empty());
}

TEST(Batch, Limits) {
  Limits limits;
  limits.maxSegments = 2;
  core::Issues issues;
  EXPECT_FALSE(readBatch(oruMessage() + oruMessage() + oruMessage(), issues, limits));
  EXPECT_EQ(issues.items()[0].code, core::IssueType::TooCostly);
  limits = Limits{};
  limits.maxBytes = 10;
  core::Issues issues2;
  EXPECT_FALSE(readBatch(oruMessage(), issues2, limits));
  EXPECT_EQ(issues2.items()[0].code, core::IssueType::TooLong);
}

}  // namespace
}  // namespace trialbridge::hl7v2
