// validation/references.h: resolution of references (contained, Bundle rules, fetched) and the
// type a reference points to.
#include "validation/references.h"

#include <gtest/gtest.h>

#include "conformance/context.h"
#include "core/json.h"
#include "validation_test_util.h"

namespace trialbridge::validation {
namespace {

using core::Element;

class ReferencesTest : public ::testing::Test {
 protected:
  ReferencesTest()
      : definitions_(conformance::Context::r4(), true),
        reporter_(issues_),
        references_(definitions_, options_, reporter_, state_, noProfiles_) {}

  const Element& read(const std::string& json) {
    core::Issues issues;
    doc_ = core::readJson(json, conformance::Context::r4(), issues);
    EXPECT_FALSE(issues.hasErrors()) << json;
    state_.root = state_.resource = doc_->root();
    return *doc_->root();
  }

  // The resource of entry `i` of Bundle `bundle`.
  static const Element& entry(const Element& bundle, size_t i) {
    const Element* found = nullptr;
    size_t k = 0;
    bundle.forEachChild("entry", [&](const Element& e) {
      if (k++ == i) found = e.child("resource");
    });
    return *found;
  }

  struct NoProfiles final : ProfileMatch {
    bool conformsTo(const Element&, std::string_view) override { return false; }
  } noProfiles_;
  Definitions definitions_;
  ValidatorOptions options_;
  core::Issues issues_;
  Reporter reporter_;
  WalkState state_;
  References references_;
  std::unique_ptr<core::Document> doc_;
};

TEST_F(ReferencesTest, ContainedResources) {
  const Element& p = read(R"({"resourceType":"Patient","id":"p",
    "contained":[{"resourceType":"Organization","id":"o","name":"Acme"}],
    "managingOrganization":{"reference":"#o"}})");
  const Element* org = references_.resolve("#o", &p);
  ASSERT_NE(org, nullptr);
  EXPECT_EQ(org->type().name, "Organization");
  EXPECT_EQ(references_.resolve("#", org), &p);  // from the contained resource: its container
  EXPECT_EQ(references_.resolve("#x", &p), nullptr);
  EXPECT_EQ(references_.resolve("", &p), nullptr);
  EXPECT_EQ(references_.targetType(*p.child("managingOrganization"), &p), "Organization");
}

TEST_F(ReferencesTest, BundleRules) {
  const Element& b = read(R"({"resourceType":"Bundle","type":"collection","entry":[
    {"fullUrl":"http://a.org/fhir/Patient/1",
     "resource":{"resourceType":"Patient","id":"1","meta":{"versionId":"2"}}},
    {"fullUrl":"http://a.org/fhir/Observation/5",
     "resource":{"resourceType":"Observation","id":"5","status":"final","code":{"text":"x"}}},
    {"fullUrl":"urn:uuid:0b6e7d62-4f6e-4a49-9b52-6a8c1c1ea1d4",
     "resource":{"resourceType":"Observation","status":"final","code":{"text":"y"}}}]})");
  const Element& patient = entry(b, 0);
  const Element& obs = entry(b, 1);
  const Element& uuidObs = entry(b, 2);
  // A relative reference takes the root of the RESTful fullUrl of the entry that holds it.
  EXPECT_EQ(references_.resolve("Patient/1", &obs), &patient);
  // From an entry whose fullUrl is a urn:uuid, it means nothing in the Bundle.
  EXPECT_EQ(references_.resolve("Patient/1", &uuidObs), nullptr);
  // Absolute references match a fullUrl; a version matches meta.versionId.
  EXPECT_EQ(references_.resolve("urn:uuid:0b6e7d62-4f6e-4a49-9b52-6a8c1c1ea1d4", &obs), &uuidObs);
  EXPECT_EQ(references_.resolve("http://a.org/fhir/Patient/1/_history/2", &obs), &patient);
  EXPECT_EQ(references_.resolve("http://a.org/fhir/Patient/1/_history/3", &obs), nullptr);
  EXPECT_EQ(references_.resolveInBundle(b, "Observation/5", "http://a.org/fhir/Patient/1"), &obs);
  EXPECT_EQ(references_.resolveInBundle(b, "Observation/5", ""), nullptr);
}

TEST_F(ReferencesTest, FetchedOutsideTheInput) {
  const Element& p = read(R"({"resourceType":"Patient","id":"p"})");
  EXPECT_EQ(references_.resolve("Organization/9", &p), nullptr);
  options_.fetchReference = [&](std::string_view ref) -> const Element* {
    return ref == "Organization/9" ? &p : nullptr;  // any element will do
  };
  EXPECT_EQ(references_.resolve("Organization/9", &p), &p);
  EXPECT_EQ(references_.resolve("Organization/9", &p, /*fetch=*/false), nullptr);
  // A reference back to the input's root is the root, not a fetch.
  EXPECT_EQ(references_.resolve("http://a.org/fhir/Patient/p", &p), &p);
}

TEST_F(ReferencesTest, UrlsAndTypes) {
  EXPECT_TRUE(References::isAbsoluteUrl("http://a.org/fhir/Patient/1"));
  EXPECT_TRUE(References::isAbsoluteUrl("urn:uuid:1"));
  EXPECT_FALSE(References::isAbsoluteUrl("Patient/1"));
  EXPECT_FALSE(References::isAbsoluteUrl(":x"));
  EXPECT_FALSE(References::isAbsoluteUrl("1a:x"));
  EXPECT_EQ(references_.restfulRoot("http://a.org/fhir/Patient/1"), "http://a.org/fhir/");
  EXPECT_EQ(references_.restfulRoot("https://a.org/Patient/1/_history/2"), "https://a.org/");
  EXPECT_EQ(references_.restfulRoot("http://a.org/fhir/Nothing/1"), std::nullopt);
  EXPECT_EQ(references_.restfulRoot("urn:uuid:1"), std::nullopt);
  EXPECT_EQ(references_.typeOfProfile("http://hl7.org/fhir/StructureDefinition/Patient"),
            "Patient");
  EXPECT_EQ(references_.typeOfProfile("http://hl7.org/fhir/StructureDefinition/vitalsigns"),
            "Observation");
  EXPECT_EQ(references_.typeOfProfile("http://example.org/unknown"), "");
  const Element& obs = read(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
    "subject":{"reference":"http://a.org/fhir/Group/7/_history/1"},
    "focus":[{"reference":"Patient/3"},{"type":"Device"},{"reference":"urn:uuid:1"}]})");
  EXPECT_EQ(references_.targetType(*obs.child("subject"), &obs), "Group");
  std::vector<std::string> focus;
  obs.forEachChild("focus",
                   [&](const Element& f) { focus.push_back(references_.targetType(f, &obs)); });
  EXPECT_EQ(focus, (std::vector<std::string>{"Patient", "Device", ""}));
}

// ValidatorOptions::containedReferences: what is checked of the target of a #reference. The
// profile's subject must be a Patient with a birth date; the contained one has none.
TEST(ContainedReferences, IgnoreTypeOrValid) {
  using Policy = ValidatorOptions::ContainedReferences;
  const auto context =
      testing::withResources({{"dated.json", R"({"resourceType":"StructureDefinition",
         "url":"http://example.org/StructureDefinition/dated","name":"Dated","status":"draft",
         "kind":"resource","abstract":false,"type":"Patient","derivation":"constraint",
         "baseDefinition":"http://hl7.org/fhir/StructureDefinition/Patient",
         "differential":{"element":[{"id":"Patient.birthDate","path":"Patient.birthDate",
         "min":1}]}})"},
                              {"obs.json", R"({"resourceType":"StructureDefinition",
         "url":"http://example.org/StructureDefinition/obs","name":"Obs","status":"draft",
         "kind":"resource","abstract":false,"type":"Observation","derivation":"constraint",
         "baseDefinition":"http://hl7.org/fhir/StructureDefinition/Observation",
         "differential":{"element":[{"id":"Observation.subject","path":"Observation.subject",
         "type":[{"code":"Reference","targetProfile":[
         "http://example.org/StructureDefinition/dated"]}]}]}})"}});
  const std::string undated = R"({"resourceType":"Observation","status":"final",
    "meta":{"profile":["http://example.org/StructureDefinition/obs"]},"code":{"text":"x"},
    "contained":[{"resourceType":"Patient","id":"p"}],"subject":{"reference":"#p"}})";
  const std::string wrongType = R"({"resourceType":"Observation","status":"final",
    "code":{"text":"x"},"contained":[{"resourceType":"Medication","id":"m"}],
    "subject":{"reference":"#m"}})";
  const struct {
    Policy policy;
    size_t profileErrors;
    size_t typeErrors;
  } cases[] = {{Policy::Valid, 1, 1}, {Policy::Type, 0, 1}, {Policy::Ignore, 0, 0}};
  for (const auto& c : cases) {
    ValidatorOptions options;
    options.containedReferences = c.policy;
    const Validator v(*context, options);
    const auto profile = testing::validate(undated, v);
    EXPECT_EQ(testing::findAll(profile, "Unable to find a profile match for #p").size(),
              c.profileErrors)
        << testing::dump(profile);
    const auto type = testing::validate(wrongType, v);
    EXPECT_EQ(testing::findAll(type, "is not a valid Target for this element").size(), c.typeErrors)
        << testing::dump(type);
  }
}

}  // namespace
}  // namespace trialbridge::validation
