#pragma once
// study::SubjectDirectory over subjects held in memory (their entity files), for what runs
// without a store: `trialbridge map-v2 --trial --subjects` and the tests. Results are those the
// caller remembers (the Observations of earlier writes, e.g. of the messages before in the same
// file), so a course of messages is evaluated as the service would. Thread-safe.
#include <mutex>
#include <string>
#include <vector>

#include "core/element.h"
#include "mapping/pseudonymizer.h"
#include "study/subject_directory.h"

namespace trialbridge::pipeline {

class MemorySubjectDirectory final : public study::SubjectDirectory {
 public:
  // `trial` must outlive the directory. Each subject is found by the pseudonym of its first
  // hospital identifier of type MR (else its first), as enrolment stores it.
  MemorySubjectDirectory(const study::Trial& trial, std::vector<study::SubjectRecord> subjects,
                         const mapping::Pseudonymizer& secret);

  // Keeps the Observations of a written Bundle (a later version of the same Observation
  // replaces the earlier; entered-in-error or cancelled removes it).
  void remember(const core::Element& bundle);

  core::Result<std::optional<study::DirectoryEntry>> findByPseudonym(
      const study::Trial& trial, std::string_view pseudonym) const override;
  core::Result<std::vector<study::DoseGiven>> doses(
      const study::Trial& trial, const study::DirectoryEntry& subject) const override;
  core::Result<std::vector<study::LabResult>> results(
      const study::Trial& trial, const study::DirectoryEntry& subject,
      std::span<const study::Coding> tests, int64_t from = study::kNoLowerBound,
      size_t limit = 1000, int64_t before = study::kNoUpperBound) const override;

 private:
  struct Stored {
    std::string patient;  // "Patient/{id}"
    study::LabResult result;
  };
  const study::Trial& trial_;
  std::vector<study::DirectoryEntry> entries_;
  std::vector<std::string> pseudonyms_;
  mutable std::mutex mutex_;
  std::vector<Stored> results_;
};

}  // namespace trialbridge::pipeline
