#include "conformance/terminology.h"

#include <gtest/gtest.h>

#include "conformance/context.h"

namespace trialbridge::conformance {
namespace {

const Terminology& tx() {
  static const Terminology t(Context::r4());
  return t;
}

TEST(Terminology, ExpandsByConceptListAndWholeSystem) {
  const ValueSetExpansion& gender =
      tx().expand("http://hl7.org/fhir/ValueSet/administrative-gender");
  ASSERT_TRUE(gender.found);
  EXPECT_TRUE(gender.error.empty()) << gender.error;
  EXPECT_EQ(gender.size(), 4u);
  EXPECT_EQ(tx().member("http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1", "", "female"),
            Membership::In);
  EXPECT_EQ(tx().member("http://hl7.org/fhir/ValueSet/administrative-gender", "", "mal"),
            Membership::NotIn);
  EXPECT_EQ(tx().member("http://hl7.org/fhir/ValueSet/administrative-gender",
                        "http://hl7.org/fhir/administrative-gender", "male"),
            Membership::In);
}

TEST(Terminology, FiltersOnLocalCodeSystems) {
  // v3 ActEncounterCode is an is-a filter on v3-ActCode.
  const ValueSetExpansion& e =
      tx().expand("http://terminology.hl7.org/ValueSet/v3-ActEncounterCode");
  ASSERT_TRUE(e.found);
  EXPECT_TRUE(e.error.empty()) << e.error;
  EXPECT_TRUE(e.contains("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"));
  EXPECT_FALSE(e.contains("http://terminology.hl7.org/CodeSystem/v3-ActCode", "_ActAccountCode"));
}

TEST(Terminology, UnloadedSystemsAreUnknown) {
  // observation-codes includes all of LOINC, which is not loaded.
  EXPECT_EQ(
      tx().member("http://hl7.org/fhir/ValueSet/observation-codes", "http://loinc.org", "777-3"),
      Membership::Unknown);
  EXPECT_FALSE(tx().expand("http://example.org/no-such-value-set").found);
}

TEST(Terminology, ContainedValueSetsAndTheirDisplays) {
  // A profile whose binding names "#relationships", a ValueSet it contains (an expansion that
  // gives its codes a display and a designation).
  auto context = Context::withCore();
  ASSERT_TRUE(context->loadResourceFile(
      std::string(TB_TEST_DATA) + "/conformance/validator/patient-translated-codes.profile.xml"));
  const Terminology t(*context);
  const std::string sd = "http://hl7.org/fhir/StructureDefinition/patient-translated-codes";
  const ValueSetExpansion& e = t.expand(sd + "#relationships");
  ASSERT_TRUE(e.found);
  EXPECT_TRUE(e.contains("http://terminology.hl7.org/CodeSystem/v2-0131", "C"));
  const auto* c = e.displaysOf("http://terminology.hl7.org/CodeSystem/v2-0131", "C");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(*c, std::vector<std::string>{"alt-display"});
  const auto* n = e.displaysOf("http://terminology.hl7.org/CodeSystem/v2-0131", "N");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(*n, std::vector<std::string>{"alt-designation"});
  EXPECT_FALSE(t.expand(sd + "#nothing").found);
  EXPECT_FALSE(t.expand(sd).found);  // a StructureDefinition is not a ValueSet
}

TEST(Terminology, CodeSystemsAndHierarchy) {
  const CodeSystemInfo* cs = tx().codeSystem("http://terminology.hl7.org/CodeSystem/v3-ActCode");
  ASSERT_NE(cs, nullptr);
  EXPECT_NE(cs->find("AMB"), nullptr);
  EXPECT_TRUE(cs->isA("AMB", "_ActEncounterCode"));
  EXPECT_FALSE(cs->isA("_ActEncounterCode", "AMB"));
  EXPECT_EQ(tx().codeSystem("http://loinc.org"), nullptr);
}

TEST(Terminology, GrammarSystems) {
  EXPECT_TRUE(Terminology::checkGrammarCode("urn:ietf:bcp:13", "application/fhir+json"));
  EXPECT_TRUE(Terminology::checkGrammarCode("urn:ietf:bcp:13", "json"));
  EXPECT_FALSE(Terminology::checkGrammarCode("urn:ietf:bcp:13", "[%payloadFormat%]"));
  EXPECT_TRUE(Terminology::checkGrammarCode("urn:ietf:bcp:47", "en-US"));
  EXPECT_FALSE(Terminology::checkGrammarCode("urn:ietf:bcp:47", "english language"));
}

}  // namespace
}  // namespace trialbridge::conformance
