// POST [base]/ResearchSubject/$enrol: a subject's entity file (docs/trial-definition.md) enrolled
// through the pipeline (service/enrolment.h); the answer is the transaction-response Bundle of
// what was stored, or an OperationOutcome located in the entity file.
#include "service/fhir_api_impl.h"
#include "service/rendering.h"

namespace trialbridge::service {

using core::IssueType;

void FhirApi::Impl::enrol(Call& c, Reply& r) const {
  if (trials == nullptr || trials->size() == 0) {
    return fail(r, 404, IssueType::NotSupported,
                "no trial is loaded in this service: there is nothing to enrol in");
  }
  if (c.body.size() > options.maxBodyBytes) {
    return fail(r, 413, IssueType::TooCostly,
                "the body is larger than " + std::to_string(options.maxBodyBytes) + " bytes");
  }
  std::string denied;  // "c" + type: the first permission the token lacks
  EnrolResult e = enrolSubject(pipeline, *trials, c.body, writeOptions(c, &denied));
  if (e.status == pipeline::Status::Forbidden && !denied.empty()) {
    return forbid(r, std::string_view(denied).substr(1), denied[0]);
  }
  if (!e.ok()) return failIssues(r, statusOf(e.status), std::move(e.issues));
  bundleReply(c, r, e.stored, false);
}

}  // namespace trialbridge::service
