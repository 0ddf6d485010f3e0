// validation/rules.h: the table of resource and datatype rules, and the families in it.
#include "validation/rules.h"

#include <gtest/gtest.h>

#include "conformance/context.h"
#include "core/json.h"

namespace trialbridge::validation {
namespace {

std::vector<std::string>& calls() {
  static std::vector<std::string> log;
  return log;
}

void patientRule(const core::Element& r, RuleContext&) {
  calls().push_back("patient:" + std::string(r.type().name));
}
void everyRule(const core::Element& r, RuleContext&) {
  calls().push_back("every:" + std::string(r.type().name));
}
void narrativeRule(const ElementAt& at, RuleContext&) {
  calls().push_back(std::string("narrative:") + (at.profile ? "profile" : "base"));
}

// What a rule needs, for one run over `json`.
struct RuleRun {
  explicit RuleRun(const std::string& json)
      : definitions(conformance::Context::r4(), true),
        reporter(issues),
        invariants(definitions, options, reporter, state, nullptr),
        references(definitions, options, reporter, state, noProfiles),
        ctx{reporter, definitions, options, references, invariants} {
    core::Issues readIssues;
    doc = core::readJson(json, conformance::Context::r4(), readIssues);
    state.root = state.resource = doc->root();
    reporter.setRoot(doc->root()->type().name);
  }
  struct NoProfiles final : ProfileMatch {
    bool conformsTo(const core::Element&, std::string_view) override { return false; }
  } noProfiles;
  Definitions definitions;
  ValidatorOptions options;
  core::Issues issues;
  Reporter reporter;
  WalkState state;
  Invariants invariants;
  References references;
  RuleContext ctx;
  std::unique_ptr<core::Document> doc;
};

TEST(RuleTable, ResourceRulesRunByTypeThenForEveryResource) {
  RuleTable table;
  table.addResourceRule("*", everyRule);
  table.addResourceRule("Patient", patientRule);
  calls().clear();
  RuleRun patient(R"({"resourceType":"Patient","id":"p"})");
  table.runResourceRules(*patient.doc->root(), patient.ctx);
  EXPECT_EQ(calls(), (std::vector<std::string>{"patient:Patient", "every:Patient"}));
  calls().clear();
  RuleRun obs(R"({"resourceType":"Observation","status":"final","code":{"text":"x"}})");
  table.runResourceRules(*obs.doc->root(), obs.ctx);
  EXPECT_EQ(calls(), std::vector<std::string>{"every:Observation"});
}

TEST(RuleTable, DatatypeRulesRunOnElementsOfTheirType) {
  RuleTable table;
  table.addDatatypeRule("Narrative", narrativeRule);
  RuleRun run(R"({"resourceType":"Patient","id":"p","text":{"status":"generated",
    "div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">a</div>"}})");
  const StructureModel* model = run.definitions.models().get("Patient");
  ASSERT_NE(model, nullptr);
  const core::Element& text = *run.doc->root()->child("text");
  calls().clear();
  table.runDatatypeRules(ElementAt{text, model->root(), *model, true}, run.ctx);
  table.runDatatypeRules(ElementAt{*run.doc->root(), model->root(), *model, false}, run.ctx);
  EXPECT_EQ(calls(), std::vector<std::string>{"narrative:profile"});
}

// The validator's table has the families' rules: a Bundle rule runs on a Bundle only, the
// element id rule on every resource.
TEST(RuleTable, TheValidatorsTableHoldsTheFamilies) {
  RuleRun bundle(R"({"resourceType":"Bundle","type":"collection","entry":[
    {"fullUrl":"http://a.org/fhir/Patient/2","resource":{"resourceType":"Patient","id":"1"}}]})");
  RuleTable::get().runResourceRules(*bundle.doc->root(), bundle.ctx);
  ASSERT_EQ(bundle.issues.items().size(), 1u);
  EXPECT_NE(bundle.issues.items()[0].message.find("must end with the correct type and id"),
            std::string::npos);
  RuleRun patient(R"({"resourceType":"Patient","id":"p","name":[{"id":"a"},{"id":"a"}]})");
  RuleTable::get().runResourceRules(*patient.doc->root(), patient.ctx);
  ASSERT_EQ(patient.issues.items().size(), 1u);
  EXPECT_NE(patient.issues.items()[0].message.find("Duplicate id value 'a'"), std::string::npos);
}

}  // namespace
}  // namespace trialbridge::validation
