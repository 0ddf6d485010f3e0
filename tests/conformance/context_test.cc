#include "conformance/context.h"

#include <gtest/gtest.h>

#include <thread>

namespace trialbridge::conformance {
namespace {

TEST(Context, ResolvesCanonicalsWithAndWithoutVersion) {
  const Context& ctx = Context::r4();
  const auto* vs = ctx.find("http://hl7.org/fhir/ValueSet/administrative-gender");
  ASSERT_NE(vs, nullptr);
  EXPECT_EQ(vs->info->resourceType, "ValueSet");
  EXPECT_EQ(ctx.find("http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1")->info, vs->info);
  // An unknown version falls back to the url.
  EXPECT_EQ(ctx.find("http://hl7.org/fhir/ValueSet/administrative-gender|9")->info, vs->info);
  EXPECT_EQ(ctx.find("http://example.org/nothing"), nullptr);
  auto json = ctx.resourceJson("http://hl7.org/fhir/ValueSet/administrative-gender");
  ASSERT_TRUE(json);
  EXPECT_NE(json.value().find("\"administrative-gender\""), std::string::npos);
}

TEST(Context, StructureDefinitionsByNameOrUrl) {
  const Context& ctx = Context::r4();
  const StructureDefinition* sd = ctx.structureDefinition("Observation");
  ASSERT_NE(sd, nullptr);
  EXPECT_EQ(sd, ctx.structureDefinition("http://hl7.org/fhir/StructureDefinition/Observation"));
  EXPECT_EQ(sd->kind, "resource");
  EXPECT_GE(sd->snapshot.size(), 50u);
  const auto& root = sd->snapshot.front();
  EXPECT_EQ(root.path, "Observation");
  bool hasObs6 = false;
  for (const auto& e : sd->snapshot) {
    for (const auto& c : e.constraints) hasObs6 |= c.key == "obs-6";
  }
  EXPECT_TRUE(hasObs6);
  const StructureDefinition* vitals =
      ctx.structureDefinition("http://hl7.org/fhir/StructureDefinition/vitalsigns");
  ASSERT_NE(vitals, nullptr);
  EXPECT_TRUE(vitals->isConstraint());
  EXPECT_EQ(ctx.structureDefinition("NoSuchType"), nullptr);
}

TEST(Context, TypesFromStructureDefinitions) {
  const Context& ctx = Context::r4();
  const core::TypeInfo* patient = ctx.findType("Patient");
  ASSERT_NE(patient, nullptr);
  EXPECT_TRUE(patient->isResource());
  EXPECT_EQ(patient->baseName, "DomainResource");
  const core::PropertyInfo* name = patient->property("name");
  ASSERT_NE(name, nullptr);
  EXPECT_TRUE(name->repeating());
  EXPECT_EQ(name->type()->name, "HumanName");
  const core::PropertyInfo* deceased = patient->property("deceased");
  ASSERT_NE(deceased, nullptr);
  EXPECT_TRUE(deceased->choice);
  EXPECT_EQ(patient->propertyForJsonName("deceasedDateTime").type->name, "dateTime");
  EXPECT_EQ(patient->propertyForJsonName("deceasedString").property, nullptr);
  const core::TypeInfo* contact = ctx.findType("Patient.contact");
  ASSERT_NE(contact, nullptr);
  EXPECT_EQ(contact->kind, core::TypeKind::Backbone);
  EXPECT_EQ(contact->fhirType, "BackboneElement");
  EXPECT_EQ(patient->property("contact")->type(), contact);

  const core::TypeInfo* decimal = ctx.findType("decimal");
  ASSERT_NE(decimal, nullptr);
  EXPECT_TRUE(decimal->isPrimitive());
  EXPECT_EQ(decimal->jsonKind, core::JsonKind::Number);
  EXPECT_EQ(decimal->systemType, "Decimal");
  EXPECT_FALSE(decimal->valueRegex.empty());
  EXPECT_EQ(decimal->property("value"), nullptr);  // the value is not a child element
  ASSERT_NE(decimal->property("extension"), nullptr);

  const core::TypeInfo* ext = ctx.findType("Extension");
  EXPECT_TRUE(ext->property("url")->xmlAttribute);
  EXPECT_EQ(ext->property("url")->type()->name, "uri");
  EXPECT_EQ(ctx.findType("Element")->property("id")->type()->name, "string");
  EXPECT_EQ(patient->property("id")->type()->name, "id");
  EXPECT_EQ(ctx.findType("Resource")->isAbstract, true);
  EXPECT_EQ(ctx.findType("Nothing"), nullptr);
  EXPECT_EQ(ctx.findType("Patient.nothing"), nullptr);
}

TEST(Context, LoadsAnImplementationGuide) {
  auto ctx = Context::withCore();
  ASSERT_TRUE(
      ctx->loadPackage(std::string(TB_TEST_DATA) + "/fhir-packages/hl7.fhir.us.core-3.1.0.tgz"));
  const StructureDefinition* sd =
      ctx->structureDefinition("http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient");
  ASSERT_NE(sd, nullptr);
  EXPECT_EQ(sd->type, "Patient");
  EXPECT_TRUE(sd->isConstraint());
  EXPECT_NE(ctx->find("http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient|3.1.0"),
            nullptr);
  // Core stays resolvable.
  EXPECT_NE(ctx->findType("Patient"), nullptr);
  EXPECT_FALSE(ctx->loadPackage("/nonexistent.tgz"));
}

TEST(Context, ConcurrentTypeLookupsAgree) {
  auto ctx = Context::withCore();
  const char* names[] = {"Observation", "Observation.component", "Quantity",  "Bundle.entry",
                         "Patient",     "CodeableConcept",       "Extension", "Questionnaire.item"};
  std::vector<const core::TypeInfo*> seen(16 * 8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 8; ++k) seen[t * 8 + k] = ctx->findType(names[(k + t) % 8]);
    });
  }
  for (auto& th : threads) th.join();
  for (int k = 0; k < 8; ++k) {
    const core::TypeInfo* expected = ctx->findType(names[k]);
    ASSERT_NE(expected, nullptr) << names[k];
    for (int t = 0; t < 16; ++t) EXPECT_EQ(seen[t * 8 + (k - t % 8 + 8) % 8], expected);
  }
}

}  // namespace
}  // namespace trialbridge::conformance
