// OBX -> Observation: one test per rule of the IG's OBX map and of trialbridge's tolerances.
#include <gtest/gtest.h>

#include "v2_test_util.h"

namespace trialbridge::mapping {
namespace {

using core::Severity;
using test::jsonAt;
using test::mapV2;
using test::oru;

const rapidjson::Value& obs(const test::V2Mapped& r, size_t n = 0) {
  return *r.all("Observation").at(n);
}

const core::Issue& firstError(const test::V2Mapped& r) {
  for (const core::Issue& i : r.issues.items()) {
    if (i.severity <= Severity::Error) return i;
  }
  throw std::runtime_error("no error");
}

const rapidjson::Value& named(const test::V2Mapped& r, const std::string& type,
                              const std::string& name) {
  for (const auto* v : r.all(type)) {
    if (test::str(test::at(*v, "/name")) == name) return *v;
  }
  throw std::runtime_error("no " + type + " named " + name);
}

TEST(Observation, NumericWithUcumUnitRangeAndFlag) {
  auto r =
      mapV2(oru({"OBX|1|NM|777-3^Platelets^LN||45|10*9/L^^UCUM|125-350|L|||F|||20250312073000"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  const auto& o = obs(r);
  EXPECT_EQ(jsonAt(o, "/status"), "\"final\"");
  EXPECT_EQ(jsonAt(o, "/code/coding/0/code"), "\"777-3\"");
  EXPECT_EQ(jsonAt(o, "/valueQuantity"),
            R"({"value":45,"unit":"10*9/L","system":"http://unitsofmeasure.org","code":"10*9/L"})");
  EXPECT_EQ(jsonAt(o, "/referenceRange/0/low/value"), "125");
  EXPECT_EQ(jsonAt(o, "/referenceRange/0/high/code"), "\"10*9/L\"");
  EXPECT_EQ(jsonAt(o, "/referenceRange/0/text"), "\"125-350\"");
  EXPECT_EQ(
      jsonAt(o, "/interpretation/0/coding/0"),
      R"({"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"L"})");
  // OBX-14 without a zone takes MSH-7's (+0800).
  EXPECT_EQ(jsonAt(o, "/effectiveDateTime"), "\"2025-03-12T07:30:00+08:00\"");
  EXPECT_EQ(jsonAt(o, "/category/0/coding/0/code"), "\"laboratory\"");
  EXPECT_EQ(jsonAt(o, "/issued"), "\"2025-03-12T08:25:00+08:00\"");  // OBR-22
}

TEST(Observation, NumericTextIsNormalized) {
  auto r = mapV2(oru({"OBX|1|NM|X^Y^L||+007.50|U/L|||||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  // The decimal keeps its text (jsonAt would re-read it as a double).
  EXPECT_NE(r.json.find("\"value\": 7.50"), std::string::npos) << r.json;
}

TEST(Observation, ComparatorUnderNmIsReadWithAWarning) {
  auto r = mapV2(oru({"OBX|1|NM|X^Y^L||<0.5|mg/L|||||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_EQ(jsonAt(obs(r), "/valueQuantity/comparator"), "\"<\"");
  EXPECT_EQ(jsonAt(obs(r), "/valueQuantity/value"), "0.5");
  EXPECT_TRUE(r.has(Severity::Warning, "OBX-5", "read as a value with comparator"));
}

TEST(Observation, TextUnderNmIsAStringWithAWarning) {
  auto r = mapV2(oru({"OBX|1|NM|X^Y^L||Specimen clotted||||||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_EQ(jsonAt(obs(r), "/valueString"), "\"Specimen clotted\"");
  EXPECT_TRUE(r.has(Severity::Warning, "OBX-5", "read as a string"));
}

TEST(Observation, MalformedNumberIsAnError) {
  auto r = mapV2(oru({"OBX|1|NM|X^Y^L||12,5|g/L|||||F"}));
  EXPECT_FALSE(r.mapped);
  EXPECT_TRUE(r.has(Severity::Error, "OBX-5", "is not a number"));
  EXPECT_EQ(hl7v2::errorCodeFor(firstError(r)), hl7v2::ErrorCode::DataType);
}

TEST(Observation, StructuredNumericForms) {
  auto r = mapV2(oru({"OBX|1|SN|A^A^L||>^400|10*9/L^^UCUM|||||F", "OBX|2|SN|B^B^L||^1^:^128||||||F",
                      "OBX|3|SN|C^C^L||^2^-^5|mmol/L^^UCUM|||||F", "OBX|4|SN|D^D^L||^2^+||||||F",
                      "OBX|5|SN|E^E^L||<>^7||||||F", "OBX|6|SN|F^F^L||=^7.2|||||F",
                      "OBX|7|SN|G^G^L||<10|U/L|||||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_EQ(
      jsonAt(obs(r, 0), "/valueQuantity"),
      R"({"value":400,"comparator":">","unit":"10*9/L","system":"http://unitsofmeasure.org","code":"10*9/L"})");
  EXPECT_EQ(jsonAt(obs(r, 1), "/valueRatio/numerator/value"), "1");
  EXPECT_EQ(jsonAt(obs(r, 1), "/valueRatio/denominator/value"), "128");
  EXPECT_EQ(jsonAt(obs(r, 1), "/valueRatio/extension/0/valueString"), "\"1 : 128\"");
  EXPECT_EQ(jsonAt(obs(r, 2), "/valueRange/low/value"), "2");
  EXPECT_EQ(jsonAt(obs(r, 2), "/valueRange/high/code"), "\"mmol/L\"");
  EXPECT_EQ(jsonAt(obs(r, 3), "/valueString"), "\"2 +\"");
  EXPECT_EQ(jsonAt(obs(r, 4), "/valueString"), "\"<> 7\"");
  EXPECT_EQ(jsonAt(obs(r, 5), "/valueQuantity"), R"({"value":7.2})");
  EXPECT_EQ(jsonAt(obs(r, 6), "/valueQuantity/comparator"), "\"<\"");
  EXPECT_TRUE(r.has(Severity::Warning, "OBX[7]-5", "without its component separators"));
}

TEST(Observation, StructuredNumericThatIsNotNumbersStaysText) {
  auto r = mapV2(oru({"OBX|1|SN|A^A^L||ca^x|||||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_EQ(jsonAt(obs(r), "/valueString"), "\"ca x\"");
  EXPECT_TRUE(r.has(Severity::Warning, "OBX-5", "kept as text"));
}

TEST(Observation, TextTypesJoinTheirRepetitions) {
  auto r = mapV2(oru({"OBX|1|TX|A^A^L||line one~line two||||||F",
                      "OBX|2|FT|B^B^L||\\H\\Bold\\N\\ text\\.br\\next||||||F",
                      "OBX|3|ST|C^C^L||a \\F\\ b||||||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_EQ(jsonAt(obs(r, 0), "/valueString"), "\"line one\\nline two\"");
  EXPECT_EQ(jsonAt(obs(r, 1), "/valueString"), "\"Bold text\\nnext\"");
  EXPECT_EQ(jsonAt(obs(r, 2), "/valueString"), "\"a | b\"");
}

TEST(Observation, CodedValues) {
  auto r = mapV2(oru({"OBX|1|CWE|A^A^L||260385009^Negative^SCT||||||F",
                      "OBX|2|CE|B^B^L||POS^Positive^HL70078||||||F", "OBX|3|IS|C^C^L||Y||||||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_EQ(jsonAt(obs(r, 0), "/valueCodeableConcept/coding/0"),
            R"({"system":"http://snomed.info/sct","code":"260385009","display":"Negative"})");
  EXPECT_EQ(jsonAt(obs(r, 1), "/valueCodeableConcept/coding/0/system"),
            "\"http://terminology.hl7.org/CodeSystem/v2-0078\"");
  EXPECT_EQ(jsonAt(obs(r, 2), "/valueCodeableConcept/coding/0/code"), "\"Y\"");
}

TEST(Observation, DatesAndTimes) {
  auto r = mapV2(oru({"OBX|1|DT|A^A^L||20250301||||||F", "OBX|2|DTM|B^B^L||202503011015||||||F",
                      "OBX|3|TS|C^C^L||202503011015-0500^M||||||F", "OBX|4|TM|D^D^L||1015||||||F",
                      "OBX|5|DR|E^E^L||20250301^20250305||||||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_EQ(jsonAt(obs(r, 0), "/valueDateTime"), "\"2025-03-01\"");
  EXPECT_EQ(jsonAt(obs(r, 1), "/valueDateTime"), "\"2025-03-01T10:15:00+08:00\"");
  EXPECT_EQ(jsonAt(obs(r, 2), "/valueDateTime"), "\"2025-03-01T10:15:00-05:00\"");
  EXPECT_EQ(jsonAt(obs(r, 3), "/valueTime"), "\"10:15:00\"");
  EXPECT_EQ(jsonAt(obs(r, 4), "/valuePeriod"), R"({"start":"2025-03-01","end":"2025-03-05"})");
}

TEST(Observation, BadDateIsAnError) {
  auto r = mapV2(oru({"OBX|1|DT|A^A^L||20250230||||||F"}));
  EXPECT_FALSE(r.mapped);
  EXPECT_TRUE(r.has(Severity::Error, "OBX-5.1", "is not a date"));
}

TEST(Observation, NumericRange) {
  auto r = mapV2(oru({"OBX|1|NR|A^A^L||3.5^5.0|mmol/L^^UCUM|||||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_EQ(jsonAt(obs(r), "/valueRange/low/value"), "3.5");
  EXPECT_EQ(jsonAt(obs(r), "/valueRange/high/value"), "5.0");
}

TEST(Observation, RepeatingValueBecomesComponents) {
  auto r = mapV2(oru({"OBX|1|NM|A^Alpha^L||1~2~3|U/L|||||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  const auto& o = obs(r);
  EXPECT_EQ(jsonAt(o, "/valueQuantity"), "<missing>");
  ASSERT_EQ(o["component"].Size(), 3u);
  EXPECT_EQ(jsonAt(o, "/component/2/valueQuantity/value"), "3");
  EXPECT_EQ(jsonAt(o, "/component/0/code/coding/0/code"), "\"A\"");
}

TEST(Observation, UnmappedValueTypeIsLeftOutWithAWarning) {
  auto r = mapV2(oru({"OBX|1|ED|A^A^L||^application^pdf^Base64^JVBERi0=||||||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_EQ(jsonAt(obs(r), "/valueString"), "<missing>");
  EXPECT_TRUE(r.has(Severity::Warning, "OBX-2", "not mapped"));
}

TEST(Observation, EmptyValueTypeIsInferred) {
  auto r = mapV2(oru({"OBX|1||A^A^L||42|U/L|||||F", "OBX|2||B^B^L||see note||||||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_EQ(jsonAt(obs(r, 0), "/valueQuantity/value"), "42");
  EXPECT_EQ(jsonAt(obs(r, 1), "/valueString"), "\"see note\"");
  EXPECT_TRUE(r.has(Severity::Warning, "OBX-2", "read as NM"));
}

TEST(Observation, Statuses) {
  auto r =
      mapV2(oru({"OBX|1|NM|A^A^L||1||||||C", "OBX|2|NM|B^B^L||1||||||P", "OBX|3|NM|C^C^L||||||||D",
                 "OBX|4|NM|D^D^L||||||||W", "OBX|5|NM|E^E^L||||||||X", "OBX|6|NM|F^F^L||||||||N",
                 "OBX|7|NM|G^G^L||1||||||A", "OBX|8|NM|H^H^L||1||||||R"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  const std::vector<std::string> expected = {"corrected",        "preliminary", "entered-in-error",
                                             "entered-in-error", "cancelled",   "final",
                                             "amended",          "preliminary"};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(jsonAt(obs(r, i), "/status"), "\"" + expected[i] + "\"") << i;
  }
  EXPECT_EQ(jsonAt(obs(r, 4), "/dataAbsentReason/coding/0/code"), "\"not-performed\"");
  EXPECT_EQ(jsonAt(obs(r, 5), "/dataAbsentReason/coding/0/code"), "\"not-asked\"");
}

TEST(Observation, UnknownStatusIsAnError) {
  auto r = mapV2(oru({"OBX|1|NM|A^A^L||1||||||Q"}));
  EXPECT_FALSE(r.mapped);
  EXPECT_TRUE(r.has(Severity::Error, "OBX-11", "not a code of HL7 table 0085"));
  EXPECT_EQ(hl7v2::errorCodeFor(firstError(r)), hl7v2::ErrorCode::TableValueNotFound);
}

TEST(Observation, EmptyStatusTakesTheOrders) {
  auto r = mapV2(oru({"OBX|1|NM|A^A^L||1|||||"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_EQ(jsonAt(obs(r), "/status"), "\"final\"");
  EXPECT_TRUE(r.has(Severity::Warning, "OBX-11", "OBR-25"));
  // Without OBR-25 too, it is an error.
  auto r2 = mapV2(
      oru({"OBX|1|NM|A^A^L||1|||||"}, test::kMsh, "OBR|1|P1|F1|CBC^Complete blood count^99TXL"));
  EXPECT_FALSE(r2.mapped);
  EXPECT_TRUE(r2.has(Severity::Error, "OBX-11", "is required"));
}

TEST(Observation, InterpretationFlags) {
  auto r = mapV2(oru({"OBX|1|NM|A^A^L||1|||HH~POS~ZZ^Odd^L|||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  const auto& o = obs(r);
  ASSERT_EQ(o["interpretation"].Size(), 3u);
  EXPECT_EQ(jsonAt(o, "/interpretation/0/coding/0/code"), "\"HH\"");
  EXPECT_EQ(jsonAt(o, "/interpretation/1/coding/0/code"), "\"POS\"");
  EXPECT_EQ(jsonAt(o, "/interpretation/2/coding/0/code"), "\"ZZ\"");  // kept as sent
  EXPECT_TRUE(r.has(Severity::Warning, "OBX-8[3]", "no v3 ObservationInterpretation"));
}

TEST(Observation, ReferenceRangeThatIsTextStaysText) {
  auto r = mapV2(oru(
      {"OBX|1|CWE|A^A^L||N^Negative^L||Negative||||F", "OBX|2|NM|B^B^L||3|mmol/L|<5 mmol/L|||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_EQ(jsonAt(obs(r, 0), "/referenceRange"), R"([{"text":"Negative"}])");
  EXPECT_EQ(jsonAt(obs(r, 1), "/referenceRange/0/high"),
            R"({"value":5,"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"})");
}

TEST(Observation, EffectiveFallsBackToTheOrderThenTheSpecimen) {
  auto r = mapV2(oru({"OBX|1|NM|A^A^L||1||||||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_EQ(jsonAt(obs(r), "/effectiveDateTime"), "\"2025-03-12T07:30:00+08:00\"");  // OBR-7
  auto r2 = mapV2(oru({"OBX|1|NM|A^A^L||1||||||F", "SPM|1|^S1||BLD|||||||||||||202503110600"},
                      test::kMsh, "OBR|1|P1|F1|CBC^CBC^L|||||||||||||||||||||F"));
  ASSERT_TRUE(r2.mapped) << r2.describe();
  EXPECT_EQ(jsonAt(obs(r2), "/effectiveDateTime"), "\"2025-03-11T06:00:00+08:00\"");
}

TEST(Observation, PerformersAndAnalysisTime) {
  auto r =
      mapV2(oru({"OBX|1|NM|A^A^L||1||||||F|||20250312|LABX^Lab X^L|9^Obs^Olga|||"
                 "202503120900||||Lab One^L^^^^ISO1&1.2.3&ISO^XX^^^77|1 Lab St^^Town|"
                 "5^Dir^Dan"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  const auto& o = obs(r);
  ASSERT_EQ(o["performer"].Size(), 2u);
  const std::string observer = o["performer"][0]["reference"].GetString();
  const std::string role = o["performer"][1]["reference"].GetString();
  EXPECT_EQ(observer.rfind("Practitioner/", 0), 0u);
  EXPECT_EQ(role.rfind("PractitionerRole/", 0), 0u);
  const auto& org = named(r, "Organization", "Lab One");
  EXPECT_EQ(test::str(test::at(org, "/name")), "Lab One");
  EXPECT_EQ(jsonAt(org, "/identifier/0/value"), "\"77\"");
  EXPECT_EQ(jsonAt(org, "/identifier/0/system"), "\"urn:oid:1.2.3\"");
  EXPECT_EQ(jsonAt(org, "/identifier/1/value"), "\"LABX\"");  // OBX-15
  EXPECT_EQ(jsonAt(org, "/address/0/city"), "\"Town\"");
  EXPECT_EQ(jsonAt(r.first("PractitionerRole"), "/code/0/coding/0/code"), "\"MDIR\"");
  EXPECT_EQ(jsonAt(o, "/extension/0/valueDateTime"), "\"2025-03-12T09:00:00+08:00\"");
}

TEST(Observation, SharedPeopleAreOneResource) {
  auto r = mapV2(
      oru({"OBX|1|NM|A^A^L||1||||||F|||||9^Obs^Olga", "OBX|2|NM|B^B^L||1||||||F|||||9^Obs^Olga"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_EQ(r.all("Practitioner").size(), 1u);
  EXPECT_EQ(jsonAt(obs(r, 0), "/performer"), jsonAt(obs(r, 1), "/performer"));
}

TEST(Observation, NotesBecomeAnnotations) {
  auto r = mapV2(oru({"OBX|1|NM|A^A^L||1||||||F",
                      "NTE|1|L|First line~second line||77^Li^Hua|"
                      "202503121000",
                      "NTE|2|L|Another note"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  const auto& o = obs(r);
  ASSERT_EQ(o["note"].Size(), 2u);
  EXPECT_EQ(
      jsonAt(o, "/note/0"),
      R"({"authorString":"Hua Li","time":"2025-03-12T10:00:00+08:00","text":"First line\nsecond line"})");
}

TEST(Observation, LocalCodeGainsItsLoinc) {
  auto r = mapV2(oru({"OBX|1|NM|ALT^ALT (GPT)^99TXL||23|U/L|||||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_EQ(
      jsonAt(obs(r), "/code/coding/1"),
      R"({"system":"http://loinc.org","code":"1742-6","display":"Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma"})");
}

TEST(Observation, NoLoincIsAWarning) {
  auto r = mapV2(oru({"OBX|1|NM|ZZTOP^Unknown test^99TXL||23|U/L|||||F",
                      "OBX|2|NM|777-4^Platelets, typo^LN||23|U/L|||||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_TRUE(r.has(Severity::Warning, "OBX-3", "no LOINC code for 'ZZTOP'"));
  EXPECT_TRUE(r.has(Severity::Warning, "OBX[2]-3.1", "not a LOINC code"));
}

TEST(Observation, CodeIsRequired) {
  auto r = mapV2(oru({"OBX|1|NM|||23|U/L|||||F"}));
  EXPECT_FALSE(r.mapped);
  EXPECT_TRUE(r.has(Severity::Error, "OBX-3", "required"));
}

}  // namespace
}  // namespace trialbridge::mapping
