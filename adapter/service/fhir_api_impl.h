#pragma once
// Internal to the service: FhirApi's parts, one file per concern: routing and the HTTP edge
// (fhir_api.cc), reads and searches (fhir_reads.cc), writes through the pipeline and $validate
// (fhir_writes.cc), batch and transaction Bundles (fhir_bundle.cc), the CapabilityStatement
// (capability.cc). Negotiation, rendering and parameter parsing are free functions
// (negotiation.h, rendering.h, search_params.h).
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "pipeline/pipeline.h"
#include "service/audit.h"
#include "service/call.h"
#include "service/enrolment.h"
#include "service/fhir_api.h"
#include "store/store.h"

namespace trialbridge::service {

struct FhirApi::Impl {
  Impl(pipeline::Pipeline& p, AuditLog* a, const ApiOptions& o)
      : pipeline(p),
        store(p.store()),
        audit(a),
        options(o),
        types(store.types()),
        registry(store.registry()) {}

  pipeline::Pipeline& pipeline;
  store::Store& store;
  AuditLog* audit;
  const ApiOptions& options;
  const core::TypeResolver& types;
  const store::SearchParameterRegistry& registry;
  const std::string* capability = nullptr;
  struct SystemOperation {
    std::string scopeType;
    FhirApi::SystemOperation answer;
  };
  std::map<std::string, SystemOperation, std::less<>> operations;  // by name, "$x"

  // Routes a call (an HTTP request, or a GET entry of a Bundle: `call.inBundle`).
  void answer(Call& call, Reply& reply) const;

  // Reads (fhir_reads.cc).
  void read(Call& c, Reply& r, const std::string& type, const std::string& id) const;
  void vread(Call& c, Reply& r, const std::string& type, const std::string& id,
             const std::string& vid) const;
  void search(Call& c, Reply& r, const std::string& type) const;
  void history(Call& c, Reply& r, const std::string& type, const std::string& id) const;
  void auditEventRead(Call& c, Reply& r, const std::string& id) const;
  void auditEventSearch(Call& c, Reply& r) const;

  // Writes through the pipeline, and $validate (fhir_writes.cc).
  void create(Call& c, Reply& r, const std::string& type) const;
  void update(Call& c, Reply& r, const std::string& type, const std::string& id) const;
  void conditionalUpdate(Call& c, Reply& r, const std::string& type) const;
  void remove(Call& c, Reply& r, const std::string& type, const std::string& id) const;
  void conditionalRemove(Call& c, Reply& r, const std::string& type) const;
  void validate(Call& c, Reply& r, const std::string& type, const std::string& id) const;
  // The options of a write by `c`'s client; `denied` (when given) receives the type and
  // permission the authorisation refused.
  pipeline::Options writeOptions(const Call& c, std::string* denied = nullptr) const;
  // The reply to a single change's result; `conditional` for a conditional delete.
  void writeReply(const Call& c, Reply& r, const pipeline::Result& result,
                  bool conditional = false) const;
  void failResult(Reply& r, const pipeline::Result& result) const;

  // Batch and transaction (fhir_bundle.cc).
  void bundle(Call& c, Reply& r) const;
  // The batch-response or transaction-response Bundle of a successful result.
  void bundleReply(const Call& c, Reply& r, pipeline::Result& result, bool batch) const;
  BundleEntry performRead(const Call& c, const pipeline::ReadRequest& read) const;
  BundleEntry batchEntry(const Call& c, pipeline::EntryResult& e) const;
  BundleEntry transactionEntry(const Call& c, pipeline::EntryResult& e) const;

  // Enrolment of a subject from its entity file (fhir_enrol.cc, service/enrolment.h); null when
  // the service has no trials.
  const TrialCatalog* trials = nullptr;
  void enrol(Call& c, Reply& r) const;
  // POST [base]/$ingest: an EHR's lab results through the study context (fhir_ingest.cc).
  void ingest(Call& c, Reply& r) const;

  // Helpers (fhir_api.cc).
  // True when the client may; else a 403 with WWW-Authenticate naming the scope it needs.
  bool allowed(const Call& c, Reply& r, std::string_view type, char permission) const;
  void forbid(Reply& r, std::string_view type, char permission) const;
  void failStore(Reply& r, const store::Status& st) const;
  std::unique_ptr<core::Document> readBody(const Call& c, Reply& r, core::Issues& issues) const;
  bool parseQuery(const Call& c, Reply& r, const std::string& type,
                  const store::QueryParams& params, store::SearchQuery& query) const;
  // An audit record of a read, search or failure (writes are audited by the pipeline).
  void auditRecord(const Call& c, std::string_view interaction, char action, int status,
                   std::string_view type, std::string_view id, int64_t version,
                   std::string_view query = {}) const;
};

int statusOf(store::Code code);
int statusOf(pipeline::Status status);
std::string childText(const core::Element& e, std::string_view name);
std::string buildCapabilityStatement(const FhirApi::Impl& impl);

}  // namespace trialbridge::service
