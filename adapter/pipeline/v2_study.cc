#include "pipeline/v2_study.h"

namespace trialbridge::pipeline {

V2Decision V2StudyAdapter::decide(const hl7v2::Message& message,
                                  const core::Document& mapped) const {
  V2Decision d;
  if (mapped.root() == nullptr) return d;
  const std::shared_ptr<const StudyContext> context = provider_(d.issues);
  if (context == nullptr) return d;
  StudyOutcome out =
      context->apply(*mapped.root(), v2SourceKey(message), mappedRecorded(*mapped.root()));
  if (observer_) observer_(out);
  d.issues.append(out.issues);
  d.retryLater = out.directoryFailed;
  if (!out.issues.hasErrors()) d.writes = std::move(out.writes);
  return d;
}

}  // namespace trialbridge::pipeline
