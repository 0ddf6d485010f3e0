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

TEST(JsonString, EscapesWhatJsonRequires) {
  EXPECT_EQ(jsonString("a\"b\\c\n\t\x01é"), "\"a\\\"b\\\\c\\n\\t\\u0001é\"");
  EXPECT_EQ(jsonString(""), "\"\"");
}

}  // namespace
}  // namespace trialbridge::core
