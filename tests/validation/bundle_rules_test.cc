// validation/bundle_rules.cc: fullUrls, links, search sets, documents and messages. Each Bundle is
// a small one written for its rule; the references between entries are in validator_test.cc
// (BundleReferencesFollowTheFullUrlRules).
#include <gtest/gtest.h>

#include "validation_test_util.h"

namespace trialbridge::validation {
namespace {

using namespace validation::testing;

std::string bundle(const std::string& type, const std::string& rest) {
  return R"({"resourceType":"Bundle","type":")" + type + "\"" + (rest.empty() ? "" : ",") + rest +
         "}";
}

const std::string kPatient = R"({"fullUrl":"http://a.org/fhir/Patient/p",
  "resource":{"resourceType":"Patient","id":"p"}})";

TEST(BundleRules, EntriesHaveAbsoluteFullUrlsExceptInTransactionsAndBatches) {
  auto issues = validate(bundle("collection", R"("entry":[)" + kPatient + "]"));
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
  issues = validate(
      bundle("collection", R"("entry":[{"resource":{"resourceType":"Patient","id":"p"}}])"));
  EXPECT_EQ(findAll(issues, "has no fullUrl").size(), 1u) << dump(issues);
  for (const char* type : {"transaction", "batch"}) {
    issues = validate(bundle(type, R"("entry":[{"resource":{"resourceType":"Patient"},
      "request":{"method":"POST","url":"Patient"}}])"));
    EXPECT_TRUE(findAll(issues, "has no fullUrl").empty()) << type << dump(issues);
  }
  issues = validate(bundle("collection", R"("entry":[{"fullUrl":"Patient/p",
    "resource":{"resourceType":"Patient","id":"p"}}])"));
  EXPECT_EQ(findAll(issues, "'Patient/p' is not an absolute URL").size(), 1u) << dump(issues);
}

TEST(BundleRules, RestfulFullUrlsEndWithTheTypeAndId) {
  auto issues = validate(bundle("collection", R"("entry":[{"fullUrl":"http://a.org/fhir/Patient/q",
    "resource":{"resourceType":"Patient","id":"p"}}])"));
  EXPECT_EQ(findAll(issues, "must end with the correct type and id (/Patient/p)").size(), 1u)
      << dump(issues);
  issues = validate(bundle("collection", R"("entry":[{"fullUrl":"http://a.org/fhir/Patient/q",
    "resource":{"resourceType":"Patient","active":true}}])"));
  EXPECT_EQ(findAll(issues, "needs the id it ends with, and has none").size(), 1u) << dump(issues);
  // A urn:uuid fullUrl says nothing about the id.
  issues = validate(
      bundle("collection", R"("entry":[{"fullUrl":"urn:uuid:0f5b8b9e-1c39-4d7b-9f1e-2f8f2d1f6a11",
    "resource":{"resourceType":"Patient","id":"p"}}])"));
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
}

TEST(BundleRules, ACanonicalUrlAsFullUrlMustBeRestfulWithTheId) {
  auto issues = validate(bundle("collection", R"("entry":[{"fullUrl":"http://a.org/vs/colours",
    "resource":{"resourceType":"ValueSet","id":"c","url":"http://a.org/vs/colours",
    "status":"draft"}}])"));
  EXPECT_EQ(findAll(issues, "canonical url is its fullUrl").size(), 1u) << dump(issues);
  issues = validate(bundle("collection", R"("entry":[{"fullUrl":"http://a.org/fhir/ValueSet/c",
    "resource":{"resourceType":"ValueSet","id":"c","url":"http://a.org/fhir/ValueSet/c",
    "status":"draft"}}])"));
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
}

TEST(BundleRules, PagingLinksOnlyInSearchSetsAndHistoriesAndUniqueRelations) {
  const std::string links = R"("link":[{"relation":"self","url":"http://a.org/fhir/Patient"},
    {"relation":"next","url":"http://a.org/fhir/Patient?page=2"}],)";
  auto issues = validate(bundle("collection", links + R"("entry":[)" + kPatient + "]"));
  EXPECT_EQ(findAll(issues, "'next' pages search sets and histories").size(), 1u) << dump(issues);
  issues = validate(bundle("history", links + R"("entry":[)" + kPatient + "]"));
  EXPECT_TRUE(findAll(issues, "pages search sets and histories").empty()) << dump(issues);
  issues = validate(bundle("collection", R"("link":[{"relation":"self","url":"http://a.org/1"},
    {"relation":"self","url":"http://a.org/2"}],"entry":[)" +
                                             kPatient + "]"));
  EXPECT_EQ(findAll(issues, "'self' appears more than once").size(), 1u) << dump(issues);
}

TEST(BundleRules, SearchSets) {
  const std::string self =
      R"("link":[{"relation":"self","url":"http://a.org/fhir/Patient?name=x"}],)";
  auto issues =
      validate(bundle("searchset", self + R"("entry":[{"fullUrl":"http://a.org/fhir/Patient/p",
    "resource":{"resourceType":"Patient","id":"p"},"search":{"mode":"match"}}])"));
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
  EXPECT_EQ(findIssue(issues, "self link"), nullptr) << dump(issues);
  issues = validate(bundle("searchset", self + R"("entry":[{"fullUrl":"http://a.org/fhir/Group/g",
    "resource":{"resourceType":"Group","id":"g","type":"person","actual":true},
    "search":{"mode":"match"}}])"));
  EXPECT_EQ(findAll(issues, "but the search was for Patient").size(), 1u) << dump(issues);
  issues = validate(bundle(
      "searchset", self + R"("entry":[{"fullUrl":"urn:uuid:0f5b8b9e-1c39-4d7b-9f1e-2f8f2d1f6a11",
    "resource":{"resourceType":"Patient","active":true},"search":{"mode":"include"}}])"));
  EXPECT_EQ(findAll(issues, "has an id; this one has none").size(), 1u) << dump(issues);
  issues = validate(bundle("searchset", self + R"("entry":[{"fullUrl":"http://a.org/fhir/Patient/p",
    "resource":{"resourceType":"Patient","id":"p"},"search":{"mode":"outcome"}}])"));
  EXPECT_EQ(findAll(issues, "holds an OperationOutcome, not a Patient").size(), 1u) << dump(issues);
  issues = validate(bundle("searchset", R"("entry":[)" + kPatient + "]"));
  EXPECT_NE(findIssue(issues, "should have a self link"), nullptr) << dump(issues);
  EXPECT_NE(findIssue(issues, "has no search mode"), nullptr) << dump(issues);
}

TEST(BundleRules, DocumentsAndMessagesHaveAFirstEntry) {
  auto issues = validate(bundle("document", R"("identifier":{"system":"http://a.org","value":"1"},
    "timestamp":"2024-01-01T00:00:00Z")"));
  EXPECT_EQ(findAll(issues, "has at least one entry").size(), 1u) << dump(issues);
  issues = validate(bundle("message", R"("entry":[{"fullUrl":"http://a.org/fhir/Patient/p"}])"));
  EXPECT_EQ(findAll(issues, "The first entry holds no resource").size(), 1u) << dump(issues);
}

// A document: the Composition names the Patient; an Observation names the Patient only
// (backward); a Provenance names the Composition (backward, as it should); a Device is linked
// to by nothing.
TEST(BundleRules, DocumentEntriesAreReachableFromTheComposition) {
  const std::string doc = bundle("document", R"("identifier":{"system":"http://a.org","value":"1"},
    "timestamp":"2024-01-01T00:00:00Z","entry":[
    {"fullUrl":"http://a.org/fhir/Composition/c","resource":{"resourceType":"Composition",
      "id":"c","status":"final","type":{"text":"note"},"date":"2024-01-01","title":"t",
      "subject":{"reference":"Patient/p"},"author":[{"reference":"Patient/p"}]}},
    {"fullUrl":"http://a.org/fhir/Patient/p","resource":{"resourceType":"Patient","id":"p"}},
    {"fullUrl":"http://a.org/fhir/Observation/o","resource":{"resourceType":"Observation",
      "id":"o","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p"}}},
    {"fullUrl":"http://a.org/fhir/Provenance/v","resource":{"resourceType":"Provenance",
      "id":"v","target":[{"reference":"Composition/c"}],"recorded":"2024-01-01T00:00:00Z",
      "agent":[{"who":{"reference":"Patient/p"}}]}},
    {"fullUrl":"http://a.org/fhir/Device/d","resource":{"resourceType":"Device","id":"d"}}])");
  const auto issues = validate(doc);
  const auto orphans = findAll(issues, "isn't reachable by traversing links");
  ASSERT_EQ(orphans.size(), 1u) << dump(issues);
  EXPECT_EQ(orphans[0]->location, "Bundle.entry[4]");
  const auto back = findAll(issues, "only by its own links", core::Severity::Warning);
  ASSERT_EQ(back.size(), 1u) << dump(issues);  // the Observation; not the Provenance
  EXPECT_EQ(back[0]->location, "Bundle.entry[2]");
}

// A document's stylesheets: FHIR's, or an entry of the Bundle (which is then reached); others are
// discouraged.
TEST(BundleRules, DocumentStylesheets) {
  const auto doc = [](const std::string& url) {
    return bundle("document", R"("identifier":{"system":"http://a.org","value":"1"},
      "timestamp":"2024-01-01T00:00:00Z","link":[{"relation":"stylesheet","url":")" +
                                  url + R"("}],
      "entry":[{"fullUrl":"http://a.org/fhir/Composition/c","resource":{"resourceType":"Composition",
        "id":"c","status":"final","type":{"text":"note"},"date":"2024-01-01","title":"t",
        "author":[{"display":"me"}]}},
      {"fullUrl":"http://a.org/fhir/Binary/css","resource":{"resourceType":"Binary","id":"css",
        "contentType":"text/css","data":"Ym9keXt9"}}])");
  };
  auto issues = validate(doc("Binary/css"));
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);  // the Binary is reached through the link
  issues = validate(doc("Binary/other"));
  EXPECT_EQ(findAll(issues, "The stylesheet Binary/other is not an entry").size(), 1u)
      << dump(issues);
  EXPECT_EQ(findAll(issues, "isn't reachable").size(), 1u) << dump(issues);
  issues = validate(doc("http://a.org/my.css"));
  EXPECT_NE(findIssue(issues, "should use FHIR's stylesheet"), nullptr) << dump(issues);
  EXPECT_NE(findIssue(issues, "over http:, which is not secure"), nullptr) << dump(issues);
  issues = validate(doc("https://hl7.org/fhir/fhir.css"));
  EXPECT_EQ(findIssue(issues, "stylesheet"), nullptr) << dump(issues);
}

TEST(BundleRules, AnOrphanInAMessageIsAWarning) {
  const auto issues = validate(bundle("message", R"("timestamp":"2024-01-01T00:00:00Z","entry":[
    {"fullUrl":"http://a.org/fhir/MessageHeader/h","resource":{"resourceType":"MessageHeader",
      "id":"h","eventCoding":{"system":"http://a.org/e","code":"e"},
      "source":{"endpoint":"http://a.org/src"},"focus":[{"reference":"Patient/p"}]}},
    {"fullUrl":"http://a.org/fhir/Patient/p","resource":{"resourceType":"Patient","id":"p"}},
    {"fullUrl":"http://a.org/fhir/Device/d","resource":{"resourceType":"Device","id":"d"}}])"));
  EXPECT_EQ(errorCount(issues), 0u) << dump(issues);
  const auto orphans = findAll(issues, "isn't reachable", core::Severity::Warning);
  ASSERT_EQ(orphans.size(), 1u) << dump(issues);
  EXPECT_EQ(orphans[0]->location, "Bundle.entry[2]");
}

}  // namespace
}  // namespace trialbridge::validation
