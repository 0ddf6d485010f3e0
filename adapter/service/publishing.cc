#include "service/publishing.h"

#include "conformance/context.h"
#include "conformance/profiles_package.h"
#include "core/metrics.h"
#include "core/text.h"
#include "service/service.h"
#include "store/fhir_time.h"
#include "store/search_parameters.h"

namespace trialbridge::service {

namespace {

// Parameters, written by hand: a few value types, no RapidJSON in sight.
class ParametersWriter {
 public:
  void open(std::string_view name) {
    comma();
    out_ += "{\"name\":";
    core::appendJsonString(out_, name);
    out_ += ",\"part\":[";
    first_ = true;
  }
  void close() {
    out_ += "]}";
    first_ = false;
  }
  void value(std::string_view name, std::string_view type, std::string_view v, bool quoted = true) {
    comma();
    out_ += "{\"name\":";
    core::appendJsonString(out_, name);
    out_ += ",\"value" + std::string(type) + "\":";
    if (quoted) {
      core::appendJsonString(out_, v);
    } else {
      out_ += v;
    }
    out_ += '}';
  }
  void text(std::string_view name, std::string_view v) {
    if (!v.empty()) value(name, "String", v);
  }
  void integer(std::string_view name, int64_t v) {
    value(name, "Integer", std::to_string(std::min<int64_t>(v, 2147483647)), false);
  }
  void flag(std::string_view name, bool v) { value(name, "Boolean", v ? "true" : "false", false); }
  void instant(std::string_view name, std::string_view v) {
    if (!v.empty()) value(name, "Instant", v);
  }
  std::string done() { return R"({"resourceType":"Parameters","parameter":[)" + out_ + "]}"; }

 private:
  void comma() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  std::string out_;
  bool first_ = true;
};

void writeRun(ParametersWriter& w, const PublishRun& r) {
  w.open("lastRun");
  w.instant("started", r.started);
  w.instant("finished", r.finished);
  w.value("outcome", "Code",
          r.busy ? "busy" : (!r.fatal.empty() ? "error" : (r.failed > 0 ? "failures" : "ok")));
  w.integer("rows", static_cast<int64_t>(r.rows));
  w.integer("sent", static_cast<int64_t>(r.sent));
  w.integer("unchanged", static_cast<int64_t>(r.unchanged));
  w.integer("failed", static_cast<int64_t>(r.failed));
  if (r.busy) w.text("note", "another publisher (node) holds this target's lease");
  w.text("error", r.fatal);
  for (const std::string& e : r.errors) w.text("failure", e);
  w.close();
}

}  // namespace

core::Result<std::unique_ptr<Publishing>> Publishing::create(
    store::Store& store, const std::vector<RegistryTarget>& targets, const std::string& localBase) {
  using R = core::Result<std::unique_ptr<Publishing>>;
  std::unique_ptr<Publishing> p(new Publishing());
  for (const RegistryTarget& t : targets) {
    auto publisher = Publisher::create(store, t, localBase);
    if (!publisher) return R::error(publisher.message());
    p->publishers_.push_back(std::move(publisher.value()));
  }
  p->meters_.resize(p->publishers_.size());
  return R(std::move(p));
}

Publishing::~Publishing() { stop(); }

void Publishing::registerMetrics(core::MetricsRegistry& registry) {
  core::MetricFamily& backlog = registry.gauge(
      "trialbridge_registry_outbox_backlog",
      "outbox rows waiting to be published to the registry target (after its last run)",
      {"target"});
  core::MetricFamily& failures = registry.counter(
      "trialbridge_registry_publish_failures_total",
      "outbox rows whose publication to the registry target failed in a run (once per run)",
      {"target"});
  for (size_t i = 0; i < publishers_.size(); ++i) {
    const std::string& name = publishers_[i]->target().name;
    meters_[i].backlog = &backlog.gauge({name});
    meters_[i].failures = &failures.counter({name});
    record(i, nullptr);
  }
}

void Publishing::record(size_t index, const PublishRun* run) {
  const Meters& m = meters_[index];
  if (m.backlog == nullptr) return;
  if (run != nullptr) m.failures->inc(run->failed);
  const TargetStatus s = publishers_[index]->status();
  if (s.error.empty()) m.backlog->set(static_cast<double>(s.pending));
}

void Publishing::startSchedule() {
  for (size_t i = 0; i < publishers_.size(); ++i) {
    if (publishers_[i]->target().intervalSeconds > 0) {
      threads_.emplace_back([this, i] { loop(i); });
    }
  }
}

void Publishing::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void Publishing::loop(size_t index) {
  Publisher* publisher = publishers_[index].get();
  const auto interval = std::chrono::seconds(publisher->target().intervalSeconds);
  while (!stopping_.load()) {
    const PublishRun run = publisher->run(false, &stopping_);
    record(index, &run);
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, interval, [&] { return stopping_.load(); });
  }
}

Publisher* Publishing::find(const std::string& name) const {
  for (const auto& p : publishers_) {
    if (p->target().name == name) return p.get();
  }
  return nullptr;
}

std::vector<TargetStatus> Publishing::status() const {
  std::vector<TargetStatus> out;
  for (const auto& p : publishers_) out.push_back(p->status());
  return out;
}

std::string registryStatusParameters(const std::vector<TargetStatus>& targets) {
  ParametersWriter w;
  for (const TargetStatus& t : targets) {
    w.open("target");
    w.text("name", t.name);
    w.value("kind", "Code", t.kind);
    w.text("destination", t.destination);
    w.integer("intervalSeconds", t.intervalSeconds);
    w.flag("running", t.running);
    if (t.hasRun) writeRun(w, t.lastRun);
    w.text("error", t.error);
    w.integer("pending", t.pending);
    w.integer("failing", t.failing);
    for (const store::OutboxMessage& m : t.failures) {
      w.open("failure");
      w.text("resource", m.type + "/" + m.id);
      w.integer("version", m.version);
      w.integer("attempts", m.attempts);
      w.text("reason", m.lastError);
      w.instant("changed", m.created);
      w.instant("nextAttempt", store::formatInstant(m.dueMs));
      w.close();
    }
    w.close();
  }
  return w.done();
}

std::string registryDryRunParameters(const PublishRun& r) {
  ParametersWriter w;
  w.text("target", r.target);
  w.instant("started", r.started);
  w.instant("finished", r.finished);
  w.value("outcome", "Code", r.busy ? "busy" : (!r.fatal.empty() ? "error" : "ok"));
  w.text("error", r.fatal);
  w.integer("rows", static_cast<int64_t>(r.rows));
  for (const PlannedChange& c : r.plan) {
    w.open("change");
    w.text("resource", c.resource);
    w.text("remote", c.remote);
    w.value("action", "Code", c.action);
    w.text("note", c.note);
    for (const FieldChange& f : c.changes) {
      w.open("field");
      w.text("path", f.path);
      w.text("before", f.before);
      w.text("after", f.after);
      w.close();
    }
    w.close();
  }
  return w.done();
}

core::Result<PublishRun> publishOnce(const ServiceConfig& config, const std::string& name,
                                     bool dryRun) {
  using R = core::Result<PublishRun>;
  const RegistryTarget* target = nullptr;
  for (const RegistryTarget& t : config.registries) {
    if (t.name == name) target = &t;
  }
  if (target == nullptr) {
    std::string known;
    for (const RegistryTarget& t : config.registries) known += (known.empty() ? "" : ", ") + t.name;
    return R::error("no target '" + name + "' in the configuration's registries" +
                    (known.empty() ? std::string(" (it has none)") : " (" + known + ")"));
  }
  // The store as `serve` opens it (its search parameters come from the same packages).
  auto context = conformance::Context::withCore();
  if (config.projectProfiles) context->addPackage(conformance::profilesPackage());
  for (const std::string& p : config.packages) {
    if (auto st = context->loadPackage(p); !st) {
      return R::error("cannot load the FHIR package '" + p + "': " + st.message());
    }
  }
  store::SearchParameterRegistry registry(*context);
  store::StoreOptions so = config.store;
  so.registry = &registry;
  addPublishTopics(config.registries, so.outboxTopics);
  auto store = store::openStore(so);
  if (!store) return R::error(store.message());
  auto publisher = Publisher::create(*store.value(), *target, config.api.publicBase);
  if (!publisher) return R::error(publisher.message());
  return R(publisher.value()->run(dryRun));
}

}  // namespace trialbridge::service
