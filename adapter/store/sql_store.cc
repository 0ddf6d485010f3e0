// The SQL store over Poco::Data: SQLite (WAL) and PostgreSQL share this code; sql_dialect.h holds
// what differs.
#include <fcntl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <Poco/Data/DataException.h>
#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/PostgreSQL/PostgreSQLException.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "conformance/context.h"
#include "core/json.h"
#include "core/log.h"
#include "store/fhir_time.h"
#include "store/kept_statements.h"
#include "store/message_sql.h"
#include "store/poco_postgres.h"
#include "store/publish_sql.h"
#include "store/search_sql.h"
#include "store/series_sql.h"
#include "store/sql_dialect.h"
#include "store/store.h"

namespace trialbridge::store {

namespace {

using Poco::Int64;
using Poco::Data::Session;
using Poco::Data::Statement;
using Poco::Data::Keywords::bind;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::use;
// Poco's "execute now" manipulator (Writer has a now() of its own).

constexpr std::array<ParamType, 6> kIndexTypes = {ParamType::Token,    ParamType::String,
                                                  ParamType::Date,     ParamType::Reference,
                                                  ParamType::Quantity, ParamType::Uri};

// Whether a database failure is one to retry later, unchanged (Code::Unavailable): the database
// cannot be reached or is restarting, or has no room to write. By the connector's exception class,
// and for PostgreSQL, whose connector has one class for every failed statement, by the server's
// message (SQLSTATE 53100 disk_full, 57P01 admin_shutdown, a lost connection).
bool retryLater(const Poco::Exception& e) {
  if (dynamic_cast<const Poco::Data::SQLite::DatabaseFullException*>(&e) != nullptr ||
      dynamic_cast<const Poco::Data::SQLite::IOErrorException*>(&e) != nullptr ||
      dynamic_cast<const Poco::Data::PostgreSQL::ConnectionException*>(&e) != nullptr ||
      dynamic_cast<const Poco::Data::ConnectionFailedException*>(&e) != nullptr ||
      dynamic_cast<const Poco::Data::NotConnectedException*>(&e) != nullptr) {
    return true;
  }
  const std::string text = e.displayText();
  for (const char* sign :
       {"No space left on device", "could not extend file", "File too large", "disk is full",
        "server closed the connection", "terminating connection", "no connection to the server",
        "Connection refused", "the database system is", "could not connect"}) {
    if (text.find(sign) != std::string::npos) return true;
  }
  return false;
}

// Whether a failed insert failed on a unique key (SQLSTATE 23505; SQLite's constraint error).
bool uniqueViolation(const Poco::Exception& e) {
  if (dynamic_cast<const Poco::Data::SQLite::ConstraintViolationException*>(&e) != nullptr) {
    return true;
  }
  const std::string text = e.displayText();
  return text.find("duplicate key") != std::string::npos ||
         text.find("23505") != std::string::npos ||
         text.find("UNIQUE constraint") != std::string::npos;
}

// Whether a statement failed because PostgreSQL chose its transaction as a deadlock's victim
// (SQLSTATE 40P01): only the statement's savepoint is aborted, the transaction goes on.
bool deadlock(const Poco::Exception& e) {
  const std::string text = e.displayText();
  return text.find("40P01") != std::string::npos ||
         text.find("deadlock detected") != std::string::npos;
}

Status dbError(const std::string& what, const Poco::Exception& e) {
  return Status::error(retryLater(e) ? Code::Unavailable : Code::Internal,
                       what + ": " + e.displayText());
}

void registerConnectors() {
  static std::once_flag once;
  std::call_once(once, [] {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::PostgreSQL::Connector::registerConnector();
  });
}

std::string_view childValue(const core::Element& e, std::string_view name) {
  const core::Element* c = e.child(name);
  return c != nullptr && c->hasValue() ? c->value() : std::string_view();
}

void setChildValue(core::Document& doc, core::Element* parent, std::string_view name,
                   std::string_view value) {
  for (core::Element* c = parent->firstChild(); c != nullptr; c = c->nextSibling()) {
    if (c->name() == name) {
      doc.setValue(c, value);
      return;
    }
  }
  doc.addPrimitive(parent, name, value);
}

core::Element* childOf(core::Element* parent, std::string_view name) {
  for (core::Element* c = parent->firstChild(); c != nullptr; c = c->nextSibling()) {
    if (c->name() == name) return c;
  }
  return nullptr;
}

// Adds each value of `v` as a bind.
void bindAll(Statement& st, const std::vector<SqlValue>& binds) {
  for (const SqlValue& v : binds) {
    switch (v.kind) {
      case SqlValue::Kind::Text: st.addBind(bind(v.text)); break;
      case SqlValue::Kind::Integer: st.addBind(bind(static_cast<Int64>(v.integer))); break;
      case SqlValue::Kind::Real: st.addBind(bind(v.real)); break;
    }
  }
}

// The one integer a query such as SELECT COUNT(*) returns.
Int64 queryInteger(Session& session, const std::string& sql, const std::vector<SqlValue>& binds) {
  Statement st(session);
  st << sql;
  bindAll(st, binds);
  Int64 n = 0;
  st.addExtract(into(n));
  st.execute();
  return n;
}

// Current versions in memory (SQLite only: one process owns the file). Entries only move
// forward in version; see put() and read(). Bounded by entries and by bytes (an entry's strings
// and its bookkeeping), each shard a sixteenth of both; a version larger than a shard's bytes is
// not kept.
class Cache {
 public:
  Cache(size_t capacity, size_t maxBytes)
      : perShard_(std::max<size_t>(capacity / kShards, 16)),
        bytesPerShard_(std::max<size_t>(maxBytes / kShards, 1)) {}

  bool get(const std::string& key, ResourceVersion& out) {
    Shard& s = shard(key);
    std::lock_guard lock(s.mutex);
    auto it = s.map.find(key);
    if (it == s.map.end()) return false;
    out = *it->second;
    return true;
  }
  // Stores `v` unless the entry holds a later version already.
  void offer(const std::string& key, std::shared_ptr<const ResourceVersion> v) {
    Shard& s = shard(key);
    const size_t cost = bytesOf(key, *v);
    std::lock_guard lock(s.mutex);
    auto it = s.map.find(key);
    if (it != s.map.end()) {
      if (it->second->version > v->version) return;
      s.bytes -= bytesOf(key, *it->second);
      s.map.erase(it);
    }
    if (cost > bytesPerShard_) return;
    while (!s.map.empty() && (s.map.size() >= perShard_ || s.bytes + cost > bytesPerShard_)) {
      s.bytes -= bytesOf(s.map.begin()->first, *s.map.begin()->second);
      s.map.erase(s.map.begin());
    }
    s.bytes += cost;
    s.map.emplace(key, std::move(v));
  }
  // Entries and bytes held, all shards.
  std::pair<size_t, size_t> size() {
    std::pair<size_t, size_t> out;
    for (Shard& s : shards_) {
      std::lock_guard lock(s.mutex);
      out.first += s.map.size();
      out.second += s.bytes;
    }
    return out;
  }

 private:
  static constexpr size_t kShards = 16;
  // What an entry takes: its strings, the version object and the map's node (an estimate).
  static size_t bytesOf(const std::string& key, const ResourceVersion& v) {
    return key.size() + v.type.size() + v.id.size() + v.lastUpdated.size() + v.json.size() +
           sizeof(ResourceVersion) + 96;
  }
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, std::shared_ptr<const ResourceVersion>> map;
    size_t bytes = 0;
  };
  Shard& shard(const std::string& key) { return shards_[std::hash<std::string>{}(key) % kShards]; }
  size_t perShard_;
  size_t bytesPerShard_;
  std::array<Shard, kShards> shards_;
};

std::string cacheKey(std::string_view type, std::string_view id) {
  std::string k;
  k.reserve(type.size() + id.size() + 1);
  k += type;
  k += '/';
  k += id;
  return k;
}

// The statements a read connection keeps: the read by id, the series reads of a few shapes (the
// study context's windows and baselines), the receipt lookup.
constexpr size_t kKeptPerReader = 16;
constexpr size_t kKeptPerWriter = 4;
// Runs of a unit that lose a criteria lock to a deadlock before it is answered Unavailable.
constexpr int kDeadlockRuns = 10;

// A read connection with the statements it keeps. Destroyed whole when its connection fails or
// the server closed it, its statements with it (kept statements die with their connection).
struct Reader {
  explicit Reader(std::unique_ptr<Session> s)
      : session(std::move(s)), kept(*session, kKeptPerReader) {}
  std::unique_ptr<Session> session;
  sql::KeptStatements kept;  // after session: destroyed before it
};

class SqlStore;

// The writer thread's connection and prepared statements, bound to the members below.
class Writer final : public WriteContext {
 public:
  Writer(SqlStore& store, std::unique_ptr<Session> session);

  Status current(std::string_view type, std::string_view id, ResourceVersion& out) override;
  Status match(const SearchQuery& query, size_t limit, std::vector<std::string>& ids) override;
  Status lockCriteria(std::string_view type, std::string_view key) override;
  Status put(core::Document& doc, const PutOptions& options, WriteResult& out) override;
  Status putPrepared(const std::string& type, const std::string& id, const core::Element& root,
                     const PutOptions& options, WriteResult& out);
  Status remove(std::string_view type, std::string_view id, const PutOptions& options,
                WriteResult& out) override;
  Status findKey(std::string_view key, IdempotencyRecord& out) override;
  Status saveKey(const IdempotencyRecord& record) override;
  Status enqueue(const OutboxMessage& message) override;
  Status audit(const std::vector<AuditEntry>& entries) override;
  const std::string& now() const override { return now_; }
  Status findReceipt(std::string_view key, MessageReceipt& out) override {
    return sql::selectReceipt(kept_, dialect_, key, out);
  }
  Status saveReceipt(const MessageReceipt& receipt, bool replace) override {
    return sql::insertReceipt(*session_, dialect_, receipt, replace, now_);
  }
  Status saveQuarantine(const QuarantineEntry& entry) override {
    return sql::upsertQuarantine(*session_, dialect_, entry, now_, nowMs_);
  }
  Status findQuarantine(std::string_view id, QuarantineEntry& out) override {
    return sql::selectQuarantine(*session_, dialect_, id, out);
  }

  Session& session() { return *session_; }
  void savepoint() { executeAgain(*savepoint_); }
  void release() { executeAgain(*release_); }
  void rollbackToSavepoint() {
    executeAgain(*rollbackTo_);
    executeAgain(*release_);
  }
  void beginUnit();
  // Whether the unit that just ran lost a criteria lock to a deadlock (it is to run again).
  bool deadlocked() const { return deadlocked_; }
  std::vector<std::shared_ptr<const ResourceVersion>>& touched() { return touched_; }
  Status claim(std::string_view topic, size_t limit, int64_t leaseMs,
               std::vector<OutboxMessage>& out);

 private:
  bool loadCurrent(std::string_view type, std::string_view id);
  void writeVersion(Operation op, bool existed, const std::string& json);
  void deleteIndex();
  void insertIndex(const IndexRows& rows);
  void addOutbox(Operation op);

  SqlStore& store_;
  std::unique_ptr<Session> session_;
  // The writer's statements of other shapes kept (the receipt lookup); after session_: destroyed
  // before it.
  sql::KeptStatements kept_;
  const Dialect& dialect_;
  std::string now_;
  int64_t nowMs_ = 0;
  int64_t lastMs_ = 0;
  std::vector<std::shared_ptr<const ResourceVersion>> touched_;

  // Bound variables.
  std::string type_, id_, lastUpdated_, json_;
  Int64 version_ = 0, deleted_ = 0, luMs_ = 0, op_ = 0;
  Int64 curVersion_ = 0, curDeleted_ = 0;
  std::unique_ptr<Statement> selCurrent_, insVersion_, insResource_, updResource_;
  std::unique_ptr<Statement> savepoint_, release_, rollbackTo_, lockKey_, lockCriteria_;
  std::string lockName_, criteriaName_;
  bool deadlocked_ = false;
  std::array<std::unique_ptr<Statement>, kIndexTypes.size()> delIndex_;
  // Index rows, column by column.
  std::vector<std::string> rType_, rId_, rParam_, c1_, c2_, c3_, c4_;
  std::vector<Int64> i1_, i2_;
  std::vector<double> d1_;
  std::array<std::unique_ptr<Statement>, kIndexTypes.size()> insIndex_;
  std::unique_ptr<sql::SeriesWriter> series_;  // idx_series, kept with the index rows
  // Audit rows, column by column.
  std::vector<std::string> aId_, aEntity_, aAgent_, aSubtype_, aAction_, aOutcome_, aJson_;
  std::vector<Int64> aRecorded_;
  std::unique_ptr<Statement> insAudit_;
};

class SqlStore final : public Store {
 public:
  SqlStore(const StoreOptions& options, bool postgres)
      : options_(options),
        dialect_(postgres),
        registry_(options.registry != nullptr ? *options.registry : SearchParameterRegistry::r4()),
        types_(registry_.context()) {}

  ~SqlStore() override {
    {
      std::lock_guard lock(queueMutex_);
      stopping_ = true;
    }
    queueCv_.notify_all();
    for (auto& t : writerThreads_) {
      if (t.joinable()) t.join();
    }
    if (lockFd_ >= 0) ::close(lockFd_);
  }

  core::Status open();

  std::string_view backend() const override {
    return dialect_.postgres() ? "postgresql" : "sqlite";
  }
  int schemaVersion() const override { return schemaVersion_; }
  Status databaseVersion(int& out) override {
    return withReader([&](Reader& r) {
      Poco::Nullable<Int64> v;
      *r.session << "SELECT MAX(version) FROM schema_migrations", into(v), kNow;
      out = v.isNull() ? 0 : static_cast<int>(v.value());
      return Status::ok();
    });
  }
  const SearchParameterRegistry& registry() const override { return registry_; }
  const core::TypeResolver& types() const override { return types_; }
  const Dialect& dialect() const { return dialect_; }
  const StoreOptions& options() const { return options_; }
  const std::vector<std::string>& outboxTopics(std::string_view type) const override {
    static const std::vector<std::string> kNone;
    auto it = options_.outboxTopics.find(std::string(type));
    return it == options_.outboxTopics.end() ? kNone : it->second;
  }

  Status write(Unit unit) override {
    auto job = std::make_shared<Job>();
    job->unit = std::move(unit);
    auto future = job->done.get_future();
    {
      std::lock_guard lock(queueMutex_);
      if (stopping_) return Status::error(Code::Internal, "the store is closing");
      job->seq = nextSeq_++;
      queue_.push_back(job);
    }
    queueCv_.notify_one();
    return future.get();
  }

  void post(Unit unit) override {
    auto job = std::make_shared<Job>();
    job->unit = std::move(unit);
    job->async = true;
    {
      std::lock_guard lock(queueMutex_);
      if (stopping_ || queue_.size() >= options_.asyncQueueLimit) {
        asyncDropped_++;
        return;
      }
      job->seq = nextSeq_++;
      queue_.push_back(job);
    }
    queueCv_.notify_one();
  }

  // Waits until every unit queued before the call is done (with several writers, groups may
  // finish out of order: the watermark is the first unit not yet done).
  void flush() override {
    std::unique_lock lock(queueMutex_);
    const uint64_t target = nextSeq_;
    doneCv_.wait(lock, [&] { return watermark_ >= target; });
  }

  Status read(std::string_view type, std::string_view id, ResourceVersion& out) override;
  Status vread(std::string_view type, std::string_view id, int64_t version,
               ResourceVersion& out) override;
  Status history(const HistoryQuery& query, HistoryResult& out) override;
  Status search(const SearchQuery& query, SearchResult& out) override;
  Status series(const SeriesQuery& query, std::vector<ResourceVersion>& out) override;

  Status claimOutbox(std::string_view topic, size_t limit, int64_t leaseMs,
                     std::vector<OutboxMessage>& out) override {
    return write([&](WriteContext& ctx) {
      return static_cast<Writer&>(ctx).claim(topic, limit, leaseMs, out);
    });
  }
  Status completeOutbox(int64_t seq) override {
    return write([&](WriteContext& ctx) {
      Session& s = static_cast<Writer&>(ctx).session();
      Int64 q = seq;
      s << dialect_.sql("UPDATE outbox SET status = 1, claimed = 0 WHERE seq = ?"), use(q), kNow;
      return Status::ok();
    });
  }
  Status retryOutbox(int64_t seq, std::string_view error, int64_t delayMs) override {
    return write([&](WriteContext& ctx) {
      Session& s = static_cast<Writer&>(ctx).session();
      Int64 q = seq, due = nowMillis() + delayMs;
      std::string e(error);
      s << dialect_.sql(
          "UPDATE outbox SET due_ms = ?, attempts = attempts + 1, last_error = ?, claimed = 0 "
          "WHERE seq = ?"),
          use(due), use(e), use(q), kNow;
      return Status::ok();
    });
  }

  Status reclaimOutbox(std::string_view topic, int64_t& count) override {
    return write([&](WriteContext& ctx) {
      count = sql::reclaimClaimed(static_cast<Writer&>(ctx).session(), dialect_, topic);
      return Status::ok();
    });
  }
  Status pendingOutbox(const OutboxQuery& query, std::vector<OutboxMessage>& out,
                       int64_t& total) override {
    return withReader([&](Reader& r) {
      return sql::selectPendingOutbox(*r.session, dialect_, query, out, total);
    });
  }
  Status readPublishState(std::string_view target, std::string_view type, std::string_view id,
                          PublishState& out) override {
    return withReader([&](Reader& r) {
      return sql::selectPublishState(*r.session, dialect_, target, type, id, out);
    });
  }
  Status savePublishState(const PublishState& state) override {
    return write([&](WriteContext& ctx) {
      sql::upsertPublishState(static_cast<Writer&>(ctx).session(), dialect_, state, ctx.now());
      return Status::ok();
    });
  }
  Status tryExclusive(std::string_view name, std::unique_ptr<StoreLease>& out) override {
    return sql::takeLease(
        heldNames_, dialect_.postgres(), [this] { return connect(); }, name, out);
  }

  Status readAudit(std::string_view id, ResourceVersion& out) override {
    return withReader([&](Reader& r) {
      std::string i(id);
      std::vector<Int64> recorded;
      std::vector<std::string> json;
      *r.session << dialect_.sql("SELECT recorded_ms, json FROM audit_log WHERE id = ?"), use(i),
          into(recorded), into(json), kNow;
      if (json.empty()) return Status::error(Code::NotFound, "AuditEvent/" + i + " not found");
      out.type = "AuditEvent";
      out.id = i;
      out.version = 1;
      out.lastUpdatedMs = recorded[0];
      out.lastUpdated = formatInstant(recorded[0]);
      out.op = Operation::Create;
      out.json = std::move(json[0]);
      return Status::ok();
    });
  }

  Status searchAudit(const AuditQuery& q, SearchResult& out) override {
    return withReader([&](Reader& r) {
      SqlText where;
      where.add(" WHERE 1 = 1");
      auto in = [&](const char* column, const std::vector<std::string>& values) {
        if (values.empty()) return;
        where.add(" AND ").add(column).add(" IN (");
        for (size_t i = 0; i < values.size(); ++i) where.add(i > 0 ? ", ?" : "?").bind(values[i]);
        where.add(")");
      };
      in("id", q.ids);
      in("entity", q.entities);
      in("agent", q.agents);
      in("subtype", q.subtypes);
      in("action", q.actions);
      in("outcome", q.outcomes);
      for (const AuditQuery::Date& d : q.dates) {
        where.add(" AND ");
        appendDateCondition(d.prefix, d.low, d.high, "recorded_ms", "(recorded_ms + 1)", where);
      }
      out.total = queryInteger(
          *r.session, dialect_.sql("SELECT COUNT(*) FROM audit_log" + where.text), where.binds);
      if (q.summaryCount || out.total == 0 || q.count == 0) return Status::ok();
      SqlText page = where;
      page.add(q.newestFirst ? " ORDER BY recorded_ms DESC, seq DESC"
                             : " ORDER BY recorded_ms, seq")
          .add(" LIMIT ? OFFSET ?")
          .bind(static_cast<int64_t>(q.count))
          .bind(static_cast<int64_t>(q.offset));
      Statement st(*r.session);
      st << dialect_.sql("SELECT id, recorded_ms, json FROM audit_log" + page.text);
      bindAll(st, page.binds);
      std::vector<std::string> ids, jsons;
      std::vector<Int64> recorded;
      st.addExtract(into(ids));
      st.addExtract(into(recorded));
      st.addExtract(into(jsons));
      st.execute();
      for (size_t i = 0; i < ids.size(); ++i) {
        ResourceVersion v;
        v.type = "AuditEvent";
        v.id = std::move(ids[i]);
        v.version = 1;
        v.lastUpdatedMs = recorded[i];
        v.lastUpdated = formatInstant(recorded[i]);
        v.json = std::move(jsons[i]);
        out.matches.push_back(std::move(v));
      }
      return Status::ok();
    });
  }

  Status readReceipt(std::string_view key, MessageReceipt& out) override {
    return withReader([&](Reader& r) { return sql::selectReceipt(r.kept, dialect_, key, out); });
  }
  Status readQuarantine(std::string_view id, QuarantineEntry& out) override {
    return withReader(
        [&](Reader& r) { return sql::selectQuarantine(*r.session, dialect_, id, out); });
  }
  Status listQuarantine(const QuarantineQuery& query, std::vector<QuarantineEntry>& out,
                        int64_t& total) override {
    return withReader([&](Reader& r) {
      return sql::selectQuarantineList(*r.session, dialect_, query, out, total);
    });
  }

  StoreStats stats() const override {
    StoreStats s;
    s.units = units_.load();
    s.commits = commits_.load();
    s.cacheHits = cacheHits_.load();
    s.cacheMisses = cacheMisses_.load();
    s.asyncDropped = asyncDropped_.load();
    s.walCheckpoints = walCheckpoints_.load();
    if (cache_) std::tie(s.cacheEntries, s.cacheBytes) = cache_->size();
    if (!dialect_.postgres()) s.sqliteHeapBytes = static_cast<uint64_t>(::sqlite3_memory_used());
    return s;
  }

  // Runs a search's criteria on `session` (the writer's, inside its transaction, or a reader's).
  Status runSearch(Session& session, const SearchQuery& query, bool page, bool withJson,
                   std::vector<ResourceVersion>& rows);
  Status countSearch(Session& session, const SearchQuery& query, int64_t& total);

 private:
  struct Job {
    Unit unit;
    bool async = false;
    uint64_t seq = 0;
    int deadlocks = 0;  // runs that lost a criteria lock to a deadlock
    std::promise<Status> done;
  };

  std::unique_ptr<Session> connect();
  core::Status migrate(Session& session);
  void writerLoop(size_t index);
  void runGroup(size_t index, std::vector<std::shared_ptr<Job>>& jobs);
  // SQLite: after a commit, empties the write-ahead log when it is past walRestartBytes.
  void boundWal(Writer& writer);

  // Reader pool.
  std::unique_ptr<Reader> takeReader();
  void giveReader(std::unique_ptr<Reader> r);
  template <typename F>
  Status withReader(F&& f) {
    std::unique_ptr<Reader> r;
    try {
      r = takeReader();
    } catch (const Poco::Exception& e) {
      return dbError("cannot connect to the database", e);
    }
    Status st;
    try {
      st = f(*r);
    } catch (const Poco::Exception& e) {
      // The connection may be broken: drop it, a new one is made on demand.
      return dbError("database read failed", e);
    }
    giveReader(std::move(r));
    return st;
  }
  Status fetchCurrent(Reader& r, std::string_view type, std::string_view id, ResourceVersion& out);
  Status fetchMany(Session& s, const std::string& type, const std::vector<std::string>& ids,
                   std::vector<ResourceVersion>& out);

  StoreOptions options_;
  Dialect dialect_;
  const SearchParameterRegistry& registry_;
  const core::TypeResolver& types_;
  int schemaVersion_ = 0;
  int lockFd_ = -1;
  sql::HeldNames heldNames_;
  std::unique_ptr<Cache> cache_;
  std::atomic<uint64_t> commitSeq_{0};

  std::mutex readersMutex_;
  std::vector<std::unique_ptr<Reader>> readers_;

  std::mutex queueMutex_;
  std::condition_variable queueCv_;
  std::deque<std::shared_ptr<Job>> queue_;
  uint64_t nextSeq_ = 0;
  uint64_t watermark_ = 0;
  std::set<uint64_t> doneAhead_;  // done units past the watermark
  std::condition_variable doneCv_;
  bool stopping_ = false;
  // One writer on SQLite (it has one write lock); several on PostgreSQL, whose round trips
  // overlap (rows are locked FOR UPDATE, so concurrent units on one resource serialize).
  std::vector<std::thread> writerThreads_;
  std::vector<std::unique_ptr<Writer>> writers_;
  std::atomic<uint64_t> nextAnalyze_{1000};
  // SQLite: the log is emptied when past options_.walRestartBytes, tried again after a failure
  // no sooner than this (steady clock, ms).
  int64_t nextWalTryMs_ = 0;
  std::atomic<uint64_t> changes_{0};  // resource versions and audit rows written

  std::atomic<uint64_t> units_{0}, commits_{0}, cacheHits_{0}, cacheMisses_{0}, asyncDropped_{0};
  std::atomic<uint64_t> walCheckpoints_{0};

  friend class Writer;
};

// Test-only fault injection (tests/service/crash_test.cc): with TB_FAULT_KILL_AFTER_COMMIT=N in
// the environment, the process kills itself (SIGKILL) right after its Nth commit returned, before
// any caller learns of it: the moment between a commit and its ACK or 2xx. Unset or 0: nothing.
void faultAfterCommit(uint64_t commitNumber) {
  static const uint64_t kKillAt = [] {
    const char* v = std::getenv("TB_FAULT_KILL_AFTER_COMMIT");
    return v == nullptr ? uint64_t{0} : std::strtoull(v, nullptr, 10);
  }();
  if (kKillAt != 0 && commitNumber == kKillAt) ::kill(::getpid(), SIGKILL);
}

// ---------------------------------------------------------------------------------------------
// Opening, migrations

// The one place where SQL text holds a value that is not a bound parameter: SQLite's PRAGMAs take
// no parameters. The value is an integer (the type says so; config.cc checked its range) and the
// name a constant of the caller (tools/check_sql_binds.py allows this function only).
constexpr int64_t kBusyTimeoutMillis = 10000;

std::string integerPragma(std::string_view name, int64_t value) {
  return "PRAGMA " + std::string(name) + " = " + std::to_string(value);
}

std::unique_ptr<Session> SqlStore::connect() {
  if (dialect_.postgres()) {
    auto s = std::make_unique<Session>("PostgreSQL", options_.database);
    *s << "SET client_min_messages = warning", kNow;
    return s;
  }
  auto s = std::make_unique<Session>("SQLite", options_.database);
  *s << integerPragma("busy_timeout", kBusyTimeoutMillis), kNow;
  // FULL: in WAL mode every commit is synced before it returns (durable, not just consistent).
  *s << "PRAGMA synchronous = FULL", kNow;
  // A negative cache_size is in KiB.
  *s << integerPragma("cache_size", -options_.pageCacheKiB), kNow;
  *s << integerPragma("soft_heap_limit", options_.sqliteHeapLimitKiB * 1024), kNow;
  *s << "PRAGMA journal_size_limit = 67108864", kNow;
  // Pages changed again before the checkpoint are copied to the database once, not each time.
  *s << "PRAGMA wal_autocheckpoint = 8192", kNow;
  // Each connection maps up to 256 MiB of the file: the pages it touches count in the process's
  // RSS once per connection (file-backed, reclaimable; docs/configuration.md, "Memory").
  *s << "PRAGMA mmap_size = 268435456", kNow;
  return s;
}

core::Status SqlStore::open() {
  registerConnectors();
  if (!dialect_.postgres()) {
    // One process owns an SQLite file: the cache and the single writer rely on it.
    const std::string lockPath = options_.database + ".lock";
    lockFd_ = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lockFd_ < 0) return core::Status::error("cannot create " + lockPath);
    if (::flock(lockFd_, LOCK_EX | LOCK_NB) != 0) {
      return core::Status::error("the database " + options_.database +
                                 " is in use by another process (" + lockPath + " is locked)");
    }
  }
  if (dialect_.postgres()) {
    // Try the connection string with libpq first: its message is the clearest, and Poco's
    // session leaks the connection object when connecting fails.
    PGconn* probe = PQconnectdb(options_.database.c_str());
    if (PQstatus(probe) != CONNECTION_OK) {
      std::string why = PQerrorMessage(probe);
      while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
      PQfinish(probe);
      return core::Status::error("cannot open the postgresql database '" + options_.database +
                                 "': " + why);
    }
    PQfinish(probe);
  }
  std::unique_ptr<Session> session;
  try {
    session = connect();
    if (!dialect_.postgres()) {
      std::string mode;
      *session << "PRAGMA journal_mode = WAL", into(mode), kNow;
      if (mode != "wal") {
        return core::Status::error("SQLite refused WAL mode for " + options_.database + " (" +
                                   mode + ")");
      }
    }
  } catch (const Poco::Exception& e) {
    return core::Status::error(std::string("cannot open the ") + std::string(backend()) +
                               " database '" + options_.database + "': " + e.displayText());
  }
  if (auto st = migrate(*session); !st) return st;
  const bool cache = options_.cache.value_or(!dialect_.postgres());
  if (cache) cache_ = std::make_unique<Cache>(options_.cacheEntries, options_.cacheBytes);
  const size_t writers = dialect_.postgres() ? (options_.writers > 0 ? options_.writers : 4) : 1;
  try {
    writers_.push_back(std::make_unique<Writer>(*this, std::move(session)));
    while (writers_.size() < writers)
      writers_.push_back(std::make_unique<Writer>(*this, connect()));
  } catch (const Poco::Exception& e) {
    return core::Status::error("cannot prepare the writers' connections: " + e.displayText());
  }
  for (size_t i = 0; i < writers_.size(); ++i) {
    writerThreads_.emplace_back([this, i] { writerLoop(i); });
  }
  return core::Status::ok();
}

core::Status SqlStore::migrate(Session& s) {
  try {
    s << dialect_.ddl(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version {INT} PRIMARY KEY, "
        "name {TEXT} NOT NULL, applied {TEXT} NOT NULL)"),
        kNow;
    s << dialect_.begin(), kNow;
    try {
      // Several nodes may start at once on one PostgreSQL database: one migrates, the others
      // wait and then find nothing to do.
      if (dialect_.postgres()) s << "SELECT pg_advisory_xact_lock(727465)", kNow;
      Poco::Nullable<Int64> current;
      s << "SELECT MAX(version) FROM schema_migrations", into(current), kNow;
      int version = current.isNull() ? 0 : static_cast<int>(current.value());
      const auto& all = migrations();
      if (!all.empty() && version > all.back().version) {
        s << "ROLLBACK", kNow;
        return core::Status::error("the database schema is version " + std::to_string(version) +
                                   ", newer than this program knows (" +
                                   std::to_string(all.back().version) + ")");
      }
      for (const Migration& m : all) {
        if (m.version <= version) continue;
        for (const std::string& stmt : m.statements) s << dialect_.ddl(stmt), kNow;
        Int64 v = m.version;
        std::string name = m.name, applied = formatInstant(nowMillis());
        s << dialect_.sql(
            "INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)"),
            use(v), use(name), use(applied), kNow;
        version = m.version;
      }
      s << "COMMIT", kNow;
      schemaVersion_ = version;
    } catch (...) {
      try {
        s << "ROLLBACK", kNow;
      } catch (...) {
      }
      throw;
    }
  } catch (const Poco::Exception& e) {
    return core::Status::error("schema migration failed: " + e.displayText());
  }
  return core::Status::ok();
}

// ---------------------------------------------------------------------------------------------
// Writer

Writer::Writer(SqlStore& store, std::unique_ptr<Session> session)
    : store_(store),
      session_(std::move(session)),
      kept_(*session_, kKeptPerWriter),
      dialect_(store.dialect()) {
  Session& s = *session_;
  selCurrent_ = std::make_unique<Statement>(s);
  *selCurrent_ << dialect_.sql(
      std::string("SELECT version, deleted FROM resources WHERE res_type = "
                  "? AND res_id = ?") +
      dialect_.forUpdate()),
      use(type_), use(id_), into(curVersion_), into(curDeleted_);
  insVersion_ = std::make_unique<Statement>(s);
  *insVersion_ << dialect_.sql(
      "INSERT INTO resource_versions (res_type, res_id, version, last_updated, "
      "lu_ms, op, json) VALUES (?, ?, ?, ?, ?, ?, ?)"),
      use(type_), use(id_), use(version_), use(lastUpdated_), use(luMs_), use(op_), use(json_);
  insResource_ = std::make_unique<Statement>(s);
  *insResource_ << dialect_.sql(
      "INSERT INTO resources (res_type, res_id, version, last_updated, lu_ms, "
      "deleted) VALUES (?, ?, ?, ?, ?, ?)"),
      use(type_), use(id_), use(version_), use(lastUpdated_), use(luMs_), use(deleted_);
  updResource_ = std::make_unique<Statement>(s);
  *updResource_ << dialect_.sql(
      "UPDATE resources SET version = ?, last_updated = ?, lu_ms = ?, deleted = "
      "? WHERE res_type = ? AND res_id = ?"),
      use(version_), use(lastUpdated_), use(luMs_), use(deleted_), use(type_), use(id_);
  if (dialect_.postgres()) {
    // Several writers (and nodes): one resource's writes serialize on a transaction lock, which
    // also covers a resource that does not exist yet (FOR UPDATE locks only existing rows).
    lockKey_ = std::make_unique<Statement>(s);
    *lockKey_ << "SELECT pg_advisory_xact_lock(hashtext($1))", use(lockName_);
    // Conditional writes serialize on their criteria (lockCriteria): a 64-bit hash, computed by
    // the server so that every node agrees whatever its build.
    lockCriteria_ = std::make_unique<Statement>(s);
    *lockCriteria_ << "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", use(criteriaName_);
  }
  savepoint_ = std::make_unique<Statement>(s);
  *savepoint_ << "SAVEPOINT unit";
  release_ = std::make_unique<Statement>(s);
  *release_ << "RELEASE SAVEPOINT unit";
  rollbackTo_ = std::make_unique<Statement>(s);
  *rollbackTo_ << "ROLLBACK TO SAVEPOINT unit";
  for (size_t i = 0; i < kIndexTypes.size(); ++i) {
    delIndex_[i] = std::make_unique<Statement>(s);
    *delIndex_[i] << dialect_.sql(std::string("DELETE FROM ") + indexTable(kIndexTypes[i]) +
                                  " WHERE res_type = ? AND res_id = ?"),
        use(type_), use(id_);
  }
  series_ = std::make_unique<sql::SeriesWriter>(s, dialect_);
}

void Writer::beginUnit() {
  // Never backwards (the clock may be stepped); units in the same millisecond share it, and
  // history orders them by sequence.
  deadlocked_ = false;
  const int64_t t = std::max(nowMillis(), lastMs_);
  lastMs_ = t;
  nowMs_ = t;
  now_ = formatInstant(t);
}

bool Writer::loadCurrent(std::string_view type, std::string_view id) {
  type_ = std::string(type);
  id_ = std::string(id);
  if (lockKey_) {
    lockName_ = type_ + "/" + id_;
    executeAgain(*lockKey_);
  }
  curVersion_ = 0;
  curDeleted_ = 0;
  return executeAgain(*selCurrent_) > 0;
}

Status Writer::current(std::string_view type, std::string_view id, ResourceVersion& out) {
  if (!loadCurrent(type, id)) return Status::error(Code::NotFound, "no such resource");
  Int64 version = curVersion_, luMs = 0, op = 0;
  std::string lastUpdated, json;
  std::string t(type), i(id);
  *session_ << dialect_.sql(
      "SELECT last_updated, lu_ms, op, json FROM resource_versions WHERE res_type = ? "
      "AND res_id = ? AND version = ?"),
      use(t), use(i), use(version), into(lastUpdated), into(luMs), into(op), into(json), kNow;
  out.type = t;
  out.id = i;
  out.version = version;
  out.lastUpdated = lastUpdated;
  out.lastUpdatedMs = luMs;
  out.op = static_cast<Operation>(op);
  out.json = std::move(json);
  return Status::ok();
}

Status Writer::lockCriteria(std::string_view type, std::string_view key) {
  // SQLite: one writer, holding the write lock from BEGIN IMMEDIATE to COMMIT, already
  // serializes every unit.
  if (!lockCriteria_) return Status::ok();
  // '?' keeps these names apart from the resources' "Type/id" ones.
  criteriaName_.assign(type).append("?").append(key);
  try {
    executeAgain(*lockCriteria_);
  } catch (const Poco::Exception& e) {
    if (!deadlock(e)) throw;
    deadlocked_ = true;
    return Status::error(Code::Unavailable, "deadlock on a conditional write's lock (run again)");
  }
  return Status::ok();
}

Status Writer::match(const SearchQuery& query, size_t limit, std::vector<std::string>& ids) {
  SearchQuery q = query;
  q.sort.clear();
  q.offset = 0;
  q.count = limit;
  std::vector<ResourceVersion> rows;
  Status st = store_.runSearch(*session_, q, true, false, rows);
  for (auto& r : rows) ids.push_back(std::move(r.id));
  return st;
}

void Writer::writeVersion(Operation op, bool existed, const std::string& json) {
  lastUpdated_ = now_;
  luMs_ = nowMs_;
  op_ = static_cast<Int64>(op);
  deleted_ = op == Operation::Delete ? 1 : 0;
  json_ = json;
  executeAgain(*insVersion_);
  store_.changes_++;
  if (existed) {
    executeAgain(*updResource_);
  } else {
    executeAgain(*insResource_);
  }
}

void Writer::deleteIndex() {
  for (auto& st : delIndex_) executeAgain(*st);
  series_->remove(type_, id_);
}

void Writer::insertIndex(const IndexRows& rows) {
  auto base = [&](size_t n) {
    rType_.assign(n, type_);
    rId_.assign(n, id_);
    rParam_.clear();
    c1_.clear();
    c2_.clear();
    c3_.clear();
    c4_.clear();
    i1_.clear();
    i2_.clear();
    d1_.clear();
  };
  auto run = [&](size_t slot, const char* sql, auto&& bindColumns) {
    if (!insIndex_[slot]) {
      insIndex_[slot] = std::make_unique<Statement>(*session_);
      *insIndex_[slot] << dialect_.sql(sql), use(rType_), use(rId_), use(rParam_);
      bindColumns(*insIndex_[slot]);
    }
    executeAgain(*insIndex_[slot]);
  };
  if (!rows.tokens.empty()) {
    base(rows.tokens.size());
    for (const auto& r : rows.tokens) {
      rParam_.push_back(r.param);
      c1_.push_back(indexKey(r.system));
      c2_.push_back(indexKey(r.code));
      c3_.push_back(r.text);
    }
    run(0,
        "INSERT INTO idx_token (res_type, res_id, param, sys, code, txt) VALUES (?, ?, ?, ?, ?, ?)",
        [&](Statement& st) { st, use(c1_), use(c2_), use(c3_); });
  }
  if (!rows.strings.empty()) {
    base(rows.strings.size());
    for (const auto& r : rows.strings) {
      rParam_.push_back(r.param);
      c1_.push_back(indexKey(r.normalized));
      c2_.push_back(r.exact);
    }
    run(1, "INSERT INTO idx_string (res_type, res_id, param, norm, exact) VALUES (?, ?, ?, ?, ?)",
        [&](Statement& st) { st, use(c1_), use(c2_); });
  }
  if (!rows.dates.empty()) {
    base(rows.dates.size());
    for (const auto& r : rows.dates) {
      rParam_.push_back(r.param);
      i1_.push_back(r.low);
      i2_.push_back(r.high);
    }
    run(2, "INSERT INTO idx_date (res_type, res_id, param, lo, hi) VALUES (?, ?, ?, ?, ?)",
        [&](Statement& st) { st, use(i1_), use(i2_); });
  }
  if (!rows.references.empty()) {
    base(rows.references.size());
    for (const auto& r : rows.references) {
      rParam_.push_back(r.param);
      c1_.push_back(indexKey(r.targetType));
      c2_.push_back(indexKey(r.targetId));
      c3_.push_back(r.url);
    }
    run(3,
        "INSERT INTO idx_ref (res_type, res_id, param, target_type, target_id, url) VALUES (?, ?, "
        "?, ?, ?, ?)",
        [&](Statement& st) { st, use(c1_), use(c2_), use(c3_); });
  }
  if (!rows.numbers.empty()) {
    base(rows.numbers.size());
    for (const auto& r : rows.numbers) {
      rParam_.push_back(r.param);
      d1_.push_back(r.value);
      c1_.push_back(r.system);
      c2_.push_back(r.code);
    }
    run(4,
        "INSERT INTO idx_number (res_type, res_id, param, value, sys, code) VALUES (?, ?, ?, ?, ?, "
        "?)",
        [&](Statement& st) { st, use(d1_), use(c1_), use(c2_); });
  }
  if (!rows.uris.empty()) {
    base(rows.uris.size());
    for (const auto& r : rows.uris) {
      rParam_.push_back(r.param);
      c1_.push_back(indexKey(r.uri));
    }
    run(5, "INSERT INTO idx_uri (res_type, res_id, param, uri) VALUES (?, ?, ?, ?)",
        [&](Statement& st) { st, use(c1_); });
  }
  series_->insert(type_, id_, rows);
}

void Writer::addOutbox(Operation op) {
  for (const std::string& topic : store_.outboxTopics(type_)) {
    OutboxMessage m;
    m.topic = topic;
    m.type = type_;
    m.id = id_;
    m.version = version_;
    m.op = op;
    enqueue(m);
  }
}

Status Writer::put(core::Document& doc, const PutOptions& options, WriteResult& out) {
  core::Element* root = doc.root();
  if (root == nullptr || !root->isResource()) return Status::error(Code::Invalid, "not a resource");
  const std::string type(root->type().name);
  const std::string id(childValue(*root, "id"));
  if (!isValidId(id)) return Status::error(Code::Invalid, "invalid resource id '" + id + "'");
  if (options.prepared != nullptr) return putPrepared(type, id, *root, options, out);
  const bool existed = loadCurrent(type, id);
  const bool live = existed && curDeleted_ == 0;
  if (options.mustNotExist && live) {
    return Status::error(Code::Conflict, type + "/" + id + " exists already");
  }
  if (options.ifMatch) {
    if (!existed) {
      return Status::error(Code::PreconditionFailed,
                           "If-Match: " + type + "/" + id + " does not exist");
    }
    if (*options.ifMatch != curVersion_) {
      return Status::error(Code::PreconditionFailed, "version conflict: " + type + "/" + id +
                                                         " is at version " +
                                                         std::to_string(curVersion_) + ", not " +
                                                         std::to_string(*options.ifMatch));
    }
  }
  const int64_t version = existed ? curVersion_ + 1 : 1;
  core::Element* meta = childOf(root, "meta");
  if (meta == nullptr) meta = doc.add(root, "meta");
  const std::string versionText = std::to_string(version);
  setChildValue(doc, meta, "versionId", versionText);
  setChildValue(doc, meta, "lastUpdated", now_);
  std::string json = core::writeJson(*root);
  version_ = version;
  const Operation op = existed ? Operation::Update : Operation::Create;
  writeVersion(op, existed, json);
  if (live) deleteIndex();
  if (options.index != nullptr) {
    insertIndex(*options.index);
  } else {
    IndexRows rows;
    extractIndex(store_.registry(), *root, rows);
    insertIndex(rows);
  }
  addOutbox(op);
  auto v = std::make_shared<ResourceVersion>();
  v->type = type;
  v->id = id;
  v->version = version;
  v->lastUpdated = now_;
  v->lastUpdatedMs = nowMs_;
  v->op = op;
  v->json = json;
  touched_.push_back(v);
  out.type = type;
  out.id = id;
  out.version = version;
  out.lastUpdated = now_;
  out.created = !existed;
  out.json = std::move(json);
  return Status::ok();
}

Status Writer::putPrepared(const std::string& type, const std::string& id,
                           const core::Element& root, const PutOptions& options, WriteResult& out) {
  const PreparedCreate& p = *options.prepared;
  type_ = type;
  id_ = id;
  version_ = 1;
  lastUpdated_ = p.lastUpdated;
  luMs_ = p.lastUpdatedMs;
  op_ = static_cast<Int64>(Operation::Create);
  deleted_ = 0;
  json_ = p.json;
  try {
    // The resources row first: its primary key refuses an id that is taken.
    executeAgain(*insResource_);
  } catch (const Poco::Exception& e) {
    // Only a taken key is a conflict; a full disk or a lost connection is the database's failure
    // (a message must not be quarantined for it, a client must not be told 409).
    if (!uniqueViolation(e)) return dbError("database write failed", e);
    return Status::error(Code::Conflict, type + "/" + id + " exists already");
  }
  executeAgain(*insVersion_);
  store_.changes_++;
  if (options.index != nullptr) {
    insertIndex(*options.index);
  } else {
    IndexRows rows;
    extractIndex(store_.registry(), root, rows);
    insertIndex(rows);
  }
  addOutbox(Operation::Create);
  auto v = std::make_shared<ResourceVersion>();
  v->type = type;
  v->id = id;
  v->version = 1;
  v->lastUpdated = p.lastUpdated;
  v->lastUpdatedMs = p.lastUpdatedMs;
  v->op = Operation::Create;
  v->json = p.json;
  touched_.push_back(v);
  out.type = type;
  out.id = id;
  out.version = 1;
  out.lastUpdated = p.lastUpdated;
  out.created = true;
  out.json = p.json;
  return Status::ok();
}

Status Writer::remove(std::string_view type, std::string_view id, const PutOptions& options,
                      WriteResult& out) {
  if (!loadCurrent(type, id)) {
    return Status::error(Code::NotFound, std::string(type) + "/" + std::string(id) + " not found");
  }
  out.type = type_;
  out.id = id_;
  if (options.ifMatch && *options.ifMatch != curVersion_) {
    return Status::error(
        Code::PreconditionFailed,
        "version conflict: " + type_ + "/" + id_ + " is at version " + std::to_string(curVersion_));
  }
  if (curDeleted_ != 0) {
    out.version = curVersion_;
    return Status::ok();
  }
  version_ = curVersion_ + 1;
  writeVersion(Operation::Delete, true, std::string());
  deleteIndex();
  addOutbox(Operation::Delete);
  auto v = std::make_shared<ResourceVersion>();
  v->type = type_;
  v->id = id_;
  v->version = version_;
  v->lastUpdated = now_;
  v->lastUpdatedMs = nowMs_;
  v->op = Operation::Delete;
  touched_.push_back(v);
  out.version = version_;
  out.lastUpdated = now_;
  return Status::ok();
}

Status Writer::findKey(std::string_view key, IdempotencyRecord& out) {
  std::string k(key);
  std::vector<std::string> types, ids, created, fingerprints, results;
  std::vector<Int64> versions;
  *session_ << dialect_.sql(
      "SELECT res_type, res_id, version, created, fingerprint, result FROM idempotency_keys "
      "WHERE idem_key = ?"),
      use(k), into(types), into(ids), into(versions), into(created), into(fingerprints),
      into(results), kNow;
  if (types.empty()) return Status::error(Code::NotFound, "no such key");
  out.key = k;
  out.type = types[0];
  out.id = ids[0];
  out.version = versions[0];
  out.created = created[0];
  out.fingerprint = fingerprints[0];
  out.result = results[0];
  return Status::ok();
}

Status Writer::saveKey(const IdempotencyRecord& record) {
  IdempotencyRecord existing;
  if (findKey(record.key, existing)) {
    return Status::error(Code::Conflict, "idempotency key exists already");
  }
  std::string k = record.key, t = record.type, i = record.id, c = now_, f = record.fingerprint,
              r = record.result;
  Int64 v = record.version;
  // A unit on another connection (PostgreSQL) may hold the key uncommitted: the insert waits for
  // it, and does nothing when it committed. Then the key is taken, as if findKey had found it.
  Statement st(*session_);
  st << dialect_.sql(
      "INSERT INTO idempotency_keys (idem_key, res_type, res_id, version, created, fingerprint, "
      "result) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idem_key) DO NOTHING"),
      use(k), use(t), use(i), use(v), use(c), use(f), use(r);
  if (st.execute() == 0) return Status::error(Code::Conflict, "idempotency key exists already");
  return Status::ok();
}

Status Writer::enqueue(const OutboxMessage& m) {
  std::string topic = m.topic, type = m.type, id = m.id, payload = m.payload, created = now_, error;
  Int64 version = m.version, op = static_cast<Int64>(m.op), status = 0, attempts = 0,
        due = nowMillis();
  *session_ << dialect_.sql(
      "INSERT INTO outbox (topic, res_type, res_id, version, op, payload, created, "
      "status, attempts, due_ms, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      use(topic), use(type), use(id), use(version), use(op), use(payload), use(created),
      use(status), use(attempts), use(due), use(error), kNow;
  return Status::ok();
}

Status Writer::audit(const std::vector<AuditEntry>& entries) {
  if (entries.empty()) return Status::ok();
  aId_.clear();
  aEntity_.clear();
  aAgent_.clear();
  aSubtype_.clear();
  aAction_.clear();
  aOutcome_.clear();
  aJson_.clear();
  aRecorded_.clear();
  for (const AuditEntry& e : entries) {
    aId_.push_back(e.id);
    aRecorded_.push_back(e.recordedMs);
    aEntity_.push_back(e.entity);
    aAgent_.push_back(e.agent);
    aSubtype_.push_back(e.subtype);
    aAction_.push_back(e.action);
    aOutcome_.push_back(e.outcome);
    aJson_.push_back(e.json);
  }
  if (!insAudit_) {
    insAudit_ = std::make_unique<Statement>(*session_);
    *insAudit_ << dialect_.sql(
        "INSERT INTO audit_log (id, recorded_ms, entity, agent, subtype, action, "
        "outcome, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
        use(aId_), use(aRecorded_), use(aEntity_), use(aAgent_), use(aSubtype_), use(aAction_),
        use(aOutcome_), use(aJson_);
  }
  executeAgain(*insAudit_);
  store_.changes_ += entries.size();
  return Status::ok();
}

Status Writer::claim(std::string_view topic, size_t limit, int64_t leaseMs,
                     std::vector<OutboxMessage>& out) {
  std::string t(topic);
  Int64 nowMs = nowMillis(), lim = static_cast<Int64>(limit);
  sql::OutboxColumns c;
  *session_ << dialect_.sql(std::string("SELECT seq, res_type, res_id, version, op, payload, "
                                        "attempts, last_error, created FROM outbox WHERE topic "
                                        "= ? AND status = 0 AND due_ms <= ? ORDER BY seq LIMIT ?") +
                            dialect_.skipLocked()),
      use(t), use(nowMs), use(lim), into(c.seqs), into(c.types), into(c.ids), into(c.versions),
      into(c.ops), into(c.payloads), into(c.attempts), into(c.errors), into(c.created), kNow;
  Int64 due = nowMs + leaseMs;
  for (size_t i = 0; i < c.seqs.size(); ++i) {
    Int64 q = c.seqs[i];
    *session_ << dialect_.sql("UPDATE outbox SET due_ms = ?, claimed = 1 WHERE seq = ?"), use(due),
        use(q), kNow;
    out.push_back(c.message(i, t, due));
  }
  return Status::ok();
}

void SqlStore::boundWal(Writer& writer) {
  struct stat st {};
  const std::string wal = options_.database + "-wal";
  if (::stat(wal.c_str(), &st) != 0 ||
      static_cast<uint64_t>(st.st_size) <= options_.walRestartBytes) {
    return;
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  if (now < nextWalTryMs_) return;
  Session& s = writer.session();
  int busy = 1;
  try {
    s << integerPragma("busy_timeout", options_.walCheckpointWaitMillis), kNow;
    int logFrames = 0, copied = 0;
    s << "PRAGMA wal_checkpoint(TRUNCATE)", into(busy), into(logFrames), into(copied), kNow;
  } catch (const Poco::Exception& e) {
    core::Log::warning("store.wal", "checkpoint failed", {{"reason", e.displayText()}});
  }
  try {
    s << integerPragma("busy_timeout", kBusyTimeoutMillis), kNow;
  } catch (const Poco::Exception&) {
    // The connection is broken: the next group's BEGIN fails and a new writer is made.
  }
  walCheckpoints_ += busy == 0 ? 1 : 0;
  // Readers held it past the wait: the next try after a second, so that writes are not slowed.
  nextWalTryMs_ = busy == 0 ? 0 : now + 1000;
}

void SqlStore::writerLoop(size_t index) {
  std::vector<std::shared_ptr<Job>> jobs;
  while (true) {
    {
      std::unique_lock lock(queueMutex_);
      queueCv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      while (!queue_.empty() && jobs.size() < options_.maxGroup) {
        jobs.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    runGroup(index, jobs);
    jobs.clear();
  }
}

void SqlStore::runGroup(size_t index, std::vector<std::shared_ptr<Job>>& jobs) {
  std::vector<Status> results(jobs.size());
  // Units that lost a criteria lock to a deadlock: rolled back to their savepoints, they run
  // again in a later group, once this one has committed and released the locks the other
  // transaction waits for (running them again in this transaction would deadlock again).
  std::vector<bool> again(jobs.size(), false);
  if (postgresConnectionClosed(writers_[index]->session())) {
    // The server closed the connection while the writer was idle (PostgreSQL restarted): a new
    // one before the group, rather than failing it. If connecting fails, BEGIN fails below.
    try {
      writers_[index] = std::make_unique<Writer>(*this, connect());
    } catch (const Poco::Exception&) {
    }
  }
  Writer& w = *writers_[index];
  Session& s = w.session();
  w.touched().clear();
  bool began = false, committing = false;
  try {
    s << dialect_.begin(), kNow;
    began = true;
    for (size_t i = 0; i < jobs.size(); ++i) {
      w.savepoint();
      w.beginUnit();
      const size_t touchedBefore = w.touched().size();
      Status st;
      try {
        st = jobs[i]->unit(w);
      } catch (const Poco::Exception& e) {
        st = dbError("database write failed", e);
      } catch (const std::exception& e) {
        st = Status::error(Code::Internal, std::string("write failed: ") + e.what());
      }
      if (st) {
        w.release();
      } else {
        w.rollbackToSavepoint();
        w.touched().resize(touchedBefore);
        again[i] = w.deadlocked() && ++jobs[i]->deadlocks < kDeadlockRuns;
      }
      results[i] = std::move(st);
    }
    committing = true;
    s << "COMMIT", kNow;
    faultAfterCommit(++commits_);
    if (options_.commitSizes != nullptr) {
      options_.commitSizes->observe(static_cast<double>(jobs.size()));
    }
  } catch (const Poco::Exception& e) {
    if (began) {
      try {
        s << "ROLLBACK", kNow;
      } catch (...) {
      }
    }
    // A connection to PostgreSQL lost during COMMIT leaves its outcome unknown (the server may
    // have committed and died before answering): the answer says so, since "nothing stored" may
    // be untrue. (SQLite's failed COMMIT is rolled back.)
    const char* what = committing && dialect_.postgres() && postgresConnectionClosed(s)
                           ? "commit outcome unknown (the connection was lost during the commit; "
                             "send it again with the same Idempotency-Key or control id)"
                           : "commit failed";
    for (auto& r : results) {
      if (r) r = dbError(what, e);
    }
    w.touched().clear();
    // The connection may be gone (PostgreSQL restarted): make a new writer for the next group.
    try {
      writers_[index] = std::make_unique<Writer>(*this, connect());
    } catch (...) {
    }
  }
  units_ += jobs.size();
  const uint64_t changes = changes_.load();
  if (cache_) {
    for (const auto& v : writers_[index]->touched()) cache_->offer(cacheKey(v->type, v->id), v);
  }
  // Planner statistics once there is data (1,000 changes), then at each tenfold (PostgreSQL's
  // autovacuum does it too, but only after a while; SQLite has no statistics unless asked).
  if (uint64_t at = nextAnalyze_.load();
      changes >= at && nextAnalyze_.compare_exchange_strong(at, at * 10)) {
    try {
      writers_[index]->session() << (dialect_.postgres() ? "ANALYZE" : "PRAGMA optimize"), kNow;
    } catch (...) {
    }
  }
  commitSeq_++;
  if (!dialect_.postgres()) boundWal(*writers_[index]);
  {
    std::lock_guard lock(queueMutex_);
    for (size_t i = jobs.size(); i-- > 0;) {
      if (again[i]) queue_.push_front(jobs[i]);  // first in line, in their order
    }
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (!again[i]) doneAhead_.insert(jobs[i]->seq);
    }
    while (!doneAhead_.empty() && *doneAhead_.begin() == watermark_) {
      doneAhead_.erase(doneAhead_.begin());
      ++watermark_;
    }
  }
  doneCv_.notify_all();
  if (std::find(again.begin(), again.end(), true) != again.end()) queueCv_.notify_one();
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (!jobs[i]->async && !again[i]) jobs[i]->done.set_value(std::move(results[i]));
  }
}

// ---------------------------------------------------------------------------------------------
// Reads

std::unique_ptr<Reader> SqlStore::takeReader() {
  while (true) {
    std::unique_ptr<Reader> r;
    {
      std::lock_guard lock(readersMutex_);
      if (readers_.empty()) break;
      r = std::move(readers_.back());
      readers_.pop_back();
    }
    // A pooled connection the server closed meanwhile (PostgreSQL restarted) is dropped here
    // rather than failing the read.
    if (!postgresConnectionClosed(*r->session)) return r;
  }
  return std::make_unique<Reader>(connect());
}

void SqlStore::giveReader(std::unique_ptr<Reader> r) {
  std::lock_guard lock(readersMutex_);
  if (readers_.size() < options_.readConnections * 4) readers_.push_back(std::move(r));
}

Status SqlStore::fetchCurrent(Reader& r, std::string_view type, std::string_view id,
                              ResourceVersion& out) {
  using K = sql::ColumnKind;
  sql::KeptRows& rows = r.kept.run(
      dialect_.sql("SELECT v.version, v.last_updated, v.lu_ms, v.op, v.json FROM resources r "
                   "JOIN resource_versions v ON v.res_type = r.res_type AND v.res_id = "
                   "r.res_id AND v.version = r.version WHERE r.res_type = ? AND r.res_id = ?"),
      {SqlValue(std::string(type)), SqlValue(std::string(id))},
      {K::Integer, K::Text, K::Integer, K::Integer, K::Text});
  if (rows.size() == 0) {
    return Status::error(Code::NotFound, std::string(type) + "/" + std::string(id) + " not found");
  }
  out.type = std::string(type);
  out.id = std::string(id);
  out.version = rows.integer[0][0];
  out.lastUpdated = std::move(rows.text[0][0]);
  out.lastUpdatedMs = rows.integer[1][0];
  out.op = static_cast<Operation>(rows.integer[2][0]);
  out.json = std::move(rows.text[1][0]);
  return Status::ok();
}

Status SqlStore::read(std::string_view type, std::string_view id, ResourceVersion& out) {
  std::string key;
  uint64_t seqBefore = 0;
  if (cache_) {
    key = cacheKey(type, id);
    if (cache_->get(key, out)) {
      cacheHits_++;
      return out.deleted() ? Status::error(Code::Gone, key + " was deleted") : Status::ok();
    }
    cacheMisses_++;
    seqBefore = commitSeq_.load();
  }
  Status st = withReader([&](Reader& r) { return fetchCurrent(r, type, id, out); });
  if (!st) return st;
  // Only when no commit happened meanwhile: otherwise this may be older than the writer's entry.
  if (cache_ && commitSeq_.load() == seqBefore) {
    cache_->offer(key, std::make_shared<ResourceVersion>(out));
  }
  if (out.deleted()) return Status::error(Code::Gone, out.type + "/" + out.id + " was deleted");
  return Status::ok();
}

Status SqlStore::vread(std::string_view type, std::string_view id, int64_t version,
                       ResourceVersion& out) {
  return withReader([&](Reader& r) {
    std::string t(type), i(id);
    Int64 v = version;
    std::vector<std::string> lu, json;
    std::vector<Int64> luMs, op;
    *r.session << dialect_.sql(
        "SELECT last_updated, lu_ms, op, json FROM resource_versions WHERE res_type "
        "= ? AND res_id = ? AND version = ?"),
        use(t), use(i), use(v), into(lu), into(luMs), into(op), into(json), kNow;
    if (lu.empty()) {
      return Status::error(Code::NotFound,
                           t + "/" + i + "/_history/" + std::to_string(version) + " not found");
    }
    out.type = t;
    out.id = i;
    out.version = version;
    out.lastUpdated = lu[0];
    out.lastUpdatedMs = luMs[0];
    out.op = static_cast<Operation>(op[0]);
    out.json = std::move(json[0]);
    return out.deleted() ? Status::error(Code::Gone, "that version is a deletion") : Status::ok();
  });
}

Status SqlStore::history(const HistoryQuery& q, HistoryResult& out) {
  return withReader([&](Reader& r) {
    SqlText where;
    where.add(" WHERE 1 = 1");
    if (!q.type.empty()) where.add(" AND res_type = ?").bind(q.type);
    if (!q.id.empty()) where.add(" AND res_id = ?").bind(q.id);
    if (q.sinceMs) where.add(" AND lu_ms >= ?").bind(*q.sinceMs);
    out.total = queryInteger(*r.session,
                             dialect_.sql("SELECT COUNT(*) FROM resource_versions" + where.text),
                             where.binds);
    if (out.total == 0 || q.count == 0) return Status::ok();
    SqlText page = where;
    page.add(" ORDER BY lu_ms DESC, seq DESC LIMIT ? OFFSET ?")
        .bind(static_cast<int64_t>(q.count))
        .bind(static_cast<int64_t>(q.offset));
    Statement st(*r.session);
    st << dialect_.sql(
        "SELECT res_type, res_id, version, last_updated, lu_ms, op, json FROM resource_versions" +
        page.text);
    bindAll(st, page.binds);
    std::vector<std::string> types, ids, lus, jsons;
    std::vector<Int64> versions, luMs, ops;
    st.addExtract(into(types));
    st.addExtract(into(ids));
    st.addExtract(into(versions));
    st.addExtract(into(lus));
    st.addExtract(into(luMs));
    st.addExtract(into(ops));
    st.addExtract(into(jsons));
    st.execute();
    for (size_t i = 0; i < types.size(); ++i) {
      ResourceVersion v;
      v.type = std::move(types[i]);
      v.id = std::move(ids[i]);
      v.version = versions[i];
      v.lastUpdated = std::move(lus[i]);
      v.lastUpdatedMs = luMs[i];
      v.op = static_cast<Operation>(ops[i]);
      v.json = std::move(jsons[i]);
      out.entries.push_back(std::move(v));
    }
    return Status::ok();
  });
}

Status SqlStore::countSearch(Session& session, const SearchQuery& query, int64_t& total) {
  SqlText sql;
  sql.sqlite = !dialect_.postgres();
  sql.add("SELECT COUNT(*) FROM resources r WHERE r.res_type = ? AND r.deleted = 0")
      .bind(query.type);
  appendCriteria(query, sql);
  total = queryInteger(session, dialect_.sql(sql.text), sql.binds);
  return Status::ok();
}

Status SqlStore::runSearch(Session& session, const SearchQuery& query, bool page, bool withJson,
                           std::vector<ResourceVersion>& rows) {
  SqlText sql;
  sql.sqlite = !dialect_.postgres();
  if (withJson) {
    sql.add(
        "SELECT r.res_id, v.version, v.last_updated, v.lu_ms, v.json FROM resources r JOIN "
        "resource_versions v ON v.res_type = r.res_type AND v.res_id = r.res_id AND v.version = "
        "r.version");
  } else {
    sql.add("SELECT r.res_id, r.version, r.last_updated, r.lu_ms, '' FROM resources r");
  }
  sql.add(" WHERE r.res_type = ? AND r.deleted = 0").bind(query.type);
  appendCriteria(query, sql);
  if (page) {
    appendOrder(query, sql);
    sql.add(" LIMIT ? OFFSET ?")
        .bind(static_cast<int64_t>(query.count))
        .bind(static_cast<int64_t>(query.offset));
  }
  Statement st(session);
  st << dialect_.sql(sql.text);
  bindAll(st, sql.binds);
  std::vector<std::string> ids, lus, jsons;
  std::vector<Int64> versions, luMs;
  st.addExtract(into(ids));
  st.addExtract(into(versions));
  st.addExtract(into(lus));
  st.addExtract(into(luMs));
  st.addExtract(into(jsons));
  st.execute();
  for (size_t i = 0; i < ids.size(); ++i) {
    ResourceVersion v;
    v.type = query.type;
    v.id = std::move(ids[i]);
    v.version = versions[i];
    v.lastUpdated = std::move(lus[i]);
    v.lastUpdatedMs = luMs[i];
    v.op = v.version == 1 ? Operation::Create : Operation::Update;
    v.json = std::move(jsons[i]);
    rows.push_back(std::move(v));
  }
  return Status::ok();
}

Status SqlStore::fetchMany(Session& s, const std::string& type, const std::vector<std::string>& ids,
                           std::vector<ResourceVersion>& out) {
  constexpr size_t kChunk = 200;
  for (size_t start = 0; start < ids.size(); start += kChunk) {
    SqlText sql;
    sql.add(
           "SELECT r.res_id, v.version, v.last_updated, v.lu_ms, v.json FROM resources r JOIN "
           "resource_versions v ON v.res_type = r.res_type AND v.res_id = r.res_id AND v.version "
           "= r.version WHERE r.res_type = ? AND r.deleted = 0 AND r.res_id IN (")
        .bind(type);
    const size_t end = std::min(ids.size(), start + kChunk);
    for (size_t i = start; i < end; ++i) sql.add(i > start ? ", ?" : "?").bind(ids[i]);
    sql.add(")");
    Statement st(s);
    st << dialect_.sql(sql.text);
    bindAll(st, sql.binds);
    std::vector<std::string> rid, lus, jsons;
    std::vector<Int64> versions, luMs;
    st.addExtract(into(rid));
    st.addExtract(into(versions));
    st.addExtract(into(lus));
    st.addExtract(into(luMs));
    st.addExtract(into(jsons));
    st.execute();
    for (size_t i = 0; i < rid.size(); ++i) {
      ResourceVersion v;
      v.type = type;
      v.id = std::move(rid[i]);
      v.version = versions[i];
      v.lastUpdated = std::move(lus[i]);
      v.lastUpdatedMs = luMs[i];
      v.op = v.version == 1 ? Operation::Create : Operation::Update;
      v.json = std::move(jsons[i]);
      out.push_back(std::move(v));
    }
  }
  return Status::ok();
}

Status SqlStore::search(const SearchQuery& query, SearchResult& out) {
  if (!isResourceType(types_, query.type)) {
    return Status::error(Code::Invalid, "unknown resource type '" + query.type + "'");
  }
  return withReader([&](Reader& r) {
    Session& s = *r.session;
    if (query.summaryCount) return countSearch(s, query, out.total);
    if (Status st = runSearch(s, query, true, true, out.matches); !st) return st;
    // A page that is not full (and not past the end) gives the total without counting.
    if (out.matches.size() < query.count && (!out.matches.empty() || query.offset == 0)) {
      out.total = static_cast<int64_t>(query.offset + out.matches.size());
    } else if (!query.countTotal) {
      out.total = -1;
    } else if (Status st = countSearch(s, query, out.total); !st) {
      return st;
    }
    if (out.matches.empty()) return Status::ok();
    constexpr size_t kMaxIncluded = 1000;
    std::set<std::string> seen;
    for (const auto& m : out.matches) seen.insert(cacheKey(m.type, m.id));
    std::vector<std::string> matchIds;
    for (const auto& m : out.matches) matchIds.push_back(m.id);
    // Targets to fetch, by type.
    std::map<std::string, std::vector<std::string>> wanted;
    auto want = [&](const std::string& type, const std::string& id) {
      if (seen.size() >= kMaxIncluded + out.matches.size()) return;
      if (seen.insert(cacheKey(type, id)).second) wanted[type].push_back(id);
    };
    for (const IncludeSpec& inc : query.includes) {
      if (inc.sourceType != query.type) continue;  // :iterate beyond one level is not done
      SqlText sql;
      sql.add("SELECT target_type, target_id FROM idx_ref WHERE res_type = ? AND param = ?")
          .bind(query.type)
          .bind(inc.param->code);
      if (!inc.targetType.empty()) sql.add(" AND target_type = ?").bind(inc.targetType);
      sql.add(" AND target_id <> '' AND res_id IN (");
      for (size_t i = 0; i < matchIds.size(); ++i) sql.add(i > 0 ? ", ?" : "?").bind(matchIds[i]);
      sql.add(")");
      Statement st(s);
      st << dialect_.sql(sql.text);
      bindAll(st, sql.binds);
      std::vector<std::string> types, ids;
      st.addExtract(into(types));
      st.addExtract(into(ids));
      st.execute();
      for (size_t i = 0; i < types.size(); ++i) want(types[i], ids[i]);
    }
    for (const IncludeSpec& inc : query.revIncludes) {
      SqlText sql;
      sql.add("SELECT res_id FROM idx_ref WHERE res_type = ? AND param = ? AND target_type = ?")
          .bind(inc.sourceType)
          .bind(inc.param->code)
          .bind(query.type);
      sql.add(" AND target_id IN (");
      for (size_t i = 0; i < matchIds.size(); ++i) sql.add(i > 0 ? ", ?" : "?").bind(matchIds[i]);
      sql.add(")");
      Statement st(s);
      st << dialect_.sql(sql.text);
      bindAll(st, sql.binds);
      std::vector<std::string> ids;
      st.addExtract(into(ids));
      st.execute();
      for (const auto& id : ids) want(inc.sourceType, id);
    }
    for (const auto& [type, ids] : wanted) {
      if (Status st = fetchMany(s, type, ids, out.included); !st) return st;
    }
    return Status::ok();
  });
}

}  // namespace

std::string_view codeName(Code code) {
  switch (code) {
    case Code::Ok: return "ok";
    case Code::NotFound: return "not-found";
    case Code::Gone: return "gone";
    case Code::Conflict: return "conflict";
    case Code::PreconditionFailed: return "precondition-failed";
    case Code::Invalid: return "invalid";
    case Code::Internal: return "internal";
    case Code::Unavailable: return "unavailable";
  }
  return "internal";
}

std::string_view operationName(Operation op) {
  switch (op) {
    case Operation::Create: return "create";
    case Operation::Update: return "update";
    case Operation::Delete: return "delete";
  }
  return "update";
}

core::Result<std::unique_ptr<Store>> openStore(const StoreOptions& options) {
  bool postgres = false;
  if (options.backend == "postgresql" || options.backend == "postgres") {
    postgres = true;
  } else if (options.backend != "sqlite") {
    return core::Result<std::unique_ptr<Store>>::error("unknown store backend '" + options.backend +
                                                       "' (sqlite or postgresql)");
  }
  if (options.database.empty()) {
    return core::Result<std::unique_ptr<Store>>::error(
        postgres ? "the PostgreSQL connection string is empty" : "the SQLite file path is empty");
  }
  auto store = std::make_unique<SqlStore>(options, postgres);
  if (auto st = store->open(); !st) return core::Result<std::unique_ptr<Store>>(st);
  return core::Result<std::unique_ptr<Store>>(std::unique_ptr<Store>(std::move(store)));
}

Status SqlStore::series(const SeriesQuery& query, std::vector<ResourceVersion>& out) {
  if (!isResourceType(types_, query.type)) {
    return Status::error(Code::Invalid, "unknown resource type '" + query.type + "'");
  }
  if (query.filter != nullptr && query.filter->type != query.type) {
    return Status::error(Code::Invalid, "a series filter of another type");
  }
  if (query.limit == 0 || query.codes.empty()) return Status::ok();
  return withReader([&](Reader& r) {
    std::vector<sql::SeriesMatch> matches;
    {
      const SqlText sql = sql::seriesSelect(query, !dialect_.postgres());
      using K = sql::ColumnKind;
      const std::vector<K> columns{K::Text, K::Integer, K::Text, K::Integer, K::Text, K::Integer};
      sql::KeptRows once;
      if (query.filter != nullptr) {
        once = sql::runOnce(*r.session, dialect_.sql(sql.text), sql.binds, columns);
      }
      sql::KeptRows& rows =
          query.filter != nullptr ? once : r.kept.run(dialect_.sql(sql.text), sql.binds, columns);
      auto& ids = rows.text[0];
      auto& lus = rows.text[1];
      auto& jsons = rows.text[2];
      const auto& versions = rows.integer[0];
      const auto& luMs = rows.integer[1];
      const auto& starts = rows.integer[2];
      for (size_t i = 0; i < ids.size(); ++i) {
        sql::SeriesMatch m;
        m.startMs = starts[i];
        m.version.type = query.type;
        m.version.id = std::move(ids[i]);
        m.version.version = versions[i];
        m.version.lastUpdated = std::move(lus[i]);
        m.version.lastUpdatedMs = luMs[i];
        m.version.op = m.version.version == 1 ? Operation::Create : Operation::Update;
        m.version.json = std::move(jsons[i]);
        matches.push_back(std::move(m));
      }
    }
    out = sql::mergeSeries(std::move(matches), query.limit);
    return Status::ok();
  });
}

}  // namespace trialbridge::store
