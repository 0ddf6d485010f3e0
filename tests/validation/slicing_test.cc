// validation/slicing.h: slicing where resources hold resources — profiles of contained resources,
// a container's slicing of `contained` by profile, List entries sliced by the type of what they
// refer to, Bundle entries sliced by resource type with a profile.
#include <gtest/gtest.h>

#include "validation_test_util.h"

namespace trialbridge::validation {
namespace {

using namespace validation::testing;

// A Patient profile with a closed slicing of identifier by system and a required MRN slice; an
// Observation profile that slices contained by profile; a List profile whose entries must refer
// to Patients; a Bundle profile with exactly one Patient entry of the first profile.
const Validator& profiles() {
  static const auto context = withResources({
      {"pat.json", R"({"resourceType":"StructureDefinition","url":"http://a.org/sd/pat",
        "name":"Pat","status":"draft","kind":"resource","abstract":false,"type":"Patient",
        "baseDefinition":"http://hl7.org/fhir/StructureDefinition/Patient","derivation":"constraint",
        "differential":{"element":[
          {"id":"Patient.identifier","path":"Patient.identifier","min":1,"slicing":{
            "discriminator":[{"type":"value","path":"system"}],"rules":"closed"}},
          {"id":"Patient.identifier:mrn","path":"Patient.identifier","sliceName":"mrn","min":1,
            "max":"1"},
          {"id":"Patient.identifier:mrn.system","path":"Patient.identifier.system","min":1,
            "fixedUri":"http://a.org/mrn"}]}})"},
      {"obs.json", R"({"resourceType":"StructureDefinition","url":"http://a.org/sd/obs",
        "name":"Obs","status":"draft","kind":"resource","abstract":false,"type":"Observation",
        "baseDefinition":"http://hl7.org/fhir/StructureDefinition/Observation",
        "derivation":"constraint","differential":{"element":[
          {"id":"Observation.contained","path":"Observation.contained","slicing":{
            "discriminator":[{"type":"profile","path":"$this"}],"rules":"closed"}},
          {"id":"Observation.contained:pat","path":"Observation.contained","sliceName":"pat",
            "min":1,"max":"1","type":[{"code":"Patient","profile":["http://a.org/sd/pat"]}]}]}})"},
      {"list.json", R"json({"resourceType":"StructureDefinition","url":"http://a.org/sd/list",
        "name":"Lst","status":"draft","kind":"resource","abstract":false,"type":"List",
        "baseDefinition":"http://hl7.org/fhir/StructureDefinition/List","derivation":"constraint",
        "differential":{"element":[
          {"id":"List.entry","path":"List.entry","slicing":{
            "discriminator":[{"type":"type","path":"item.resolve()"}],"rules":"closed"}},
          {"id":"List.entry:pat","path":"List.entry","sliceName":"pat","min":1,"max":"*"},
          {"id":"List.entry:pat.item","path":"List.entry.item","type":[{"code":"Reference",
            "targetProfile":["http://hl7.org/fhir/StructureDefinition/Patient"]}]}]}})json"},
      {"bundle.json", R"({"resourceType":"StructureDefinition","url":"http://a.org/sd/bundle",
        "name":"Bdl","status":"draft","kind":"resource","abstract":false,"type":"Bundle",
        "baseDefinition":"http://hl7.org/fhir/StructureDefinition/Bundle","derivation":"constraint",
        "differential":{"element":[
          {"id":"Bundle.entry","path":"Bundle.entry","slicing":{
            "discriminator":[{"type":"type","path":"resource"}],"rules":"closed"}},
          {"id":"Bundle.entry:pat","path":"Bundle.entry","sliceName":"pat","min":1,"max":"1"},
          {"id":"Bundle.entry:pat.resource","path":"Bundle.entry.resource","type":[
            {"code":"Patient","profile":["http://a.org/sd/pat"]}]}]}})"},
  });
  static const Validator v(*context);
  return v;
}

const std::string kMrn = R"("identifier":[{"system":"http://a.org/mrn","value":"1"}])";
const std::string kOther = R"("identifier":[{"system":"http://other.org","value":"1"}])";

TEST(Slicing, AContainedResourceIsCheckedAgainstItsOwnProfile) {
  const auto contained = [](const std::string& identifier) {
    return R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
      "contained":[{"resourceType":"Patient","id":"p","meta":{"profile":["http://a.org/sd/pat"]},)" +
           identifier + R"(}],"subject":{"reference":"#p"}})";
  };
  auto issues = validate(contained(kMrn), profiles());
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
  issues = validate(contained(kOther), profiles());
  EXPECT_EQ(findAll(issues, "Slice 'Patient.identifier:mrn': a matching slice is required").size(),
            1u)
      << dump(issues);
  const auto closed = findAll(issues, "does not match any known slice");
  ASSERT_EQ(closed.size(), 1u) << dump(issues);
  EXPECT_EQ(closed[0]->location, "Observation.contained[0].identifier[0]");
}

TEST(Slicing, ContainedSlicedByProfile) {
  const auto obs = [](const std::string& identifier) {
    return R"({"resourceType":"Observation","meta":{"profile":["http://a.org/sd/obs"]},
      "status":"final","code":{"text":"x"},"contained":[{"resourceType":"Patient","id":"p",)" +
           identifier + R"(}],"subject":{"reference":"#p"}})";
  };
  auto issues = validate(obs(kMrn), profiles());
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
  issues = validate(obs(kOther), profiles());
  EXPECT_EQ(findAll(issues, "Slice 'Observation.contained:pat'").size(), 1u) << dump(issues);
}

TEST(Slicing, ListEntriesSlicedByWhatTheyReferTo) {
  const auto list = [](const std::string& contained) {
    return R"({"resourceType":"List","meta":{"profile":["http://a.org/sd/list"]},
      "status":"current","mode":"working","contained":[)" +
           contained + R"(],"entry":[{"item":{"reference":"#x"}}]})";
  };
  auto issues = validate(list(R"({"resourceType":"Patient","id":"x","active":true})"), profiles());
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
  issues = validate(list(R"({"resourceType":"Group","id":"x","type":"person","actual":true})"),
                    profiles());
  EXPECT_EQ(findAll(issues, "Slice 'List.entry:pat'").size(), 1u) << dump(issues);
  EXPECT_EQ(findAll(issues, "does not match any known slice").size(), 1u) << dump(issues);
}

TEST(Slicing, BundleEntriesSlicedByResourceTypeWithAProfile) {
  const auto bundle = [](const std::string& identifier) {
    return R"({"resourceType":"Bundle","meta":{"profile":["http://a.org/sd/bundle"]},
      "type":"collection","entry":[{"fullUrl":"http://a.org/fhir/Patient/p",
      "resource":{"resourceType":"Patient","id":"p",)" +
           identifier + "}}]}";
  };
  auto issues = validate(bundle(kMrn), profiles());
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
  issues = validate(bundle(kOther), profiles());
  EXPECT_GE(findAll(issues, "Slice 'Patient.identifier:mrn'").size(), 1u) << dump(issues);
}

}  // namespace
}  // namespace trialbridge::validation
