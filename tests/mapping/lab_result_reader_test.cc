// Reading Observations and MedicationAdministrations into the protocol's value types.
#include "mapping/lab_result_reader.h"

#include <gtest/gtest.h>

#include "conformance/context.h"
#include "core/json.h"

namespace trialbridge::mapping {
namespace {

std::unique_ptr<core::Document> parse(std::string_view json) {
  core::Issues issues;
  auto doc = core::readJson(json, conformance::Context::r4(), issues);
  EXPECT_NE(doc, nullptr) << json;
  EXPECT_FALSE(issues.hasErrors()) << json;
  return doc;
}

TEST(LabResultReader, AQuantityWithItsRangeAndInterpretation) {
  auto doc = parse(R"({"resourceType": "Observation", "id": "obs-1", "status": "final",
    "code": {"coding": [{"system": "urn:local", "code": "CREA"},
                        {"system": "http://loinc.org", "code": "14682-9"}]},
    "effectiveDateTime": "2025-02-05T08:00:00+08:00",
    "valueQuantity": {"value": 120.5, "unit": "umol/L", "system": "http://unitsofmeasure.org",
                      "code": "umol/L"},
    "interpretation": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "H"}]}],
    "referenceRange": [{"low": {"value": 0.6, "system": "http://unitsofmeasure.org", "code": "mg/dL"},
                        "high": {"value": 1.2, "system": "http://unitsofmeasure.org", "code": "mg/dL"}}]})");
  std::string why;
  auto r = labResultOf(*doc->root(), &why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->source, "Observation/obs-1");
  EXPECT_EQ(r->system, "http://loinc.org");  // the LOINC coding, wherever it is
  EXPECT_EQ(r->code, "14682-9");
  EXPECT_EQ(*r->value, 120.5);
  EXPECT_EQ(r->unit, "umol/L");
  EXPECT_EQ(r->interpretation, "H");
  EXPECT_EQ(*r->low, 0.6);
  EXPECT_EQ(*r->high, 1.2);
  EXPECT_EQ(r->rangeUnit, "mg/dL");
  EXPECT_EQ(r->effective.seconds, study::parseInstant("2025-02-05T00:00:00Z")->seconds);
}

TEST(LabResultReader, CensoredCodedAndTextValues) {
  auto censored = parse(R"({"resourceType": "Observation", "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "19080-1"}]},
    "effectivePeriod": {"start": "2025-02-05T08:00:00+08:00"},
    "valueQuantity": {"value": 5, "comparator": "<", "unit": "mIU/mL", "system": "http://unitsofmeasure.org", "code": "m[IU]/mL"}})");
  auto r = labResultOf(*censored->root(), nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->comparator, "<");
  EXPECT_EQ(r->unit, "m[IU]/mL");
  EXPECT_EQ(r->source, "Observation/");  // no id yet
  auto coded = parse(R"({"resourceType": "Observation", "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "2106-3"}]},
    "effectiveDateTime": "2025-02-05",
    "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "260385009"}], "text": "Negative"}})");
  r = labResultOf(*coded->root(), nullptr, 480);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->value);
  EXPECT_EQ(r->valueCode, "260385009");
  EXPECT_EQ(r->valueText, "Negative");
  EXPECT_EQ(r->effective.span, study::kSecondsPerDay);  // a date: the whole day, in +08:00
  EXPECT_EQ(r->effective.seconds, study::parseInstant("2025-02-05T00:00+08:00")->seconds);
  auto text = parse(R"({"resourceType": "Observation", "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "2106-3"}]},
    "effectiveDateTime": "2025-02-05T08:00:00Z", "valueString": "neg"})");
  EXPECT_EQ(labResultOf(*text->root(), nullptr)->valueText, "neg");
  // A quantity in a unit outside UCUM keeps no unit: it cannot be compared.
  auto local = parse(R"({"resourceType": "Observation", "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "777-3"}]},
    "effectiveDateTime": "2025-02-05T08:00:00Z",
    "valueQuantity": {"value": 45, "unit": "G/L", "system": "urn:local-units", "code": "G/L"}})");
  EXPECT_EQ(labResultOf(*local->root(), nullptr)->unit, "");
}

TEST(LabResultReader, WithoutTestOrTimeThereIsNoResult) {
  auto noCode = parse(R"({"resourceType": "Observation", "status": "final",
    "code": {"text": "platelets"}, "effectiveDateTime": "2025-02-05T08:00:00Z"})");
  std::string why;
  EXPECT_FALSE(labResultOf(*noCode->root(), &why));
  EXPECT_EQ(why, "the Observation has no coded test");
  auto noTime = parse(R"({"resourceType": "Observation", "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "777-3"}]}})");
  EXPECT_FALSE(labResultOf(*noTime->root(), &why));
  EXPECT_EQ(why, "the Observation has no effective time");
}

TEST(LabResultReader, ADoseAndItsTimepoint) {
  auto doc = parse(R"({"resourceType": "MedicationAdministration", "status": "completed",
    "extension": [{"url": "http://trialbridge.org/fhir/StructureDefinition/tb-timepoint",
                   "extension": [{"url": "timepoint", "valueString": "esc-cnd1"},
                                 {"url": "occurrence", "valuePositiveInt": 3}]}],
    "medicationCodeableConcept": {"text": "TBX-101"}, "subject": {"reference": "Patient/p"},
    "effectiveDateTime": "2026-06-16T08:45:00+02:00"})");
  std::string why;
  auto d = doseOf(*doc->root(), &why);
  ASSERT_TRUE(d) << why;
  EXPECT_EQ(d->timepoint, "esc-cnd1");
  EXPECT_EQ(d->occurrence, 3);
  EXPECT_EQ(d->time.zoneMinutes, 120);
  auto notDone = parse(R"({"resourceType": "MedicationAdministration", "status": "not-done",
    "extension": [{"url": "http://trialbridge.org/fhir/StructureDefinition/tb-timepoint",
                   "extension": [{"url": "timepoint", "valueString": "inf-2"}]}],
    "medicationCodeableConcept": {"text": "MSC"}, "subject": {"reference": "Patient/p"},
    "effectiveDateTime": "2025-02-19T09:30:00+08:00"})");
  EXPECT_FALSE(doseOf(*notDone->root(), &why));
  EXPECT_EQ(why, "the dose was not given");
  auto unplaced = parse(R"({"resourceType": "MedicationAdministration", "status": "completed",
    "medicationCodeableConcept": {"text": "MSC"}, "subject": {"reference": "Patient/p"},
    "effectiveDateTime": "2025-02-19T09:30:00+08:00"})");
  EXPECT_FALSE(doseOf(*unplaced->root(), &why));
  EXPECT_EQ(why, "the MedicationAdministration names no timepoint");
}

}  // namespace
}  // namespace trialbridge::mapping
