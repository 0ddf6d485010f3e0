#include "mapping/subject_mapper.h"

#include <string>

#include "conformance/profiles.h"
#include "study/ids.h"
#include "study/vocabulary.h"

namespace trialbridge::mapping {

using study::HospitalIdentifier;
using study::StatusChange;
using study::SubjectRecord;
using study::Trial;
using study::Vocabulary;
namespace ids = study::ids;

namespace p = conformance::profiles;
using core::Element;

const HospitalIdentifier& pseudonymSource(const SubjectRecord& s) {
  for (const HospitalIdentifier& h : s.hospitalIdentifiers) {
    if (h.type == "MR") return h;
  }
  return s.hospitalIdentifiers.front();
}

namespace {

std::string truncatedBirthDate(const std::string& date, const std::string& precision) {
  if (precision == "year") return date.substr(0, 4);
  if (precision == "month") return date.substr(0, 7);
  return date;
}

// The intervention a dosing timepoint gives to the subject's arm: its first administration
// activity (the trial reader checked that the arm receives it).
const study::Intervention* givenAt(const Trial& t, const study::Timepoint& tp) {
  for (const std::string& id : tp.activities) {
    const study::Activity* a = t.activity(id);
    if (a != nullptr && a->kind == "administration") return t.intervention(a->intervention);
  }
  return nullptr;
}

const study::Timepoint* timepoint(const Trial& t, std::string_view id) {
  for (const study::Schedule& s : t.schedules) {
    for (const study::Timepoint& tp : s.timepoints) {
      if (tp.id == id) return &tp;
    }
  }
  return nullptr;
}

// One dose given: a MedicationAdministration naming its timepoint (tb-timepoint).
void mapDose(const Trial& t, const SubjectRecord& s, const study::DoseRecord& d,
             TransactionBuilder& tx) {
  ResourceBuilder& b = tx.builder();
  const study::Timepoint* tp = timepoint(t, d.timepoint);
  const study::Intervention* given = tp ? givenAt(t, *tp) : nullptr;
  const std::string arm = !s.actualArm.empty() ? s.actualArm : s.arm;
  const study::ArmIntervention* dose =
      given && !arm.empty() ? t.arm(arm)->intervention(given->id) : nullptr;
  Element* r = tx.addResource("MedicationAdministration",
                              ids::dose(t, s.subjectId, d.timepoint, d.occurrence),
                              p::kMedicationAdministration);
  b.narrative(
      r, "Dose of " + (given ? given->name : std::string("study intervention")) + " to subject " +
             s.subjectId + " at " + (tp ? tp->label : d.timepoint) +
             (d.occurrence > 1 ? " (occurrence " + std::to_string(d.occurrence) + ")" : "") +
             ", given " + d.dateTime + ".");
  b.reference(b.extension(r, p::kExtWorkflowResearchStudy), "valueReference",
              "ResearchStudy/" + ids::study(t));
  Element* place = b.extension(r, p::kExtTimepoint);
  b.primitive(b.extension(place, "timepoint"), "valueString", d.timepoint);
  b.primitive(b.extension(place, "occurrence"), "valuePositiveInt", std::to_string(d.occurrence));
  Element* id = b.add(r, "identifier");
  b.primitive(id, "system", ids::doseIdSystem(t));
  b.primitive(id, "value", s.subjectId + "/" + d.timepoint + "/" + std::to_string(d.occurrence));
  b.primitive(r, "status", "completed");
  if (given && Vocabulary::get().interventionIsMedication(given->type)) {
    b.reference(r, "medicationReference", "Medication/" + ids::medication(t, given->id),
                given->name);
  } else {
    Element* code = b.add(r, "medicationCodeableConcept");
    b.primitive(code, "text", given ? given->name : std::string("study intervention"));
  }
  b.reference(r, "subject", "Patient/" + ids::patient(t, s.subjectId));
  b.primitive(r, "effectiveDateTime", d.dateTime);
  if (dose && dose->dose) {
    Element* dosage = b.add(r, "dosage");
    b.primitive(dosage, "text", dose->dose->text);
    if (dose->route) b.codeableConcept(dosage, "route", *dose->route);
    if (dose->dose->quantity) {
      const study::Quantity& q = *dose->dose->quantity;
      b.quantity(dosage, "dose", q.value, q.unit, q.ucum);
    }
  }
}

}  // namespace

void mapSubject(const Trial& t, const SubjectRecord& s, const Pseudonymizer& pseudonymizer,
                TransactionBuilder& tx) {
  ResourceBuilder& b = tx.builder();
  const std::string patientId = ids::patient(t, s.subjectId);
  const std::string patientRef = "Patient/" + patientId;
  const std::string studyRef = "ResearchStudy/" + ids::study(t);

  // Patient: only the pseudonym; names and hospital numbers never leave the input.
  Element* patient = tx.addResource("Patient", patientId, p::kPatient);
  b.narrative(patient, "Pseudonymised subject of " + t.primaryIdentifier().value +
                           " (no name, no hospital identifier).");
  const HospitalIdentifier& source = pseudonymSource(s);
  Element* id = b.add(patient, "identifier");
  b.primitive(id, "use", "secondary");
  b.codeable(id, "type", p::kV20203, "ANON", Vocabulary::get().display(p::kV20203, "ANON"));
  b.primitive(id, "system", ids::pseudonymSystem(t));
  b.primitive(id, "value", pseudonymizer.pseudonym(source.system, source.value));
  b.primitive(patient, "gender", s.sex);
  if (!s.birthDate.empty())
    b.primitive(patient, "birthDate", truncatedBirthDate(s.birthDate, t.birthDatePrecision));

  // Consent.
  const std::string consentId = ids::consent(t, s.subjectId);
  if (s.consent) {
    Element* consent = tx.addResource("Consent", consentId, p::kConsent);
    b.narrative(
        consent,
        "Informed consent of subject " + s.subjectId + " to " + t.primaryIdentifier().value +
            ", given " + s.consent->date +
            (s.consent->withdrawnDate.empty() ? "" : ", withdrawn " + s.consent->withdrawnDate) +
            ".");
    b.reference(b.extension(consent, p::kExtWorkflowResearchStudy), "valueReference", studyRef);
    b.primitive(consent, "status", s.consent->withdrawnDate.empty() ? "active" : "inactive");
    b.codeable(consent, "scope", p::kConsentScope, "research",
               Vocabulary::get().display(p::kConsentScope, "research"));
    b.codeable(consent, "category", p::kConsentCategory, "research",
               Vocabulary::get().display(p::kConsentCategory, "research"));
    b.reference(consent, "patient", patientRef);
    b.primitive(consent, "dateTime", s.consent->date);
    if (!s.site.empty() && !t.site(s.site)->organization.empty()) {
      const std::string& org = t.site(s.site)->organization;
      b.reference(consent, "organization", "Organization/" + ids::organization(t, org),
                  t.organization(org)->name);
    }
    Element* rule = b.add(consent, "policyRule");
    b.primitive(rule, "text",
                "Informed consent form" +
                    (s.consent->formVersion.empty() ? "" : " version " + s.consent->formVersion) +
                    " of " + t.primaryIdentifier().value);
    Element* provision = b.add(consent, "provision");
    b.primitive(provision, "type", "permit");
    Element* period = b.add(provision, "period");
    b.primitive(period, "start", s.consent->date);
    b.primitive(period, "end", s.consent->withdrawnDate);
  }

  // ResearchSubject.
  Element* rs =
      tx.addResource("ResearchSubject", ids::researchSubject(t, s.subjectId), p::kResearchSubject);
  std::string text =
      "Subject " + s.subjectId + " of " + t.primaryIdentifier().value + ": " + s.status;
  if (!s.arm.empty()) text += ", arm " + t.arm(s.arm)->name;
  b.narrative(rs, text + ".");
  for (const StatusChange& c : s.history) {
    Element* x = b.extension(rs, p::kExtSubjectStatusHistory);
    b.primitive(b.extension(x, "status"), "valueCode", c.status);
    b.primitive(b.extension(x, "date"), "valueDateTime", c.date);
    if (!c.reason.empty()) b.primitive(b.extension(x, "reason"), "valueString", c.reason);
  }
  Element* sid = b.add(rs, "identifier");
  b.codeable(sid, "type", p::codeSystem("tb-identifier-type"), "subject-id");
  b.primitive(sid, "system", ids::subjectIdSystem(t));
  b.primitive(sid, "value", s.subjectId);
  if (!s.screeningNumber.empty()) {
    Element* scr = b.add(rs, "identifier");
    b.codeable(scr, "type", p::codeSystem("tb-identifier-type"), "screening-number");
    b.primitive(scr, "system", ids::screeningNumberSystem(t));
    b.primitive(scr, "value", s.screeningNumber);
  }
  b.primitive(rs, "status", s.status);
  const std::string start =
      !s.enrollmentDate.empty() ? s.enrollmentDate : (s.consent ? s.consent->date : "");
  if (!start.empty() || !s.endDate.empty()) {
    Element* period = b.add(rs, "period");
    b.primitive(period, "start", start);
    b.primitive(period, "end", s.endDate);
  }
  b.reference(rs, "study", studyRef);
  b.reference(rs, "individual", patientRef);
  if (!s.arm.empty()) b.primitive(rs, "assignedArm", t.arm(s.arm)->name);
  if (!s.actualArm.empty()) b.primitive(rs, "actualArm", t.arm(s.actualArm)->name);
  if (s.consent) b.reference(rs, "consent", "Consent/" + consentId);

  for (const study::DoseRecord& d : s.doses) mapDose(t, s, d, tx);
}

}  // namespace trialbridge::mapping
