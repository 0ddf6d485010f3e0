#include "mapping/adverse_event_mapper.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "conformance/profiles.h"
#include "study/ids.h"
#include "study/vocabulary.h"

namespace trialbridge::mapping {

using study::AdverseEventRecord;
using study::Causality;
using study::Coding;
using study::Intervention;
using study::Trial;
using study::Vocabulary;
namespace ids = study::ids;

namespace p = conformance::profiles;
using core::Element;

void mapAdverseEvent(const Trial& t, const AdverseEventRecord& a, TransactionBuilder& tx) {
  ResourceBuilder& b = tx.builder();
  const Vocabulary& vocab = Vocabulary::get();
  Element* r = tx.addResource("AdverseEvent", ids::adverseEvent(t, a.id), p::kAdverseEvent);

  std::string text = "Adverse event " + a.id + " of subject " + a.subject + ": " + a.term +
                     " (onset " + a.onset + ")";
  if (a.ctcaeGrade > 0) text += ", CTCAE grade " + std::to_string(a.ctcaeGrade);
  text += a.serious ? ", serious" : ", not serious";
  text += ", outcome " + a.outcome + ".";
  if (!a.description.empty()) text += "\n" + a.description;
  if (!a.timepoint.empty()) text += "\nReported at timepoint " + a.timepoint + ".";
  b.narrative(r, text);

  if (a.ctcaeGrade > 0) {
    Element* grade = b.add(b.extension(r, p::kExtCtcaeGrade), "valueCodeableConcept");
    // The CTCAE version is not the version of the grade code system: it goes in the text.
    b.coding(grade, "coding", p::codeSystem("tb-ctcae-grade"), std::to_string(a.ctcaeGrade));
    std::string gradeText = "CTCAE";
    if (!a.ctcaeVersion.empty()) gradeText += " v" + a.ctcaeVersion;
    gradeText += " grade " + std::to_string(a.ctcaeGrade);
    if (!a.ctcaeTerm.empty()) gradeText += " (" + a.ctcaeTerm + ")";
    b.primitive(grade, "text", gradeText);
  }
  if (!a.resolution.empty())
    b.primitive(b.extension(r, p::kExtAeResolution), "valueDateTime", a.resolution);
  if (!a.actionTaken.empty()) {
    b.codeable(b.extension(r, p::kExtAeActionTaken), "valueCodeableConcept",
               p::codeSystem("tb-ae-action-taken"), a.actionTaken);
  }
  for (const std::string& c : a.seriousnessCriteria) {
    b.codeable(b.extension(r, p::kExtAeSeriousnessCriterion), "valueCodeableConcept",
               p::codeSystem("tb-seriousness-criterion"), c);
  }

  Element* id = b.add(r, "identifier");
  b.codeable(id, "type", p::codeSystem("tb-identifier-type"), "adverse-event-id");
  b.primitive(id, "system", ids::adverseEventIdSystem(t));
  b.primitive(id, "value", a.id);
  b.primitive(r, "actuality", "actual");
  Element* event = b.add(r, "event");
  for (const Coding& c : a.codes) b.coding(event, "coding", c.system, c.code, c.display, c.version);
  b.primitive(event, "text", a.term);
  b.reference(r, "subject", "Patient/" + ids::patient(t, a.subject));
  b.primitive(r, "date", a.onset);
  b.primitive(r, "detected", a.detected);
  b.primitive(r, "recordedDate", a.recorded);

  // Seriousness holds one code: the gravest criterion (in the order of mappings/vocabulary.json's
  // aeSeriousness, gravest first); all criteria are in the extension.
  std::string seriousness = "Non-serious";
  if (a.serious) {
    seriousness = "Serious";
    for (const char* c : {"death", "life-threatening", "hospitalization", "disability",
                          "congenital-anomaly", "important-medical-event"}) {
      if (std::find(a.seriousnessCriteria.begin(), a.seriousnessCriteria.end(), c) !=
          a.seriousnessCriteria.end()) {
        seriousness = vocab.aeSeriousness(c);
        break;
      }
    }
  }
  b.codeable(r, "seriousness", p::kAeSeriousness, seriousness,
             vocab.display(p::kAeSeriousness, seriousness));
  b.codeable(r, "severity", p::kAeSeverity, a.severity, vocab.display(p::kAeSeverity, a.severity));
  const std::string outcome = vocab.aeOutcome(a.outcome);
  b.codeable(r, "outcome", p::kAeOutcome, outcome, vocab.display(p::kAeOutcome, outcome));

  for (const Causality& c : a.causality) {
    const Intervention* i = t.intervention(c.intervention);
    Element* suspect = b.add(r, "suspectEntity");
    if (vocab.interventionIsMedication(i->type)) {
      b.reference(suspect, "instance", "Medication/" + ids::medication(t, i->id), i->name);
    } else {
      b.reference(suspect, "instance", {}, i->name);
    }
    Element* causality = b.add(suspect, "causality");
    Element* assessment = b.add(causality, "assessment");
    b.coding(assessment, "coding", p::codeSystem("tb-ae-relatedness"), c.relatedness);
    const std::string who = vocab.aeRelatedness(c.relatedness);
    if (!who.empty())
      b.coding(assessment, "coding", p::kAeCausalityAssess, who,
               vocab.display(p::kAeCausalityAssess, who));
    std::string relText = c.relatedness;
    std::replace(relText.begin(), relText.end(), '-', ' ');
    if (!relText.empty())
      relText[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(relText[0])));
    b.primitive(assessment, "text",
                relText + (c.assessedBy.empty() ? "" : " (assessed by the " + c.assessedBy + ")"));
    b.primitive(causality, "productRelatedness", c.relatedness);
    if (!c.method.empty()) b.primitive(b.add(causality, "method"), "text", c.method);
  }
  b.reference(r, "study", "ResearchStudy/" + ids::study(t));
}

}  // namespace trialbridge::mapping
