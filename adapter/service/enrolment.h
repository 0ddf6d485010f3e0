#pragma once
// Enrolling subjects in the running service (docs/rest.md, "Enrolment"): a subject's entity file
// (docs/trial-definition.md) is checked against its trial, mapped (Patient with the pseudonym
// only, Consent, ResearchSubject, a MedicationAdministration per dose) and stored through the
// pipeline as one transaction. The resources have ids made from the subject number, so
// enrolling the same file again updates them (new versions), never duplicates them; a hospital
// identifier already enrolled as another subject of the trial is refused (409), so a subject is
// not enrolled twice under two numbers.
//
// The service learns its trials when it loads them (serve --trial, the configuration's
// "trials"), with their pseudonymisation secrets: without a secret a trial's subjects cannot be
// enrolled (503).
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/issue.h"
#include "mapping/pseudonymizer.h"
#include "pipeline/pipeline.h"
#include "study/trial.h"

namespace trialbridge::service {

// The trials a service has loaded, with their secrets. Thread-safe.
class TrialCatalog {
 public:
  struct Entry {
    std::shared_ptr<const study::Trial> trial;
    std::optional<mapping::Pseudonymizer> pseudonymizer;
  };
  // Adds a trial, or replaces the one with the same id.
  void add(study::Trial trial, std::optional<mapping::Pseudonymizer> pseudonymizer);
  // The trial named by its id or one of its registry identifiers.
  std::optional<Entry> find(std::string_view name) const;
  // Every trial, in the order they were added.
  std::vector<Entry> all() const;
  size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
};

struct EnrolResult {
  // Ok; NotFound (the file names a trial the service has not loaded); Unprocessable (the file
  // has errors, or is not a subject); Conflict (its hospital identifier is enrolled as another
  // subject); Unavailable (no secret for the trial); or the pipeline's own status.
  pipeline::Status status = pipeline::Status::Ok;
  core::Issues issues;      // located in the entity file ($.doses[0].timepoint, line, column)
  std::string subjectId;    // when the file could be read
  pipeline::Result stored;  // the transaction's result (entries), when it ran
  bool ok() const { return status == pipeline::Status::Ok; }
};

// Enrols the subject of `entityJson`. `write` carries the actor, validation policy, base URL
// and authorisation of the caller; the fullUrls of the mapped Bundle are under write.baseUrl.
EnrolResult enrolSubject(const pipeline::Pipeline& pipeline, const TrialCatalog& trials,
                         std::string_view entityJson, const pipeline::Options& write);

}  // namespace trialbridge::service
