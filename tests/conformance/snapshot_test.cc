#include "conformance/snapshot.h"

#include <gtest/gtest.h>

#include "conformance/context.h"

namespace trialbridge::conformance {
namespace {

StructureDefinition profile(const std::string& differential) {
  auto sd = parseStructureDefinition(R"({"resourceType":"StructureDefinition",
    "url":"http://example.org/sd/p","type":"Patient","derivation":"constraint",
    "baseDefinition":"http://hl7.org/fhir/StructureDefinition/Patient",
    "differential":{"element":[)" + differential +
                                     "]}}");
  EXPECT_TRUE(sd) << sd.message();
  return sd.value();
}

const ElementDefinition* byId(const std::vector<ElementDefinition>& s, const std::string& id) {
  for (const ElementDefinition& e : s) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

TEST(Snapshot, MergesSlicesAndExpandsTypes) {
  const Context& ctx = Context::r4();
  Snapshots snapshots(ctx);
  const StructureDefinition* base = ctx.structureDefinition("Patient");
  ASSERT_NE(base, nullptr);
  const StructureDefinition p = profile(R"(
    {"id":"Patient.identifier","path":"Patient.identifier","min":1,
     "slicing":{"discriminator":[{"type":"value","path":"system"}],"rules":"open"}},
    {"id":"Patient.identifier:mrn","path":"Patient.identifier","sliceName":"mrn","min":1,"max":"1"},
    {"id":"Patient.identifier:mrn.system","path":"Patient.identifier.system","min":1,
     "fixedUri":"http://example.org/mrn"},
    {"id":"Patient.deceasedBoolean","path":"Patient.deceasedBoolean","max":"0"},
    {"id":"Patient.nosuch","path":"Patient.nosuch","min":1})");
  std::vector<std::string> warnings;
  auto snap = generateSnapshot(
      p, *base, [&](std::string_view n) { return snapshots.get(n); }, &warnings);
  ASSERT_TRUE(snap) << snap.message();
  const auto& s = snap.value();
  const ElementDefinition* identifier = byId(s, "Patient.identifier");
  ASSERT_NE(identifier, nullptr);
  EXPECT_EQ(identifier->min, 1u);
  ASSERT_TRUE(identifier->slicing.has_value());
  const ElementDefinition* mrn = byId(s, "Patient.identifier:mrn");
  ASSERT_NE(mrn, nullptr);
  EXPECT_EQ(mrn->sliceName, "mrn");
  EXPECT_EQ(mrn->max, 1u);
  const ElementDefinition* system = byId(s, "Patient.identifier:mrn.system");
  ASSERT_NE(system, nullptr);
  EXPECT_EQ(system->fixedName, "fixedUri");
  EXPECT_EQ(system->min, 1u);
  // The renamed choice constrains deceased[x].
  const ElementDefinition* deceased = byId(s, "Patient.deceased[x]");
  ASSERT_NE(deceased, nullptr);
  EXPECT_EQ(deceased->max, 0u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("Patient.nosuch"), std::string::npos);
}

TEST(Snapshots, GeneratesForDifferentialOnlyProfilesAndCutsCircles) {
  const Context& ctx = Context::r4();
  Snapshots snapshots(ctx);
  const StructureDefinition* patient = snapshots.get("Patient");
  ASSERT_NE(patient, nullptr);
  EXPECT_FALSE(patient->snapshot.empty());
  std::string error;
  EXPECT_EQ(snapshots.get("http://example.org/no-such-profile", &error), nullptr);
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace trialbridge::conformance
