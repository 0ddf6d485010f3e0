#include "mapping/detail/json_input.h"

#include <gtest/gtest.h>

namespace trialbridge::mapping::detail {
namespace {

TEST(JsonInput, PathsAreJsonPath) {
  EXPECT_EQ(JsonInput::memberPath("$", "arms"), "$.arms");
  EXPECT_EQ(JsonInput::itemPath("$.arms", 2), "$.arms[2]");
  EXPECT_EQ(JsonInput::memberPath("$", "$schema"), "$.$schema");
  EXPECT_EQ(JsonInput::memberPath("$", "a b"), "$['a b']");
  EXPECT_EQ(JsonInput::memberPath("$", "it's"), "$['it\\'s']");
  EXPECT_EQ(JsonInput::memberPath("$", "1st"), "$['1st']");
}

TEST(JsonInput, LocatesMembersAndItems) {
  JsonInput in;
  core::Issues issues;
  ASSERT_TRUE(in.parse("{\n  \"a\": [1, {\"b\": \"x\\\"y\"}],\n  \"c\": 0.30\n}", issues));
  uint32_t line = 0, column = 0;
  in.locate("$.a", line, column);
  EXPECT_EQ(line, 2u);
  EXPECT_EQ(column, 3u);
  in.locate("$.a[1].b", line, column);
  EXPECT_EQ(line, 2u);
  EXPECT_EQ(column, 13u);
  in.locate("$.a[0]", line, column);
  EXPECT_EQ(column, 9u);
  in.locate("$.c", line, column);
  EXPECT_EQ(line, 3u);
  // A path that does not exist: its nearest ancestor.
  in.locate("$.a[1].zz", line, column);
  EXPECT_EQ(line, 2u);
  EXPECT_EQ(column, 12u);
  EXPECT_EQ(in.numberText("$.c"), "0.30");
  EXPECT_EQ(in.numberText("$.a[0]"), "1");
  EXPECT_EQ(in.numberText("$.a"), "");
}

TEST(JsonInput, Limits) {
  JsonInput in;
  core::Issues issues;
  EXPECT_FALSE(in.parse(std::string(200, '[') + std::string(200, ']'), issues));
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_NE(issues.items()[0].message.find("nested deeper"), std::string::npos);
  core::Issues more;
  EXPECT_FALSE(in.parse(std::string(JsonInput::kMaxBytes + 1, ' '), more));
  EXPECT_EQ(more.items()[0].code, core::IssueType::TooLong);
}

TEST(JsonInput, ByteOrderMark) {
  JsonInput in;
  core::Issues issues;
  ASSERT_TRUE(in.parse("\xEF\xBB\xBF{\"a\": 1}", issues));
  uint32_t line = 0, column = 0;
  in.locate("$.a", line, column);
  EXPECT_EQ(column, 5u);
}

TEST(JsonInput, TrailingText) {
  JsonInput in;
  core::Issues issues;
  EXPECT_FALSE(in.parse("{}\n{}", issues));
  EXPECT_EQ(issues.items()[0].line, 2u);
}

TEST(JsonInput, NumbersTooBig) {
  JsonInput in;
  core::Issues issues;
  EXPECT_FALSE(in.parse("{\"a\": 1e999}", issues));
  EXPECT_NE(issues.items()[0].message.find("malformed JSON"), std::string::npos);
}

TEST(JsonInput, EmbeddedNulAndBadUtf8AreErrors) {
  JsonInput in;
  core::Issues issues;
  EXPECT_FALSE(in.parse(std::string("{\"a\": \"x\0y\"}", 12), issues));
  // Text that is not UTF-8 would otherwise flow into the FHIR resources made from the file.
  core::Issues more;
  EXPECT_FALSE(in.parse("{\"a\": \"\xff\xfe\"}", more));
  ASSERT_FALSE(more.items().empty());
  EXPECT_NE(more.items()[0].message.find("encoding"), std::string::npos) << more.items()[0].message;
  EXPECT_EQ(more.items()[0].column, 8u);
}

}  // namespace
}  // namespace trialbridge::mapping::detail
