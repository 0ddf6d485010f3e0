// resolve(), memberOf(), subsumes(), conformsTo() and htmlChecks().
#include "fhirpath/fhir_support.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace trialbridge::fhirpath {
namespace {

using testing::eval;
using testing::readDoc;

TEST(FhirSupport, ResolveInABundle) {
  auto doc = readDoc(R"({"resourceType": "Bundle", "type": "collection", "entry": [
    {"fullUrl": "http://x.org/fhir/Patient/1",
     "resource": {"resourceType": "Patient", "id": "1", "gender": "female"}},
    {"fullUrl": "urn:uuid:0b3c6b2a-8c2e-4a58-9f0e-3c0c7f1e2d11",
     "resource": {"resourceType": "Observation", "id": "o", "status": "final",
                  "code": {"text": "x"}, "subject": {"reference": "Patient/1"},
                  "performer": [{"reference": "http://x.org/fhir/Patient/1"},
                                {"reference": "urn:uuid:0b3c6b2a-8c2e-4a58-9f0e-3c0c7f1e2d11"},
                                {"reference": "Patient/2"}]}}]})");
  const core::Element* root = doc->root();
  EXPECT_EQ(eval("entry[1].resource.subject.resolve().gender", root), "female");
  EXPECT_EQ(eval("entry[1].resource.performer.resolve().id", root), "1, o");
  EXPECT_EQ(eval("'Patient/1'.resolve()", root), "");  // a string has no place to resolve from
}

TEST(FhirSupport, ResolveContainedAndHook) {
  auto doc = readDoc(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
    "contained": [{"resourceType": "Patient", "id": "p", "gender": "male"}],
    "subject": {"reference": "#p"}, "focus": [{"reference": "Group/9"}]})");
  EXPECT_EQ(eval("subject.resolve().gender", doc->root()), "male");
  Environment env;
  env.resolveReference = [&](std::string_view ref, const core::Element&) -> const core::Element* {
    return ref == "Group/9" ? doc->root() : nullptr;
  };
  EXPECT_EQ(eval("focus.resolve().status", doc->root(), env), "final");
}

TEST(FhirSupport, MemberOfAndSubsumes) {
  auto doc = readDoc(R"({"resourceType": "Observation", "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                              "code": "vital-signs"}]}]})");
  const core::Element* r = doc->root();
  EXPECT_EQ(eval("status.memberOf('http://hl7.org/fhir/ValueSet/observation-status')", r), "true");
  EXPECT_EQ(eval("category.memberOf('http://hl7.org/fhir/ValueSet/observation-category')", r),
            "true");
  EXPECT_EQ(eval("category.coding.memberOf('http://hl7.org/fhir/ValueSet/observation-status')", r),
            "false");
  // LOINC is not loaded: membership cannot be decided.
  EXPECT_EQ(eval("code.memberOf('http://hl7.org/fhir/ValueSet/observation-vitalsignresult')", r),
            "true");  // listed in the value set itself
  EXPECT_EQ(eval("code.memberOf('http://hl7.org/fhir/ValueSet/observation-codes')", r), "");
  EXPECT_EQ(eval("status.memberOf('http://example.org/no-such-valueset')", r), "");
}

TEST(FhirSupport, ConformsTo) {
  auto doc = readDoc(R"({"resourceType": "Observation", "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]}})");
  const core::Element* r = doc->root();
  EXPECT_EQ(eval("conformsTo('http://hl7.org/fhir/StructureDefinition/Observation')", r), "true");
  EXPECT_EQ(eval("conformsTo('http://hl7.org/fhir/StructureDefinition/DomainResource')", r),
            "true");
  // vitalsigns needs a category, a subject and an effective time.
  EXPECT_EQ(eval("conformsTo('http://hl7.org/fhir/StructureDefinition/vitalsigns')", r), "false");
  EXPECT_EQ(eval("conformsTo('http://example.org/unknown')", r),
            "ERROR: execution: unknown profile 'http://example.org/unknown'");
}

TEST(FhirSupport, HtmlChecks) {
  EXPECT_TRUE(
      htmlChecks(R"(<div xmlns="http://www.w3.org/1999/xhtml"><p>Hello <b>there</b></p></div>)"));
  EXPECT_TRUE(
      htmlChecks(R"(<div xmlns="http://www.w3.org/1999/xhtml"><img src="#a" alt="x"/></div>)"));
  EXPECT_FALSE(
      htmlChecks(R"(<div xmlns="http://www.w3.org/1999/xhtml"><script>x()</script></div>)"));
  EXPECT_FALSE(
      htmlChecks(R"x(<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="x()">a</p></div>)x"));
  EXPECT_FALSE(htmlChecks(
      R"x(<div xmlns="http://www.w3.org/1999/xhtml"><a href="javascript:x()">a</a></div>)x"));
  EXPECT_FALSE(htmlChecks(R"(<div xmlns="http://www.w3.org/1999/xhtml">   </div>)"));
  EXPECT_FALSE(htmlChecks("<p>not a div</p>"));
}

// htmlChecks() reads the validator's allow-list (conformance/narrative.h), and asks for content
// as txt-2 does.
TEST(FhirSupport, HtmlChecksUsesTheNarrativeAllowList) {
  EXPECT_TRUE(htmlChecks(
      R"(<div xmlns="http://www.w3.org/1999/xhtml"><table><tr><td colspan="2">1</td></tr></table></div>)"));
  EXPECT_FALSE(htmlChecks(R"(<div xmlns="http://www.w3.org/1999/xhtml"><u>a</u></div>)"));
  EXPECT_FALSE(htmlChecks(R"(<div xmlns="http://www.w3.org/1999/xhtml"><p>a</p><form/></div>)"));
  EXPECT_FALSE(htmlChecks(R"(<div xmlns="http://www.w3.org/1999/xhtml"><br/></div>)"));
}

}  // namespace
}  // namespace trialbridge::fhirpath
