#include "pipeline/memory_subject_directory.h"

#include <algorithm>

#include "mapping/lab_result_reader.h"
#include "mapping/subject_mapper.h"
#include "study/ids.h"
#include "study/visit_plan.h"

namespace trialbridge::pipeline {

MemorySubjectDirectory::MemorySubjectDirectory(const study::Trial& trial,
                                               std::vector<study::SubjectRecord> subjects,
                                               const mapping::Pseudonymizer& secret)
    : trial_(trial) {
  for (study::SubjectRecord& s : subjects) {
    if (s.hospitalIdentifiers.empty()) continue;
    const study::HospitalIdentifier& h = mapping::pseudonymSource(s);
    pseudonyms_.push_back(secret.pseudonym(h.system, h.value));
    study::DirectoryEntry e;
    e.patient = "Patient/" + study::ids::patient(trial, s.subjectId);
    e.researchSubject = "ResearchSubject/" + study::ids::researchSubject(trial, s.subjectId);
    e.record = std::move(s);
    entries_.push_back(std::move(e));
  }
}

void MemorySubjectDirectory::remember(const core::Element& bundle) {
  std::lock_guard lock(mutex_);
  bundle.forEachChild("entry", [&](const core::Element& entry) {
    const core::Element* r = entry.child("resource");
    if (r == nullptr || r->type().name != "Observation") return;
    const core::Element* id = r->child("id");
    const core::Element* subject = r->child("subject");
    const core::Element* ref = subject ? subject->child("reference") : nullptr;
    if (id == nullptr || ref == nullptr) return;
    const std::string source = "Observation/" + std::string(id->value());
    std::erase_if(results_, [&](const Stored& s) { return s.result.source == source; });
    const core::Element* status = r->child("status");
    if (status != nullptr &&
        (status->value() == "entered-in-error" || status->value() == "cancelled")) {
      return;
    }
    if (auto result = mapping::labResultOf(*r, nullptr)) {
      result->source = source;
      results_.push_back({std::string(ref->value()), std::move(*result)});
    }
  });
}

core::Result<std::optional<study::DirectoryEntry>> MemorySubjectDirectory::findByPseudonym(
    const study::Trial& trial, std::string_view pseudonym) const {
  using Found = std::optional<study::DirectoryEntry>;
  if (&trial != &trial_ && trial.id != trial_.id) return Found();
  for (size_t i = 0; i < pseudonyms_.size(); ++i) {
    if (pseudonyms_[i] == pseudonym) return Found(entries_[i]);
  }
  return Found();
}

core::Result<std::vector<study::DoseGiven>> MemorySubjectDirectory::doses(
    const study::Trial&, const study::DirectoryEntry& subject) const {
  return study::subjectEvents(subject.record).doses;
}

core::Result<std::vector<study::LabResult>> MemorySubjectDirectory::results(
    const study::Trial&, const study::DirectoryEntry& subject, std::span<const study::Coding> tests,
    int64_t from, size_t limit, int64_t before) const {
  std::vector<study::LabResult> out;
  {
    std::lock_guard lock(mutex_);
    for (const Stored& s : results_) {
      if (s.patient != subject.patient || s.result.effective.seconds < from ||
          s.result.effective.seconds >= before) {
        continue;
      }
      const bool wanted = std::any_of(tests.begin(), tests.end(), [&](const study::Coding& c) {
        return c.code == s.result.code && (c.system.empty() || c.system == s.result.system);
      });
      if (wanted) out.push_back(s.result);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.effective.seconds < b.effective.seconds;
  });
  if (out.size() > limit) out.erase(out.begin(), out.end() - static_cast<ptrdiff_t>(limit));
  return out;
}

}  // namespace trialbridge::pipeline
