#include "mapping/adverse_event_mapper.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace trialbridge::mapping {
namespace {

using namespace test;

const rapidjson::Value& only(const rapidjson::Document& b, const std::string& id) {
  const rapidjson::Value* r = resource(b, "AdverseEvent", id);
  if (r == nullptr) throw std::runtime_error("no AdverseEvent " + id);
  return *r;
}

std::string extension(const rapidjson::Value& r, const std::string& name, const char* pointer) {
  for (auto& x : r["extension"].GetArray()) {
    if (x["url"] == ("http://trialbridge.org/fhir/StructureDefinition/" + name).c_str())
      return str(at(x, pointer));
  }
  return "<none>";
}

TEST(AdverseEventMapper, NonSeriousGrade1) {
  const Trial trial = sampleTrial();
  const rapidjson::Document b = parse(
      mapToJson(trial, {sampleEntity(trial, "samples/entities/nct06813157-ae-itp-0001-01.json")}));
  const rapidjson::Value& ae = only(b, "nct06813157-ae-AE-0001-01");
  EXPECT_EQ(str(at(ae, "/actuality")), "actual");
  EXPECT_EQ(str(at(ae, "/study/0/reference")), "ResearchStudy/nct06813157");
  EXPECT_EQ(str(at(ae, "/subject/reference")), "Patient/nct06813157-pt-ITP-0001");
  EXPECT_EQ(str(at(ae, "/event/coding/0/system")), "http://terminology.hl7.org/CodeSystem/mdr");
  EXPECT_EQ(str(at(ae, "/event/coding/0/code")), "10037660");
  EXPECT_EQ(str(at(ae, "/event/text")), "Fever after infusion");
  EXPECT_EQ(str(at(ae, "/date")), "2025-02-12T20:00:00+08:00");
  EXPECT_EQ(str(at(ae, "/seriousness/coding/0/code")), "Non-serious");
  EXPECT_EQ(str(at(ae, "/severity/coding/0/code")), "mild");
  EXPECT_EQ(str(at(ae, "/outcome/coding/0/code")), "resolved");
  EXPECT_EQ(extension(ae, "tb-ctcae-grade", "/valueCodeableConcept/coding/0/code"), "1");
  EXPECT_EQ(extension(ae, "tb-ctcae-grade", "/valueCodeableConcept/text"),
            "CTCAE v5.0 grade 1 (Fever)");
  EXPECT_EQ(extension(ae, "tb-ae-resolution", "/valueDateTime"), "2025-02-13T14:00:00+08:00");
  EXPECT_EQ(extension(ae, "tb-ae-action-taken", "/valueCodeableConcept/coding/0/code"),
            "dose-not-changed");
  // Causality to the study intervention.
  EXPECT_EQ(str(at(ae, "/suspectEntity/0/instance/reference")), "Medication/nct06813157-med-msc");
  EXPECT_EQ(str(at(ae, "/suspectEntity/0/causality/0/assessment/coding/0/code")),
            "possibly-related");
  EXPECT_EQ(str(at(ae, "/suspectEntity/0/causality/0/assessment/coding/1/code")), "Possible");
  EXPECT_EQ(str(at(ae, "/suspectEntity/0/causality/0/productRelatedness")), "possibly-related");
}

TEST(AdverseEventMapper, SeriousNotRelated) {
  const Trial trial = sampleTrial();
  const rapidjson::Document b = parse(
      mapToJson(trial, {sampleEntity(trial, "samples/entities/nct06813157-ae-itp-0003-02.json")}));
  const rapidjson::Value& ae = only(b, "nct06813157-ae-AE-0003-02");
  EXPECT_EQ(str(at(ae, "/seriousness/coding/0/code")), "SeriousResultsInHospitalization");
  EXPECT_EQ(str(at(ae, "/severity/coding/0/code")), "severe");
  EXPECT_EQ(str(at(ae, "/outcome/coding/0/code")), "recovering");
  EXPECT_EQ(extension(ae, "tb-ae-seriousness-criterion", "/valueCodeableConcept/coding/0/code"),
            "hospitalization");
  // "Not related" has no WHO-UMC code: only the trial's scale.
  EXPECT_EQ((*at(ae, "/suspectEntity/0/causality/0/assessment/coding")).Size(), 1u);
  EXPECT_EQ(str(at(ae, "/suspectEntity/0/causality/0/assessment/coding/0/code")), "not-related");
}

TEST(AdverseEventMapper, FatalGrade5TheGravestCriterionFirst) {
  const Trial trial = sampleTrial("samples/trials/tbx101-fih-01.json");
  const rapidjson::Document b =
      parse(mapToJson(trial, {sampleEntity(trial, "samples/entities/tbx101-ae-101-001-01.json")}));
  const rapidjson::Value& ae = only(b, "tbx101-fih-01-ae-AE-101-001-01");
  EXPECT_EQ(str(at(ae, "/seriousness/coding/0/code")), "SeriousResultsInDeath");
  EXPECT_EQ(str(at(ae, "/outcome/coding/0/code")), "fatal");
  EXPECT_EQ(extension(ae, "tb-ctcae-grade", "/valueCodeableConcept/coding/0/code"), "5");
  int criteria = 0;
  for (auto& x : ae["extension"].GetArray()) {
    criteria +=
        x["url"] == "http://trialbridge.org/fhir/StructureDefinition/tb-ae-seriousness-criterion";
  }
  EXPECT_EQ(criteria, 3);
  EXPECT_EQ(str(at(ae, "/suspectEntity/0/causality/0/assessment/coding/1/code")), "Unlikely");
}

}  // namespace
}  // namespace trialbridge::mapping
