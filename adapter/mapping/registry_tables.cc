#include "mapping/registry_tables.h"

#include <rapidjson/document.h>

#include <stdexcept>

#include "core/rapidjson_util.h"
#include "core/text.h"
#include "mapping/embedded_data.h"

namespace trialbridge::mapping {

using core::rj::stringMember;

namespace {

const rapidjson::Value& member(const rapidjson::Value& obj, const char* name, const char* file) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsObject()) {
    throw std::logic_error(std::string(file) + " has no object " + name);
  }
  return it->value;
}

void parse(rapidjson::Document& d, EmbeddedFile file, const char* name) {
  const std::string_view json = embeddedFile(file);
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) {
    throw std::logic_error(std::string(name) + " is not a JSON object");
  }
}

template <typename M>
std::string lookup(const M& m, std::string_view key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

}  // namespace

const RegistryTables& RegistryTables::get() {
  static const RegistryTables instance;
  return instance;
}

RegistryTables::RegistryTables() {
  constexpr const char* kFile = "mappings/registries.json";
  rapidjson::Document d;
  parse(d, EmbeddedFile::Registries, kFile);
  for (auto& m : member(d, "status", kFile).GetObject()) {
    Status s{stringMember(m.value, "fhir"), stringMember(m.value, "location"),
             stringMember(m.value, "prs"), stringMember(m.value, "who"), false};
    auto ea = m.value.FindMember("expandedAccess");
    s.expandedAccess = ea != m.value.MemberEnd() && ea->value.IsTrue();
    status_[m.name.GetString()] = std::move(s);
  }
  unknownFallback_ = stringMember(d, "unknownStatusWithoutLastKnown");
  for (auto& m : member(d, "statusFromFhir", kFile).GetObject())
    statusFromFhir_[m.name.GetString()] = m.value.GetString();
  for (auto& m : member(d, "secondaryIdTypeOfRegistry", kFile).GetObject())
    secondaryIdTypes_[m.name.GetString()] = m.value.GetString();
  for (auto& e : member(d, "enums", kFile).GetObject()) {
    auto& values = enums_[e.name.GetString()];
    for (auto& v : e.value.GetObject()) {
      Fields& f = values[v.name.GetString()];
      for (auto& field : v.value.GetObject()) {
        if (field.value.IsString()) f[field.name.GetString()] = field.value.GetString();
      }
    }
  }
  for (auto& m : member(d, "ageUnits", kFile).GetObject()) {
    auto& words = ageUnits_[m.name.GetString()];
    for (auto& w : m.value.GetArray()) words.emplace_back(w.GetString());
  }

  rapidjson::Document c;
  parse(c, EmbeddedFile::Countries, "mappings/countries.json");
  for (auto& m : member(c, "countries", "mappings/countries.json").GetObject()) {
    const std::string code = m.name.GetString();
    const std::string name = stringMember(m.value, "name");
    countryNames_[code] = name;
    countryCodes_.emplace(core::asciiLower(name), code);
    auto aliases = m.value.FindMember("aliases");
    if (aliases == m.value.MemberEnd()) continue;
    for (auto& a : aliases->value.GetArray()) {
      countryCodes_.emplace(core::asciiLower(a.GetString()), code);
    }
  }
}

const RegistryTables::Status* RegistryTables::status(std::string_view ctgov) const {
  auto it = status_.find(ctgov);
  return it == status_.end() ? nullptr : &it->second;
}

std::string RegistryTables::fhirStatus(std::string_view ctgov, std::string_view lastKnown) const {
  const Status* s = status(ctgov);
  if (s == nullptr) return {};
  if (!s->fhir.empty()) return s->fhir;
  // UNKNOWN: the last known status's code, but never "active" (open for accrual): that is what
  // nobody has checked for two years.
  const Status* last = status(lastKnown);
  if (last == nullptr || last->fhir.empty() || last->fhir == "active") return unknownFallback_;
  return last->fhir;
}

std::string RegistryTables::statusFromFhir(std::string_view fhir) const {
  return lookup(statusFromFhir_, fhir);
}

bool RegistryTables::isCode(std::string_view name, std::string_view code) const {
  auto e = enums_.find(name);
  return e != enums_.end() && e->second.find(code) != e->second.end();
}

std::string RegistryTables::field(std::string_view name, std::string_view code,
                                  std::string_view key) const {
  auto e = enums_.find(name);
  if (e == enums_.end()) return {};
  auto v = e->second.find(code);
  return v == e->second.end() ? std::string() : lookup(v->second, key);
}

std::string RegistryTables::codeOf(std::string_view name, std::string_view key,
                                   std::string_view value) const {
  auto e = enums_.find(name);
  if (e == enums_.end()) return {};
  for (const auto& [code, fields] : e->second) {
    if (lookup(fields, key) == value) return code;
  }
  return {};
}

std::string RegistryTables::secondaryIdType(std::string_view registry) const {
  std::string t = lookup(secondaryIdTypes_, registry);
  return t.empty() ? "REGISTRY" : t;
}

std::string RegistryTables::ageUnitWord(std::string_view ucum) const {
  auto it = ageUnits_.find(ucum);
  return it == ageUnits_.end() || it->second.empty() ? std::string() : it->second.front();
}

std::string RegistryTables::ageUnitCode(std::string_view word) const {
  for (const auto& [code, words] : ageUnits_) {
    for (const std::string& w : words) {
      if (w == word) return code;
    }
  }
  return {};
}

std::string RegistryTables::countryName(std::string_view code) const {
  return lookup(countryNames_, code);
}

std::string RegistryTables::countryCode(std::string_view name) const {
  return lookup(countryCodes_, core::asciiLower(name));
}

}  // namespace trialbridge::mapping
