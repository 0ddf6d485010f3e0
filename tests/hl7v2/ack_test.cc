#include "hl7v2/ack.h"

#include <gtest/gtest.h>

#include "test_messages.h"

namespace trialbridge::hl7v2 {
namespace {

using test::oruMessage;
using test::segments;

AckOptions fixed() {
  AckOptions o;
  o.facility = "TB";
  o.controlId = "ACK0001";
  o.timestamp = "20250312083001+0000";
  return o;
}

Message parsed(std::string text) {
  core::Issues issues;
  return std::move(*parseMessage(std::move(text), issues));
}

std::vector<std::string> lines(const std::string& ack) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < ack.size()) {
    const size_t end = ack.find('\r', pos);
    out.push_back(ack.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

TEST(AckPlan, OriginalMode) {
  for (bool ok : {true, false}) {
    const AckPlan p = planAcks("", "", ok);
    EXPECT_FALSE(p.enhanced);
    EXPECT_FALSE(p.accept);
    EXPECT_TRUE(p.application);
  }
}

TEST(AckPlan, EnhancedModeConditions) {
  EXPECT_TRUE(planAcks("AL", "NE", true).accept);
  EXPECT_FALSE(planAcks("AL", "NE", true).application);
  EXPECT_TRUE(planAcks("NE", "AL", true).enhanced);
  EXPECT_FALSE(planAcks("NE", "AL", true).accept);
  EXPECT_TRUE(planAcks("NE", "AL", true).application);
  EXPECT_TRUE(planAcks("ER", "ER", false).accept);
  EXPECT_FALSE(planAcks("ER", "ER", true).application);
  EXPECT_TRUE(planAcks("SU", "SU", true).application);
  EXPECT_FALSE(planAcks("SU", "SU", false).accept);
  // An empty field in enhanced mode asks for nothing.
  EXPECT_FALSE(planAcks("AL", "", true).application);
  EXPECT_FALSE(planAcks("", "AL", false).accept);
}

TEST(Ack, AcceptCopiesTheHeader) {
  const Message m = parsed(oruMessage());
  const std::string ack = buildAck(ackHeaderOf(m), AckCode::AA, core::Issues{}, fixed());
  const std::vector<std::string> l = lines(ack);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0],
            "MSH|^~\\&|TRIALBRIDGE|TB|LAB|TAIXIN|20250312083001+0000||ACK^R01^ACK|ACK0001|P|2.5.1|"
            "|||||UNICODE UTF-8");
  EXPECT_EQ(l[1], "MSA|AA|MSG00001");
  // It reads back as a message.
  core::Issues issues;
  std::optional<Message> back = parseMessage(ack, issues);
  ASSERT_TRUE(back);
  EXPECT_TRUE(issues.empty());
  EXPECT_EQ(back->find("MSA")->field(2).text(), "MSG00001");
}

TEST(Ack, ErrorsBecomeErrSegments) {
  const Message m = parsed(oruMessage());
  core::Issues issues;
  Location at;
  at.segment = "OBX";
  at.occurrence = 2;
  at.field = 5;
  at.component = 1;
  issues.add(makeIssue(core::Severity::Error, core::IssueType::Value,
                       "'12,5' is not a number | use a point", at));
  at = Location{};
  at.segment = "OBR";
  at.field = 25;
  issues.add(makeIssue(core::Severity::Warning, core::IssueType::Required, "no status", at));
  issues.add(core::Severity::Information, core::IssueType::Informational, "left out");
  const std::vector<std::string> l = lines(buildAck(ackHeaderOf(m), AckCode::AE, issues, fixed()));
  ASSERT_EQ(l.size(), 4u);
  EXPECT_EQ(l[1], "MSA|AE|MSG00001|'12,5' is not a number \\F\\ use a point");
  EXPECT_EQ(l[2],
            "ERR||OBX^2^5^1^1|102^Data type error^HL70357|E||||'12,5' is not a number \\F\\ use a "
            "point");
  EXPECT_EQ(l[3], "ERR||OBR^1^25^1|101^Required field missing^HL70357|W||||no status");
}

TEST(Ack, OlderVersionsUseErr1) {
  const std::string text =
      segments({"MSH|^~\\&|LAB|TAIXIN|||20250312||ORU^R01|C9|P|2.4", "PID|1", "OBR|1"});
  core::Issues issues;
  Location at;
  at.segment = "OBR";
  at.field = 25;
  issues.add(makeIssue(core::Severity::Error, core::IssueType::Required, "no status", at));
  issues.add(core::Severity::Error, core::IssueType::Exception, "store down");
  const std::vector<std::string> l =
      lines(buildAck(ackHeaderOf(parsed(text)), AckCode::AE, issues, fixed()));
  ASSERT_EQ(l.size(), 4u);
  EXPECT_EQ(l[0],
            "MSH|^~\\&|TRIALBRIDGE|TB|LAB|TAIXIN|20250312083001+0000||ACK^R01^ACK|ACK0001|P|2.4");
  EXPECT_EQ(l[1], "MSA|AE|C9|no status");
  EXPECT_EQ(l[2], "ERR|OBR^1^25^101&Required field missing&HL70357");
  EXPECT_EQ(l[3], "ERR|^^^207&Application internal error&HL70357");
}

TEST(Ack, UsesTheMessagesDelimiters) {
  const std::string text = segments({"MSH!@*$%!LAB!TAIXIN!!!20250312!!ORU@R01!C1!P!2.5.1"});
  core::Issues issues;
  issues.add(core::Severity::Error, core::IssueType::Exception, "a!b");
  const std::vector<std::string> l =
      lines(buildAck(ackHeaderOf(parsed(text)), AckCode::AR, issues, fixed()));
  EXPECT_EQ(l[0].substr(0, 8), "MSH!@*$%");
  EXPECT_EQ(l[1], "MSA!AR!C1!a$F$b");
  EXPECT_EQ(l[2].substr(0, 9), "ERR!!!207");
}

TEST(Ack, Latin1MessageGetsALatin1Ack) {
  const std::string text =
      segments({"MSH|^~\\&|LAB|H\xD4PITAL|||20250312||ORU^R01|C\xC9|P|2.5.1||||||8859/1"});
  const std::string ack = buildAck(ackHeaderOf(parsed(text)), AckCode::AA, {}, fixed());
  EXPECT_NE(ack.find("|H\xD4PITAL|"), std::string::npos);
  EXPECT_NE(ack.find("MSA|AA|C\xC9"), std::string::npos);
  EXPECT_NE(ack.find("|8859/1"), std::string::npos);
}

TEST(Ack, ManyErrorsAreCapped) {
  core::Issues issues;
  for (int i = 0; i < 40; ++i) issues.add(core::Severity::Error, core::IssueType::Value, "x");
  AckOptions o = fixed();
  o.maxErrors = 5;
  const std::vector<std::string> l =
      lines(buildAck(ackHeaderOf(parsed(oruMessage())), AckCode::AE, issues, o));
  ASSERT_EQ(l.size(), 8u);  // MSH, MSA, 5 ERR, one saying how many more
  EXPECT_NE(l[7].find("35 more problems"), std::string::npos);
}

TEST(Ack, HeaderFromBytesThatDoNotParse) {
  // A header that reads, with segments after it that do not matter.
  AckHeader h = ackHeaderFromRaw("\x0BMSH|^~\\&|LAB|TAIXIN|||x||ORU^R01|C77|P|2.5\rgarbage\x1C\r");
  EXPECT_EQ(h.controlId, "C77");
  EXPECT_EQ(h.sendingApplication, "LAB");
  h = ackHeaderFromRaw("no header at all");
  EXPECT_EQ(h.controlId, "");
  EXPECT_EQ(h.encoding.field, '|');
  const std::string ack = buildAck(h, AckCode::AR, {}, fixed());
  EXPECT_EQ(lines(ack)[1], "MSA|AR|");
}

TEST(Ack, TimestampDefaultsToNow) {
  AckOptions o = fixed();
  o.timestamp.clear();
  const std::string ack = buildAck(ackHeaderOf(parsed(oruMessage())), AckCode::AA, {}, o);
  const std::string ts =
      lines(ack)[0].substr(std::string("MSH|^~\\&|TRIALBRIDGE|TB|LAB|TAIXIN|").size(), 19);
  EXPECT_EQ(ts.size(), 19u);
  EXPECT_EQ(ts.substr(14), "+0000");
  EXPECT_EQ(ts.substr(0, 2), "20");
}

}  // namespace
}  // namespace trialbridge::hl7v2
