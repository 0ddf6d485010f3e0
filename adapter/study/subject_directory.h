#pragma once
// The trial's enrolled subjects as the store knows them, for the study logic that starts from a
// hospital's message: which subject is this patient, which doses has it had, which results has
// it already? Only the store can answer, so the study layer declares the lookups and a higher
// layer implements them (pipeline::StoreSubjectDirectory, over the store).
//
// The key is never a hospital identifier in clear: it is the subject's pseudonym, the
// HMAC-SHA256 hex of "{system}|{value}" under the trial's secret (mapping::Pseudonymizer), which
// the mapped Patient carries as its identifier in the system ids::pseudonymSystem(trial).
//
// Implementations must be safe to call from several threads. An error only when the store
// cannot answer (I/O, database) or its data contradict themselves; "nothing found" is an empty
// answer, not an error.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "study/instant.h"
#include "study/lab.h"
#include "study/trial.h"
#include "study/visit_plan.h"

namespace trialbridge::study {

// A subject found, with where its resources are.
struct DirectoryEntry {
  SubjectRecord record;
  std::string patient;          // "Patient/{id}"
  std::string researchSubject;  // "ResearchSubject/{id}"
};

class SubjectDirectory {
 public:
  virtual ~SubjectDirectory() = default;

  // The subject of `trial` whose Patient has the pseudonym `pseudonym` (64 lower-case hex
  // digits), or nothing when no subject of this trial has it. The record is the latest stored
  // version; its hospitalIdentifiers are empty (the store keeps pseudonyms only), and its other
  // fields are those the stored resources carry: subjectId, screeningNumber, arm, actualArm (ids,
  // from the arm names), status, consent (date, withdrawn date), enrollmentDate, endDate, sex,
  // birthDate (as precise as the trial's birthDatePrecision let it be stored). Not stored, so
  // empty: site, name, childbearingPotential, doses (see doses()). An error when two subjects
  // of the trial share the pseudonym (the data is corrupt).
  virtual core::Result<std::optional<DirectoryEntry>> findByPseudonym(
      const Trial& trial, std::string_view pseudonym) const = 0;

  // The doses given to the subject (its MedicationAdministrations with a tb-timepoint extension,
  // not entered-in-error or not-done), in time order. Dates without a time are taken in UTC.
  virtual core::Result<std::vector<DoseGiven>> doses(const Trial& trial,
                                                     const DirectoryEntry& subject) const = 0;

  // The subject's stored results (Observations whose subject is its Patient, not
  // entered-in-error or cancelled) of any of `tests` (codes; the analytes' other codes are not
  // added: pass them), effective at or after `from` and before `before` (UTC seconds;
  // kNoLowerBound, kNoUpperBound for no bound), in time order: the baseline and the earlier
  // counts a new result is judged with. At most `limit` results, the latest ones. The cost
  // grows with what the bounds and the limit let through, so callers ask only for what their
  // rule needs (e.g. the baseline: the latest before the first dose).
  virtual core::Result<std::vector<LabResult>> results(
      const Trial& trial, const DirectoryEntry& subject, std::span<const Coding> tests,
      int64_t from = kNoLowerBound, size_t limit = 1000, int64_t before = kNoUpperBound) const = 0;
};

}  // namespace trialbridge::study
