#include "service/rendering.h"

#include <gtest/gtest.h>

#include "conformance/context.h"
#include "core/json.h"
#include "core/xml.h"

namespace trialbridge::service {
namespace {

const core::TypeResolver& types() { return conformance::Context::r4(); }

constexpr std::string_view kObservation =
    R"({"resourceType":"Observation","id":"o1","meta":{"versionId":"1"},"status":"final","code":{"text":"platelets"},"valueQuantity":{"value":25.0,"unit":"10*9/L"}})";

std::shared_ptr<BundleBody> searchset() {
  auto b = std::make_shared<BundleBody>();
  b->id = "b1";
  b->type = "searchset";
  b->lastUpdated = "2025-01-02T03:04:05.678Z";
  b->total = 1;
  b->links = {{"self", "http://x/fhir/Observation?_count=10"}};
  BundleEntry& e = b->entries.emplace_back();
  e.fullUrl = "http://x/fhir/Observation/o1";
  e.resource = Payload::ofJson(std::string(kObservation));
  e.searchMode = "match";
  return b;
}

// The JSON a document writes, for comparing the two paths.
std::string canonical(std::string_view json) {
  core::Issues issues;
  auto doc = core::readJson(json, types(), issues);
  EXPECT_NE(doc, nullptr) << json;
  EXPECT_FALSE(issues.hasErrors()) << json;
  return doc != nullptr ? core::writeJson(*doc->root()) : std::string();
}

TEST(Rendering, CompactJsonSplicesStoredResources) {
  const std::string json = renderPayload(Payload::ofBundle(searchset()), Render{}, types());
  EXPECT_NE(json.find(std::string(kObservation)), std::string::npos) << json;
  EXPECT_EQ(json, canonical(json));  // what the splicing writes is what a document would
}

TEST(Rendering, XmlAndPrettyJsonComeFromTheSameDocument) {
  const Payload bundle = Payload::ofBundle(searchset());
  Render xml;
  xml.format = core::Format::Xml;
  const std::string x = renderPayload(bundle, xml, types());
  EXPECT_NE(x.find("<Bundle xmlns=\"http://hl7.org/fhir\">"), std::string::npos) << x;
  EXPECT_NE(x.find("<value value=\"25.0\"/>"), std::string::npos) << x;  // decimals as written
  core::Issues issues;
  auto back = core::readXml(x, types(), issues);
  ASSERT_NE(back, nullptr) << x;
  const std::string compact = renderPayload(bundle, Render{}, types());
  EXPECT_EQ(core::writeJson(*back->root()), compact);
  Render pretty;
  pretty.pretty = true;
  const std::string p = renderPayload(bundle, pretty, types());
  EXPECT_NE(p.find('\n'), std::string::npos);
  EXPECT_EQ(canonical(p), compact);
}

TEST(Rendering, EntriesFollowTheBundlesSubsetting) {
  auto b = searchset();
  b->elements = {"status"};
  for (const Render& r : {Render{}, Render{core::Format::Xml, false, Summary::None, {}}}) {
    const std::string out = renderPayload(Payload::ofBundle(b), r, types());
    EXPECT_EQ(out.find("platelets"), std::string::npos) << out;
    EXPECT_NE(out.find("SUBSETTED"), std::string::npos) << out;
    EXPECT_NE(out.find("final"), std::string::npos) << out;
  }
  // A resource on its own follows the reply's render.
  Render summary;
  summary.summary = Summary::True;
  const std::string one =
      renderPayload(Payload::ofJson(std::string(kObservation)), summary, types());
  EXPECT_NE(one.find("SUBSETTED"), std::string::npos) << one;
  EXPECT_EQ(renderPayload(Payload::ofJson(std::string(kObservation)), Render{}, types()),
            kObservation);
}

TEST(Rendering, OutcomesDocumentsAndNestedBundles) {
  core::Issues issues;
  issues.add(core::Severity::Error, core::IssueType::NotFound, "Patient/x not found");
  const std::string outcome = renderPayload(Payload::ofOutcome(issues), Render{}, types());
  EXPECT_EQ(canonical(outcome), outcome);
  EXPECT_NE(outcome.find(R"("resourceType":"OperationOutcome")"), std::string::npos);
  // A transaction-response with a written document, a failure's outcome and a nested searchset.
  core::Issues readIssues;
  std::shared_ptr<const core::Document> doc = core::readJson(kObservation, types(), readIssues);
  auto b = std::make_shared<BundleBody>();
  b->id = "t1";
  b->type = "batch-response";
  BundleEntry& written = b->entries.emplace_back();
  written.resource = Payload::ofDocument(doc);  // no JSON: written from the document
  written.hasResponse = true;
  written.status = "201 Created";
  written.etag = "W/\"1\"";
  BundleEntry& failed = b->entries.emplace_back();
  failed.hasResponse = true;
  failed.status = "404 Not Found";
  failed.outcome = Payload::ofOutcome(issues);
  BundleEntry& nested = b->entries.emplace_back();
  nested.hasResponse = true;
  nested.status = "200 OK";
  nested.resource = Payload::ofBundle(searchset());
  const std::string json = renderPayload(Payload::ofBundle(b), Render{}, types());
  EXPECT_EQ(canonical(json), json);
  EXPECT_NE(json.find(R"("etag":"W/\"1\"")"), std::string::npos) << json;
  Render xml;
  xml.format = core::Format::Xml;
  core::Issues xmlIssues;
  auto back = core::readXml(renderPayload(Payload::ofBundle(b), xml, types()), types(), xmlIssues);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(core::writeJson(*back->root()), json);
}

TEST(Rendering, ViewsBesideTheApiFailWithAnOperationOutcome) {
  HttpResponse bad;
  failResponse(bad, 400, core::IssueType::Value, "_count takes a whole number", "_count");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.contentType, contentTypeOf(core::Format::Json));
  EXPECT_EQ(bad.body,
            R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"value",)"
            R"("diagnostics":"_count takes a whole number","expression":["_count"]}]})");
  EXPECT_TRUE(bad.header("Retry-After").empty());
  HttpResponse down;
  failResponse(down, 503, core::IssueType::Transient, "the database is unavailable");
  EXPECT_NE(down.body.find(R"("severity":"fatal","code":"transient")"), std::string::npos)
      << down.body;
  EXPECT_EQ(down.header("Retry-After"), std::to_string(kRetryAfterSeconds));
  HttpResponse stopping;
  stopping.setHeader("Retry-After", "1");
  failResponse(stopping, 503, core::IssueType::Transient, "stopping");
  EXPECT_EQ(stopping.header("Retry-After"), "1");  // a Retry-After already set is kept
}

TEST(Rendering, UnreadableStoredJsonGoesOutAsItIs) {
  const std::string broken = R"({"resourceType":"Nope"})";
  EXPECT_EQ(renderPayload(Payload::ofJson(broken), Render{}, types()), broken);
  EXPECT_EQ(renderPayload(Payload{}, Render{}, types()), "");
  EXPECT_EQ(httpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

}  // namespace
}  // namespace trialbridge::service
