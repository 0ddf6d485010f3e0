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

namespace trialbridge::core {
class Counter;
class Gauge;
class MetricsRegistry;
}  // namespace trialbridge::core

namespace trialbridge::service {

struct ServiceConfig;

class Publishing {
 public:
  // A publisher per target (a bad URL or CA file is an error); nothing runs yet.
  static core::Result<std::unique_ptr<Publishing>> create(
      store::Store& store, const std::vector<RegistryTarget>& targets,
      const std::string& localBase);
  ~Publishing();

  // Registers the targets' metrics in `registry` (GET /metrics; docs/rest.md#metrics), before
  // startSchedule(): trialbridge_registry_outbox_backlog{target}, the rows waiting for the
  // target (read now, then after each scheduled run), and
  // trialbridge_registry_publish_failures_total{target}, the rows that failed in a run (a row
  // counts once per run it failed in). Target names are configuration, never personal data.
  void registerMetrics(core::MetricsRegistry& registry);

  // Starts the scheduled runs: each target with an interval runs at once, then every interval
  // after the end of its last run.
  void startSchedule();
  // Stops the schedule; a run in progress ends at its next row or wait.
  void stop();

  Publisher* find(const std::string& name) const;
  std::vector<TargetStatus> status() const;

 private:
  Publishing() = default;
  // The metrics of one target (null until registerMetrics).
  struct Meters {
    core::Gauge* backlog = nullptr;
    core::Counter* failures = nullptr;
  };
  void loop(size_t index);
  // Counts `run`'s failures and sets the backlog from the store (no-op without metrics).
  void record(size_t index, const PublishRun* run);

  std::vector<std::unique_ptr<Publisher>> publishers_;
  std::vector<Meters> meters_;  // by index of publishers_
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

// The state of the targets as a FHIR Parameters resource (JSON): one `target` parameter each,
// with its name, kind, destination, interval, whether a run is in progress, the last run (start,
// end, outcome, counts, errors), the pending rows and the failing ones with their reasons.
std::string registryStatusParameters(const std::vector<TargetStatus>& targets);

// What a dry run (Publisher::run(true)) found, as a FHIR Parameters resource (JSON), for
// GET [base]/$registry-dry-run?target=NAME: `target`, `started`, `finished`, `outcome` (ok, busy,
// error), `rows` (changes waiting), `error`, then one `change` per record looked at (resource,
// remote, action, note) with one `field` part per difference (path, before, after; a side that
// is absent is left out).
std::string registryDryRunParameters(const PublishRun& run);

// One run of the target `name` of `config` outside `serve`: opens the store of the configuration
// and runs (or, with `dryRun`, plans) once. An unknown target or a store that cannot be opened
// (an SQLite file in use by a running `serve`) is an error.
core::Result<PublishRun> publishOnce(const ServiceConfig& config, const std::string& name,
                                     bool dryRun);

}  // namespace trialbridge::service
