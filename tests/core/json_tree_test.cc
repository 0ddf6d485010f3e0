// core/json_tree.h: the tolerant JSON parser under the FHIR JSON reader.
#include "core/json_tree.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace trialbridge::core::json {
namespace {

struct Parsed {
  std::pmr::monotonic_buffer_resource arena;
  std::string text;
  Tree tree;
};

std::unique_ptr<Parsed> parse(std::string text, TreeOptions options = {}) {
  auto p = std::make_unique<Parsed>();
  p->text = std::move(text);
  p->tree = parseTree(p->text, p->arena, options);
  return p;
}

// "line:column message" for each recovered error.
std::vector<std::string> errors(const Tree& t) {
  std::vector<std::string> out;
  for (const SyntaxError& e : t.errors) {
    out.push_back(std::to_string(e.line) + ":" + std::to_string(e.column) + " " + e.message);
  }
  return out;
}

const Node* member(const Node& obj, std::string_view key) {
  for (const Node* m = obj.first; m != nullptr; m = m->next) {
    if (m->key == key) return m;
  }
  return nullptr;
}

TEST(JsonTree, ValidJsonHasValuesKeysAndPositions) {
  auto p = parse("{\"a\": [1, -2.50e+3, true, false, null],\n  \"b\": {\"c\": \"x\\u00e9\\n\"}}");
  ASSERT_FALSE(p->tree.fatal) << p->tree.fatal->message;
  EXPECT_TRUE(p->tree.errors.empty());
  const Node* root = p->tree.root;
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->kind, Kind::Object);
  EXPECT_EQ(root->count, 2u);
  const Node* a = member(*root, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->kind, Kind::Array);
  EXPECT_EQ(a->count, 5u);
  EXPECT_EQ(a->first->text, "1");
  EXPECT_EQ(a->first->next->text, "-2.50e+3");  // numbers keep their text
  EXPECT_EQ(a->first->next->next->kind, Kind::True);
  EXPECT_EQ(a->last->kind, Kind::Null);
  const Node* c = member(*member(*root, "b"), "c");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->text, "x\xC3\xA9\n");
  EXPECT_EQ(c->keyLine, 2u);
  EXPECT_EQ(c->keyColumn, 9u);
  EXPECT_EQ(c->line, 2u);
  EXPECT_EQ(c->column, 14u);
}

// Strings are scanned eight bytes at a time: every special byte is found wherever it falls.
TEST(JsonTree, LongStringsWithEscapesAndUtf8AtEveryOffset) {
  for (size_t pad = 0; pad < 20; ++pad) {
    const std::string head(pad, 'a');
    for (const auto& [raw, want] : std::vector<std::pair<std::string, std::string>>{
             {"x\\\"y", "x\"y"},
             {"\\n tail text here", "\n tail text here"},
             {"caf\xC3\xA9 au lait, longer than eight", "caf\xC3\xA9 au lait, longer than eight"},
             {"no specials in this one at all", "no specials in this one at all"}}) {
      auto p = parse("[\"" + head + raw + "\"]");
      ASSERT_FALSE(p->tree.fatal) << pad << " " << raw << ": " << p->tree.fatal->message;
      EXPECT_EQ(p->tree.root->first->text, head + want) << pad;
    }
    auto bad = parse("[\"" + head + "ab" + std::string(1, 0x01) + "cd efgh ijkl\"]");
    ASSERT_TRUE(bad->tree.fatal) << pad;
    EXPECT_EQ(bad->tree.fatal->column, 3 + pad + 2) << pad;
  }
}

TEST(JsonTree, SurrogatePairsBecomeOneCharacter) {
  auto p = parse(R"(["\ud83d\ude00"])");
  ASSERT_FALSE(p->tree.fatal);
  EXPECT_EQ(p->tree.root->first->text, "\xF0\x9F\x98\x80");
}

// Each recoverable error is reported where it is, and the parse goes on to the end.
TEST(JsonTree, ReportsEveryRecoverableErrorAndGoesOn) {
  auto p = parse(
      "{\n"
      "  \"name\": [\"a\",],\n"  // extra comma at the end of an array
      "  \"b\": 1\n"             // comma missing
      "  c: \"x\",\n"            // name without quotes
      "  \"d\": female,\n"       // value without quotes
      "  \"e\": \"open,\n"       // closing quote missing
      "  \"f\": [1 2],\n"        // comma missing in an array
      "  \"g\": true,\n"         // extra comma at the end of the object
      "}");
  ASSERT_FALSE(p->tree.fatal) << p->tree.fatal->message;
  const std::vector<std::string> want = {
      "2:15 An extra comma before the end of the array",
      "4:3 A missing comma between two members",
      "4:3 The property name c is not in quotes",
      "5:8 The value of d is not in quotes ('female')",
      "6:8 A string without its closing quote at the end of the line",
      "7:11 A missing comma between two items",
      "8:12 An extra comma before the end of the object",
  };
  EXPECT_EQ(errors(p->tree), want);
  const Node* root = p->tree.root;
  EXPECT_EQ(root->count, 7u);
  EXPECT_EQ(member(*root, "name")->count, 1u);
  EXPECT_EQ(member(*root, "c")->text, "x");
  EXPECT_EQ(member(*root, "d")->text, "female");
  EXPECT_EQ(member(*root, "d")->kind, Kind::String);
  EXPECT_EQ(member(*root, "e")->text, "open");
  EXPECT_EQ(member(*root, "f")->count, 2u);
  EXPECT_EQ(member(*root, "g")->kind, Kind::True);
}

TEST(JsonTree, HalfQuotedNamesAndValuesLoseTheStrayQuote) {
  auto p = parse("{resourceType\": Patient\"}");
  ASSERT_FALSE(p->tree.fatal) << p->tree.fatal->message;
  EXPECT_EQ(p->tree.errors.size(), 2u);
  EXPECT_EQ(member(*p->tree.root, "resourceType")->text, "Patient");
}

TEST(JsonTree, DoubleAndLeadingCommasAreExtra) {
  auto p = parse("[,1,,2]");
  ASSERT_FALSE(p->tree.fatal);
  EXPECT_EQ(p->tree.errors.size(), 2u);
  EXPECT_EQ(p->tree.root->count, 2u);
}

TEST(JsonTree, CommentsAreErrorsUnlessAllowed) {
  const std::string text = "// head\n{\"a\": /* in */ 1 /* multi\nline */}";
  auto strict = parse(text);
  ASSERT_FALSE(strict->tree.fatal);
  EXPECT_EQ(errors(strict->tree),
            (std::vector<std::string>{
                "1:1 A comment, which JSON does not have (comments can be allowed)",
                "2:7 A comment, which JSON does not have (comments can be allowed)",
                "2:18 A comment, which JSON does not have (comments can be allowed)"}));
  TreeOptions allow;
  allow.allowComments = true;
  auto lax = parse(text, allow);
  ASSERT_FALSE(lax->tree.fatal);
  EXPECT_TRUE(lax->tree.errors.empty());
  EXPECT_EQ(lax->tree.root->first->text, "1");
  EXPECT_EQ(lax->tree.root->line, 2u);
}

struct FatalCase {
  const char* name;
  std::string text;
  const char* expected;  // substring of the fatal message
  uint32_t line;
  uint32_t column;
};

class JsonTreeFatal : public ::testing::TestWithParam<FatalCase> {};

TEST_P(JsonTreeFatal, StopsWithNoTree) {
  const FatalCase& c = GetParam();
  auto p = parse(c.text);
  ASSERT_TRUE(p->tree.fatal) << c.text;
  EXPECT_EQ(p->tree.root, nullptr);
  EXPECT_NE(p->tree.fatal->message.find(c.expected), std::string::npos) << p->tree.fatal->message;
  EXPECT_EQ(p->tree.fatal->line, c.line);
  EXPECT_EQ(p->tree.fatal->column, c.column);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, JsonTreeFatal,
    ::testing::Values(
        FatalCase{"Empty", " \n ", "the document is empty", 2, 2},
        FatalCase{"WrongCloseMarker", "{\"a\": [1}", "unexpected close marker '}', ']'", 1, 9},
        FatalCase{"NoColon", "{\"a\" 1}", "':' is expected", 1, 6},
        FatalCase{"Unclosed", "{\"a\": 1", "ends before the object is closed", 1, 8},
        FatalCase{"LeadingZero", "[01]", "not followed by a separator", 1, 2},
        FatalCase{"BareDot", "[1.]", "digits after '.'", 1, 2},
        FatalCase{"BadEscape", R"(["a\q"])", "'\\q' is not a JSON escape", 1, 4},
        FatalCase{"ShortUnicodeEscape", R"(["\u12"])", "four hexadecimal digits", 1, 3},
        FatalCase{"LoneHighSurrogate", R"(["\ud800x"])", "lone surrogate", 1, 3},
        FatalCase{"LoneLowSurrogate", R"(["\udc00"])", "lone surrogate", 1, 3},
        FatalCase{"ControlCharacter", std::string("[\"a\tb\"]"), "must be escaped", 1, 4},
        FatalCase{"InvalidUtf8", "[\"a\xff\"]", "not valid UTF-8", 1, 4},
        FatalCase{"OverlongUtf8", "[\"\xC0\xAF\"]", "not valid UTF-8", 1, 3},
        FatalCase{"EncodedSurrogate", "[\"\xED\xA0\x80\"]", "not valid UTF-8", 1, 3},
        FatalCase{"TextAfterRoot", "{} {}", "more text after the end", 1, 4},
        FatalCase{"UnclosedComment", "{} /* x", "comment is not closed", 1, 4},
        FatalCase{"UnquotedRoot", "Patient", "unexpected text 'Patient'", 1, 1},
        FatalCase{"StringEndsWithText", "[\"abc", "ends inside a string", 1, 2}),
    [](const ::testing::TestParamInfo<FatalCase>& p) { return std::string(p.param.name); });

TEST(JsonTree, DeepNestingStopsAtTheLimitWithoutRecursion) {
  TreeOptions options;
  options.maxDepth = 2000000;  // far deeper than any call stack could go
  auto p = parse(std::string(200000, '['), options);
  ASSERT_TRUE(p->tree.fatal);
  EXPECT_FALSE(p->tree.depthExceeded);
  EXPECT_NE(p->tree.fatal->message.find("ends before the array is closed"), std::string::npos);
  auto limited = parse(std::string(200, '[') + std::string(200, ']'));
  ASSERT_TRUE(limited->tree.fatal);
  EXPECT_TRUE(limited->tree.depthExceeded);
  EXPECT_NE(limited->tree.fatal->message.find("deeper than 128"), std::string::npos);
}

}  // namespace
}  // namespace trialbridge::core::json
