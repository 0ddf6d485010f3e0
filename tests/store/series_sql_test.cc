// The series index's rule (store/series_sql.h): which entries a resource's index rows give, and
// how the ranges of several codes merge into one answer.
#include "store/series_sql.h"

#include <gtest/gtest.h>

namespace trialbridge::store::sql {
namespace series_sql_test {

IndexRows observationRows() {
  IndexRows rows;
  rows.references.push_back({"subject", "Patient", "p1", "Patient/p1"});
  rows.references.push_back({"performer", "Practitioner", "d1", "Practitioner/d1"});
  rows.tokens.push_back({"code", "http://loinc.org", "777-3", "platelets"});
  rows.tokens.push_back({"code", "http://loinc.org", "26515-7", ""});
  rows.tokens.push_back({"status", "", "final", ""});
  rows.dates.push_back({"date", 2000, 3000});
  rows.dates.push_back({"date", 1000, 1001});  // the lowest low bound is the start
  rows.dates.push_back({"_lastUpdated", 5, 6});
  return rows;
}

TEST(SeriesRows, EachSubjectTimesEachCodingWithTheStartOfTheDate) {
  const std::vector<SeriesRow> rows = seriesRows(observationRows());
  ASSERT_EQ(rows.size(), 2u);
  for (const SeriesRow& r : rows) {
    EXPECT_EQ(r.subjectType, "Patient");
    EXPECT_EQ(r.subjectId, "p1");
    EXPECT_EQ(r.system, "http://loinc.org");
    EXPECT_EQ(r.startMs, 1000);
  }
  EXPECT_EQ(rows[0].code, "26515-7");
  EXPECT_EQ(rows[1].code, "777-3");
}

TEST(SeriesRows, DuplicatesOnce) {
  IndexRows rows = observationRows();
  rows.tokens.push_back({"code", "http://loinc.org", "777-3", "again"});
  rows.references.push_back({"subject", "Patient", "p1", "http://x/fhir/Patient/p1"});
  EXPECT_EQ(seriesRows(rows).size(), 2u);
  rows.references.push_back({"subject", "Group", "g1", "Group/g1"});
  EXPECT_EQ(seriesRows(rows).size(), 4u);
}

TEST(SeriesRows, NoneWithoutASubjectACodeOrADate) {
  IndexRows noDate = observationRows();
  noDate.dates.erase(noDate.dates.begin(), noDate.dates.begin() + 2);
  EXPECT_TRUE(seriesRows(noDate).empty());
  IndexRows noSubject = observationRows();
  noSubject.references[0].param = "focus";
  EXPECT_TRUE(seriesRows(noSubject).empty());
  IndexRows urlOnly = observationRows();
  urlOnly.references[0] = {"subject", "", "", "urn:uuid:1"};
  EXPECT_TRUE(seriesRows(urlOnly).empty());
  IndexRows textOnly = observationRows();
  for (TokenRow& t : textOnly.tokens) {
    if (t.param == "code") t.code.clear();
  }
  EXPECT_TRUE(seriesRows(textOnly).empty());
}

SeriesMatch match(int64_t start, const std::string& id) {
  SeriesMatch m;
  m.startMs = start;
  m.version.id = id;
  return m;
}

TEST(MergeSeries, LatestFirstTiesByIdDescendingEachOnceAtMostTheLimit) {
  const std::vector<SeriesMatch> ranges = {match(30, "a"), match(10, "b"), match(20, "c"),
                                           match(30, "d"), match(10, "b"), match(5, "e")};
  std::vector<std::string> ids;
  for (const ResourceVersion& v : mergeSeries(ranges, 10)) ids.push_back(v.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"d", "a", "c", "b", "e"}));
  ids.clear();
  for (const ResourceVersion& v : mergeSeries(ranges, 3)) ids.push_back(v.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"d", "a", "c"}));
  EXPECT_TRUE(mergeSeries(ranges, 0).empty());
}

// The plan of a kept series statement must not depend on the values bound: on PostgreSQL the
// LIMIT is on each code's index range alone, before the joins (its generic plan otherwise sorted
// every entry of the subject); with a filter, whose criteria must come before the LIMIT, and on
// SQLite it is outside. The binds are the same in number and order for either shape.
TEST(SeriesSelect, OnPostgresqlTheLimitIsOnTheRangeAloneUnlessAFilterNeedsItOutside) {
  SeriesQuery q;
  q.type = "Observation";
  q.subjectType = "Patient";
  q.subjectId = "p1";
  q.codes = {{"http://loinc.org", "777-3"}, {"http://loinc.org", "26515-7"}};
  q.limit = 64;
  const SqlText pg = seriesSelect(q, false);
  const std::string inner = "ORDER BY start_ms DESC, res_id DESC LIMIT ?) x JOIN resources r";
  size_t at = pg.text.find(inner);
  ASSERT_NE(at, std::string::npos) << pg.text;
  EXPECT_NE(pg.text.find(inner, at + 1), std::string::npos) << "each code's range";
  EXPECT_EQ(pg.text.find("FROM idx_series x"), std::string::npos);
  const SqlText lite = seriesSelect(q, true);
  EXPECT_EQ(lite.text.find(inner), std::string::npos);
  EXPECT_NE(lite.text.find("ORDER BY x.start_ms DESC, x.res_id DESC LIMIT ?) s"), std::string::npos)
      << lite.text;
  ASSERT_EQ(pg.binds.size(), 16u);
  ASSERT_EQ(lite.binds.size(), pg.binds.size());
  for (size_t i = 0; i < pg.binds.size(); ++i) {
    EXPECT_EQ(pg.binds[i].kind, lite.binds[i].kind) << i;
    EXPECT_EQ(pg.binds[i].text, lite.binds[i].text) << i;
    EXPECT_EQ(pg.binds[i].integer, lite.binds[i].integer) << i;
  }
  EXPECT_EQ(pg.binds[7].integer, 64);
  SearchQuery filter;
  filter.type = "Observation";
  q.filter = &filter;
  EXPECT_EQ(seriesSelect(q, false).text.find(inner), std::string::npos);
}

}  // namespace series_sql_test
}  // namespace trialbridge::store::sql
