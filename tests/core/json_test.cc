#include "core/json.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <map>
#include <set>

#include "conformance/context.h"
#include "conformance/package.h"

namespace trialbridge::core {
namespace {

const TypeResolver& r4() { return conformance::Context::r4(); }

std::unique_ptr<Document> read(std::string_view text, Issues& issues) {
  return readJson(text, r4(), issues);
}

// The first issue's message, location and position, for compact assertions.
std::string describe(const Issues& issues) {
  std::string out;
  for (const Issue& i : issues.items()) {
    out += std::string(severityCode(i.severity)) + " " + std::to_string(i.line) + ":" +
           std::to_string(i.column) + " [" + i.location + "] " + i.message + "\n";
  }
  return out;
}

// JSON value equality that also keeps number text: the texts must match with numbers read as
// strings, and the JSON types must match when numbers are read as numbers.
bool sameJson(std::string_view a, std::string_view b, std::string* why = nullptr) {
  rapidjson::Document ta, tb, na, nb;
  ta.Parse<rapidjson::kParseNumbersAsStringsFlag>(a.data(), a.size());
  tb.Parse<rapidjson::kParseNumbersAsStringsFlag>(b.data(), b.size());
  na.Parse(a.data(), a.size());
  nb.Parse(b.data(), b.size());
  if (ta.HasParseError() || tb.HasParseError()) {
    if (why) *why = "parse error";
    return false;
  }
  if (!(ta == tb)) {
    if (why) *why = "values differ";
    return false;
  }
  if (!(na == nb)) {
    if (why) *why = "JSON types differ";
    return false;
  }
  return true;
}

TEST(JsonReader, ReadsResourceWithTypesAndPositions) {
  Issues issues;
  auto doc = read(R"({
  "resourceType": "Patient",
  "id": "p1",
  "active": true,
  "name": [{"family": "Chalmers", "given": ["Peter", "James"]}],
  "birthDate": "1974-12-25"
})",
                  issues);
  ASSERT_NE(doc, nullptr);
  EXPECT_TRUE(issues.empty()) << describe(issues);
  const Element& p = *doc->root();
  EXPECT_EQ(p.name(), "Patient");
  EXPECT_TRUE(p.isResource());
  const Element* given = p.child("name")->child("given")->nextSibling();
  ASSERT_NE(given, nullptr);
  EXPECT_EQ(given->value(), "James");
  EXPECT_EQ(given->type().name, "string");
  EXPECT_EQ(given->path(), "Patient.name[0].given[1]");
  const Element* active = p.child("active");
  EXPECT_EQ(active->type().name, "boolean");
  EXPECT_EQ(active->value(), "true");
  EXPECT_EQ(p.child("birthDate")->line(), 6u);
  EXPECT_EQ(p.child("birthDate")->column(), 3u);
}

TEST(JsonReader, ChildrenAreInDefinitionOrderWhateverTheInputOrder) {
  Issues issues;
  auto doc = read(R"({"birthDate": "1970", "id": "x", "resourceType": "Patient", "active": false})",
                  issues);
  ASSERT_NE(doc, nullptr);
  std::vector<std::string_view> names;
  for (const Element* c = doc->root()->firstChild(); c; c = c->nextSibling())
    names.push_back(c->name());
  EXPECT_EQ(names, (std::vector<std::string_view>{"id", "active", "birthDate"}));
  EXPECT_EQ(writeJson(*doc->root()),
            R"({"resourceType":"Patient","id":"x","active":false,"birthDate":"1970"})");
}

TEST(JsonReader, DecimalsKeepTheirText) {
  Issues issues;
  const std::string text =
      R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50,"unit":"mg"}})";
  auto doc = read(text, issues);
  ASSERT_NE(doc, nullptr);
  EXPECT_TRUE(issues.empty()) << describe(issues);
  const Element* v = doc->root()->child("value");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->type().name, "Quantity");
  EXPECT_EQ(v->jsonName(), "valueQuantity");
  EXPECT_EQ(v->child("value")->value(), "1.50");
  EXPECT_EQ(writeJson(*doc->root()), text);
}

TEST(JsonReader, PrimitiveExtensionsAndNullsInArrays) {
  Issues issues;
  const std::string text =
      R"({"resourceType":"Patient","name":[{"given":["Pete",null],"_given":[null,{"id":"g2","extension":[{"url":"http://x","valueString":"a"}]}]}],"birthDate":"1970-03-30","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1970-03-30T14:35:45-05:00"}]}})";
  auto doc = read(text, issues);
  ASSERT_NE(doc, nullptr);
  EXPECT_TRUE(issues.empty()) << describe(issues);
  const Element* g2 = doc->root()->child("name")->child("given")->nextSibling();
  EXPECT_FALSE(g2->hasValue());
  EXPECT_EQ(g2->child("id")->value(), "g2");
  EXPECT_EQ(g2->child("extension")->child("value")->value(), "a");
  const Element* bd = doc->root()->child("birthDate");
  EXPECT_EQ(bd->value(), "1970-03-30");
  EXPECT_EQ(bd->child("extension")->child("value")->type().name, "dateTime");
  std::string why;
  EXPECT_TRUE(sameJson(writeJson(*doc->root()), text, &why)) << why;
}

TEST(JsonReader, ContainedResourcesTakeTheirTypeFromResourceType) {
  Issues issues;
  auto doc = read(
      R"({"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o","name":"Acme"}],"managingOrganization":{"reference":"#o"}})",
      issues);
  ASSERT_NE(doc, nullptr);
  EXPECT_TRUE(issues.empty()) << describe(issues);
  const Element* c = doc->root()->child("contained");
  EXPECT_EQ(c->type().name, "Organization");
  EXPECT_TRUE(c->isResource());
  EXPECT_EQ(c->child("name")->value(), "Acme");
  EXPECT_EQ(c->path(), "Patient.contained[0]");
}

TEST(JsonReader, BackboneAndContentReferenceTypes) {
  Issues issues;
  auto doc = read(
      R"({"resourceType":"Questionnaire","status":"draft","item":[{"linkId":"1","type":"group","item":[{"linkId":"1.1","type":"string"}]}]})",
      issues);
  ASSERT_NE(doc, nullptr);
  EXPECT_TRUE(issues.empty()) << describe(issues);
  const Element* inner = doc->root()->child("item")->child("item");
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(inner->type().name, "Questionnaire.item");
  EXPECT_EQ(inner->type().fhirType, "BackboneElement");
  EXPECT_EQ(inner->child("linkId")->value(), "1.1");
}

struct BadCase {
  const char* name;
  const char* json;
  const char* expected;  // substring of describe(issues)
  bool fatal;
};

class JsonReaderErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(JsonReaderErrors, AreReportedWithLocation) {
  const BadCase& c = GetParam();
  Issues issues;
  auto doc = read(c.json, issues);
  EXPECT_EQ(doc == nullptr, c.fatal) << describe(issues);
  EXPECT_TRUE(issues.hasErrors());
  EXPECT_NE(describe(issues).find(c.expected), std::string::npos) << describe(issues);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, JsonReaderErrors,
    ::testing::Values(
        BadCase{"Malformed", R"({"resourceType":"Patient"])", "fatal 1:26 [] Invalid JSON", true},
        BadCase{"ExtraComma", R"({"resourceType":"Patient",})",
                "error 1:26 [] An extra comma before the end of the object", false},
        BadCase{"MissingComma", "{\"resourceType\":\"Patient\"\n \"id\":\"a\"}",
                "error 2:2 [] A missing comma", false},
        BadCase{"Comment", "{\"resourceType\":\"Patient\", // x\n\"id\":\"a\"}",
                "error 1:28 [] A comment, which JSON does not have", false},
        BadCase{"FhirCommentsNotStrings", R"({"resourceType":"Patient","fhir_comments":"x"})",
                "[Patient.fhir_comments] fhir_comments holds an array of strings", false},
        BadCase{"NotAnObject", R"([1])", "must be an object", true},
        BadCase{"NoResourceType", R"({"id":"x"})", "Unable to find resourceType", true},
        BadCase{"ResourceTypeNotString", R"({"resourceType":["Patient"]})",
                "resourceType must be a string", true},
        BadCase{"ObjectExpected", R"({"resourceType":"Patient","maritalStatus":"M"})",
                "[Patient.maritalStatus] The property 'maritalStatus' must be a JSON object",
                false},
        BadCase{"PrimitiveAsObject", R"({"resourceType":"Patient","gender":{"value":"male"}})",
                "[Patient.gender] Error parsing JSON: the primitive value must be a string, not an "
                "object",
                false},
        BadCase{"UnknownResourceType", R"({"resourceType":"Patients"})",
                "Unknown resource type 'Patients'", true},
        BadCase{"AbstractResourceType", R"({"resourceType":"DomainResource"})",
                "Unknown resource type", true},
        BadCase{"UnknownProperty", "{\"resourceType\":\"Patient\",\n \"nme\":[]}",
                "error 2:2 [Patient.nme] Unrecognized property 'nme'", false},
        BadCase{"DuplicateKey", R"({"resourceType":"Patient","id":"a","id":"b"})",
                "[Patient.id] Duplicate JSON property 'id'", false},
        BadCase{"NullValue", R"({"resourceType":"Patient","active":null})",
                "[Patient.active] Null values are not allowed", false},
        BadCase{"EmptyObject", R"({"resourceType":"Patient","maritalStatus":{}})",
                "[Patient.maritalStatus] Object must have some content", false},
        BadCase{"EmptyArray", R"({"resourceType":"Patient","name":[]})", "Array cannot be empty",
                false},
        BadCase{"EmptyString", R"({"resourceType":"Patient","gender":""})",
                "[Patient.gender] A string value cannot be empty", false},
        BadCase{"ArrayExpected", R"({"resourceType":"Patient","name":{"family":"x"}})",
                "[Patient.name] The property 'name' must be a JSON array", false},
        BadCase{"ArrayNotExpected", R"({"resourceType":"Patient","gender":["male"]})",
                "must not be an array", false},
        BadCase{"NumberAsString", R"({"resourceType":"Patient","multipleBirthInteger":"2"})",
                "[Patient.multipleBirth] Error parsing JSON: the primitive value must be a number",
                false},
        BadCase{"BooleanAsString", R"({"resourceType":"Patient","active":"true"})",
                "must be a boolean", false},
        BadCase{"StringAsNumber", R"({"resourceType":"Patient","birthDate":1970})",
                "must be a string", false},
        BadCase{"TwoChoices",
                R"({"resourceType":"Patient","deceasedBoolean":true,"deceasedDateTime":"2020"})",
                "Only one of the choices for 'deceased[x]'", false},
        BadCase{"BadChoiceType", R"({"resourceType":"Patient","deceasedString":"x"})",
                "Unrecognized property 'deceasedString'", false},
        BadCase{"UnequalPrimitiveArrays",
                R"({"resourceType":"Patient","name":[{"given":["a","b"],"_given":[{"id":"1"}]}]})",
                "must have the same number of items", false},
        BadCase{"NullWithoutExtension",
                R"({"resourceType":"Patient","name":[{"given":["a",null]}]})",
                "A null in a primitive array needs an extension", false},
        BadCase{"ExtensionOnComplex", R"({"resourceType":"Patient","_name":[{"id":"x"}]})",
                "Unrecognized property '_name'", false},
        BadCase{"BadContained", R"({"resourceType":"Patient","contained":[{"id":"x"}]})",
                "[Patient.contained] Unable to find resourceType", false},
        BadCase{"BadUtf8", "{\"resourceType\":\"Patient\",\"id\":\"\xff\"}", "Invalid JSON", true},
        BadCase{"LoneSurrogate", R"({"resourceType":"Patient","id":"a\ude00"})", "lone surrogate",
                true}),
    [](const ::testing::TestParamInfo<BadCase>& p) { return std::string(p.param.name); });

// What is rejected leaves no empty element behind, so the written JSON reads back the same.
TEST(JsonReader, RejectedContentLeavesNoEmptyElement) {
  for (
      const char* text :
      {R"({"resourceType":"Patient","name":[{"family":"C","_given":[null,{"extension":[{"url":"http://example.org/q","valueCode":"CL"}]},{"unknownKey":"g3"}]}]})",
       R"({"resourceType":"Patient","maritalStatus":{"nope":1},"active":true})",
       R"({"resourceType":"Patient","_active":{"nope":1}})"}) {
    Issues issues;
    auto doc = read(text, issues);
    ASSERT_NE(doc, nullptr);
    EXPECT_TRUE(issues.hasErrors());
    const std::string written = writeJson(*doc->root());
    Issues again;
    auto reread = read(written, again);
    ASSERT_NE(reread, nullptr) << written;
    EXPECT_FALSE(again.hasErrors()) << written << "\n" << describe(again);
    EXPECT_EQ(writeJson(*reread->root()), written);
  }
}

TEST(JsonReader, DeepNestingIsRefusedNotCrashing) {
  std::string deep = R"({"resourceType":"Patient","extension":)";
  for (int i = 0; i < 100000; ++i) deep += "[";
  Issues issues;
  ReadOptions options;
  EXPECT_EQ(readJson(deep, r4(), issues, options), nullptr);
  EXPECT_NE(describe(issues).find("nesting is deeper than 128"), std::string::npos)
      << describe(issues);
}

TEST(JsonReader, SizeLimit) {
  Issues issues;
  ReadOptions options;
  options.maxBytes = 10;
  EXPECT_EQ(readJson(R"({"resourceType":"Patient"})", r4(), issues, options), nullptr);
  EXPECT_NE(describe(issues).find("limit is 10"), std::string::npos);
}

TEST(JsonReader, DatatypeAsRoot) {
  Issues issues;
  ReadOptions options;
  options.rootType = "Quantity";
  auto doc = readJson(R"({"value":0.010,"system":"http://unitsofmeasure.org","code":"mg"})", r4(),
                      issues, options);
  ASSERT_NE(doc, nullptr);
  EXPECT_TRUE(issues.empty()) << describe(issues);
  EXPECT_EQ(doc->root()->child("value")->value(), "0.010");
}

TEST(JsonWriter, PrettyOutputIsEqualJson) {
  Issues issues;
  const std::string text = R"({"resourceType":"Basic","code":{"text":"a\"b\\c\u00e9\n"}})";
  auto doc = read(text, issues);
  ASSERT_NE(doc, nullptr);
  std::string why;
  EXPECT_TRUE(sameJson(writeJson(*doc->root(), WriteOptions{true}), text, &why)) << why;
}

// Every resource of the official R4 examples package, read and written back, is equal as a JSON
// value to the input. Exceptions are examples that break the FHIR JSON rules themselves.
TEST(JsonRoundTrip, EveryR4Example) {
  auto pkg = conformance::openPackage(std::string(TB_TEST_DATA) +
                                      "/fhir-packages/hl7.fhir.r4.examples-4.0.1.tgz");
  ASSERT_TRUE(pkg) << pkg.message();
  // Examples HL7 published that are not valid FHIR JSON, with the reason.
  const std::map<std::string, std::string> kKnownBad = {};
  size_t passed = 0;
  std::vector<std::string> failures;
  const auto& resources = pkg.value()->resources();
  for (size_t i = 0; i < resources.size(); ++i) {
    auto json = pkg.value()->json(i);
    ASSERT_TRUE(json);
    Issues issues;
    auto doc = read(json.value(), issues);
    std::string why;
    if (doc == nullptr) {
      why = "not read: " + describe(issues);
    } else if (issues.hasErrors()) {
      why = "issues: " + describe(issues);
    } else if (!sameJson(writeJson(*doc->root()), json.value(), &why)) {
      why = "round trip: " + why;
    } else {
      ++passed;
      continue;
    }
    const std::string& file = resources[i].file;
    const std::string name = file.substr(file.rfind('/') + 1);
    if (kKnownBad.count(name) == 0) failures.push_back(name + ": " + why);
  }
  std::cout << "R4 examples JSON round trip: " << passed << " of " << resources.size() << " equal; "
            << kKnownBad.size() << " listed exceptions\n";
  EXPECT_GT(resources.size(), 5000u);
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: "
                                << (failures.empty() ? "" : failures.front());
  for (size_t k = 0; k < std::min<size_t>(failures.size(), 20); ++k) ADD_FAILURE() << failures[k];
}

}  // namespace
}  // namespace trialbridge::core
