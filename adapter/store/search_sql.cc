#include "store/search_sql.h"

#include <algorithm>

#include "store/index.h"

namespace trialbridge::store {

namespace {

// Upper bound for "starts with" as a range: the prefix followed by U+10FFFF.
constexpr std::string_view kMaxChar = "\xF4\x8F\xBF\xBF";

// A date range condition on columns lo/hi (target [lo, hi)) against the value's range.
void dateCondition(const SearchValue& v, std::string_view lo, std::string_view hi, SqlText& sql) {
  const std::string l(lo), h(hi);
  const auto eq = [&] { sql.add("(" + l + " >= ? AND " + h + " <= ?)").bind(v.low).bind(v.high); };
  switch (v.prefix) {
    case Prefix::Eq: eq(); break;
    case Prefix::Ne:
      sql.add("NOT ");
      eq();
      break;
    case Prefix::Gt: sql.add(h + " > ?").bind(v.high); break;
    case Prefix::Lt: sql.add(l + " < ?").bind(v.low); break;
    case Prefix::Ge:
      sql.add("(" + h + " > ? OR ").bind(v.high);
      eq();
      sql.add(")");
      break;
    case Prefix::Le:
      sql.add("(" + l + " < ? OR ").bind(v.low);
      eq();
      sql.add(")");
      break;
    case Prefix::Sa: sql.add(l + " >= ?").bind(v.high); break;
    case Prefix::Eb: sql.add(h + " <= ?").bind(v.low); break;
    case Prefix::Ap: sql.add("(" + l + " < ? AND " + h + " > ?)").bind(v.high).bind(v.low); break;
  }
}

void numberCondition(const SearchValue& v, SqlText& sql) {
  switch (v.prefix) {
    case Prefix::Eq:
      sql.add("(value >= ? AND value < ?)").bind(v.numberLow).bind(v.numberHigh);
      break;
    case Prefix::Ne:
      sql.add("NOT (value >= ? AND value < ?)").bind(v.numberLow).bind(v.numberHigh);
      break;
    case Prefix::Gt:
    case Prefix::Sa: sql.add("value > ?").bind(v.number); break;
    case Prefix::Lt:
    case Prefix::Eb: sql.add("value < ?").bind(v.number); break;
    case Prefix::Ge: sql.add("value >= ?").bind(v.number); break;
    case Prefix::Le: sql.add("value <= ?").bind(v.number); break;
    case Prefix::Ap: {
      const double a = v.number * 0.9, b = v.number * 1.1;
      sql.add("(value >= ? AND value <= ?)").bind(std::min(a, b)).bind(std::max(a, b));
      break;
    }
  }
}

// One alternative of a criterion, on the columns of the parameter type's table.
void alternative(ParamType type, Modifier modifier, const SearchValue& v, SqlText& sql) {
  switch (type) {
    case ParamType::Token:
      if (modifier == Modifier::Text) {
        sql.add("txt LIKE ? ESCAPE '\\'").bind("%" + likeEscape(v.text) + "%");
      } else if (!v.hasSystem) {
        sql.add("code = ?").bind(indexKey(v.code));
      } else if (v.code.empty()) {
        sql.add("sys = ?").bind(indexKey(v.system));
      } else {
        sql.add("(sys = ? AND code = ?)").bind(indexKey(v.system)).bind(indexKey(v.code));
      }
      break;
    case ParamType::String:
      if (modifier == Modifier::Exact) {
        sql.add("exact = ?").bind(v.text);
      } else if (modifier == Modifier::Contains) {
        sql.add("norm LIKE ? ESCAPE '\\'").bind("%" + likeEscape(indexKey(v.text)) + "%");
      } else if (v.text.empty()) {
        sql.add("1 = 1");
      } else {
        const std::string key = indexKey(v.text);
        sql.add("(norm >= ? AND norm < ?)").bind(key).bind(key + std::string(kMaxChar));
      }
      break;
    case ParamType::Date: dateCondition(v, "lo", "hi", sql); break;
    case ParamType::Number:
    case ParamType::Quantity:
      if (type == ParamType::Quantity && (!v.system.empty() || !v.code.empty())) {
        sql.add("(");
        numberCondition(v, sql);
        if (!v.system.empty()) sql.add(" AND sys = ?").bind(v.system);
        if (!v.code.empty()) sql.add(" AND code = ?").bind(v.code);
        sql.add(")");
      } else {
        numberCondition(v, sql);
      }
      break;
    case ParamType::Reference:
      if (!v.refId.empty() && !v.refType.empty()) {
        sql.add("(target_type = ? AND target_id = ?)")
            .bind(indexKey(v.refType))
            .bind(indexKey(v.refId));
      } else if (!v.refId.empty()) {
        sql.add("target_id = ?").bind(indexKey(v.refId));
      } else {
        sql.add("url = ?").bind(v.text);
      }
      break;
    case ParamType::Uri:
      if (modifier == Modifier::Below) {
        sql.add("uri LIKE ? ESCAPE '\\'").bind(likeEscape(indexKey(v.text)) + "%");
      } else if (modifier == Modifier::Above) {
        sql.add("SUBSTR(?, 1, LENGTH(uri)) = uri").bind(v.text);
      } else {
        sql.add("uri = ?").bind(indexKey(v.text));
      }
      break;
    default: sql.add("1 = 0"); break;
  }
}

void alternatives(ParamType type, Modifier modifier, const std::vector<SearchValue>& values,
                  SqlText& sql) {
  sql.add("(");
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) sql.add(" OR ");
    alternative(type, modifier, values[i], sql);
  }
  sql.add(")");
}

// How likely a criterion is to select few rows (lower: fewer). The most selective one drives
// the query (r.res_id IN (...), a list the planner iterates); the others are checked per
// candidate with correlated EXISTS over the (res_type, res_id, param) index.
int selectivity(const Criterion& c) {
  if (c.special == Special::Id) return 0;
  if (c.special == Special::LastUpdated) return 5;
  if (c.modifier == Modifier::Missing || c.modifier == Modifier::Not) return 9;
  if (c.chained != nullptr) return 2;
  switch (c.param->type) {
    case ParamType::Reference: return 1;
    case ParamType::Token: return c.param->code == "identifier" ? 1 : 4;
    case ParamType::String: return c.modifier == Modifier::Contains ? 6 : 2;
    default: return 3;
  }
}

// " AND EXISTS (SELECT 1 FROM table t WHERE t.res_type = r.res_type AND t.res_id = r.res_id AND
// t.param = ?" (the caller closes it), or the IN form when `driver`.
void open(SqlText& sql, const std::string& type, const char* table, const std::string& param,
          bool driver, bool negate) {
  if (driver) {
    sql.add(negate ? " AND r.res_id NOT IN (SELECT res_id FROM "
                   : " AND r.res_id IN (SELECT res_id FROM ")
        .add(table)
        .add(" WHERE res_type = ? AND param = ?")
        .bind(type)
        .bind(param);
  } else {
    sql.add(negate ? " AND NOT EXISTS (SELECT 1 FROM " : " AND EXISTS (SELECT 1 FROM ")
        .add(table)
        .add(" t");
    if (sql.sqlite) sql.add(" INDEXED BY ").add(table).add("_res");
    sql.add(" WHERE t.res_type = r.res_type AND t.res_id = r.res_id AND t.param = ?").bind(param);
  }
}

void criterion(const SearchQuery& query, const Criterion& c, SqlText& sql, bool driver) {
  if (c.special == Special::Id) {
    sql.add(" AND r.res_id IN (");
    for (size_t i = 0; i < c.values.size(); ++i)
      sql.add(i > 0 ? ", ?" : "?").bind(c.values[i].text);
    sql.add(")");
    return;
  }
  if (c.special == Special::LastUpdated) {
    sql.add(" AND (");
    for (size_t i = 0; i < c.values.size(); ++i) {
      if (i > 0) sql.add(" OR ");
      dateCondition(c.values[i], "r.lu_ms", "(r.lu_ms + 1)", sql);
    }
    sql.add(")");
    return;
  }
  const SearchParamDef& p = *c.param;
  if (c.modifier == Modifier::Missing) {
    // :missing=true,false is everything; take the first value.
    open(sql, query.type, indexTable(p.type), p.code, driver && !c.values.front().missing,
         c.values.front().missing);
    sql.add(")");
    return;
  }
  if (c.chained != nullptr) {
    open(sql, query.type, "idx_ref", p.code, driver, false);
    sql.add(" AND (target_type, target_id) IN (SELECT res_type, res_id FROM ")
        .add(indexTable(c.chained->type))
        .add(" WHERE res_type IN (");
    for (size_t i = 0; i < c.chainTypes.size(); ++i) {
      sql.add(i > 0 ? ", ?" : "?").bind(c.chainTypes[i]);
    }
    sql.add(") AND param = ? AND ").bind(c.chained->code);
    alternatives(c.chained->type, Modifier::None, c.values, sql);
    sql.add("))");
    return;
  }
  const bool negate = c.modifier == Modifier::Not;
  open(sql, query.type, indexTable(p.type), p.code, driver && !negate, negate);
  if (p.type == ParamType::Reference && !c.typeModifier.empty()) {
    sql.add(" AND target_type = ?").bind(c.typeModifier);
  }
  sql.add(" AND ");
  alternatives(p.type, c.modifier, c.values, sql);
  sql.add(")");
}

const char* sortColumn(ParamType t) {
  switch (t) {
    case ParamType::String: return "norm";
    case ParamType::Token: return "code";
    case ParamType::Number:
    case ParamType::Quantity: return "value";
    case ParamType::Uri: return "uri";
    case ParamType::Reference: return "target_id";
    default: return nullptr;
  }
}

}  // namespace

void appendDateCondition(Prefix prefix, int64_t low, int64_t high, std::string_view lo,
                         std::string_view hi, SqlText& sql) {
  SearchValue v;
  v.prefix = prefix;
  v.low = low;
  v.high = high;
  dateCondition(v, lo, hi, sql);
}

const char* indexTable(ParamType type) {
  switch (type) {
    case ParamType::Token: return "idx_token";
    case ParamType::String: return "idx_string";
    case ParamType::Date: return "idx_date";
    case ParamType::Reference: return "idx_ref";
    case ParamType::Number:
    case ParamType::Quantity: return "idx_number";
    case ParamType::Uri: return "idx_uri";
    default: return "idx_token";
  }
}

std::string likeEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

void appendCriteria(const SearchQuery& query, SqlText& sql) {
  size_t driver = query.criteria.size();
  int best = 100;
  for (size_t i = 0; i < query.criteria.size(); ++i) {
    const int score = selectivity(query.criteria[i]);
    if (score < best && score < 9) {
      best = score;
      driver = i;
    }
  }
  for (size_t i = 0; i < query.criteria.size(); ++i) {
    criterion(query, query.criteria[i], sql, i == driver);
  }
}

void appendOrder(const SearchQuery& query, SqlText& sql) {
  sql.add(" ORDER BY ");
  for (const SortKey& k : query.sort) {
    const char* dir = k.descending ? " DESC NULLS LAST, " : " ASC NULLS LAST, ";
    if (k.special == Special::Id) {
      sql.add("r.res_id").add(k.descending ? " DESC, " : " ASC, ");
    } else if (k.special == Special::LastUpdated) {
      sql.add("r.lu_ms").add(k.descending ? " DESC, " : " ASC, ");
    } else if (k.param != nullptr) {
      const char* agg = k.descending ? "MAX" : "MIN";
      const char* column = k.param->type == ParamType::Date ? (k.descending ? "hi" : "lo")
                                                            : sortColumn(k.param->type);
      if (column == nullptr) continue;
      sql.add("(SELECT ")
          .add(agg)
          .add("(s.")
          .add(column)
          .add(") FROM ")
          .add(indexTable(k.param->type))
          .add(" s");
      // The key is one resource's: SQLite would otherwise take the (res_type, param, value)
      // index for MIN/MAX and scan every value of the type per match (a cost growing with the
      // whole store, measured in bench/lab_cost_bench.cc).
      if (sql.sqlite) sql.add(" INDEXED BY ").add(indexTable(k.param->type)).add("_res");
      sql.add(" WHERE s.res_type = r.res_type AND s.res_id = r.res_id AND s.param = ?)")
          .bind(k.param->code)
          .add(dir);
    }
  }
  sql.add("r.res_id");
}

}  // namespace trialbridge::store
