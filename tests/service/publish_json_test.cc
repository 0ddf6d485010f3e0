// The publisher's JSON: canonical content (what is compared with a registry's copy), the hash,
// field-by-field diffs (dry runs), reference rewriting, and hostile input.
#include "service/publish_json.h"

#include <gtest/gtest.h>

namespace trialbridge::service {
namespace {

JsonTree parse(std::string_view text) {
  std::string error;
  auto t = parseJsonTree(text, error);
  EXPECT_TRUE(t) << error;
  return t ? *t : JsonTree{};
}

TEST(PublishJson, CanonicalContentIgnoresOrderNumberFormIdAndMeta) {
  const JsonTree a =
      parse(R"({"resourceType":"Group","id":"g1","meta":{"versionId":"3"},"quantity":10,)"
            R"("characteristic":[{"valueQuantity":{"value":1.50,"unit":"mg"},"exclude":false}]})");
  const JsonTree b =
      parse(R"({"characteristic":[{"exclude":false,"valueQuantity":{"unit":"mg","value":1.5}}],)"
            R"("quantity":1e1,"resourceType":"Group","id":"x-other","meta":{"versionId":"9f"}})");
  EXPECT_EQ(canonicalContent(a), canonicalContent(b));
  EXPECT_EQ(canonicalContent(a),
            R"({"characteristic":[{"exclude":false,"valueQuantity":{"unit":"mg","value":1.5}}],)"
            R"("quantity":10,"resourceType":"Group"})");
  EXPECT_EQ(sha256Hex(canonicalContent(a)), sha256Hex(canonicalContent(b)));
  // Array order and string values count.
  const JsonTree c = parse(R"({"resourceType":"Group","quantity":10,"characteristic":[]})");
  EXPECT_NE(canonicalContent(a), canonicalContent(c));
  EXPECT_NE(canonicalContent(parse(R"({"a":["x","y"]})")),
            canonicalContent(parse(R"({"a":["y","x"]})")));
  EXPECT_NE(canonicalContent(parse(R"({"a":"1"})")), canonicalContent(parse(R"({"a":1})")));
  // Integers past a double's precision keep their digits.
  EXPECT_EQ(writeJsonTree(parse(R"({"n":12345678901234567891})"), true),
            R"({"n":12345678901234567891})");
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(PublishJson, WritesTextAsReadAndEscapes) {
  const std::string text = R"({"b":"t\"ab\u00e9\n","a":[true,null,0.30],"c":{}})";
  EXPECT_EQ(writeJsonTree(parse(text)),
            "{\"b\":\"t\\\"ab\xC3\xA9\\n\",\"a\":[true,null,0.30],\"c\":{}}");
  EXPECT_EQ(writeJsonTree(parse(text), true),
            "{\"a\":[true,null,0.3],\"b\":\"t\\\"ab\xC3\xA9\\n\",\"c\":{}}");
}

TEST(PublishJson, DiffNamesEachChangedField) {
  const JsonTree before =
      parse(R"({"resourceType":"ResearchStudy","status":"active","title":"A",)"
            R"("identifier":[{"system":"s","value":"1"}],"site":[{"reference":"Location/1"}]})");
  const JsonTree after =
      parse(R"({"resourceType":"ResearchStudy","status":"closed-to-accrual","title":"A",)"
            R"("identifier":[{"system":"s","value":"2"}],"phase":{"text":"1"},)"
            R"("site":[{"reference":"Location/1"},{"reference":"Location/2"}]})");
  const std::vector<FieldChange> d = diffJson(before, after);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].path, "status");
  EXPECT_EQ(d[0].before, "\"active\"");
  EXPECT_EQ(d[0].after, "\"closed-to-accrual\"");
  EXPECT_EQ(d[1].path, "identifier[0].value");
  EXPECT_EQ(d[2].path, "site[1]");
  EXPECT_EQ(d[2].before, "");
  EXPECT_EQ(d[2].after, R"({"reference":"Location/2"})");
  EXPECT_EQ(d[3].path, "phase");
  EXPECT_EQ(d[3].before, "");
  // The other way: removals. Same content, no changes. The limit holds.
  const std::vector<FieldChange> back = diffJson(after, before);
  ASSERT_EQ(back.size(), 4u);  // in the order of the first value's members
  EXPECT_EQ(back[2].path, "phase");
  EXPECT_EQ(back[2].after, "");
  EXPECT_EQ(back[3].path, "site[1]");
  EXPECT_TRUE(
      diffJson(before, parse(R"({"title":"A","status":"active","resourceType":"ResearchStudy",)"
                             R"("identifier":[{"value":"1","system":"s"}],)"
                             R"("site":[{"reference":"Location/1"}]})"))
          .empty());
  EXPECT_EQ(diffJson(before, after, 2).size(), 2u);
  // A value that changes type is one change.
  EXPECT_EQ(diffJson(parse(R"({"a":{"b":1}})"), parse(R"({"a":[1]})")).size(), 1u);
}

TEST(PublishJson, ReferencesCanBeRewritten) {
  JsonTree t = parse(
      R"({"resourceType":"ResearchStudy","sponsor":{"reference":"Organization/o1","display":"O"},)"
      R"("site":[{"reference":"Location/1"}],"contained":[{"resourceType":"Group",)"
      R"("managingEntity":{"reference":"Organization/o1"}}],"extension":[{"url":"x",)"
      R"("valueReference":{"reference":"Organization/o2"}}],"note":[{"text":"reference"}]})");
  std::vector<std::string> seen;
  forEachReference(t, [&](std::string& ref) {
    seen.push_back(ref);
    if (ref == "Organization/o1") ref = "Organization/remote-1";
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"Organization/o1", "Location/1", "Organization/o1",
                                            "Organization/o2"}));
  const std::string out = writeJsonTree(t);
  EXPECT_EQ(out.find("Organization/o1"), std::string::npos) << out;
  EXPECT_NE(out.find("\"display\":\"O\""), std::string::npos);
}

TEST(PublishJson, TreeEditing) {
  JsonTree t = JsonTree::object();
  t.set("a", JsonTree::string("1"));
  t.set("b", JsonTree::string("2"));
  t.set("a", JsonTree::string("3"));
  EXPECT_EQ(writeJsonTree(t), R"({"a":"3","b":"2"})");
  t.remove("a");
  EXPECT_EQ(t.str("a"), "");
  EXPECT_EQ(t.str("b"), "2");
  EXPECT_EQ(t.get("missing"), nullptr);
}

TEST(PublishJson, HostileInputIsAnErrorNotACrash) {
  std::string error;
  EXPECT_FALSE(parseJsonTree("{\"a\":", error));
  EXPECT_NE(error.find("line 1"), std::string::npos) << error;
  EXPECT_FALSE(parseJsonTree(std::string(10000, '['), error));  // past the depth limit
  EXPECT_FALSE(parseJsonTree(R"({"a":1,"a":2})", error));       // duplicate member
  EXPECT_FALSE(parseJsonTree("\"\xff\"", error));               // not UTF-8
  EXPECT_FALSE(parseJsonTree("", error));
}

}  // namespace
}  // namespace trialbridge::service
