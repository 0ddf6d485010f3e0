#include "validation/primitives.h"

#include <gtest/gtest.h>

namespace trialbridge::validation {
namespace {

bool ok(std::string_view type, std::string_view value) {
  std::string why;
  return checkPrimitive(type, value, why);
}

TEST(Primitives, Dates) {
  EXPECT_TRUE(ok("date", "2024"));
  EXPECT_TRUE(ok("date", "2024-02"));
  EXPECT_TRUE(ok("date", "2024-02-29"));
  EXPECT_FALSE(ok("date", "2023-02-29"));  // not a leap year
  EXPECT_FALSE(ok("date", "2024-13-01"));
  EXPECT_FALSE(ok("date", "2024-1-01"));
  EXPECT_FALSE(ok("date", "2024-01-01T10:00:00Z"));
  EXPECT_TRUE(ok("dateTime", "2024-01-01T10:00:00Z"));
  EXPECT_TRUE(ok("dateTime", "2024-01-01T10:00:00.123+05:30"));
  EXPECT_FALSE(ok("dateTime", "2024-01-01T10:00:00"));  // a time needs a zone
  EXPECT_FALSE(ok("dateTime", "2024-01-01T25:00:00Z"));
  EXPECT_FALSE(ok("instant", "2024-01-01"));
  EXPECT_TRUE(ok("instant", "2024-01-01T00:00:00Z"));
  EXPECT_TRUE(ok("time", "23:59:60"));
  EXPECT_FALSE(ok("time", "24:00:00"));
}

TEST(Primitives, Numbers) {
  EXPECT_TRUE(ok("integer", "-2147483648"));
  EXPECT_FALSE(ok("integer", "2147483648"));
  EXPECT_FALSE(ok("integer", "01"));
  EXPECT_FALSE(ok("integer", "1.0"));
  EXPECT_TRUE(ok("positiveInt", "1"));
  EXPECT_FALSE(ok("positiveInt", "0"));
  EXPECT_TRUE(ok("unsignedInt", "0"));
  EXPECT_FALSE(ok("unsignedInt", "-1"));
  EXPECT_TRUE(ok("decimal", "1.50"));
  EXPECT_TRUE(ok("decimal", "-0.5e10"));
  EXPECT_FALSE(ok("decimal", "1."));
  EXPECT_FALSE(ok("decimal", "+1"));
}

TEST(Primitives, StringsAndCodes) {
  EXPECT_TRUE(ok("code", "final"));
  EXPECT_TRUE(ok("code", "a b"));
  EXPECT_FALSE(ok("code", " final"));
  EXPECT_FALSE(ok("code", "a  b"));
  EXPECT_FALSE(ok("string", std::string("a\x01z")));
  EXPECT_TRUE(ok("string", "tab\tok"));
  EXPECT_FALSE(ok("string", std::string(kMaxStringBytes + 1, 'x')));
  EXPECT_TRUE(ok("id", "a-b.C1"));
  EXPECT_FALSE(ok("id", "a_b"));
  EXPECT_FALSE(ok("id", std::string(65, 'a')));
  EXPECT_FALSE(ok("uri", "a b"));
  EXPECT_TRUE(ok("oid", "urn:oid:1.2.840.10008"));
  EXPECT_FALSE(ok("oid", "urn:oid:X.Y.Z"));
  EXPECT_TRUE(ok("uuid", "urn:uuid:c757873d-ec9a-4326-a141-556f43239520"));
  EXPECT_FALSE(ok("uuid", "urn:uuid:c757873d"));
  EXPECT_FALSE(ok("uuid", "urn:uuid:C757873D-EC9A-4326-A141-556F43239520"));  // lower case only
  EXPECT_FALSE(ok("uri", "urn:uuid:C757873D-EC9A-4326-A141-556F43239520"));
  EXPECT_TRUE(ok("base64Binary", "aGVsbG8="));
  EXPECT_FALSE(ok("base64Binary", "%%%2@()()"));
  EXPECT_TRUE(ok("boolean", "true"));
  EXPECT_FALSE(ok("boolean", "True"));
}

TEST(Primitives, ResourceIdsSayWhy) {
  std::string why;
  EXPECT_FALSE(checkResourceId("bad-id_1", why));
  EXPECT_EQ(why, "Invalid Characters ('bad-id_1')");
  EXPECT_FALSE(checkResourceId(std::string(70, 'a'), why));
  EXPECT_EQ(why, "Too long (70 chars)");
}

TEST(Primitives, Compare) {
  EXPECT_EQ(comparePrimitive("integer", "5", "10"), -1);
  EXPECT_EQ(comparePrimitive("decimal", "1.50", "1.5"), 0);
  EXPECT_EQ(comparePrimitive("date", "2024-01-02", "2024-01-01"), 1);
  EXPECT_EQ(codePoints("h\xc3\xa9llo"), 5u);
}

}  // namespace
}  // namespace trialbridge::validation
