#include "validation/validator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "conformance/context.h"
#include "core/resource_io.h"
#include "validation/resource_files.h"

namespace trialbridge::validation {
namespace {

const Validator& r4() {
  static const Validator v(conformance::Context::r4());
  return v;
}

core::Issues check(const std::string& json, const Validator& v = r4()) {
  core::Issues issues;
  v.validateText(json, issues);
  return issues;
}

// The first issue whose message contains `text`, or nullptr.
const core::Issue* find(const core::Issues& issues, const std::string& text) {
  for (const core::Issue& i : issues.items()) {
    if (i.message.find(text) != std::string::npos) return &i;
  }
  return nullptr;
}

std::string dump(const core::Issues& issues) {
  std::string out;
  for (const core::Issue& i : issues.items()) {
    out += std::string(core::severityCode(i.severity)) + " " + i.location + ": " + i.message + "\n";
  }
  return out;
}

// The R4 core and one constraint profile on Patient (canonical `url`) whose differential has
// `elements` (JSON objects, comma-separated).
std::unique_ptr<conformance::Context> withPatientProfile(const std::string& url,
                                                         const std::string& elements) {
  auto context = conformance::Context::withCore();
  const auto st = loadResourceTexts(*context, "test",
                                    {{"p.json", R"({"resourceType":"StructureDefinition","url":")" +
                                                    url + R"(","name":"P",
    "status":"draft","kind":"resource","abstract":false,"type":"Patient",
    "baseDefinition":"http://hl7.org/fhir/StructureDefinition/Patient","derivation":"constraint",
    "differential":{"element":[)" + elements + "]}}"}});
  EXPECT_TRUE(st) << st.message();
  return context;
}

TEST(Validator, ValidPatientHasNoErrors) {
  const auto issues = check(R"({"resourceType":"Patient","id":"p1",
    "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Jo</div>"},
    "name":[{"family":"Doe","given":["Jo"]}],"gender":"female","birthDate":"1990-02-28"})");
  EXPECT_FALSE(issues.hasErrors()) << dump(issues);
}

// ref-1 (%rootResource.contained) in a Bundle entry looks in the entry resource, which is its
// own root resource; in the Bundle there is no contained resource at all.
TEST(Validator, RootResourceOfABundleEntryIsTheEntry) {
  const std::string entry = R"({"resourceType":"Observation","id":"o",
    "contained":[{"resourceType":"Patient","id":"p"}],"status":"final",
    "code":{"text":"x"},"subject":{"reference":"#p"}})";
  const std::string bundle = R"({"resourceType":"Bundle","type":"collection","entry":[
    {"fullUrl":"http://example.org/fhir/Observation/o","resource":)" +
                             entry + "}]}";
  core::Issues issues = check(bundle);
  EXPECT_EQ(find(issues, "ref-1"), nullptr) << dump(issues);
  EXPECT_FALSE(issues.hasErrors()) << dump(issues);
  // A local reference to nothing contained still fails.
  std::string broken = bundle;
  broken.replace(broken.find("#p"), 2, "#q");
  EXPECT_NE(find(check(broken), "ref-1"), nullptr);
}

TEST(Validator, CardinalityWithLocationAndPosition) {
  const auto issues = check("{\"resourceType\":\"Observation\",\n \"status\":\"final\"}");
  const core::Issue* i = find(issues, "Observation.code: minimum required = 1, but only found 0");
  ASSERT_NE(i, nullptr) << dump(issues);
  EXPECT_EQ(i->severity, core::Severity::Error);
  EXPECT_EQ(i->code, core::IssueType::Structure);
  EXPECT_EQ(i->location, "Observation");
  EXPECT_EQ(i->line, 1u);
}

TEST(Validator, PrimitiveFormats) {
  const auto issues = check(R"({"resourceType":"Patient","birthDate":"1990-02-30",
    "name":[{"given":["a"]}],"id":"bad_id"})");
  const core::Issue* date = find(issues, "is not a valid date");
  ASSERT_NE(date, nullptr) << dump(issues);
  EXPECT_EQ(date->location, "Patient.birthDate");
  ASSERT_NE(find(issues, "Invalid Resource id: Invalid Characters ('bad_id')"), nullptr);
}

TEST(Validator, RequiredBindingIsAnError) {
  const auto issues = check(R"({"resourceType":"Patient","gender":"mal"})");
  const core::Issue* i = find(issues, "('mal') was not found in the value set");
  ASSERT_NE(i, nullptr) << dump(issues);
  EXPECT_EQ(i->severity, core::Severity::Error);
  EXPECT_EQ(i->location, "Patient.gender");
  EXPECT_NE(i->message.find("http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1"),
            std::string::npos);
}

TEST(Validator, CodesOfUnloadedSystemsAreInformation) {
  auto context = conformance::Context::withCore();
  ASSERT_TRUE(loadResourceTexts(*context, "test",
                                {{"vs.json", R"({
    "resourceType":"ValueSet","url":"http://example.org/vs/loinc","name":"AllLoinc","status":"draft",
    "compose":{"include":[{"system":"http://loinc.org"}]}})"},
                                 {"p.json", R"({
    "resourceType":"StructureDefinition","url":"http://example.org/sd/obs","name":"Obs",
    "status":"draft","kind":"resource","abstract":false,"type":"Observation",
    "baseDefinition":"http://hl7.org/fhir/StructureDefinition/Observation","derivation":"constraint",
    "differential":{"element":[{"id":"Observation.code","path":"Observation.code",
      "binding":{"strength":"required","valueSet":"http://example.org/vs/loinc"}}]}})"}}));
  const Validator v(*context);
  const auto issues = check(R"({"resourceType":"Observation","status":"final",
    "meta":{"profile":["http://example.org/sd/obs"]},
    "code":{"coding":[{"system":"http://loinc.org","code":"777-3"}]}})",
                            v);
  EXPECT_FALSE(issues.hasErrors()) << dump(issues);
  const core::Issue* i = find(issues, "is not loaded");
  ASSERT_NE(i, nullptr) << dump(issues);
  EXPECT_EQ(i->severity, core::Severity::Information);
  // A system the value set does not include is refused.
  const auto other = check(R"({"resourceType":"Observation","status":"final",
    "meta":{"profile":["http://example.org/sd/obs"]},
    "code":{"coding":[{"system":"http://snomed.info/sct","code":"1"}]}})",
                           v);
  EXPECT_NE(find(other, "None of the codings provided are in the value set"), nullptr)
      << dump(other);
}

TEST(Validator, UnknownCodeInALoadedCodeSystem) {
  const auto issues = check(R"({"resourceType":"Observation","status":"final",
    "code":{"text":"x"},"category":[{"coding":[{
      "system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"nope"}]}]})");
  ASSERT_NE(find(issues, "Unknown code"), nullptr) << dump(issues);
}

TEST(Validator, WrongDisplayOfALoadedCodeIsAnError) {
  const auto issues = check(R"({"resourceType":"Patient","contact":[{"relationship":[{"coding":[
    {"system":"http://terminology.hl7.org/CodeSystem/v2-0131","code":"C","display":"Someone"},
    {"system":"http://terminology.hl7.org/CodeSystem/v2-0131","code":"N",
     "display":"  next-of-KIN "}]}],"name":{"text":"x"}}]})");
  const core::Issue* i = find(issues,
                              "Wrong Display Name 'Someone' for "
                              "http://terminology.hl7.org/CodeSystem/v2-0131#C");
  ASSERT_NE(i, nullptr) << dump(issues);
  EXPECT_EQ(i->severity, core::Severity::Error);
  EXPECT_EQ(i->location, "Patient.contact[0].relationship[0].coding[0].display");
  // Case and white space do not count.
  EXPECT_EQ(find(issues, "next-of-KIN"), nullptr) << dump(issues);
}

TEST(Validator, InvariantsHaveTheirSeverity) {
  // per-1: start <= end; dom-6 (narrative) is a warning.
  const auto issues = check(R"({"resourceType":"Encounter","status":"finished",
    "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},
    "period":{"start":"2020-01-02","end":"2020-01-01"}})");
  const core::Issue* per1 = find(issues, "per-1");
  ASSERT_NE(per1, nullptr) << dump(issues);
  EXPECT_EQ(per1->severity, core::Severity::Error);
  EXPECT_EQ(per1->location, "Encounter.period");
  const core::Issue* dom6 = find(issues, "dom-6");
  ASSERT_NE(dom6, nullptr) << dump(issues);
  EXPECT_EQ(dom6->severity, core::Severity::Warning);
}

TEST(Validator, Extensions) {
  const auto issues = check(R"({"resourceType":"Patient",
    "extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                  "valueAddress":{"city":"Paris"}},
                 {"url":"http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                  "valueString":"Paris"},
                 {"url":"http://hl7.org/fhir/StructureDefinition/observation-bodyPosition",
                  "valueCodeableConcept":{"text":"sitting"}},
                 {"url":"http://unknown.example.com/ext","valueString":"x"}]})");
  EXPECT_NE(find(issues, "The type 'string' is not allowed here"), nullptr) << dump(issues);
  EXPECT_NE(find(issues, "is not allowed to be used at this point"), nullptr) << dump(issues);
  EXPECT_NE(find(issues, "could not be found so is not allowed here"), nullptr) << dump(issues);
}

TEST(Validator, ReferencesAndContained) {
  const auto issues = check(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
    "contained":[{"resourceType":"Patient","id":"p"},{"resourceType":"Patient","id":"q"}],
    "subject":{"reference":"#p"},"performer":[{"reference":"Medication/m1"}]})");
  EXPECT_NE(find(issues, "The type 'Medication' implied by the reference URL"), nullptr)
      << dump(issues);
  const core::Issue* dom3 = find(issues, "'q' is not referenced");
  ASSERT_NE(dom3, nullptr) << dump(issues);
  EXPECT_EQ(dom3->location, "Observation.contained[1]");
}

TEST(Validator, BundleReferencesFollowTheFullUrlRules) {
  // A document: the Composition (RESTful fullUrl) reaches the Patient by its base; the
  // Observation (urn:uuid fullUrl) names the Practitioner by type and id, which the rules do not
  // resolve from there.
  const std::string doc = R"({"resourceType":"Bundle","type":"document",
    "identifier":{"system":"urn:ietf:rfc:3986","value":"urn:uuid:1"},"timestamp":"2020-01-01T00:00:00Z",
    "entry":[
     {"fullUrl":"http://a.org/fhir/Composition/c","resource":{"resourceType":"Composition","id":"c",
       "status":"final","type":{"text":"t"},"date":"2020","title":"t",
       "subject":{"reference":"Patient/p"},"author":[{"reference":"Practitioner/d"}],
       "section":[{"entry":[{"reference":"urn:uuid:0a3f4c1e-0000-4000-8000-000000000001"}]}]}},
     {"fullUrl":"http://a.org/fhir/Patient/p","resource":{"resourceType":"Patient","id":"p"}},
     {"fullUrl":"http://a.org/fhir/Practitioner/d","resource":{"resourceType":"Practitioner","id":"d"}},
     {"fullUrl":"urn:uuid:0a3f4c1e-0000-4000-8000-000000000001","resource":{"resourceType":"Observation",
       "status":"final","code":{"text":"x"},"performer":[{"reference":"Practitioner/d"}]}}]})";
  auto issues = check(doc);
  const core::Issue* i = find(issues, "Can't find 'Practitioner/d' in the bundle");
  ASSERT_NE(i, nullptr) << dump(issues);
  EXPECT_EQ(i->location, "Bundle.entry[3].resource.performer[0]");
  EXPECT_EQ(find(issues, "Patient/p"), nullptr) << dump(issues);
  EXPECT_EQ(find(issues, "isn't reachable"), nullptr) << dump(issues);

  // The Composition's subject must be in the document; a Patient under another base is not it.
  std::string other = doc;
  other.replace(other.find("http://a.org/fhir/Patient/p"), 27, "http://b.org/fhir/Patient/p");
  issues = check(other);
  EXPECT_NE(find(issues, "Can't find 'Patient/p' in the bundle (Composition.subject)"), nullptr)
      << dump(issues);
  EXPECT_NE(find(issues, "Entry 'http://b.org/fhir/Patient/p' isn't reachable"), nullptr)
      << dump(issues);
}

TEST(Validator, ProfileSlicingDefinitions) {
  const auto issues = check(R"({"resourceType":"StructureDefinition","url":"http://x.org/sd",
    "name":"X","status":"draft","kind":"resource","abstract":false,"type":"Patient",
    "baseDefinition":"http://hl7.org/fhir/StructureDefinition/Patient","derivation":"constraint",
    "differential":{"element":[
     {"id":"Patient.identifier","path":"Patient.identifier",
      "slicing":{"discriminator":[{"type":"value","path":"system"}],"rules":"open"}},
     {"id":"Patient.identifier:a","path":"Patient.identifier","sliceName":"a",
      "slicing":{"discriminator":[{"type":"value","path":"nothing"}],"rules":"open"}},
     {"id":"Patient.contact.name.family..x","path":"Patient.contact..family"}]}})");
  EXPECT_NE(find(issues,
                 "The discriminator path 'nothing' does not appear to be valid for the "
                 "element that is being sliced 'Patient.identifier'"),
            nullptr)
      << dump(issues);
  EXPECT_EQ(find(issues, "The discriminator path 'system'"), nullptr) << dump(issues);
  EXPECT_NE(find(issues,
                 "The element at Patient.identifier defines the slicing ?\?/open "
                 "[value=system] but then an element in the slicing "
                 "Patient.identifier:a tries to redefine the slicing to ?\?/open "
                 "[value=nothing]"),
            nullptr)
      << dump(issues);
  // eld-19 matches the whole path.
  EXPECT_NE(find(issues, "eld-19"), nullptr) << dump(issues);
  EXPECT_NE(find(issues, "name portion missing ('..')"), nullptr) << dump(issues);
}

TEST(Validator, UnresolvedReferencesByTheTypeInTheirUrl) {
  const std::string obs = R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
    "performer":[{"reference":"Device/1"}]})";
  auto issues = check(obs);
  EXPECT_NE(find(issues,
                 "The type 'Device' implied by the reference URL Device/1 is not a valid "
                 "Target for this element"),
            nullptr)
      << dump(issues);
  ValidatorOptions options;
  options.assumeValidRestReferences = false;
  const Validator lenient(conformance::Context::r4(), options);
  issues = check(obs, lenient);
  EXPECT_FALSE(issues.hasErrors()) << dump(issues);
}

TEST(Validator, NarrativeScriptsAreErrors) {
  const auto issues = check(R"({"resourceType":"Patient","text":{"status":"generated",
    "div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>x()</script></div>"}})");
  EXPECT_NE(find(issues, "txt-1"), nullptr) << dump(issues);
}

TEST(Validator, ProfilesFromMetaAndCaller) {
  auto context = withPatientProfile("http://example.org/sd/p", R"(
      {"id":"Patient.identifier","path":"Patient.identifier","min":1,
       "slicing":{"discriminator":[{"type":"value","path":"system"}],"rules":"open"}},
      {"id":"Patient.identifier:mrn","path":"Patient.identifier","sliceName":"mrn","min":1,"max":"1"},
      {"id":"Patient.identifier:mrn.system","path":"Patient.identifier.system","min":1,
       "fixedUri":"http://example.org/mrn"},
      {"id":"Patient.gender","path":"Patient.gender","min":1,"fixedCode":"female"})");
  const Validator v(*context);
  const std::string patient = R"({"resourceType":"Patient",
    "identifier":[{"system":"http://example.org/other","value":"1"}],"gender":"male"})";
  core::Issues viaCaller;
  const std::vector<std::string> profiles{"http://example.org/sd/p"};
  v.validateText(patient, viaCaller, profiles);
  EXPECT_NE(find(viaCaller, "Slice 'Patient.identifier:mrn': a matching slice is required"),
            nullptr)
      << dump(viaCaller);
  EXPECT_NE(find(viaCaller, "Value is 'male' but is fixed to 'female'"), nullptr)
      << dump(viaCaller);
  const std::string tagged =
      R"({"resourceType":"Patient","meta":{"profile":["http://example.org/sd/p"]},
    "identifier":[{"system":"http://example.org/mrn","value":"1"}],"gender":"female"})";
  const auto ok = check(tagged, v);
  EXPECT_FALSE(ok.hasErrors()) << dump(ok);
}

TEST(Validator, FetchedTargetsAreCheckedAgainstTargetProfiles) {
  // Linked patients must conform to the profile too; the input links to one held elsewhere,
  // which links back to the input.
  auto context = withPatientProfile("http://example.org/sd/linked", R"(
      {"id":"Patient.gender","path":"Patient.gender","fixedCode":"other"},
      {"id":"Patient.link.other","path":"Patient.link.other","type":[{"code":"Reference",
       "targetProfile":["http://example.org/sd/linked"]}]})");
  core::Issues ignored;
  std::string gender = "male";
  std::unique_ptr<core::Document> elsewhere;
  ValidatorOptions options;
  options.fetchReference = [&](std::string_view ref) -> const core::Element* {
    if (ref != "Patient/b") return nullptr;
    elsewhere = core::readResource(R"({"resourceType":"Patient","id":"b","gender":")" + gender +
                                       R"(","link":[{"other":{"reference":"Patient/a"},
                                       "type":"seealso"}]})",
                                   *context, ignored);
    return elsewhere->root();
  };
  const Validator v(*context, options);
  const std::string a = R"({"resourceType":"Patient","id":"a","gender":"other",
    "link":[{"other":{"reference":"Patient/b"},"type":"seealso"}]})";
  const std::vector<std::string> profiles{"http://example.org/sd/linked"};
  core::Issues issues;
  v.validateText(a, issues, profiles);
  EXPECT_NE(find(issues, "Unable to find a profile match for Patient/b"), nullptr) << dump(issues);
  gender = "other";
  issues = core::Issues();
  v.validateText(a, issues, profiles);
  EXPECT_FALSE(issues.hasErrors()) << dump(issues);
}

TEST(Validator, IsThreadSafe) {
  const std::string json = R"({"resourceType":"Patient","gender":"mal","birthDate":"2020-13"})";
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int k = 0; k < 50; ++k) {
        if (check(json).count(core::Severity::Error) != 3) ++bad;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0) << dump(check(json));
}

}  // namespace
}  // namespace trialbridge::validation
