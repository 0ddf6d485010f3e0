// The study's resources, checked field by field where the mapping makes choices (the goldens
// cover the rest).
#include "mapping/study_mapper.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace trialbridge::mapping {
namespace {

using namespace test;

const rapidjson::Document& nct() {
  static const rapidjson::Document d = parse(mapToJson(sampleTrial(), {}));
  return d;
}

const rapidjson::Document& tbx() {
  static const rapidjson::Document d =
      parse(mapToJson(sampleTrial("samples/trials/tbx101-fih-01.json"), {}));
  return d;
}

// The action of a PlanDefinition with this id.
const rapidjson::Value* action(const rapidjson::Value& plan, const std::string& id) {
  for (auto& a : plan["action"].GetArray()) {
    if (a["id"] == id.c_str()) return &a;
  }
  return nullptr;
}

// The extension of `v` with this url, or nullptr.
const rapidjson::Value* extension(const rapidjson::Value& v, const std::string& url) {
  if (!v.HasMember("extension")) return nullptr;
  for (auto& x : v["extension"].GetArray()) {
    if (x["url"] == url.c_str()) return &x;
  }
  return nullptr;
}

// The value (as text) of a part of a complex extension.
std::string partOf(const rapidjson::Value* ext, const std::string& name) {
  if (ext == nullptr) return "<no extension>";
  std::string out;
  for (auto& x : (*ext)["extension"].GetArray()) {
    if (x["url"] != name.c_str()) continue;
    for (auto& m : x.GetObject()) {
      if (std::string(m.name.GetString()).rfind("value", 0) != 0) continue;
      if (!out.empty()) out += "|";
      out += m.value.IsString() ? m.value.GetString() : toJson(m.value);
    }
  }
  return out;
}

constexpr const char* kSd = "http://trialbridge.org/fhir/StructureDefinition/";

TEST(StudyMapper, ResearchStudy) {
  const rapidjson::Value* rs = resource(nct(), "ResearchStudy", "nct06813157");
  ASSERT_NE(rs, nullptr);
  EXPECT_EQ(str(at(*rs, "/identifier/0/system")), "https://clinicaltrials.gov");
  EXPECT_EQ(str(at(*rs, "/identifier/0/value")), "NCT06813157");
  EXPECT_EQ(str(at(*rs, "/status")), "active");
  EXPECT_EQ(str(at(*rs, "/phase/coding/0/code")), "n-a");
  EXPECT_EQ(str(at(*rs, "/phase/text")), "Not Applicable");
  EXPECT_EQ(str(at(*rs, "/primaryPurposeType/coding/0/code")), "treatment");
  EXPECT_EQ(str(at(*rs, "/category/0/coding/0/code")), "interventional");
  EXPECT_EQ(str(at(*rs, "/condition/0/coding/0/code")), "D69.3");
  EXPECT_EQ(str(at(*rs, "/sponsor/reference")), "Organization/nct06813157-org-bio-gene");
  EXPECT_EQ(str(at(*rs, "/site/0/reference")), "Location/nct06813157-site-taixin");
  EXPECT_EQ(str(at(*rs, "/contact/0/name")), "Chaoke Bu, Doctor");
  EXPECT_EQ(str(at(*rs, "/enrollment/0/reference")), "Group/nct06813157-eligibility");
  EXPECT_EQ(str(at(*rs, "/protocol/0/reference")), "PlanDefinition/nct06813157-soa-treatment");
  EXPECT_EQ(str(at(*rs, "/protocol/1/reference")), "PlanDefinition/nct06813157-soa-follow-up");
  EXPECT_EQ(str(at(*rs, "/arm/0/type/coding/0/code")), "experimental");
  // The dose as registered, and its reading.
  EXPECT_NE(str(at(*rs, "/arm/0/description")).find("1 × 108/kg (read as 1 × 10^8 cells/kg"),
            std::string::npos);
  EXPECT_EQ(
      str(at(*rs, "/extension/0/valueString")),
      "Mesenchymal Stem Cells in the Treatment of Refractory Primary Immune Thrombocytopenia");
  EXPECT_EQ(str(at(*rs, "/location/0/coding/0/code")), "CN");
}

TEST(StudyMapper, SecondTrialIdentifiersDesignAndCollaborators) {
  const rapidjson::Value* rs = resource(tbx(), "ResearchStudy", "tbx101-fih-01");
  ASSERT_NE(rs, nullptr);
  EXPECT_EQ(str(at(*rs, "/identifier/0/type/coding/0/code")), "sponsor-protocol");
  EXPECT_EQ(str(at(*rs, "/identifier/0/use")), "official");
  EXPECT_EQ(str(at(*rs, "/identifier/0/assigner/reference")),
            "Organization/tbx101-fih-01-org-examplar");
  EXPECT_EQ(str(at(*rs, "/identifier/1/system")), "https://euclinicaltrials.eu");
  EXPECT_EQ(str(at(*rs, "/status")), "approved");
  EXPECT_EQ(str(at(*rs, "/phase/coding/0/code")), "phase-1");
  EXPECT_EQ(str(at(*rs, "/category/1/coding/0/code")), "allocation-non-randomized");
  EXPECT_EQ(str(at(*rs, "/category/2/coding/0/code")), "model-sequential");
  EXPECT_EQ(str(at(*rs, "/category/3/coding/0/code")), "masking-none");
  EXPECT_EQ(str(at(*rs, "/principalInvestigator/reference")),
            "PractitionerRole/tbx101-fih-01-contact-pi-berlin");
  EXPECT_EQ(str(at(*rs, "/period/start")), "2026-03");
  EXPECT_EQ(rs->FindMember("arm")->value.Size(), 5u);
  EXPECT_EQ(rs->FindMember("objective")->value.Size(), 6u);  // 3 objectives, 3 outcome measures
  bool collaborator = false;
  for (auto& x : (*rs)["extension"].GetArray()) {
    collaborator |= x["url"] == "http://trialbridge.org/fhir/StructureDefinition/tb-collaborator";
  }
  EXPECT_TRUE(collaborator);
}

TEST(StudyMapper, ScheduleTheVulcanWay) {
  const rapidjson::Value* plan = resource(nct(), "PlanDefinition", "nct06813157-soa-treatment");
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(
      str(at(*plan, "/url")),
      "http://trialbridge.org/fhir/trials/nct06813157/PlanDefinition/nct06813157-soa-treatment");
  EXPECT_EQ(str(at(*plan, "/type/coding/0/code")), "clinical-protocol");
  // The anchor event is an action; infusion 1 is at it.
  EXPECT_NE(action(*plan, "anchor-first-dose"), nullptr);
  const rapidjson::Value* inf1 = action(*plan, "inf-1");
  ASSERT_NE(inf1, nullptr);
  EXPECT_EQ(str(at(*inf1, "/relatedAction/0/actionId")), "anchor-first-dose");
  EXPECT_EQ(str(at(*inf1, "/relatedAction/0/relationship")), "concurrent");
  // Infusion 3: 14 days after infusion 2, window 11 to 17 days.
  const rapidjson::Value* inf3 = action(*plan, "inf-3");
  ASSERT_NE(inf3, nullptr);
  EXPECT_EQ(str(at(*inf3, "/relatedAction/0/actionId")), "inf-2");
  EXPECT_EQ(str(at(*inf3, "/relatedAction/0/relationship")), "after");
  EXPECT_EQ(toJson(*at(*inf3, "/relatedAction/0/offsetDuration/value")), "14");
  EXPECT_EQ(str(at(*inf3, "/relatedAction/0/offsetDuration/code")), "d");
  EXPECT_EQ(str(at(*inf3, "/relatedAction/0/extension/0/url")),
            "http://hl7.org/fhir/uv/vulcan-schedule/StructureDefinition/AcceptableOffsetRangeSoa");
  EXPECT_EQ(toJson(*at(*inf3, "/relatedAction/0/extension/0/valueRange/low/value")), "11");
  EXPECT_EQ(toJson(*at(*inf3, "/relatedAction/0/extension/0/valueRange/high/value")), "17");
  // The infusion points at the arm's ActivityDefinition, whose dosage keeps the registered text.
  EXPECT_EQ(str(at(*inf3, "/action/0/definitionCanonical")),
            "http://trialbridge.org/fhir/trials/nct06813157/ActivityDefinition/"
            "nct06813157-act-msc-infusion-msc-arm");
  const rapidjson::Value* ad =
      resource(nct(), "ActivityDefinition", "nct06813157-act-msc-infusion-msc-arm");
  ASSERT_NE(ad, nullptr);
  EXPECT_EQ(str(at(*ad, "/kind")), "MedicationRequest");
  EXPECT_EQ(str(at(*ad, "/productReference/reference")), "Medication/nct06813157-med-msc");
  EXPECT_EQ(str(at(*ad, "/dosage/0/text")).rfind("1 × 108/kg", 0), 0u);
  EXPECT_EQ(toJson(*at(*ad, "/dosage/0/doseAndRate/0/doseQuantity/value")), "100000000");
  EXPECT_EQ(str(at(*ad, "/dosage/0/doseAndRate/0/doseQuantity/code")), "{cells}/kg");
  // Screening: before the first dose, no offset known.
  const rapidjson::Value* v1 = action(*plan, "v1-screening");
  EXPECT_EQ(str(at(*v1, "/relatedAction/0/relationship")), "before");
  EXPECT_EQ(at(*v1, "/relatedAction/0/offsetDuration"), nullptr);
  // Follow-up in months after the last dose, without windows.
  const rapidjson::Value* fu = resource(nct(), "PlanDefinition", "nct06813157-soa-follow-up");
  const rapidjson::Value* m1 = action(*fu, "fu-m1");
  EXPECT_EQ(str(at(*m1, "/relatedAction/0/actionId")), "anchor-last-dose");
  EXPECT_EQ(str(at(*m1, "/relatedAction/0/offsetDuration/code")), "mo");
  EXPECT_EQ(at(*m1, "/relatedAction/0/extension"), nullptr);
}

TEST(StudyMapper, MinutesHoursAndWeeks) {
  const rapidjson::Value* pk = resource(tbx(), "PlanDefinition", "tbx101-fih-01-soa-pk");
  ASSERT_NE(pk, nullptr);
  // 15 minutes before the first dose, window 0 to 30 minutes before.
  const rapidjson::Value* pre = action(*pk, "pk-pre");
  EXPECT_EQ(str(at(*pre, "/relatedAction/0/relationship")), "before");
  EXPECT_EQ(toJson(*at(*pre, "/relatedAction/0/offsetDuration/value")), "15");
  EXPECT_EQ(toJson(*at(*pre, "/relatedAction/0/extension/0/valueRange/low/value")), "0");
  EXPECT_EQ(toJson(*at(*pre, "/relatedAction/0/extension/0/valueRange/high/value")), "30");
  // 1 hour, 5 minutes early to 10 minutes late: the range in minutes.
  const rapidjson::Value* h1 = action(*pk, "pk-1h");
  EXPECT_EQ(str(at(*h1, "/relatedAction/0/offsetDuration/code")), "h");
  EXPECT_EQ(toJson(*at(*h1, "/relatedAction/0/extension/0/valueRange/low/value")), "55");
  EXPECT_EQ(toJson(*at(*h1, "/relatedAction/0/extension/0/valueRange/high/value")), "70");
  EXPECT_EQ(str(at(*h1, "/relatedAction/0/extension/0/valueRange/low/code")), "min");
  // Week 2 ±3 days: the range in days.
  const rapidjson::Value* imm = resource(tbx(), "PlanDefinition", "tbx101-fih-01-soa-immune");
  const rapidjson::Value* w2 = action(*imm, "imm-w2");
  EXPECT_EQ(str(at(*w2, "/relatedAction/0/offsetDuration/code")), "wk");
  EXPECT_EQ(toJson(*at(*w2, "/relatedAction/0/extension/0/valueRange/low/value")), "11");
  EXPECT_EQ(toJson(*at(*w2, "/relatedAction/0/extension/0/valueRange/high/value")), "17");
  // Half a month either side of month 3.
  const rapidjson::Value* fu = resource(tbx(), "PlanDefinition", "tbx101-fih-01-soa-follow-up");
  const rapidjson::Value* m3 = action(*fu, "fu-m3");
  EXPECT_EQ(toJson(*at(*m3, "/relatedAction/0/extension/0/valueRange/low/value")), "2.5");
}

TEST(StudyMapper, CohortsEachWithTheirDose) {
  const rapidjson::Value* esc = resource(tbx(), "PlanDefinition", "tbx101-fih-01-soa-escalation");
  ASSERT_NE(esc, nullptr);
  EXPECT_EQ((*esc)["extension"].Size(), 4u);  // the four escalation cohorts
  const rapidjson::Value* c1d1 = action(*esc, "esc-c1d1");
  // One infusion sub-action per cohort, each for its own arm.
  int infusions = 0;
  for (auto& sub : (*c1d1)["action"].GetArray()) {
    if (!sub.HasMember("condition")) continue;
    ++infusions;
    EXPECT_EQ(str(at(sub, "/condition/0/kind")), "applicability");
    EXPECT_EQ(str(at(sub, "/condition/0/expression/language")), "text/fhirpath");
  }
  EXPECT_EQ(infusions, 4);
  EXPECT_EQ(str(at(*c1d1, "/action/0/condition/0/expression/expression")),
            "%researchSubject.assignedArm = 'Cohort 1: TBX-101 0.3 mg/kg every 3 weeks'");
  const rapidjson::Value* ad =
      resource(tbx(), "ActivityDefinition", "tbx101-fih-01-act-tbx101-infusion-cohort-1");
  ASSERT_NE(ad, nullptr);
  EXPECT_EQ(toJson(*at(*ad, "/dosage/0/doseAndRate/0/doseQuantity/value")), "0.3");
  EXPECT_EQ(str(at(*ad, "/dosage/0/doseAndRate/0/doseQuantity/code")), "mg/kg");
  // Repeating dosing: cycles 2 to 8 every 21 days.
  const rapidjson::Value* cn = action(*esc, "esc-cnd1");
  EXPECT_EQ(toJson(*at(*cn, "/timingTiming/repeat/count")), "7");
  EXPECT_EQ(toJson(*at(*cn, "/timingTiming/repeat/period")), "21");
  EXPECT_EQ(str(at(*cn, "/timingTiming/repeat/periodUnit")), "d");
  // The expansion arm has its own schedule and dose, without conditions.
  const rapidjson::Value* exp = resource(tbx(), "PlanDefinition", "tbx101-fih-01-soa-expansion");
  EXPECT_EQ(at(*action(*exp, "exp-c1d1"), "/action/0/condition"), nullptr);
}

TEST(StudyMapper, EligibilityGroup) {
  const rapidjson::Value* g = resource(nct(), "Group", "nct06813157-eligibility");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(toJson(*at(*g, "/quantity")), "40");
  EXPECT_EQ(toJson(*at(*g, "/actual")), "false");
  // Age 4 to 75 years.
  const rapidjson::Value* age = at(*g, "/characteristic/0");
  EXPECT_EQ(str(at(*age, "/code/coding/0/code")), "30525-0");
  EXPECT_EQ(toJson(*at(*age, "/valueRange/low/value")), "4");
  EXPECT_EQ(toJson(*at(*age, "/valueRange/high/value")), "75");
  EXPECT_EQ(str(at(*age, "/valueRange/high/code")), "a");
  // ALT ≤ 3 × ULN.
  const rapidjson::Value* alt = at(*g, "/characteristic/1");
  EXPECT_EQ(str(at(*alt, "/code/coding/0/code")), "1742-6");
  EXPECT_EQ(str(at(*alt, "/valueQuantity/comparator")), "<=");
  EXPECT_EQ(toJson(*at(*alt, "/valueQuantity/value")), "3");
  EXPECT_EQ(str(at(*alt, "/valueQuantity/system")),
            "http://trialbridge.org/fhir/CodeSystem/tb-limit-of-normal");
  EXPECT_EQ(str(at(*alt, "/valueQuantity/code")), "ULN");
  // Creatinine ≤ 1.5 × ULN or clearance ≥ 75 mL/min: two alternatives of one group.
  int renal = 0;
  for (auto& c : (*g)["characteristic"].GetArray()) {
    for (auto& x : c["extension"].GetArray()) {
      if (x["url"] == "http://trialbridge.org/fhir/StructureDefinition/tb-alternative-group") {
        EXPECT_EQ(str(&x["valueId"]), "renal");
        ++renal;
      }
    }
  }
  EXPECT_EQ(renal, 2);
  // Free-text criteria are kept: 8 inclusion, 5 exclusion (exclude = true).
  int inclusion = 0, exclusion = 0;
  for (auto& c : (*g)["characteristic"].GetArray()) {
    const std::string kind = str(at(c, "/extension/0/valueCode"));
    if (kind == "inclusion-text") ++inclusion;
    if (kind == "exclusion-text") {
      ++exclusion;
      EXPECT_TRUE(c["exclude"].GetBool());
    }
    if (kind == "washout") {
      EXPECT_EQ(str(at(c, "/valueQuantity/comparator")), ">=");
      EXPECT_EQ(str(at(c, "/valueQuantity/code")), "wk");
    }
    if (kind == "pregnancy-test") {
      EXPECT_EQ(str(at(c, "/valueCodeableConcept/coding/0/code")), "260385009");
    }
  }
  EXPECT_EQ(inclusion, 8);
  EXPECT_EQ(exclusion, 5);
}

TEST(StudyMapper, SitesContactsAndProducts) {
  const rapidjson::Value* loc = resource(nct(), "Location", "nct06813157-site-taixin");
  ASSERT_NE(loc, nullptr);
  EXPECT_EQ(str(at(*loc, "/address/country")), "CN");
  EXPECT_EQ(str(at(*loc, "/managingOrganization/reference")),
            "Organization/nct06813157-org-taixin-hospital");
  const rapidjson::Value* role = resource(nct(), "PractitionerRole", "nct06813157-contact-central");
  ASSERT_NE(role, nullptr);
  EXPECT_EQ(str(at(*role, "/practitioner/display")), "Chaoke Bu, Doctor");
  EXPECT_EQ(str(at(*role, "/code/0/coding/0/code")), "contact");
  const rapidjson::Value* pi = resource(tbx(), "PractitionerRole", "tbx101-fih-01-contact-pi-lyon");
  EXPECT_EQ(str(at(*pi, "/organization/reference")),
            "Organization/tbx101-fih-01-org-lyon-cancer-centre");
  EXPECT_EQ(str(at(*pi, "/location/0/reference")), "Location/tbx101-fih-01-site-lyon");
  EXPECT_NE(resource(nct(), "Medication", "nct06813157-med-msc"), nullptr);
}

TEST(StudyMapper, DoseFindingDesigns) {
  const rapidjson::Document d =
      parse(mapToJson(sampleTrial("samples/trials/tbx202-boin-01.json"), {}));
  const rapidjson::Value* rs = resource(d, "ResearchStudy", "tbx202-boin-01");
  ASSERT_NE(rs, nullptr);
  const rapidjson::Value* esc = extension(*rs, std::string(kSd) + "tb-dose-escalation");
  EXPECT_EQ(partOf(esc, "rule"), "BOIN");
  EXPECT_EQ(partOf(esc, "targetToxicityRate"), "0.3");
  // The expansion cohort names the escalation arms its dose comes from.
  const rapidjson::Value& expansion = (*rs)["arm"][5];
  const rapidjson::Value* cohort = extension(expansion, std::string(kSd) + "tb-arm-cohort");
  EXPECT_EQ(partOf(cohort, "sequence"), "6");
  EXPECT_EQ(partOf(cohort, "part"), "dose-expansion");
  EXPECT_EQ(partOf(cohort, "size"), "36");
  EXPECT_EQ(partOf(cohort, "doseFrom"),
            "Dose level 3: TBX-202 100 mg once daily|Dose level 4: TBX-202 150 mg once "
            "daily|Dose level 5: TBX-202 200 mg once daily");
  EXPECT_EQ(
      str(at(*extension(expansion, std::string(kSd) + "tb-arm-intervention"), "/valueString")),
      "Drug: TBX-202");
  // The arm's description and the dose are one sentence each, never "..".
  const std::string desc = str(at(expansion, "/description"));
  EXPECT_EQ(desc.find(".."), std::string::npos) << desc;
  EXPECT_NE(desc.find("chosen when the escalation ends. TBX-202: Recommended"), std::string::npos)
      << desc;
  // Schedules for the first 12 subjects of the expansion, and for female subjects.
  const rapidjson::Value* pk = resource(d, "PlanDefinition", "tbx202-boin-01-soa-pk-expansion");
  ASSERT_NE(pk, nullptr);
  EXPECT_EQ(partOf(extension(*pk, std::string(kSd) + "tb-schedule-subjects"), "first"), "12");
  const rapidjson::Value* preg = resource(d, "PlanDefinition", "tbx202-boin-01-soa-pregnancy");
  ASSERT_NE(preg, nullptr);
  EXPECT_EQ(partOf(extension(*preg, std::string(kSd) + "tb-schedule-subjects"), "sex"), "female");
  // Outcome measures keep their description and time frame.
  const rapidjson::Value* outcome =
      extension((*rs)["objective"][2], std::string(kSd) + "tb-outcome-measure");
  EXPECT_EQ(partOf(outcome, "kind"), "primary");
  EXPECT_EQ(partOf(outcome, "measure"), "Dose-limiting toxicities");
  EXPECT_EQ(partOf(outcome, "timeFrame"), "Cycle 1 (28 days)");
  EXPECT_EQ(partOf(outcome, "description"),
            "Participants with a dose-limiting toxicity as defined in the protocol, by dose "
            "level.");
  EXPECT_EQ(str(at(*rs, "/phase/coding/0/code")), "phase-1-phase-2");
}

TEST(StudyMapper, RegistryStatusAndUnknown) {
  const rapidjson::Document d =
      parse(mapToJson(sampleTrial("tests/mapping/data/trial-observational-unknown.json"), {}));
  const rapidjson::Value* rs = resource(d, "ResearchStudy", "obs-cohort-01");
  ASSERT_NE(rs, nullptr);
  // UNKNOWN never becomes "active", even when it was last known to recruit: the extension says
  // UNKNOWN and keeps the last known status.
  EXPECT_EQ(str(at(*rs, "/status")), "closed-to-accrual");
  const rapidjson::Value* st = extension(*rs, std::string(kSd) + "tb-recruitment-status");
  EXPECT_EQ(partOf(st, "status"), "UNKNOWN");
  EXPECT_EQ(partOf(st, "lastKnownStatus"), "RECRUITING");
  const rapidjson::Value* ref = resource(nct(), "ResearchStudy", "nct06813157");
  EXPECT_EQ(partOf(extension(*ref, std::string(kSd) + "tb-recruitment-status"), "status"),
            "RECRUITING");
  // An observational model is a design category.
  bool cohort = false;
  for (auto& c : (*rs)["category"].GetArray())
    cohort |= c["coding"][0]["code"] == "observational-model-cohort";
  EXPECT_TRUE(cohort);
}

}  // namespace
}  // namespace trialbridge::mapping
