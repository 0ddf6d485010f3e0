#include "service/audit.h"

#include <chrono>

#include "conformance/context.h"

namespace trialbridge::service {

AuditLog::AuditLog(store::Store& store, const AuditOptions& options)
    : store_(store),
      options_(options),
      policy_(dynamic_cast<const conformance::Context*>(&store.types()), options.extraTypes,
              options.enabled) {
  if (!options_.enabled) return;
  thread_ = std::thread([this] { run(); });
}

AuditLog::~AuditLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  spaceCv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AuditLog::record(AuditRecord r) {
  if (!options_.enabled) return;
  bool wake = false;
  {
    std::unique_lock lock(mutex_);
    if (queue_.size() >= options_.maxQueued) {
      cv_.notify_one();
      spaceCv_.wait(lock, [&] { return queue_.size() < options_.maxQueued || stopping_; });
    }
    queue_.push_back(std::move(r));
    wake = queue_.size() >= options_.batchSize;
  }
  if (wake) cv_.notify_one();
}

void AuditLog::flush() {
  if (!options_.enabled) return;
  std::unique_lock lock(mutex_);
  const uint64_t ticket = ++flushRequests_;
  cv_.notify_one();
  flushedCv_.wait(lock, [&] { return flushesDone_ >= ticket || stopping_; });
}

size_t AuditLog::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void AuditLog::run() {
  std::vector<AuditRecord> batch;
  while (true) {
    uint64_t requested = 0;
    bool stop = false;
    {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, std::chrono::milliseconds(options_.flushMillis), [&] {
        return stopping_ || queue_.size() >= options_.batchSize || flushRequests_ > flushesDone_;
      });
      const size_t n = std::min(queue_.size(), options_.maxBatch);
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      // A flush is done once everything queued before it is written.
      requested = queue_.empty() ? flushRequests_ : 0;
      stop = stopping_;
    }
    spaceCv_.notify_all();
    // Written and committed before the next batch is taken: the log keeps pace with the
    // database, and the queue's bound holds requests back when it cannot.
    if (!batch.empty()) writeBatch(batch);
    batch.clear();
    if (requested > 0) {
      std::lock_guard lock(mutex_);
      flushesDone_ = std::max(flushesDone_, requested);
    }
    flushedCv_.notify_all();
    if (stop) {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) return;
    }
  }
}

void AuditLog::writeBatch(std::vector<AuditRecord>& batch) {
  auto entries = std::make_shared<std::vector<store::AuditEntry>>();
  entries->reserve(batch.size());
  for (const AuditRecord& r : batch) entries->push_back(pipeline::auditEntry(r));
  store_.write([entries](store::WriteContext& ctx) { return ctx.audit(*entries); });
}

}  // namespace trialbridge::service
