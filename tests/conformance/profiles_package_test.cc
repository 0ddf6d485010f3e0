// The project's FHIR package: generated, embedded, loadable like any IG, and meaningful.
#include "conformance/profiles_package.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>

#include "conformance/context.h"
#include "conformance/profiles.h"

namespace trialbridge::conformance {
namespace {

std::string sourcePath(const std::string& relative) {
  return std::string(TB_SOURCE_ROOT) + "/" + relative;
}

// R4 core plus the embedded trialbridge package; built once.
const Context& context() {
  static const std::unique_ptr<Context> ctx = [] {
    auto c = Context::withCore();
    c->addPackage(profilesPackage());
    return c;
  }();
  return *ctx;
}

TEST(ProfilesPackage, IsUpToDateWithItsSources) {
  // gen_package.py --check regenerates in memory and compares with package/ and embedded.ndjson.
  const std::string cmd =
      "python3 " + sourcePath("fhir-profiles/trialbridge/gen_package.py") + " --check";
  if (std::system("python3 -c '' 2>/dev/null") != 0) GTEST_SKIP() << "no python3";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << "run fhir-profiles/trialbridge/gen_package.py";
}

TEST(ProfilesPackage, EmbeddedMatchesTheFolder) {
  auto embedded = profilesPackage();
  auto folder = conformance::openPackage(sourcePath("fhir-profiles/trialbridge"));
  ASSERT_TRUE(folder) << folder.message();
  EXPECT_EQ(embedded->name(), "trialbridge.fhir");
  EXPECT_EQ(embedded->name(), folder.value()->name());
  EXPECT_EQ(embedded->version(), folder.value()->version());
  EXPECT_EQ(embedded->resources().size(), folder.value()->resources().size());
}

TEST(ProfilesPackage, EveryProfileHasASnapshotAndNamesItself) {
  const conformance::Context& ctx = context();
  for (std::string_view url :
       {profiles::kResearchStudy, profiles::kResearchSubject, profiles::kPatient,
        profiles::kObservation, profiles::kAdverseEvent, profiles::kConsent,
        profiles::kEligibilityGroup, profiles::kStudySchedule, profiles::kStudyActivity,
        profiles::kOrganization, profiles::kLocation, profiles::kPractitionerRole,
        profiles::kMedication, profiles::kTransactionBundle}) {
    const conformance::StructureDefinition* sd = ctx.structureDefinition(url);
    ASSERT_NE(sd, nullptr) << url;
    EXPECT_TRUE(sd->isConstraint());
    EXPECT_FALSE(sd->snapshot.empty()) << url;
    EXPECT_FALSE(sd->differential.empty()) << url;
    bool metaProfile = false;
    for (const auto& e : sd->snapshot) {
      if (e.path == sd->type + ".meta.profile") metaProfile = e.min == 1;
    }
    EXPECT_TRUE(metaProfile) << url << ": meta.profile is required";
  }
}

const conformance::ElementDefinition* element(const conformance::StructureDefinition& sd,
                                              const std::string& id) {
  for (const auto& e : sd.snapshot) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

TEST(ProfilesPackage, DifferentialsSayWhatMatters) {
  const conformance::Context& ctx = context();
  const auto* patient = ctx.structureDefinition(profiles::kPatient);
  ASSERT_NE(patient, nullptr);
  EXPECT_EQ(element(*patient, "Patient.identifier")->max, 1u);
  EXPECT_EQ(element(*patient, "Patient.name")->max, 0u);
  EXPECT_EQ(element(*patient, "Patient.telecom")->max, 0u);
  EXPECT_EQ(element(*patient, "Patient.address")->max, 0u);
  EXPECT_NE(element(*patient, "Patient.identifier.type")->patternJson.find("ANON"),
            std::string::npos);

  const auto* obs = ctx.structureDefinition(profiles::kObservation);
  const auto* ext = element(*obs, "Observation.extension:researchStudy");
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(ext->min, 1u);
  EXPECT_EQ(ext->types.at(0).profiles.at(0), profiles::kExtWorkflowResearchStudy);

  const auto* ae = ctx.structureDefinition(profiles::kAdverseEvent);
  ASSERT_NE(element(*ae, "AdverseEvent.extension:ctcaeGrade"), nullptr);
  EXPECT_EQ(element(*ae, "AdverseEvent.study")->min, 1u);
  // Seriousness and outcome: optional for a draft (actuality potential), required once actual.
  EXPECT_EQ(element(*ae, "AdverseEvent.seriousness")->min, 0u);
  const auto& aeConstraints = element(*ae, "AdverseEvent")->constraints;
  EXPECT_TRUE(std::any_of(aeConstraints.begin(), aeConstraints.end(), [](const auto& c) {
    return c.key == "tb-ae-3" && c.expression.find("actuality = 'actual'") != std::string::npos;
  }));

  const auto* rs = ctx.structureDefinition(profiles::kResearchSubject);
  const auto* sid = element(*rs, "ResearchSubject.identifier:subjectId.type");
  ASSERT_NE(sid, nullptr);
  EXPECT_NE(sid->patternJson.find("subject-id"), std::string::npos);

  const auto* schedule = ctx.structureDefinition(profiles::kStudySchedule);
  EXPECT_NE(
      element(*schedule, "PlanDefinition.action.relatedAction.extension:acceptableOffsetRange"),
      nullptr);
}

TEST(ProfilesPackage, TerminologyIsThere) {
  const conformance::Context& ctx = context();
  for (const char* cs : {"tb-identifier-type", "tb-arm-type", "tb-ctcae-grade", "tb-criterion-kind",
                         "tb-anchor-event", "tb-ae-action-taken", "tb-limit-of-normal"}) {
    EXPECT_NE(ctx.find(profiles::codeSystem(cs)), nullptr) << cs;
    EXPECT_NE(ctx.find(std::string(profiles::kCanonical) + "/ValueSet/" + cs), nullptr) << cs;
  }
  EXPECT_NE(ctx.find(profiles::kExtAcceptableOffsetRange), nullptr);
}

// The protocol's logic: doses name their timepoint; response, placement and criterion outcomes
// have their code systems (docs/study-logic.md).
TEST(ProfilesPackage, DosesAndTheProtocolsLogic) {
  const conformance::Context& ctx = context();
  const auto* ma = ctx.structureDefinition(profiles::kMedicationAdministration);
  ASSERT_NE(ma, nullptr);
  const auto* timepoint = element(*ma, "MedicationAdministration.extension:timepoint");
  ASSERT_NE(timepoint, nullptr);
  EXPECT_EQ(timepoint->min, 1u);
  EXPECT_EQ(timepoint->types.at(0).profiles.at(0), profiles::kExtTimepoint);
  EXPECT_EQ(element(*ma, "MedicationAdministration.extension:researchStudy")->min, 1u);
  EXPECT_NE(ctx.structureDefinition(profiles::kExtTimepoint), nullptr);
  for (const char* cs : {"tb-platelet-response", "tb-placement", "tb-criterion-outcome"}) {
    EXPECT_NE(ctx.find(profiles::codeSystem(cs)), nullptr) << cs;
  }
}

// The service's default: each trial record type is kept to a profile of that type.
TEST(ProfilesPackage, TrialRecordProfilesConstrainTheirType) {
  size_t n = 0;
  for (const auto& [type, profile] : profiles::kTrialRecordProfiles) {
    const StructureDefinition* sd = context().structureDefinition(profile);
    ASSERT_NE(sd, nullptr) << profile;
    EXPECT_EQ(sd->type, type) << profile;
    EXPECT_TRUE(sd->isConstraint()) << profile;
    ++n;
  }
  EXPECT_EQ(n, 5u);
  EXPECT_EQ(profiles::kTrialRecordProfiles[0].profile, profiles::kResearchStudy);
  EXPECT_EQ(profiles::kTrialRecordProfiles[4].profile, profiles::kMedicationAdministration);
}

}  // namespace
}  // namespace trialbridge::conformance
