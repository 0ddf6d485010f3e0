#include "core/text.h"

#include <gtest/gtest.h>

namespace trialbridge::core {
namespace {

TEST(Base64, RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 70; ++n) {
    EXPECT_EQ(base64Decode(base64Encode(bytes)), bytes) << n;
    EXPECT_EQ(base64Decode(base64Encode(bytes, true)), bytes) << n;
    bytes += static_cast<char>(n * 37 + 250);
  }
}

TEST(Base64, KnownValuesAndAlphabets) {
  EXPECT_EQ(base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64Encode("\xfb\xff", true), "-_8");
  EXPECT_EQ(base64Encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(base64Decode("Zm9v\nYmFy"), "foobar");
  EXPECT_EQ(base64Decode("-_8"), "\xfb\xff");
  EXPECT_EQ(base64Decode("Zm9vY"), std::nullopt);     // a lone 6-bit symbol
  EXPECT_EQ(base64Decode("Zm9v!"), std::nullopt);     // outside the alphabets
  EXPECT_EQ(base64Decode("Zg==Zg=="), std::nullopt);  // data after padding
}

TEST(Base64, UrlSafeWithPadding) {
  EXPECT_EQ(base64UrlEncodePadded("\xfb\xff"), "-_8=");
  EXPECT_EQ(base64UrlEncodePadded("f"), "Zg==");
  EXPECT_EQ(base64UrlEncodePadded("foo"), "Zm9v");
  EXPECT_EQ(base64UrlEncodePadded(""), "");
  EXPECT_EQ(base64Decode(base64UrlEncodePadded("\xfb\xff\x01")), "\xfb\xff\x01");
}

TEST(Hex, EncodesAndDecodes) {
  EXPECT_EQ(hexEncode(""), "");
  EXPECT_EQ(hexEncode("\x01\xab\xff t"), "01abff2074");
  EXPECT_EQ(hexDecode("01abff2074"), "\x01\xab\xff t");
  EXPECT_EQ(hexDecode("01ABFF"), "\x01\xab\xff");
  EXPECT_EQ(hexDecode(""), "");
  EXPECT_EQ(hexDecode("abc"), std::nullopt);  // odd length
  EXPECT_EQ(hexDecode("0g"), std::nullopt);   // not a hex digit
  EXPECT_EQ(hexDecode("+1"), std::nullopt);   // a sign is not a digit
  std::string bytes;
  for (int n = 0; n < 256; ++n) bytes += static_cast<char>(n);
  EXPECT_EQ(hexDecode(hexEncode(bytes)), bytes);
}

TEST(AsciiLower, OnlyAToZChange) {
  EXPECT_EQ(asciiLower("Application/FHIR+JSON; Charset=UTF-8"),
            "application/fhir+json; charset=utf-8");
  EXPECT_EQ(asciiLower("\xC3\x89T\xC3\x89"), "\xC3\x89t\xC3\x89");  // UTF-8 bytes kept
  EXPECT_EQ(asciiLower(""), "");
}

TEST(Utf8, EncodesEveryLength) {
  auto utf8 = [](uint32_t cp) {
    std::string out;
    appendUtf8(out, cp);
    return out;
  };
  EXPECT_EQ(utf8(0x41), "A");
  EXPECT_EQ(utf8(0xE9), "\xc3\xa9");             // é
  EXPECT_EQ(utf8(0x20AC), "\xe2\x82\xac");       // €
  EXPECT_EQ(utf8(0x1F600), "\xf0\x9f\x98\x80");  // 😀
  EXPECT_EQ(utf8(0x10FFFF), "\xf4\x8f\xbf\xbf");
  EXPECT_EQ(utf8(0x110000), "\xef\xbf\xbd");  // beyond Unicode: U+FFFD
}

TEST(JsonString, EscapesWhatJsonRequires) {
  EXPECT_EQ(jsonString("a\"b\\c\n\t\x01é"), "\"a\\\"b\\\\c\\n\\t\\u0001é\"");
  EXPECT_EQ(jsonString(""), "\"\"");
}

TEST(JsonString, EscapedWithoutQuotes) {
  std::string out = "x";
  appendJsonEscaped(out, "a\"b\\\b\f\r\x1f");
  EXPECT_EQ(out, "xa\\\"b\\\\\\b\\f\\r\\u001f");
  std::string literal;
  appendJsonString(literal, "a\"b");
  EXPECT_EQ(literal, "\"a\\\"b\"");
}

TEST(Sentences, AFullStopIsNeverDoubled) {
  std::string s;
  appendSentence(s, "First");
  EXPECT_EQ(s, "First");
  appendSentence(s, "Second.");
  EXPECT_EQ(s, "First. Second.");
  appendSentence(s, "Third");
  EXPECT_EQ(s, "First. Second. Third");
  endSentence(s);
  EXPECT_EQ(s, "First. Second. Third.");
  endSentence(s);
  EXPECT_EQ(s, "First. Second. Third.");
  std::string q = "Is it? ";
  appendSentence(q, "Yes");
  EXPECT_EQ(q, "Is it? Yes");
  std::string e;
  appendSentence(e, "");
  endSentence(e);
  EXPECT_EQ(e, "");
}

}  // namespace
}  // namespace trialbridge::core
