#include "core/json_input.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/json_overrides.h"

namespace trialbridge::core {
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
  Issues issues;
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
  Issues issues;
  EXPECT_FALSE(in.parse(std::string(200, '[') + std::string(200, ']'), issues));
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_NE(issues.items()[0].message.find("nested deeper"), std::string::npos);
  Issues more;
  EXPECT_FALSE(in.parse(std::string(JsonInput::kMaxBytes + 1, ' '), more));
  EXPECT_EQ(more.items()[0].code, IssueType::TooLong);
}

TEST(JsonInput, ByteOrderMark) {
  JsonInput in;
  Issues issues;
  ASSERT_TRUE(in.parse("\xEF\xBB\xBF{\"a\": 1}", issues));
  uint32_t line = 0, column = 0;
  in.locate("$.a", line, column);
  EXPECT_EQ(column, 5u);
}

TEST(JsonInput, TrailingText) {
  JsonInput in;
  Issues issues;
  EXPECT_FALSE(in.parse("{}\n{}", issues));
  EXPECT_EQ(issues.items()[0].line, 2u);
}

// Found by bench/fuzz_soak.sh (registry_reply_fuzz): "\udfff" was taken and held as bytes that
// are no UTF-8, so the string could not be written out and read again. A lone half of a
// surrogate pair is refused, in a value and in a key, located; a whole pair is a character.
TEST(JsonInput, LoneSurrogateEscapesAreRefused) {
  for (const std::string text :
       {R"("\udfffffff?414")", R"({"a": "x\uDC00"})", R"({"\uDFFF": 1})", R"(["ok", "\ud800x"])"}) {
    JsonInput in;
    Issues issues;
    EXPECT_FALSE(in.parse(text, issues)) << text;
    ASSERT_FALSE(issues.items().empty()) << text;
    EXPECT_EQ(issues.items()[0].line, 1u) << text;
  }
  JsonInput lone;
  Issues issues;
  EXPECT_FALSE(lone.parse(R"({"a": "x\uDC00"})", issues));
  EXPECT_NE(issues.items()[0].message.find("half of a surrogate pair"), std::string::npos)
      << issues.items()[0].message;
  JsonInput pair;
  Issues none;
  EXPECT_TRUE(pair.parse(R"({"a": "\uD83D\uDE00 \u00e9"})", none));
}

TEST(JsonInput, NumbersTooBig) {
  JsonInput in;
  Issues issues;
  EXPECT_FALSE(in.parse("{\"a\": 1e999}", issues));
  EXPECT_NE(issues.items()[0].message.find("malformed JSON"), std::string::npos);
}

TEST(JsonInput, EmbeddedNulAndBadUtf8AreErrors) {
  JsonInput in;
  Issues issues;
  EXPECT_FALSE(in.parse(std::string("{\"a\": \"x\0y\"}", 12), issues));
  // Text that is not UTF-8 would otherwise flow into the FHIR resources made from the file.
  Issues more;
  EXPECT_FALSE(in.parse("{\"a\": \"\xff\xfe\"}", more));
  ASSERT_FALSE(more.items().empty());
  EXPECT_NE(more.items()[0].message.find("encoding"), std::string::npos) << more.items()[0].message;
  EXPECT_EQ(more.items()[0].column, 8u);
  // A multi-byte sequence cut by the end of the text (found by fuzzing: RapidJSON read past the
  // buffer looking for its continuation bytes).
  for (const char* cut : {"{\"a\": \"V\xef", "{\"a\": \"\xf0\x9f", "\"\xe2"}) {
    Issues cutIssues;
    EXPECT_FALSE(in.parse(cut, cutIssues)) << cut;
    EXPECT_TRUE(cutIssues.hasErrors());
  }
  // Text after the value is still an error; white space is not.
  Issues after;
  EXPECT_FALSE(in.parse("{} x", after));
  Issues space;
  EXPECT_TRUE(in.parse("{}  \n", space));
}

TEST(JsonNode, KindsAndValues) {
  JsonInput in;
  Issues issues;
  ASSERT_TRUE(in.parse(R"({"s": "x", "n": 7, "d": 0.50, "b": true, "z": null, "a": [1, "y"],
                           "o": {"k": 1, "j": 2}})",
                       issues));
  const JsonNode root = in.root();
  EXPECT_EQ(root.kind(), JsonNode::Kind::Object);
  EXPECT_EQ(root.get("s").kind(), JsonNode::Kind::String);
  EXPECT_EQ(root.get("z").kind(), JsonNode::Kind::Null);
  EXPECT_EQ(root.get("missing").kind(), JsonNode::Kind::Missing);
  EXPECT_EQ(root.get("missing").path(), "$.missing");
  EXPECT_EQ(root.get("n").int64(), 7);
  EXPECT_FALSE(root.get("d").int64().has_value());
  EXPECT_FALSE(root.get("s").int64().has_value());
  EXPECT_EQ(root.get("d").number(), "0.50");
  EXPECT_TRUE(root.get("b").isTrue());
  EXPECT_EQ(root.get("a").size(), 2u);
  EXPECT_EQ(root.get("a").item(1).str(), "y");
  EXPECT_EQ(root.get("a").item(1).path(), "$.a[1]");
  EXPECT_FALSE(root.get("a").item(2).exists());
  EXPECT_EQ(root.get("o").keys(), (std::vector<std::string>{"k", "j"}));
  EXPECT_TRUE(root.get("s").keys().empty());
  // Before a successful parse there is no root.
  JsonInput empty;
  EXPECT_FALSE(empty.root().exists());
}

// The checked reading of files without a schema (the service's configuration).
using ReadFn = std::function<void(JsonObjectReader&, Issues&)>;

Issues readObject(const std::string& json, const ReadFn& read) {
  JsonInput in;
  Issues issues;
  EXPECT_TRUE(in.parse(json, issues));
  JsonObjectReader r(in.root(), issues);
  read(r, issues);
  return issues;
}

TEST(JsonObjectReader, ReadsTypedMembers) {
  std::string host = "default", absent = "kept";
  int port = 0;
  bool on = false;
  std::vector<std::string> list;
  std::map<std::string, std::string> names;
  std::map<std::string, std::vector<std::string>> lists;
  const Issues issues = readObject(
      R"({"host": "h", "port": 8080, "on": true, "list": ["a", "b"], "names": {"x": "y"},
          "lists": {"t": ["u", "v"]}})",
      [&](JsonObjectReader& r, Issues&) {
        r.str("host", host);
        r.str("absent", absent);
        r.integer("port", port, 0, 65535);
        r.boolean("on", on);
        r.strings("list", list);
        r.stringMap("names", names);
        r.listMap("lists", lists);
        r.noOthers();
      });
  EXPECT_TRUE(issues.empty());
  EXPECT_EQ(host, "h");
  EXPECT_EQ(absent, "kept");
  EXPECT_EQ(port, 8080);
  EXPECT_TRUE(on);
  EXPECT_EQ(list, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(names.at("x"), "y");
  EXPECT_EQ(lists.at("t"), (std::vector<std::string>{"u", "v"}));
}

TEST(JsonObjectReader, WrongTypesAreErrorsAtTheirPathWithLineAndColumn) {
  struct Case {
    const char* json;
    ReadFn read;
    const char* message;
  };
  std::string s;
  int i = 0;
  bool b = false;
  std::vector<std::string> v;
  std::map<std::string, std::string> m;
  std::map<std::string, std::vector<std::string>> lm;
  const std::vector<Case> cases = {
      {R"({"k": 1})", [&](JsonObjectReader& r, Issues&) { r.str("k", s); }, "must be a string"},
      {R"({"k": "1"})", [&](JsonObjectReader& r, Issues&) { r.integer("k", i, 0, 9); },
       "must be a whole number from 0 to 9"},
      {R"({"k": 10})", [&](JsonObjectReader& r, Issues&) { r.integer("k", i, 0, 9); },
       "must be a whole number from 0 to 9"},
      {R"({"k": 1.5})", [&](JsonObjectReader& r, Issues&) { r.integer("k", i, 0, 9); },
       "must be a whole number from 0 to 9"},
      {R"({"k": "true"})", [&](JsonObjectReader& r, Issues&) { r.boolean("k", b); },
       "must be true or false"},
      {R"({"k": ["a", 1]})", [&](JsonObjectReader& r, Issues&) { r.strings("k", v); },
       "must be an array of strings"},
      {R"({"k": "a"})", [&](JsonObjectReader& r, Issues&) { r.strings("k", v); },
       "must be an array of strings"},
      {R"({"k": {"a": 1}})", [&](JsonObjectReader& r, Issues&) { r.stringMap("k", m); },
       "must be an object of strings"},
      {R"({"k": {"a": ["b", 2]}})", [&](JsonObjectReader& r, Issues&) { r.listMap("k", lm); },
       "must be an object of string arrays"},
  };
  for (const Case& c : cases) {
    const Issues issues = readObject(c.json, c.read);
    ASSERT_EQ(issues.size(), 1u) << c.json;
    EXPECT_EQ(issues.items()[0].message, c.message) << c.json;
    EXPECT_EQ(issues.items()[0].location, "$.k") << c.json;
    EXPECT_EQ(issues.items()[0].line, 1u) << c.json;
    EXPECT_EQ(issues.items()[0].column, 2u) << c.json;
  }
  EXPECT_EQ(i, 0);  // nothing out of range was taken
}

TEST(JsonObjectReader, UnknownMembersAndNonObjectsAreRefused) {
  std::string s;
  Issues issues =
      readObject("{\"known\": \"a\",\n \"typo\": 1}", [&](JsonObjectReader& r, Issues&) {
        r.str("known", s);
        r.noOthers("setting");
      });
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues.items()[0].message, "is not a known setting");
  EXPECT_EQ(issues.items()[0].location, "$.typo");
  EXPECT_EQ(issues.items()[0].line, 2u);
  // A member read as a nested object counts as known.
  issues = readObject(R"({"section": {"x": "y"}})", [&](JsonObjectReader& r, Issues& out) {
    JsonObjectReader inner(r.member("section"), out);
    inner.str("x", s);
    inner.noOthers();
    r.noOthers();
  });
  EXPECT_TRUE(issues.empty());
  EXPECT_EQ(s, "y");
  issues = readObject(R"({"section": [1]})", [&](JsonObjectReader& r, Issues& out) {
    JsonObjectReader inner(r.member("section"), out);
    inner.str("x", s);
    inner.noOthers();
  });
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues.items()[0].message, "must be an object");
  EXPECT_EQ(issues.items()[0].location, "$.section");
}

TEST(JsonObjectReader, EveryUnknownMemberIsReported) {
  std::string s;
  const Issues issues =
      readObject(R"({"a": 1, "known": "x", "b": 2})", [&](JsonObjectReader& r, Issues&) {
        r.str("known", s);
        r.noOthers("setting");
      });
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues.items()[0].location, "$.a");
  EXPECT_EQ(issues.items()[1].location, "$.b");
}

// Settings read with overrides: a variable replaces the file's value, with the same checks, and
// its errors are located at the variable.
struct Settings {
  std::string host = "h0";
  int port = 1;
  bool on = false;
  std::vector<std::string> list;
  std::map<std::string, std::vector<std::string>> lists;
  bool present = false;
};

Issues readWith(const std::string& json, JsonOverrides& env, Settings& out) {
  JsonInput in;
  Issues issues;
  EXPECT_TRUE(in.parse(json, issues));
  JsonObjectReader top(in.root(), issues, &env);
  JsonObjectReader http = top.section("http");
  out.present = http.present();
  http.str("host", out.host);
  http.integer("port", out.port, 0, 65535);
  http.boolean("on", out.on);
  http.listMap("lists", out.lists);
  http.noOthers("setting");
  top.strings("list", out.list);
  top.noOthers("setting");
  return issues;
}

TEST(JsonObjectReader, OverridesReplaceTheFileWithTheSameChecks) {
  JsonOverrides env("TB_", {{"TB_HTTP_PORT", "9090"},
                            {"TB_HTTP_HOST", "0.0.0.0"},
                            {"TB_HTTP_ON", "true"},
                            {"TB_HTTP_LISTS", R"({"a": ["b"]})"},
                            {"TB_LIST", R"(["x", "y"])"}});
  Settings s;
  const Issues issues = readWith(R"({"http": {"port": 80, "host": "h1"}})", env, s);
  EXPECT_TRUE(issues.empty()) << issues.items()[0].message;
  EXPECT_EQ(s.port, 9090);
  EXPECT_EQ(s.host, "0.0.0.0");
  EXPECT_TRUE(s.on);
  EXPECT_EQ(s.lists.at("a"), std::vector<std::string>{"b"});
  EXPECT_EQ(s.list, (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(env.unused().empty());
}

TEST(JsonObjectReader, ASectionSetOnlyByVariablesIsPresent) {
  JsonOverrides env("TB_", {{"TB_HTTP_PORT", "7"}});
  Settings s;
  EXPECT_TRUE(readWith("{}", env, s).empty());
  EXPECT_TRUE(s.present);
  EXPECT_EQ(s.port, 7);
  JsonOverrides none("TB_", {});
  Settings t;
  EXPECT_TRUE(readWith("{}", none, t).empty());
  EXPECT_FALSE(t.present);
  EXPECT_EQ(t.port, 1);  // the default stays
}

TEST(JsonObjectReader, BadVariablesAreErrorsAtTheVariable) {
  JsonOverrides env("TB_", {{"TB_HTTP_PORT", "eighty"},
                            {"TB_HTTP_ON", "yes"},
                            {"TB_LIST", "[1,"},
                            {"TB_HTTP_LISTS", "{\"a\": 1}"}});
  Settings s;
  const Issues issues = readWith(R"({"http": {"port": 80}})", env, s);
  std::map<std::string, std::string> byLocation;
  for (const Issue& i : issues.items()) byLocation[i.location] = i.message;
  EXPECT_EQ(byLocation["TB_HTTP_PORT"], "must be a whole number from 0 to 65535");
  EXPECT_EQ(byLocation["TB_HTTP_ON"], "must be true or false");
  EXPECT_EQ(byLocation["TB_HTTP_LISTS"], "must be an object of string arrays");
  EXPECT_EQ(byLocation["TB_LIST"].rfind("is not JSON (", 0), 0u) << byLocation["TB_LIST"];
  EXPECT_EQ(issues.size(), 4u);
  EXPECT_EQ(s.port, 1);  // a bad value sets nothing (and start-up stops)
}

TEST(JsonObjectReader, ErrorsAboutAMemberGoWhereItsValueCameFrom) {
  JsonInput in;
  Issues issues;
  ASSERT_TRUE(in.parse(R"({"a": 1, "b": 2})", issues));
  JsonOverrides env("TB_", {{"TB_B", "3"}});
  JsonObjectReader r(in.root(), issues, &env);
  int64_t a = 0, b = 0;
  r.int64("a", a, 0, 9);
  r.int64("b", b, 0, 9);
  EXPECT_TRUE(r.given("a"));
  EXPECT_TRUE(r.given("b"));
  EXPECT_FALSE(r.given("c"));
  r.error("a", "is wrong");
  r.error("b", "is wrong too");
  r.error("c", "is missing");
  ASSERT_EQ(issues.size(), 3u);
  EXPECT_EQ(issues.items()[0].location, "$.a");
  EXPECT_EQ(issues.items()[1].location, "TB_B");
  EXPECT_EQ(issues.items()[2].location, "$.c");
}

class SecretTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "secret_test";
    std::filesystem::create_directories(dir_);
  }
  std::string file(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  // Reads "db" from `json` with `vars`; the value, or "!" + the first issue's location and message.
  std::string read(const std::string& json, std::map<std::string, std::string> vars = {}) {
    JsonInput in;
    Issues issues;
    EXPECT_TRUE(in.parse(json, issues));
    JsonOverrides env("TB_", std::move(vars));
    JsonObjectReader r(in.root(), issues, &env);
    std::string out = "default";
    r.secret("db", out);
    r.noOthers();
    if (!issues.empty()) return "!" + issues.items()[0].location + " " + issues.items()[0].message;
    return out;
  }
  std::string dir_;
};

TEST_F(SecretTest, FromTheFileItselfOrAFileItNames) {
  const std::string f = file("db.secret", "host=x password=p\n\n");
  EXPECT_EQ(read(R"({"db": "inline"})"), "inline");
  EXPECT_EQ(read(R"({"dbFile": ")" + f + R"("})"), "host=x password=p");  // trailing space gone
  EXPECT_EQ(read("{}"), "default");
}

TEST_F(SecretTest, VariablesWinOverTheFile) {
  const std::string f = file("env.secret", "from-file");
  EXPECT_EQ(read(R"({"db": "inline"})", {{"TB_DB", "from-env"}}), "from-env");
  EXPECT_EQ(read(R"({"db": "inline"})", {{"TB_DB_FILE", f}}), "from-file");
}

TEST_F(SecretTest, MistakesAreRefusedWithTheReason) {
  const std::string empty = file("empty.secret", " \n");
  const std::string big =
      file("big.secret", std::string(JsonObjectReader::kMaxSecretBytes + 1, 'x'));
  EXPECT_EQ(read(R"({"db": "a", "dbFile": "b"})"), "!$.dbFile and 'db' are both given; give one");
  EXPECT_EQ(read("{}", {{"TB_DB", "a"}, {"TB_DB_FILE", "b"}}),
            "!TB_DB and TB_DB_FILE are both set; set one");
  EXPECT_EQ(read(R"({"dbFile": "/nonexistent/x"})"),
            "!$.dbFile names the file '/nonexistent/x', which cannot be read (No such file or "
            "directory)");
  EXPECT_EQ(read(R"({"dbFile": ")" + empty + R"("})"),
            "!$.dbFile names the file '" + empty + "', which is empty");
  EXPECT_EQ(read("{}", {{"TB_DB_FILE", big}}),
            "!TB_DB_FILE names the file '" + big + "', which is longer than 65536 bytes");
  EXPECT_EQ(read(R"({"db": 5})"), "!$.db must be a string");
  EXPECT_EQ(read(R"({"dbFile": "/dev/null"})"),
            "!$.dbFile names '/dev/null', which is not a regular file");
}

}  // namespace
}  // namespace trialbridge::core
