// validation/narrative_rules.cc: the narrative-language-control extension of profiles, and the
// resource's language on the div.
#include <gtest/gtest.h>

#include "validation_test_util.h"

namespace trialbridge::validation {
namespace {

using namespace validation::testing;

// A profile on Patient whose text carries narrative-language-control `control`.
std::unique_ptr<conformance::Context> controlled(const std::string& control) {
  return withResources({{"p.json", R"({"resourceType":"StructureDefinition",
    "url":"http://a.org/sd/lang","name":"Lang","status":"draft","kind":"resource",
    "abstract":false,"type":"Patient","derivation":"constraint",
    "baseDefinition":"http://hl7.org/fhir/StructureDefinition/Patient",
    "differential":{"element":[{"id":"Patient.text","path":"Patient.text","extension":[
      {"url":"http://hl7.org/fhir/StructureDefinition/narrative-language-control",
       "valueCode":")" + control + R"("}]}]}})"}});
}

std::string patient(const std::string& div, const std::string& language = "") {
  return R"({"resourceType":"Patient","meta":{"profile":["http://a.org/sd/lang"]},)" +
         (language.empty() ? std::string() : R"("language":")" + language + R"(",)") +
         R"("text":{"status":"generated","div":")" + div + R"("}})";
}

const std::string kSections =
    R"(<div xmlns=\"http://www.w3.org/1999/xhtml\"><div lang=\"en\">Hi</div><div lang=\"fr\">Salut</div></div>)";
const std::string kPlain = R"(<div xmlns=\"http://www.w3.org/1999/xhtml\">Hi</div>)";

size_t errorsWith(const std::string& control, const std::string& json, const std::string& text) {
  const auto context = controlled(control);
  const Validator v(*context);
  const auto issues = validate(json, v);
  return findAll(issues, text).size();
}

TEST(NarrativeRules, LanguageSectionsProhibitedOrRequired) {
  EXPECT_EQ(errorsWith("_no", patient(kSections), "prohibited in this context"), 1u);
  EXPECT_EQ(errorsWith("_no", patient(kPlain), "prohibited in this context"), 0u);
  EXPECT_EQ(errorsWith("_yes", patient(kPlain), "language sections are required"), 1u);
  EXPECT_EQ(errorsWith("_yes", patient(kSections), "language sections are required"), 0u);
}

TEST(NarrativeRules, SectionsForTheResourceLanguageOrGivenLanguages) {
  EXPECT_EQ(errorsWith("_resource", patient(kSections, "fr"), "asks for a narrative section"), 0u);
  EXPECT_EQ(errorsWith("_resource", patient(kSections, "de"), "section in 'de'"), 1u);
  EXPECT_EQ(errorsWith("_resource", patient(kSections), "the resource has no language"), 1u);
  EXPECT_EQ(errorsWith("en", patient(kSections), "asks for a narrative section"), 0u);
  EXPECT_EQ(errorsWith("es", patient(kSections), "section in 'es'"), 1u);
}

TEST(NarrativeRules, NoContentOutsideTheSections) {
  const std::string mixed =
      R"(<div xmlns=\"http://www.w3.org/1999/xhtml\"><div lang=\"en\">Hi</div><p>Loose</p></div>)";
  EXPECT_EQ(errorsWith("_yes", patient(mixed), "and content outside them"), 1u);
  EXPECT_EQ(errorsWith("_yes", patient(kSections), "content outside them"), 0u);
}

TEST(NarrativeRules, TheResourceLanguageIsOnTheDiv) {
  auto issues = validate(R"({"resourceType":"Patient","language":"en","text":{"status":"generated",
    "div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Hi</div>"}})");
  const core::Issue* missing = findIssue(issues, "has no lang or xml:lang attribute");
  ASSERT_NE(missing, nullptr) << dump(issues);
  EXPECT_EQ(missing->severity, core::Severity::Warning);
  issues = validate(R"({"resourceType":"Patient","language":"en","text":{"status":"generated",
    "div":"<div xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"fr\" xml:lang=\"en\">Hi</div>"}})");
  EXPECT_NE(findIssue(issues, "the div's lang (fr) differ"), nullptr) << dump(issues);
  issues = validate(R"({"resourceType":"Patient","language":"en","text":{"status":"generated",
    "div":"<div xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\" xml:lang=\"en\">Hi</div>"}})");
  EXPECT_EQ(findIssue(issues, "the div's"), nullptr) << dump(issues);
  EXPECT_EQ(findIssue(issues, "attribute"), nullptr) << dump(issues);
}

}  // namespace
}  // namespace trialbridge::validation
