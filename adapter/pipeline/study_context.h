#pragma once
// The study context (issue 11; docs/study-logic.md, "The study context"): what a hospital's lab
// results become in the trial. It takes the plain mapping of a message or an EHR's resources (a
// Bundle holding the hospital's Patient, with its hospital identifiers, and its Observations)
// and decides what is stored:
//
//   1. Matching: each identifier of each Patient (its system, or for an identifier without one
//      the system the site maps its assigner's namespace to, as PID-3.4 names it) is turned into
//      the pseudonym of each trial (mapping::Pseudonymizer) and looked up in the subject
//      directory. A Patient that matches no subject is not a subject: nothing of it is stored
//      (its Observations are counted, never logged).
//   2. Identity: the stored Observations refer to the subject's pseudonymous Patient and name
//      the study (workflow-researchStudy); the hospital's Patient, encounter, orders, specimens
//      and performers are not stored. Each Observation keeps its id (the mapping's ids are
//      deterministic and carry no identity), so a corrected result is a new version of it.
//   3. Consent: a result dated before the subject's consent is kept only within the trial's
//      laboratory.lookBack before it; otherwise it is counted and dropped.
//   4. Placement: each Observation gets the tb-timepoint extension (timepoint and occurrence,
//      in-window / out-of-window with the distance / unscheduled) from the subject's visit plan
//      (its consent, enrolment and doses given, from the directory).
//   5. Derived results, each with the source Observation in derivedFrom (or suspectEntity) and
//      all of them targets of one Provenance whose entity is the source:
//      - the platelet response (IWG 2009, provisional: status preliminary) at the counts of the
//        timepoints the trial reports it at, re-derived for every later count when a count is
//        new or corrected (the older derivations become new versions);
//      - a draft AdverseEvent (actuality potential) for a lab whose CTCAE grade reaches the
//        trial's threshold, once per episode and grade (study::proposeDraft).
// Pure given the directory's answers: no store writes (the caller writes `writes` in its unit),
// no clock (the Provenance's time is the caller's).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/element.h"
#include "core/issue.h"
#include "hl7v2/message.h"
#include "mapping/pseudonymizer.h"
#include "study/subject_directory.h"
#include "study/trial.h"

namespace trialbridge::pipeline {

// A trial the context knows, with its pseudonymisation secret. Both must outlive the context.
struct StudyTrial {
  const study::Trial* trial = nullptr;
  const mapping::Pseudonymizer* secret = nullptr;
};

struct StudyContextOptions {
  // The site's map from an assigning authority's namespace (PID-3.4.1, Identifier.assigner
  // .display) to an identifier system, for identifiers that come without a system.
  std::map<std::string, std::string, std::less<>> identifierSystems;
  // The base of the written entries' fullUrl.
  std::string fullUrlBase = "http://trialbridge.local/fhir";
  // At most this many stored results of a test are read for a new one (the latest: the course
  // of the platelet response, the toxicity episode; the baseline is asked for apart when it is
  // older than these). They are read backwards in a window (64, then doubling) that stops as
  // soon as it decides the new result as the whole history would (docs/study-logic.md, "What is
  // read"), so a settled course reads 64 whatever its length; one that never settles reads this
  // many, and past it is judged on them. Never more than this whatever the history.
  size_t resultsLimit = 1000;
};

struct StudyOutcome {
  // A transaction Bundle (PUTs by id) to write in the caller's unit; null when there is
  // nothing to store (no Patient is a subject, or every result was dropped).
  std::unique_ptr<core::Document> writes;
  // Errors (the directory could not answer) mean: store nothing, try again later. Warnings
  // locate results that could not be used (no coded test, no time). Never any identity.
  core::Issues issues;
  // The directory (the database under it) could not answer: the error is no fault of the
  // message, which is to be sent again rather than quarantined.
  bool directoryFailed = false;
  int subjects = 0;           // Patients matched to a subject
  int notSubjects = 0;        // Patients that are no subject
  int stored = 0;             // Observations written
  int notSubjectResults = 0;  // Observations of patients who are no subject (dropped)
  int beforeConsent = 0;      // dropped: dated before consent, beyond the look-back
  int derived = 0;            // platelet responses written
  int drafts = 0;             // draft AdverseEvents written
};

class StudyContext {
 public:
  // `directory` must outlive the context; `types` is the R4 type resolver of the writes.
  StudyContext(std::vector<StudyTrial> trials, const study::SubjectDirectory& directory,
               const core::TypeResolver& types, StudyContextOptions options = {});

  // `mapped` is a Bundle (any type) of Patients and Observations (other resources are ignored);
  // Observations find their Patient by subject reference ("Patient/{id}" or the Patient
  // entry's fullUrl). `source` names where it came from, for the Provenance's entity (a v2
  // receipt key "hl7:MSH-3|MSH-4|MSH-10", or a reference); `recorded` is the Provenance's
  // instant (FHIR instant text). Thread-safe.
  StudyOutcome apply(const core::Element& mapped, std::string_view source,
                     std::string_view recorded) const;

  const std::vector<StudyTrial>& trials() const { return trials_; }

 private:
  std::vector<StudyTrial> trials_;
  const study::SubjectDirectory& directory_;
  const core::TypeResolver& types_;
  StudyContextOptions options_;
};

// The source key of an HL7 v2 message for the Provenance: "hl7:MSH-3|MSH-4|MSH-10" (first
// components), as its receipt is keyed.
std::string v2SourceKey(const hl7v2::Message& message);
// The time the mapping recorded for its source (the `recorded` of the mapped Bundle's first
// Provenance: MSH-7 for a v2 message), or "" when it has none.
std::string mappedRecorded(const core::Element& mapped);

}  // namespace trialbridge::pipeline
