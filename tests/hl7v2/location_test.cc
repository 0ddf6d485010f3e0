#include "hl7v2/location.h"

#include <gtest/gtest.h>

namespace trialbridge::hl7v2 {
namespace {

Location at(std::string segment, uint32_t occurrence, uint32_t field, uint32_t repetition = 1,
            uint32_t component = 0, uint32_t subcomponent = 0) {
  Location l;
  l.segment = std::move(segment);
  l.occurrence = occurrence;
  l.field = field;
  l.repetition = repetition;
  l.component = component;
  l.subcomponent = subcomponent;
  return l;
}

TEST(Location, FormatsInTheUsualNotation) {
  EXPECT_EQ(formatLocation(at("PID", 1, 3)), "PID-3");
  EXPECT_EQ(formatLocation(at("OBX", 2, 5, 1, 1)), "OBX[2]-5.1");
  EXPECT_EQ(formatLocation(at("PID", 1, 3, 2, 4, 2)), "PID-3[2].4.2");
  EXPECT_EQ(formatLocation(at("MSH", 1, 0)), "MSH");
  EXPECT_EQ(formatLocation(Location{}), "");
}

TEST(Location, ParsesWhatItFormats) {
  for (const Location& l : {at("PID", 1, 3), at("OBX", 12, 5, 1, 1), at("PID", 1, 3, 2, 4, 2),
                            at("ZPI", 1, 0), at("NTE", 3, 3, 7)}) {
    const std::optional<Location> back = parseLocation(formatLocation(l));
    ASSERT_TRUE(back) << formatLocation(l);
    EXPECT_EQ(*back, l) << formatLocation(l);
  }
}

TEST(Location, RejectsOtherText) {
  for (const char* bad : {"", "PI", "pid-3", "PID-", "PID-0", "PID-3.", "PID[0]-3", "PID-3[x]",
                          "PID-3.1.2.3", "Observation.code", "PID 3"}) {
    EXPECT_FALSE(parseLocation(bad)) << bad;
  }
}

TEST(Location, IssueCarriesSegmentNumberAndOffset) {
  Location l = at("OBX", 2, 5, 1, 1);
  l.segmentNumber = 9;
  l.offset = 811;
  const core::Issue i = makeIssue(core::Severity::Error, core::IssueType::Value, "bad", l);
  EXPECT_EQ(i.location, "OBX[2]-5.1");
  EXPECT_EQ(i.line, 9u);
  EXPECT_EQ(i.column, 812u);
}

TEST(ErrorCode, FollowsTheIssueTypeAndTheHeaderField) {
  const auto code = [](core::IssueType t, const char* location) {
    return errorCodeFor(core::Issue{core::Severity::Error, t, "x", location, 0, 0});
  };
  EXPECT_EQ(code(core::IssueType::Structure, "OBX"), ErrorCode::SegmentSequence);
  EXPECT_EQ(code(core::IssueType::Required, "OBR-25"), ErrorCode::RequiredFieldMissing);
  EXPECT_EQ(code(core::IssueType::Value, "OBX-5"), ErrorCode::DataType);
  EXPECT_EQ(code(core::IssueType::CodeInvalid, "OBX-11"), ErrorCode::TableValueNotFound);
  EXPECT_EQ(code(core::IssueType::TooLong, ""), ErrorCode::ValueTooLong);
  EXPECT_EQ(code(core::IssueType::NotSupported, "MSH-9.1"), ErrorCode::UnsupportedMessageType);
  EXPECT_EQ(code(core::IssueType::NotSupported, "MSH-9.2"), ErrorCode::UnsupportedEventCode);
  EXPECT_EQ(code(core::IssueType::NotSupported, "MSH-11.1"), ErrorCode::UnsupportedProcessingId);
  EXPECT_EQ(code(core::IssueType::NotSupported, "MSH-12.1"), ErrorCode::UnsupportedVersionId);
  EXPECT_EQ(code(core::IssueType::Exception, ""), ErrorCode::ApplicationInternalError);
  EXPECT_EQ(errorCodeText(ErrorCode::RequiredFieldMissing), "Required field missing");
}

}  // namespace
}  // namespace trialbridge::hl7v2
