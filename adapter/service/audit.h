#pragma once
// AuditEvent records for every read and write of subject data (the resource types of the R4
// Patient compartment, from CompartmentDefinition/patient, plus any configured: the
// pipeline's AuditPolicy). They go to the store's append-only audit log (one row each; the API
// serves them as AuditEvent resources and refuses to change them). A successful write's
// AuditEvent is stored by the pipeline in the same transaction as the write; reads, searches and
// failed requests are recorded here, asynchronously in batches (at most `flushMillis` behind;
// what is queued is written at shutdown). The records carry the client id, the client's network
// address, the interaction and the resource reference or the search query: never resource
// content.
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
#include "pipeline/audit_record.h"
#include "store/store.h"

namespace trialbridge::service {

// The record and the row it becomes are the pipeline's (pipeline/audit_record.h), which stores
// a write's row in the write's own unit.
using AuditRecord = pipeline::AuditRecord;

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
  // Which types are audited (given to the pipeline for the rows of writes).
  const pipeline::AuditPolicy& policy() const { return policy_; }
  // True when reads and writes of `type` are audited.
  bool covers(std::string_view type) const { return policy_.covers(type); }
  // Queues a record (never blocks on the database: it waits only when maxQueued records are
  // queued already).
  void record(AuditRecord record);
  // Writes what is queued and waits for it.
  void flush();
  // Records waiting to be written now (at most AuditOptions::maxQueued).
  size_t queued() const;

 private:
  void run();
  void writeBatch(std::vector<AuditRecord>& batch);

  store::Store& store_;
  AuditOptions options_;
  pipeline::AuditPolicy policy_;
  mutable std::mutex mutex_;
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
