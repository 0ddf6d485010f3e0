#include "service/audit.h"

#include <rapidjson/document.h>

#include <chrono>

#include "conformance/context.h"
#include "core/json.h"
#include "store/fhir_time.h"
#include "store/index.h"

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

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t v =
        (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace

void appendJsonEscaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += ch;
        }
    }
  }
}

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
  if (thread_.joinable()) thread_.join();
}

bool AuditLog::covers(std::string_view type) const {
  return options_.enabled && types_.find(type) != types_.end();
}

void AuditLog::record(AuditRecord r) {
  if (!options_.enabled) return;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
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
      batch.swap(queue_);
      requested = flushRequests_;
      stop = stopping_;
    }
    if (!batch.empty()) writeBatch(batch);
    batch.clear();
    if (requested > 0) {
      store_.flush();
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
  struct Prepared {
    std::unique_ptr<core::Document> doc;
    store::IndexRows index;
  };
  auto prepared = std::make_shared<std::vector<Prepared>>();
  prepared->reserve(batch.size());
  for (const AuditRecord& r : batch) {
    Prepared p;
    p.doc = build(r);
    if (p.doc == nullptr) continue;
    store::extractIndex(store_.registry(), *p.doc->root(), p.index);
    prepared->push_back(std::move(p));
  }
  store_.post([prepared](store::WriteContext& ctx) {
    for (Prepared& p : *prepared) {
      store::PutOptions o;
      o.index = &p.index;
      store::WriteResult w;
      if (store::Status st = ctx.put(*p.doc, o, w); !st) return st;
    }
    return store::Status::ok();
  });
}

std::unique_ptr<core::Document> AuditLog::build(const AuditRecord& r) const {
  std::string j;
  j.reserve(900);
  j += R"({"resourceType":"AuditEvent","id":")";
  j += store::newId();
  j +=
      R"(","type":{"system":"http://terminology.hl7.org/CodeSystem/audit-event-type","code":"rest","display":"RESTful Operation"},"subtype":[{"system":"http://hl7.org/fhir/restful-interaction","code":")";
  appendJsonEscaped(j, r.interaction);
  j += R"("}],"action":")";
  j += r.action;
  j += R"(","recorded":")";
  j += store::formatInstant(store::nowMillis());
  j += R"(","outcome":")";
  j += r.httpStatus < 400 ? "0" : (r.httpStatus < 500 ? "4" : "8");
  j += R"(","agent":[{"who":{"identifier":{"system":"urn:trialbridge:client","value":")";
  appendJsonEscaped(j, r.agentId.empty() ? "anonymous" : r.agentId);
  j += R"("}},"requestor":true)";
  if (!r.address.empty()) {
    j += R"(,"network":{"address":")";
    appendJsonEscaped(j, r.address);
    j += R"(","type":"2"})";
  }
  j +=
      R"(}],"source":{"observer":{"display":"trialbridge"},"type":[{"system":"http://terminology.hl7.org/CodeSystem/security-source-type","code":"4"}]})";
  if (!r.entityType.empty() || !r.query.empty()) {
    j += R"(,"entity":[{)";
    bool comma = false;
    if (!r.entityType.empty() && !r.entityId.empty()) {
      j += R"("what":{"reference":")";
      appendJsonEscaped(j, r.entityType);
      j += '/';
      appendJsonEscaped(j, r.entityId);
      if (r.entityVersion > 0) j += "/_history/" + std::to_string(r.entityVersion);
      j += R"("})";
      comma = true;
    }
    if (comma) j += ',';
    j +=
        R"("type":{"system":"http://terminology.hl7.org/CodeSystem/audit-entity-type","code":"2","display":"System Object"})";
    if (!r.query.empty()) {
      j += R"(,"query":")";
      j += base64(r.entityType + "?" + r.query);
      j += '"';
    } else if (!r.entityType.empty() && r.entityId.empty()) {
      j += R"(,"name":")";
      appendJsonEscaped(j, r.entityType);
      j += '"';
    }
    j += "}]";
  }
  j += "}";
  core::Issues issues;
  return core::readJson(j, store_.types(), issues);
}

}  // namespace trialbridge::service
