#include "store/kept_statements.h"

#include <algorithm>
#include <utility>

#include "store/poco_postgres.h"

namespace trialbridge::store::sql {

using Poco::Int64;
using Poco::Data::Statement;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::use;

size_t KeptRows::size() const {
  if (!text.empty()) return text.front().size();
  if (!integer.empty()) return integer.front().size();
  return 0;
}

// A kept statement with the storage its binds and extractions refer to: sized once when it is
// made and never resized, so that the references Poco holds stay valid.
struct KeptStatements::Entry {
  std::string key;
  std::vector<SqlValue::Kind> kinds;  // of the binds, in order
  std::vector<std::string> texts;
  std::vector<Int64> integers;
  std::vector<double> reals;
  KeptRows rows;
  std::unique_ptr<Statement> statement;  // last: destroyed first, before what it refers to

  // Copies the values of `binds` (of the kinds this entry was made for) into the slots.
  void assign(const std::vector<SqlValue>& binds) {
    size_t t = 0, i = 0, r = 0;
    for (const SqlValue& v : binds) {
      switch (v.kind) {
        case SqlValue::Kind::Text: texts[t++] = v.text; break;
        case SqlValue::Kind::Integer: integers[i++] = v.integer; break;
        case SqlValue::Kind::Real: reals[r++] = v.real; break;
      }
    }
  }
  void clearRows() {
    for (auto& c : rows.text) c.clear();
    for (auto& c : rows.integer) c.clear();
  }
};

namespace {

// The identity of a kept statement: its text, the kinds of its binds and of its columns.
std::string keyOf(const std::string& sql, const std::vector<SqlValue>& binds,
                  const std::vector<ColumnKind>& columns) {
  std::string key;
  key.reserve(sql.size() + binds.size() + columns.size() + 2);
  key += sql;
  key += '\0';
  for (const SqlValue& v : binds) key += static_cast<char>('0' + static_cast<int>(v.kind));
  key += '\0';
  for (ColumnKind c : columns) key += static_cast<char>('0' + static_cast<int>(c));
  return key;
}

}  // namespace

KeptStatements::KeptStatements(Poco::Data::Session& session, size_t capacity)
    : session_(session), capacity_(std::max<size_t>(capacity, 1)) {}

KeptStatements::~KeptStatements() = default;

// A statement for `sql` with slots for `binds` and `columns`, not yet executed.
std::unique_ptr<KeptStatements::Entry> KeptStatements::make(
    Poco::Data::Session& session, const std::string& sql, const std::vector<SqlValue>& binds,
    const std::vector<ColumnKind>& columns) {
  auto e = std::make_unique<Entry>();
  for (const SqlValue& v : binds) {
    e->kinds.push_back(v.kind);
    switch (v.kind) {
      case SqlValue::Kind::Text: e->texts.emplace_back(); break;
      case SqlValue::Kind::Integer: e->integers.emplace_back(); break;
      case SqlValue::Kind::Real: e->reals.emplace_back(); break;
    }
  }
  for (ColumnKind c : columns) {
    if (c == ColumnKind::Text) {
      e->rows.text.emplace_back();
    } else {
      e->rows.integer.emplace_back();
    }
  }
  // The slots are complete: from here on they are only assigned, never resized.
  e->statement = std::make_unique<Statement>(session);
  *e->statement << sql;
  size_t t = 0, i = 0, r = 0;
  for (SqlValue::Kind k : e->kinds) {
    switch (k) {
      case SqlValue::Kind::Text: e->statement->addBind(use(e->texts[t++])); break;
      case SqlValue::Kind::Integer: e->statement->addBind(use(e->integers[i++])); break;
      case SqlValue::Kind::Real: e->statement->addBind(use(e->reals[r++])); break;
    }
  }
  t = 0;
  i = 0;
  for (ColumnKind c : columns) {
    if (c == ColumnKind::Text) {
      e->statement->addExtract(into(e->rows.text[t++]));
    } else {
      e->statement->addExtract(into(e->rows.integer[i++]));
    }
  }
  return e;
}

KeptStatements::Entry& KeptStatements::find(const std::string& key, const std::string& sql,
                                            const std::vector<SqlValue>& binds,
                                            const std::vector<ColumnKind>& columns) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const std::unique_ptr<Entry>& e) { return e->key == key; });
  if (it != entries_.end()) {
    std::rotate(entries_.begin(), it, it + 1);  // most recently used first
    return *entries_.front();
  }
  if (entries_.size() >= capacity_) entries_.pop_back();  // its statement is deallocated
  std::unique_ptr<Entry> e = make(session_, sql, binds, columns);
  e->key = key;
  ++made_;
  entries_.insert(entries_.begin(), std::move(e));
  return *entries_.front();
}

KeptRows& KeptStatements::run(const std::string& sql, const std::vector<SqlValue>& binds,
                              const std::vector<ColumnKind>& columns) {
  const std::string key = keyOf(sql, binds, columns);
  Entry& e = find(key, sql, binds, columns);
  e.assign(binds);
  // Poco appends to the vectors it extracts into; each execution starts from none.
  e.clearRows();
  try {
    executeAgain(*e.statement);
  } catch (...) {
    // A statement that failed (its text refused, or its connection lost) is not kept: made anew
    // on the next run, on this connection if it is still used.
    entries_.erase(entries_.begin());
    throw;
  }
  return e.rows;
}

KeptRows runOnce(Poco::Data::Session& session, const std::string& sql,
                 const std::vector<SqlValue>& binds, const std::vector<ColumnKind>& columns) {
  std::unique_ptr<KeptStatements::Entry> e = KeptStatements::make(session, sql, binds, columns);
  e->assign(binds);
  e->statement->execute();
  e->statement.reset();  // before the rows it extracted into are moved out
  return std::move(e->rows);
}

}  // namespace trialbridge::store::sql
