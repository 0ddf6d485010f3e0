#include "service/audit.h"

#include <rapidjson/document.h>

#include <chrono>

#include "conformance/context.h"
#include "core/text.h"
#include "store/fhir_time.h"

namespace trialbridge::service {

namespace {

std::set<std::string, std::less<>> patientCompartmentTypes(const conformance::Context& context) {
  std::set<std::string, std::less<>> out;
  auto json = context.resourceJson("http://hl7.org/fhir/CompartmentDefinition/patient");
  if (!json) return out;
  rapidjson::Document d;
  d.Parse(json->data(), json->size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("resource") || !d["resource"].IsArray()) {
    return out;
  }
  for (const auto& r : d["resource"].GetArray()) {
    if (!r.IsObject() || !r.HasMember("code") || !r["code"].IsString()) continue;
    // Types listed without a param are not in the compartment.
    if (r.HasMember("param") && r["param"].IsArray() && !r["param"].Empty()) {
      out.insert(r["code"].GetString());
    }
  }
  out.insert("Patient");
  return out;
}

}  // namespace

AuditLog::AuditLog(store::Store& store, const AuditOptions& options)
    : store_(store), options_(options) {
  if (!options_.enabled) return;
  if (const auto* ctx = dynamic_cast<const conformance::Context*>(&store.types())) {
    types_ = patientCompartmentTypes(*ctx);
  }
  for (const auto& t : options_.extraTypes) types_.insert(t);
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

bool AuditLog::covers(std::string_view type) const {
  return options_.enabled && types_.find(type) != types_.end();
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
  for (const AuditRecord& r : batch) entries->push_back(entry(r));
  store_.write([entries](store::WriteContext& ctx) { return ctx.audit(*entries); });
}

store::AuditEntry AuditLog::entry(const AuditRecord& r) const {
  store::AuditEntry e;
  e.id = store::newId();
  e.recordedMs = store::nowMillis();
  const std::string recorded = store::formatInstant(e.recordedMs);
  e.agent = r.agentId.empty() ? "anonymous" : r.agentId;
  e.subtype = r.interaction;
  e.action = std::string(1, r.action);
  e.outcome = r.httpStatus < 400 ? "0" : (r.httpStatus < 500 ? "4" : "8");
  if (!r.entityType.empty() && !r.entityId.empty()) e.entity = r.entityType + "/" + r.entityId;
  std::string& j = e.json;
  j.reserve(900);
  j += R"({"resourceType":"AuditEvent","id":")";
  j += e.id;
  j += R"(","meta":{"versionId":"1","lastUpdated":")";
  j += recorded;
  j +=
      R"("},"type":{"system":"http://terminology.hl7.org/CodeSystem/audit-event-type","code":"rest","display":"RESTful Operation"},"subtype":[{"system":"http://hl7.org/fhir/restful-interaction","code":")";
  core::appendJsonEscaped(j, r.interaction);
  j += R"("}],"action":")";
  j += r.action;
  j += R"(","recorded":")";
  j += recorded;
  j += R"(","outcome":")";
  j += e.outcome;
  j += R"(","agent":[{"who":{"identifier":{"system":"urn:trialbridge:client","value":")";
  core::appendJsonEscaped(j, e.agent);
  j += R"("}},"requestor":true)";
  if (!r.address.empty()) {
    j += R"(,"network":{"address":")";
    core::appendJsonEscaped(j, r.address);
    j += R"(","type":"2"})";
  }
  j +=
      R"(}],"source":{"observer":{"display":"trialbridge"},"type":[{"system":"http://terminology.hl7.org/CodeSystem/security-source-type","code":"4"}]})";
  if (!r.entityType.empty() || !r.query.empty()) {
    j += R"(,"entity":[{)";
    bool comma = false;
    if (!r.entityType.empty() && !r.entityId.empty()) {
      j += R"("what":{"reference":")";
      core::appendJsonEscaped(j, r.entityType);
      j += '/';
      core::appendJsonEscaped(j, r.entityId);
      if (r.entityVersion > 0) j += "/_history/" + std::to_string(r.entityVersion);
      j += R"("})";
      comma = true;
    }
    if (comma) j += ',';
    j +=
        R"("type":{"system":"http://terminology.hl7.org/CodeSystem/audit-entity-type","code":"2","display":"System Object"})";
    if (!r.query.empty()) {
      j += R"(,"query":")";
      j += core::base64Encode(r.entityType + "?" + r.query);
      j += '"';
    } else if (!r.entityType.empty() && r.entityId.empty()) {
      j += R"(,"name":")";
      core::appendJsonEscaped(j, r.entityType);
      j += '"';
    }
    j += "}]";
  }
  j += "}";
  return e;
}

}  // namespace trialbridge::service
