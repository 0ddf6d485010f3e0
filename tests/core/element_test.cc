#include "core/element.h"

#include <gtest/gtest.h>

#include "conformance/context.h"
#include "core/json.h"

namespace trialbridge::core {
namespace {

TEST(Document, BuildsResourcesInDefinitionOrder) {
  Document doc(conformance::Context::r4());
  Element* obs = doc.createResource("Observation");
  ASSERT_NE(obs, nullptr);
  doc.addPrimitive(obs, "valueString", "x");
  doc.addPrimitive(obs, "status", "final");
  Element* code = doc.add(obs, "code");
  doc.addPrimitive(code, "text", "Platelets");
  doc.addPrimitive(obs, "id", "o1");
  EXPECT_EQ(
      writeJson(*obs),
      R"({"resourceType":"Observation","id":"o1","status":"final","code":{"text":"Platelets"},"valueString":"x"})");
  EXPECT_EQ(obs->child("value")->jsonName(), "valueString");
}

TEST(Document, RepeatedChildrenAreIndexed) {
  Document doc(conformance::Context::r4());
  Element* p = doc.createResource("Patient");
  Element* n1 = doc.add(p, "name");
  doc.addPrimitive(p, "active", "true");
  Element* n2 = doc.add(p, "name");
  EXPECT_EQ(n1->index(), 0u);
  EXPECT_EQ(n2->index(), 1u);
  EXPECT_EQ(n2->path(), "Patient.name[1]");
  EXPECT_EQ(p->childCount("name"), 2u);
}

TEST(Document, UnknownNamesGiveNull) {
  Document doc(conformance::Context::r4());
  EXPECT_EQ(doc.createResource("NoSuchThing"), nullptr);
  EXPECT_EQ(doc.createResource("Resource"), nullptr);  // abstract
  Element* p = doc.createResource("Patient");
  EXPECT_EQ(doc.add(p, "nme"), nullptr);
  EXPECT_EQ(doc.add(p, "deceasedString"), nullptr);  // not one of deceased[x]'s types
  EXPECT_NE(doc.add(p, "deceasedBoolean"), nullptr);
}

TEST(Document, ResourceInsideResource) {
  Document doc(conformance::Context::r4());
  Element* b = doc.createResource("Bundle");
  doc.addPrimitive(b, "type", "collection");
  Element* entry = doc.add(b, "entry");
  Element* pat = doc.addResource(entry, "resource", "Patient");
  ASSERT_NE(pat, nullptr);
  doc.addPrimitive(pat, "id", "p");
  EXPECT_EQ(pat->path(), "Bundle.entry[0].resource");
  EXPECT_EQ(pat->resource(), pat);
  EXPECT_EQ(pat->child("id")->resource(), pat);
  EXPECT_EQ(
      writeJson(*b),
      R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"p"}}]})");
}

}  // namespace
}  // namespace trialbridge::core
