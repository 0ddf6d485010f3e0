#include "hl7v2/encoding.h"

#include <gtest/gtest.h>

namespace trialbridge::hl7v2 {
namespace {

TEST(Charset, KnowsTheNamesOfMsh18) {
  EXPECT_EQ(charsetByName(""), Charset::Ascii);
  EXPECT_EQ(charsetByName("ASCII"), Charset::Ascii);
  EXPECT_EQ(charsetByName("ISO IR6"), Charset::Ascii);
  EXPECT_EQ(charsetByName("UNICODE UTF-8"), Charset::Utf8);
  EXPECT_EQ(charsetByName(" unicode utf-8 "), Charset::Utf8);
  EXPECT_EQ(charsetByName("8859/1"), Charset::Latin1);
  EXPECT_EQ(charsetByName("ISO IR100"), Charset::Latin1);
  for (const char* other : {"UNICODE UTF-16", "8859/2", "GB 18030-2000", "UNICODE", "UTF8"}) {
    EXPECT_FALSE(charsetByName(other)) << other;
  }
}

TEST(Encoding, WritesItsEncodingCharacters) {
  Encoding e;
  EXPECT_EQ(e.encodingCharacters(), "^~\\&");
  e.truncation = '#';
  EXPECT_EQ(e.encodingCharacters(), "^~\\&#");
  EXPECT_TRUE(e.isDelimiter('#'));
  EXPECT_FALSE(e.isDelimiter('a'));
}

TEST(Utf8, FindsTheFirstIllFormedByte) {
  EXPECT_EQ(findInvalidUtf8("plain"), std::string::npos);
  EXPECT_EQ(findInvalidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), std::string::npos);
  EXPECT_EQ(findInvalidUtf8("caf\xE9"), 3u);            // ISO 8859-1 e acute
  EXPECT_EQ(findInvalidUtf8("x\xC0\xAF"), 1u);          // overlong '/'
  EXPECT_EQ(findInvalidUtf8("x\xED\xA0\x80"), 1u);      // a surrogate
  EXPECT_EQ(findInvalidUtf8("x\xF4\x90\x80\x80"), 1u);  // above U+10FFFF
  EXPECT_EQ(findInvalidUtf8("ab\xE2\x82"), 2u);         // cut short
}

TEST(Utf8, RepairReplacesEachBadByte) {
  EXPECT_EQ(repairUtf8("caf\xE9!"), "caf\xEF\xBF\xBD!");
  EXPECT_EQ(repairUtf8("ok \xC3\xA9"), "ok \xC3\xA9");
}

TEST(Latin1, BecomesUtf8) {
  EXPECT_EQ(latin1ToUtf8("M\xFCller \xE9t\xE9 \xA7"), "M\xC3\xBCller \xC3\xA9t\xC3\xA9 \xC2\xA7");
  EXPECT_EQ(latin1ToUtf8("ascii"), "ascii");
}

}  // namespace
}  // namespace trialbridge::hl7v2
