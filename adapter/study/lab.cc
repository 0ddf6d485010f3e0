#include "study/lab.h"

#include <rapidjson/document.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "conformance/ucum.h"
#include "core/rapidjson_util.h"
#include "study/embedded_data.h"
#include "study/time_amount.h"
#include "study/vocabulary.h"

namespace trialbridge::study {

using core::rj::stringMember;

const LabCatalog& LabCatalog::get() {
  static const LabCatalog instance;
  return instance;
}

LabCatalog::LabCatalog() {
  const std::string_view json = embeddedFile(EmbeddedFile::LabAnalytes);
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("analytes") || !d["analytes"].IsArray()) {
    throw std::logic_error("mappings/lab-analytes.json has no list of analytes");
  }
  for (const auto& a : d["analytes"].GetArray()) {
    Analyte x;
    x.id = stringMember(a, "id");
    x.name = stringMember(a, "name");
    x.unit = stringMember(a, "unit");
    if (a.HasMember("molarMass") && a["molarMass"].IsNumber())
      x.molarMass = a["molarMass"].GetDouble();
    if (a.HasMember("codes") && a["codes"].IsArray()) {
      for (const auto& c : a["codes"].GetArray()) {
        x.codes.push_back(
            {stringMember(c, "system"), stringMember(c, "code"), stringMember(c, "specimen")});
      }
    }
    if (x.id.empty() || x.codes.empty() || !conformance::ucum::isValid(x.unit)) {
      throw std::logic_error("mappings/lab-analytes.json: analyte '" + x.id +
                             "' needs an id, codes and a UCUM unit");
    }
    analytes_.push_back(std::move(x));
  }
  for (size_t i = 0; i < analytes_.size(); ++i) {
    for (const Analyte::Code& c : analytes_[i].codes) byCode_.emplace(c.code, i);
  }
}

const Analyte* LabCatalog::find(std::string_view system, std::string_view code) const {
  auto it = byCode_.find(code);
  if (it == byCode_.end()) return nullptr;
  const Analyte& a = analytes_[it->second];
  for (const Analyte::Code& c : a.codes) {
    if (c.code == code && c.system == system) return &a;
  }
  return nullptr;
}

const Analyte* LabCatalog::byId(std::string_view id) const {
  for (const Analyte& a : analytes_) {
    if (a.id == id) return &a;
  }
  return nullptr;
}

const Analyte* LabCatalog::forConcept(const Concept& test) const {
  for (const Coding& c : test.codes) {
    if (const Analyte* a = find(c.system, c.code)) return a;
  }
  return nullptr;
}

std::string_view LabCatalog::specimen(std::string_view system, std::string_view code) const {
  if (const Analyte* a = find(system, code)) {
    for (const Analyte::Code& c : a->codes) {
      if (c.code == code) return c.specimen;
    }
  }
  return {};
}

bool sameTest(std::string_view systemA, std::string_view codeA, std::string_view systemB,
              std::string_view codeB) {
  if (codeA == codeB && systemA == systemB) return true;
  const LabCatalog& catalog = LabCatalog::get();
  const Analyte* a = catalog.find(systemA, codeA);
  return a != nullptr && a == catalog.find(systemB, codeB);
}

bool sameTest(const Concept& test, std::string_view system, std::string_view code) {
  for (const Coding& c : test.codes) {
    if (sameTest(c.system, c.code, system, code)) return true;
  }
  return false;
}

std::vector<Coding> testCodes(const Concept& test) {
  std::vector<Coding> out;
  auto add = [&](std::string_view system, std::string_view code) {
    for (const Coding& c : out) {
      if (c.system == system && c.code == code) return;
    }
    out.push_back({std::string(system), std::string(code), "", ""});
  };
  for (const Coding& c : test.codes) {
    add(c.system, c.code);
    if (const Analyte* a = LabCatalog::get().find(c.system, c.code)) {
      for (const Analyte::Code& k : a->codes) add(k.system, k.code);
    }
  }
  return out;
}

std::optional<double> convertUnit(double value, std::string_view from, std::string_view to,
                                  const Analyte* analyte, std::string* why) {
  namespace ucum = conformance::ucum;
  if (from == to) return value;
  auto fail = [&](std::string reason) -> std::optional<double> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  if (from.empty())
    return fail("the result has no unit (expected one comparable with " + std::string(to) + ")");
  if (!ucum::isValid(from)) return fail("'" + std::string(from) + "' is not a UCUM unit");
  if (!ucum::isValid(to)) return fail("'" + std::string(to) + "' is not a UCUM unit");
  if (auto v = ucum::convert(value, from, to)) return static_cast<double>(*v);
  if (analyte != nullptr && analyte->molarMass) {
    // Substance to mass concentration: multiply by g/mol; mass to substance: divide.
    const double m = *analyte->molarMass;
    const std::string f(from);
    if (auto v = ucum::convert(value * m, f + ".g/mol", to)) return static_cast<double>(*v);
    if (auto v = ucum::convert(value / m, f + ".mol/g", to)) return static_cast<double>(*v);
  }
  return fail("'" + std::string(from) + "' cannot be converted to '" + std::string(to) + "'");
}

std::optional<ValueRange> valueIn(const LabResult& r, std::string_view unit, const Analyte* analyte,
                                  std::string* why) {
  if (!r.value) {
    if (why) *why = "the result has no numeric value";
    return std::nullopt;
  }
  std::optional<double> v =
      convertUnit(*r.value, r.unit, unit.empty() ? r.unit : unit, analyte, why);
  if (!v) return std::nullopt;
  constexpr double inf = std::numeric_limits<double>::infinity();
  ValueRange out{*v, *v};
  const std::string& c = r.comparator;
  if (c == "<" || c == "<=") {
    out.low = -inf;
    out.lowOpen = true;
    out.highOpen = c == "<";
  } else if (c == ">" || c == ">=") {
    out.high = inf;
    out.highOpen = true;
    out.lowOpen = c == ">";
  }
  return out;
}

namespace {

bool reached(int64_t birthDays, int64_t onDay, double value, std::string_view unit) {
  // Age units to the plan's time units: years as 12 months, calendar-wise.
  const double amount = unit == "a" ? value * 12 : value;
  const std::string_view u = unit == "a" ? std::string_view("mo") : unit;
  const std::optional<int64_t> at = addTime(birthDays * kSecondsPerDay, amount, u, 0);
  return at && *at / kSecondsPerDay <= onDay;
}

}  // namespace

std::optional<bool> hasReachedAge(std::string_view birthDate, const Instant& when, double value,
                                  std::string_view unit) {
  std::optional<Instant> birth = parseInstant(birthDate, 0);
  if (!birth || birthDate.size() > 10) return std::nullopt;
  // The local calendar day of `when`; the birth date's possible days.
  const int64_t day =
      (when.seconds + int64_t{when.zoneMinutes} * kSecondsPerMinute) / kSecondsPerDay;
  const int64_t firstDay = birth->seconds / kSecondsPerDay;
  const int64_t lastDay = firstDay + birth->span / kSecondsPerDay - 1;
  const bool early = reached(firstDay, day, value, unit);  // born as early as possible
  const bool late = reached(lastDay, day, value, unit);    // born as late as possible
  if (early == late) return early;
  return std::nullopt;
}

NormalLimits normalLimits(const Trial& trial, const LabResult& r, const SubjectFacts& subject,
                          std::string_view unit, std::string* why) {
  NormalLimits out;
  const std::string target(unit.empty() ? std::string_view(r.unit) : unit);
  out.unit = target;
  const Analyte* analyte = LabCatalog::get().find(r.system, r.code);
  if (r.low || r.high) {
    const std::string& from = r.rangeUnit.empty() ? r.unit : r.rangeUnit;
    std::string reason;
    if (r.low) out.low = convertUnit(*r.low, from, target, analyte, &reason);
    if (r.high) out.high = convertUnit(*r.high, from, target, analyte, &reason);
    if (out.low || out.high) {
      out.source = "result";
      return out;
    }
    if (why) *why = "the result's reference range: " + reason;
  }
  for (const ReferenceRange& range : trial.laboratory.referenceRanges) {
    if (!sameTest(range.test, r.system, r.code)) continue;
    if (!range.sex.empty() && range.sex != subject.sex) continue;
    auto fits = [&](const std::optional<Age>& age, bool minimum) {
      if (!age) return true;
      const double v = decimalNumber(age->value);
      std::optional<bool> has = hasReachedAge(subject.birthDate, r.effective, v, age->unit);
      if (!has) return false;
      if (minimum) return *has;
      // A maximum age includes the whole year (month...) it names.
      std::optional<bool> over = hasReachedAge(subject.birthDate, r.effective, v + 1, age->unit);
      return over.has_value() && !*over;
    };
    if (!fits(range.minimumAge, true) || !fits(range.maximumAge, false)) continue;
    std::string reason;
    if (range.low) out.low = convertUnit(*range.low, range.unit, target, analyte, &reason);
    if (range.high) out.high = convertUnit(*range.high, range.unit, target, analyte, &reason);
    if (out.low || out.high) {
      out.source = "trial";
      return out;
    }
    if (why) *why = "the trial's reference range: " + reason;
    return out;
  }
  if (why && why->empty())
    *why = "the result has no reference range and the trial configures none for this test";
  return out;
}

}  // namespace trialbridge::study
