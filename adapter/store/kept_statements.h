#pragma once
// Internal to the store: the statements of one connection that are prepared once and executed
// again with new binds. Poco::Data types appear here; include it from the store's .cc files only.
//
// Why: Poco makes a PostgreSQL statement with PQprepare and PQdescribePrepared, runs it with
// PQexecPrepared and DEALLOCATEs it when the Statement is destroyed, so a statement made for one
// call costs four round trips and a plan made for it alone. A kept statement costs one round trip,
// and after its fifth execution the server may keep one generic plan and stop planning
// (plan_cache_mode auto: when the generic plan's estimated cost is not above the average of the
// custom plans'). On SQLite it saves the compilation (sqlite3_prepare).
//
// Contract: a KeptStatements belongs to one connection and is used by one thread at a time (the
// holder of the connection). Its statements die with the connection: it must be destroyed before
// the Session it was made with, and a connection the server closed is dropped with its
// KeptStatements (the store's reader pool does so), so that a new connection starts with none.
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/search_sql.h"

namespace trialbridge::store::sql {

enum class ColumnKind : uint8_t { Text, Integer };

// The rows of one execution, column by column: the text columns in `text`, the integer ones in
// `integer`, each in SELECT order among the columns of its kind. Every column has size() rows.
struct KeptRows {
  std::vector<std::vector<std::string>> text;
  std::vector<std::vector<Poco::Int64>> integer;
  size_t size() const;
};

class KeptStatements {
 public:
  // At most `capacity` (>= 1) statements are kept; past it the least recently used is dropped.
  KeptStatements(Poco::Data::Session& session, size_t capacity);
  ~KeptStatements();
  KeptStatements(const KeptStatements&) = delete;
  KeptStatements& operator=(const KeptStatements&) = delete;

  // Executes `sql` (in the dialect of the connection: placeholders as the connection wants them)
  // with `binds`, its result having `columns`, and returns its rows, valid until the next run()
  // (the caller may move values out). The statement is made on the first run of this text with
  // binds of these kinds and these columns, and kept. When the execution throws, the statement
  // is dropped (made anew on the next run) and the exception passes on.
  KeptRows& run(const std::string& sql, const std::vector<SqlValue>& binds,
                const std::vector<ColumnKind>& columns);

  size_t size() const { return entries_.size(); }
  // Statements made since construction (a run that found its statement kept makes none).
  uint64_t made() const { return made_; }

 private:
  struct Entry;
  friend KeptRows runOnce(Poco::Data::Session& session, const std::string& sql,
                          const std::vector<SqlValue>& binds,
                          const std::vector<ColumnKind>& columns);
  static std::unique_ptr<Entry> make(Poco::Data::Session& session, const std::string& sql,
                                     const std::vector<SqlValue>& binds,
                                     const std::vector<ColumnKind>& columns);
  Entry& find(const std::string& key, const std::string& sql, const std::vector<SqlValue>& binds,
              const std::vector<ColumnKind>& columns);

  Poco::Data::Session& session_;
  size_t capacity_;
  uint64_t made_ = 0;
  // Most recently used first; a handful, so a linear search.
  std::vector<std::unique_ptr<Entry>> entries_;
};

// Executes `sql` once on `session` as KeptStatements::run() would, with a statement made for this
// call alone (deallocated after it): for statements whose best plan depends on the values bound,
// which a kept statement's generic plan would not see.
KeptRows runOnce(Poco::Data::Session& session, const std::string& sql,
                 const std::vector<SqlValue>& binds, const std::vector<ColumnKind>& columns);

}  // namespace trialbridge::store::sql
