#pragma once
// The versioned FHIR resource store: one interface, two backends over Poco::Data (SQLite in WAL
// mode, the embedded default, and PostgreSQL, shared by several stateless nodes).
//
// Every write makes a new version (meta.versionId, meta.lastUpdated are set by the store); reads
// see the current version, vread any version, history lists versions newest first; a delete
// writes a deletion version (soft delete: earlier versions stay readable with vread and history,
// and a later update brings the resource back). Search indexes are computed from the R4
// SearchParameter definitions (see search_parameters.h, index.h) and kept for current versions
// only. Idempotency keys and outbox rows are written in the same transaction as the change.
//
// Writes go through units of work (Store::write): a unit runs on the store's writer thread,
// inside a transaction, with a WriteContext to read and change resources. Units queued at the
// same time share one transaction commit (group commit: one fsync for many writers), each inside
// its own savepoint, so a unit that fails is rolled back alone. write() returns once the commit
// is durable (SQLite: WAL with synchronous=FULL; PostgreSQL: synchronous_commit as configured on
// the server, on by default). Units must not block: parse, validate and compute what they can
// before submitting.
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/element.h"
#include "core/metrics.h"
#include "core/result.h"
#include "store/index.h"
#include "store/search_query.h"

namespace trialbridge::store {

// What went wrong with a store operation. Data conditions (not found, version conflict) are not
// program failures, but they travel the same way so that the REST layer can map them to HTTP
// status codes (404, 410, 409, 412, 400, 500).
enum class Code : uint8_t {
  Ok,
  NotFound,            // no such resource / version / key
  Gone,                // the resource's current version is a deletion
  Conflict,            // concurrent change, or an id that is taken
  PreconditionFailed,  // If-Match version differs; a conditional operation matched several
  Invalid,             // the request itself is wrong (bad id, unsupported search)
  Internal,            // the database failed
  // The database cannot take the work now and the same request may succeed later, unchanged: it
  // cannot be reached or is restarting, or it has no room (a full disk, a file size limit).
  Unavailable,
};
std::string_view codeName(Code code);
// A failure of the database itself (Internal or Unavailable), not of the request.
inline bool isDatabaseFailure(Code code) {
  return code == Code::Internal || code == Code::Unavailable;
}

class Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(Code code, std::string message) { return Status(code, std::move(message)); }
  bool isOk() const { return code_ == Code::Ok; }
  explicit operator bool() const { return isOk(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::Ok;
  std::string message_;
};

enum class Operation : uint8_t { Create, Update, Delete };
std::string_view operationName(Operation op);  // "create", "update", "delete"

// One stored version.
struct ResourceVersion {
  std::string type;
  std::string id;
  int64_t version = 0;
  std::string lastUpdated;  // FHIR instant, UTC, milliseconds: 2025-02-03T10:11:12.345Z
  int64_t lastUpdatedMs = 0;
  Operation op = Operation::Create;
  std::string json;  // compact JSON with meta.versionId/lastUpdated; empty for a deletion
  bool deleted() const { return op == Operation::Delete; }
};

struct WriteResult {
  std::string type;
  std::string id;
  int64_t version = 0;
  std::string lastUpdated;
  bool created = false;  // no earlier version (or only a deletion: then false)
  std::string json;      // what was stored (empty for a deletion)
};

struct PutOptions {
  // The write fails with PreconditionFailed unless the current version is this one (If-Match).
  std::optional<int64_t> ifMatch;
  // Fail with Conflict when a live resource with this id exists (create with a chosen id).
  bool mustNotExist = false;
  // Index rows computed before submitting (Indexer::extract on the same document); when null
  // put() computes them on the writer thread.
  const IndexRows* index = nullptr;
  // A create prepared outside the writer by prepareCreate() (version 1 and its time stamped,
  // the JSON written): put() only inserts, and fails with Conflict if the id is taken.
  const struct PreparedCreate* prepared = nullptr;
};

struct PreparedCreate {
  std::string json;
  std::string lastUpdated;
  int64_t lastUpdatedMs = 0;
};
// Stamps meta.versionId 1 and meta.lastUpdated (now) into `doc` and writes its JSON, for a
// create whose id is new (a newId()): the serialization then happens on the caller's thread.
PreparedCreate prepareCreate(core::Document& doc);

struct IdempotencyRecord {
  std::string key;  // e.g. "hl7:SENDER:MSG00001", "http:client-1:3f2a..."
  std::string type;
  std::string id;
  int64_t version = 0;
  std::string created;  // instant (set by saveKey)
  // Free for the caller, kept with the key: what identifies the change (a digest, to tell a
  // replay from another change under the same key) and what it returned (to answer a replay).
  std::string fingerprint = {};
  std::string result = {};
};

struct OutboxMessage {
  int64_t seq = 0;  // set by the store
  std::string topic;
  std::string type;
  std::string id;
  int64_t version = 0;
  Operation op = Operation::Create;
  std::string payload;  // free text for the consumer (may be empty)
  int32_t attempts = 0;
  std::string lastError;
  std::string created = {};  // instant of the change
  int64_t dueMs = 0;         // when it is (or was) due: a claim's lease or a retry's delay
};

// Which pending outbox rows pendingOutbox() lists.
struct OutboxQuery {
  std::string topic;
  bool failingOnly = false;  // only rows that failed at least once (attempts > 0)
  size_t limit = 100;
};

// What a publisher remembers per target and resource, so that each change reaches a registry
// once (docs/registries.md, "Publishing"). Kept apart from the resources; written by
// savePublishState() as one unit.
struct PublishState {
  std::string target;  // the configured target's name
  std::string type, id;
  std::string remoteId = {};       // the registry's id of the record, or a file's name
  std::string remoteVersion = {};  // the version the registry returned last (FHIR versionId)
  std::string hash = {};           // content hash of what the registry holds from us
  // The hash of a send whose answer is not known yet (set before sending, cleared after): on a
  // retry the publisher reads the registry first, and adopts a send that landed.
  std::string pendingHash = {};
  std::string content = {};  // what was sent last (canonical JSON), for dry runs' diffs
  std::string updated = {};  // instant (set by the store)
};

// A named exclusive right held by one holder at a time, across processes on PostgreSQL (a
// session advisory lock) and within the process on both backends (SQLite is owned by one process
// already). Released when destroyed.
class StoreLease {
 public:
  virtual ~StoreLease() = default;
  // False when the right may have been lost (the PostgreSQL connection that holds it is gone):
  // the holder must stop and try again.
  virtual bool held() = 0;
};

// One record of the audit log: an append-only table, read back as AuditEvent resources (the
// service builds `json`, a complete AuditEvent with id and meta). Kept apart from the resource
// tables so that auditing every read costs one row, and so that no API write can change it.
struct AuditEntry {
  std::string id;
  int64_t recordedMs = 0;
  std::string entity;   // "Patient/1" (no version), or "" for searches
  std::string agent;    // client id
  std::string subtype;  // restful-interaction code: read, create, search-type...
  std::string action;   // C R U D E
  std::string outcome;  // 0 4 8
  std::string json;
};

struct AuditQuery {
  std::vector<std::string> ids;
  std::vector<std::string> entities;  // OR
  std::vector<std::string> agents;
  std::vector<std::string> subtypes;
  std::vector<std::string> actions;
  std::vector<std::string> outcomes;
  // Date conditions on `recorded` (AND), as [low, high) ranges with a prefix each.
  struct Date {
    Prefix prefix = Prefix::Eq;
    int64_t low = 0;
    int64_t high = 0;
  };
  std::vector<Date> dates;
  bool newestFirst = true;
  size_t count = 20;
  size_t offset = 0;
  bool summaryCount = false;
};

// What the store keeps of every HL7 v2 message it answered, keyed for deduplication: never names,
// MRNs or other content of the message, only who sent it, its control id and the answer. A
// message's receipt is written in the same unit as whatever the message produced (docs/mllp.md).
struct MessageReceipt {
  std::string key;                                // e.g. "hl7:LAB|HOSP|MSG00001"
  std::string senderApplication, senderFacility;  // MSH-3, MSH-4 as written
  std::string controlId;                          // MSH-10
  std::string messageType;                        // MSH-9 as written ("ORU^R01")
  std::string ackCode;                            // the ACK sent: AA, AE or AR
  std::string quarantineId = {};                  // when the message is in quarantine
  std::string fingerprint = {};                   // a digest of the message: a resend has the same
  std::string result = {};                        // what the unit wrote (free for the caller)
  std::string received = {};                      // instant (set by saveReceipt: the unit's time)
};

// A message that could not be processed, kept with its bytes and the reason, until someone
// retries it (after a mapping or enrolment fix) or discards it.
struct QuarantineEntry {
  std::string id;    // set by the caller (newId())
  std::string key;   // its receipt's
  std::string peer;  // the sender's network address
  std::string senderApplication, senderFacility, controlId, messageType;
  std::string ackCode;   // the ACK it got: AE or AR
  int errorCode = 0;     // HL7 table 0357 (ERR-3)
  std::string location;  // ERR-2 as text ("OBX[2]-5"), "" when the problem has no place
  std::string reason;
  std::string raw;              // the message's bytes as received
  std::string status = "open";  // open, retried (processed by a retry), discarded
  int attempts = 1;             // times it was processed (1 + retries)
  std::string received = {};    // instant of the first arrival (set on insert)
  int64_t receivedMs = 0;
  std::string updated = {};  // instant of the last change (set by the store)
};

struct QuarantineQuery {
  std::string status;  // "" all, or open, retried, discarded
  size_t limit = 100;
  size_t offset = 0;
  bool withRaw = false;  // listings leave the bytes out unless asked
};

// Inside a unit of work. Everything here sees the unit's own changes.
class WriteContext {
 public:
  virtual ~WriteContext() = default;
  // The current version (possibly a deletion) or NotFound.
  virtual Status current(std::string_view type, std::string_view id, ResourceVersion& out) = 0;
  // Ids of live resources matching `query` (at most `limit`; criteria only, no paging).
  virtual Status match(const SearchQuery& query, size_t limit, std::vector<std::string>& ids) = 0;
  // Serialises this unit with every unit, on any node, that locks the same (type, key) (the
  // caller's key, e.g. a conditional write's criteria in a canonical form: the store does not
  // interpret it): the lock is held until the transaction ends, so a unit that locks and then
  // searches sees what an earlier holder committed. PostgreSQL: pg_advisory_xact_lock on a 64-bit
  // hash of type and key (a collision only makes two units wait for each other). SQLite: nothing
  // to do, its one writer already holds the database's write lock for the whole transaction.
  // Waiting may end in a deadlock (two groups taking two keys in opposite orders): the call then
  // fails and the store runs the whole unit again, from the start, in a later transaction (its
  // savepoint rolled back, nothing of it kept; the caller sees only the final outcome). So a unit
  // takes these locks before it changes anything it would see again on a second run.
  virtual Status lockCriteria(std::string_view type, std::string_view key) = 0;
  // Stores a new version of the document's root resource, whose id must be set. Sets
  // meta.versionId and meta.lastUpdated in `doc`.
  virtual Status put(core::Document& doc, const PutOptions& options, WriteResult& out) = 0;
  // Writes a deletion version. NotFound when there is no such resource; deleting a deleted
  // resource is Ok and writes nothing (out.version is the deletion's version).
  virtual Status remove(std::string_view type, std::string_view id, const PutOptions& options,
                        WriteResult& out) = 0;
  virtual Status findKey(std::string_view key, IdempotencyRecord& out) = 0;  // or NotFound
  // Conflict when the key exists, also when a unit on another connection saved it meanwhile (a
  // PostgreSQL insert waits for that unit to finish): the caller may then replay the first result.
  virtual Status saveKey(const IdempotencyRecord& record) = 0;
  virtual Status enqueue(const OutboxMessage& message) = 0;
  // Appends audit records (in this unit's transaction).
  virtual Status audit(const std::vector<AuditEntry>& entries) = 0;
  // The time this unit's changes are stamped with.
  virtual const std::string& now() const = 0;
  // HL7 v2 receipts: the one with `key` or NotFound; save inserts it (Conflict when the key is
  // taken, also by a unit committed meanwhile on another connection: a PostgreSQL insert waits
  // for that unit to finish) or, with `replace`, overwrites it.
  virtual Status findReceipt(std::string_view key, MessageReceipt& out) = 0;
  virtual Status saveReceipt(const MessageReceipt& receipt, bool replace) = 0;
  // The quarantine: inserts the entry, or updates the one with its id (status, attempts, reason,
  // location, codes); NotFound when there is no such entry to read.
  virtual Status saveQuarantine(const QuarantineEntry& entry) = 0;
  virtual Status findQuarantine(std::string_view id, QuarantineEntry& out) = 0;
};

struct HistoryQuery {
  std::string type;                // empty: all types (system history)
  std::string id;                  // empty: all resources of `type`
  std::optional<int64_t> sinceMs;  // _since: versions at or after this instant
  size_t count = 50;
  size_t offset = 0;
};

struct HistoryResult {
  std::vector<ResourceVersion> entries;  // newest first
  int64_t total = 0;
};

struct SearchResult {
  std::vector<ResourceVersion> matches;
  std::vector<ResourceVersion> included;  // _include / _revinclude
  // Every match, or -1 when not counted (SearchQuery::countTotal false and the page full).
  int64_t total = 0;
};

// One subject's series of a coded, dated resource type, e.g. a patient's platelet counts
// (Store::series). The store keeps an index on (type, subject, code, start) for it (migration 7,
// table idx_series), written in the same transaction as each version and removed with it, so that
// the answer costs what it returns, not what the subject or the store holds. A resource is in a
// series when its type has the search parameters `subject` (reference), `code` (token) and `date`
// (date): one entry for each subject it references (by type and id) and each coding of its code
// with a code; its start is the lowest bound of its `date` ranges (a resource without a date is
// in no series).
struct SeriesQuery {
  std::string type;                                        // e.g. "Observation"
  std::string subjectType, subjectId;                      // e.g. "Patient", "1"
  std::vector<std::pair<std::string, std::string>> codes;  // (system, code): any of them
  int64_t fromMs = std::numeric_limits<int64_t>::min();    // start >= fromMs
  int64_t beforeMs = std::numeric_limits<int64_t>::max();  // start < beforeMs
  size_t limit = 100;
  // Further criteria each match must meet (its type is `type`; its sort and count are not used),
  // e.g. status:not=entered-in-error; null: none.
  const SearchQuery* filter = nullptr;
};

struct StoreStats {
  uint64_t units = 0;    // units of work run
  uint64_t commits = 0;  // transactions committed (units / commits = group size)
  uint64_t cacheHits = 0;
  uint64_t cacheMisses = 0;
  uint64_t asyncDropped = 0;    // post()ed units dropped because the queue was full
  size_t cacheEntries = 0;      // the cache of current versions now: entries
  size_t cacheBytes = 0;        // and their bytes (StoreOptions::cacheBytes)
  uint64_t walCheckpoints = 0;  // SQLite: times the write-ahead log was emptied (walRestartBytes)
  // SQLite: the bytes SQLite holds on the heap now, for every database of the process (its page
  // caches, schemas, prepared statements; bounded by sqliteHeapLimitKiB). 0 on PostgreSQL.
  uint64_t sqliteHeapBytes = 0;
};

struct StoreOptions {
  // "sqlite" (database: a file path) or "postgresql" (database: a libpq connection string,
  // e.g. "host=127.0.0.1 port=5432 dbname=trialbridge user=trialbridge").
  std::string backend = "sqlite";
  std::string database = "trialbridge.db";
  size_t readConnections = 4;
  size_t maxGroup = 512;  // units per commit at most
  // Writer threads (each with its connection) for PostgreSQL; 0: 4. SQLite always has one.
  size_t writers = 0;
  // Cache of current versions in memory; on for SQLite (one process owns the file), off for
  // PostgreSQL (other nodes write too).
  std::optional<bool> cache;
  size_t cacheEntries = 50000;
  size_t cacheBytes = size_t{64} << 20;  // and at most these bytes of versions (an estimate)
  // SQLite only. The page cache of each connection, in KiB (PRAGMA cache_size), and the soft
  // limit of all SQLite's heap memory in the process, in KiB (PRAGMA soft_heap_limit; 0: none).
  // The limit is process-wide: the store opened last sets it. Near it, SQLite reuses the pages of
  // its caches instead of allocating more, so the page caches of all connections together stay
  // about that size however many read connections are open (docs/configuration.md, "Memory").
  int64_t pageCacheKiB = 2048;
  int64_t sqliteHeapLimitKiB = 65536;
  // SQLite only. When the write-ahead log is larger than this after a commit, the writer waits
  // (up to walCheckpointWaitMillis) for the reads in progress to end, copies the log into the
  // database and empties it (PRAGMA wal_checkpoint(TRUNCATE)). SQLite's own checkpoints never
  // wait for readers, so under reads that always overlap the log grows without end.
  uint64_t walRestartBytes = uint64_t{64} << 20;
  int64_t walCheckpointWaitMillis = 1000;
  size_t asyncQueueLimit = 100000;  // post() drops beyond this (counted in stats)
  // Resource types whose every change gets an outbox row on these topics, e.g.
  // {"ResearchStudy": {"registry"}}.
  std::map<std::string, std::vector<std::string>> outboxTopics;
  // Where the search parameters come from; null: the R4 core's (SearchParameterRegistry::r4()).
  const SearchParameterRegistry* registry = nullptr;
  // When given, each commit's size (units of work in it: group commit) is observed here. It must
  // outlive the store.
  core::Histogram* commitSizes = nullptr;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual std::string_view backend() const = 0;  // "sqlite", "postgresql"
  virtual int schemaVersion() const = 0;
  // Asks the database, over a read connection, which schema version it holds (the last migration
  // applied): Ok with it, or the error when the database does not answer. For readiness checks.
  virtual Status databaseVersion(int& out) = 0;
  virtual const SearchParameterRegistry& registry() const = 0;
  virtual const core::TypeResolver& types() const = 0;
  // The outbox topics every change of `type` gets a row on, in the change's own unit
  // (StoreOptions::outboxTopics); empty for most types.
  virtual const std::vector<std::string>& outboxTopics(std::string_view type) const = 0;

  using Unit = std::function<Status(WriteContext&)>;
  // Runs `unit` in the next group commit and returns its status once the commit is durable. If
  // the unit succeeded but the commit failed, Internal.
  virtual Status write(Unit unit) = 0;
  // Queues `unit` without waiting (audit records). Failures are counted, not reported.
  virtual void post(Unit unit) = 0;
  // Waits until every unit queued so far is committed.
  virtual void flush() = 0;

  // The current version: Ok, NotFound, or Gone (with `out` holding the deletion).
  virtual Status read(std::string_view type, std::string_view id, ResourceVersion& out) = 0;
  virtual Status vread(std::string_view type, std::string_view id, int64_t version,
                       ResourceVersion& out) = 0;
  virtual Status history(const HistoryQuery& query, HistoryResult& out) = 0;
  virtual Status search(const SearchQuery& query, SearchResult& out) = 0;
  // The current versions in a series (SeriesQuery), latest start first (equal starts: id
  // descending), at most `limit`; each resource once even when several of the codes are its.
  // Cost: a range of the series index per code, read up to `limit` (plus what `filter` refuses),
  // whatever the subject's other resources and the store hold.
  virtual Status series(const SeriesQuery& query, std::vector<ResourceVersion>& out) = 0;

  // Outbox: claims up to `limit` pending messages of `topic` whose time has come, hiding them
  // from other claimers for `leaseMs`; complete() marks one done, retry() makes it due again
  // after `delayMs` with the error kept.
  virtual Status claimOutbox(std::string_view topic, size_t limit, int64_t leaseMs,
                             std::vector<OutboxMessage>& out) = 0;
  virtual Status completeOutbox(int64_t seq) = 0;
  virtual Status retryOutbox(int64_t seq, std::string_view error, int64_t delayMs) = 0;
  // Makes due now every message of `topic` that a claim is hiding (not those waiting after a
  // retry): for the one consumer of a topic (see tryExclusive) to take over, at its start, what
  // a consumer that died had claimed. `count` is how many.
  virtual Status reclaimOutbox(std::string_view topic, int64_t& count) = 0;
  // The pending (not completed) messages of a topic in order, due or not, without claiming them;
  // `total` counts all that match the query.
  virtual Status pendingOutbox(const OutboxQuery& query, std::vector<OutboxMessage>& out,
                               int64_t& total) = 0;

  // Publishing state per target and resource (NotFound when there is none); save replaces it.
  virtual Status readPublishState(std::string_view target, std::string_view type,
                                  std::string_view id, PublishState& out) = 0;
  virtual Status savePublishState(const PublishState& state) = 0;

  // Takes the exclusive right `name` if nobody holds it: `out` is set, or left null when it is
  // held elsewhere (Ok either way; Internal when the database failed).
  virtual Status tryExclusive(std::string_view name, std::unique_ptr<StoreLease>& out) = 0;

  // The audit log: one record as a stored AuditEvent (NotFound), and searches.
  virtual Status readAudit(std::string_view id, ResourceVersion& out) = 0;
  virtual Status searchAudit(const AuditQuery& query, SearchResult& out) = 0;

  // HL7 v2 receipts and the quarantine (NotFound when there is none), newest first; `total`
  // counts every entry the query matches.
  virtual Status readReceipt(std::string_view key, MessageReceipt& out) = 0;
  virtual Status readQuarantine(std::string_view id, QuarantineEntry& out) = 0;
  virtual Status listQuarantine(const QuarantineQuery& query, std::vector<QuarantineEntry>& out,
                                int64_t& total) = 0;

  virtual StoreStats stats() const = 0;
};

// Opens (creating if needed) and migrates the database. Bad options or an unreachable database
// give a message saying which.
core::Result<std::unique_ptr<Store>> openStore(const StoreOptions& options);

// A new server-assigned resource id: a UUID version 7 (time-ordered, increasing within the
// process, random in its last 62 bits).
std::string newId();
// True when `id` is a valid FHIR id ([A-Za-z0-9\-.]{1,64}).
bool isValidId(std::string_view id);
// True when `type` is a concrete resource type known to `types`.
bool isResourceType(const core::TypeResolver& types, std::string_view type);

}  // namespace trialbridge::store
