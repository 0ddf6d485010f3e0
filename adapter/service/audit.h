#pragma once
// AuditEvent records for every read and write of subject data (the resource types of the R4
// Patient compartment, from CompartmentDefinition/patient, plus any configured). They go to the
// store's append-only audit log (one row each; the API serves them as AuditEvent resources and
// refuses to change them). A successful write's AuditEvent is stored in the same transaction as
// the write; reads, searches and failed requests are recorded asynchronously in batches (at
// most `flushMillis` behind; what is queued is written at shutdown). The records carry the
// client id, the client's network address, the interaction and the resource reference or the
// search query: never resource content.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/element.h"
#include "store/store.h"

namespace trialbridge::service {

struct AuditRecord {
  std::string interaction;  // restful-interaction code: read, vread, create, search-type...
  char action = 'R';        // C R U D E
  int httpStatus = 200;
  std::string agentId;  // client id from the token; "anonymous" without authentication
  std::string address;  // the client's network address
  std::string entityType;
  std::string entityId;
  int64_t entityVersion = 0;
  std::string query;  // searches: the query string
};

struct AuditOptions {
  bool enabled = true;
  std::vector<std::string> extraTypes;  // audited besides the Patient compartment
  int flushMillis = 200;
  size_t batchSize = 500;  // a batch is written when this many wait (or flushMillis passed)
  size_t maxBatch = 5000;  // records per database transaction at most
  // Records waiting at most; beyond, requests wait for the log to catch up (back-pressure:
  // no record is ever dropped).
  size_t maxQueued = 50000;
};

class AuditLog {
 public:
  AuditLog(store::Store& store, const AuditOptions& options);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  bool enabled() const { return options_.enabled; }
  // True when reads and writes of `type` are audited.
  bool covers(std::string_view type) const;
  // Queues a record (never blocks on the database).
  void record(AuditRecord record);
  // The audit-log row for `record`: a new id and the AuditEvent as JSON.
  store::AuditEntry entry(const AuditRecord& record) const;
  // Writes what is queued and waits for it.
  void flush();

 private:
  void run();
  void writeBatch(std::vector<AuditRecord>& batch);

  store::Store& store_;
  AuditOptions options_;
  std::set<std::string, std::less<>> types_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::condition_variable spaceCv_;
  std::deque<AuditRecord> queue_;
  bool stopping_ = false;
  uint64_t flushRequests_ = 0;
  uint64_t flushesDone_ = 0;
  std::condition_variable flushedCv_;
  std::thread thread_;
};

}  // namespace trialbridge::service
