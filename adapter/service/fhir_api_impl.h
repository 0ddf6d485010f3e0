#pragma once
// Internal to the service: the pieces of FhirApi shared by fhir_api.cc (single interactions),
// fhir_bundle.cc (batch and transaction) and capability.cc.
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/element.h"
#include "core/issue.h"
#include "core/resource_io.h"
#include "service/audit.h"
#include "service/fhir_api.h"
#include "store/store.h"

namespace trialbridge::service {

enum class Prefer : uint8_t { Representation, Minimal, OperationOutcome };

enum class Summary : uint8_t { None, True, Text, Data, Count };

// How a resource is written back: format, pretty printing, subsetting.
struct Render {
  core::Format format = core::Format::Json;
  bool pretty = false;
  Summary summary = Summary::None;
  std::vector<std::string> elements;  // _elements
  bool subset() const {
    return (summary != Summary::None && summary != Summary::Count) || !elements.empty();
  }
};

// One request being handled.
struct Exchange {
  Exchange(const HttpRequest& req, HttpResponse& resp, Render r = {})
      : request(req), response(resp), render(std::move(r)) {}
  const HttpRequest& request;
  HttpResponse& response;
  Render render;
  Prefer prefer = Prefer::Representation;
  bool strict = false;  // Prefer: handling=strict
  std::string base;     // absolute base URL, no trailing slash
  std::string agentId;
  std::vector<std::pair<std::string, std::string>> params;  // decoded query parameters
};

// Resolves a Bundle entry's fullUrl / reference rewriting within a transaction.
struct FhirApi::Impl {
  Impl(store::Store& s, const validation::Validator* v, AuditLog* a, const ApiOptions& o)
      : store(s), validator(v), audit(a), options(o), types(s.types()), registry(s.registry()) {}

  store::Store& store;
  const validation::Validator* validator;
  AuditLog* audit;
  const ApiOptions& options;
  const core::TypeResolver& types;
  const store::SearchParameterRegistry& registry;
  const std::string* capability = nullptr;

  void handle(const HttpRequest& request, HttpResponse& response) const;
  // After negotiation: routes the request. `inBundle` is true for batch entries.
  void route(Exchange& x, bool inBundle) const;

  // Interactions.
  void read(Exchange& x, const std::string& type, const std::string& id) const;
  void vread(Exchange& x, const std::string& type, const std::string& id,
             const std::string& vid) const;
  void search(Exchange& x, const std::string& type) const;
  void history(Exchange& x, const std::string& type, const std::string& id) const;
  void create(Exchange& x, const std::string& type) const;
  void update(Exchange& x, const std::string& type, const std::string& id) const;
  void conditionalUpdate(Exchange& x, const std::string& type) const;
  void remove(Exchange& x, const std::string& type, const std::string& id) const;
  void conditionalRemove(Exchange& x, const std::string& type) const;
  void validate(Exchange& x, const std::string& type, const std::string& id) const;
  void bundle(Exchange& x) const;
  void transaction(Exchange& x, core::Document& bundleDoc) const;
  void batch(Exchange& x, core::Document& bundleDoc) const;

  // Helpers.
  bool allowed(Exchange& x, std::string_view type, char permission) const;
  void fail(Exchange& x, int status, core::IssueType code, std::string message) const;
  void failIssues(Exchange& x, int status, const core::Issues& issues) const;
  void failStore(Exchange& x, const store::Status& st) const;
  void sendOutcome(Exchange& x, int status, const core::Issues& issues) const;
  void sendText(Exchange& x, int status, std::string json) const;
  // Writes a stored resource's JSON in the negotiated form.
  std::string renderResource(const Exchange& x, std::string_view json) const;
  std::string renderBundle(const Exchange& x, std::string json) const;
  void sendWriteResult(Exchange& x, int status, const store::WriteResult& w,
                       std::string_view outcomeText) const;
  // Reads the body as a resource of `type` ("" for any); on failure sends the error and
  // returns nullptr. `issues` gets the reader's warnings.
  std::unique_ptr<core::Document> readBody(Exchange& x, std::string_view type,
                                           core::Issues& issues) const;
  // R4 + profile validation for writes; false (after sending 422) when there are errors.
  bool validateForWrite(Exchange& x, const core::Element& root, core::Issues& issues) const;
  void auditRecord(const Exchange& x, std::string_view interaction, char action, int status,
                   std::string_view type, std::string_view id, int64_t version,
                   std::string_view query = {}) const;
  // The audit-log row for a write, to store in the write's own unit (empty when the type is
  // not audited).
  std::vector<store::AuditEntry> auditEntry(const Exchange& x, std::string_view interaction,
                                            char action, std::string_view type, std::string_view id,
                                            int64_t version) const;
  void auditEventRead(Exchange& x, const std::string& id) const;
  void auditEventSearch(Exchange& x) const;
  bool parseQuery(Exchange& x, const std::string& type, const store::QueryParams& params,
                  store::SearchQuery& query) const;
};

int statusOf(store::Code code);
void setId(core::Document& doc, core::Element* root, std::string_view id);
std::string childText(const core::Element& e, std::string_view name);
// The version in an ETag / If-Match value (W/"3", "3", 3); nullopt when it is not one.
std::optional<int64_t> parseETag(std::string_view value);
// The id of the one live resource `query` matches, into `id` ("" when none); PreconditionFailed
// with the message `tooMany` when more match (conditional create, update and delete).
store::Status matchAtMostOne(store::WriteContext& ctx, const store::SearchQuery& query,
                             const std::string& tooMany, std::string& id);
// A copy of `src` (a resource) with only the top-level elements `keep` selects, tagged SUBSETTED.
std::string buildCapabilityStatement(const FhirApi::Impl& impl);

}  // namespace trialbridge::service
