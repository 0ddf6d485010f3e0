#pragma once
// study::SubjectDirectory over the resource store: a subject is found by the pseudonym on its
// Patient (Patient?identifier={canonicalBase}/pseudonym|{hmac}), then its ResearchSubject of the
// trial's ResearchStudy (ResearchSubject?individual=...&study=...); its doses are its
// MedicationAdministrations, its results its Observations (docs/study-logic.md, "Subjects in the
// store"). Reads only: each call is a few indexed searches, on the store's read connections,
// safe from any thread. Works on both backends (SQLite, PostgreSQL).
#include "store/store.h"
#include "study/subject_directory.h"

namespace trialbridge::pipeline {

class StoreSubjectDirectory final : public study::SubjectDirectory {
 public:
  // `store` must outlive the directory.
  explicit StoreSubjectDirectory(store::Store& store) : store_(store) {}

  core::Result<std::optional<study::DirectoryEntry>> findByPseudonym(
      const study::Trial& trial, std::string_view pseudonym) const override;
  core::Result<std::vector<study::DoseGiven>> doses(
      const study::Trial& trial, const study::DirectoryEntry& subject) const override;
  core::Result<std::vector<study::LabResult>> results(
      const study::Trial& trial, const study::DirectoryEntry& subject,
      std::span<const study::Coding> tests, int64_t from = study::kNoLowerBound,
      size_t limit = 1000, int64_t before = study::kNoUpperBound) const override;

 private:
  core::Result<std::vector<store::ResourceVersion>> search(std::string_view type,
                                                           const store::QueryParams& params,
                                                           size_t count) const;
  store::Store& store_;
};

}  // namespace trialbridge::pipeline
