#include "conformance/terminology.h"

#include <rapidjson/document.h>

#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>

#include "conformance/context.h"
#include "core/rapidjson_util.h"
#include "core/regex.h"

namespace trialbridge::conformance {

using core::rj::eachItem;
using core::rj::stringMember;

namespace {

using JValue = rapidjson::Value;

// The value[x] of a CodeSystem item property, as text.
std::string propertyValue(const JValue& p) {
  for (auto& m : p.GetObject()) {
    std::string_view key(m.name.GetString(), m.name.GetStringLength());
    if (key.rfind("value", 0) != 0) continue;
    if (m.value.IsString()) return {m.value.GetString(), m.value.GetStringLength()};
    if (m.value.IsBool()) return m.value.GetBool() ? "true" : "false";
    if (m.value.IsInt64()) return std::to_string(m.value.GetInt64());
    if (m.value.IsObject()) return stringMember(m.value, "code");  // valueCoding
  }
  return {};
}

void readConcepts(const JValue& owner, const std::string& parent, CodeSystemInfo& cs) {
  eachItem(owner, "concept", [&](const JValue& c) {
    if (!c.IsObject()) return;
    CodeConcept item;
    item.code = stringMember(c, "code");
    item.display = stringMember(c, "display");
    if (!parent.empty()) item.parents.push_back(parent);
    eachItem(c, "designation", [&](const JValue& d) {
      std::string v = stringMember(d, "value");
      if (!v.empty()) item.designations.push_back(std::move(v));
    });
    eachItem(c, "property", [&](const JValue& p) {
      if (!p.IsObject()) return;
      const std::string code = stringMember(p, "code");
      std::string value = propertyValue(p);
      if (code == "parent" || code == "subsumedBy") item.parents.push_back(value);
      if ((code == "notSelectable" || code == "abstract") && value == "true") {
        item.abstract = true;
      }
      if ((code == "status" && (value == "retired" || value == "inactive")) ||
          (code == "inactive" && value == "true") || (code == "deprecated" && value == "true")) {
        item.inactive = true;
      }
      item.properties.try_emplace(code, std::move(value));
    });
    const std::string code = item.code;
    if (!code.empty() && cs.byCode.find(code) == cs.byCode.end()) {
      cs.byCode.emplace(code, cs.concepts.size());
      cs.concepts.push_back(std::move(item));
    }
    readConcepts(c, code, cs);
  });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

const CodeConcept* CodeSystemInfo::find(std::string_view code) const {
  auto it = byCode.find(code);
  if (it != byCode.end()) return &concepts[it->second];
  if (!caseSensitive) {
    const std::string l = lower(code);
    for (const CodeConcept& c : concepts) {
      if (lower(c.code) == l) return &c;
    }
  }
  return nullptr;
}

bool CodeSystemInfo::isA(std::string_view code, std::string_view ancestor) const {
  std::vector<std::string_view> todo{code};
  StringSet seen;
  while (!todo.empty()) {
    std::string_view c = todo.back();
    todo.pop_back();
    if (c == ancestor) return true;
    if (!seen.insert(std::string(c)).second) continue;
    if (const CodeConcept* k = find(c)) {
      for (const std::string& p : k->parents) todo.push_back(p);
    }
  }
  return false;
}

const std::vector<std::string>* ValueSetExpansion::displaysOf(std::string_view system,
                                                              std::string_view code) const {
  if (displays.empty()) return nullptr;
  auto it = displays.find(std::string(system) + "|" + std::string(code));
  return it == displays.end() ? nullptr : &it->second;
}

bool ValueSetExpansion::contains(std::string_view system, std::string_view code) const {
  auto it = codes.find(system);
  return it != codes.end() && it->second.find(code) != it->second.end();
}

std::vector<std::string_view> ValueSetExpansion::systemsOf(std::string_view code) const {
  std::vector<std::string_view> out;
  for (const auto& [system, set] : codes) {
    if (set.find(code) != set.end()) out.push_back(system);
  }
  return out;
}

size_t ValueSetExpansion::size() const {
  size_t n = 0;
  for (const auto& [system, set] : codes) n += set.size();
  return n;
}

struct Terminology::Impl {
  const Context& context;
  mutable std::shared_mutex mutex;
  mutable StringMap<std::unique_ptr<CodeSystemInfo>> codeSystems;  // null: not loaded
  mutable StringMap<std::unique_ptr<ValueSetExpansion>> valueSets;

  explicit Impl(const Context& c) : context(c) {}

  std::unique_ptr<CodeSystemInfo> loadCodeSystem(std::string_view url) const {
    const Context::Located* loc = context.find(url);
    if (loc == nullptr || loc->info->resourceType != "CodeSystem") return nullptr;
    auto json = loc->package->json(loc->index);
    if (!json) return nullptr;
    rapidjson::Document d;
    d.Parse<rapidjson::kParseNumbersAsStringsFlag>(json.value().data(), json.value().size());
    if (d.HasParseError() || !d.IsObject()) return nullptr;
    auto cs = std::make_unique<CodeSystemInfo>();
    cs->url = stringMember(d, "url");
    cs->version = stringMember(d, "version");
    cs->name = stringMember(d, "name");
    cs->content = stringMember(d, "content");
    if (const JValue* v = core::rj::member(d, "caseSensitive"); v != nullptr && v->IsBool()) {
      cs->caseSensitive = v->GetBool();
    }
    readConcepts(d, std::string(), *cs);
    return cs;
  }

  // Codes of `cs` that pass every filter of an include/exclude.
  bool applyFilters(const CodeSystemInfo& cs, const JValue& filters, StringSet& out,
                    std::string& error) const {
    std::vector<const CodeConcept*> candidates;
    for (const CodeConcept& c : cs.concepts) candidates.push_back(&c);
    for (const JValue& f : filters.GetArray()) {
      const std::string property = stringMember(f, "property");
      const std::string op = stringMember(f, "op");
      const std::string value = stringMember(f, "value");
      std::vector<const CodeConcept*> kept;
      std::unique_ptr<const core::Regex> re;
      if (op == "regex") {
        std::string why;
        re = core::Regex::compile(value, true, why);
        if (!re) {
          error = "invalid regex in filter: " + value + " (" + why + ")";
          return false;
        }
      }
      for (const CodeConcept* c : candidates) {
        bool keep = false;
        if (op == "is-a" && (property == "concept" || property == "code" || property.empty())) {
          keep = cs.isA(c->code, value);
        } else if (op == "descendent-of") {
          keep = c->code != value && cs.isA(c->code, value);
        } else if (op == "is-not-a") {
          keep = !cs.isA(c->code, value);
        } else if (op == "generalizes") {
          keep = cs.isA(value, c->code);
        } else if (op == "=" || op == "in" || op == "not-in" || op == "regex" || op == "exists") {
          std::string actual;
          bool has = false;
          if (property == "concept" || property == "code") {
            actual = c->code;
            has = true;
          } else if (property == "display") {
            actual = c->display;
            has = true;
          } else if (auto it = c->properties.find(property); it != c->properties.end()) {
            actual = it->second;
            has = true;
          }
          if (op == "=") {
            keep = has && actual == value;
          } else if (op == "exists") {
            keep = has == (value == "true");
          } else if (op == "regex") {
            try {
              keep = has && re->find(actual);
            } catch (const std::exception& ex) {
              error = "regex filter " + value + " on code " + c->code + ": " + ex.what();
              return false;
            }
          } else {
            bool inList = false;
            size_t start = 0;
            while (start <= value.size()) {
              size_t comma = value.find(',', start);
              if (comma == std::string::npos) comma = value.size();
              std::string item = value.substr(start, comma - start);
              while (!item.empty() && item.front() == ' ') item.erase(0, 1);
              while (!item.empty() && item.back() == ' ') item.pop_back();
              if (has && item == actual) inList = true;
              start = comma + 1;
            }
            keep = op == "in" ? inList : !inList;
          }
        } else {
          error = "unsupported filter operation '" + op + "'";
          return false;
        }
        if (keep) kept.push_back(c);
      }
      candidates = std::move(kept);
    }
    for (const CodeConcept* c : candidates) out.insert(c->code);
    return true;
  }

  // Records the display and designations a value set gives a code (a compose concept or an
  // expansion entry).
  static void addDisplays(const JValue& c, const std::string& system, const std::string& code,
                          ValueSetExpansion& target) {
    std::vector<std::string> found;
    if (std::string d = stringMember(c, "display"); !d.empty()) found.push_back(std::move(d));
    eachItem(c, "designation", [&](const JValue& d) {
      if (std::string v = stringMember(d, "value"); !v.empty()) found.push_back(std::move(v));
    });
    if (found.empty()) return;
    auto& list = target.displays[system + "|" + code];
    list.insert(list.end(), found.begin(), found.end());
  }

  // Applies one include or exclude to `target` (or removes from it).
  void applySet(const JValue& item, ValueSetExpansion& target, bool include, int depth) const {
    const std::string system = stringMember(item, "system");
    std::vector<const ValueSetExpansion*> nested;
    eachItem(item, "valueSet", [&](const JValue& v) {
      if (!v.IsString()) return;
      const ValueSetExpansion& e = expandAt(v.GetString(), depth + 1);
      if (!e.found || !e.error.empty()) target.hasUnknownValueSet = true;
      nested.push_back(&e);
    });
    auto inNested = [&](std::string_view sys, std::string_view code) {
      for (const ValueSetExpansion* e : nested) {
        if (!e->contains(sys, code)) return false;
      }
      return true;
    };
    if (system.empty()) {
      // Only value sets: their intersection.
      if (nested.empty()) return;
      for (const auto& [sys, set] : nested.front()->codes) {
        for (const std::string& code : set) {
          if (!inNested(sys, code)) continue;
          if (include) {
            target.codes[sys].insert(code);
          } else if (auto it = target.codes.find(sys); it != target.codes.end()) {
            it->second.erase(code);
          }
        }
      }
      if (include) {
        for (const ValueSetExpansion* e : nested) {
          target.openSystems.insert(e->openSystems.begin(), e->openSystems.end());
          if (e->hasUnknownValueSet) target.hasUnknownValueSet = true;
        }
      }
      return;
    }
    StringSet codes;
    bool open = false;
    const JValue* concepts = core::rj::member(item, "concept");
    const JValue* filters = core::rj::member(item, "filter");
    const CodeSystemInfo* cs = codeSystemFor(system);
    if (concepts != nullptr && concepts->IsArray()) {
      for (const JValue& c : concepts->GetArray()) {
        std::string code = stringMember(c, "code");
        if (code.empty()) continue;
        if (include) addDisplays(c, system, code, target);
        codes.insert(std::move(code));
      }
    } else if (filters != nullptr && filters->IsArray() && filters->Size() > 0) {
      if (cs == nullptr || !cs->complete()) {
        open = true;
      } else if (std::string error; !applyFilters(*cs, *filters, codes, error)) {
        if (include) target.error = error;
        open = true;
      }
    } else if (cs != nullptr && cs->complete()) {
      for (const CodeConcept& c : cs->concepts) codes.insert(c.code);
    } else {
      open = true;
    }
    if (include) {
      if (open) target.openSystems.insert(system);
      StringSet& dest = target.codes[system];
      for (const std::string& code : codes) {
        if (nested.empty() || inNested(system, code)) dest.insert(code);
      }
    } else if (auto it = target.codes.find(system); it != target.codes.end()) {
      if (open && concepts == nullptr) {
        // Excluding a whole (or filtered) system we cannot enumerate: drop nothing we know of.
        return;
      }
      for (const std::string& code : codes) it->second.erase(code);
    }
  }

  std::unique_ptr<ValueSetExpansion> compute(std::string_view url, int depth) const {
    auto out = std::make_unique<ValueSetExpansion>();
    out->url = std::string(url.substr(0, url.find('|')));
    // "canonical#id": a ValueSet contained in the resource with that canonical URL.
    const size_t hash = url.find('#');
    const Context::Located* loc = context.find(url.substr(0, hash));
    if (loc == nullptr || (hash == std::string_view::npos && loc->info->resourceType != "ValueSet"))
      return out;
    auto json = loc->package->json(loc->index);
    if (!json) return out;
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseNumbersAsStringsFlag>(json.value().data(), json.value().size());
    if (doc.HasParseError() || !doc.IsObject()) return out;
    const JValue* vs = &doc;
    if (hash != std::string_view::npos) {
      vs = nullptr;
      eachItem(doc, "contained", [&](const JValue& c) {
        if (vs == nullptr && stringMember(c, "resourceType") == "ValueSet" &&
            stringMember(c, "id") == url.substr(hash + 1)) {
          vs = &c;
        }
      });
      if (vs == nullptr) return out;
    }
    const JValue& d = *vs;
    out->found = true;
    out->version = stringMember(d, "version");
    out->name = stringMember(d, "name");
    if (depth > 16) {
      out->error = "value sets include each other too deeply";
      return out;
    }
    const JValue* compose = core::rj::member(d, "compose");
    if (compose != nullptr && compose->IsObject()) {
      eachItem(*compose, "include",
               [&](const JValue& inc) { applySet(inc, *out, /*include=*/true, depth); });
      eachItem(*compose, "exclude",
               [&](const JValue& exc) { applySet(exc, *out, /*include=*/false, depth); });
      return out;
    }
    const JValue* expansion = core::rj::member(d, "expansion");
    if (expansion != nullptr && expansion->IsObject()) {
      std::vector<const JValue*> todo;
      eachItem(*expansion, "contains", [&](const JValue& c) { todo.push_back(&c); });
      while (!todo.empty()) {
        const JValue* c = todo.back();
        todo.pop_back();
        const std::string code = stringMember(*c, "code");
        if (!code.empty()) {
          out->codes[stringMember(*c, "system")].insert(code);
          addDisplays(*c, stringMember(*c, "system"), code, *out);
        }
        eachItem(*c, "contains", [&](const JValue& n) { todo.push_back(&n); });
      }
      return out;
    }
    out->error = "the value set has neither compose nor expansion";
    return out;
  }

  const CodeSystemInfo* codeSystemFor(std::string_view url) const {
    {
      std::shared_lock lock(mutex);
      auto it = codeSystems.find(url);
      if (it != codeSystems.end()) return it->second.get();
    }
    auto cs = loadCodeSystem(url);
    std::unique_lock lock(mutex);
    auto [it, inserted] = codeSystems.try_emplace(std::string(url), std::move(cs));
    return it->second.get();
  }

  const ValueSetExpansion& expandAt(std::string_view url, int depth) const {
    {
      std::shared_lock lock(mutex);
      auto it = valueSets.find(url);
      if (it != valueSets.end()) return *it->second;
    }
    auto e = compute(url, depth);
    std::unique_lock lock(mutex);
    auto [it, inserted] = valueSets.try_emplace(std::string(url), std::move(e));
    return *it->second;
  }
};

Terminology::Terminology(const Context& context) : impl_(std::make_unique<Impl>(context)) {}
Terminology::~Terminology() = default;

const CodeSystemInfo* Terminology::codeSystem(std::string_view url) const {
  return impl_->codeSystemFor(url);
}

const ValueSetExpansion& Terminology::expand(std::string_view url) const {
  return impl_->expandAt(url, 0);
}

Membership Terminology::member(std::string_view valueSet, std::string_view system,
                               std::string_view code) const {
  const ValueSetExpansion& e = expand(valueSet);
  if (!e.found || !e.error.empty()) return Membership::Unknown;
  if (system.empty()) {
    for (const auto& [sys, set] : e.codes) {
      if (set.find(code) != set.end()) return Membership::In;
    }
    for (const std::string& sys : e.openSystems) {
      if (isGrammarSystem(sys)) {
        if (checkGrammarCode(sys, code)) return Membership::In;
        continue;
      }
      return Membership::Unknown;
    }
    return e.hasUnknownValueSet ? Membership::Unknown : Membership::NotIn;
  }
  if (e.contains(system, code)) return Membership::In;
  if (e.openSystems.find(system) != e.openSystems.end()) {
    if (isGrammarSystem(system)) {
      return checkGrammarCode(system, code) ? Membership::In : Membership::NotIn;
    }
    return Membership::Unknown;
  }
  if (e.hasUnknownValueSet) return Membership::Unknown;
  // A system the value set includes only in part, with the code not among the listed ones.
  return Membership::NotIn;
}

bool Terminology::isGrammarSystem(std::string_view system) {
  return system == "urn:ietf:bcp:13" || system == "urn:ietf:bcp:47";
}

bool Terminology::checkGrammarCode(std::string_view system, std::string_view code) {
  auto token = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("!#$&^_.+-").find(c) != std::string_view::npos;
  };
  if (system == "urn:ietf:bcp:13") {
    // type "/" subtype [; parameters]; FHIR also names its own formats xml, json and ttl.
    if (code == "xml" || code == "json" || code == "ttl") return true;
    const size_t slash = code.find('/');
    if (slash == std::string_view::npos || slash == 0) return false;
    size_t end = code.find(';');
    if (end == std::string_view::npos) end = code.size();
    if (slash + 1 >= end) return false;
    for (size_t i = 0; i < end; ++i) {
      if (i != slash && !token(code[i])) return false;
    }
    return true;
  }
  if (system == "urn:ietf:bcp:47") {
    // language ["-" subtags], each subtag 1-8 alphanumerics
    if (code.empty()) return false;
    size_t start = 0;
    while (start <= code.size()) {
      size_t dash = code.find('-', start);
      if (dash == std::string_view::npos) dash = code.size();
      const size_t len = dash - start;
      if (len == 0 || len > 8) return false;
      for (size_t i = start; i < dash; ++i) {
        if (std::isalnum(static_cast<unsigned char>(code[i])) == 0) return false;
      }
      if (start == 0 && (len < 2 || len > 3) && code.substr(0, 1) != "x" &&
          code.substr(0, 1) != "i") {
        return false;
      }
      start = dash + 1;
    }
    return true;
  }
  return true;
}

}  // namespace trialbridge::conformance
