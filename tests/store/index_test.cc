#include "store/index.h"

#include <gtest/gtest.h>

#include <cmath>

#include "conformance/context.h"
#include "core/json.h"
#include "store/fhir_time.h"
#include "store/search_parameters.h"
#include "store/search_query.h"
#include "store/store.h"

namespace trialbridge::store {
namespace {

std::unique_ptr<core::Document> parse(std::string_view json) {
  core::Issues issues;
  auto doc = core::readJson(json, conformance::Context::r4(), issues);
  EXPECT_FALSE(issues.hasErrors()) << (issues.empty() ? "" : issues.items()[0].message);
  return doc;
}

TEST(FhirTime, RangesCoverThePrecision) {
  TimeRange r;
  ASSERT_TRUE(parseFhirTime("2024", r));
  EXPECT_EQ(formatInstant(r.low), "2024-01-01T00:00:00.000Z");
  EXPECT_EQ(formatInstant(r.high), "2025-01-01T00:00:00.000Z");
  ASSERT_TRUE(parseFhirTime("2024-02", r));
  EXPECT_EQ(formatInstant(r.high), "2024-03-01T00:00:00.000Z");
  ASSERT_TRUE(parseFhirTime("2024-12-31", r));
  EXPECT_EQ(formatInstant(r.high), "2025-01-01T00:00:00.000Z");
  ASSERT_TRUE(parseFhirTime("2024-03-05T10:00:00+01:00", r));
  EXPECT_EQ(formatInstant(r.low), "2024-03-05T09:00:00.000Z");
  EXPECT_EQ(r.high - r.low, 1000);
  ASSERT_TRUE(parseFhirTime("2024-03-05T10:00:00.5Z", r));
  EXPECT_EQ(formatInstant(r.low), "2024-03-05T10:00:00.500Z");
  EXPECT_EQ(r.high - r.low, 100);
  ASSERT_TRUE(parseFhirTime("2024-03-05T10:00", r));
  EXPECT_EQ(r.high - r.low, 60000);
  EXPECT_FALSE(parseFhirTime("2024-02-30", r));
  EXPECT_FALSE(parseFhirTime("24-01-01", r));
  EXPECT_FALSE(parseFhirTime("2024-01-01T10:00:00+1", r));
  EXPECT_EQ(formatInstant(0), "1970-01-01T00:00:00.000Z");
}

TEST(Index, NormalizesStrings) {
  EXPECT_EQ(normalizeString("  José  MÜLLER\tÆrø "), "jose muller aero");
  EXPECT_EQ(normalizeString("Łódź"), "lodz");
}

TEST(Index, SplitsReferences) {
  std::string t, id;
  ASSERT_TRUE(splitReference("Patient/123", t, id));
  EXPECT_EQ(t, "Patient");
  EXPECT_EQ(id, "123");
  ASSERT_TRUE(splitReference("http://example.org/fhir/Observation/a-1/_history/2", t, id));
  EXPECT_EQ(t, "Observation");
  EXPECT_EQ(id, "a-1");
  EXPECT_FALSE(splitReference("urn:uuid:2f0c7d2e-1", t, id));
  EXPECT_FALSE(splitReference("#contained", t, id));
  EXPECT_FALSE(splitReference("123", t, id));
}

TEST(SearchParameters, ExpressionsAreCutToTheType) {
  EXPECT_EQ(expressionForType("AllergyIntolerance.code | Observation.code | Condition.code",
                              "Observation"),
            "Observation.code");
  EXPECT_EQ(
      expressionForType("(Observation.value as Quantity) | (Observation.value as SampledData)",
                        "Observation"),
      "(Observation.value as Quantity) | (Observation.value as SampledData)");
  EXPECT_EQ(expressionForType("Resource.meta.tag", "Patient"), "Patient.meta.tag");
  std::string type;
  EXPECT_EQ(stripResolveFilter("Observation.subject.where(resolve() is Patient)", type),
            "Observation.subject");
  EXPECT_EQ(type, "Patient");
}

TEST(SearchParameters, RegistryHasTheR4Parameters) {
  const auto& reg = SearchParameterRegistry::r4();
  const SearchParamDef* subject = reg.find("Observation", "subject");
  ASSERT_NE(subject, nullptr);
  EXPECT_EQ(subject->type, ParamType::Reference);
  EXPECT_TRUE(subject->indexed);
  const SearchParamDef* patient = reg.find("Observation", "patient");
  ASSERT_NE(patient, nullptr);
  EXPECT_EQ(patient->resolveFilter, "Patient");
  EXPECT_EQ(patient->expression, "Observation.subject");
  const SearchParamDef* code = reg.find("Observation", "code");
  ASSERT_NE(code, nullptr);
  EXPECT_EQ(code->expression, "Observation.code");
  ASSERT_NE(reg.find("Patient", "_tag"), nullptr);
  ASSERT_NE(reg.find("Patient", "_lastUpdated"), nullptr);
  EXPECT_EQ(reg.find("Patient", "nonsense"), nullptr);
  EXPECT_GT(reg.forType("ResearchStudy").size(), 15u);
  EXPECT_TRUE(reg.forType("NotAType").empty());
}

TEST(Index, ObservationRows) {
  auto doc = parse(R"({"resourceType":"Observation","id":"o1","status":"final",
    "meta":{"profile":["http://example.org/StructureDefinition/platelets"],"tag":[{"system":"urn:t","code":"x"}]},
    "code":{"coding":[{"system":"http://loinc.org","code":"777-3","display":"Platelets"}],"text":"Platelet count"},
    "subject":{"reference":"Patient/p1"},
    "effectiveDateTime":"2025-01-15T08:30:00Z",
    "valueQuantity":{"value":85,"unit":"10*9/L","system":"http://unitsofmeasure.org","code":"10*9/L"}})");
  ASSERT_NE(doc, nullptr);
  IndexRows rows;
  extractIndex(SearchParameterRegistry::r4(), *doc->root(), rows);
  auto hasToken = [&](std::string_view param, std::string_view system, std::string_view code) {
    for (const auto& t : rows.tokens) {
      if (t.param == param && t.system == system && t.code == code) return true;
    }
    return false;
  };
  EXPECT_TRUE(hasToken("code", "http://loinc.org", "777-3"));
  EXPECT_TRUE(hasToken("status", "", "final"));
  EXPECT_TRUE(hasToken("_tag", "urn:t", "x"));
  EXPECT_TRUE(hasToken("combo-code", "http://loinc.org", "777-3"));
  bool subject = false, patient = false;
  for (const auto& r : rows.references) {
    if (r.targetType == "Patient" && r.targetId == "p1") {
      subject |= r.param == "subject";
      patient |= r.param == "patient";
    }
  }
  EXPECT_TRUE(subject);
  EXPECT_TRUE(patient);
  bool date = false;
  for (const auto& d : rows.dates)
    date |= d.param == "date" && formatInstant(d.low) == "2025-01-15T08:30:00.000Z";
  EXPECT_TRUE(date);
  bool quantity = false;
  for (const auto& n : rows.numbers) {
    quantity |= n.param == "value-quantity" && n.value == 85 && n.code == "10*9/L";
  }
  EXPECT_TRUE(quantity);
  bool profile = false;
  for (const auto& u : rows.uris) profile |= u.param == "_profile";
  EXPECT_TRUE(profile);
  bool text = false;
  for (const auto& t : rows.tokens) text |= t.param == "code" && t.text.find("platelet count") == 0;
  EXPECT_TRUE(text);
}

TEST(Index, PatientNamesAndIdentifiers) {
  auto doc = parse(R"({"resourceType":"Patient","id":"p1","active":true,
    "identifier":[{"system":"urn:mrn","value":"12345"}],
    "name":[{"family":"Müller","given":["Anna","Maria"]}],"birthDate":"1980-05",
    "deceasedBoolean":false})");
  ASSERT_NE(doc, nullptr);
  IndexRows rows;
  extractIndex(SearchParameterRegistry::r4(), *doc->root(), rows);
  bool family = false, given = false, identifier = false, active = false;
  for (const auto& s : rows.strings) {
    family |= s.param == "family" && s.normalized == "muller" && s.exact == "Müller";
    given |= s.param == "name" && s.normalized == "maria";
  }
  for (const auto& t : rows.tokens) {
    identifier |= t.param == "identifier" && t.system == "urn:mrn" && t.code == "12345";
    active |= t.param == "active" && t.code == "true";
  }
  EXPECT_TRUE(family);
  EXPECT_TRUE(given);
  EXPECT_TRUE(identifier);
  EXPECT_TRUE(active);
  bool birth = false;
  for (const auto& d : rows.dates) {
    birth |= d.param == "birthdate" && formatInstant(d.low) == "1980-05-01T00:00:00.000Z" &&
             formatInstant(d.high) == "1980-06-01T00:00:00.000Z";
  }
  EXPECT_TRUE(birth);
}

TEST(SearchQuery, ParsesParametersModifiersAndPrefixes) {
  const auto& reg = SearchParameterRegistry::r4();
  SearchQuery q;
  core::Issues issues;
  parseSearch(
      reg, "Observation",
      parseQueryString("code=http://loinc.org|777-3,http://loinc.org|26515-7&date=ge2025-01-01"
                       "&date=lt2025-02&value-quantity=gt100||10*9/L&subject:Patient.identifier="
                       "urn:mrn|123&_count=5&_sort=-date&_include=Observation:subject"
                       "&_revinclude=Provenance:target&status:not=cancelled&foo=bar"),
      SearchLimits{}, q, issues);
  ASSERT_EQ(q.criteria.size(), 6u);
  EXPECT_EQ(q.criteria[0].values.size(), 2u);
  EXPECT_EQ(q.criteria[0].values[1].code, "26515-7");
  EXPECT_EQ(q.criteria[1].values[0].prefix, Prefix::Ge);
  EXPECT_EQ(q.criteria[2].values[0].prefix, Prefix::Lt);
  EXPECT_EQ(q.criteria[3].values[0].prefix, Prefix::Gt);
  EXPECT_EQ(q.criteria[3].values[0].code, "10*9/L");
  ASSERT_NE(q.criteria[4].chained, nullptr);
  EXPECT_EQ(q.criteria[4].chainTypes, std::vector<std::string>{"Patient"});
  EXPECT_EQ(q.criteria[5].modifier, Modifier::Not);
  EXPECT_EQ(q.count, 5u);
  ASSERT_EQ(q.sort.size(), 1u);
  EXPECT_TRUE(q.sort[0].descending);
  EXPECT_EQ(q.includes.size(), 1u);
  EXPECT_EQ(q.revIncludes.size(), 1u);
  ASSERT_EQ(issues.size(), 1u);  // foo: unknown, ignored
  EXPECT_EQ(issues.items()[0].severity, core::Severity::Warning);

  SearchQuery strict;
  core::Issues strictIssues;
  SearchLimits limits;
  limits.strict = true;
  parseSearch(reg, "Observation", parseQueryString("foo=bar"), limits, strict, strictIssues);
  EXPECT_TRUE(strictIssues.hasErrors());

  SearchQuery bad;
  core::Issues badIssues;
  parseSearch(reg, "Observation", parseQueryString("date=2025-13-01&_count=x"), SearchLimits{}, bad,
              badIssues);
  EXPECT_EQ(badIssues.count(core::Severity::Error), 2u);
}

// Found by fuzz/search_query_fuzz: an exponent near INT_MIN overflowed the precision arithmetic.
TEST(SearchQuery, NumberExponentsOfAnySize) {
  const auto& reg = SearchParameterRegistry::r4();
  SearchQuery q;
  core::Issues issues;
  parseSearch(reg, "Observation",
              parseQueryString("value-quantity=1.5e-2147483648,0e-99999999999999999999,"
                               "0.0e2147483647,gt2.50e3"),
              SearchLimits{}, q, issues);
  EXPECT_FALSE(issues.hasErrors());
  ASSERT_EQ(q.criteria.size(), 1u);
  ASSERT_EQ(q.criteria[0].values.size(), 4u);
  for (const SearchValue& v : q.criteria[0].values) {
    EXPECT_TRUE(std::isfinite(v.number));
    EXPECT_LE(v.numberLow, v.number);
    EXPECT_GE(v.numberHigh, v.number);
  }
  // 1.5e-2147483648 is 0 with a precision far below a double's: not a range of infinite width.
  EXPECT_TRUE(std::isfinite(q.criteria[0].values[0].numberHigh));
  EXPECT_EQ(q.criteria[0].values[3].number, 2500.0);
  EXPECT_DOUBLE_EQ(q.criteria[0].values[3].numberLow, 2495.0);
  EXPECT_DOUBLE_EQ(q.criteria[0].values[3].numberHigh, 2505.0);
}

TEST(SearchQuery, QueryStrings) {
  auto p = parseQueryString("a=1&b=x%20y+z&c&d=%2F");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[1].second, "x y z");
  EXPECT_EQ(p[2].first, "c");
  EXPECT_EQ(p[3].second, "/");
  EXPECT_EQ(percentEncode("a b/c|d"), "a%20b%2Fc%7Cd");
  // Query values of the registry client's searches (identifier=system|value) too.
  EXPECT_EQ(percentEncode("https://clinicaltrials.gov"), "https%3A%2F%2Fclinicaltrials.gov");
  EXPECT_EQ(percentEncode("NCT0681-3157_a.b~"), "NCT0681-3157_a.b~");
  EXPECT_EQ(percentEncode("a b|c&d=\xC3\xA9"), "a%20b%7Cc%26d%3D%C3%A9");
}

}  // namespace
}  // namespace trialbridge::store

namespace trialbridge::store {
namespace {

TEST(Ids, NewIdsAreValidUuid7sInIncreasingOrder) {
  std::string prev = newId();
  EXPECT_EQ(prev.size(), 36u);
  EXPECT_EQ(prev[14], '7');
  EXPECT_TRUE(isValidId(prev));
  for (int i = 0; i < 10000; ++i) {
    std::string next = newId();
    ASSERT_LT(prev, next);
    prev = std::move(next);
  }
  EXPECT_FALSE(isValidId(""));
  EXPECT_FALSE(isValidId(std::string(65, 'a')));
  EXPECT_FALSE(isValidId("a/b"));
}

TEST(IndexKey, CutsAtACharacterBoundary) {
  EXPECT_EQ(indexKey("short"), "short");
  const std::string exact(kMaxIndexedBytes, 'a');
  EXPECT_EQ(indexKey(exact), exact);
  const std::string twoByte = std::string(kMaxIndexedBytes - 1, 'a') + "\xC3\xA9tail";
  EXPECT_EQ(indexKey(twoByte), std::string(kMaxIndexedBytes - 1, 'a'));
  const std::string fourByte = std::string(kMaxIndexedBytes - 2, 'a') + "\xF0\x9F\x98\x80";
  EXPECT_EQ(indexKey(fourByte), std::string(kMaxIndexedBytes - 2, 'a'));
}

}  // namespace
}  // namespace trialbridge::store
