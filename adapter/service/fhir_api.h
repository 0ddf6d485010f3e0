#pragma once
// The FHIR R4 REST API, independent of the HTTP library (http_server.h carries it over Poco's
// HTTPServer). Reads and searches go to the store; every write (create, update, delete, their
// conditional forms, batch and transaction) goes through the pipeline (pipeline/pipeline.h),
// whose statuses map to HTTP ones. docs/rest.md lists every endpoint, parameter and status code.
//
//   GET    /fhir/metadata                      CapabilityStatement
//   GET    /fhir/{type}/{id}                   read               (404, 410)
//   GET    /fhir/{type}/{id}/_history/{vid}    vread
//   GET    /fhir/{type}/{id}/_history          history (instance)
//   GET    /fhir/{type}/_history, /fhir/_history   history (type, system)
//   GET    /fhir/{type}?params, POST /fhir/{type}/_search   search
//   POST   /fhir/{type}                        create (If-None-Exist: conditional create)
//   PUT    /fhir/{type}/{id}                   update or create with that id (If-Match: 412)
//   PUT    /fhir/{type}?params                 conditional update
//   DELETE /fhir/{type}/{id}, /fhir/{type}?params   delete, conditional delete
//   POST   /fhir                               batch or transaction Bundle (a transaction is
//                                               atomic)
//   POST   /fhir/{type}/$validate, /fhir/{type}/{id}/$validate   validation, OperationOutcome
//   POST   /fhir/ResearchSubject/$enrol        a subject's entity file (not FHIR) mapped and
//                                               stored as one transaction (service/enrolment.h)
//   POST   /fhir/$ingest                       an EHR's Bundle of a Patient and its lab
//                                               Observations through the study context
//                                               (fhir_ingest.cc, pipeline/study_context.h)
//   GET    /fhir/$name                         a system operation added by addSystemOperation
//                                               ($registry-status)
//
// Responses are application/fhir+json, or XML when asked for (_format or Accept); every error
// is an OperationOutcome with its status. Writes are parsed and validated (R4, meta.profile,
// and the profile configured for the type); invalid resources get 422. A write with an
// Idempotency-Key header is done once: a retry with the same key gets the first answer.
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "service/http_types.h"
#include "store/search_query.h"
#include "store/store.h"

namespace trialbridge::pipeline {
class Pipeline;
}

namespace trialbridge::service {

class AuditLog;
class TrialCatalog;

struct ApiOptions {
  std::string basePath = "/fhir";  // where the API is mounted
  // The absolute base URL in links, fullUrls and Location headers, e.g.
  // "https://trials.example.org/fhir"; empty: built from the request's Host header.
  std::string publicBase;
  size_t maxBodyBytes = 16u * 1024u * 1024u;
  size_t maxBundleEntries = 1000;
  store::SearchLimits searchLimits;
  // Validate writes (R4 and profiles) and refuse invalid ones with 422 (the pipeline's
  // ValidationPolicy::Full).
  bool validateWrites = true;
  // The profile every write of a type must conform to (besides its meta.profile), e.g.
  // {"Observation": "http://trialbridge.org/fhir/StructureDefinition/tb-observation"}; the
  // service gives them to the pipeline, and the CapabilityStatement lists them.
  std::map<std::string, std::string> requiredProfiles;
  std::string softwareName = "trialbridge";
  std::string softwareVersion = "0.1.0";
  bool authentication = false;  // for the CapabilityStatement's security section
  // $ingest: the site's assigning authorities (namespace -> identifier system) for the hospital
  // identifiers that come without a system (pipeline::StudyContextOptions).
  std::map<std::string, std::string, std::less<>> identifierSystems;
};

class FhirApi {
 public:
  // `pipeline` writes (its store serves the reads; without a validator writes are only parsed
  // and $validate says it is unavailable); `audit` may be null (no records of reads).
  FhirApi(pipeline::Pipeline& pipeline, AuditLog* audit, ApiOptions options);
  ~FhirApi();

  void handle(const HttpRequest& request, HttpResponse& response) const;
  // The trials whose subjects $enrol takes and whose results $ingest matches (they must outlive
  // the API); none by default.
  void setTrials(const TrialCatalog* trials);

  // What a system operation answers: 200 and a resource (JSON), or another status and the
  // message of the OperationOutcome the API makes of it.
  struct OperationAnswer {
    int status = 200;
    std::string body;  // the resource (JSON), or the error's message
  };
  // A system-level operation, GET [base]/$name (name with its '$'), answered with what `answer`
  // returns for the request's query parameters (the API's own, _format and _pretty, left out).
  // With authentication, the client needs read access to `scopeType`. Add operations before the
  // API serves requests.
  using SystemOperation = std::function<OperationAnswer(const store::QueryParams& params)>;
  void addSystemOperation(std::string name, std::string scopeType, SystemOperation answer);

  const ApiOptions& options() const { return options_; }
  // The CapabilityStatement as JSON (built once).
  const std::string& capabilityStatement() const { return capability_; }

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  ApiOptions options_;
  std::string capability_;
};

}  // namespace trialbridge::service
