#pragma once
// The registry targets of a service (registry_config.h) and their publishers (publisher.h):
// inside `trialbridge serve` each target with an interval runs on its schedule, on a thread of
// its own, and GET [base]/$registry-status reports every target's state (docs/rest.md);
// `trialbridge registry publish` runs one target once (publishOnce).
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "service/publisher.h"
#include "service/registry_config.h"
#include "store/store.h"

namespace trialbridge::service {

struct ServiceConfig;

class Publishing {
 public:
  // A publisher per target (a bad URL or CA file is an error); nothing runs yet.
  static core::Result<std::unique_ptr<Publishing>> create(
      store::Store& store, const std::vector<RegistryTarget>& targets,
      const std::string& localBase);
  ~Publishing();

  // Starts the scheduled runs: each target with an interval runs at once, then every interval
  // after the end of its last run.
  void startSchedule();
  // Stops the schedule; a run in progress ends at its next row or wait.
  void stop();

  Publisher* find(const std::string& name) const;
  std::vector<TargetStatus> status() const;

 private:
  Publishing() = default;
  void loop(Publisher* publisher);

  std::vector<std::unique_ptr<Publisher>> publishers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

// The state of the targets as a FHIR Parameters resource (JSON): one `target` parameter each,
// with its name, kind, destination, interval, whether a run is in progress, the last run (start,
// end, outcome, counts, errors), the pending rows and the failing ones with their reasons.
std::string registryStatusParameters(const std::vector<TargetStatus>& targets);

// One run of the target `name` of `config` outside `serve`: opens the store of the configuration
// and runs (or, with `dryRun`, plans) once. An unknown target or a store that cannot be opened
// (an SQLite file in use by a running `serve`) is an error.
core::Result<PublishRun> publishOnce(const ServiceConfig& config, const std::string& name,
                                     bool dryRun);

}  // namespace trialbridge::service
