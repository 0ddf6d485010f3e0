#pragma once
// The trial definition (docs/trial-definition.md) and the trial entities (subjects, adverse-event
// reports) as plain structs, after readTrial()/readEntity() have checked them: every reference
// between them resolves, codes are from their value sets, code-system aliases are replaced by
// their URIs. Decimal values keep the text they were written with.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trialbridge::study {

struct Coding {
  std::string system;  // URI
  std::string code;
  std::string display;
  std::string version;
};

struct Concept {
  std::string text;
  std::vector<Coding> codes;
};

// An amount of time: value as written (may be negative for offsets), unit min|h|d|wk|mo.
struct TimeAmount {
  std::string value;
  double number = 0;
  std::string unit;
};

struct StudyIdentifier {
  std::string registry;  // nct, ctis, ..., sponsor, other
  std::string value;
  std::string system;    // URI (from the registry, or given)
  std::string assigner;  // organization id
  bool primary = false;
};

struct Address {
  std::vector<std::string> lines;
  std::string city, district, state, postalCode, country;
};

struct Organization {
  std::string id, name, klass;  // klass: ClinicalTrials.gov AgencyClass
  std::optional<Address> address;
};

struct Site {
  std::string id, name, organization, status;
  Address address;
};

struct Contact {
  std::string id, name, role, site, organization, phone, email;
  bool central = false;
};

struct Intervention {
  std::string id, name, type, description;
  std::vector<std::string> otherNames;
  std::vector<Coding> codes;
};

struct Quantity {
  std::string value;  // decimal text
  std::string unit;   // for people
  std::string ucum;   // UCUM code
};

struct Dose {
  std::string text;     // as registered
  std::string reading;  // how it is read, when the registered text is unclear
  std::optional<Quantity> quantity;
};

struct ArmIntervention {
  std::string intervention;
  std::optional<Dose> dose;
  std::optional<Concept> route;
  std::string frequency;
};

struct Cohort {
  int sequence = 0;
  std::string part;  // dose-escalation | dose-expansion | other
  int size = 0;
  std::vector<std::string> doseFrom;  // expansion: ids of the escalation arms the dose comes from
};

// How the dose-escalation cohorts escalate.
struct DoseEscalation {
  std::string rule;                // 3+3 | BOIN | text
  std::string description;         // the rule in words (required for text)
  std::string targetToxicityRate;  // BOIN: decimal text, e.g. "0.3"
};

struct Arm {
  std::string id, name, type, description;
  std::optional<Cohort> cohort;
  std::vector<ArmIntervention> interventions;

  const ArmIntervention* intervention(std::string_view key) const;
};

struct Activity {
  std::string id, name, kind, intervention, description;
  std::optional<Concept> code;
  std::optional<Concept> specimen;
};

struct Anchor {
  std::string event;      // consent, enrollment, randomization, first-dose, last-dose; or ""
  std::string timepoint;  // or the id of a timepoint of the same schedule
};

struct Timepoint {
  std::string id, label, type;  // type: dosing | assessment
  Anchor anchor;
  std::optional<TimeAmount> offset;  // signed; absent: only `relation` is known
  std::string relation;              // before | after (derived from the offset when there is one)
  std::optional<TimeAmount> windowBefore, windowAfter;
  int repeatCount = 0;  // 0: no repeat
  std::optional<TimeAmount> repeatEvery;
  std::vector<std::string> activities;
};

struct Schedule {
  std::string id, name, description;
  std::vector<std::string> arms;  // empty: all arms
  std::string sex;                // FEMALE | MALE: only subjects of this sex; "" for all
  int firstSubjects = 0;          // > 0: only the first N subjects of its arms
  std::vector<Timepoint> timepoints;
};

struct Criterion {
  std::string id, text;
};

struct Threshold {
  std::string comparator;  // < <= > >=
  std::string value;       // decimal text
  std::string relativeTo;  // ULN | LLN, or ""
  std::string unit;        // UCUM, when absolute
};

struct Rule {
  std::string id, kind, criterion;  // kind: lab | pregnancy-test | washout | anyOf
  // lab
  std::optional<Concept> test;
  Threshold threshold;
  std::optional<TimeAmount> within;  // lab, pregnancy-test
  // pregnancy-test
  std::string appliesTo, result;
  std::vector<std::string> specimens;
  // washout
  std::optional<Concept> medication;
  std::optional<TimeAmount> period;
  std::string before;  // reference event (default first-dose)
  // anyOf
  std::vector<Rule> rules;
};

struct Age {
  std::string value;  // decimal text
  std::string unit;   // a, mo, wk, d
};

struct Eligibility {
  std::string sex;  // ALL, FEMALE, MALE
  std::optional<Age> minimumAge, maximumAge;
  std::optional<bool> healthyVolunteers;
  std::string ageCriterion;
  std::vector<Criterion> inclusion, exclusion;
  std::optional<int> registeredInclusion, registeredExclusion;
  std::vector<Rule> rules;
};

struct Objective {
  std::string type, text;
};

struct Outcome {
  std::string type, measure, description, timeFrame;
};

// --- The protocol's logic (docs/study-logic.md): settings of the trial file's "laboratory",
// "efficacy" and "safety" blocks. Numbers are read as numbers: they are compared, not mapped.

// A limit of normal the trial configures for results that come without a reference range.
struct ReferenceRange {
  Concept test;
  std::optional<double> low, high;
  std::string unit;  // UCUM
  std::string sex;   // female | male | "" (both)
  std::optional<Age> minimumAge, maximumAge;
};

struct LaboratorySettings {
  // How long before consent a result may date and still be kept (for eligibility criteria about
  // the history, e.g. "thrombocytopenia for more than 3 months"); absent: none before consent.
  std::optional<TimeAmount> lookBack;
  // A result farther than this from every window of a timepoint that schedules its test is
  // unscheduled rather than out of window; absent: always out of window of the nearest.
  std::optional<TimeAmount> unscheduledBeyond;
  std::vector<ReferenceRange> referenceRanges;
};

// Platelet response by the ITP International Working Group (Rodeghiero et al., Blood 2009).
struct PlateletResponseSettings {
  std::string criteria = "itp-iwg-2009";
  Concept test;                   // the platelet count (default LOINC 777-3 and its analyte)
  std::string baselineTimepoint;  // the protocol's baseline visit; "" : the last count before
                                  // the first dose
  std::string unit = "10*9/L";    // the unit of the thresholds
  double completeResponse = 100;  // CR: count >= this
  double response = 30;           // R: count >= this and >= foldOfBaseline x baseline
  double foldOfBaseline = 2;
  TimeAmount confirmation{"7", 7, "d"};      // two counts more than this apart confirm CR/R
  TimeAmount lossConfirmation{"1", 1, "d"};  // ... and a loss
  std::vector<std::string> assessAt;  // timepoints a response is reported at; empty: every count
};

struct EfficacySettings {
  std::optional<PlateletResponseSettings> plateletResponse;
};

// How one CTCAE term is graded in this trial.
struct ToxicityTermSettings {
  // platelet-count-decreased | alanine-aminotransferase-increased |
  // aspartate-aminotransferase-increased | blood-bilirubin-increased | creatinine-increased
  std::string term;
  // ctcae: the CTCAE v5.0 grade; relative-to-baseline: reported only when worse than the grade
  // of the subject's baseline value (a disease-defining lab); none: not graded.
  std::string grading = "ctcae";
  std::optional<int> draftFromGrade;  // overrides SafetySettings::draftFromGrade
};

struct SafetySettings {
  std::string criteria = "ctcae-5.0";
  int draftFromGrade = 3;                   // a draft AdverseEvent is proposed from this grade
  std::vector<ToxicityTermSettings> terms;  // only these terms are graded

  const ToxicityTermSettings* term(std::string_view id) const;
};

struct Trial {
  std::string id;
  std::string canonicalBase;  // given, or http://trialbridge.org/fhir/trials/{id}
  std::vector<StudyIdentifier> identifiers;
  std::string briefTitle, officialTitle, acronym;
  std::string summary, description;
  std::string status;           // ClinicalTrials.gov overall status
  std::string lastKnownStatus;  // with status UNKNOWN
  std::string startDate, primaryCompletionDate, completionDate;
  std::string startDateType, primaryCompletionDateType, completionDateType;  // ACTUAL | ESTIMATED
  std::vector<std::string> phases;
  std::string studyType;
  struct Design {
    std::string primaryPurpose, allocation, interventionModel, masking, observationalModel;
    std::vector<std::string> whoMasked;
    std::string description;
    std::optional<DoseEscalation> doseEscalation;
  } design;
  std::vector<Concept> conditions;
  std::vector<std::string> keywords;
  std::vector<Organization> organizations;
  std::string sponsor;
  std::vector<std::string> collaborators;
  std::vector<Site> sites;
  std::vector<Contact> contacts;
  int enrollmentTarget = 0;
  std::string enrollmentType;
  std::vector<Intervention> interventions;
  std::vector<Arm> arms;
  std::vector<Activity> activities;
  std::vector<Schedule> schedules;
  Eligibility eligibility;
  std::vector<Objective> objectives;
  std::vector<Outcome> outcomes;
  std::string birthDatePrecision = "day";  // year | month | day
  // The protocol's logic.
  LaboratorySettings laboratory;
  EfficacySettings efficacy;
  SafetySettings safety;

  const Organization* organization(std::string_view key) const;
  const Site* site(std::string_view key) const;
  const Intervention* intervention(std::string_view key) const;
  const Arm* arm(std::string_view key) const;
  const Activity* activity(std::string_view key) const;
  // The identifier marked primary, else the first.
  const StudyIdentifier& primaryIdentifier() const;
  // True when `key` names this trial: its id or the value of one of its identifiers.
  bool isNamed(std::string_view key) const;
};

struct HospitalIdentifier {
  std::string type, system, assigner, value;
};

struct StatusChange {
  std::string status;  // R4 research-subject-status code
  std::string date;    // FHIR date or dateTime
  std::string reason;
};

// A dose of study intervention given to a subject at a dosing timepoint.
struct DoseRecord {
  std::string timepoint;  // a dosing timepoint's id
  int occurrence = 1;     // which repetition of a repeating timepoint (1-based)
  std::string dateTime;   // FHIR dateTime (or date) when it was given
};

struct SubjectRecord {
  std::string subjectId, screeningNumber, site;
  std::vector<HospitalIdentifier> hospitalIdentifiers;
  std::string birthDate, sex;
  std::string arm, actualArm;  // arm ids
  std::string status;          // R4 research-subject-status code
  std::string statusAsGiven;
  std::vector<StatusChange> history;
  struct Consent {
    std::string date, formVersion, withdrawnDate;
  };
  std::optional<Consent> consent;
  std::string enrollmentDate, endDate;
  // For the protocol's logic.
  std::optional<bool> childbearingPotential;
  std::vector<DoseRecord> doses;  // in the order given
};

struct Causality {
  std::string intervention;  // intervention id
  std::string relatedness;   // related, probably-related, ..., unassessable
  std::string assessedBy, method;
};

struct AdverseEventRecord {
  std::string id, subject, term, description;
  std::vector<Coding> codes;
  std::string onset, detected, recorded, resolution;  // FHIR dateTime (or date)
  bool serious = false;
  std::vector<std::string> seriousnessCriteria;
  std::string severity;  // mild | moderate | severe (given, or from the CTCAE grade)
  int ctcaeGrade = 0;    // 0: none
  std::string ctcaeVersion, ctcaeTerm;
  std::string outcome;  // as given: recovered, recovering, ...
  std::vector<Causality> causality;
  std::string actionTaken, timepoint;
};

// One entity file: its kind says which record is filled.
struct Entity {
  enum class Kind { Subject, AdverseEvent };
  Kind kind = Kind::Subject;
  std::string file;  // where it was read from, for messages
  SubjectRecord subject;
  AdverseEventRecord adverseEvent;
};

}  // namespace trialbridge::study
