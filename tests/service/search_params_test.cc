#include "service/search_params.h"

#include <gtest/gtest.h>

namespace trialbridge::service {
namespace {

TEST(SearchParams, ResultParameters) {
  Render r;
  parseResultParams(store::parseQueryString("_summary=data&_elements=Patient.name,%20gender"), r);
  EXPECT_EQ(r.summary, Summary::Data);
  EXPECT_EQ(r.elements, (std::vector<std::string>{"name", "gender"}));
  EXPECT_TRUE(r.subset());
}

TEST(SearchParams, AuditQueryUsesTheSearchPrefixes) {
  store::AuditQuery q;
  core::Issues issues;
  parseAuditQuery(store::parseQueryString("date=ge2025-01-01&date=lt2025-02&patient=p1&"
                                          "entity=Observation/o1&agent=urn:x|c1&_count=0"),
                  {}, false, q, issues);
  EXPECT_FALSE(issues.hasErrors());
  ASSERT_EQ(q.dates.size(), 2u);
  EXPECT_EQ(q.dates[0].prefix, store::Prefix::Ge);
  EXPECT_EQ(q.dates[1].prefix, store::Prefix::Lt);
  EXPECT_LT(q.dates[0].low, q.dates[1].low);
  EXPECT_EQ(q.entities, (std::vector<std::string>{"Patient/p1", "Observation/o1"}));
  EXPECT_EQ(q.agents, std::vector<std::string>{"c1"});
  EXPECT_TRUE(q.summaryCount);
  core::Issues bad;
  store::AuditQuery q2;
  parseAuditQuery(store::parseQueryString("date=yesterday&_count=x&foo=1"), {}, false, q2, bad);
  ASSERT_EQ(bad.size(), 3u);
  EXPECT_EQ(bad.count(core::Severity::Error), 2u);
  EXPECT_EQ(bad.count(core::Severity::Warning), 1u);  // foo is ignored, unless strict
  core::Issues strict;
  parseAuditQuery(store::parseQueryString("foo=1"), {}, true, q2, strict);
  EXPECT_TRUE(strict.hasErrors());
}

TEST(SearchParams, History) {
  store::HistoryQuery q;
  core::Issues issues;
  store::SearchLimits limits;
  limits.maxCount = 50;
  parseHistoryParams(store::parseQueryString("_count=500&_offset=3&_since=2025-01-01T00:00:00Z"),
                     limits, false, q, issues);
  EXPECT_FALSE(issues.hasErrors());
  EXPECT_EQ(q.count, 50u);
  EXPECT_EQ(q.offset, 3u);
  EXPECT_TRUE(q.sinceMs.has_value());
  core::Issues bad;
  parseHistoryParams(store::parseQueryString("_since=soon&other=1"), limits, true, q, bad);
  EXPECT_EQ(bad.count(core::Severity::Error), 2u);
}

TEST(SearchParams, PageLinks) {
  BundleBody b;
  addPageLinks(b, "http://x/fhir/Patient", store::parseQueryString("name=a b&_count=2&_offset=2"),
               2, 2, 5, false);
  ASSERT_EQ(b.links.size(), 4u);
  EXPECT_EQ(b.links[0], (std::pair<std::string, std::string>{
                            "self", "http://x/fhir/Patient?name=a%20b&_count=2&_offset=2"}));
  EXPECT_EQ(b.links[1].first, "first");
  EXPECT_EQ(b.links[2].second, "http://x/fhir/Patient?name=a%20b&_count=2&_offset=4");
  EXPECT_EQ(b.links[3].second, "http://x/fhir/Patient?name=a%20b&_count=2");
  BundleBody count;
  addPageLinks(count, "http://x/fhir/Patient", {}, 0, 0, 5, true);
  EXPECT_EQ(count.links.size(), 1u);
}

}  // namespace
}  // namespace trialbridge::service
