#include "mapping/v2_datatypes.h"

#include <gtest/gtest.h>

#include <deque>

#include "core/json.h"
#include "test_util.h"

namespace trialbridge::mapping {
namespace {

using test::context;

// Field 1 of a ZZZ segment holds the value under test; the FHIR side is written into the
// parameters of a Parameters resource (value[x] takes every type).
class DataTypes : public ::testing::Test {
 protected:
  void SetUp() override {
    doc_ = std::make_unique<core::Document>(context());
    root_ = doc_->createResource("Parameters");
    builder_ = std::make_unique<ResourceBuilder>(*doc_);
    terminology_ = V2Terminology::defaults(context());
    codes_ = std::make_unique<conformance::Terminology>(context());
    dt_ = std::make_unique<V2DataTypes>(*builder_, *terminology_, issues_, codes_.get());
  }

  hl7v2::Value field(const std::string& value) {
    texts_.push_back("MSH|^~\\&|A||||20250312||ORU^R01|C|P|2.5.1\rZZZ|" + value + "\r");
    core::Issues issues;
    messages_.push_back(std::move(*hl7v2::parseMessage(std::string_view(texts_.back()), issues)));
    return messages_.back().find("ZZZ")->field(1);
  }
  core::Element* parameter() { return builder_->add(root_, "parameter"); }
  std::string out() const { return core::writeJson(*root_); }

  std::deque<std::string> texts_;
  std::deque<hl7v2::Message> messages_;
  std::unique_ptr<core::Document> doc_;
  core::Element* root_ = nullptr;
  std::unique_ptr<ResourceBuilder> builder_;
  std::shared_ptr<const V2Terminology> terminology_;
  std::unique_ptr<conformance::Terminology> codes_;
  core::Issues issues_;
  std::unique_ptr<V2DataTypes> dt_;
};

TEST(V2Decimal, Normalizes) {
  EXPECT_EQ(*v2Decimal("45"), "45");
  EXPECT_EQ(*v2Decimal("+45"), "45");
  EXPECT_EQ(*v2Decimal("-0.50"), "-0.50");
  EXPECT_EQ(*v2Decimal("007.10"), "7.10");
  EXPECT_EQ(*v2Decimal(".5"), "0.5");
  EXPECT_EQ(*v2Decimal("5."), "5");
  EXPECT_EQ(*v2Decimal(" 12 "), "12");
  for (const char* bad : {"", "-", ".", "12,5", "1.2.3", "1e5", "45a", "<10", "--1"}) {
    EXPECT_FALSE(v2Decimal(bad)) << bad;
  }
}

TEST(V2Code, TrimsAndCollapsesWhiteSpace) {
  EXPECT_EQ(v2Code("  A  B\tC \r\n"), "A B C");
  EXPECT_EQ(v2Code("PLT"), "PLT");
  EXPECT_EQ(v2Code(" \n "), "");
}

TEST(Loinc, CheckDigit) {
  for (const char* good : {"777-3", "1742-6", "1920-8", "1975-2", "2160-0", "14682-9", "2164-2",
                           "62238-1", "2106-3", "21198-7", "58410-2", "10368-9", "5198-7"}) {
    EXPECT_TRUE(isValidLoinc(good)) << good;
  }
  for (const char* bad : {"777-4", "xx625-4", "7773", "-3", "777-", "777-33", "12345678-9"}) {
    EXPECT_FALSE(isValidLoinc(bad)) << bad;
  }
}

TEST(ReferenceRange, Forms) {
  auto r = v2ReferenceRange("125-350");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->low, "125");
  EXPECT_EQ(r->high, "350");
  r = v2ReferenceRange("3.4 - 20.5 umol/L");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->low, "3.4");
  EXPECT_EQ(r->high, "20.5");
  EXPECT_EQ(r->unit, "umol/L");
  r = v2ReferenceRange("<10 ug/dL");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->low, "");
  EXPECT_EQ(r->high, "10");
  EXPECT_EQ(r->unit, "ug/dL");
  r = v2ReferenceRange(">= 90");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->low, "90");
  EXPECT_EQ(r->high, "");
  r = v2ReferenceRange(
      "\xE2\x89\xA4"
      "5");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->high, "5");
  r = v2ReferenceRange("-5 to 5");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->low, "-5");
  EXPECT_EQ(r->high, "5");
  for (const char* text : {"Negative", "see note", "125-", "1-2-3", "<", "10"}) {
    EXPECT_FALSE(v2ReferenceRange(text)) << text;
  }
}

TEST_F(DataTypes, CweToCodeableConcept) {
  dt_->codeableConcept(parameter(), "valueCodeableConcept",
                       field("777-3^Platelets^LN^PLT^Platelet count^99TXL^2.74^^Platelet count"));
  EXPECT_EQ(out(),
            "{\"resourceType\":\"Parameters\",\"parameter\":[{\"valueCodeableConcept\":{\"coding\":"
            "[{\"system\":\"http://loinc.org\",\"version\":\"2.74\",\"code\":\"777-3\",\"display\":"
            "\"Platelets\"},{\"code\":\"PLT\",\"display\":\"Platelet count\"}],\"text\":\"Platelet "
            "count\"}}]}");
  // The local system without a URI is said once, as information.
  ASSERT_EQ(issues_.size(), 1u);
  EXPECT_EQ(issues_.items()[0].severity, core::Severity::Information);
  EXPECT_EQ(issues_.items()[0].location, "ZZZ-1.6");
}

TEST_F(DataTypes, CweTextAloneAndNull) {
  dt_->codeableConcept(parameter(), "valueCodeableConcept", field("^Negative"));
  EXPECT_EQ(dt_->codeableConcept(parameter(), "valueCodeableConcept", field("\"\"")), nullptr);
  EXPECT_NE(out().find("{\"valueCodeableConcept\":{\"text\":\"Negative\"}}"), std::string::npos);
}

TEST_F(DataTypes, CodeNotInAKnownTableIsKeptAsText) {
  dt_->codeableConcept(parameter(), "valueCodeableConcept", field("ZZ^Odd^HL70078"));
  EXPECT_NE(out().find("{\"text\":\"Odd\"}"), std::string::npos) << out();
  ASSERT_EQ(issues_.count(core::Severity::Warning), 1u);
}

TEST_F(DataTypes, AWrongDisplayOfAKnownCodeIsDropped) {
  dt_->codeableConcept(parameter(), "valueCodeableConcept",
                       field("VENIP^Venipunctured^HL70488~VENIP^venipuncture^HL70488"));
  EXPECT_NE(out().find("{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/"
                       "v2-0488\",\"code\":\"VENIP\"}]"),
            std::string::npos)
      << out();
  EXPECT_EQ(issues_.size(), 1u);
  EXPECT_EQ(issues_.items()[0].severity, core::Severity::Information);
}

TEST_F(DataTypes, AuthoritiesThatAreNotWhatTheySayAreNoSystem) {
  EXPECT_EQ(dt_->hdSystem(dt_->hd(field("A^1.2.3^ISO"), false)), "urn:oid:1.2.3");
  EXPECT_EQ(dt_->hdSystem(dt_->hd(field("A^1.2.x^ISO"), false)), "");
  EXPECT_EQ(dt_->hdSystem(dt_->hd(field("A^http://x.org/a b^URI"), false)), "");
  // A URI needs its scheme (found by bench/fuzz_soak.sh, oru_mapping_fuzz: the validator then
  // refused the Bundle for an identifier system "h<ttps://...").
  EXPECT_EQ(dt_->hdSystem(dt_->hd(field("A^h<ttps://x.org/mrn^URI"), false)), "");
  EXPECT_EQ(dt_->hdSystem(dt_->hd(field("A^://x.org/mrn^URI"), false)), "");
  EXPECT_EQ(dt_->hdSystem(dt_->hd(field("A^1http://x.org^URL"), false)), "");
  EXPECT_EQ(dt_->hdSystem(dt_->hd(field("A^urn:ietf:rfc:3986^URI"), false)), "urn:ietf:rfc:3986");
  EXPECT_EQ(dt_->hdSystem(dt_->hd(field("A^svn+ssh.1-x:y^URI"), false)), "svn+ssh.1-x:y");
  EXPECT_EQ(dt_->hdSystem(dt_->hd(field("A^6ba7b810-9dad-11d1-80b4-00c04fd430c8^UUID"), false)),
            "urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  EXPECT_EQ(dt_->hdSystem(dt_->hd(field("A^not-a-uuid^UUID"), false)), "");
}

TEST_F(DataTypes, CxToIdentifier) {
  core::Document doc(context());
  core::Element* patient = doc.createResource("Patient");
  ResourceBuilder b(doc);
  V2DataTypes dt(b, *terminology_, issues_, codes_.get());
  dt.identifierFromCx(patient, "identifier",
                      field("MRN0048213^^^TAIXIN&https://dongguan-taixin.example/sid/mrn&URI^MR^^"
                            "20200101^20301231"));
  dt.identifierFromCx(patient, "identifier", field("440^^^CNHI&2.16.156.99999.2&ISO^PI"));
  dt.identifierFromCx(patient, "identifier", field("444333333^^^&2.16.840.1.113883.4.1&ISO^SS"));
  dt.identifierFromCx(patient, "identifier", field("77^^^LOCALONLY^XYZ"));
  EXPECT_EQ(
      core::writeJson(*patient),
      "{\"resourceType\":\"Patient\",\"identifier\":[{\"type\":{\"coding\":[{\"system\":\"http://"
      "terminology.hl7.org/CodeSystem/v2-0203\",\"code\":\"MR\"}]},\"system\":\"https://"
      "dongguan-taixin.example/sid/mrn\",\"value\":\"MRN0048213\",\"period\":{\"start\":\"2020-01-"
      "01\",\"end\":\"2030-12-31\"},\"assigner\":{\"display\":\"TAIXIN\"}},{\"type\":{\"coding\":"
      "[{\"system\":\"http://terminology.hl7.org/CodeSystem/v2-0203\",\"code\":\"PI\"}]},"
      "\"system\":\"urn:oid:2.16.156.99999.2\",\"value\":\"440\",\"assigner\":{\"display\":"
      "\"CNHI\"}},{\"type\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/"
      "v2-0203\",\"code\":\"SS\"}]},\"system\":\"http://hl7.org/fhir/sid/us-ssn\",\"value\":"
      "\"444333333\"},{\"type\":{\"text\":\"XYZ\"},\"value\":\"77\",\"assigner\":{\"display\":"
      "\"LOCALONLY\"}}]}");
  EXPECT_EQ(issues_.count(core::Severity::Warning), 1u);  // XYZ is no identifier type
}

TEST_F(DataTypes, NamesAddressesTelecoms) {
  core::Document doc(context());
  core::Element* patient = doc.createResource("Patient");
  ResourceBuilder b(doc);
  V2DataTypes dt(b, *terminology_, issues_, codes_.get());
  dt.humanName(patient, "name", field("Everyman&Van^Adam^A^Jr^Dr^MD^L^^^^^^^BS"));
  EXPECT_EQ(dt.humanName(patient, "name", field("^^^^^^L")), nullptr);
  dt.telecom(patient, "telecom", field("^PRN^PH^^1^555^5552004^12"), "home");
  dt.telecom(patient, "telecom", field("^NET^Internet^li@example.org"), "home");
  dt.telecom(patient, "telecom", field("(555)555-1234"), "work");
  dt.telecom(patient, "telecom", field("12345^^XX"), "");
  dt.address(patient, "address", field("1 Main St^Apt 2^Ann Arbor^MI^99999^USA^M^^Washtenaw"));
  EXPECT_EQ(core::writeJson(*patient),
            "{\"resourceType\":\"Patient\",\"name\":[{\"use\":\"official\",\"family\":\"Everyman\","
            "\"given\":[\"Adam\",\"A\"],\"prefix\":[\"Dr\"],\"suffix\":[\"Jr\",\"MD\",\"BS\"]}],"
            "\"telecom\":[{\"system\":\"phone\",\"value\":\"+1 555 5552004 ext. 12\",\"use\":"
            "\"home\"},{\"system\":\"email\",\"value\":\"li@example.org\"},{\"system\":\"phone\","
            "\"value\":\"(555)555-1234\",\"use\":\"work\"},{\"system\":\"other\",\"value\":"
            "\"12345\"}],\"address\":[{\"type\":\"postal\","
            "\"line\":[\"1 Main St\",\"Apt 2\"],\"city\":\"Ann Arbor\",\"district\":\"Washtenaw\","
            "\"state\":\"MI\",\"postalCode\":\"99999\",\"country\":\"USA\"}]}");
}

TEST_F(DataTypes, DatesReportErrorsAtTheValue) {
  dt_->setDefaultOffset("+08:00");
  EXPECT_EQ(dt_->dateTime(field("202503120730")), "2025-03-12T07:30:00+08:00");
  EXPECT_EQ(dt_->date(field("198804121015")), "1988-04-12");
  EXPECT_EQ(dt_->instant(field("20250312")), "");
  EXPECT_EQ(issues_.count(core::Severity::Warning), 1u);
  EXPECT_EQ(dt_->dateTime(field("2025-13-40")), "");
  EXPECT_EQ(dt_->dateTime(field("")), "");
  ASSERT_TRUE(issues_.hasErrors());
  EXPECT_EQ(issues_.items().back().location, "ZZZ-1.1");
  EXPECT_EQ(hl7v2::errorCodeFor(issues_.items().back()), hl7v2::ErrorCode::DataType);
}

TEST_F(DataTypes, UnitsToUcum) {
  const auto unit = [&](const std::string& v2) {
    core::Element* q = builder_->add(parameter(), "valueQuantity");
    dt_->unit(q, field(v2));
    return core::writeJson(*q);
  };
  EXPECT_EQ(unit("10*9/L^^UCUM"),
            "{\"unit\":\"10*9/L\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"10*9/L\"}");
  EXPECT_EQ(unit("x10E9/L^x10E9/L^99TXL"),
            "{\"unit\":\"x10E9/L\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"10*9/L\"}");
  EXPECT_EQ(unit("\xC2\xB5mol/L"),
            "{\"unit\":\"\xC2\xB5mol/L\",\"system\":\"http://unitsofmeasure.org\",\"code\":"
            "\"umol/L\"}");
  EXPECT_EQ(unit("mg/dL"),
            "{\"unit\":\"mg/dL\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mg/dL\"}");
  EXPECT_EQ(unit("1^^UCUM^^^^1.6^^s/co ratio"),
            "{\"unit\":\"s/co ratio\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"1\"}");
  EXPECT_EQ(unit("cells^^L"), "{\"unit\":\"cells\"}");
  // Said to be UCUM, and not: a warning, and the unit map's reading.
  EXPECT_EQ(unit("IU/L^^UCUM"),
            "{\"unit\":\"IU/L\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"[IU]/L\"}");
  EXPECT_EQ(issues_.count(core::Severity::Warning), 1u);
}

}  // namespace
}  // namespace trialbridge::mapping
