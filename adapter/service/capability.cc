// The CapabilityStatement at /fhir/metadata, built from what the server really does: every
// concrete R4 resource type with the interactions implemented, the search parameters the store
// indexes (with their types and definitions), the includes, the conditional operations, the
// profiles writes are validated against, and the security in force.
#include <map>
#include <set>

#include "conformance/context.h"
#include "core/text.h"
#include "service/fhir_api_impl.h"
#include "store/fhir_time.h"
#include "store/search_parameters.h"

namespace trialbridge::service {

namespace {

void str(std::string& j, std::string_view key, std::string_view value) {
  j += '"';
  j += key;
  j += R"(":")";
  core::appendJsonEscaped(j, value);
  j += '"';
}

// `,"key":[...]`, or nothing when there are no values (FHIR JSON has no empty arrays).
void list(std::string& j, std::string_view key, const std::vector<std::string>& values) {
  if (values.empty()) return;
  j += ",\"";
  j += key;
  j += R"(":[)";
  for (size_t i = 0; i < values.size(); ++i) {
    j += i > 0 ? ",\"" : "\"";
    core::appendJsonEscaped(j, values[i]);
    j += '"';
  }
  j += "]";
}

}  // namespace

std::string buildCapabilityStatement(const FhirApi::Impl& impl) {
  const conformance::Context& context = impl.registry.context();
  std::vector<std::string> types;
  constexpr std::string_view kBase = "http://hl7.org/fhir/StructureDefinition/";
  for (const auto& package : context.packages()) {
    for (const auto& r : package->resources()) {
      if (r.resourceType != "StructureDefinition" || r.kind != "resource") continue;
      if (r.url.size() <= kBase.size() || r.url.compare(0, kBase.size(), kBase) != 0) continue;
      const std::string type = r.url.substr(kBase.size());
      if (type == r.type && store::isResourceType(impl.types, type)) types.push_back(type);
    }
  }
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());

  // _revinclude targets: "Source:param" by target type.
  std::map<std::string, std::vector<std::string>> revIncludes;
  for (const std::string& t : types) {
    for (const store::SearchParamDef* p : impl.registry.forType(t)) {
      if (p->type != store::ParamType::Reference || !p->indexed) continue;
      for (const std::string& target : p->targets) revIncludes[target].push_back(t + ":" + p->code);
    }
  }

  const ApiOptions& o = impl.options;
  // The profiles writes are validated against are the pipeline's.
  const auto& required = impl.pipeline.config().requiredProfiles;
  std::string j;
  j.reserve(1 << 20);
  j += R"({"resourceType":"CapabilityStatement","id":"trialbridge","status":"active",)";
  str(j, "date", store::formatInstant(store::nowMillis()).substr(0, 10));
  j += ",";
  str(j, "publisher", "trialbridge");
  j += R"(,"kind":"instance","software":{)";
  str(j, "name", o.softwareName);
  j += ",";
  str(j, "version", o.softwareVersion);
  j += R"(},"implementation":{"description":"trialbridge FHIR R4 server for clinical trials")";
  if (!o.publicBase.empty()) {
    j += ",";
    str(j, "url", o.publicBase);
  }
  j +=
      R"(},"fhirVersion":"4.0.1","format":["application/fhir+json","application/fhir+xml","json","xml"],)";
  j +=
      R"("rest":[{"mode":"server","documentation":"Search: the parameters listed per type, with )"
      R"(modifiers :missing :exact :contains :text :not :below :above :[type], prefixes eq ne gt )"
      R"(lt ge le sa eb ap, comma-separated OR values, one-level chains (subject:Patient.identifier), )"
      R"(_id _lastUpdated _count _offset _sort _include _revinclude _summary _elements _format )"
      R"(_pretty. Paging by _offset with next/previous links. Not supported: composite and special )"
      R"(parameters, _has, _include:iterate beyond one level, PATCH.")";
  if (o.authentication) {
    j +=
        R"(,"security":{"cors":false,"service":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/restful-security-service","code":"SMART-on-FHIR"}]}],)"
        R"("description":"Bearer JWTs signed RS256 or ES256 (SMART Backend Services), checked )"
        R"(against the configured JWKS; SMART v2 system scopes such as system/Observation.rs or )"
        R"(system/*.cruds decide what a client may do (401 without a valid token, 403 without the )"
        R"(scope). /metadata needs no token."})";
  }
  j += R"(,"resource":[)";
  for (size_t ti = 0; ti < types.size(); ++ti) {
    const std::string& t = types[ti];
    j += ti > 0 ? ",{" : "{";
    str(j, "type", t);
    if (t == "AuditEvent") {
      // The audit log: written by the server only.
      j +=
          R"(,"documentation":"The audit log: one AuditEvent per read, search and write of )"
          R"(subject data, written by the server; read and search only.",)"
          R"("interaction":[{"code":"read"},{"code":"search-type"}],"versioning":"no-version",)"
          R"("readHistory":false,"updateCreate":false,"conditionalCreate":false,)"
          R"("conditionalRead":"not-supported","conditionalUpdate":false,)"
          R"("conditionalDelete":"not-supported","searchParam":[)"
          R"({"name":"_id","type":"token"},{"name":"date","type":"date"},)"
          R"({"name":"entity","type":"reference"},{"name":"patient","type":"reference"},)"
          R"x({"name":"agent","type":"reference","documentation":"the client id (agent:identifier)"},)x"
          R"({"name":"subtype","type":"token"},{"name":"action","type":"token"},)"
          R"({"name":"outcome","type":"token"}]})";
      continue;
    }
    if (auto it = required.find(t); it != required.end()) {
      list(j, "supportedProfile", {it->second});
    }
    j +=
        R"(,"interaction":[{"code":"read"},{"code":"vread"},{"code":"update"},{"code":"delete"},)"
        R"({"code":"history-instance"},{"code":"history-type"},{"code":"create"},{"code":"search-type"}],)"
        R"("versioning":"versioned","readHistory":true,"updateCreate":true,"conditionalCreate":true,)"
        R"("conditionalRead":"not-match","conditionalUpdate":true,"conditionalDelete":"single",)"
        R"("referencePolicy":["literal","local"])";
    std::vector<std::string> includes;
    for (const store::SearchParamDef* p : impl.registry.forType(t)) {
      if (p->type == store::ParamType::Reference && p->indexed)
        includes.push_back(t + ":" + p->code);
    }
    list(j, "searchInclude", includes);
    list(j, "searchRevInclude", revIncludes[t]);
    j +=
        R"(,"searchParam":[{"name":"_id","definition":"http://hl7.org/fhir/SearchParameter/Resource-id","type":"token"},)"
        R"({"name":"_lastUpdated","definition":"http://hl7.org/fhir/SearchParameter/Resource-lastUpdated","type":"date"})";
    for (const store::SearchParamDef* p : impl.registry.forType(t)) {
      if (!p->indexed) continue;
      j += ",{";
      str(j, "name", p->code);
      if (!p->url.empty()) {
        j += ",";
        str(j, "definition", p->url);
      }
      j += ",";
      str(j, "type", store::paramTypeName(p->type));
      j += "}";
    }
    j +=
        R"(],"operation":[{"name":"validate","definition":"http://hl7.org/fhir/OperationDefinition/Resource-validate"}]})";
  }
  j +=
      R"(],"interaction":[{"code":"transaction"},{"code":"batch"},{"code":"history-system"}],)"
      R"("searchParam":[{"name":"_count","type":"number"},{"name":"_offset","type":"number",)"
      R"("documentation":"paging: the index of the first match to return"},{"name":"_sort","type":"string"},)"
      R"({"name":"_summary","type":"token"},{"name":"_elements","type":"string"},)"
      R"({"name":"_include","type":"string"},{"name":"_revinclude","type":"string"}]}]})";
  return j;
}

}  // namespace trialbridge::service
