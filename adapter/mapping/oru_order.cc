// ORU^R01 -> FHIR: the ORDER_OBSERVATION group (ORC -> ServiceRequest, OBR -> DiagnosticReport,
// SPM or OBR-15 -> Specimen) and the people and organizations the message names.
#include "mapping/detail/oru_mapper.h"

namespace trialbridge::mapping::detail {

namespace {

using core::Element;
using hl7v2::Segment;
using hl7v2::Value;

// An EI as one key: id ^ namespace ^ universal id.
std::string eiKey(const Value& ei) {
  return ei.component(1).text() + "^" + ei.component(2).text() + "^" + ei.component(3).text();
}

}  // namespace

std::string OruMapper::orderKey(const hl7v2::oru::Order& order) {
  const Segment& obr = order.obr;
  if (obr.field(3).component(1).hasValue()) return "filler:" + eiKey(obr.field(3));
  if (order.orc && order.orc->field(3).component(1).hasValue()) {
    return "filler:" + eiKey(order.orc->field(3));
  }
  if (obr.field(2).component(1).hasValue()) return "placer:" + eiKey(obr.field(2));
  if (order.orc && order.orc->field(2).component(1).hasValue()) {
    return "placer:" + eiKey(order.orc->field(2));
  }
  dt_.warning(obr.field(3),
              "the order has no filler or placer order number (OBR-3, ORC-3, OBR-2, ORC-2): its "
              "ids come from this message, so a correction in another message cannot find it",
              core::IssueType::Required);
  return "message:" + controlId_ + ":" + obr.field(1).text();
}

void OruMapper::order(const hl7v2::oru::Order& order, const std::string& patientRef,
                      const std::string& encounterRef) {
  ObservationContext ctx;
  ctx.patient = patientRef;
  ctx.encounter = encounterRef;
  ctx.key = orderKey(order);
  ctx.obr = order.obr;
  if (order.orc) ctx.serviceRequest = serviceRequest(order, ctx);
  std::vector<std::string> specimens;
  for (const hl7v2::oru::Specimen& s : order.specimens) specimens.push_back(specimen(s.spm, ctx));
  if (specimens.empty() && order.obr.field(15).hasValue()) {
    specimens.push_back(specimenFromObr(order.obr, ctx));
  }
  if (!specimens.empty()) ctx.specimen = specimens.front();
  if (!order.specimens.empty()) ctx.spm = order.specimens.front().spm;
  std::vector<std::string> results;
  for (const hl7v2::oru::Observation& o : order.observations)
    results.push_back(observation(o, ctx));
  for (size_t i = 0; i < order.specimens.size(); ++i) {
    ObservationContext about = ctx;
    about.specimen = specimens[i];
    about.spm = order.specimens[i].spm;
    about.focusOnSpecimen = true;
    for (const hl7v2::oru::Observation& o : order.specimens[i].observations) observation(o, about);
  }
  diagnosticReport(order, ctx, results, specimens);
}

std::string OruMapper::serviceRequest(const hl7v2::oru::Order& order,
                                      const ObservationContext& ctx) {
  const Segment& orc = *order.orc;
  const Segment& obr = order.obr;
  if (ctx.patient.empty()) return {};  // a ServiceRequest needs a subject
  const std::string id = makeId("v2sr", {sender_, ctx.key, obr.field(4).component(1).raw()});
  if (added_.count("ServiceRequest/" + id) != 0) return "ServiceRequest/" + id;
  added_.insert("ServiceRequest/" + id);
  Element* sr = addResource("ServiceRequest", id);
  const Value placer = orc.field(2).hasValue() ? orc.field(2) : obr.field(2);
  const Value filler = orc.field(3).hasValue() ? orc.field(3) : obr.field(3);
  dt_.identifierFromEi(sr, "identifier", placer, false, "PLAC");
  dt_.identifierFromEi(sr, "identifier", filler, false, "FILL");
  const std::string status =
      orc.field(5).hasValue()
          ? dt_.tableCode(orc.field(5), "0038", "http://hl7.org/fhir/request-status", false)
          : std::string();
  b_.primitive(sr, "status", status.empty() ? "unknown" : status);
  b_.primitive(sr, "intent", "order");
  observationCode(sr, obr.field(4));
  b_.reference(sr, "subject", ctx.patient);
  if (!ctx.encounter.empty()) b_.reference(sr, "encounter", ctx.encounter);
  b_.primitive(sr, "authoredOn", dt_.dateTime(orc.field(9)));
  std::string requester = practitioner(orc.field(12));
  if (requester.empty()) requester = practitioner(obr.field(16));
  if (!requester.empty()) b_.reference(sr, "requester", requester);
  for (size_t r = 1; r <= obr.field(31).repetitionCount(); ++r) {
    dt_.codeableConcept(sr, "reasonCode", obr.field(31).repetition(r));
  }
  return "ServiceRequest/" + id;
}

std::string OruMapper::specimen(const Segment& spm, const ObservationContext& ctx) {
  // A specimen is the same one wherever its id (SPM-2) and type (SPM-4) are (senders reuse an id
  // for specimens of several types); one without an id is its order's.
  const std::string id =
      spm.field(2).hasValue()
          ? makeId("v2spm", {sender_, spm.field(2).raw(), spm.field(4).component(1).raw()})
          : makeId("v2spm", {sender_, ctx.key, spm.field(1).raw()});
  const std::string ref = "Specimen/" + id;
  if (added_.count(ref) != 0) return ref;
  added_.insert(ref);
  Element* s = addResource("Specimen", id);
  const Value ids = spm.field(2);
  dt_.identifierFromEi(s, "identifier", ids.component(1), true, "PLAC");
  dt_.identifierFromEi(s, "identifier", ids.component(2), true, "FILL");
  dt_.identifierFromCx(s, "accessionIdentifier", spm.field(30));
  if (spm.field(20).hasValue()) {
    b_.primitive(
        s, "status",
        dt_.tableCode(spm.field(20), "0136", "http://hl7.org/fhir/specimen-status", false));
  }
  dt_.codeableConcept(s, "type", spm.field(4));
  if (!ctx.patient.empty()) b_.reference(s, "subject", ctx.patient);
  b_.primitive(s, "receivedTime", dt_.dateTime(spm.field(18)));
  Element* collection = b_.add(s, "collection");
  const Value when = spm.field(17);
  dt_.when(collection, "collectedPeriod", "collectedDateTime", dt_.dateTime(when.component(1)),
           dt_.dateTime(when.component(2)), when.component(2));
  const Value amount = spm.field(12);
  if (const auto value = v2Decimal(amount.component(1).text()); value) {
    dt_.quantity(collection, "quantity", *value, amount.component(2), true);
  } else if (amount.component(1).hasValue()) {
    dt_.error(amount.component(1), "'" + amount.component(1).text() + "' is not a number");
  }
  dt_.codeableConcept(collection, "method", spm.field(7));
  dt_.codeableConcept(collection, "bodySite", spm.field(8));
  // Nothing about the collection: the empty element goes (it is the last child so far).
  if (!collection->hasChildren()) tx_.document().removeLastChild(s);
  if (spm.field(6).hasValue() || spm.field(27).hasValue()) {
    Element* container = b_.add(s, "container");
    dt_.codeableConcept(container, "type", spm.field(27));
    dt_.codeableConcept(container, "additiveCodeableConcept", spm.field(6).repetition(1));
  }
  for (size_t r = 1; r <= spm.field(24).repetitionCount(); ++r) {
    dt_.codeableConcept(s, "condition", spm.field(24).repetition(r));
  }
  for (size_t r = 1; r <= spm.field(14).repetitionCount(); ++r) {
    const std::string note = spm.field(14).repetition(r).text(&issues_);
    if (!note.empty()) b_.primitive(b_.add(s, "note"), "text", note);
  }
  return ref;
}

std::string OruMapper::specimenFromObr(const Segment& obr, const ObservationContext& ctx) {
  const std::string id = makeId("v2spm", {sender_, ctx.key, "OBR-15"});
  const std::string ref = "Specimen/" + id;
  if (added_.count(ref) != 0) return ref;
  added_.insert(ref);
  Element* s = addResource("Specimen", id);
  // OBR-15 (SPS): source ^ additives ^ collection method ^ body site ^ ...; each a CWE written as
  // subcomponents.
  const Value source = obr.field(15);
  dt_.codeableConcept(s, "type", source.component(1), true);
  if (!ctx.patient.empty()) b_.reference(s, "subject", ctx.patient);
  b_.primitive(s, "receivedTime", dt_.dateTime(obr.field(14)));
  Element* collection = b_.add(s, "collection");
  dt_.when(collection, "collectedPeriod", "collectedDateTime", dt_.dateTime(obr.field(7)),
           dt_.dateTime(obr.field(8)), obr.field(8));
  dt_.codeableConcept(collection, "bodySite", source.component(4), true);
  if (!collection->hasChildren()) tx_.document().removeLastChild(s);
  return ref;
}

void OruMapper::diagnosticReport(const hl7v2::oru::Order& order, const ObservationContext& ctx,
                                 const std::vector<std::string>& results,
                                 const std::vector<std::string>& specimens) {
  const Segment& obr = order.obr;
  std::string id = makeId("v2dr", {sender_, ctx.key, obr.field(4).component(1).raw()});
  for (int n = 2; added_.count("DiagnosticReport/" + id) != 0; ++n) {
    id = makeId("v2dr", {sender_, ctx.key, obr.field(4).component(1).raw(), std::to_string(n)});
  }
  added_.insert("DiagnosticReport/" + id);
  Element* dr = addResource("DiagnosticReport", id);
  reports_.push_back("DiagnosticReport/" + id);
  dt_.identifierFromEi(dr, "identifier", obr.field(2), false, "PLAC");
  dt_.identifierFromEi(dr, "identifier", obr.field(3), false, "FILL");
  if (!ctx.serviceRequest.empty()) b_.reference(dr, "basedOn", ctx.serviceRequest);
  const Value status = obr.field(25);
  if (!status.hasValue()) {
    dt_.error(status, "OBR-25 (result status) is required in a result message",
              core::IssueType::Required);
  } else {
    b_.primitive(
        dr, "status",
        dt_.tableCode(status, "0123", "http://hl7.org/fhir/diagnostic-report-status", true));
  }
  const std::string section = v2Code(obr.field(24).text(&issues_));
  const std::string sections = std::string(kV2) + "0074";
  if (section.empty() || dt_.knownCode(sections, section)) {
    b_.codeable(dr, "category", sections, section.empty() ? "LAB" : section);
  } else {
    dt_.warning(obr.field(24), "'" + section + "' is not a code of HL7 table 0074; kept as text",
                core::IssueType::CodeInvalid);
    b_.primitive(b_.add(dr, "category"), "text", section);
  }
  observationCode(dr, obr.field(4));
  if (!ctx.patient.empty()) b_.reference(dr, "subject", ctx.patient);
  if (!ctx.encounter.empty()) b_.reference(dr, "encounter", ctx.encounter);
  dt_.when(dr, "effectivePeriod", "effectiveDateTime", dt_.dateTime(obr.field(7)),
           dt_.dateTime(obr.field(8)), obr.field(8));
  b_.primitive(dr, "issued", dt_.instant(obr.field(22)));
  // OBR-32 principal result interpreter (NDL; its first component a CNN in subcomponents).
  const Value interpreter = obr.field(32).component(1);
  if (interpreter.hasValue()) {
    const std::string ref = practitioner(interpreter);
    if (!ref.empty()) b_.reference(dr, "resultsInterpreter", ref);
  }
  for (const std::string& s : specimens) b_.reference(dr, "specimen", s);
  for (const std::string& r : results) b_.reference(dr, "result", r);
  // R4's DiagnosticReport has no note; the order's comments (NTE after OBR) are its conclusion.
  b_.primitive(dr, "conclusion", noteText(order.notes));
}

std::string OruMapper::practitioner(const Value& person) {
  if (!person.hasValue()) return {};
  // The same person written the same way (the director on every OBX) is looked at once.
  std::string written(person.level() == hl7v2::Value::Level::Component ? "CNN" : "XCN");
  written += person.raw();
  return once(std::move(written), [&] { return practitionerOf(person); });
}

std::string OruMapper::practitionerOf(const Value& person) {
  // XCN as components, or CNN as subcomponents (one component of NDL): the same first seven
  // parts (id, family, given, middle, suffix, prefix, degree); the assigning authority is
  // XCN-9 (an HD in subcomponents) or CNN-9 to CNN-11.
  const bool cnn = person.level() == hl7v2::Value::Level::Component;
  const hl7v2::Parts parts(person, cnn);  // split once
  const auto part = [&](size_t n) { return parts.part(n); };
  const std::string idValue = part(1).text();
  const std::string family = cnn ? part(2).text() : part(2).subcomponent(1).text();
  const std::string given = part(3).text();
  if (idValue.empty() && family.empty() && given.empty()) return {};
  V2DataTypes::Hd authority;
  if (cnn) {
    authority.namespaceId = part(9).text();
    authority.universalId = part(10).text();
    authority.type = part(11).text();
  } else {
    authority = dt_.hd(part(9), true);
  }
  const std::string system = dt_.hdSystem(authority);
  const std::string id = idValue.empty()
                             ? makeId("v2prac", {sender_, family, given, part(4).text()})
                             : makeId("v2prac", {system, authority.namespaceId, idValue});
  const std::string ref = "Practitioner/" + id;
  if (added_.count(ref) != 0) return ref;
  added_.insert(ref);
  Element* p = addResource("Practitioner", id);
  if (!idValue.empty()) {
    Element* identifier = b_.add(p, "identifier");
    if (!cnn) dt_.identifierType(identifier, part(13));
    b_.primitive(identifier, "system", system);
    b_.primitive(identifier, "value", idValue);
    if (!authority.namespaceId.empty()) {
      b_.primitive(b_.add(identifier, "assigner"), "display", authority.namespaceId);
    }
  }
  if (!family.empty() || !given.empty()) {
    Element* n = b_.add(p, "name");
    b_.primitive(n, "family", family);
    b_.primitive(n, "given", given);
    b_.primitive(n, "given", part(4).text());
    b_.primitive(n, "prefix", part(6).text());
    b_.primitive(n, "suffix", part(5).text());
    b_.primitive(n, "suffix", part(7).text());
  }
  return ref;
}

std::string OruMapper::organization(const Value& xon, const Value& address,
                                    const Value& producerId) {
  std::string written = "XON";
  for (const Value& v : {xon, address, producerId}) {
    written += '\x1f';
    written += v.raw();
  }
  return once(std::move(written), [&] { return organizationOf(xon, address, producerId); });
}

std::string OruMapper::organizationOf(const Value& xon, const Value& address,
                                      const Value& producerId) {
  const std::string name = xon.component(1).text();
  std::string idValue = xon.component(10).text();
  if (idValue.empty()) idValue = xon.component(3).text();  // before v2.5
  const V2DataTypes::Hd authority = dt_.hd(xon.component(6), true);
  const std::string system = dt_.hdSystem(authority);
  const std::string producer = producerId.component(1).text();
  if (name.empty() && idValue.empty() && producer.empty()) return {};
  const std::string id = makeId("v2org", {system, idValue, name, producer});
  const std::string ref = "Organization/" + id;
  if (added_.count(ref) != 0) return ref;
  added_.insert(ref);
  Element* o = addResource("Organization", id);
  if (!idValue.empty()) {
    Element* identifier = b_.add(o, "identifier");
    dt_.identifierType(identifier, xon.component(7));
    b_.primitive(identifier, "system", system);
    b_.primitive(identifier, "value", idValue);
  }
  if (!producer.empty()) {
    // OBX-15 producer's id: a CWE read as an identifier of the producing organization.
    Element* identifier = b_.add(o, "identifier");
    b_.primitive(identifier, "system", dt_.codingSystem(producerId.component(3)));
    b_.primitive(identifier, "value", producer);
  }
  b_.primitive(o, "name", name);
  dt_.address(o, "address", address, true);
  return ref;
}

std::string OruMapper::organizationFromHd(const Value& hdValue) {
  // MSH-4 is read for the MessageHeader and again for the Provenance.
  std::string written("HD\x1f");
  written += hdValue.raw();
  return once(std::move(written), [&] {
    const V2DataTypes::Hd hd = dt_.hd(hdValue, false);
    if (hd.empty()) return std::string();
    const std::string id = makeId("v2org", {"HD", hd.namespaceId, hd.universalId, hd.type});
    std::string ref = "Organization/" + id;
    if (added_.count(ref) != 0) return ref;
    added_.insert(ref);
    Element* o = addResource("Organization", id);
    if (!hd.universalId.empty()) dt_.hdIdentifier(o, "identifier", hd);
    b_.primitive(o, "name", hd.namespaceId.empty() ? hd.universalId : hd.namespaceId);
    return ref;
  });
}

std::string OruMapper::practitionerRole(const std::string& practitionerRef,
                                        const std::string& organizationRef) {
  // The director and organization of every OBX: its id is hashed once a message.
  std::string written;
  written.reserve(practitionerRef.size() + organizationRef.size() + 6);
  written.append("ROLE\x1f").append(practitionerRef).append(1, '\x1f').append(organizationRef);
  return once(std::move(written), [&] {
    const std::string id = makeId("v2role", {practitionerRef, organizationRef, "MDIR"});
    std::string ref = "PractitionerRole/" + id;
    if (added_.count(ref) != 0) return ref;
    added_.insert(ref);
    Element* r = addResource("PractitionerRole", id);
    b_.reference(r, "practitioner", practitionerRef);
    b_.reference(r, "organization", organizationRef);
    b_.codeable(r, "code", std::string(kV2) + "0912", "MDIR", "Medical Director");
    return ref;
  });
}

std::string OruMapper::noteText(const std::vector<Segment>& ntes) {
  std::string out;
  for (const Segment& nte : ntes) {
    const Value comment = nte.field(3);
    for (size_t r = 1; r <= comment.repetitionCount(); ++r) {
      const std::string line = comment.repetition(r).text(&issues_);
      if (!out.empty()) out += '\n';
      out += line;
    }
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

void OruMapper::notes(Element* resource, const std::vector<Segment>& ntes) {
  for (const Segment& nte : ntes) {
    const std::string text = noteText({nte});
    if (text.empty()) continue;
    Element* note = b_.add(resource, "note");
    // NTE-5 entered by (XCN): the name as written.
    const Value by = nte.field(5);
    std::string author = by.component(3).text();
    const std::string family = by.component(2).subcomponent(1).text();
    if (!family.empty()) author += (author.empty() ? "" : " ") + family;
    b_.primitive(note, "authorString", author);
    b_.primitive(note, "time", dt_.dateTime(nte.field(6)));
    b_.primitive(note, "text", text);
  }
}

}  // namespace trialbridge::mapping::detail
