#include "mapping/v2_terminology.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mapping/embedded_data.h"
#include "test_util.h"
#include "validation/validator.h"

namespace trialbridge::mapping {
namespace {

using test::context;

constexpr std::string_view kLoinc = "http://loinc.org";
const std::string kV2 = "http://terminology.hl7.org/CodeSystem/v2-";

std::string target(const V2Terminology& t, std::string_view source, std::string_view code,
                   std::string_view system, bool local = false) {
  auto r = t.translate(source, code, system, local);
  if (!r) return "<none>";
  return r->unmatched ? "<unmatched>" : r->code;
}

TEST(V2Terminology, CodingSystems) {
  auto t = V2Terminology::defaults(context());
  EXPECT_EQ(t->systemUri("LN"), "http://loinc.org");
  EXPECT_EQ(t->systemUri("SCT"), "http://snomed.info/sct");
  EXPECT_EQ(t->systemUri("UCUM"), "http://unitsofmeasure.org");
  EXPECT_EQ(t->systemUri("HL70078"), kV2 + "0078");
  EXPECT_EQ(t->systemUri("HL70396"), kV2 + "0396");
  EXPECT_EQ(t->systemUri("99TXL"), "");
  EXPECT_EQ(t->systemUri("HL7ABCD"), "");
  EXPECT_TRUE(t->isLocalSystem("L"));
  EXPECT_EQ(t->oidUri("2.16.840.1.113883.6.1"), "http://loinc.org");
  EXPECT_EQ(t->oidUri("1.2.3"), "urn:oid:1.2.3");
  EXPECT_EQ(t->universalIdTypeSystem("CLIA"), "urn:oid:2.16.840.1.113883.4.7");
  EXPECT_EQ(t->universalIdTypeSystem("XYZ"), "");
}

TEST(V2Terminology, Units) {
  auto t = V2Terminology::defaults(context());
  EXPECT_EQ(t->ucumFor("x10E9/L"), "10*9/L");
  EXPECT_EQ(t->ucumFor("X10E9/L"), "10*9/L");  // case folded
  EXPECT_EQ(t->ucumFor("\xC2\xB5mol/L"), "umol/L");
  EXPECT_EQ(t->ucumFor("mL/min/1.73m2"), "mL/min/{1.73_m2}");
  EXPECT_EQ(t->ucumFor("furlongs"), "");
}

TEST(V2Terminology, TableMaps) {
  auto t = V2Terminology::defaults(context());
  const std::string status = "http://hl7.org/fhir/observation-status";
  EXPECT_EQ(target(*t, kV2 + "0085", "F", status), "final");
  EXPECT_EQ(target(*t, kV2 + "0085", "C", status), "corrected");
  EXPECT_EQ(target(*t, kV2 + "0085", "D", status), "entered-in-error");
  EXPECT_EQ(target(*t, kV2 + "0085", "W", status), "entered-in-error");
  EXPECT_EQ(target(*t, kV2 + "0085", "Q", status), "<none>");
  EXPECT_EQ(target(*t, kV2 + "0123", "F", "http://hl7.org/fhir/diagnostic-report-status"), "final");
  EXPECT_EQ(target(*t, kV2 + "0123", "Y", "http://hl7.org/fhir/diagnostic-report-status"),
            "<unmatched>");
  const std::string interp = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
  EXPECT_EQ(target(*t, kV2 + "0078", "HH", interp), "HH");
  EXPECT_EQ(target(*t, kV2 + "0078", "AC", interp), "<unmatched>");
  EXPECT_EQ(target(*t, kV2 + "0001", "F", "http://hl7.org/fhir/administrative-gender"), "female");
}

TEST(V2Terminology, LocalLabCodesToLoinc) {
  auto t = V2Terminology::defaults(context());
  // The trial's labs and a CBC, from any local coding system.
  for (const auto& [code, loinc] :
       std::vector<std::pair<const char*, const char*>>{{"PLT", "777-3"},
                                                        {"ALT", "1742-6"},
                                                        {"AST", "1920-8"},
                                                        {"TBIL", "1975-2"},
                                                        {"CREA", "2160-0"},
                                                        {"CRCL", "2164-2"},
                                                        {"EGFR", "62238-1"},
                                                        {"HCGS", "2118-8"},
                                                        {"HCGU", "2106-3"},
                                                        {"WBC", "6690-2"},
                                                        {"RBC", "789-8"},
                                                        {"HGB", "718-7"},
                                                        {"HCT", "4544-3"},
                                                        {"MCV", "787-2"},
                                                        {"MCH", "785-6"},
                                                        {"MCHC", "786-4"}}) {
    EXPECT_EQ(target(*t, "99TXL", code, kLoinc, true), loinc) << code;
  }
  // Only for a local source: SNOMED's or LOINC's own codes are not looked up there.
  EXPECT_EQ(target(*t, "http://snomed.info/sct", "PLT", kLoinc, false), "<none>");
}

TEST(V2Terminology, EmbeddedConceptMapsValidate) {
  const validation::Validator validator(context());
  for (EmbeddedFile f : {EmbeddedFile::V2ConceptMaps, EmbeddedFile::V2LabCodes}) {
    core::Issues issues;
    validator.validateText(embeddedFile(f), issues);
    EXPECT_FALSE(issues.hasErrors()) << test::describe(issues);
  }
}

class SiteDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tb-v2-site-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(SiteDirectory, ExtendsAndOverridesTheDefaults) {
  write("labs.json", R"({"resourceType": "ConceptMap", "status": "active",
    "group": [{"source": "99ZL", "target": "http://loinc.org", "element": [
      {"code": "CREA", "target": [{"code": "14682-9", "equivalence": "equivalent"}]},
      {"code": "SMEAR", "target": [{"code": "5909-7", "equivalence": "equivalent"}]}]}]})");
  write("coding-systems.json",
        R"({"codingSystems": {"99TXL": "https://dongguan-taixin.example/CodeSystem/lab"},
            "assigningAuthorities": {"TAIXIN": "https://dongguan-taixin.example/sid/mrn"}})");
  write("units.json", R"({"units": {"Zellen/nl": "10*3/uL"}})");
  core::Issues issues;
  auto t = V2Terminology::withSiteDirectory(dir_.string(), context(), issues);
  ASSERT_NE(t, nullptr) << test::describe(issues);
  EXPECT_TRUE(issues.empty());
  EXPECT_EQ(target(*t, "99ZL", "CREA", kLoinc, true), "14682-9");  // the site's, for its system
  EXPECT_EQ(target(*t, "99TXL", "CREA", kLoinc, true), "2160-0");  // the default elsewhere
  EXPECT_EQ(target(*t, "99ZL", "SMEAR", kLoinc, true), "5909-7");
  EXPECT_EQ(target(*t, "99ZL", "ALT", kLoinc, true), "1742-6");
  EXPECT_EQ(t->systemUri("99TXL"), "https://dongguan-taixin.example/CodeSystem/lab");
  EXPECT_EQ(t->systemUri("LN"), "http://loinc.org");
  EXPECT_EQ(t->assigningAuthority("TAIXIN"), "https://dongguan-taixin.example/sid/mrn");
  EXPECT_EQ(t->ucumFor("Zellen/nl"), "10*3/uL");
  EXPECT_EQ(t->ucumFor("x10E9/L"), "10*9/L");
  // The defaults are untouched.
  EXPECT_EQ(V2Terminology::defaults(context())->systemUri("99TXL"), "");
}

TEST_F(SiteDirectory, ABundleOfConceptMaps) {
  write("maps.json", R"({"resourceType": "Bundle", "type": "collection", "entry": [
    {"resource": {"resourceType": "ConceptMap", "status": "active", "group": [{"source": "L",
      "target": "http://loinc.org", "element": [{"code": "K", "target": [
        {"code": "2823-3", "equivalence": "equivalent"}]}]}]}}]})");
  core::Issues issues;
  auto t = V2Terminology::withSiteDirectory(dir_.string(), context(), issues);
  ASSERT_NE(t, nullptr) << test::describe(issues);
  EXPECT_EQ(target(*t, "L", "K", kLoinc, true), "2823-3");
}

TEST_F(SiteDirectory, ErrorsNameTheFile) {
  write("broken.json", R"({"resourceType": "ConceptMap", "status": )");
  core::Issues issues;
  EXPECT_EQ(V2Terminology::withSiteDirectory(dir_.string(), context(), issues), nullptr);
  ASSERT_TRUE(issues.hasErrors());
  EXPECT_NE(issues.items()[0].message.find("broken.json: "), std::string::npos);

  std::filesystem::remove(dir_ / "broken.json");
  write("patient.json", R"({"resourceType": "Patient"})");
  core::Issues issues2;
  EXPECT_EQ(V2Terminology::withSiteDirectory(dir_.string(), context(), issues2), nullptr);
  EXPECT_NE(issues2.items()[0].message.find("a mapping file holds a ConceptMap"),
            std::string::npos);

  std::filesystem::remove(dir_ / "patient.json");
  write("units.json", R"({"units": {"a": 5}})");
  core::Issues issues3;
  EXPECT_EQ(V2Terminology::withSiteDirectory(dir_.string(), context(), issues3), nullptr);
  EXPECT_NE(issues3.items()[0].message.find("must be a string"), std::string::npos);

  core::Issues issues4;
  EXPECT_EQ(V2Terminology::withSiteDirectory((dir_ / "nope").string(), context(), issues4),
            nullptr);
  EXPECT_NE(issues4.items()[0].message.find("not a directory"), std::string::npos);
}

}  // namespace
}  // namespace trialbridge::mapping
