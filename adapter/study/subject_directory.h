#pragma once
// The trial's enrolled subjects as the store knows them, for the study logic that starts from a
// hospital's message: which subject is this patient? Only the store can answer, so the study
// layer declares the lookup and a higher layer (the pipeline, over the store) implements it.
//
// The key is never a hospital identifier in clear: it is the subject's pseudonym, the
// HMAC-SHA256 hex of "{system}|{value}" under the trial's secret (mapping::Pseudonymizer), which
// the mapped Patient carries as its identifier in the system ids::pseudonymSystem(trial).
#include <optional>
#include <string_view>

#include "core/result.h"
#include "study/trial.h"

namespace trialbridge::study {

class SubjectDirectory {
 public:
  virtual ~SubjectDirectory() = default;

  // The subject of `trial` whose Patient has the pseudonym `pseudonym` (64 lower-case hex
  // digits), or nothing when no subject of this trial has it. The record is the latest stored
  // version; its hospitalIdentifiers are empty (the store keeps pseudonyms only), and its other
  // fields are those the stored resources carry (subjectId, site, arm, actualArm, status,
  // consent, enrollmentDate, endDate). An error only when the store cannot answer (I/O,
  // database), or when two subjects of the trial share the pseudonym (the data is corrupt);
  // never for an unknown pseudonym. Implementations must be safe to call from several threads.
  virtual core::Result<std::optional<SubjectRecord>> findByPseudonym(
      const Trial& trial, std::string_view pseudonym) const = 0;
};

}  // namespace trialbridge::study
