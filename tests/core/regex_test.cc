// core::Regex: PCRE with bounded stack and steps, for patterns that arrive with the data.
#include "core/regex.h"

#include <gtest/gtest.h>

#include <string>

namespace trialbridge::core {
namespace {

std::unique_ptr<const Regex> compiled(const std::string& pattern, bool whole) {
  std::string error;
  auto re = Regex::compile(pattern, whole, error);
  EXPECT_NE(re, nullptr) << pattern << ": " << error;
  return re;
}

TEST(Regex, FindAndWholeMatch) {
  auto part = compiled("[0-9]{3}", false);
  auto whole = compiled("[0-9]{3}", true);
  EXPECT_TRUE(part->find("ab123cd"));
  EXPECT_FALSE(whole->find("ab123cd"));
  EXPECT_TRUE(whole->find("123"));
  EXPECT_FALSE(whole->find("123\n"));  // '$' is the very end, not before a final line end
  // An alternation: the whole match tries every branch.
  EXPECT_TRUE(compiled("a|ab", true)->find("ab"));
  // '.' matches line ends; UTF-8 characters count as one.
  EXPECT_TRUE(compiled("a.b", true)->find("a\nb"));
  EXPECT_TRUE(compiled("a.b", true)
                  ->find("a\xC3\xA9"
                         "b"));
}

TEST(Regex, GroupsAndOffsets) {
  auto re = compiled("([a-z]+)-(x)?([0-9]+)", false);
  std::vector<Regex::Span> g;
  ASSERT_TRUE(re->find("..abc-42..def-7", 0, &g));
  ASSERT_EQ(g.size(), 4u);
  EXPECT_EQ(g[0].offset, 2u);
  EXPECT_EQ(g[0].length, 6u);
  EXPECT_EQ(g[1].offset, 2u);
  EXPECT_EQ(g[2].offset, std::string::npos);  // the optional group took no part
  EXPECT_EQ(g[3].length, 2u);
  ASSERT_TRUE(re->find("..abc-42..def-7", 8, &g));
  EXPECT_EQ(g[0].offset, 10u);
  EXPECT_FALSE(re->find("..abc-42..def-7", 20, &g));
}

TEST(Regex, BadPatternsSayWhy) {
  std::string error;
  EXPECT_EQ(Regex::compile("(unclosed", false, error), nullptr);
  EXPECT_NE(error.find("offset"), std::string::npos) << error;
  EXPECT_EQ(Regex::compile(std::string("a\0b", 3), false, error), nullptr);
}

// The values that crashed std::regex and PCRE's interpreter (a recursion a character): the
// R4 ElementDefinition path invariant over two million characters, and a pattern that
// backtracks exponentially. Each is an answer or a RegexLimit, never a crash or a hang.
TEST(Regex, LongValuesAndBacktrackingAreBounded) {
  auto path = compiled(R"([A-Za-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*(\[x])?)*)", true);
  std::string value = "Patient";
  for (int i = 0; i < 50'000; ++i) value += ".a";
  EXPECT_TRUE(path->find(value));  // 100 kB: within the JIT's stack
  for (int i = 0; i < 950'000; ++i) value += ".a";
  EXPECT_THROW(path->find(value), RegexLimit);  // 2 MB: past it
  auto nested = compiled("(a+)+", true);
  EXPECT_THROW(nested->find(std::string(40, 'a') + "b"), RegexLimit);
  // A short value is still an ordinary answer.
  EXPECT_TRUE(path->find("Patient.name.given"));
  EXPECT_FALSE(path->find("Patient..name"));
}

TEST(Regex, InvalidUtf8IsAnError) {
  EXPECT_THROW(compiled("a", false)->find("\xFF"), std::invalid_argument);
}

}  // namespace
}  // namespace trialbridge::core
