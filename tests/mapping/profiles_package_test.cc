// The project's FHIR package: generated, embedded, loadable like any IG, and meaningful.
#include "mapping/profiles_package.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "conformance/context.h"
#include "mapping/profiles.h"
#include "test_util.h"
#include "validation/validator.h"

namespace trialbridge::mapping {
namespace {

using namespace test;

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
  EXPECT_EQ(element(*ae, "AdverseEvent.seriousness")->min, 1u);

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

}  // namespace
}  // namespace trialbridge::mapping

namespace trialbridge::mapping {
namespace {

using namespace test;

// Validates JSON text against R4 and the profile it names; the error messages.
std::vector<std::string> errors(const std::string& json) {
  static const validation::Validator validator(context());
  core::Issues issues;
  validator.validateText(json, issues);
  std::vector<std::string> out;
  for (const core::Issue& i : issues.items()) {
    if (i.severity <= core::Severity::Error) out.push_back(i.location + ": " + i.message);
  }
  return out;
}

bool mentions(const std::vector<std::string>& errors, const std::string& text) {
  for (const std::string& e : errors) {
    if (e.find(text) != std::string::npos) return true;
  }
  return false;
}

const char* kObservation = R"({
  "resourceType": "Observation",
  "id": "plt-1",
  "meta": {"profile": ["http://trialbridge.org/fhir/StructureDefinition/tb-observation"]},
  "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/workflow-researchStudy",
                 "valueReference": {"reference": "ResearchStudy/nct06813157"}}],
  "status": "final",
  "code": {"coding": [{"system": "http://loinc.org", "code": "777-3"}]},
  "subject": {"reference": "Patient/nct06813157-pt-ITP-0001"},
  "effectiveDateTime": "2025-02-12T08:00:00+08:00",
  "valueQuantity": {"value": 45, "unit": "10*3/uL", "system": "http://unitsofmeasure.org", "code": "10*3/uL"}
})";

TEST(Profiles, ObservationWithItsStudy) {
  EXPECT_TRUE(errors(kObservation).empty()) << ::testing::PrintToString(errors(kObservation));
}

TEST(Profiles, ObservationWithoutItsStudyFails) {
  std::string json = kObservation;
  const size_t from = json.find("  \"extension\"");
  const size_t to = json.find("  \"status\"");
  json.erase(from, to - from);
  const auto e = errors(json);
  EXPECT_FALSE(e.empty());
  EXPECT_TRUE(mentions(e, "researchStudy") || mentions(e, "workflow-researchStudy"))
      << ::testing::PrintToString(e);
}

TEST(Profiles, ObservationWithoutEffectiveTimeFails) {
  std::string json = kObservation;
  json.erase(json.find("  \"effectiveDateTime\""),
             json.find("  \"valueQuantity\"") - json.find("  \"effectiveDateTime\""));
  EXPECT_FALSE(errors(json).empty());
}

TEST(Profiles, PatientWithANameOrHospitalNumberFails) {
  const std::string ok = R"({"resourceType": "Patient", "id": "p",
    "meta": {"profile": ["http://trialbridge.org/fhir/StructureDefinition/tb-patient"]},
    "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "ANON"}]},
                    "system": "http://trialbridge.org/fhir/trials/x/pseudonym",
                    "value": "d32c7f3d4f515c317fd5bc57d894b027f8fb28a37c30030d96f07a042c1ffb2f"}],
    "gender": "female"})";
  EXPECT_TRUE(errors(ok).empty()) << ::testing::PrintToString(errors(ok));
  std::string named = ok;
  named.insert(named.rfind('}'), R"(, "name": [{"family": "Wang"}])");
  EXPECT_FALSE(errors(named).empty());
  std::string mrn = ok;
  mrn.replace(mrn.find("d32c7f3d"), 64, "MRN0048213");
  EXPECT_TRUE(mentions(errors(mrn), "tb-pat-1") || !errors(mrn).empty())
      << ::testing::PrintToString(errors(mrn));
  std::string noProfile = ok;
  noProfile.replace(noProfile.find("tb-patient"), 10, "tb-observation");
  EXPECT_FALSE(errors(noProfile).empty());
}

TEST(Profiles, AdverseEventWithoutStudyFails) {
  const Trial trial = sampleTrial();
  rapidjson::Document b = parse(
      mapToJson(trial, {sampleEntity(trial, "samples/entities/nct06813157-ae-itp-0001-01.json")}));
  rapidjson::Value& ae = b["entry"][b["entry"].Size() - 1]["resource"];
  ASSERT_EQ(std::string(ae["resourceType"].GetString()), "AdverseEvent");
  EXPECT_TRUE(errors(toJson(ae)).empty()) << ::testing::PrintToString(errors(toJson(ae)));
  ae.RemoveMember("study");
  EXPECT_TRUE(mentions(errors(toJson(ae)), "study"))
      << ::testing::PrintToString(errors(toJson(ae)));
}

TEST(Profiles, Grade5MustBeFatal) {
  const Trial trial = sampleTrial("samples/trials/tbx101-fih-01.json");
  rapidjson::Document b =
      parse(mapToJson(trial, {sampleEntity(trial, "samples/entities/tbx101-ae-101-001-01.json")}));
  rapidjson::Value& ae = b["entry"][b["entry"].Size() - 1]["resource"];
  EXPECT_TRUE(errors(toJson(ae)).empty()) << ::testing::PrintToString(errors(toJson(ae)));
  ae["outcome"]["coding"][0]["code"].SetString("recovering");
  ae["outcome"]["coding"][0]["display"].SetString("Recovering");
  EXPECT_TRUE(mentions(errors(toJson(ae)), "tb-ae-1"))
      << ::testing::PrintToString(errors(toJson(ae)));
}

}  // namespace
}  // namespace trialbridge::mapping
