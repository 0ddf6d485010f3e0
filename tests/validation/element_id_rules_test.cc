// validation/element_id_rules.cc: element ids, contained ids, the resource id's extensions.
#include <gtest/gtest.h>

#include "validation_test_util.h"

namespace trialbridge::validation {
namespace {

using namespace validation::testing;

TEST(ElementIdRules, ElementIdsAreUniqueInAResource) {
  auto issues = validate(R"({"resourceType":"Patient","name":[{"id":"n","family":"A"},
    {"id":"n","family":"B"}]})");
  EXPECT_EQ(findAll(issues, "Duplicate id value 'n'").size(), 1u) << dump(issues);
  issues = validate(R"({"resourceType":"Patient","name":[{"id":"n1","family":"A"},
    {"id":"n2","family":"B"}]})");
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
}

TEST(ElementIdRules, ContainedIdsAreUnique) {
  auto issues = validate(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
    "contained":[{"resourceType":"Patient","id":"p","active":true},
                 {"resourceType":"Device","id":"p","manufacturer":"x"}],
    "subject":{"reference":"#p"}})");
  const auto dup = findAll(issues, "Another contained resource has the id 'p'");
  ASSERT_EQ(dup.size(), 1u) << dump(issues);
  EXPECT_EQ(dup[0]->location, "Observation.contained[1]");
}

TEST(ElementIdRules, TheResourceIdTakesNoExtensions) {
  const auto issues = validate(R"({"resourceType":"Patient","id":"p","_id":{"extension":[
    {"url":"http://hl7.org/fhir/StructureDefinition/rendered-value","valueString":"p"}]}})");
  const auto ext = findAll(issues, "A resource's id takes no extensions");
  ASSERT_EQ(ext.size(), 1u) << dump(issues);
  EXPECT_EQ(ext[0]->location, "Patient.id");
}

}  // namespace
}  // namespace trialbridge::validation
