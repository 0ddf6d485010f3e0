#include "hl7v2/mllp.h"

#include <gtest/gtest.h>

namespace trialbridge::hl7v2 {
namespace {

using Kind = MllpEvent::Kind;

std::vector<MllpEvent> decodeAll(MllpDecoder& d, std::string_view bytes, bool finish = true) {
  std::vector<MllpEvent> events;
  d.feed(bytes, events);
  if (finish) d.finish(events);
  return events;
}

TEST(Mllp, FramesAMessage) { EXPECT_EQ(mllpFrame("MSH|x\r"), std::string("\x0BMSH|x\r\x1C\r")); }

TEST(Mllp, DecodesFramesInOneChunk) {
  MllpDecoder d;
  const auto events = decodeAll(d, mllpFrame("A\r") + mllpFrame("B\r"));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::Frame);
  EXPECT_EQ(events[0].payload, "A\r");
  EXPECT_EQ(events[1].payload, "B\r");
  EXPECT_EQ(events[1].offset, 5u);
  EXPECT_FALSE(d.inFrame());
}

TEST(Mllp, AnyChunkingGivesTheSameFrames) {
  const std::string stream = "junk" + mllpFrame("MSH|first\r") + "\r\n" + mllpFrame("MSH|2nd\r");
  for (size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    MllpDecoder d;
    std::vector<MllpEvent> events;
    for (size_t pos = 0; pos < stream.size(); pos += chunk) {
      d.feed(std::string_view(stream).substr(pos, chunk), events);
    }
    d.finish(events);
    std::vector<std::string> frames;
    size_t junk = 0;
    for (const MllpEvent& e : events) {
      if (e.isFrame()) frames.push_back(e.payload);
      if (e.kind == Kind::Junk) junk += e.size;
    }
    ASSERT_EQ(frames.size(), 2u) << chunk;
    EXPECT_EQ(frames[0], "MSH|first\r");
    EXPECT_EQ(frames[1], "MSH|2nd\r");
    EXPECT_EQ(junk, 6u) << chunk;
  }
}

TEST(Mllp, BytesBetweenFramesAreIgnoredAndReported) {
  MllpDecoder d;
  const auto events = decodeAll(d, "hello" + mllpFrame("A"));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::Junk);
  EXPECT_EQ(events[0].size, 5u);
  EXPECT_EQ(events[0].offset, 0u);
  EXPECT_EQ(events[1].payload, "A");
}

TEST(Mllp, StartByteInsideAFrameCutsIt) {
  MllpDecoder d;
  const auto events = decodeAll(d, std::string("\x0BMSH|cut") + mllpFrame("MSH|whole"));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::Unterminated);
  EXPECT_EQ(events[0].size, 7u);
  EXPECT_TRUE(events[0].payload.empty());
  EXPECT_EQ(events[1].kind, Kind::Frame);
  EXPECT_EQ(events[1].payload, "MSH|whole");
  EXPECT_EQ(events[1].offset, 8u);
}

TEST(Mllp, FrameWithoutEndBytesAtTheEndOfTheStream) {
  MllpDecoder d;
  std::vector<MllpEvent> events;
  d.feed("\x0BMSH|never ends", events);
  EXPECT_TRUE(events.empty());
  EXPECT_TRUE(d.inFrame());
  d.finish(events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::Unterminated);
  EXPECT_FALSE(d.inFrame());
}

TEST(Mllp, EndWithoutCarriageReturn) {
  MllpDecoder d;
  const auto events = decodeAll(d, std::string("\x0B"
                                               "A\x1C\x0B"
                                               "B\x1C\r"));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::MissingCarriageReturn);
  EXPECT_EQ(events[0].payload, "A");
  EXPECT_TRUE(events[0].isFrame());
  EXPECT_EQ(events[1].kind, Kind::Frame);
  EXPECT_EQ(events[1].payload, "B");
  // At the end of the stream too.
  MllpDecoder d2;
  const auto last = decodeAll(d2, std::string("\x0B"
                                              "C\x1C"));
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].kind, Kind::MissingCarriageReturn);
}

TEST(Mllp, OversizedFrameIsDroppedAndTheNextOneRead) {
  MllpDecoder d(10);
  std::vector<MllpEvent> events;
  const std::string big = mllpFrame(std::string(25, 'x'));
  // In pieces, so the limit is passed in the middle of a chunk.
  for (size_t pos = 0; pos < big.size(); pos += 7)
    d.feed(std::string_view(big).substr(pos, 7), events);
  d.feed(mllpFrame("0123456789"), events);
  d.finish(events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::Oversized);
  EXPECT_EQ(events[0].size, 10u);
  EXPECT_EQ(events[1].kind, Kind::Frame);
  EXPECT_EQ(events[1].payload, "0123456789");
}

TEST(Mllp, OversizedFrameFollowedByAStartByte) {
  MllpDecoder d(4);
  const auto events = decodeAll(d, std::string("\x0Btoo long\x0B") + "ok\x1C\r");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::Oversized);
  EXPECT_EQ(events[1].payload, "ok");
}

TEST(Mllp, CountsBytes) {
  MllpDecoder d;
  std::vector<MllpEvent> events;
  d.feed("abc", events);
  d.feed("de", events);
  EXPECT_EQ(d.bytesSeen(), 5u);
}

}  // namespace
}  // namespace trialbridge::hl7v2
