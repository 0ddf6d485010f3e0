#include "study/detail/schema_check.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace trialbridge::study::detail {
namespace {

core::Issues check(const SchemaChecker& schema, const std::string& json) {
  core::JsonInput in;
  core::Issues issues;
  EXPECT_TRUE(in.parse(json, issues));
  schema.check(in, issues);
  return issues;
}

const char* kSchema = R"({
  "type": "object",
  "required": ["name", "items"],
  "additionalProperties": false,
  "properties": {
    "name": {"type": "string", "pattern": "^[a-z]+$"},
    "count": {"type": "integer", "minimum": 1, "x-message": "count is a positive whole number"},
    "items": {"type": "array", "items": {"$ref": "#/definitions/item"}},
    "shape": {"x-discriminator": "kind", "oneOf": [{"$ref": "#/definitions/circle"}, {"$ref": "#/definitions/square"}]}
  },
  "definitions": {
    "item": {"type": "object", "required": ["id"], "additionalProperties": false,
             "properties": {"id": {"type": "string"}, "size": {"enum": ["S", "M", "L"]}}},
    "circle": {"type": "object", "required": ["kind", "radius"], "additionalProperties": false,
               "properties": {"kind": {"enum": ["circle"]}, "radius": {"type": "number"}}},
    "square": {"type": "object", "required": ["kind", "side"], "additionalProperties": false,
               "properties": {"kind": {"enum": ["square"]}, "side": {"type": "number"}}}
  }
})";

TEST(SchemaChecker, Valid) {
  SchemaChecker schema(kSchema);
  EXPECT_TRUE(
      check(
          schema,
          R"({"name": "abc", "items": [{"id": "1", "size": "M"}], "shape": {"kind": "circle", "radius": 2}})")
          .empty());
}

TEST(SchemaChecker, EveryProblemWithItsPath) {
  SchemaChecker schema(kSchema);
  const core::Issues issues = check(schema, R"({"name": "ABC", "count": 0, "extra": 1,
      "items": [{"id": 1}, {"size": "XL", "colour": "red"}], "shape": {"kind": "square", "radius": 2}})");
  std::vector<std::string> got;
  for (const auto& i : issues.items()) got.push_back(i.location + ": " + i.message);
  std::sort(got.begin(), got.end());
  std::vector<std::string> expected{
      "$.count: count is a positive whole number, not 0",
      "$.extra: unknown property 'extra'",
      "$.items[0].id: expected a string, found a whole number",
      "$.items[1]: missing required property 'id'",
      "$.items[1].colour: unknown property 'colour'",
      "$.items[1].size: 'XL' is not one of: S, M, L",
      "$.name: 'ABC' does not match the pattern ^[a-z]+$",
      "$.shape: missing required property 'side'",
      "$.shape.radius: unknown property 'radius'",
  };
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(got, expected);
}

TEST(SchemaChecker, Suggestions) {
  SchemaChecker schema(kSchema);
  const core::Issues issues = check(schema, R"({"nmae": "abc", "items": []})");
  bool found = false;
  for (const auto& i : issues.items())
    found |= i.message == "unknown property 'nmae' (did you mean 'name'?)";
  EXPECT_TRUE(found);
}

TEST(SchemaChecker, Discriminator) {
  SchemaChecker schema(kSchema);
  const core::Issues a =
      check(schema, R"({"name": "a", "items": [], "shape": {"kind": "triangle"}})");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a.items()[0].location, "$.shape.kind");
  EXPECT_EQ(a.items()[0].message, "'triangle' is not one of: circle, square");
  const core::Issues b = check(schema, R"({"name": "a", "items": [], "shape": {"side": 1}})");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b.items()[0].message, "missing required property 'kind' (one of: circle, square)");
}

TEST(SchemaChecker, EmbeddedSchemasLoad) {
  // Building them parses the embedded files; the sample files are checked in the reader tests.
  EXPECT_NO_THROW(trialDefinitionSchema());
  EXPECT_NO_THROW(subjectSchema());
  EXPECT_NO_THROW(adverseEventSchema());
}

}  // namespace
}  // namespace trialbridge::study::detail
