#pragma once
// The study context over the trials a service has loaded (pipeline/study_context.h): one way to
// build it, so that lab results POSTed to $ingest and HL7 v2 messages over MLLP are matched,
// pseudonymised, placed and evaluated alike.
#include <memory>

#include "core/issue.h"
#include "pipeline/study_context.h"
#include "service/enrolment.h"
#include "store/store.h"

namespace trialbridge::service {

// The context of the trials in `trials` now that have their pseudonymisation secret, with the
// store's subjects as its directory; it holds what it uses (the catalog may change meanwhile),
// and `store` must outlive it. Null with no issue when no trial is loaded; null with an error
// (IssueType::Exception) when no loaded trial has its secret, so that nothing can be matched.
std::shared_ptr<const pipeline::StudyContext> loadedStudy(const TrialCatalog& trials,
                                                          store::Store& store,
                                                          const core::TypeResolver& types,
                                                          pipeline::StudyContextOptions options,
                                                          core::Issues& issues);

}  // namespace trialbridge::service
