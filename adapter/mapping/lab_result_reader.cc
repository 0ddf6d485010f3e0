#include "mapping/lab_result_reader.h"

#include <charconv>

#include "conformance/profiles.h"

namespace trialbridge::mapping {

namespace p = conformance::profiles;
using core::Element;

namespace {

std::string_view text(const Element* e, std::string_view name) {
  if (e == nullptr) return {};
  const Element* c = e->child(name);
  return c != nullptr && c->hasValue() ? c->value() : std::string_view();
}

std::optional<double> number(std::string_view s) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// A choice element's child and its type name ("value" of type "Quantity").
const Element* choice(const Element& e, std::string_view name, std::string_view type) {
  const Element* c = e.child(name);
  return c != nullptr && c->type().name == type ? c : nullptr;
}

// The UCUM code of a Quantity: its code when the system is UCUM (or not given).
std::string ucumCode(const Element* q) {
  const std::string_view system = text(q, "system");
  if (!system.empty() && system != p::kUcum) return {};
  return std::string(text(q, "code"));
}

std::optional<study::Instant> effective(const Element& r, int32_t zone) {
  for (const char* type : {"dateTime", "instant"}) {
    if (const Element* e = choice(r, "effective", type); e && e->hasValue())
      return study::parseInstant(e->value(), zone);
  }
  if (const Element* period = choice(r, "effective", "Period")) {
    const std::string_view start = text(period, "start");
    if (!start.empty()) return study::parseInstant(start, zone);
  }
  return std::nullopt;
}

const Element* extension(const Element& e, std::string_view url) {
  const Element* found = nullptr;
  e.forEachChild("extension", [&](const Element& x) {
    if (found == nullptr && text(&x, "url") == url) found = &x;
  });
  return found;
}

// An extension's primitive value of this type, or "".
std::string_view value(const Element* ext, std::string_view type) {
  if (ext == nullptr) return {};
  const Element* v = choice(*ext, "value", type);
  return v != nullptr && v->hasValue() ? v->value() : std::string_view();
}

}  // namespace

std::optional<study::LabResult> labResultOf(const Element& obs, std::string* why, int32_t zone) {
  auto fail = [&](const char* reason) -> std::optional<study::LabResult> {
    if (why) *why = reason;
    return std::nullopt;
  };
  study::LabResult r;
  r.source = "Observation/" + std::string(text(&obs, "id"));
  if (const Element* code = obs.child("code")) {
    code->forEachChild("coding", [&](const Element& c) {
      const std::string_view system = text(&c, "system");
      if (!r.code.empty() && r.system == p::kLoinc) return;
      if (r.code.empty() || system == p::kLoinc) {
        r.system = std::string(system);
        r.code = std::string(text(&c, "code"));
      }
    });
  }
  if (r.code.empty()) return fail("the Observation has no coded test");
  std::optional<study::Instant> when = effective(obs, zone);
  if (!when) return fail("the Observation has no effective time");
  r.effective = *when;
  if (const Element* q = choice(obs, "value", "Quantity")) {
    r.value = number(text(q, "value"));
    r.comparator = std::string(text(q, "comparator"));
    r.unit = ucumCode(q);
  } else if (const Element* cc = choice(obs, "value", "CodeableConcept")) {
    if (const Element* c = cc->child("coding")) {
      r.valueSystem = std::string(text(c, "system"));
      r.valueCode = std::string(text(c, "code"));
    }
    r.valueText = std::string(text(cc, "text"));
  } else if (const Element* s = choice(obs, "value", "string"); s && s->hasValue()) {
    r.valueText = std::string(s->value());
  }
  if (const Element* interp = obs.child("interpretation")) {
    r.interpretation = std::string(text(interp->child("coding"), "code"));
  }
  if (const Element* range = obs.child("referenceRange")) {
    const Element* low = range->child("low");
    const Element* high = range->child("high");
    if (low) r.low = number(text(low, "value"));
    if (high) r.high = number(text(high, "value"));
    const std::string unit = ucumCode(high ? high : low);
    if (unit != r.unit) r.rangeUnit = unit;
  }
  return r;
}

std::optional<study::DoseGiven> doseOf(const Element& ma, std::string* why, int32_t zone) {
  auto fail = [&](const char* reason) -> std::optional<study::DoseGiven> {
    if (why) *why = reason;
    return std::nullopt;
  };
  const std::string_view status = text(&ma, "status");
  if (status == "not-done" || status == "entered-in-error") return fail("the dose was not given");
  const Element* place = extension(ma, p::kExtTimepoint);
  if (place == nullptr) return fail("the MedicationAdministration names no timepoint");
  study::DoseGiven d;
  d.timepoint = std::string(value(extension(*place, "timepoint"), "string"));
  if (d.timepoint.empty()) return fail("the MedicationAdministration names no timepoint");
  if (auto k = number(value(extension(*place, "occurrence"), "positiveInt"))) {
    d.occurrence = static_cast<int>(*k);
  }
  std::optional<study::Instant> when = effective(ma, zone);
  if (!when) return fail("the MedicationAdministration has no effective time");
  d.time = *when;
  return d;
}

}  // namespace trialbridge::mapping
