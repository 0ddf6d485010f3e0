#pragma once
// Turns a SearchQuery into SQL over the store's tables (internal to the store). The text uses
// '?' placeholders (Dialect::sql rewrites them for PostgreSQL) and the values to bind, in order.
// The resources table is aliased `r`.
#include <cstdint>
#include <string>
#include <vector>

#include "store/search_query.h"

namespace trialbridge::store {

// A value to bind: text, integer or real.
struct SqlValue {
  enum class Kind : uint8_t { Text, Integer, Real };
  SqlValue(std::string s) : kind(Kind::Text), text(std::move(s)) {}  // NOLINT
  SqlValue(const char* s) : kind(Kind::Text), text(s) {}             // NOLINT
  SqlValue(int64_t i) : kind(Kind::Integer), integer(i) {}           // NOLINT
  SqlValue(double d) : kind(Kind::Real), real(d) {}                  // NOLINT
  Kind kind;
  std::string text;
  int64_t integer = 0;
  double real = 0;
};

struct SqlText {
  std::string text;
  std::vector<SqlValue> binds;
  // SQLite: name the per-resource index in correlated checks (INDEXED BY). Without statistics
  // its planner prefers the index with more equality terms, which for a common code means
  // scanning every row with that code.
  bool sqlite = false;
  SqlText& add(std::string_view s) {
    text += s;
    return *this;
  }
  SqlText& bind(SqlValue v) {
    binds.push_back(std::move(v));
    return *this;
  }
};

// A date condition: the target range [lo, hi) (column expressions) against [low, high).
void appendDateCondition(Prefix prefix, int64_t low, int64_t high, std::string_view lo,
                         std::string_view hi, SqlText& sql);
// " AND <condition>" for each criterion.
void appendCriteria(const SearchQuery& query, SqlText& sql);
// " ORDER BY ..." (always ends with r.res_id for a stable order).
void appendOrder(const SearchQuery& query, SqlText& sql);
// The table holding a parameter type's rows ("idx_token"...).
const char* indexTable(ParamType type);
// Escapes % _ and \ for LIKE ... ESCAPE '\'.
std::string likeEscape(std::string_view s);

}  // namespace trialbridge::store
