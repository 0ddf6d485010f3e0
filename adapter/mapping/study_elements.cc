#include "mapping/study_elements.h"

#include <cctype>
#include <tuple>

#include "conformance/profiles.h"
#include "mapping/registry_tables.h"
#include "study/vocabulary.h"

namespace trialbridge::mapping::elements {

using study::Age;
using study::Coding;
using study::Criterion;
using study::Vocabulary;

namespace {

using core::Element;
namespace p = conformance::profiles;

constexpr std::string_view kInclusionHeading = "Inclusion Criteria:";
constexpr std::string_view kExclusionHeading = "Exclusion Criteria:";

std::string unitName(std::string_view unit) { return Vocabulary::get().timeUnitName(unit); }

}  // namespace

Element* part(ResourceBuilder& b, Element* ext, std::string_view name,
              std::string_view valueJsonName, std::string_view value) {
  if (value.empty()) return nullptr;
  Element* x = b.extension(ext, name);
  b.primitive(x, valueJsonName, value);
  return x;
}

std::string localCode(std::string_view ctgov) {
  std::string out;
  for (char c : ctgov)
    out += c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string ctgovCode(std::string_view local) {
  std::string out;
  for (char c : local)
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

void studyStatus(ResourceBuilder& b, Element* study, std::string_view status,
                 std::string_view lastKnownStatus, std::string_view whyStopped,
                 std::string_view verifiedDate) {
  b.primitive(study, "status", RegistryTables::get().fhirStatus(status, lastKnownStatus));
  Element* x = b.extension(study, p::kExtRecruitmentStatus);
  part(b, x, "status", "valueCode", status);
  part(b, x, "lastKnownStatus", "valueCode", lastKnownStatus);
  part(b, x, "whyStopped", "valueString", whyStopped);
  part(b, x, "verifiedDate", "valueDate", verifiedDate);
}

void siteStatus(ResourceBuilder& b, Element* location, std::string_view status) {
  if (status.empty()) return;
  if (const RegistryTables::Status* s = RegistryTables::get().status(status)) {
    b.primitive(location, "status", s->location);
  }
  part(b, b.extension(location, p::kExtRecruitmentStatus), "status", "valueCode", status);
}

void phase(ResourceBuilder& b, Element* study, const std::vector<std::string>& phases) {
  if (phases.empty()) return;
  std::string key;
  for (const std::string& ph : phases) key += (key.empty() ? "" : "+") + ph;
  if (const Vocabulary::Code* c = Vocabulary::get().phase(key)) {
    b.codeable(study, "phase", p::kResearchStudyPhase, c->code, c->display, c->text);
  } else {
    // Phases that research-study-phase has no code for (e.g. PHASE1+PHASE3): text only.
    b.primitive(b.add(study, "phase"), "text", key);
  }
}

void design(ResourceBuilder& b, Element* study, const DesignCodes& d) {
  if (const Vocabulary::Code* purpose = Vocabulary::get().primaryPurpose(d.primaryPurpose)) {
    b.codeable(study, "primaryPurposeType", p::kResearchStudyPurpose, purpose->code,
               purpose->display);
  }
  if (!d.studyType.empty())
    b.codeable(study, "category", p::codeSystem("tb-study-type"), localCode(d.studyType));
  const std::string system = p::codeSystem("tb-study-design");
  auto code = [&](std::string_view prefix, std::string_view value) {
    if (!value.empty())
      b.codeable(study, "category", system, std::string(prefix) + localCode(value));
  };
  code("allocation-", d.allocation);
  code("model-", d.interventionModel);
  code("masking-", d.masking);
  for (const std::string& w : d.whoMasked) code("masked-", w);
  code("observational-model-", d.observationalModel);
  code("time-perspective-", d.timePerspective);
  code("sampling-", d.samplingMethod);
  if (d.primaryPurpose == "ECT" || d.primaryPurpose == "OTHER") code("purpose-", d.primaryPurpose);
}

void titles(ResourceBuilder& b, Element* study, std::string_view brief, std::string_view official,
            std::string_view acronym) {
  b.primitive(study, "title", official.empty() ? brief : official);
  if (!official.empty()) b.primitive(b.extension(study, p::kExtBriefTitle), "valueString", brief);
  if (!acronym.empty()) b.primitive(b.extension(study, p::kExtAcronym), "valueString", acronym);
}

void descriptions(ResourceBuilder& b, Element* study, std::string_view summary,
                  std::string_view detailed) {
  b.primitive(study, "description", detailed.empty() ? summary : detailed);
  if (!detailed.empty() && !summary.empty()) {
    b.primitive(b.extension(study, p::kExtDescriptionSummary), "valueMarkdown", summary);
  }
}

void dates(ResourceBuilder& b, Element* study, const RegistryDate& start,
           const RegistryDate& primaryCompletion, const RegistryDate& completion) {
  if (!start.date.empty() || !completion.date.empty()) {
    Element* period = b.add(study, "period");
    for (const auto& [name, d] : {std::tuple{"start", &start}, std::tuple{"end", &completion}}) {
      Element* e = b.primitive(period, name, d->date);
      if (e != nullptr && !d->type.empty())
        b.primitive(b.extension(e, p::kExtDateType), "valueCode", d->type);
    }
  }
  if (!primaryCompletion.date.empty()) {
    Element* x = b.extension(study, p::kExtPrimaryCompletion);
    part(b, x, "date", "valueDate", primaryCompletion.date);
    part(b, x, "type", "valueCode", primaryCompletion.type);
  }
}

void designDetail(ResourceBuilder& b, Element* study, const DesignTexts& d) {
  if (d.modelDescription.empty() && d.maskingDescription.empty() && d.bioSpecRetention.empty() &&
      d.bioSpecDescription.empty()) {
    return;
  }
  Element* x = b.extension(study, p::kExtDesignDetail);
  part(b, x, "modelDescription", "valueMarkdown", d.modelDescription);
  part(b, x, "maskingDescription", "valueMarkdown", d.maskingDescription);
  part(b, x, "bioSpecRetention", "valueCode", d.bioSpecRetention);
  part(b, x, "bioSpecDescription", "valueMarkdown", d.bioSpecDescription);
}

void doseEscalation(ResourceBuilder& b, Element* study, std::string_view rule,
                    std::string_view description, std::string_view targetToxicityRate) {
  if (rule.empty()) return;
  Element* x = b.extension(study, p::kExtDoseEscalation);
  part(b, x, "rule", "valueCode", rule);
  part(b, x, "description", "valueMarkdown", description);
  part(b, x, "targetToxicityRate", "valueDecimal", targetToxicityRate);
}

void intervention(ResourceBuilder& b, Element* study, const RegistryIntervention& i,
                  const std::vector<Coding>& codes) {
  Element* f = b.add(study, "focus");
  for (const Coding& c : codes) b.coding(f, "coding", c.system, c.code, c.display, c.version);
  b.primitive(f, "text", i.name);
  Element* x = b.extension(f, p::kExtIntervention);
  part(b, x, "type", "valueCode", localCode(i.type));
  part(b, x, "description", "valueMarkdown", i.description);
  for (const std::string& n : i.otherNames) part(b, x, "otherName", "valueString", n);
  for (const std::string& a : i.armGroupLabels) part(b, x, "arm", "valueString", a);
}

void arm(ResourceBuilder& b, Element* study, const RegistryArmGroup& a) {
  Element* arm = b.add(study, "arm");
  if (a.cohort) {
    Element* x = b.extension(arm, p::kExtArmCohort);
    part(b, x, "sequence", "valuePositiveInt", std::to_string(a.cohort->sequence));
    part(b, x, "part", "valueCode", a.cohort->part);
    if (a.cohort->size > 0) part(b, x, "size", "valuePositiveInt", std::to_string(a.cohort->size));
    for (const std::string& from : a.cohort->doseFrom) part(b, x, "doseFrom", "valueString", from);
  }
  for (const std::string& n : a.interventionNames)
    b.primitive(b.extension(arm, p::kExtArmIntervention), "valueString", n);
  b.primitive(arm, "name", a.label);
  if (!a.type.empty()) b.codeable(arm, "type", p::codeSystem("tb-arm-type"), localCode(a.type));
  b.primitive(arm, "description", a.description);
}

void outcome(ResourceBuilder& b, Element* study, const RegistryOutcome& o) {
  Element* obj = b.add(study, "objective");
  Element* x = b.extension(obj, p::kExtOutcomeMeasure);
  part(b, x, "kind", "valueCode", o.kind);
  part(b, x, "measure", "valueString", o.measure);
  part(b, x, "description", "valueMarkdown", o.description);
  part(b, x, "timeFrame", "valueString", o.timeFrame);
  std::string name = "Outcome measure: " + o.measure;
  if (!o.timeFrame.empty()) name += " (" + o.timeFrame + ")";
  b.primitive(obj, "name", name);
  const std::string type = o.kind == "other" ? "exploratory" : o.kind;
  b.codeable(obj, "type", p::kResearchStudyObjective, type,
             Vocabulary::get().display(p::kResearchStudyObjective, type));
}

std::string criteriaText(const std::vector<std::string>& inclusion,
                         const std::vector<std::string>& exclusion) {
  std::string out;
  for (const auto& [heading, list] :
       {std::tuple{kInclusionHeading, &inclusion}, std::tuple{kExclusionHeading, &exclusion}}) {
    if (list->empty()) continue;
    if (!out.empty()) out += "\n\n";
    out += std::string(heading) + "\n";
    for (const std::string& c : *list) out += "\n* " + c;
  }
  return out;
}

void splitCriteria(std::string_view text, std::vector<std::string>& inclusion,
                   std::vector<std::string>& exclusion) {
  std::vector<std::string>* list = nullptr;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line == kInclusionHeading) {
      list = &inclusion;
    } else if (line == kExclusionHeading) {
      list = &exclusion;
    } else if (list != nullptr && line.size() > 2 && line.substr(0, 2) == "* ") {
      list->emplace_back(line.substr(2));
    }
    pos = eol + 1;
  }
}

Element* characteristic(ResourceBuilder& b, Element* group, std::string_view kind,
                        std::string_view criterionId, std::string_view alternative) {
  Element* c = b.add(group, "characteristic");
  b.primitive(b.extension(c, p::kExtCriterionKind), "valueCode", kind);
  if (!criterionId.empty()) b.primitive(b.extension(c, p::kExtCriterionId), "valueId", criterionId);
  if (!alternative.empty())
    b.primitive(b.extension(c, p::kExtAlternativeGroup), "valueId", alternative);
  return c;
}

void criteria(ResourceBuilder& b, Element* group, const std::vector<Criterion>& inclusion,
              const std::vector<Criterion>& exclusion) {
  for (const auto& [list, kind, exclude] : {std::tuple{&inclusion, "inclusion-text", "false"},
                                            std::tuple{&exclusion, "exclusion-text", "true"}}) {
    for (const Criterion& c : *list) {
      Element* ch = characteristic(b, group, kind, c.id);
      b.primitive(b.add(ch, "code"), "text", c.text);
      b.primitive(ch, "valueBoolean", "true");
      b.primitive(ch, "exclude", exclude);
    }
  }
}

void ageRange(ResourceBuilder& b, Element* group, const std::optional<Age>& minimum,
              const std::optional<Age>& maximum, std::string_view criterion) {
  if (!minimum && !maximum) return;
  Element* c = characteristic(b, group, "age", criterion);
  b.codeable(c, "code", p::kLoinc, "30525-0", Vocabulary::get().display(p::kLoinc, "30525-0"),
             "Age");
  Element* range = b.add(c, "valueRange");
  if (minimum) b.quantity(range, "low", minimum->value, unitName(minimum->unit), minimum->unit);
  if (maximum) b.quantity(range, "high", maximum->value, unitName(maximum->unit), maximum->unit);
  b.primitive(c, "exclude", "false");
}

void sexAndVolunteers(ResourceBuilder& b, Element* group, std::string_view sex,
                      std::optional<bool> healthyVolunteers) {
  if (healthyVolunteers) {
    b.primitive(b.extension(group, p::kExtHealthyVolunteers), "valueBoolean",
                *healthyVolunteers ? "true" : "false");
  }
  if (sex == "FEMALE" || sex == "MALE") {
    Element* c = characteristic(b, group, "sex");
    b.primitive(b.add(c, "code"), "text", "Sex");
    const std::string code = sex == "FEMALE" ? "female" : "male";
    b.codeable(c, "valueCodeableConcept", "http://hl7.org/fhir/administrative-gender", code,
               Vocabulary::get().display("http://hl7.org/fhir/administrative-gender", code));
    b.primitive(c, "exclude", "false");
  }
  if (healthyVolunteers && !*healthyVolunteers) {
    Element* c = characteristic(b, group, "healthy-volunteers");
    b.primitive(b.add(c, "code"), "text", "Healthy volunteer");
    b.primitive(c, "valueBoolean", "true");
    b.primitive(c, "exclude", "true");
  }
}

void enrollment(ResourceBuilder& b, Element* group, std::string_view count, std::string_view type) {
  b.primitive(group, "quantity", count);
  if (!type.empty()) b.primitive(b.extension(group, p::kExtEnrollmentType), "valueCode", type);
}

std::string ageText(const Age& age) {
  const std::string word = RegistryTables::get().ageUnitWord(age.unit);
  if (age.value == "1" && word.size() > 1 && word.back() == 's') {
    return age.value + " " + word.substr(0, word.size() - 1);
  }
  return age.value + " " + word;
}

std::optional<Age> parseAge(std::string_view text) {
  const size_t space = text.find(' ');
  if (space == std::string_view::npos || space == 0) return std::nullopt;
  const std::string_view number = text.substr(0, space);
  for (char c : number) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  if (number.size() > 1 && number[0] == '0') return std::nullopt;
  const std::string unit = RegistryTables::get().ageUnitCode(text.substr(space + 1));
  if (unit.empty()) return std::nullopt;
  return Age{std::string(number), unit};
}

}  // namespace trialbridge::mapping::elements
