#pragma once
// Internal to the publisher (publisher.h): the two kinds of target. A sink publishes the current
// state of one outbox row's resource and says how it went; the publisher completes or keeps the
// row. publish_fhir.cc: FHIR registry servers; publish_file.cc: registry-format files.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "service/publisher.h"
#include "service/registry_client.h"

namespace trialbridge::service {

struct SinkOutcome {
  enum class Kind : uint8_t {
    Sent,       // the registry now holds the resource's content (sent now or found there)
    Unchanged,  // it held it already: nothing sent
    Retry,      // a failure that may pass (no answer, 429, 5xx, the store): try again later
    Refused,    // the registry refused it, or it conflicts: try again much later, say why
  };
  Kind kind = Kind::Unchanged;
  std::string reason;
  std::optional<int64_t> retryAfterMs;  // Retry: the registry said when
  // Retry: the target is unreachable; the rest of the run's rows wait too.
  bool stopRun = false;

  static SinkOutcome sent() { return {Kind::Sent, {}, {}, false}; }
  static SinkOutcome unchanged() { return {Kind::Unchanged, {}, {}, false}; }
  static SinkOutcome retry(std::string why, bool stopRun = false) {
    return {Kind::Retry, std::move(why), {}, stopRun};
  }
  static SinkOutcome refused(std::string why) { return {Kind::Refused, std::move(why), {}, false}; }
  bool failed() const { return kind == Kind::Retry || kind == Kind::Refused; }
};

class PublishSink {
 public:
  virtual ~PublishSink() = default;
  // Called at the start of each run (a sink may remember what it did within a run).
  virtual void beginRun(const std::atomic<bool>* stop) = 0;
  // Records the registry received in this run (a resource published as another's dependency
  // counts here, and its own row later finds it unchanged).
  virtual size_t writes() const = 0;
  virtual SinkOutcome publish(const store::OutboxMessage& row) = 0;
  // Dry run: what publishing these rows would change (nothing is sent or saved).
  virtual void plan(const std::vector<store::OutboxMessage>& rows,
                    std::vector<PlannedChange>& out) = 0;
};

std::unique_ptr<PublishSink> makeFhirSink(store::Store& store, const RegistryTarget& target,
                                          std::unique_ptr<RegistryClient> client,
                                          std::string localBase);
std::unique_ptr<PublishSink> makeFileSink(store::Store& store, const RegistryTarget& target,
                                          std::string localBase);

// Shared by the sinks: a local reference ("Organization/x", "{localBase}/Organization/x",
// with or without _history) as type and id; false for anything else (contained, urn:, other
// servers, canonical URLs).
bool localReference(const std::string& reference, const std::string& localBase, std::string& type,
                    std::string& id);
// Sleeps `ms` in short steps, returning early (false) when `stop` is set.
bool sleepUnlessStopped(int64_t ms, const std::atomic<bool>* stop);

}  // namespace trialbridge::service
