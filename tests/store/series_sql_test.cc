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

}  // namespace series_sql_test
}  // namespace trialbridge::store::sql
