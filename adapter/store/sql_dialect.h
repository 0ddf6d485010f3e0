#pragma once
// What differs between the SQLite and PostgreSQL backends: placeholders, column types, locking
// clauses, and the schema migrations (versioned, applied in order at start).
#include <string>
#include <string_view>
#include <vector>

namespace trialbridge::store {

struct Migration {
  int version;
  std::string name;
  std::vector<std::string> statements;  // with {TEXT} {INT} {SERIAL} {REAL} placeholders
};

// All migrations, oldest first. A released migration is never edited: a change is a new one.
const std::vector<Migration>& migrations();

class Dialect {
 public:
  explicit Dialect(bool postgres) : postgres_(postgres) {}
  bool postgres() const { return postgres_; }
  // Rewrites '?' placeholders to $1, $2... for PostgreSQL (outside string literals).
  std::string sql(std::string_view text) const;
  // Replaces the column-type placeholders of a migration statement.
  std::string ddl(std::string_view text) const;
  // " FOR UPDATE" on PostgreSQL (row locks for concurrent nodes), "" on SQLite (one writer).
  const char* forUpdate() const { return postgres_ ? " FOR UPDATE" : ""; }
  const char* skipLocked() const { return postgres_ ? " FOR UPDATE SKIP LOCKED" : ""; }
  // SQLite takes the write lock at BEGIN so that the transaction cannot fail to upgrade.
  const char* begin() const { return postgres_ ? "BEGIN" : "BEGIN IMMEDIATE"; }

 private:
  bool postgres_;
};

}  // namespace trialbridge::store
