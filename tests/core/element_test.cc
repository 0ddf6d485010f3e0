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

TEST(Document, CopiesOutliveTheirSource) {
  const std::string json =
      R"({"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"text":"a"},"valueQuantity":{"value":1.50,"unit":"g"}}}]})";
  Issues issues;
  auto bundle = readJson(json, conformance::Context::r4(), issues);
  ASSERT_NE(bundle, nullptr);
  const Element* src = bundle->root()->child("entry")->child("resource");
  std::unique_ptr<Document> copy = copyResource(*src, conformance::Context::r4());
  const uint32_t line = src->child("status")->line();
  const uint32_t column = src->child("status")->column();
  bundle.reset();  // names and values live in the copy's arena
  const Element* root = copy->root();
  EXPECT_EQ(root->name(), "Observation");
  EXPECT_EQ(root->property(), nullptr);
  EXPECT_EQ(root->path(), "Observation");
  EXPECT_EQ(root->child("value")->path(), "Observation.value");
  EXPECT_EQ(root->child("status")->line(), line);
  EXPECT_EQ(root->child("status")->column(), column);
  EXPECT_EQ(
      writeJson(*root),
      R"({"resourceType":"Observation","status":"final","code":{"text":"a"},"valueQuantity":{"value":1.50,"unit":"g"}})");
  // copyElement under a parent of the defining type keeps the element's name and property.
  Document dst(conformance::Context::r4());
  Element* b = dst.createResource("Bundle");
  dst.addPrimitive(b, "type", "collection");
  Element* entry = dst.add(b, "entry");
  Element* r = dst.addResource(entry, "resource", "Observation");
  for (const Element* c = root->firstChild(); c != nullptr; c = c->nextSibling()) {
    copyElement(dst, r, *c);
  }
  EXPECT_EQ(r->child("code")->child("text")->path(), "Bundle.entry[0].resource.code.text");
}

}  // namespace
}  // namespace trialbridge::core
