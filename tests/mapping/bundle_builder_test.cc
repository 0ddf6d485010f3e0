// ResourceBuilder, its TypeCache, TransactionBuilder and deterministicId.
#include "mapping/bundle_builder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "core/json.h"
#include "test_util.h"

namespace trialbridge::mapping {
namespace bundle_builder_test {

using test::context;

// The ids are what deduplicates a resent message against a database written by an earlier
// version: "{prefix}-" and the first 12 bytes (24 hex digits) of the SHA-256 of the parts, each
// followed by 0x1F. Expected values from Python's hashlib.
TEST(DeterministicId, IsTheSha256OfThePartsEachEndedByAUnitSeparator) {
  EXPECT_EQ(deterministicId("v2obs", {"TAIXIN", "F1", "LN", "777-3", "1"}),
            "v2obs-c150391e2236b45f4bcca6c2");
  EXPECT_EQ(deterministicId("p", {}), "p-e3b0c44298fc1c149afbf4c8");  // SHA-256 of nothing
  // A text longer than fits on the stack.
  EXPECT_EQ(deterministicId("v2obs", {std::string(200, 'x'), std::string(100, 'y')}),
            "v2obs-2632d418fbd2bb8b6897a121");
  // The separator keeps parts apart: "ab","c" is not "a","bc".
  EXPECT_NE(deterministicId("x", {"ab", "c"}), deterministicId("x", {"a", "bc"}));
}

TEST(TypeCache, ANameInAReusedBufferIsLookedUpAgain) {
  core::Document doc(context());
  ResourceBuilder b(doc);
  core::Element* obs = doc.createResource("Observation");
  char name[] = "status";
  b.primitive(obs, std::string_view(name, 6), "final");
  // The same address and length, another name: the cache must not answer with "status".
  std::memcpy(name, "issued", 6);
  b.primitive(obs, std::string_view(name, 6), "2025-03-12T08:25:00Z");
  const std::string json = core::writeJson(*obs, core::WriteOptions{false});
  EXPECT_NE(json.find(R"("status":"final")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("issued":"2025-03-12T08:25:00Z")"), std::string::npos) << json;
}

TEST(TypeCache, IsSharedByBuildersOfSeveralDocuments) {
  TypeCache cache;
  std::string first;
  for (int i = 0; i < 2; ++i) {
    core::Document doc(context());
    ResourceBuilder b(doc, &cache);
    core::Element* obs = doc.createResource("Observation");
    b.primitive(obs, "status", "final");
    b.quantity(obs, "valueQuantity", "1.5", "mg", "mg");
    const std::string json = core::writeJson(*obs, core::WriteOptions{false});
    if (i == 0) first = json;
    EXPECT_EQ(json, first);
    EXPECT_NE(json.find(R"("valueQuantity":{"value":1.5)"), std::string::npos) << json;
  }
  // A name the type does not have is still an error with a cache that has seen the type.
  core::Document doc(context());
  ResourceBuilder b(doc, &cache);
  EXPECT_THROW(b.add(doc.createResource("Observation"), "valueNothing"), std::logic_error);
}

TEST(TypeCache, ResourceTypesAreConcreteResources) {
  TypeCache cache;
  const core::TypeInfo* obs = cache.resourceType(context(), "Observation");
  ASSERT_NE(obs, nullptr);
  EXPECT_EQ(obs->name, "Observation");
  EXPECT_EQ(cache.resourceType(context(), "Observation"), obs);
  EXPECT_EQ(cache.resourceType(context(), "DomainResource"), nullptr);  // abstract
  EXPECT_EQ(cache.resourceType(context(), "HumanName"), nullptr);       // not a resource
  EXPECT_EQ(cache.resourceType(context(), "NoSuchThing"), nullptr);
}

TEST(TransactionBuilder, EntriesPutEachResourceAtItsTypeAndId) {
  TransactionBuilder tx(context(), "http://example.org/fhir/");
  tx.addResource("Patient", "p1", {});
  EXPECT_THROW(tx.addResource("NoSuchThing", "x", {}), std::logic_error);
  const std::string json = core::writeJson(*tx.document().root(), core::WriteOptions{false});
  EXPECT_NE(json.find(R"("fullUrl":"http://example.org/fhir/Patient/p1")"), std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("request":{"method":"PUT","url":"Patient/p1"})"), std::string::npos)
      << json;
  EXPECT_EQ(json.find("NoSuchThing"), std::string::npos) << json;  // no entry left half-made
}

}  // namespace bundle_builder_test
}  // namespace trialbridge::mapping
