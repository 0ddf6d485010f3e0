// validation/questionnaire_rules.cc: Questionnaire enableWhen links, and QuestionnaireResponses
// against their Questionnaire. The resources are small ones written for each rule.
#include <gtest/gtest.h>

#include "validation_test_util.h"

namespace trialbridge::validation {
namespace questionnaire_rules_test {

using namespace validation::testing;

// A Questionnaire with one item of each kind the rules look at.
const char* kQuestionnaire = R"({"resourceType":"Questionnaire","id":"intake",
  "url":"http://example.com/Questionnaire/intake","status":"active",
  "effectivePeriod":{"start":"2020-01-01","end":"2030-12-31"},
  "item":[
   {"linkId":"smoker","text":"Do you smoke?","type":"boolean","required":true},
   {"linkId":"packs","text":"Packs a day","type":"integer","enableWhen":[
     {"question":"smoker","operator":"=","answerBoolean":true}],
    "extension":[{"url":"http://hl7.org/fhir/StructureDefinition/minValue","valueInteger":1},
                 {"url":"http://hl7.org/fhir/StructureDefinition/maxValue","valueInteger":10}]},
   {"linkId":"name","text":"Name","type":"string","maxLength":5,
    "extension":[{"url":"http://hl7.org/fhir/StructureDefinition/regex","valueString":"[A-Z].*"}]},
   {"linkId":"weight","text":"Weight","type":"decimal","extension":[
     {"url":"http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces","valueInteger":1}]},
   {"linkId":"colour","text":"Colour","type":"choice","repeats":true,"extension":[
     {"url":"http://hl7.org/fhir/StructureDefinition/questionnaire-maxOccurs","valueInteger":2}],
    "answerOption":[
     {"valueCoding":{"system":"http://example.com/c","code":"red"}},
     {"valueCoding":{"system":"http://example.com/c","code":"none"},
      "extension":[{"url":"http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive",
                    "valueBoolean":true}]}]},
   {"linkId":"gender","text":"Gender","type":"choice",
    "answerValueSet":"http://hl7.org/fhir/ValueSet/administrative-gender"},
   {"linkId":"scan","text":"Scan","type":"attachment","extension":[
     {"url":"http://hl7.org/fhir/StructureDefinition/mimeType","valueCode":"image/png"},
     {"url":"http://hl7.org/fhir/StructureDefinition/maxSize","valueDecimal":100}]},
   {"linkId":"family","text":"Family","type":"group","required":true,"item":[
     {"linkId":"family.note","text":"Note","type":"string"}]},
   {"linkId":"info","text":"Thank you","type":"display"},
   {"linkId":"allergy","text":"Allergies","type":"string","repeats":true,"extension":[
     {"url":"http://hl7.org/fhir/StructureDefinition/questionnaire-minOccurs","valueInteger":2}]},
   {"linkId":"pet","text":"Pet","type":"open-choice","answerOption":[
     {"valueCoding":{"system":"http://example.com/p","code":"dog","display":"Dog"}}]}]})";

const Validator& withQuestionnaire() {
  static const auto context = withResources({{"q.json", kQuestionnaire}});
  static const Validator v(*context);
  return v;
}

// A response to the intake Questionnaire with `items` (JSON array content).
std::string response(const std::string& items, const std::string& status = "completed") {
  return R"({"resourceType":"QuestionnaireResponse","status":")" + status +
         R"(","questionnaire":"http://example.com/Questionnaire/intake",
    "authored":"2024-05-01","item":[)" +
         items + "]}";
}

const std::string kSmoker = R"({"linkId":"smoker","answer":[{"valueBoolean":true}]})";
const std::string kFamily =
    R"({"linkId":"family","item":[{"linkId":"family.note","answer":[{"valueString":"x"}]}]})";

core::Issues check(const std::string& items, const std::string& status = "completed") {
  return validate(response(items, status), withQuestionnaire());
}

TEST(QuestionnaireRules, ACompleteResponseHasNoErrors) {
  const auto issues = check(kSmoker + R"(,{"linkId":"packs","answer":[{"valueInteger":2}]},
    {"linkId":"name","answer":[{"valueString":"Ann"}]},
    {"linkId":"weight","answer":[{"valueDecimal":70.5}]},
    {"linkId":"colour","answer":[{"valueCoding":{"system":"http://example.com/c","code":"red"}}]},
    {"linkId":"gender","answer":[{"valueCoding":{"system":"http://hl7.org/fhir/administrative-gender","code":"female"}}]},
    {"linkId":"scan","answer":[{"valueAttachment":{"contentType":"image/png","size":50}}]},)" +
                            kFamily);
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
}

TEST(QuestionnaireRules, RequiredItemsAndGroups) {
  auto issues = check(kFamily);  // no smoker
  EXPECT_EQ(findAll(issues, "required item 'smoker'").size(), 1u) << dump(issues);
  issues = check(kFamily, "in-progress");  // only a warning while in progress
  EXPECT_TRUE(findAll(issues, "required item 'smoker'").empty()) << dump(issues);
  EXPECT_NE(findIssue(issues, "required item 'smoker'"), nullptr) << dump(issues);
  issues = check(kSmoker + R"(,{"linkId":"family"})");
  EXPECT_EQ(findAll(issues, "The required group family has no items").size(), 1u) << dump(issues);
}

TEST(QuestionnaireRules, ItemsUnknownMisplacedOutOfOrderOrRepeated) {
  auto issues = check(kSmoker + R"(,{"linkId":"nope","answer":[{"valueString":"x"}]},)" + kFamily);
  EXPECT_EQ(findAll(issues, "LinkId 'nope' not found").size(), 1u) << dump(issues);
  issues =
      check(kSmoker + R"(,{"linkId":"family.note","answer":[{"valueString":"x"}]},)" + kFamily);
  EXPECT_EQ(findAll(issues, "'family.note' is in the wrong place").size(), 1u) << dump(issues);
  issues =
      check(R"({"linkId":"name","answer":[{"valueString":"Ann"}]},)" + kSmoker + "," + kFamily);
  EXPECT_EQ(findAll(issues, "out of the Questionnaire's order").size(), 1u) << dump(issues);
  issues = check(kSmoker + "," + kSmoker + "," + kFamily);
  EXPECT_EQ(findAll(issues, "The item smoker appears 2 times").size(), 1u) << dump(issues);
  issues = check(R"({"linkId":"smoker","answer":[{"valueBoolean":true},{"valueBoolean":false}]},)" +
                 kFamily);
  EXPECT_EQ(findAll(issues, "answers, but does not repeat").size(), 1u) << dump(issues);
}

TEST(QuestionnaireRules, AnswersOnlyToEnabledQuestions) {
  const std::string packs = R"({"linkId":"packs","answer":[{"valueInteger":2}]})";
  auto issues =
      check(R"({"linkId":"smoker","answer":[{"valueBoolean":false}]},)" + packs + "," + kFamily);
  EXPECT_EQ(findAll(issues, "not enabled (item id = 'packs')").size(), 1u) << dump(issues);
  issues = check(kSmoker + "," + packs + "," + kFamily);
  EXPECT_TRUE(findAll(issues, "not enabled").empty()) << dump(issues);
}

TEST(QuestionnaireRules, AnswerTypesFollowTheItemType) {
  auto issues = check(R"({"linkId":"smoker","answer":[{"valueString":"yes"}]},)" + kFamily);
  EXPECT_EQ(findAll(issues, "The answer is a string, but the item takes boolean").size(), 1u)
      << dump(issues);
  issues = check(kSmoker + R"(,{"linkId":"colour","answer":[{"valueBoolean":true}]},)" + kFamily);
  EXPECT_EQ(findAll(issues, "takes one of Coding, date, time, integer, string").size(), 1u)
      << dump(issues);
  issues = check(kSmoker + R"(,{"linkId":"family","answer":[{"valueString":"x"}],
    "item":[{"linkId":"family.note","answer":[{"valueString":"x"}]}]})");
  EXPECT_EQ(findAll(issues, "An item of type group takes no answers").size(), 1u) << dump(issues);
  issues =
      check(kSmoker + R"(,)" + kFamily + R"(,{"linkId":"info","answer":[{"valueString":"x"}]})");
  EXPECT_EQ(findAll(issues, "An item of type display takes no answers").size(), 1u) << dump(issues);
}

TEST(QuestionnaireRules, NestedItemsGoUnderAnswersExceptInGroups) {
  const auto issues =
      check(R"({"linkId":"smoker","answer":[{"valueBoolean":true}],"item":[{"linkId":"packs"}]},)" +
            kFamily);
  EXPECT_EQ(findAll(issues, "go under its answers (answer.item)").size(), 1u) << dump(issues);
}

TEST(QuestionnaireRules, TextMustMatchTheQuestionnaire) {
  auto issues =
      check(R"({"linkId":"smoker","text":"Smoking?","answer":[{"valueBoolean":true}]},)" + kFamily);
  EXPECT_EQ(findAll(issues, "text differs").size(), 1u) << dump(issues);
  issues = check(R"({"linkId":"smoker","text":"Do you smoke?","answer":[{"valueBoolean":true}]},)" +
                 kFamily);
  EXPECT_TRUE(findAll(issues, "text differs").empty()) << dump(issues);
}

TEST(QuestionnaireRules, ConstraintExtensionsOnAnswers) {
  const struct {
    const char* item;
    const char* expected;
  } bad[] = {
      {R"({"linkId":"packs","answer":[{"valueInteger":0}]})", "less than the allowed minimum of 1"},
      {R"({"linkId":"packs","answer":[{"valueInteger":11}]})",
       "greater than the allowed maximum of 10"},
      {R"({"linkId":"name","answer":[{"valueString":"Annabel"}]})",
       "longer than the item's maxLength"},
      {R"({"linkId":"name","answer":[{"valueString":"ann"}]})", "does not match the item's regex"},
      {R"({"linkId":"weight","answer":[{"valueDecimal":70.25}]})", "2 decimal places"},
      {R"({"linkId":"scan","answer":[{"valueAttachment":{"size":50}}]})", "has no contentType"},
      {R"({"linkId":"scan","answer":[{"valueAttachment":{"contentType":"image/gif"}}]})",
       "is not one the item allows"},
      {R"({"linkId":"scan","answer":[{"valueAttachment":{"contentType":"image/png","size":500}}]})",
       "larger (500 bytes)"},
  };
  for (const auto& b : bad) {
    const auto issues = check(kSmoker + "," + b.item + "," + kFamily);
    EXPECT_EQ(findAll(issues, b.expected).size(), 1u) << b.item << "\n" << dump(issues);
  }
}

TEST(QuestionnaireRules, ChoicesFromOptionsAndValueSets) {
  auto issues = check(kSmoker + R"(,{"linkId":"colour","answer":[
    {"valueCoding":{"system":"http://example.com/c","code":"blue"}}]},)" +
                      kFamily);
  EXPECT_EQ(findAll(issues, "is not among the item's answerOptions").size(), 1u) << dump(issues);
  issues = check(kSmoker + R"(,{"linkId":"colour","answer":[{"valueString":"blue"}]},)" + kFamily);
  EXPECT_EQ(findAll(issues, "answerOptions have no value of type string").size(), 1u)
      << dump(issues);
  issues = check(kSmoker + R"(,{"linkId":"gender","answer":[
    {"valueCoding":{"system":"http://hl7.org/fhir/administrative-gender","code":"cat"}}]},)" +
                 kFamily);
  EXPECT_EQ(findAll(issues, "is not in the item's answerValueSet").size(), 1u) << dump(issues);
  issues = check(kSmoker + R"(,{"linkId":"colour","answer":[
    {"valueCoding":{"system":"http://example.com/c","code":"red"}},
    {"valueCoding":{"system":"http://example.com/c","code":"none"}}]},)" +
                 kFamily);
  EXPECT_EQ(findAll(issues, "exclusive option").size(), 1u) << dump(issues);
}

TEST(QuestionnaireRules, HowManyAnswersARepeatingQuestionTakes) {
  const std::string red = R"({"valueCoding":{"system":"http://example.com/c","code":"red"}})";
  auto issues =
      check(kSmoker + R"(,{"linkId":"colour","answer":[)" + red + "," + red + "]}," + kFamily);
  EXPECT_TRUE(findAll(issues, "it takes at most").empty()) << dump(issues);
  issues = check(kSmoker + R"(,{"linkId":"colour","answer":[)" + red + "," + red + "," + red +
                 "]}," + kFamily);
  EXPECT_EQ(findAll(issues, "The item has 3 answers; it takes at most 2").size(), 1u)
      << dump(issues);
  const std::string nuts = R"({"valueString":"nuts"})";
  issues = check(kSmoker + "," + kFamily + R"(,{"linkId":"allergy","answer":[)" + nuts + "]}");
  EXPECT_EQ(findAll(issues, "The item has 1 answers; it takes at least 2").size(), 1u)
      << dump(issues);
  issues = check(kSmoker + "," + kFamily + R"(,{"linkId":"allergy","answer":[)" + nuts + "," +
                 nuts + "]}");
  EXPECT_TRUE(findAll(issues, "it takes at least").empty()) << dump(issues);
}

TEST(QuestionnaireRules, FreeTextThatIsACodedOptionIsAWarning) {
  auto issues =
      check(kSmoker + "," + kFamily + R"(,{"linkId":"pet","answer":[{"valueString":"Dog"}]})");
  const core::Issue* i = findIssue(issues, "is one of the item's coded options");
  ASSERT_NE(i, nullptr) << dump(issues);
  EXPECT_EQ(i->severity, core::Severity::Warning);
  issues =
      check(kSmoker + "," + kFamily + R"(,{"linkId":"pet","answer":[{"valueString":"Newt"}]})");
  EXPECT_EQ(findIssue(issues, "coded options"), nullptr) << dump(issues);
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
}

TEST(QuestionnaireRules, TheQuestionnaireMustBeFoundAndInUse) {
  auto issues = validate(R"({"resourceType":"QuestionnaireResponse","status":"completed",
    "questionnaire":"http://hl7.org/fhir/Questionnaire/none"})");
  const core::Issue* notFound = findIssue(issues, "is neither loaded nor contained");
  ASSERT_NE(notFound, nullptr) << dump(issues);
  EXPECT_EQ(notFound->severity, core::Severity::Warning);
  issues = validate(R"({"resourceType":"QuestionnaireResponse","status":"completed"})");
  EXPECT_NE(findIssue(issues, "names no questionnaire"), nullptr) << dump(issues);
  issues = validate(R"({"resourceType":"QuestionnaireResponse","status":"completed",
    "questionnaire":"http://example.com/Questionnaire/intake","authored":"2019-05-01",
    "item":[)" + kSmoker +
                        "," + kFamily + "]}",
                    withQuestionnaire());
  EXPECT_NE(findIssue(issues, "before the start of the Questionnaire's effectivePeriod"), nullptr)
      << dump(issues);
}

TEST(QuestionnaireRules, AContainedQuestionnaireIsUsed) {
  const auto issues = validate(R"({"resourceType":"QuestionnaireResponse","status":"completed",
    "contained":[{"resourceType":"Questionnaire","id":"q","status":"active",
      "item":[{"linkId":"a","type":"integer"}]}],
    "questionnaire":"#q","item":[{"linkId":"a","answer":[{"valueString":"x"}]}]})");
  EXPECT_EQ(findAll(issues, "The answer is a string, but the item takes integer").size(), 1u)
      << dump(issues);
}

TEST(QuestionnaireRules, EnableWhenLinksInTheQuestionnaire) {
  const auto issues = validate(R"({"resourceType":"Questionnaire","status":"active","item":[
    {"linkId":"a","type":"group","enableWhen":[{"question":"a.1","operator":"exists",
      "answerBoolean":true}],"item":[{"linkId":"a.1","type":"boolean"}]},
    {"linkId":"b","type":"boolean","enableWhen":[{"question":"zz","operator":"exists",
      "answerBoolean":true}]},
    {"linkId":"c","type":"boolean","enableWhen":[{"question":"c","operator":"exists",
      "answerBoolean":true}]},
    {"linkId":"d","type":"boolean","enableWhen":[{"question":"e","operator":"exists",
      "answerBoolean":true}]},
    {"linkId":"e","type":"boolean","enableWhen":[{"question":"b","operator":"exists",
      "answerBoolean":true}]}]})");
  EXPECT_EQ(findAll(issues, "cannot refer to an inner question").size(), 1u) << dump(issues);
  EXPECT_EQ(findAll(issues, "No item has the linkId 'zz'").size(), 1u) << dump(issues);
  EXPECT_EQ(findAll(issues, "names the item itself").size(), 1u) << dump(issues);
  const core::Issue* after = findIssue(issues, "comes after the item");
  ASSERT_NE(after, nullptr) << dump(issues);
  EXPECT_EQ(after->severity, core::Severity::Warning);
  EXPECT_EQ(findAll(issues, "comes after the item", core::Severity::Warning).size(), 1u)
      << dump(issues);  // e's link to b, before it, is fine
}

}  // namespace questionnaire_rules_test
}  // namespace trialbridge::validation
