// ORU^R01 -> FHIR: the message (MSH -> MessageHeader, Provenance), the patient (PID -> Patient)
// and the visit (PV1 -> Encounter); orders and observations are in oru_order.cc and
// oru_observation.cc.

#include <mutex>

#include "mapping/detail/oru_mapper.h"
#include "mapping/oru_mapping.h"
#include "mapping/v2_time.h"

namespace trialbridge::mapping {

namespace detail {

namespace {

using core::Element;
using hl7v2::Segment;
using hl7v2::Value;

}  // namespace

OruMapper::OruMapper(const hl7v2::Message& message, const V2MapOptions& options,
                     const core::TypeResolver& types, const V2Terminology& terminology,
                     const conformance::Terminology& codes, core::Issues& issues, TypeCache* cache)
    : m_(message),
      options_(options),
      terminology_(terminology),
      issues_(issues),
      tx_(types, options.fullUrlBase, cache),
      b_(tx_.builder()),
      dt_(tx_.builder(), terminology, issues, &codes) {}

std::string OruMapper::makeId(std::string_view prefix,
                              std::initializer_list<std::string_view> parts) {
  return deterministicId(prefix, parts);
}

Element* OruMapper::addResource(std::string_view type, const std::string& id) {
  Element* r = tx_.addResource(type, id, {});
  targets_.push_back(std::string(type) + "/" + id);
  return r;
}

void OruMapper::readTimezone() {
  const Value msh7 = m_.header().field(7);
  const std::string text = msh7.component(1).text();
  const auto parsed = v2time::parse(text);
  if (parsed && !parsed->offset.empty()) {
    dt_.setDefaultOffset(parsed->offset);
    return;
  }
  if (!options_.defaultTimezone.empty()) {
    dt_.setDefaultOffset(options_.defaultTimezone);
    return;
  }
  dt_.setDefaultOffset("Z");
  dt_.warning(msh7.component(1),
              "MSH-7 has no time zone and none is configured: times written without a zone are "
              "read as UTC");
}

Element* OruMapper::messageHeader() {
  const Segment msh = m_.header();
  Element* h = addResource("MessageHeader", makeId("v2msg", {sender_, controlId_}));
  // MSH-11 processing id (P, T, D) as a tag.
  Element* meta = b_.add(h, "meta");
  const std::string processing = msh.field(11).component(1).text();
  b_.coding(meta, "tag", std::string(kV2) + "0103", processing);
  b_.coding(h, "eventCoding", std::string(kV2) + "0003", msh.field(9).component(2).text());
  // MSH-5/6 -> destination; MSH-3 -> source (its endpoint from HD-2 when there is one).
  const auto endpoint = [&](Element* parent, const V2DataTypes::Hd& hd) {
    const std::string system = dt_.hdSystem(hd);
    if (!system.empty() && system.find(':') != std::string::npos) {
      b_.primitive(parent, "endpoint", system);
      return;
    }
    // endpoint is required and there is no URL: an absent value with its reason.
    Element* e = b_.add(parent, "endpoint");
    Element* x = b_.extension(e, "http://hl7.org/fhir/StructureDefinition/data-absent-reason");
    b_.primitive(x, "valueCode", "unknown");
  };
  const V2DataTypes::Hd receiver = dt_.hd(msh.field(5), false);
  if (!receiver.empty() || msh.field(6).hasValue()) {
    Element* d = b_.add(h, "destination");
    b_.primitive(d, "name",
                 receiver.namespaceId.empty() ? receiver.universalId : receiver.namespaceId);
    endpoint(d, receiver);
    const std::string org = organizationFromHd(msh.field(6));
    if (!org.empty()) b_.reference(d, "receiver", org);
  }
  const std::string senderOrg = organizationFromHd(msh.field(4));
  if (!senderOrg.empty()) b_.reference(h, "sender", senderOrg);
  Element* source = b_.add(h, "source");
  const V2DataTypes::Hd app = dt_.hd(msh.field(3), false);
  b_.primitive(source, "name", app.namespaceId.empty() ? app.universalId : app.namespaceId);
  endpoint(source, app);
  return h;
}

void OruMapper::provenance() {
  const Segment msh = m_.header();
  const std::string id = makeId("v2prov", {sender_, controlId_});
  Element* p = tx_.addResource("Provenance", id, {});
  for (const std::string& t : targets_) b_.reference(p, "target", t);
  // Provenance.recorded is an instant: MSH-7 with a time, or the start of its day.
  const Value msh7 = msh.field(7);
  if (!msh7.hasValue()) {
    dt_.error(msh7, "MSH-7 (date/time of message) is required", core::IssueType::Required);
  } else if (const std::string when = dt_.dateTime(msh7); !when.empty()) {
    if (when.find('T') != std::string::npos) {
      b_.primitive(p, "recorded", when);
    } else if (when.size() == 10) {
      dt_.warning(msh7.component(1),
                  "MSH-7 has no time of day: the Provenance is recorded at "
                  "the start of its day");
      b_.primitive(p, "recorded", when + "T00:00:00" + dt_.defaultOffset());
    } else {
      dt_.error(msh7.component(1), "MSH-7 must give at least a day", core::IssueType::Value);
    }
  }
  b_.codeable(p, "activity", "http://terminology.hl7.org/CodeSystem/v3-DataOperation", "CREATE",
              "create",
              "HL7 v2 " + m_.messageType() + "^" + m_.triggerEvent() + " message mapped to FHIR");
  Element* agent = b_.add(p, "agent");
  b_.codeable(agent, "type", "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
              "author");
  std::string who = organizationFromHd(msh.field(4));
  if (who.empty()) {
    const V2DataTypes::Hd app = dt_.hd(msh.field(3), false);
    const std::string name = app.namespaceId.empty() ? app.universalId : app.namespaceId;
    b_.primitive(b_.add(agent, "who"), "display",
                 name.empty() ? std::string("sender of message ") + controlId_ : name);
  } else {
    b_.reference(agent, "who", who);
  }
  // The message itself, by its control id.
  Element* entity = b_.add(p, "entity");
  b_.primitive(entity, "role", "source");
  Element* what = b_.add(entity, "what");
  Element* identifier = b_.add(what, "identifier");
  b_.primitive(identifier, "value", controlId_);
  b_.primitive(what, "display", "HL7 v2 message " + controlId_ + " from " + sender_);
}

std::string OruMapper::patient(const Segment& pid) {
  const Value ids = pid.field(3);
  const Value first = ids.repetition(1);
  std::string id;
  if (first.component(1).hasValue()) {
    id = makeId("v2pat", {sender_, first.component(1).text(), first.component(4).raw()});
  } else {
    id = makeId("v2pat", {sender_, controlId_, "PID", pid.field(1).text()});
    dt_.warning(pid.field(3),
                "PID-3 (patient identifier list) is empty: the Patient's id comes "
                "from the message, so another message makes another Patient",
                core::IssueType::Required);
  }
  const std::string ref = "Patient/" + id;
  if (added_.count(ref) != 0) return ref;
  added_.insert(ref);
  Element* p = addResource("Patient", id);
  // PID-6 mother's maiden name, PID-7 birth time (extensions come first in definition order,
  // and appendChildOrdered keeps that order whatever the calls' order).
  if (const std::string maiden = pid.field(6).component(1).subcomponent(1).text();
      !maiden.empty()) {
    Element* x =
        b_.extension(p, "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName");
    b_.primitive(x, "valueString", maiden);
  }
  for (const Value& field : {pid.field(2), pid.field(3), pid.field(4)}) {
    for (size_t r = 1; r <= field.repetitionCount(); ++r) {
      dt_.identifierFromCx(p, "identifier", field.repetition(r));
    }
  }
  for (size_t r = 1; r <= pid.field(5).repetitionCount(); ++r) {
    dt_.humanName(p, "name", pid.field(5).repetition(r));
  }
  for (size_t r = 1; r <= pid.field(9).repetitionCount(); ++r) {
    dt_.humanName(p, "name", pid.field(9).repetition(r));
  }
  for (size_t r = 1; r <= pid.field(13).repetitionCount(); ++r) {
    dt_.telecom(p, "telecom", pid.field(13).repetition(r), "home");
  }
  for (size_t r = 1; r <= pid.field(14).repetitionCount(); ++r) {
    dt_.telecom(p, "telecom", pid.field(14).repetition(r), "work");
  }
  if (pid.field(8).hasValue()) {
    b_.primitive(
        p, "gender",
        dt_.tableCode(pid.field(8), "0001", "http://hl7.org/fhir/administrative-gender", false));
  }
  const Value birth = pid.field(7);
  const std::string birthDate = dt_.date(birth);
  if (Element* bd = b_.primitive(p, "birthDate", birthDate);
      bd != nullptr && birth.component(1).text().size() > 8) {
    Element* x = b_.extension(bd, "http://hl7.org/fhir/StructureDefinition/patient-birthTime");
    b_.primitive(x, "valueDateTime", dt_.dateTime(birth));
  }
  if (const std::string death = dt_.dateTime(pid.field(29)); !death.empty()) {
    b_.primitive(p, "deceasedDateTime", death);
  } else if (const std::string flag = pid.field(30).text(); flag == "Y" || flag == "N") {
    b_.primitive(p, "deceasedBoolean", flag == "Y" ? "true" : "false");
  }
  for (size_t r = 1; r <= pid.field(11).repetitionCount(); ++r) {
    dt_.address(p, "address", pid.field(11).repetition(r));
  }
  dt_.codeableConcept(p, "maritalStatus", pid.field(16));
  if (const std::string order = pid.field(25).text();
      !order.empty() && order.size() < 9 &&
      order.find_first_not_of("0123456789") == std::string::npos) {
    b_.primitive(p, "multipleBirthInteger", order);
  } else if (const std::string multiple = pid.field(24).text();
             multiple == "Y" || multiple == "N") {
    b_.primitive(p, "multipleBirthBoolean", multiple == "Y" ? "true" : "false");
  }
  if (pid.field(15).hasValue()) {
    dt_.codeableConcept(b_.add(p, "communication"), "language", pid.field(15));
  }
  return ref;
}

std::string OruMapper::encounter(const Segment& pv1, const std::string& patientRef) {
  const Value visit = pv1.field(19);
  const std::string id =
      visit.component(1).hasValue()
          ? makeId("v2enc", {sender_, visit.component(1).text(), visit.component(4).raw()})
          : makeId("v2enc", {sender_, controlId_, "PV1", pv1.field(1).text()});
  const std::string ref = "Encounter/" + id;
  if (added_.count(ref) != 0) return ref;
  added_.insert(ref);
  Element* e = addResource("Encounter", id);
  dt_.identifierFromCx(e, "identifier", visit);
  const std::string start = dt_.dateTime(pv1.field(44));
  const std::string end = dt_.dateTime(pv1.field(45));
  b_.primitive(e, "status", !end.empty() ? "finished" : !start.empty() ? "in-progress" : "unknown");
  const Value classValue = pv1.field(2);
  const std::string classCode = v2Code(classValue.component(1).text());
  const auto target = terminology_.translate(std::string(kV2) + "0004", classCode,
                                             "http://terminology.hl7.org/CodeSystem/v3-ActCode");
  if (target && !target->unmatched) {
    b_.coding(e, "class", "http://terminology.hl7.org/CodeSystem/v3-ActCode", target->code);
  } else if (!classCode.empty() && dt_.knownCode(std::string(kV2) + "0004", classCode)) {
    b_.coding(e, "class", std::string(kV2) + "0004", classCode);
  } else {
    b_.coding(e, "class", "http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "UNK");
  }
  if (!patientRef.empty()) b_.reference(e, "subject", patientRef);
  dt_.when(e, "period", "", start, end, pv1.field(45));
  return ref;
}

void OruMapper::patientResult(const hl7v2::oru::PatientResult& result) {
  const std::string patientRef = result.pid ? patient(*result.pid) : std::string();
  if (!result.pid) {
    issues_.add(hl7v2::makeIssue(core::Severity::Warning, core::IssueType::Required,
                                 "the results have no PID: their Observations have no subject",
                                 m_.header().location()));
  }
  const std::string encounterRef = result.pv1 ? encounter(*result.pv1, patientRef) : std::string();
  ObservationContext ctx;
  ctx.patient = patientRef;
  ctx.encounter = encounterRef;
  ctx.key = "patient:" + patientRef;
  for (const hl7v2::oru::Observation& o : result.observations) observation(o, ctx);
  for (const hl7v2::oru::Order& o : result.orders) order(o, patientRef, encounterRef);
}

std::unique_ptr<core::Document> OruMapper::map(const hl7v2::oru::Structure& oru) {
  const Segment msh = m_.header();
  controlId_ = m_.controlId();
  const V2DataTypes::Hd facility = dt_.hd(msh.field(4), false);
  const V2DataTypes::Hd app = dt_.hd(msh.field(3), false);
  sender_ = !facility.universalId.empty()   ? facility.universalId
            : !facility.namespaceId.empty() ? facility.namespaceId
            : !app.universalId.empty()      ? app.universalId
                                            : app.namespaceId;
  readTimezone();
  Element* header = messageHeader();
  for (const hl7v2::oru::PatientResult& r : oru.results) patientResult(r);
  for (const std::string& r : reports_) b_.reference(header, "focus", r);
  provenance();
  if (issues_.hasErrors()) return nullptr;
  return tx_.release();
}

}  // namespace detail

class V2Mapper::CachePool {
 public:
  std::unique_ptr<TypeCache> take() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        std::unique_ptr<TypeCache> cache = std::move(free_.back());
        free_.pop_back();
        return cache;
      }
    }
    return std::make_unique<TypeCache>();
  }
  // There are never more caches than calls of map() at one time.
  void give(std::unique_ptr<TypeCache> cache) noexcept {
    try {
      const std::lock_guard<std::mutex> lock(mutex_);
      free_.push_back(std::move(cache));
    } catch (...) {  // the cache is only dropped
    }
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<TypeCache>> free_;
};

V2Mapper::V2Mapper(const conformance::Context& context, V2MapOptions options)
    : context_(context),
      options_(std::move(options)),
      terminology_(options_.terminology ? options_.terminology : V2Terminology::defaults(context)),
      codes_(std::make_unique<conformance::Terminology>(context)),
      caches_(std::make_unique<CachePool>()) {}

V2Mapper::~V2Mapper() = default;

std::unique_ptr<core::Document> V2Mapper::map(const hl7v2::Message& message,
                                              core::Issues& issues) const {
  const size_t before = issues.size();
  std::optional<hl7v2::oru::Structure> oru = hl7v2::oru::readOru(message, issues);
  bool errors = false;
  for (size_t i = before; i < issues.size(); ++i) {
    errors |= issues.items()[i].severity <= core::Severity::Error;
  }
  if (!oru || errors) return nullptr;
  struct Lent {
    CachePool& pool;
    std::unique_ptr<TypeCache> cache;
    ~Lent() { pool.give(std::move(cache)); }
  } lent{*caches_, caches_->take()};
  core::Issues local;
  detail::OruMapper mapper(message, options_, context_, *terminology_, *codes_, local,
                           lent.cache.get());
  std::unique_ptr<core::Document> doc = mapper.map(*oru);
  issues.append(local);
  return doc;
}

}  // namespace trialbridge::mapping
