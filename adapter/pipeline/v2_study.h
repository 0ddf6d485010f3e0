#pragma once
// The study context on the HL7 v2 path (issue 11): the V2StudyContext the pipeline calls for
// each message that mapped without error (Config::v2Study). It applies a StudyContext to the
// plain mapping, with the message's receipt key as the Provenance's source and the time the
// mapping recorded (MSH-7) as its instant, and hands back what the context decided: the
// pseudonymised, placed and evaluated results to write in the message's unit, and its issues.
#include <functional>
#include <memory>

#include "pipeline/pipeline.h"
#include "pipeline/study_context.h"

namespace trialbridge::pipeline {

class V2StudyAdapter final : public V2StudyContext {
 public:
  // Gives the context to apply to one message, built from what is loaded now (trials can be
  // loaded while the service runs); it may hold the trials, secrets and directory it uses. Null
  // with no error: no study is loaded, the message keeps only its receipt. Null with an error in
  // `issues`: results cannot be matched now (e.g. no trial has its secret), the message goes to
  // the quarantine to be retried. Called on any thread.
  using Provider = std::function<std::shared_ptr<const StudyContext>(core::Issues& issues)>;

  // Told the outcome of each message the context was applied to (for metrics: a patient who
  // is no subject, results dropped), before the message's unit; it never sees identities.
  using Observer = std::function<void(const StudyOutcome& outcome)>;

  explicit V2StudyAdapter(Provider provider, Observer observer = {})
      : provider_(std::move(provider)), observer_(std::move(observer)) {}

  // A patient who is no subject (or results all dropped): no writes, the counts only. Errors
  // of the context (the directory could not answer) are errors of the message.
  V2Decision decide(const hl7v2::Message& message, const core::Document& mapped) const override;

 private:
  Provider provider_;
  Observer observer_;
};

}  // namespace trialbridge::pipeline
