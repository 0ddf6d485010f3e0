// ORC/OBR/SPM -> ServiceRequest, DiagnosticReport, Specimen.
#include <gtest/gtest.h>

#include "v2_test_util.h"

namespace trialbridge::mapping {
namespace {

using core::Severity;
using test::jsonAt;
using test::kMsh;
using test::mapV2;
using test::oru;

std::string obr(const std::string& status, const std::string& more = "") {
  return "OBR|1|P1^HIS|F1^LIS|CBC^Complete blood count^99TXL^58410-2^CBC panel^LN|||"
         "20250312073000|" +
         more + "||||||||||||||20250312082500||HM|" + status;
}

TEST(Report, StatusFromObr25) {
  for (const auto& [v2, fhir] :
       std::vector<std::pair<std::string, std::string>>{{"F", "final"},
                                                        {"P", "preliminary"},
                                                        {"C", "corrected"},
                                                        {"R", "partial"},
                                                        {"X", "cancelled"},
                                                        {"I", "registered"},
                                                        {"A", "partial"}}) {
    auto r = mapV2(oru({"OBX|1|NM|A^A^L||1||||||F"}, kMsh, obr(v2)));
    ASSERT_TRUE(r.mapped) << v2 << r.describe();
    EXPECT_EQ(jsonAt(r.first("DiagnosticReport"), "/status"), "\"" + fhir + "\"") << v2;
  }
}

TEST(Report, StatusIsRequiredAndKnown) {
  auto r = mapV2(oru({"OBX|1|NM|A^A^L||1||||||F"}, kMsh, obr("")));
  EXPECT_FALSE(r.mapped);
  EXPECT_TRUE(r.has(Severity::Error, "OBR-25", "required"));
  auto r2 = mapV2(oru({"OBX|1|NM|A^A^L||1||||||F"}, kMsh, obr("Y")));
  EXPECT_FALSE(r2.mapped);
  EXPECT_TRUE(r2.has(Severity::Error, "OBR-25", "no FHIR equivalent"));
}

TEST(Report, ResultsInOrderCodeCategoryAndPeriod) {
  auto r = mapV2(
      oru({"OBX|1|NM|A^A^L||1||||||F", "OBX|2|NM|B^B^L||2||||||F", "OBX|3|NM|C^C^L||3||||||F"},
          kMsh, obr("F", "20250312074500")));
  ASSERT_TRUE(r.mapped) << r.describe();
  const auto& dr = r.first("DiagnosticReport");
  const auto obs = r.all("Observation");
  ASSERT_EQ(dr["result"].Size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(
        std::string(dr["result"][static_cast<rapidjson::SizeType>(i)]["reference"].GetString()),
        "Observation/" + std::string((*obs[i])["id"].GetString()));
  }
  EXPECT_EQ(jsonAt(dr, "/code/coding/1/code"), "\"58410-2\"");
  EXPECT_EQ(jsonAt(dr, "/category/0/coding/0/code"), "\"HM\"");
  EXPECT_EQ(jsonAt(dr, "/effectivePeriod"),
            R"({"start":"2025-03-12T07:30:00+08:00","end":"2025-03-12T07:45:00+08:00"})");
  EXPECT_EQ(jsonAt(dr, "/issued"), "\"2025-03-12T08:25:00+08:00\"");
  EXPECT_EQ(jsonAt(r.first("MessageHeader"), "/focus/0/reference"),
            "\"DiagnosticReport/" + std::string(dr["id"].GetString()) + "\"");
}

TEST(Report, OrderNotesAreTheConclusion) {
  auto r = mapV2(oru({"NTE|1|L|Sample slightly haemolysed.", "NTE|2|L|Second remark.",
                      "OBX|1|NM|A^A^L||1||||||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_EQ(jsonAt(r.first("DiagnosticReport"), "/conclusion"),
            "\"Sample slightly haemolysed.\\nSecond remark.\"");
  EXPECT_EQ(jsonAt(r.first("Observation"), "/note"), "<missing>");
}

TEST(Order, OrcMakesAServiceRequest) {
  std::string text = kMsh + "\r" + test::kPid + "\r" +
                     "ORC|RE|P1^HIS|F1^LIS||CM||||20250312070000|||77^Zhang^Min\r" + test::kObr +
                     "\rOBX|1|NM|A^A^L||1||||||F\r";
  auto r = mapV2(text);
  ASSERT_TRUE(r.mapped) << r.describe();
  const auto& sr = r.first("ServiceRequest");
  EXPECT_EQ(jsonAt(sr, "/status"), "\"completed\"");
  EXPECT_EQ(jsonAt(sr, "/intent"), "\"order\"");
  EXPECT_EQ(jsonAt(sr, "/identifier/0/value"), "\"P1\"");
  EXPECT_EQ(jsonAt(sr, "/identifier/1/type/coding/0/code"), "\"FILL\"");
  EXPECT_EQ(jsonAt(sr, "/authoredOn"), "\"2025-03-12T07:00:00+08:00\"");
  EXPECT_EQ(jsonAt(sr, "/requester/reference").rfind("\"Practitioner/", 0), 0u);
  const std::string ref = "\"ServiceRequest/" + std::string(sr["id"].GetString()) + "\"";
  EXPECT_EQ(jsonAt(r.first("DiagnosticReport"), "/basedOn/0/reference"), ref);
  EXPECT_EQ(jsonAt(r.first("Observation"), "/basedOn/0/reference"), ref);
  // No ORC: no ServiceRequest.
  auto r2 = mapV2(oru({"OBX|1|NM|A^A^L||1||||||F"}));
  EXPECT_TRUE(r2.all("ServiceRequest").empty());
}

TEST(Specimen, FromSpm) {
  auto r = mapV2(oru({"OBX|1|NM|A^A^L||1||||||F",
                      "SPM|1|PL1&HIS^FL1&LIS||119297000^Blood specimen^SCT|||VENIP^Venipuncture^"
                      "HL70488|LACF^Left antecubital fossa^L||||2^mL&milliliter&UCUM||Lipaemic|||"
                      "202503120730^202503120735|202503120800||Y||||CLOT^Clotted^L"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  const auto& s = r.first("Specimen");
  EXPECT_EQ(jsonAt(s, "/identifier/0/value"), "\"PL1\"");
  EXPECT_EQ(jsonAt(s, "/identifier/1/value"), "\"FL1\"");
  EXPECT_EQ(jsonAt(s, "/status"), "\"available\"");
  EXPECT_EQ(jsonAt(s, "/type/coding/0/code"), "\"119297000\"");
  EXPECT_EQ(jsonAt(s, "/collection/collectedPeriod"),
            R"({"start":"2025-03-12T07:30:00+08:00","end":"2025-03-12T07:35:00+08:00"})");
  EXPECT_EQ(jsonAt(s, "/collection/quantity"),
            R"({"value":2,"unit":"milliliter","system":"http://unitsofmeasure.org","code":"mL"})");
  EXPECT_EQ(jsonAt(s, "/collection/method/coding/0/code"), "\"VENIP\"");
  EXPECT_EQ(jsonAt(s, "/receivedTime"), "\"2025-03-12T08:00:00+08:00\"");
  EXPECT_EQ(jsonAt(s, "/condition/0/coding/0/code"), "\"CLOT\"");
  EXPECT_EQ(jsonAt(s, "/note/0/text"), "\"Lipaemic\"");
  const std::string ref = "\"Specimen/" + std::string(s["id"].GetString()) + "\"";
  EXPECT_EQ(jsonAt(r.first("Observation"), "/specimen/reference"), ref);
  EXPECT_EQ(jsonAt(r.first("DiagnosticReport"), "/specimen/0/reference"), ref);
}

TEST(Specimen, FromObr15WhenThereIsNoSpm) {
  auto r = mapV2(oru({"OBX|1|NM|A^A^L||1||||||F"}, kMsh,
                     "OBR|1|P1|F1|CBC^CBC^L|||20250312073000||||||||BLD&Blood&HL70070||||||||||F"));
  ASSERT_TRUE(r.mapped) << r.describe();
  const auto& s = r.first("Specimen");
  EXPECT_EQ(jsonAt(s, "/type/coding/0/code"), "\"BLD\"");
  EXPECT_EQ(jsonAt(s, "/collection/collectedDateTime"), "\"2025-03-12T07:30:00+08:00\"");
}

TEST(Specimen, ObservationsAboutTheSpecimenHaveItAsFocus) {
  auto r = mapV2(oru({"OBX|1|NM|A^A^L||1||||||F", "SPM|1|^S1||BLD",
                      "OBX|1|CWE|COND^Condition^L||OK^Fine^L||||||F"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  const auto obs = r.all("Observation");
  ASSERT_EQ(obs.size(), 2u);
  EXPECT_EQ(jsonAt(*obs[1], "/focus/0/reference").rfind("\"Specimen/", 0), 0u);
  EXPECT_EQ(r.first("DiagnosticReport")["result"].Size(), 1u);  // not a result of the report
}

TEST(Report, AnEndBeforeTheStartIsLeftOut) {
  auto r = mapV2(oru({"OBX|1|NM|A^A^L||1||||||F"}, kMsh, obr("F", "20250312070000")));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_EQ(jsonAt(r.first("DiagnosticReport"), "/effectiveDateTime"),
            "\"2025-03-12T07:30:00+08:00\"");
  EXPECT_TRUE(r.has(Severity::Warning, "OBR-8", "before the start"));
}

TEST(Order, AnOrganizationHasNoHomeAddress) {
  auto r = mapV2(oru({"OBX|1|NM|A^A^L||1||||||F||||||||||||Lab One|1 Lab St^^Town^^^^H"}));
  ASSERT_TRUE(r.mapped) << r.describe();
  bool lab = false;
  for (const auto* org : r.all("Organization")) {
    if (test::str(test::at(*org, "/name")) != "Lab One") continue;
    lab = true;
    EXPECT_EQ(jsonAt(*org, "/address/0/city"), "\"Town\"");
    EXPECT_EQ(jsonAt(*org, "/address/0/use"), "<missing>");
  }
  EXPECT_TRUE(lab);
}

TEST(Order, NoOrderNumbersIsAWarning) {
  auto r =
      mapV2(oru({"OBX|1|NM|A^A^L||1||||||F"}, kMsh, "OBR|1|||CBC^CBC^L|||||||||||||||||||||F"));
  ASSERT_TRUE(r.mapped) << r.describe();
  EXPECT_TRUE(r.has(Severity::Warning, "OBR-3", "no filler or placer order number"));
}

}  // namespace
}  // namespace trialbridge::mapping
