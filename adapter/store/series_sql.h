#pragma once
// Internal to the store: the series index (store.h, SeriesQuery and Store::series; table
// idx_series, migration 7). What enters it is computed from a version's search index rows, so it
// is written, replaced and removed exactly where those rows are (sql_store.cc, the writer), in
// the same transaction. Poco::Data types appear here; include it from the store's .cc files only.
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/index.h"
#include "store/search_sql.h"
#include "store/sql_dialect.h"
#include "store/store.h"

namespace trialbridge::store::sql {

// One entry of a resource in the series index.
struct SeriesRow {
  std::string subjectType, subjectId, system, code;
  int64_t startMs = 0;
};

// The entries of a resource with these index rows (SeriesQuery states the rule): each distinct
// `subject` reference with a type and id times each distinct `code` coding with a code, all with
// the lowest low bound of the `date` rows; none without a subject, a code or a date.
std::vector<SeriesRow> seriesRows(const IndexRows& rows);

// Writes a resource's entries; prepared once per writer connection.
class SeriesWriter {
 public:
  SeriesWriter(Poco::Data::Session& session, const Dialect& dialect);
  // Removes the entries of type/id (before its new version's, and on delete).
  void remove(const std::string& type, const std::string& id);
  void insert(const std::string& type, const std::string& id, const IndexRows& rows);

 private:
  Poco::Data::Session& session_;
  const Dialect& dialect_;
  std::string type_, id_;
  std::vector<std::string> types_, ids_, subjectTypes_, subjectIds_, systems_, codes_;
  std::vector<Poco::Int64> starts_;
  std::unique_ptr<Poco::Data::Statement> delete_, insert_;
};

// The SELECT of a series (query.codes not empty): for each code, its range latest start first,
// at most query.limit; the columns res_id, version, last_updated, lu_ms, json, start_ms. Without
// a filter its best plan does not depend on the values bound (on PostgreSQL the LIMIT is on the
// index range alone for that), so that a kept statement's generic plan is as good as a plan for
// the values; with a filter it does depend on them: run it as a statement of its own (runOnce).
SqlText seriesSelect(const SeriesQuery& query, bool sqlite);

// A match of one code's range with its start, for merging the ranges of several codes.
struct SeriesMatch {
  int64_t startMs = 0;
  ResourceVersion version;
};
// The ranges of several codes as one answer: latest start first, equal starts by id descending,
// each resource once, at most `limit`.
std::vector<ResourceVersion> mergeSeries(std::vector<SeriesMatch> matches, size_t limit);

}  // namespace trialbridge::store::sql
