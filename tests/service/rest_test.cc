// The FHIR REST API over loopback: a real Service on a free port, a real HTTP client.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "conformance/context.h"
#include "core/issue.h"
#include "core/json.h"
#include "core/xml.h"
#include "test_client.h"
#include "validation/validator.h"

namespace trialbridge::testing {
namespace {

const char* kPatient =
    R"({"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"P-1"}],
  "name":[{"family":"Curie","given":["Marie"]}],"gender":"female","birthDate":"1967-11-07"})";

class RestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>();
    ASSERT_TRUE(server_->ok()) << server_->error();
    c_ = std::make_unique<Client>(server_->client());
  }
  std::string create(const std::string& type, const std::string& json) {
    Reply r = c_->post("/fhir/" + type, json);
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.reason, "Created");  // the status line's phrase matches its code
    return jsonAt(r.body, "id");
  }
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<Client> c_;
};

TEST_F(RestTest, Metadata) {
  Reply r = c_->get("/fhir/metadata");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/fhir+json;charset=utf-8");
  EXPECT_EQ(jsonAt(r.body, "resourceType"), "CapabilityStatement");
  EXPECT_EQ(jsonAt(r.body, "fhirVersion"), "4.0.1");
  EXPECT_NE(r.body.find(R"("type":"ResearchStudy")"), std::string::npos);
  EXPECT_NE(
      r.body.find(
          R"("name":"subject","definition":"http://hl7.org/fhir/SearchParameter/Observation-subject","type":"reference")"),
      std::string::npos);
  EXPECT_NE(r.body.find(R"({"code":"transaction"})"), std::string::npos);
  Reply xml = c_->get("/fhir/metadata?_format=xml");
  EXPECT_EQ(xml.status, 200);
  EXPECT_EQ(xml.header("content-type"), "application/fhir+xml;charset=utf-8");
  EXPECT_NE(xml.body.find("<CapabilityStatement xmlns=\"http://hl7.org/fhir\">"),
            std::string::npos);
}

TEST_F(RestTest, CreateReadUpdateDeleteHistory) {
  Reply created = c_->post("/fhir/Patient", kPatient);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = jsonAt(created.body, "id");
  EXPECT_EQ(created.header("etag"), "W/\"1\"");
  EXPECT_NE(created.header("location").find("/fhir/Patient/" + id + "/_history/1"),
            std::string::npos);
  EXPECT_FALSE(created.header("last-modified").empty());
  EXPECT_EQ(jsonAt(created.body, "meta.versionId"), "1");

  Reply read = c_->get("/fhir/Patient/" + id);
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(read.body, created.body);
  EXPECT_EQ(c_->request("GET", "/fhir/Patient/" + id, "", {{"If-None-Match", "W/\"1\""}}).status,
            304);

  std::string updated = created.body;
  updated.replace(updated.find("\"female\""), 8, "\"other\"");
  Reply stale = c_->request("PUT", "/fhir/Patient/" + id, updated,
                            {{"Content-Type", "application/fhir+json"}, {"If-Match", "W/\"7\""}});
  EXPECT_EQ(stale.status, 412) << stale.body;
  EXPECT_EQ(jsonAt(stale.body, "resourceType"), "OperationOutcome");
  Reply ok = c_->request("PUT", "/fhir/Patient/" + id, updated,
                         {{"Content-Type", "application/fhir+json"}, {"If-Match", "W/\"1\""}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.header("etag"), "W/\"2\"");
  EXPECT_EQ(jsonAt(ok.body, "gender"), "other");

  Reply v1 = c_->get("/fhir/Patient/" + id + "/_history/1");
  ASSERT_EQ(v1.status, 200);
  EXPECT_EQ(jsonAt(v1.body, "gender"), "female");
  EXPECT_EQ(c_->get("/fhir/Patient/" + id + "/_history/9").status, 404);

  Reply h = c_->get("/fhir/Patient/" + id + "/_history");
  ASSERT_EQ(h.status, 200);
  EXPECT_EQ(jsonAt(h.body, "type"), "history");
  EXPECT_EQ(jsonAt(h.body, "total"), "2");
  EXPECT_EQ(jsonAt(h.body, "entry.0.request.method"), "PUT");
  EXPECT_EQ(jsonAt(h.body, "entry.1.request.method"), "POST");

  Reply del = c_->request("DELETE", "/fhir/Patient/" + id);
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(jsonAt(del.body, "resourceType"), "OperationOutcome");
  Reply gone = c_->get("/fhir/Patient/" + id);
  EXPECT_EQ(gone.status, 410);
  EXPECT_EQ(jsonAt(gone.body, "resourceType"), "OperationOutcome");
  EXPECT_EQ(c_->request("DELETE", "/fhir/Patient/" + id).status, 200);
  EXPECT_EQ(c_->request("DELETE", "/fhir/Patient/nope").status, 404);
  Reply typeHistory = c_->get("/fhir/Patient/_history");
  EXPECT_EQ(jsonAt(typeHistory.body, "total"), "3");
  EXPECT_EQ(jsonAt(typeHistory.body, "entry.0.request.method"), "DELETE");
  Reply systemHistory = c_->get("/fhir/_history?_count=1");
  EXPECT_EQ(jsonSize(systemHistory.body, "entry"), 1u);
  EXPECT_NE(systemHistory.body.find(R"("relation":"next")"), std::string::npos);

  // Update as create, with the client's id.
  Reply put = c_->put("/fhir/Patient/mine-1", R"({"resourceType":"Patient","id":"mine-1"})");
  EXPECT_EQ(put.status, 201) << put.body;
}

TEST_F(RestTest, ErrorsAreOperationOutcomes) {
  auto expectOutcome = [](const Reply& r, int status) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(jsonAt(r.body, "resourceType"), "OperationOutcome") << r.body;
  };
  expectOutcome(c_->get("/fhir/Patient/unknown"), 404);
  expectOutcome(c_->get("/fhir/Nonsense/1"), 404);
  expectOutcome(c_->get("/other"), 404);
  expectOutcome(c_->get("/fhir/Patient/bad!id"), 400);
  expectOutcome(c_->post("/fhir/Patient", "{not json"), 400);
  expectOutcome(c_->post("/fhir/Patient", R"({"resourceType":"Observation"})"), 400);
  expectOutcome(c_->request("POST", "/fhir/Patient", kPatient, {{"Content-Type", "text/plain"}}),
                415);
  expectOutcome(c_->post("/fhir/Patient", R"({"resourceType":"Patient","nonsense":1})"), 422);
  expectOutcome(c_->post("/fhir/Patient", R"({"resourceType":"Patient","gender":"nope"})"), 422);
  expectOutcome(c_->put("/fhir/Patient/a", R"({"resourceType":"Patient","id":"b"})"), 400);
  expectOutcome(c_->put("/fhir/Patient/a", R"({"resourceType":"Patient"})"), 400);
  expectOutcome(c_->get("/fhir/Patient?birthdate=notadate"), 400);
  expectOutcome(c_->get("/fhir/Patient?_format=turtle"), 406);
  expectOutcome(c_->request("PATCH", "/fhir/Patient/a"), 405);
  Reply strict = c_->request("GET", "/fhir/Patient?foo=bar", "", {{"Prefer", "handling=strict"}});
  expectOutcome(strict, 400);
  Reply lenient = c_->get("/fhir/Patient?foo=bar");
  EXPECT_EQ(lenient.status, 200);
  // Duplicate matches for a conditional create.
  create("Patient", kPatient);
  create("Patient", kPatient);
  expectOutcome(c_->request("POST", "/fhir/Patient", kPatient,
                            {{"Content-Type", "application/fhir+json"},
                             {"If-None-Exist", "identifier=urn:mrn|P-1"}}),
                412);
}

TEST(RestLimits, BodiesOverTheLimitGet413) {
  TestServer server(R"({"fhir":{"maxBodyBytes":2048}})");
  ASSERT_TRUE(server.ok()) << server.error();
  Reply r = server.client().post("/fhir/Patient", std::string(5000, ' '));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(jsonAt(r.body, "resourceType"), "OperationOutcome");
  // Under the limit the same server answers normally.
  EXPECT_EQ(server.client().post("/fhir/Patient", R"({"resourceType":"Patient"})").status, 201);
}

// A batch or transaction of `n` Patient creates.
std::string bundleOf(const std::string& type, size_t n) {
  std::string b = R"({"resourceType":"Bundle","type":")" + type + R"(","entry":[)";
  for (size_t i = 0; i < n; ++i) {
    b +=
        std::string(i == 0 ? "" : ",") +
        R"({"resource":{"resourceType":"Patient","gender":"female"},"request":{"method":"POST","url":"Patient"}})";
  }
  return b + "]}";
}

// fhir.maxBundleEntries: one entry more is 413 with an OperationOutcome that names the limit,
// and nothing of it is written; at the limit the Bundle is processed. The default (1,000) holds
// for a Bundle of 100,000 entries too.
TEST(RestLimits, HugeBundlesGet413) {
  TestServer server(R"({"fhir":{"maxBundleEntries":5}})");
  ASSERT_TRUE(server.ok()) << server.error();
  for (const std::string type : {"transaction", "batch"}) {
    Reply over = server.client().post("/fhir", bundleOf(type, 6));
    EXPECT_EQ(over.status, 413) << over.body;
    EXPECT_EQ(jsonAt(over.body, "resourceType"), "OperationOutcome");
    EXPECT_NE(over.body.find("5"), std::string::npos) << over.body;
    Reply at = server.client().post("/fhir", bundleOf(type, 5));
    EXPECT_EQ(at.status, 200) << at.body;
  }
  EXPECT_EQ(jsonAt(server.client().get("/fhir/Patient?_summary=count").body, "total"), "10");
  TestServer defaults;
  ASSERT_TRUE(defaults.ok()) << defaults.error();
  const std::string huge = bundleOf("transaction", 100000);
  ASSERT_LT(huge.size(), 16u << 20);
  Reply r = defaults.client().post("/fhir", huge);
  EXPECT_EQ(r.status, 413) << r.body.substr(0, 500);
  EXPECT_EQ(jsonAt(r.body, "resourceType"), "OperationOutcome");
  EXPECT_EQ(jsonAt(defaults.client().get("/fhir/Patient?_summary=count").body, "total"), "0");
}

// JSON nested 100,000 deep (and XML 100,000 deep) is answered 400 with an OperationOutcome that
// says why and where, not a crash; nesting within the limit of 128 levels is read.
TEST(RestLimits, DeeplyNestedBodiesGet400WithTheLocation) {
  TestServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  const size_t depth = 100000;
  const std::string json =
      R"({"resourceType":"Patient","x":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  Reply r = server.client().post("/fhir/Patient", json);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(jsonAt(r.body, "resourceType"), "OperationOutcome");
  EXPECT_NE(r.body.find("JSON nesting is deeper than 128"), std::string::npos) << r.body;
  // Located: the 129th level opens at column 158 (30 characters before the first '[').
  EXPECT_NE(r.body.find(R"(operationoutcome-issue-col","valueInteger":158)"), std::string::npos)
      << r.body;
  std::string xml = R"(<Patient xmlns="http://hl7.org/fhir">)";
  for (size_t i = 0; i < depth; ++i) xml += "<extension>";
  Reply x = server.client().request("POST", "/fhir/Patient", xml,
                                    {{"Content-Type", "application/fhir+xml"}});
  EXPECT_EQ(x.status, 400) << x.body.substr(0, 500);
  EXPECT_EQ(jsonAt(x.body, "resourceType"), "OperationOutcome");
  // 100 levels of extensions are within the limit: read, and judged as FHIR (422: the made-up
  // extension is not known), not refused for their depth.
  std::string nested = R"({"resourceType":"Patient","extension":[)";
  for (int i = 0; i < 50; ++i) nested += R"({"url":"http://x/e","extension":[)";
  nested += R"({"url":"http://x/e","valueString":"deep"})";
  for (int i = 0; i < 50; ++i) nested += "]}";
  nested += "]}";
  Reply ok = server.client().post("/fhir/Patient", nested);
  EXPECT_EQ(ok.status, 422) << ok.body;
  EXPECT_NE(ok.body.find("http://x/e could not be found"), std::string::npos) << ok.body;
  EXPECT_EQ(ok.body.find("nesting"), std::string::npos) << ok.body;
  EXPECT_EQ(server.client().get("/fhir/metadata").status, 200);
}

TEST_F(RestTest, XmlInAndOut) {
  const std::string xml =
      R"(<Patient xmlns="http://hl7.org/fhir"><gender value="male"/><birthDate value="1970"/></Patient>)";
  Reply r =
      c_->request("POST", "/fhir/Patient", xml,
                  {{"Content-Type", "application/fhir+xml"}, {"Accept", "application/fhir+xml"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/fhir+xml;charset=utf-8");
  EXPECT_NE(r.body.find("<gender value=\"male\"/>"), std::string::npos) << r.body;
  const std::string location = r.header("location");
  const std::string id = location.substr(location.find("/Patient/") + 9, 36);
  Reply json = c_->get("/fhir/Patient/" + id);
  EXPECT_EQ(jsonAt(json.body, "gender"), "male");
  Reply pretty = c_->get("/fhir/Patient/" + id + "?_pretty=true");
  EXPECT_NE(pretty.body.find("\n"), std::string::npos);
  Reply bundleXml = c_->get("/fhir/Patient?_format=xml");
  EXPECT_NE(bundleXml.body.find("<Bundle xmlns=\"http://hl7.org/fhir\">"), std::string::npos);
  Reply err = c_->get("/fhir/Patient/none?_format=application/fhir%2Bxml");
  EXPECT_EQ(err.status, 404);
  EXPECT_NE(err.body.find("<OperationOutcome"), std::string::npos);
}

TEST_F(RestTest, PreferReturn) {
  Reply minimal =
      c_->request("POST", "/fhir/Patient", kPatient,
                  {{"Content-Type", "application/fhir+json"}, {"Prefer", "return=minimal"}});
  EXPECT_EQ(minimal.status, 201);
  EXPECT_TRUE(minimal.body.empty());
  EXPECT_FALSE(minimal.header("location").empty());
  Reply outcome = c_->request(
      "POST", "/fhir/Patient", kPatient,
      {{"Content-Type", "application/fhir+json"}, {"Prefer", "return=OperationOutcome"}});
  EXPECT_EQ(outcome.status, 201);
  EXPECT_EQ(jsonAt(outcome.body, "resourceType"), "OperationOutcome");
}

TEST_F(RestTest, SearchParametersPagingIncludes) {
  const std::string anna = create(
      "Patient",
      R"({"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"A1"}],"name":[{"family":"Andersen"}],"gender":"female"})");
  const std::string bob = create(
      "Patient",
      R"({"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"B2"}],"name":[{"family":"Berg"}],"gender":"male"})");
  for (int i = 0; i < 5; ++i) {
    const std::string who = i < 3 ? anna : bob;
    create(
        "Observation",
        R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"777-3"}]},"subject":{"reference":"Patient/)" +
            who + R"("},"effectiveDateTime":"2025-01-0)" + std::to_string(i + 1) +
            R"(T08:00:00Z","valueQuantity":{"value":)" + std::to_string(50 * (i + 1)) +
            R"(,"system":"http://unitsofmeasure.org","code":"10*9/L"}})");
  }
  Reply r = c_->get("/fhir/Observation?subject:Patient.identifier=urn:mrn|A1&_count=2&_sort=-date");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(jsonAt(r.body, "type"), "searchset");
  EXPECT_EQ(jsonAt(r.body, "total"), "3");
  EXPECT_EQ(jsonSize(r.body, "entry"), 2u);
  EXPECT_EQ(jsonAt(r.body, "entry.0.resource.effectiveDateTime"), "2025-01-03T08:00:00Z");
  EXPECT_EQ(jsonAt(r.body, "entry.0.search.mode"), "match");
  std::string next;
  for (size_t i = 0; i < jsonSize(r.body, "link"); ++i) {
    if (jsonAt(r.body, "link." + std::to_string(i) + ".relation") == "next") {
      next = jsonAt(r.body, "link." + std::to_string(i) + ".url");
    }
  }
  ASSERT_FALSE(next.empty());
  Reply page2 = c_->get(next.substr(next.find("/fhir/")));
  EXPECT_EQ(jsonSize(page2.body, "entry"), 1u);
  EXPECT_EQ(jsonAt(page2.body, "entry.0.resource.effectiveDateTime"), "2025-01-01T08:00:00Z");
  // _total=none: a full page has no total but still a next link; the last page is not full.
  Reply none =
      c_->get("/fhir/Observation?subject:Patient.identifier=urn:mrn|A1&_count=2&_total=none");
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(jsonAt(none.body, "total"), "");
  EXPECT_EQ(jsonSize(none.body, "entry"), 2u);
  EXPECT_NE(none.body.find("\"next\""), std::string::npos) << none.body;
  Reply last = c_->get(
      "/fhir/Observation?subject:Patient.identifier=urn:mrn|A1&_count=2&_offset=2&_total=none");
  EXPECT_EQ(jsonSize(last.body, "entry"), 1u);
  EXPECT_EQ(last.body.find("\"next\""), std::string::npos) << last.body;
  EXPECT_EQ(c_->get("/fhir/Observation?_total=maybe").status, 400);

  EXPECT_EQ(jsonAt(c_->get("/fhir/Observation?value-quantity=gt120&_summary=count").body, "total"),
            "3");
  Reply count = c_->get("/fhir/Observation?_summary=count");
  EXPECT_EQ(jsonAt(count.body, "total"), "5");
  EXPECT_EQ(jsonSize(count.body, "entry"), 0u);
  EXPECT_EQ(jsonAt(c_->get("/fhir/Observation?date=ge2025-01-04").body, "total"), "2");
  EXPECT_EQ(
      jsonAt(c_->get("/fhir/Observation?date=lt2025-01-02&subject=Patient/" + anna).body, "total"),
      "1");
  EXPECT_EQ(jsonAt(c_->get("/fhir/Patient?name=ander").body, "total"), "1");
  EXPECT_EQ(jsonAt(c_->get("/fhir/Patient?_id=" + anna + "," + bob).body, "total"), "2");
  EXPECT_EQ(jsonAt(c_->get("/fhir/Patient?_lastUpdated=gt2020-01-01").body, "total"), "2");

  Reply inc = c_->get("/fhir/Observation?subject=Patient/" + bob + "&_include=Observation:subject");
  EXPECT_EQ(jsonAt(inc.body, "total"), "2");
  EXPECT_EQ(jsonSize(inc.body, "entry"), 3u);
  EXPECT_EQ(jsonAt(inc.body, "entry.2.search.mode"), "include");
  EXPECT_EQ(jsonAt(inc.body, "entry.2.resource.id"), bob);
  Reply rev = c_->get("/fhir/Patient?_id=" + anna + "&_revinclude=Observation:subject");
  EXPECT_EQ(jsonSize(rev.body, "entry"), 4u);

  Reply post = c_->request("POST", "/fhir/Patient/_search", "gender=male",
                           {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(post.status, 200);
  EXPECT_EQ(jsonAt(post.body, "total"), "1");

  Reply elements = c_->get("/fhir/Patient?_id=" + anna + "&_elements=gender");
  EXPECT_EQ(jsonAt(elements.body, "entry.0.resource.gender"), "female");
  EXPECT_EQ(jsonAt(elements.body, "entry.0.resource.name"), "");
  EXPECT_EQ(jsonAt(elements.body, "entry.0.resource.meta.tag.0.code"), "SUBSETTED");
  Reply summary = c_->get("/fhir/Patient?_id=" + anna + "&_summary=true");
  EXPECT_EQ(jsonAt(summary.body, "entry.0.resource.gender"), "female");
}

TEST_F(RestTest, ConditionalCreateAndUpdate) {
  const char* study =
      R"({"resourceType":"ResearchStudy","identifier":[{"system":"https://clinicaltrials.gov","value":"NCT06813157"}],"status":"active","title":"MSC for ITP"})";
  Reply put1 =
      c_->put("/fhir/ResearchStudy?identifier=https://clinicaltrials.gov|NCT06813157", study);
  ASSERT_EQ(put1.status, 201) << put1.body;
  const std::string id = jsonAt(put1.body, "id");
  Reply put2 =
      c_->put("/fhir/ResearchStudy?identifier=https://clinicaltrials.gov|NCT06813157", study);
  ASSERT_EQ(put2.status, 200) << put2.body;
  EXPECT_EQ(jsonAt(put2.body, "id"), id);
  EXPECT_EQ(jsonAt(put2.body, "meta.versionId"), "2");

  auto conditional = [&](const std::string& query) {
    return c_->request("POST", "/fhir/Patient", kPatient,
                       {{"Content-Type", "application/fhir+json"}, {"If-None-Exist", query}});
  };
  Reply first = conditional("identifier=urn:mrn|P-1");
  EXPECT_EQ(first.status, 201);
  Reply second = conditional("identifier=urn:mrn|P-1");
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(jsonAt(second.body, "id"), jsonAt(first.body, "id"));
  EXPECT_EQ(jsonAt(c_->get("/fhir/Patient?_summary=count").body, "total"), "1");

  Reply cdel = c_->request("DELETE", "/fhir/Patient?identifier=urn:mrn|P-1");
  EXPECT_EQ(cdel.status, 200) << cdel.body;
  EXPECT_EQ(jsonAt(c_->get("/fhir/Patient?_summary=count").body, "total"), "0");
}

TEST_F(RestTest, TransactionIsAtomicAndRewritesReferences) {
  const std::string tx = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a","resource":{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"T-1"}]},
     "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=urn:mrn|T-1"}},
    {"fullUrl":"urn:uuid:88f151c0-a954-468a-88bd-5ae15c08e059","resource":{"resourceType":"Observation","status":"final","code":{"text":"platelets"},
      "subject":{"reference":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"}},"request":{"method":"POST","url":"Observation"}},
    {"resource":{"resourceType":"ResearchSubject","id":"rs-1","status":"on-study","study":{"reference":"ResearchStudy/s1"},
      "individual":{"reference":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"}},"request":{"method":"PUT","url":"ResearchSubject/rs-1"}},
    {"request":{"method":"GET","url":"Patient?identifier=urn:mrn|T-1"}}]})";
  Reply r = c_->post("/fhir", tx);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(jsonAt(r.body, "type"), "transaction-response");
  EXPECT_EQ(jsonAt(r.body, "entry.0.response.status"), "201 Created");
  EXPECT_EQ(jsonAt(r.body, "entry.1.response.status"), "201 Created");
  EXPECT_EQ(jsonAt(r.body, "entry.2.response.status"), "201 Created");
  EXPECT_EQ(jsonAt(r.body, "entry.3.response.status"), "200 OK");
  EXPECT_EQ(jsonAt(r.body, "entry.3.resource.total"), "1");
  const std::string patientId = jsonAt(r.body, "entry.0.resource.id");
  EXPECT_EQ(jsonAt(r.body, "entry.1.resource.subject.reference"), "Patient/" + patientId);
  Reply rs = c_->get("/fhir/ResearchSubject/rs-1");
  EXPECT_EQ(jsonAt(rs.body, "individual.reference"), "Patient/" + patientId);
  EXPECT_EQ(jsonAt(c_->get("/fhir/Observation?subject=Patient/" + patientId).body, "total"), "1");

  // The same again: the conditional create matches, nothing new for the patient.
  Reply again = c_->post("/fhir", tx);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(jsonAt(again.body, "entry.0.response.status"), "200 OK");
  EXPECT_EQ(jsonAt(c_->get("/fhir/Patient?_summary=count").body, "total"), "1");
  EXPECT_EQ(
      jsonAt(c_->get("/fhir/Observation?subject=Patient/" + patientId + "&_summary=count").body,
             "total"),
      "2");

  // A failing entry (If-Match on a stale version) rolls everything back.
  const std::string bad = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"T-2"}]},"request":{"method":"POST","url":"Patient"}},
    {"resource":{"resourceType":"ResearchSubject","id":"rs-1","status":"withdrawn","study":{"reference":"ResearchStudy/s1"},
      "individual":{"reference":"Patient/x"}},"request":{"method":"PUT","url":"ResearchSubject/rs-1","ifMatch":"W/\"5\""}}]})";
  Reply failed = c_->post("/fhir", bad);
  EXPECT_EQ(failed.status, 412) << failed.body;
  EXPECT_EQ(jsonAt(failed.body, "resourceType"), "OperationOutcome");
  EXPECT_EQ(jsonAt(c_->get("/fhir/Patient?identifier=urn:mrn|T-2").body, "total"), "0");
  EXPECT_EQ(jsonAt(c_->get("/fhir/ResearchSubject/rs-1").body, "status"), "on-study");
  // An invalid resource: 422 and nothing written.
  const std::string invalid = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"T-3"}]},"request":{"method":"POST","url":"Patient"}},
    {"resource":{"resourceType":"Patient","gender":"sometimes"},"request":{"method":"POST","url":"Patient"}}]})";
  Reply unprocessable = c_->post("/fhir", invalid);
  EXPECT_EQ(unprocessable.status, 422) << unprocessable.body;
  EXPECT_EQ(jsonAt(c_->get("/fhir/Patient?identifier=urn:mrn|T-3").body, "total"), "0");
}

// A retry with the same Idempotency-Key gets the first answer and writes nothing; the same key
// with another request is a conflict.
TEST_F(RestTest, IdempotencyKeyMakesRetriesSafe) {
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/fhir+json"}, {"Idempotency-Key", "retry-1"}};
  Reply first = c_->request("POST", "/fhir/Patient", kPatient, headers);
  ASSERT_EQ(first.status, 201) << first.body;
  Reply again = c_->request("POST", "/fhir/Patient", kPatient, headers);
  EXPECT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.header("location"), first.header("location"));
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(jsonAt(c_->get("/fhir/Patient?_summary=count").body, "total"), "1");
  Reply other =
      c_->request("POST", "/fhir/Patient", R"({"resourceType":"Patient","active":true})", headers);
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_EQ(jsonAt(other.body, "resourceType"), "OperationOutcome");
  EXPECT_EQ(jsonAt(c_->get("/fhir/Patient?_summary=count").body, "total"), "1");
}

// A transaction's response as XML is written from documents: the same resources as the JSON.
TEST_F(RestTest, TransactionResponseAsXml) {
  const std::string tx = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Patient","id":"x1","gender":"male"},"request":{"method":"PUT","url":"Patient/x1"}},
    {"request":{"method":"GET","url":"Patient?_id=x1"}},
    {"request":{"method":"GET","url":"Patient/x1"}}]})";
  Reply r =
      c_->request("POST", "/fhir?_format=xml", tx, {{"Content-Type", "application/fhir+json"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/fhir+xml;charset=utf-8");
  core::Issues issues;
  auto doc = core::readXml(r.body, conformance::Context::r4(), issues);
  ASSERT_NE(doc, nullptr) << r.body;
  EXPECT_FALSE(issues.hasErrors()) << r.body;
  const std::string json = core::writeJson(*doc->root());
  EXPECT_EQ(jsonAt(json, "type"), "transaction-response");
  EXPECT_EQ(jsonAt(json, "entry.0.resource.gender"), "male");
  EXPECT_EQ(jsonAt(json, "entry.0.response.status"), "201 Created");
  EXPECT_EQ(jsonAt(json, "entry.1.resource.resourceType"), "Bundle");
  EXPECT_EQ(jsonAt(json, "entry.1.resource.total"), "1");
  EXPECT_EQ(jsonAt(json, "entry.1.resource.entry.0.resource.id"), "x1");
  EXPECT_EQ(jsonAt(json, "entry.2.resource.id"), "x1");
}

// What the server sends is valid FHIR R4: every kind of response body, validated with no error.
TEST_F(RestTest, ResponsesAreValidFhir) {
  const std::string patientId = create("Patient", kPatient);
  ASSERT_EQ(c_->post("/fhir/Observation", R"({"resourceType":"Observation","status":"final",
    "code":{"text":"platelets"},"subject":{"reference":"Patient/)" +
                                              patientId + R"("}})")
                .status,
            201);
  const std::string tx = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Patient","gender":"male"},"request":{"method":"POST","url":"Patient"}},
    {"request":{"method":"GET","url":"Patient?gender=male"}}]})";
  const std::string batch = R"({"resourceType":"Bundle","type":"batch","entry":[
    {"request":{"method":"GET","url":"Patient/does-not-exist"}}]})";
  const std::vector<std::pair<std::string, Reply>> replies = {
      {"metadata", c_->get("/fhir/metadata")},
      {"read", c_->get("/fhir/Patient/" + patientId)},
      {"search with includes",
       c_->get("/fhir/Observation?_include=Observation:subject&_revinclude=Provenance:target")},
      {"search _summary=count", c_->get("/fhir/Patient?_summary=count")},
      {"search _elements", c_->get("/fhir/Patient?_elements=gender")},
      {"instance history", c_->get("/fhir/Patient/" + patientId + "/_history")},
      {"type history", c_->get("/fhir/Patient/_history")},
      {"system history", c_->get("/fhir/_history")},
      {"transaction", c_->post("/fhir", tx)},
      {"batch", c_->post("/fhir", batch)},
      {"$validate",
       c_->post("/fhir/Patient/$validate", R"({"resourceType":"Patient","gender":"x"})")},
      {"404", c_->get("/fhir/Patient/nope")},
      {"400", c_->get("/fhir/Patient?birthdate=notadate")},
      {"audit search", c_->get("/fhir/AuditEvent?entity=Patient/" + patientId)},
  };
  static const validation::Validator validator(conformance::Context::r4());
  for (const auto& [what, reply] : replies) {
    ASSERT_FALSE(reply.body.empty()) << what;
    core::Issues issues;
    validator.validateText(reply.body, issues);
    for (const core::Issue& i : issues.items()) {
      EXPECT_GT(i.severity, core::Severity::Error)
          << what << " (" << reply.status << "): " << i.location << ": " << i.message;
    }
  }
}

TEST_F(RestTest, BatchEntriesStandAlone) {
  const std::string batch = R"({"resourceType":"Bundle","type":"batch","entry":[
    {"resource":{"resourceType":"Patient","gender":"male"},"request":{"method":"POST","url":"Patient"}},
    {"request":{"method":"GET","url":"Patient/does-not-exist"}},
    {"resource":{"resourceType":"Patient","gender":"bogus"},"request":{"method":"POST","url":"Patient"}}]})";
  Reply r = c_->post("/fhir", batch);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(jsonAt(r.body, "type"), "batch-response");
  EXPECT_EQ(jsonAt(r.body, "entry.0.response.status"), "201 Created");
  EXPECT_EQ(jsonAt(r.body, "entry.1.response.status"), "404 Not Found");
  EXPECT_EQ(jsonAt(r.body, "entry.1.response.outcome.resourceType"), "OperationOutcome");
  EXPECT_EQ(jsonAt(r.body, "entry.2.response.status"), "422 Unprocessable Entity");
  EXPECT_EQ(jsonAt(c_->get("/fhir/Patient?_summary=count").body, "total"), "1");
  EXPECT_EQ(c_->post("/fhir", R"({"resourceType":"Bundle","type":"collection"})").status, 400);
}

TEST_F(RestTest, Validate) {
  auto errors = [](const std::string& outcome) {
    size_t n = 0;
    for (size_t i = 0; i < jsonSize(outcome, "issue"); ++i) {
      n += jsonAt(outcome, "issue." + std::to_string(i) + ".severity") == "error";
    }
    return n;
  };
  Reply ok = c_->post("/fhir/Patient/$validate", kPatient);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(jsonAt(ok.body, "resourceType"), "OperationOutcome");
  EXPECT_EQ(errors(ok.body), 0u) << ok.body;
  Reply bad = c_->post("/fhir/Patient/$validate", R"({"resourceType":"Patient","gender":"x"})");
  EXPECT_EQ(bad.status, 200);
  EXPECT_GE(errors(bad.body), 1u) << bad.body;
  Reply params = c_->post(
      "/fhir/Patient/$validate",
      R"({"resourceType":"Parameters","parameter":[{"name":"resource","resource":{"resourceType":"Patient","active":true}}]})");
  EXPECT_EQ(params.status, 200) << params.body;
  const std::string id = create("Patient", kPatient);
  Reply stored = c_->get("/fhir/Patient/" + id + "/$validate");
  EXPECT_EQ(stored.status, 200) << stored.body;
}

TEST_F(RestTest, ReadsAndWritesOfSubjectDataAreAudited) {
  const std::string id = create("Patient", kPatient);
  ASSERT_EQ(c_->get("/fhir/Patient/" + id).status, 200);
  ASSERT_EQ(c_->get("/fhir/Patient?gender=female").status, 200);
  ASSERT_EQ(c_->get("/fhir/Patient/nope").status, 404);
  // Not subject data: no audit.
  create("Organization", R"({"resourceType":"Organization","name":"Hospital"})");
  server_->service().audit()->flush();
  Reply audits = c_->get("/fhir/AuditEvent?entity=Patient/" + id + "&_count=50");
  ASSERT_EQ(audits.status, 200);
  EXPECT_EQ(jsonAt(audits.body, "total"), "2");  // create + read
  std::set<std::string> kinds;
  for (size_t i = 0; i < jsonSize(audits.body, "entry"); ++i) {
    kinds.insert(jsonAt(audits.body, "entry." + std::to_string(i) + ".resource.subtype.0.code"));
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"create", "read"}));
  EXPECT_EQ(jsonAt(c_->get("/fhir/AuditEvent?subtype=search-type").body, "total"), "1");
  EXPECT_EQ(jsonAt(c_->get("/fhir/AuditEvent?outcome=4").body, "total"), "1");
  EXPECT_EQ(jsonAt(c_->get("/fhir/AuditEvent?_summary=count").body, "total"), "4");
  EXPECT_EQ(
      jsonAt(c_->get("/fhir/AuditEvent?agent=anonymous&date=ge2020-01-01&_summary=count").body,
             "total"),
      "4");
  EXPECT_EQ(jsonAt(c_->get("/fhir/AuditEvent?date=lt2020-01-01&_summary=count").body, "total"),
            "0");
  // Each is readable by id, and nobody can change them.
  const std::string auditId = jsonAt(audits.body, "entry.0.resource.id");
  Reply one = c_->get("/fhir/AuditEvent/" + auditId);
  EXPECT_EQ(one.status, 200);
  EXPECT_EQ(jsonAt(one.body, "resourceType"), "AuditEvent");
  EXPECT_EQ(c_->request("DELETE", "/fhir/AuditEvent/" + auditId).status, 405);
  EXPECT_EQ(c_->put("/fhir/AuditEvent/" + auditId, one.body).status, 405);
  EXPECT_EQ(c_->post("/fhir/AuditEvent", one.body).status, 405);
  Reply valid = c_->post("/fhir/AuditEvent/$validate", one.body);
  EXPECT_EQ(valid.status, 200);
  for (size_t i = 0; i < jsonSize(valid.body, "issue"); ++i) {
    EXPECT_NE(jsonAt(valid.body, "issue." + std::to_string(i) + ".severity"), "error")
        << valid.body;
  }
  // The records hold no resource content.
  Reply all = c_->get("/fhir/AuditEvent?_count=100");
  EXPECT_EQ(all.body.find("Curie"), std::string::npos);
}

TEST_F(RestTest, ConcurrentClients) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      Client c = server_->client();
      for (int i = 0; i < 15; ++i) {
        Reply r = c.post("/fhir/Patient", kPatient);
        if (r.status != 201) failures++;
        if (c.get("/fhir/Patient/" + jsonAt(r.body, "id")).status != 200) failures++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(jsonAt(c_->get("/fhir/Patient?_summary=count").body, "total"), "90");
}

TEST(RestProfiles, WritesOfConfiguredTypesMustMeetTheirProfile) {
  TestServer server(
      R"({"fhir":{"packages":[],"requiredProfiles":{"Observation":"http://hl7.org/fhir/StructureDefinition/cholesterol"}}})");
  ASSERT_TRUE(server.ok()) << server.error();
  Client c = server.client();
  Reply bad = c.post("/fhir/Observation",
                     R"({"resourceType":"Observation","status":"final","code":{"text":"x"}})");
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(jsonAt(bad.body, "resourceType"), "OperationOutcome");
  Reply good = c.post("/fhir/Observation", R"({"resourceType":"Observation","status":"final",
    "code":{"coding":[{"system":"http://loinc.org","code":"35200-5","display":"Cholesterol [Moles/\u200bvolume] in Serum or Plasma"}]},
    "valueQuantity":{"value":6.3,"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"},
    "referenceRange":[{"high":{"value":4.5}}]})");
  EXPECT_EQ(good.status, 201) << good.body;
  EXPECT_NE(
      c.get("/fhir/metadata")
          .body.find(
              R"("supportedProfile":["http://hl7.org/fhir/StructureDefinition/cholesterol"])"),
      std::string::npos);
}

TEST(RestConfig, BadConfigurationSaysWhy) {
  auto r = service::parseConfig(R"({"http":{"port":"x"}})", "c.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), "c.json: 'http.port' must be a whole number from 0 to 65535");
  r = service::parseConfig(R"({"htp":{}})", "c.json");
  EXPECT_EQ(r.message(), "c.json: 'htp' is not a known setting");
  r = service::parseConfig(R"({"store":{"backend":"oracle"}})", "c.json");
  EXPECT_FALSE(r);
  r = service::parseConfig(R"({"auth":{}})", "c.json");
  EXPECT_NE(r.message().find("jwks"), std::string::npos);
  r = service::parseConfig(R"({"tls":{"certificate":"a.pem"}})", "c.json");
  EXPECT_NE(r.message().find("privateKey"), std::string::npos);
  r = service::parseConfig("{", "c.json");
  EXPECT_NE(r.message().find("not JSON"), std::string::npos);
  TestServer missing(R"({"fhir":{"packages":["/nonexistent/package"]}})");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("/nonexistent/package"), std::string::npos);
}

// The configuration is read with core's JSON-input helper: a member given twice is refused (it
// was silently the first), and a file that does not parse says where.
TEST(RestConfig, DuplicatesAndSyntaxErrorsSayWhere) {
  auto r = service::parseConfig("{\"http\": {\"port\": 1,\n  \"port\": 2}}", "c.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), "c.json: the member 'port' is given twice at line 2, column 3");
  r = service::parseConfig("{\n  \"http\": {,}}", "c.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message().rfind("c.json: not JSON (", 0), 0u) << r.message();
  EXPECT_NE(r.message().find("at line 2, column 12"), std::string::npos) << r.message();
  r = service::parseConfig(R"({"fhir": {"basePath": "fhir/"}})", "c.json");
  EXPECT_EQ(r.message(),
            "c.json: 'fhir.basePath' must start with '/' and not end with one (e.g. \"/fhir\")");
  r = service::parseConfig(R"({"http": {"port": 80, "prot": 1}})", "c.json");
  EXPECT_EQ(r.message(), "c.json: 'http.prot' is not a known setting");
  r = service::parseConfig(R"({"store": {"backend": "oracle"}})", "c.json");
  EXPECT_EQ(r.message(), "c.json: 'store.backend' must be \"sqlite\" or \"postgresql\"");
}

// A second server on a port in use does not start (Poco's binding constructors set SO_REUSEPORT,
// and then it started and took a share of the first one's connections).
TEST(RestConfig, APortInUseStopsStartUp) {
  TestServer first;
  ASSERT_TRUE(first.ok()) << first.error();
  auto parsed = service::parseConfig("{}", "second");
  ASSERT_TRUE(parsed);
  service::ServiceConfig c = parsed.value();
  c.http.port = first.port();
  c.store.database = first.dir() + "/second.db";
  c.api.requiredProfiles.clear();
  auto second = service::Service::start(c);
  ASSERT_FALSE(second) << "a second server started on port " << first.port();
  EXPECT_NE(second.message().find("cannot listen on 127.0.0.1:" + std::to_string(first.port())),
            std::string::npos)
      << second.message();
  EXPECT_EQ(first.client().get("/fhir/metadata").status, 200);
}

}  // namespace
}  // namespace trialbridge::testing
