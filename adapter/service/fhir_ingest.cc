// POST [base]/$ingest: lab results as an EHR has them (a Bundle of the hospital's Patient, with
// its identifiers, and its Observations, plain R4 or US Core) through the study context
// (pipeline/study_context.h) against the trials the service has loaded, then written as one
// transaction through the pipeline. The answer is the transaction-response Bundle of what was
// stored, or an OperationOutcome that counts what was not (never naming the patient).
#include <ctime>

#include "mapping/bundle_builder.h"
#include "service/fhir_api_impl.h"
#include "service/loaded_study.h"
#include "service/rendering.h"
#include "study/instant.h"

namespace trialbridge::service {

using core::IssueType;

void FhirApi::Impl::ingest(Call& c, Reply& r) const {
  if (trials == nullptr || trials->size() == 0) {
    return fail(r, 404, IssueType::NotSupported,
                "no trial is loaded in this service: there is no study to ingest results into");
  }
  core::Issues issues;
  std::unique_ptr<core::Document> body = readBody(c, r, issues);
  if (!body) return;
  if (body->root()->type().name != "Bundle") {
    return fail(r, 422, IssueType::Invalid,
                "$ingest takes a Bundle of the hospital's Patient and its Observations, not a " +
                    std::string(body->root()->type().name));
  }
  std::string denied;  // "c" + type: the first permission the token lacks
  pipeline::Options write = writeOptions(c, &denied);
  pipeline::StudyContextOptions contextOptions;
  contextOptions.fullUrlBase = write.baseUrl;
  contextOptions.identifierSystems = options.identifierSystems;
  core::Issues unavailable;
  const std::shared_ptr<const pipeline::StudyContext> context =
      loadedStudy(*trials, pipeline.store(), types, std::move(contextOptions), unavailable);
  if (context == nullptr) return failIssues(r, 503, std::move(unavailable));
  // The same body gives the same source key, so a resend updates the same Provenance.
  const std::string source = "ingest:" + mapping::deterministicId("body", {c.body});
  pipeline::StudyOutcome out =
      context->apply(*body->root(), source, study::formatSeconds(std::time(nullptr), 0));
  if (out.issues.hasErrors()) return failIssues(r, 503, std::move(out.issues));
  if (!out.writes) {
    core::Issues counts;
    counts.add(core::Severity::Information, IssueType::Informational,
               "nothing stored: " + std::to_string(out.notSubjectResults) +
                   " result(s) of patients who are no subjects, " +
                   std::to_string(out.beforeConsent) +
                   " dated before consent beyond the trial's look-back");
    for (core::Issue& i : out.issues.items()) counts.add(std::move(i));
    return failIssues(r, 200, std::move(counts));
  }
  pipeline::Result result = pipeline.apply(pipeline::Change::bundle(std::move(out.writes)), write);
  if (result.status == pipeline::Status::Forbidden && !denied.empty()) {
    return forbid(r, std::string_view(denied).substr(1), denied[0]);
  }
  if (!result.ok()) return failResult(r, result);
  bundleReply(c, r, result, false);
}

}  // namespace trialbridge::service
