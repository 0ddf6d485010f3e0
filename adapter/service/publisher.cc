#include "service/publisher.h"

#include <algorithm>
#include <set>

#include "service/publish_sinks.h"
#include "store/fhir_time.h"

namespace trialbridge::service {

namespace {

// Rows claimed by a run are hidden from other claimers this long (a run completes or keeps
// each before then; a crashed run's rows come back after it).
constexpr int64_t kLeaseMs = 5 * 60 * 1000;
constexpr size_t kPlanRows = 1000;  // a dry run looks at this many pending rows
constexpr size_t kStatusFailures = 20;

std::string nowInstant() { return store::formatInstant(epochMillis()); }

}  // namespace

Publisher::Publisher(store::Store& store, const RegistryTarget& target)
    : store_(store), target_(target) {}

Publisher::~Publisher() = default;

core::Result<std::unique_ptr<Publisher>> Publisher::create(store::Store& store,
                                                           const RegistryTarget& target,
                                                           std::string localBase) {
  using R = core::Result<std::unique_ptr<Publisher>>;
  std::unique_ptr<Publisher> p(new Publisher(store, target));
  if (target.kind == TargetKind::Fhir) {
    auto client = RegistryClient::create(target);
    if (!client) return R::error(client.message());
    p->sink_ = makeFhirSink(store, p->target_, std::move(client.value()), std::move(localBase));
  } else {
    p->sink_ = makeFileSink(store, p->target_, std::move(localBase));
  }
  return R(std::move(p));
}

PublishRun Publisher::run(bool dryRun, const std::atomic<bool>* stop) {
  std::lock_guard runLock(runMutex_);
  PublishRun r;
  r.target = target_.name;
  r.dryRun = dryRun;
  r.started = nowInstant();
  {
    std::lock_guard lock(mutex_);
    running_ = true;
  }
  std::unique_ptr<store::StoreLease> lease;
  if (store::Status st = store_.tryExclusive("publisher:" + target_.name, lease); !st) {
    r.fatal = st.message();
  } else if (lease == nullptr) {
    r.busy = true;
  } else {
    sink_->beginRun(stop);
    int64_t reclaimed = 0;
    if (dryRun) {
      planAll(r);
    } else if (store::Status rs = store_.reclaimOutbox(publishTopic(target_.name), reclaimed);
               !rs) {
      r.fatal = rs.message();
    } else {
      // The lease makes this run the target's one publisher: rows still claimed were claimed
      // by one that died, and are taken over now.
      drain(r, *lease, stop);
      r.sent = sink_->writes();
    }
  }
  lease.reset();
  r.finished = nowInstant();
  std::lock_guard lock(mutex_);
  running_ = false;
  if (!dryRun) {
    last_ = r;
    hasRun_ = true;
  }
  return r;
}

void Publisher::drain(PublishRun& r, store::StoreLease& lease, const std::atomic<bool>* stop) {
  std::mt19937_64 random(std::random_device{}());
  const std::string topic = publishTopic(target_.name);
  std::set<int64_t> failedThisRun;
  while (stop == nullptr || !stop->load()) {
    if (!lease.held()) {
      r.fatal = "the publisher's lease was lost (the database connection ended)";
      return;
    }
    std::vector<store::OutboxMessage> rows;
    if (store::Status st = store_.claimOutbox(topic, target_.batch, kLeaseMs, rows); !st) {
      r.fatal = st.message();
      return;
    }
    if (rows.empty()) return;
    size_t fresh = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      const store::OutboxMessage& row = rows[i];
      // A row that failed in this run and is due again already waits for the next run (its
      // claim is taken over then): one run does not spin on one failure.
      if (failedThisRun.count(row.seq) > 0) continue;
      ++fresh;
      ++r.rows;
      SinkOutcome o = sink_->publish(row);
      if (!o.failed()) {
        if (o.kind == SinkOutcome::Kind::Unchanged) ++r.unchanged;
        if (store::Status st = store_.completeOutbox(row.seq); !st) r.fatal = st.message();
        continue;
      }
      ++r.failed;
      failedThisRun.insert(row.seq);
      const std::string resource = row.type + "/" + row.id;
      r.errors.push_back(resource + ": " + o.reason);
      int64_t delay = o.kind == SinkOutcome::Kind::Refused
                          ? target_.failureDelayMillis
                          : std::max(target_.retryBaseMillis,
                                     backoffDelay(row.attempts + 1, target_.retryBaseMillis,
                                                  target_.retryMaxMillis, random));
      if (o.retryAfterMs) delay = std::max(delay, *o.retryAfterMs);
      store_.retryOutbox(row.seq, o.reason, delay);
      if (!o.stopRun) continue;
      // The target cannot be reached: the rest of this batch waits as long, untried.
      for (size_t j = i + 1; j < rows.size(); ++j) {
        store_.retryOutbox(rows[j].seq, "not tried: " + o.reason, delay);
      }
      return;
    }
    if (!r.fatal.empty() || fresh == 0) return;
  }
}

void Publisher::planAll(PublishRun& r) {
  std::vector<store::OutboxMessage> rows;
  int64_t total = 0;
  if (store::Status st =
          store_.pendingOutbox({publishTopic(target_.name), false, kPlanRows}, rows, total);
      !st) {
    r.fatal = st.message();
    return;
  }
  r.rows = rows.size();
  sink_->plan(rows, r.plan);
}

TargetStatus Publisher::status() const {
  TargetStatus s;
  s.name = target_.name;
  s.kind = target_.kind == TargetKind::Fhir ? "fhir" : "file";
  s.destination = target_.kind == TargetKind::Fhir ? target_.url : target_.directory;
  s.intervalSeconds = target_.intervalSeconds;
  {
    std::lock_guard lock(mutex_);
    s.running = running_;
    s.hasRun = hasRun_;
    s.lastRun = last_;
  }
  const std::string topic = publishTopic(target_.name);
  std::vector<store::OutboxMessage> none;
  if (store::Status st = store_.pendingOutbox({topic, false, 0}, none, s.pending); !st) {
    s.error = st.message();
    return s;
  }
  if (store::Status st =
          store_.pendingOutbox({topic, true, kStatusFailures}, s.failures, s.failing);
      !st) {
    s.error = st.message();
  }
  return s;
}

}  // namespace trialbridge::service
