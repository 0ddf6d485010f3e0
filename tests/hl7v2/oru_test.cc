#include "hl7v2/oru.h"

#include <gtest/gtest.h>

#include "test_messages.h"

namespace trialbridge::hl7v2::oru {
namespace {

using test::oruMessage;
using test::segments;

const std::string kMsh = "MSH|^~\\&|LAB|TAIXIN|||20250312||ORU^R01^ORU_R01|C1|P|2.5.1";

struct Read {
  std::optional<Message> message;
  std::optional<Structure> structure;
  core::Issues issues;
};

// The structure holds Segments of the message: both live in one object.
std::unique_ptr<Read> read(std::string text) {
  auto r = std::make_unique<Read>();
  r->message = parseMessage(std::move(text), r->issues);
  if (!r->message) throw std::runtime_error("did not parse");
  r->structure = readOru(*r->message, r->issues);
  return r;
}

std::unique_ptr<Read> readLines(std::initializer_list<std::string> lines) {
  std::string text = kMsh + "\r";
  for (const std::string& l : lines) text += l + "\r";
  return read(text);
}

bool hasIssue(const core::Issues& issues, core::Severity severity, std::string_view location,
              std::string_view words = {}) {
  for (const core::Issue& i : issues.items()) {
    if (i.severity == severity && i.location == location &&
        i.message.find(words) != std::string::npos)
      return true;
  }
  return false;
}

TEST(Oru, Groups) {
  std::string text = oruMessage();
  text +=
      "ORC|RE|ORD2\rOBR|2|ORD2||1742-6^ALT^LN\rNTE|1||order "
      "note\rTQ1|1\rOBX|1|NM|1742-6^ALT^LN||22|U/L\r";
  const auto r = read(text);
  ASSERT_TRUE(r->structure) << r->issues.size();
  EXPECT_TRUE(r->issues.empty()) << r->issues.items()[0].message;
  ASSERT_EQ(r->structure->results.size(), 1u);
  const PatientResult& p = r->structure->results[0];
  ASSERT_TRUE(p.pid);
  ASSERT_TRUE(p.pv1);
  ASSERT_EQ(p.orders.size(), 2u);
  const Order& o1 = p.orders[0];
  ASSERT_TRUE(o1.orc);
  EXPECT_EQ(o1.obr.field(3).text(), "FIL1");
  ASSERT_EQ(o1.observations.size(), 2u);
  EXPECT_EQ(o1.observations[0].notes.size(), 1u);
  EXPECT_EQ(o1.observations[1].obx.field(5).text(), "128");
  ASSERT_EQ(o1.specimens.size(), 1u);
  const Order& o2 = p.orders[1];
  EXPECT_EQ(o2.notes.size(), 1u);
  EXPECT_EQ(o2.timings.size(), 1u);
  EXPECT_EQ(o2.observations.size(), 1u);
}

TEST(Oru, OrderWithoutOrcAndSpecimenObservations) {
  const auto r = readLines({"PID|1||X", "OBR|1||F1|X^Y^L", "SPM|1|S1||BLD", "OBX|1|NM|A^B^L||1",
                            "NTE|1||about the specimen result"});
  ASSERT_TRUE(r->structure);
  EXPECT_TRUE(r->issues.empty());
  const Order& o = r->structure->results[0].orders[0];
  EXPECT_FALSE(o.orc);
  EXPECT_TRUE(o.observations.empty());
  ASSERT_EQ(o.specimens[0].observations.size(), 1u);
  EXPECT_EQ(o.specimens[0].observations[0].notes.size(), 1u);
}

TEST(Oru, SeveralPatientsAndPatientObservations) {
  const auto r = readLines({"PID|1||A", "NTE|1||patient note", "OBX|1|ST|X^Y^L||patient level",
                            "PV1|1|O", "OBR|1||F1|X^Y^L", "OBX|1|NM|A^B^L||1", "PID|2||B",
                            "OBR|1||F2|X^Y^L", "OBX|1|NM|A^B^L||2"});
  ASSERT_TRUE(r->structure);
  EXPECT_TRUE(r->issues.empty());
  ASSERT_EQ(r->structure->results.size(), 2u);
  EXPECT_EQ(r->structure->results[0].notes.size(), 1u);
  EXPECT_EQ(r->structure->results[0].observations.size(), 1u);
  EXPECT_EQ(r->structure->results[1].pid->field(3).text(), "B");
  EXPECT_EQ(r->structure->results[1].orders[0].observations[0].obx.field(5).text(), "2");
}

TEST(Oru, NoPatientGroupIsAllowed) {
  const auto r = readLines({"OBR|1||F1|X^Y^L", "OBX|1|NM|A^B^L||1"});
  ASSERT_TRUE(r->structure);
  EXPECT_TRUE(r->issues.empty());
  EXPECT_FALSE(r->structure->results[0].pid);
}

TEST(Oru, ZSegmentsAnywhereAndOtherSegmentsPassedOver) {
  const auto r = readLines({"SFT|Vendor", "ZAA|1", "PID|1||A", "PD1|", "NK1|1|Mum", "ZBB|2",
                            "PV1|1|O", "PV2|", "ORC|RE", "PRT|1", "OBR|1||F1|X^Y^L", "CTD|1",
                            "OBX|1|NM|A^B^L||1", "PRT|1", "ZCC|3", "FT1|1", "CTI|1", "DSC|1"});
  ASSERT_TRUE(r->structure);
  EXPECT_TRUE(r->issues.empty()) << r->issues.items()[0].location << r->issues.items()[0].message;
  EXPECT_EQ(r->structure->zSegments.size(), 3u);
}

TEST(Oru, UnknownSegmentsAreWarnings) {
  const auto r = readLines({"PID|1||A", "EVN|R01", "OBR|1||F1|X^Y^L", "OBX|1|NM|A^B^L||1"});
  ASSERT_TRUE(r->structure);
  EXPECT_TRUE(hasIssue(r->issues, core::Severity::Warning, "EVN", "not part of ORU^R01"));
}

TEST(Oru, SequenceErrors) {
  const std::vector<std::pair<std::vector<std::string>, const char*>> cases = {
      {{"OBX|1|NM|A^B^L||1", "OBR|1||F|X^Y^L"}, "OBX"},
      {{"PID|1", "ORC|RE", "OBX|1|NM|A^B^L||1", "OBR|1||F|X^Y^L"}, "OBX"},
      {{"PID|1", "ORC|RE", "ORC|RE", "OBR|1||F|X^Y^L"}, "ORC"},
      {{"PID|1", "OBR|1||F|X^Y^L", "PV1|1"}, "PV1"},
      {{"PID|1", "PV1|1", "PV1|2", "OBR|1||F|X^Y^L"}, "PV1[2]"},
      {{"PID|1", "SPM|1", "OBR|1||F|X^Y^L"}, "SPM"},
      {{"NTE|1", "OBR|1||F|X^Y^L"}, "NTE"},
      {{"PID|1", "OBR|1||F|X^Y^L", "SFT|x"}, "SFT"},
      {{"PID|1", "OBR|1||F|X^Y^L", "DSC|1", "OBX|1|NM|A^B^L||1"}, "DSC"},
      {{"PID|1", "OBR|1||F|X^Y^L", "ORC|RE"}, "ORC"},
  };
  for (const auto& [lines, location] : cases) {
    std::string text = kMsh + "\r";
    for (const std::string& l : lines) text += l + "\r";
    const auto r = read(text);
    EXPECT_TRUE(r->structure);
    EXPECT_TRUE(hasIssue(r->issues, core::Severity::Error, location, "not allowed here"))
        << location;
    EXPECT_EQ(r->issues.items()[0].code, core::IssueType::Structure);
  }
}

TEST(Oru, AtLeastOneObr) {
  const auto r = readLines({"PID|1"});
  ASSERT_TRUE(r->structure);
  EXPECT_TRUE(hasIssue(r->issues, core::Severity::Error, "MSH", "at least one OBR"));
}

std::unique_ptr<Read> withHeader(const std::string& msh) {
  return read(msh + "\rPID|1\rOBR|1||F|X^Y^L\r");
}

TEST(OruHeader, MessageTypeAndEvent) {
  auto r = withHeader("MSH|^~\\&|A||||20250312||ADT^A01|C1|P|2.5.1");
  EXPECT_FALSE(r->structure);
  EXPECT_TRUE(hasIssue(r->issues, core::Severity::Error, "MSH-9.1", "unsupported message type"));
  EXPECT_EQ(errorCodeFor(r->issues.items()[0]), ErrorCode::UnsupportedMessageType);
  r = withHeader("MSH|^~\\&|A||||20250312||ORU^R30|C1|P|2.5.1");
  EXPECT_FALSE(r->structure);
  EXPECT_EQ(errorCodeFor(r->issues.items()[0]), ErrorCode::UnsupportedEventCode);
  r = withHeader("MSH|^~\\&|A||||20250312||ORU^R01^ORU_R30|C1|P|2.5.1");
  EXPECT_TRUE(r->structure);
  EXPECT_TRUE(hasIssue(r->issues, core::Severity::Warning, "MSH-9.3"));
}

TEST(OruHeader, ProcessingId) {
  for (const char* p : {"P", "T", "D", "P^T"}) {
    auto r = withHeader(std::string("MSH|^~\\&|A||||20250312||ORU^R01|C1|") + p + "|2.5.1");
    EXPECT_TRUE(r->structure) << p;
    EXPECT_TRUE(r->issues.empty()) << p;
  }
  auto r = withHeader("MSH|^~\\&|A||||20250312||ORU^R01|C1|X|2.5.1");
  EXPECT_FALSE(r->structure);
  EXPECT_EQ(errorCodeFor(r->issues.items()[0]), ErrorCode::UnsupportedProcessingId);
  r = withHeader("MSH|^~\\&|A||||20250312||ORU^R01|C1||2.5.1");
  EXPECT_TRUE(hasIssue(r->issues, core::Severity::Error, "MSH-11"));
}

TEST(OruHeader, Versions) {
  for (const char* v :
       {"2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.7.1", "2.8", "2.8.1", "2.8.2"}) {
    auto r = withHeader(std::string("MSH|^~\\&|A||||20250312||ORU^R01|C1|P|") + v);
    EXPECT_TRUE(r->structure) << v;
    EXPECT_TRUE(r->issues.empty()) << v;
  }
  auto r = withHeader("MSH|^~\\&|A||||20250312||ORU^R01|C1|P|2.9");
  EXPECT_TRUE(r->structure);
  EXPECT_TRUE(hasIssue(r->issues, core::Severity::Warning, "MSH-12.1", "read as 2.8.2"));
  for (const char* v : {"2.2", "2.1", "3.0x", "two"}) {
    r = withHeader(std::string("MSH|^~\\&|A||||20250312||ORU^R01|C1|P|") + v);
    EXPECT_FALSE(r->structure) << v;
    EXPECT_EQ(errorCodeFor(r->issues.items()[0]), ErrorCode::UnsupportedVersionId) << v;
  }
  r = withHeader("MSH|^~\\&|A||||20250312||ORU^R01|C1|P|");
  EXPECT_TRUE(hasIssue(r->issues, core::Severity::Error, "MSH-12", "required"));
  EXPECT_TRUE(isSupportedVersion("2.5.1"));
  EXPECT_FALSE(isSupportedVersion("2.5."));
}

TEST(OruHeader, ControlIdIsRequired) {
  auto r = withHeader("MSH|^~\\&|A||||20250312||ORU^R01||P|2.5.1");
  EXPECT_TRUE(r->structure);
  EXPECT_TRUE(hasIssue(r->issues, core::Severity::Error, "MSH-10", "required"));
  EXPECT_EQ(errorCodeFor(r->issues.items()[0]), ErrorCode::RequiredFieldMissing);
}

}  // namespace
}  // namespace trialbridge::hl7v2::oru
