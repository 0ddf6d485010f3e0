#pragma once
// The registry publisher (docs/registries.md, "Publishing"): drains one target's outbox topic
// ("registry:NAME", registry_config.h) and brings the registry in step with what the store holds.
//
// A run takes the target's exclusive lease (store::Store::tryExclusive: one publisher per target
// at a time, across nodes on PostgreSQL), takes over the rows a publisher that died had claimed
// (store::Store::reclaimOutbox), claims outbox rows in order, publishes the CURRENT
// state of each row's resource, and completes the row only once the registry has it; a failure
// keeps the row, with its reason, for a later run (after a backoff, or Retry-After). Rows are
// never dropped: a crash at any point leaves them pending, and the next run finds what already
// reached the registry through the publishing state (store::PublishState: the registry's id and
// version, the hash of the content it holds, the hash of a send whose answer was lost).
//
// A dry run sends nothing and changes nothing: for each pending row it shows, field by field,
// how the registry's record would change (the registry's current record is read for FHIR
// targets; for file targets, the last file written).
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.h"
#include "service/publish_json.h"
#include "service/registry_config.h"
#include "store/store.h"

namespace trialbridge::service {

// What a dry run found for one resource (FHIR) or study record (file).
struct PlannedChange {
  std::string resource;  // the local resource: "ResearchStudy/nct06813157"
  std::string remote;    // the registry's record ("ResearchStudy/8f2c... version 3") or the file
  std::string action;    // "create", "update", "delete" or "none"
  std::vector<FieldChange> changes;
  std::string note;  // why there is nothing to do, or what could not be read
};

struct PublishRun {
  std::string target;
  bool dryRun = false;
  std::string started, finished;  // instants
  bool busy = false;              // another publisher holds the target's lease: nothing done
  size_t rows = 0;                // outbox rows handled
  size_t sent = 0;                // records the registry received (files written), dependencies too
  size_t unchanged = 0;  // rows completed with nothing to send (the registry had the content)
  size_t failed = 0;     // rows left in the outbox for a later run
  std::vector<std::string> errors;  // "ResearchStudy/x: reason", one per failed row
  std::vector<PlannedChange> plan;  // dry run
  std::string fatal;                // a run that could not start (the store failed)
  bool ok() const { return failed == 0 && !busy && fatal.empty(); }
};

// What GET [base]/$registry-status reports for one target.
struct TargetStatus {
  std::string name;
  std::string kind;         // "fhir", "file"
  std::string destination;  // the URL or folder
  int intervalSeconds = 0;
  bool running = false;
  bool hasRun = false;
  PublishRun lastRun;
  int64_t pending = 0;                         // outbox rows not yet published
  std::vector<store::OutboxMessage> failures;  // pending rows that failed (reason, attempts)
  int64_t failing = 0;                         // how many there are in all
  std::string error;                           // the store could not be read
};

class PublishSink;

class Publisher {
 public:
  // `localBase` is the service's own FHIR base (absolute references that start with it are
  // local); may be "". The store must outlive the publisher.
  static core::Result<std::unique_ptr<Publisher>> create(store::Store& store,
                                                         const RegistryTarget& target,
                                                         std::string localBase = {});
  ~Publisher();

  // One run (see above). `stop`, when given, ends it early (between rows and during waits).
  PublishRun run(bool dryRun, const std::atomic<bool>* stop = nullptr);
  TargetStatus status() const;
  const RegistryTarget& target() const { return target_; }

 private:
  Publisher(store::Store& store, const RegistryTarget& target);
  void drain(PublishRun& r, store::StoreLease& lease, const std::atomic<bool>* stop);
  void planAll(PublishRun& r);

  store::Store& store_;
  RegistryTarget target_;
  std::unique_ptr<PublishSink> sink_;
  mutable std::mutex mutex_;  // guards last_, running_; one run at a time (runMutex_)
  std::mutex runMutex_;
  PublishRun last_;
  bool hasRun_ = false;
  bool running_ = false;
};

}  // namespace trialbridge::service
