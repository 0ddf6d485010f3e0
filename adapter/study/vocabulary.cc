#include "study/vocabulary.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "core/rapidjson_util.h"
#include "core/text.h"
#include "study/embedded_data.h"

namespace trialbridge::study {

using core::rj::stringMember;

namespace {

using rapidjson::Value;

const Value& section(const Value& root, const char* name) {
  auto it = root.FindMember(name);
  if (it == root.MemberEnd()) {
    throw std::logic_error(std::string("mappings/vocabulary.json has no section ") + name);
  }
  return it->value;
}

template <typename M>
void readStrings(const Value& root, const char* name, M& out) {
  for (auto& m : section(root, name).GetObject()) {
    out[m.name.GetString()] = m.value.IsString() ? m.value.GetString() : "";
  }
}

std::string lookup(const std::map<std::string, std::string, std::less<>>& m, std::string_view key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

}  // namespace

const Vocabulary& Vocabulary::get() {
  static const Vocabulary instance;
  return instance;
}

Vocabulary::Vocabulary() {
  const std::string_view json = embeddedFile(EmbeddedFile::Vocabulary);
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) {
    throw std::logic_error("mappings/vocabulary.json is not a JSON object");
  }
  readStrings(d, "codeSystems", codeSystems_);
  readStrings(d, "subjectStatus", subjectStatus_);
  readStrings(d, "aeOutcome", aeOutcome_);
  readStrings(d, "aeRelatedness", aeRelatedness_);
  readStrings(d, "aeSeriousness", aeSeriousness_);
  readStrings(d, "ctcaeSeverity", ctcaeSeverity_);
  readStrings(d, "timeUnits", timeUnits_);
  for (auto& m : section(d, "registries").GetObject()) {
    Registry r{stringMember(m.value, "system"),
               stringMember(m.value, "display"),
               stringMember(m.value, "pattern"),
               {}};
    if (!r.pattern.empty()) {
      std::string error;
      r.regex = core::Regex::compile(r.pattern, true, error);
      if (!r.regex) {
        throw std::logic_error("mappings/vocabulary.json: registry " +
                               std::string(m.name.GetString()) + " has a bad pattern: " + error);
      }
    }
    registries_[m.name.GetString()] = std::move(r);
  }
  for (auto& m : section(d, "phases").GetObject()) {
    phases_[m.name.GetString()] =
        Code{stringMember(m.value, "code"), stringMember(m.value, "display"),
             stringMember(m.value, "text")};
  }
  for (auto& m : section(d, "primaryPurpose").GetObject()) {
    purposes_[m.name.GetString()] =
        Code{stringMember(m.value, "code"), stringMember(m.value, "display"), ""};
  }
  for (auto& m : section(d, "displays").GetObject()) {
    Map& codes = displays_[m.name.GetString()];
    for (auto& c : m.value.GetObject()) codes[c.name.GetString()] = c.value.GetString();
  }
  for (auto& v : section(d, "interventionMedication").GetArray()) {
    medicationTypes_.emplace_back(v.GetString());
  }
}

std::string Vocabulary::codeSystem(std::string_view aliasOrUri) const {
  if (aliasOrUri.find(':') != std::string_view::npos) return std::string(aliasOrUri);
  return lookup(codeSystems_, core::asciiLower(aliasOrUri));
}

std::vector<std::string> Vocabulary::codeSystemAliases() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : codeSystems_) out.push_back(k);
  return out;
}

const Vocabulary::Registry* Vocabulary::registry(std::string_view code) const {
  auto it = registries_.find(code);
  return it == registries_.end() ? nullptr : &it->second;
}

std::string Vocabulary::registryOfSystem(std::string_view system) const {
  if (system.empty()) return {};
  for (const auto& [code, r] : registries_) {
    if (r.system == system) return code;
  }
  return {};
}

std::string Vocabulary::registryOfValue(std::string_view value) const {
  if (value.size() > kMaxRegistryId) return {};
  for (const auto& [code, r] : registries_) {
    try {
      if (r.regex && r.regex->find(std::string(value))) return code;
    } catch (const std::exception&) {
      // a pattern that fails on this input matches nothing
    }
  }
  return {};
}

const Vocabulary::Code* Vocabulary::phase(std::string_view phases) const {
  auto it = phases_.find(phases);
  return it == phases_.end() ? nullptr : &it->second;
}

std::string Vocabulary::phasesOf(std::string_view code) const {
  for (const auto& [key, c] : phases_) {
    if (c.code == code) return key;
  }
  return {};
}

std::string Vocabulary::primaryPurposeOf(std::string_view code) const {
  for (const auto& [key, c] : purposes_) {
    if (c.code == code) return key;
  }
  return {};
}

const Vocabulary::Code* Vocabulary::primaryPurpose(std::string_view purpose) const {
  auto it = purposes_.find(purpose);
  return it == purposes_.end() ? nullptr : &it->second;
}

std::string Vocabulary::subjectStatus(std::string_view s) const {
  return lookup(subjectStatus_, s);
}

std::vector<std::string> Vocabulary::subjectStatusNames() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : subjectStatus_) out.push_back(k);
  return out;
}

std::string Vocabulary::aeOutcome(std::string_view o) const { return lookup(aeOutcome_, o); }
std::string Vocabulary::aeRelatedness(std::string_view r) const {
  return lookup(aeRelatedness_, r);
}
std::string Vocabulary::aeSeriousness(std::string_view c) const {
  return lookup(aeSeriousness_, c);
}
std::string Vocabulary::ctcaeSeverity(int grade) const {
  return lookup(ctcaeSeverity_, std::to_string(grade));
}
std::string Vocabulary::timeUnitName(std::string_view unit) const {
  std::string s = lookup(timeUnits_, unit);
  return s.empty() ? std::string(unit) : s;
}

std::string Vocabulary::display(std::string_view system, std::string_view code) const {
  auto it = displays_.find(system);
  return it == displays_.end() ? std::string() : lookup(it->second, code);
}

bool Vocabulary::interventionIsMedication(std::string_view type) const {
  return std::find(medicationTypes_.begin(), medicationTypes_.end(), type) !=
         medicationTypes_.end();
}

}  // namespace trialbridge::study
