// ORU^R01 -> FHIR: OBX -> Observation, after the IG's OBX[Observation] and
// OBX[Observation-Component] maps (a repeating OBX-5 gives one component a repetition; text
// types ST, TX and FT give one string, their repetitions as lines).
#include "conformance/ucum.h"
#include "mapping/detail/oru_mapper.h"
#include "mapping/v2_time.h"

namespace trialbridge::mapping::detail {

namespace {

using core::Element;
using hl7v2::Segment;
using hl7v2::Value;

constexpr std::string_view kLoinc = "http://loinc.org";

bool isTextType(std::string_view t) { return t == "ST" || t == "TX" || t == "FT"; }

bool hasDigit(std::string_view s) {
  return s.find_first_of("0123456789") != std::string_view::npos;
}

// SN-1 as a FHIR comparator ("" for none or "="); nullopt for a comparator FHIR has not.
std::optional<std::string> comparator(std::string_view c) {
  if (c.empty() || c == "=") return std::string();
  if (c == "<" || c == "<=" || c == ">" || c == ">=") return std::string(c);
  return std::nullopt;
}

std::string joinNonEmpty(std::initializer_list<std::string> parts) {
  std::string out;
  for (const std::string& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += ' ';
    out += p;
  }
  return out;
}

}  // namespace

std::string OruMapper::observationId(const Segment& obx, const ObservationContext& ctx) {
  const Value code = obx.field(3);
  const std::string first = makeId("v2obs", {sender_, ctx.key, code.component(3).raw(),
                                             code.component(1).raw(), obx.field(4).raw()});
  std::string id = first;
  // The same test twice in one group (rare, but seen): the second is told apart by its place
  // (2, 3, ...: the first place not taken, counted on from the last one given).
  if (observationIds_.count(id) != 0) {
    int& n = nextPlace_.try_emplace(first, 2).first->second;
    do {
      id = makeId("v2obs", {sender_, ctx.key, code.component(3).raw(), code.component(1).raw(),
                            obx.field(4).raw(), std::to_string(n++)});
    } while (observationIds_.count(id) != 0);
  }
  observationIds_.insert(id);
  return id;
}

void OruMapper::observationCode(Element* resource, const Value& cwe) {
  Element* cc = dt_.codeableConcept(resource, "code", cwe);
  if (cc == nullptr) {
    dt_.error(cwe,
              std::string(cwe.location().segment) + "-" + std::to_string(cwe.location().field) +
                  " (the test's code) is required",
              core::IssueType::Required);
    return;
  }
  // The sender's LOINC codes first (checked), then a translation of the first local code. The
  // triplets (code, coding system name and its URI) are read once.
  const hl7v2::Parts parts(cwe);
  struct Triplet {
    Value code;
    std::string text, name, system;
  } triplets[3];
  size_t count = 0;
  for (size_t first : {1u, 4u, 10u}) {
    Triplet& t = triplets[count];
    t.code = parts.part(first);
    t.text = t.code.text();
    if (t.text.empty()) continue;
    t.name = parts.part(first + 2).text();
    t.system = terminology_.systemUri(t.name);
    ++count;
  }
  bool loinc = false;
  for (size_t i = 0; i < count; ++i) {
    const Triplet& t = triplets[i];
    if (t.system != kLoinc) continue;
    loinc = true;
    if (!isValidLoinc(t.text)) {
      dt_.warning(t.code, "'" + t.text + "' is not a LOINC code (digits, '-' and a check digit)",
                  core::IssueType::CodeInvalid);
    }
  }
  std::string localCode;
  for (size_t i = 0; i < count; ++i) {
    const Triplet& t = triplets[i];
    if (t.system == kLoinc) continue;
    const bool local = t.system.empty() || t.name == "L" || t.name.rfind("99", 0) == 0;
    const auto target =
        terminology_.translate(t.system.empty() ? t.name : t.system, t.text, kLoinc, local);
    if (target && !target->unmatched && !loinc) {
      b_.coding(cc, "coding", kLoinc, target->code, target->display);
      loinc = true;
    }
    if (localCode.empty()) localCode = t.text;
  }
  if (!loinc && cwe.location().segment == "OBX") {
    dt_.warning(
        cwe,
        "no LOINC code for '" + localCode + "': add it to a ConceptMap of the site's mapping files",
        core::IssueType::CodeInvalid);
  }
}

void OruMapper::observationStatus(Element* resource, const Segment& obx,
                                  const ObservationContext& ctx) {
  const Value status = obx.field(11);
  const bool given = status.component(1).hasValue();
  if (!given && ctx.obr && ctx.obr->field(25).component(1).hasValue()) {
    // OBX-11 is required; a sender that leaves it out still gave the order's result status.
    const std::string report =
        terminology_
            .translate(std::string(kV2) + "0123", ctx.obr->field(25).component(1).text(),
                       "http://hl7.org/fhir/diagnostic-report-status")
            .value_or(V2Terminology::Target{})
            .code;
    const std::string observationStatus = report == "partial"    ? "preliminary"
                                          : report == "appended" ? "amended"
                                                                 : report;
    if (!observationStatus.empty()) {
      dt_.warning(status,
                  "OBX-11 (observation result status) is empty; read as the order's "
                  "result status (OBR-25): " +
                      observationStatus,
                  core::IssueType::Required);
      b_.primitive(resource, "status", observationStatus);
      return;
    }
  }
  if (!given) {
    dt_.error(status, "OBX-11 (observation result status) is required", core::IssueType::Required);
    return;
  }
  b_.primitive(resource, "status",
               dt_.tableCode(status, "0085", "http://hl7.org/fhir/observation-status", true));
}

bool OruMapper::numericValue(Element* parent, const Value& v, const Segment& obx) {
  const std::string text = v.text(&issues_);
  if (const auto value = v2Decimal(text)) {
    dt_.quantity(parent, "valueQuantity", *value, obx.field(6));
    return true;
  }
  // Senders put "<10" or ">400" under NM: a structured numeric in all but name.
  for (std::string_view c : {"<=", ">=", "<", ">"}) {
    if (text.rfind(c, 0) != 0) continue;
    const auto value = v2Decimal(std::string_view(text).substr(c.size()));
    if (!value) break;
    dt_.warning(v, "OBX-2 says NM but OBX-5 is '" + text + "': read as a value with comparator");
    dt_.quantity(parent, "valueQuantity", *value, obx.field(6), false, c);
    return true;
  }
  if (!hasDigit(text)) {
    dt_.warning(v, "OBX-2 says NM but OBX-5 is text ('" + text + "'): read as a string");
    b_.primitive(parent, "valueString", text);
    return true;
  }
  dt_.error(v, "'" + text + "' is not a number, and OBX-2 says NM");
  return false;
}

bool OruMapper::structuredNumeric(Element* parent, const Value& v, const Segment& obx) {
  std::string c1 = v.component(1).text(&issues_);
  std::string c2 = v.component(2).text(&issues_);
  const std::string c3 = v.component(3).text(&issues_);
  const std::string c4 = v.component(4).text(&issues_);
  // "<10" or "45" in the first component alone: the comparator and the number run together.
  if (c2.empty() && c3.empty() && c4.empty() && hasDigit(c1)) {
    const size_t digit = c1.find_first_of("+-.0123456789");
    c2 = c1.substr(digit);
    c1 = c1.substr(0, digit);
    dt_.warning(v, "SN written without its component separators; read as comparator '" + c1 +
                       "' and number '" + c2 + "'");
  }
  const std::string unitText = obx.field(6).component(2).hasValue()
                                   ? obx.field(6).component(2).text()
                                   : obx.field(6).component(1).text();
  const std::string asText = joinNonEmpty({c1, c2, c3, c4, unitText});
  const auto cmp = comparator(c1);
  const auto n1 = v2Decimal(c2);
  const auto n2 = v2Decimal(c4);
  const auto original = [&](Element* e) {
    Element* x = b_.extension(e, "http://hl7.org/fhir/StructureDefinition/originalText");
    b_.primitive(x, "valueString", joinNonEmpty({c1, c2, c3, c4}));
  };
  if (c1 != "<>" && cmp && n1 && (c3 == ":" || c3 == "/") && n2) {
    Element* ratio = b_.add(parent, "valueRatio");
    original(ratio);
    dt_.quantity(ratio, "numerator", *n1, obx.field(6), false, *cmp);
    dt_.quantity(ratio, "denominator", *n2, obx.field(6));
    return true;
  }
  if (c1 != "<>" && cmp && n1 && c3 == "-" && n2) {
    Element* range = b_.add(parent, "valueRange");
    original(range);
    dt_.quantity(range, "low", *n1, obx.field(6));
    dt_.quantity(range, "high", *n2, obx.field(6));
    return true;
  }
  if (c1 != "<>" && cmp && n1 && c3.empty() && c4.empty()) {
    dt_.quantity(parent, "valueQuantity", *n1, obx.field(6), false, *cmp);
    return true;
  }
  if (c1 != "<>" && c3 != "+" && (!cmp || !n1 || (!c4.empty() && !n2))) {
    dt_.warning(v, "the structured numeric '" + std::string(v.raw()) +
                       "' cannot be read as numbers; kept as text");
  }
  b_.primitive(parent, "valueString", asText);
  return !asText.empty();
}

bool OruMapper::rangeValue(Element* parent, const Value& v, const Segment& obx) {
  const auto low = v2Decimal(v.component(1).text());
  const auto high = v2Decimal(v.component(2).text());
  if ((v.component(1).hasValue() && !low) || (v.component(2).hasValue() && !high)) {
    dt_.error(v, "'" + std::string(v.raw()) + "' is not a numeric range (NR: low^high)");
    return false;
  }
  Element* range = b_.add(parent, "valueRange");
  if (low) dt_.quantity(range, "low", *low, obx.field(6));
  if (high) dt_.quantity(range, "high", *high, obx.field(6));
  return true;
}

bool OruMapper::dateTimeValue(Element* parent, std::string_view type, const Value& v) {
  if (type == "TM") {
    bool hadOffset = false;
    const std::string text = v.text();
    const auto time = v2time::parseTime(text, &hadOffset);
    if (!time) {
      dt_.error(v, "'" + text + "' is not a time (TM: HH[MM[SS[.S]]][+/-ZZZZ])");
      return false;
    }
    if (hadOffset)
      dt_.warning(v, "a FHIR time has no time zone: the one in '" + text + "' is left out");
    b_.primitive(parent, "valueTime", *time);
    return true;
  }
  if (type == "DR") {
    return dt_.when(parent, "valuePeriod", "", dt_.dateTime(v.component(1)),
                    dt_.dateTime(v.component(2)), v.component(2));
  }
  return b_.primitive(parent, "valueDateTime", dt_.dateTime(v)) != nullptr;
}

bool OruMapper::value(Element* parent, std::string_view type, const Value& v, const Segment& obx) {
  if (!v.hasValue()) return false;
  if (type == "NM") return numericValue(parent, v, obx);
  if (type == "SN") return structuredNumeric(parent, v, obx);
  if (type == "NR") return rangeValue(parent, v, obx);
  if (type == "CWE" || type == "CE" || type == "CNE" || type == "CF") {
    return dt_.codeableConcept(parent, "valueCodeableConcept", v) != nullptr;
  }
  if (type == "IS" || type == "ID") {
    Element* cc = b_.add(parent, "valueCodeableConcept");
    b_.coding(cc, "coding", "", v2Code(v.component(1).text(&issues_)));
    return true;
  }
  if (type == "DT" || type == "DTM" || type == "TS" || type == "TM" || type == "DR") {
    return dateTimeValue(parent, type, v);
  }
  if (isTextType(type)) return b_.primitive(parent, "valueString", v.text(&issues_)) != nullptr;
  dt_.warning(obx.field(2),
              "OBX-2 value type '" + std::string(type) + "' is not mapped; the value is left out",
              core::IssueType::NotSupported);
  return false;
}

void OruMapper::observationValue(Element* resource, const Segment& obx) {
  const Value values = obx.field(5);
  std::string type = obx.field(2).text();
  const std::string status = obx.field(11).text();
  if (!values.hasValue()) {
    const char* reason = status == "N" ? "not-asked" : status == "X" ? "not-performed" : nullptr;
    if (reason != nullptr) {
      b_.codeable(resource, "dataAbsentReason",
                  "http://terminology.hl7.org/CodeSystem/data-absent-reason", reason);
    }
    return;
  }
  if (type.empty()) {
    type = v2Decimal(values.repetition(1).text()) ? "NM" : "ST";
    dt_.warning(obx.field(2),
                "OBX-2 (value type) is empty while OBX-5 has a value; read as " + type);
  }
  const size_t count = values.repetitionCount();
  if (isTextType(type)) {
    // Repetitions of a text are its lines.
    std::string text;
    for (size_t r = 1; r <= count; ++r) {
      if (r > 1) text += '\n';
      text += values.repetition(r).text(&issues_);
    }
    b_.primitive(resource, "valueString", text);
    return;
  }
  if (count == 1) {
    value(resource, type, values.repetition(1), obx);
    return;
  }
  for (size_t r = 1; r <= count; ++r) {
    Element* component = b_.add(resource, "component");
    dt_.codeableConcept(component, "code", obx.field(3));
    value(component, type, values.repetition(r), obx);
  }
}

void OruMapper::referenceRange(Element* resource, const Segment& obx) {
  const std::string text = obx.field(7).text(&issues_);
  if (text.empty()) return;
  Element* rr = b_.add(resource, "referenceRange");
  if (const auto range = v2ReferenceRange(text)) {
    const Value units = obx.field(6);
    const auto bound = [&](std::string_view name, const std::string& value) {
      if (value.empty()) return;
      Element* q = b_.add(rr, name);
      b_.primitive(q, "value", value);
      if (range->unit.empty()) {
        dt_.unit(q, units);
        return;
      }
      // A unit written in the range itself.
      b_.primitive(q, "unit", range->unit);
      std::string ucum = terminology_.ucumFor(range->unit);
      if (ucum.empty() && conformance::ucum::isValid(range->unit)) ucum = range->unit;
      if (!ucum.empty()) {
        b_.primitive(q, "system", "http://unitsofmeasure.org");
        b_.primitive(q, "code", ucum);
      }
    };
    bound("low", range->low);
    bound("high", range->high);
  }
  b_.primitive(rr, "text", text);
}

void OruMapper::interpretation(Element* resource, const Value& flags) {
  static constexpr std::string_view kInterpretation =
      "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
  for (size_t r = 1; r <= flags.repetitionCount(); ++r) {
    const Value flag = flags.repetition(r);
    const std::string code = flag.component(1).text(&issues_);
    if (code.empty()) continue;
    const auto target = terminology_.translate(std::string(kV2) + "0078", code, kInterpretation);
    if (target && !target->unmatched) {
      b_.codeable(resource, "interpretation", kInterpretation, target->code, target->display);
      continue;
    }
    dt_.warning(
        flag,
        "abnormal flag '" + code + "' has no v3 ObservationInterpretation equivalent; kept as sent",
        core::IssueType::CodeInvalid);
    dt_.codeableConcept(resource, "interpretation", flag);
  }
}

void OruMapper::performers(Element* resource, const Segment& obx) {
  const Value observers = obx.field(16);
  for (size_t r = 1; r <= observers.repetitionCount(); ++r) {
    const std::string p = practitioner(observers.repetition(r));
    if (!p.empty()) b_.reference(resource, "performer", p);
  }
  const std::string org = organization(obx.field(23), obx.field(24), obx.field(15));
  const std::string director = practitioner(obx.field(25));
  if (!director.empty() && !org.empty()) {
    b_.reference(resource, "performer", practitionerRole(director, org));
  } else if (!director.empty()) {
    b_.reference(resource, "performer", director);
  } else if (!org.empty()) {
    b_.reference(resource, "performer", org);
  }
}

void OruMapper::effective(Element* resource, const Segment& obx, const ObservationContext& ctx) {
  if (obx.field(14).hasValue()) {
    b_.primitive(resource, "effectiveDateTime", dt_.dateTime(obx.field(14)));
    return;
  }
  // The observation time of the order (OBR-7 to OBR-8), else the specimen's collection.
  if (ctx.obr && ctx.obr->field(7).hasValue()) {
    dt_.when(resource, "effectivePeriod", "effectiveDateTime", dt_.dateTime(ctx.obr->field(7)),
             dt_.dateTime(ctx.obr->field(8)), ctx.obr->field(8));
    return;
  }
  if (ctx.spm && ctx.spm->field(17).hasValue()) {
    b_.primitive(resource, "effectiveDateTime", dt_.dateTime(ctx.spm->field(17).component(1)));
    return;
  }
  dt_.warning(obx.field(14), "no time for the observation (OBX-14, OBR-7 or SPM-17)",
              core::IssueType::Required);
}

std::string OruMapper::observation(const hl7v2::oru::Observation& obs,
                                   const ObservationContext& ctx) {
  const Segment& obx = obs.obx;
  const std::string id = observationId(obx, ctx);
  Element* o = addResource("Observation", id);
  if (const std::string analysed = dt_.dateTime(obx.field(19)); !analysed.empty()) {
    Element* x =
        b_.extension(o, "http://hl7.org/fhir/StructureDefinition/observation-analysis-date-time");
    b_.primitive(x, "valueDateTime", analysed);
  }
  dt_.identifierFromEi(o, "identifier", obx.field(21), false, "FILL");
  if (!ctx.serviceRequest.empty()) b_.reference(o, "basedOn", ctx.serviceRequest);
  observationStatus(o, obx, ctx);
  if (ctx.obr) {
    b_.codeable(o, "category", "http://terminology.hl7.org/CodeSystem/observation-category",
                "laboratory", "Laboratory");
  }
  observationCode(o, obx.field(3));
  if (!ctx.patient.empty()) b_.reference(o, "subject", ctx.patient);
  if (ctx.focusOnSpecimen && !ctx.specimen.empty()) b_.reference(o, "focus", ctx.specimen);
  if (!ctx.encounter.empty()) b_.reference(o, "encounter", ctx.encounter);
  effective(o, obx, ctx);
  if (ctx.obr) b_.primitive(o, "issued", dt_.instant(ctx.obr->field(22)));
  performers(o, obx);
  observationValue(o, obx);
  interpretation(o, obx.field(8));
  notes(o, obs.notes);
  dt_.codeableConcept(o, "bodySite", obx.field(20).repetition(1));
  dt_.codeableConcept(o, "method", obx.field(17).repetition(1));
  if (!ctx.specimen.empty()) b_.reference(o, "specimen", ctx.specimen);
  referenceRange(o, obx);
  return "Observation/" + id;
}

}  // namespace trialbridge::mapping::detail
