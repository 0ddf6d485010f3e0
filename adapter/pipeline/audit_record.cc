#include "pipeline/audit_record.h"

#include <rapidjson/document.h>

#include "conformance/context.h"
#include "core/text.h"
#include "store/fhir_time.h"

namespace trialbridge::pipeline {

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

// The AuditEvent.entity of a record: the resource reference, or the query of a search.
void appendEntity(std::string& j, const AuditRecord& r) {
  j += R"(,"entity":[{)";
  if (!r.entitySystem.empty() && !r.entityId.empty()) {
    j += R"("what":{"identifier":{"system":")";
    core::appendJsonEscaped(j, r.entitySystem);
    j += R"(","value":")";
    core::appendJsonEscaped(j, r.entityId);
    j += R"("}},)";
  } else if (!r.entityType.empty() && !r.entityId.empty()) {
    j += R"("what":{"reference":")";
    core::appendJsonEscaped(j, r.entityType);
    j += '/';
    core::appendJsonEscaped(j, r.entityId);
    if (r.entityVersion > 0) j += "/_history/" + std::to_string(r.entityVersion);
    j += R"("},)";
  }
  j +=
      R"("type":{"system":"http://terminology.hl7.org/CodeSystem/audit-entity-type","code":"2","display":"System Object"})";
  if (!r.query.empty()) {
    j += R"(,"query":")";
    j += core::base64Encode(r.entityType + "?" + r.query);
    j += '"';
  } else if (!r.entitySystem.empty()) {
    j += R"(,"name":")";
    core::appendJsonEscaped(j, r.entityType);
    j += '"';
  } else if (!r.entityType.empty() && r.entityId.empty()) {
    j += R"(,"name":")";
    core::appendJsonEscaped(j, r.entityType);
    j += '"';
  }
  if (!r.details.empty()) {
    j += R"(,"detail":[)";
    for (size_t i = 0; i < r.details.size(); ++i) {
      j += i == 0 ? R"({"type":")" : R"(,{"type":")";
      core::appendJsonEscaped(j, r.details[i].first);
      j += R"(","valueString":")";
      core::appendJsonEscaped(j, r.details[i].second);
      j += R"("})";
    }
    j += ']';
  }
  j += "}]";
}

}  // namespace

AuditPolicy::AuditPolicy(const conformance::Context* context,
                         const std::vector<std::string>& extraTypes, bool enabled)
    : enabled_(enabled) {
  if (!enabled_) return;
  if (context != nullptr) types_ = patientCompartmentTypes(*context);
  for (const auto& t : extraTypes) types_.insert(t);
}

store::AuditEntry auditEntry(const AuditRecord& r) {
  store::AuditEntry e;
  e.id = store::newId();
  e.recordedMs = store::nowMillis();
  const std::string recorded = store::formatInstant(e.recordedMs);
  e.agent = r.agentId.empty() ? "anonymous" : r.agentId;
  e.subtype = r.interaction;
  e.action = std::string(1, r.action);
  e.outcome = std::string(1, r.outcome);
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
  if (!r.entityType.empty() || !r.query.empty()) appendEntity(j, r);
  j += "}";
  return e;
}

}  // namespace trialbridge::pipeline
