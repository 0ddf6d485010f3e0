#pragma once
// The vocabulary maps of mappings/vocabulary.json (embedded): registry identifier systems,
// code-system aliases, and the translations of the trial definition's and entity files' codes to
// FHIR R4 codes. Built on first use; thread-safe.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/regex.h"

namespace trialbridge::study {

class Vocabulary {
 public:
  static const Vocabulary& get();

  struct Registry {
    std::string system;  // empty for sponsor / other
    std::string display;
    std::string pattern;                       // regex of valid values (the whole value), or empty
    std::shared_ptr<const core::Regex> regex;  // `pattern` compiled once
  };
  struct Code {
    std::string code, display, text;
  };

  // The URI of a code-system alias ("loinc"), or the argument itself when it is a URI (has a
  // ':'); empty for an unknown alias.
  std::string codeSystem(std::string_view aliasOrUri) const;
  std::vector<std::string> codeSystemAliases() const;
  const Registry* registry(std::string_view code) const;
  // The registry (nct, ctis...) whose identifier system is `system`; "" when none.
  std::string registryOfSystem(std::string_view system) const;
  // No registry number is nearly this long: a longer value matches no registry (and is not run
  // through the patterns).
  static constexpr size_t kMaxRegistryId = 256;
  // The registry whose identifier pattern the whole value matches; "" when none does.
  std::string registryOfValue(std::string_view value) const;
  // research-study-phase for the phases joined with '+' ("PHASE1+PHASE2"), or nullptr.
  const Code* phase(std::string_view phases) const;
  // The phases joined with '+' of a research-study-phase code ("phase-1-phase-2" ->
  // "PHASE1+PHASE2"); "" when no entry has the code.
  std::string phasesOf(std::string_view code) const;
  const Code* primaryPurpose(std::string_view purpose) const;
  // The ClinicalTrials.gov primary purpose of a research-study-prim-purp-type code; "" if none.
  std::string primaryPurposeOf(std::string_view code) const;
  // research-subject-status code for a status or synonym; empty when unknown.
  std::string subjectStatus(std::string_view status) const;
  std::vector<std::string> subjectStatusNames() const;
  std::string aeOutcome(std::string_view outcome) const;
  // WHO-UMC causality code (adverse-event-causality-assess); empty when there is none.
  std::string aeRelatedness(std::string_view relatedness) const;
  std::string aeSeriousness(std::string_view criterion) const;
  std::string ctcaeSeverity(int grade) const;
  std::string timeUnitName(std::string_view unit) const;
  // The display of an HL7 code (from the "displays" section), or "".
  std::string display(std::string_view system, std::string_view code) const;
  // Whether an intervention of this ClinicalTrials.gov type becomes a Medication resource.
  bool interventionIsMedication(std::string_view type) const;

 private:
  Vocabulary();
  using Map = std::map<std::string, std::string, std::less<>>;
  Map codeSystems_, subjectStatus_, aeOutcome_, aeRelatedness_, aeSeriousness_, ctcaeSeverity_,
      timeUnits_;
  std::map<std::string, Registry, std::less<>> registries_;
  std::map<std::string, Code, std::less<>> phases_, purposes_;
  std::vector<std::string> medicationTypes_;
  std::map<std::string, Map, std::less<>> displays_;
};

}  // namespace trialbridge::study
