#include "mapping/v2_terminology.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "core/json.h"
#include "core/json_input.h"
#include "core/text.h"
#include "mapping/embedded_data.h"

namespace trialbridge::mapping {

namespace {

using core::Element;

constexpr size_t kMaxSiteFileBytes = 16u * 1024u * 1024u;
constexpr size_t kMaxSiteFiles = 1000;

std::string key(std::string_view target, std::string_view source, std::string_view code) {
  std::string k(target);
  k += '\n';
  k += source;
  k += '\n';
  k += code;
  return k;
}

// The same key in a buffer of the thread's, for lookups (no allocation once it has grown).
std::string_view lookupKey(std::string_view target, std::string_view source,
                           std::string_view code) {
  thread_local std::string k;
  k.assign(target);
  k += '\n';
  k += source;
  k += '\n';
  k += code;
  return k;
}

std::string childValue(const Element& e, std::string_view name) {
  const Element* c = e.child(name);
  return c != nullptr && c->hasValue() ? std::string(c->value()) : std::string();
}

void prefixIssues(core::Issues& from, const std::string& origin, core::Issues& to) {
  for (core::Issue i : from.items()) {
    i.message = origin + ": " + i.message;
    to.add(std::move(i));
  }
}

// Reads an object of strings at `name` into out: its entries are added, or replace those there.
template <typename StringToString>
bool readStringMap(const core::JsonNode& root, std::string_view name, StringToString& out,
                   core::Issues& issues, const std::string& origin) {
  const core::JsonNode section = root.get(name);
  if (!section.exists()) return true;
  if (!section.isObject()) {
    core::Issues local;
    section.input().report(local, section.path(), "must be an object of strings");
    prefixIssues(local, origin, issues);
    return false;
  }
  bool ok = true;
  for (const std::string& k : section.keys()) {
    const core::JsonNode value = section.get(k);
    if (!value.isString()) {
      core::Issues local;
      section.input().report(local, value.path(), "must be a string");
      prefixIssues(local, origin, issues);
      ok = false;
      continue;
    }
    out[k] = value.str();
  }
  return ok;
}

std::optional<std::string> readFile(const std::filesystem::path& path, std::string& error) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    error = path.string() + ": " + ec.message();
    return std::nullopt;
  }
  if (size > kMaxSiteFileBytes) {
    error = path.string() + ": the file is " + std::to_string(size) + " bytes; the limit is " +
            std::to_string(kMaxSiteFileBytes);
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path.string() + ": cannot be read";
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

}  // namespace

bool V2Terminology::readCodingSystems(std::string_view json, const std::string& origin,
                                      core::Issues& issues) {
  core::JsonInput in;
  core::Issues local;
  if (!in.parse(json, local)) {
    prefixIssues(local, origin, issues);
    return false;
  }
  const core::JsonNode root = in.root();
  bool ok = readStringMap(root, "codingSystems", codingSystems_, issues, origin);
  ok &= readStringMap(root, "oids", oids_, issues, origin);
  ok &= readStringMap(root, "universalIdTypes", universalIdTypes_, issues, origin);
  ok &= readStringMap(root, "assigningAuthorities", assigningAuthorities_, issues, origin);
  return ok;
}

bool V2Terminology::readUnits(std::string_view json, const std::string& origin,
                              core::Issues& issues) {
  core::JsonInput in;
  core::Issues local;
  if (!in.parse(json, local)) {
    prefixIssues(local, origin, issues);
    return false;
  }
  const core::JsonNode root = in.root();
  if (!readStringMap(root, "units", units_, issues, origin)) return false;
  unitsFolded_.clear();
  for (const auto& [written, ucum] : units_) unitsFolded_[core::asciiLower(written)] = ucum;
  return true;
}

void V2Terminology::readConceptMap(const Element& map) {
  map.forEachChild("group", [&](const Element& group) {
    const std::string source = childValue(group, "source");
    const std::string target = childValue(group, "target");
    group.forEachChild("element", [&](const Element& element) {
      const std::string code = childValue(element, "code");
      if (code.empty()) return;
      Target t;
      bool found = false;
      element.forEachChild("target", [&](const Element& te) {
        if (found) return;
        const std::string equivalence = childValue(te, "equivalence");
        if (equivalence == "unmatched" || equivalence == "disjoint") {
          t.unmatched = true;
          found = true;
          return;
        }
        t.code = childValue(te, "code");
        t.display = childValue(te, "display");
        found = !t.code.empty();
      });
      if (found) concepts_[key(target, source, code)] = std::move(t);
    });
  });
}

bool V2Terminology::readConceptMaps(std::string_view json, const std::string& origin,
                                    const core::TypeResolver& types, core::Issues& issues) {
  core::Issues local;
  core::ReadOptions options;
  options.maxBytes = kMaxSiteFileBytes;
  std::unique_ptr<core::Document> doc = core::readJson(json, types, local, options);
  const bool failed = doc == nullptr || local.hasErrors();
  prefixIssues(local, origin, issues);
  if (failed) return false;
  const Element& root = *doc->root();
  const std::string_view type = root.type().name;
  if (type == "ConceptMap") {
    readConceptMap(root);
    return true;
  }
  if (type != "Bundle") {
    issues.add(core::Severity::Error, core::IssueType::Invalid,
               origin + ": a " + std::string(type) +
                   "; a mapping file holds a ConceptMap or a Bundle of ConceptMaps",
               std::string(type));
    return false;
  }
  bool ok = true;
  root.forEachChild("entry", [&](const Element& entry) {
    const Element* r = entry.child("resource");
    if (r == nullptr) return;
    if (r->type().name != "ConceptMap") {
      issues.add(core::Severity::Error, core::IssueType::Invalid,
                 origin + ": the Bundle holds a " + std::string(r->type().name) +
                     "; a mapping file holds only ConceptMaps",
                 r->path());
      ok = false;
      return;
    }
    readConceptMap(*r);
  });
  return ok;
}

std::shared_ptr<const V2Terminology> V2Terminology::defaults(const core::TypeResolver& types) {
  // Read once per type resolver (a process has one or two).
  static std::mutex mutex;
  static std::map<const core::TypeResolver*, std::shared_ptr<const V2Terminology>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto& cached = cache[&types];
  if (!cached) cached = readDefaults(types);
  return cached;
}

std::shared_ptr<const V2Terminology> V2Terminology::readDefaults(const core::TypeResolver& types) {
  auto t = std::shared_ptr<V2Terminology>(new V2Terminology());
  core::Issues issues;
  bool ok = t->readCodingSystems(embeddedFile(EmbeddedFile::V2CodingSystems),
                                 "mappings/v2/coding-systems.json", issues);
  ok &= t->readUnits(embeddedFile(EmbeddedFile::V2Units), "mappings/v2/units.json", issues);
  ok &= t->readConceptMaps(embeddedFile(EmbeddedFile::V2ConceptMaps),
                           "mappings/v2/concept-maps.json", types, issues);
  ok &= t->readConceptMaps(embeddedFile(EmbeddedFile::V2LabCodes), "mappings/v2/lab-codes.json",
                           types, issues);
  if (!ok) {
    throw std::logic_error("the embedded v2 mapping data is broken: " +
                           (issues.empty() ? std::string() : issues.items()[0].message));
  }
  return t;
}

std::shared_ptr<const V2Terminology> V2Terminology::withSiteDirectory(
    const std::string& directory, const core::TypeResolver& types, core::Issues& issues) {
  auto base = defaults(types);
  auto t = std::shared_ptr<V2Terminology>(new V2Terminology(*base));
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec)) {
    issues.add(core::Severity::Error, core::IssueType::NotFound,
               directory + ": not a directory of mapping files");
    return nullptr;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(entry.path());
    }
  }
  if (files.size() > kMaxSiteFiles) {
    issues.add(core::Severity::Error, core::IssueType::TooCostly,
               directory + ": more than " + std::to_string(kMaxSiteFiles) + " mapping files");
    return nullptr;
  }
  std::sort(files.begin(), files.end());
  bool ok = true;
  for (const auto& path : files) {
    std::string error;
    const std::optional<std::string> text = readFile(path, error);
    if (!text) {
      issues.add(core::Severity::Error, core::IssueType::Exception, error);
      ok = false;
      continue;
    }
    const std::string name = path.filename().string();
    if (name == "coding-systems.json") {
      ok &= t->readCodingSystems(*text, path.string(), issues);
    } else if (name == "units.json") {
      ok &= t->readUnits(*text, path.string(), issues);
    } else {
      ok &= t->readConceptMaps(*text, path.string(), types, issues);
    }
  }
  if (!ok) return nullptr;
  return t;
}

std::string V2Terminology::systemUri(std::string_view name) const {
  if (name.empty()) return {};
  if (auto it = codingSystems_.find(name); it != codingSystems_.end()) return it->second;
  if (name.size() >= 7 && name.size() <= 8 && name.substr(0, 3) == "HL7" &&
      std::all_of(name.begin() + 3, name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return "http://terminology.hl7.org/CodeSystem/v2-" + std::string(name.substr(3));
  }
  return {};
}

std::string V2Terminology::oidUri(std::string_view oid) const {
  if (auto it = oids_.find(oid); it != oids_.end()) return it->second;
  return "urn:oid:" + std::string(oid);
}

std::string V2Terminology::universalIdTypeSystem(std::string_view type) const {
  auto it = universalIdTypes_.find(type);
  return it == universalIdTypes_.end() ? std::string() : it->second;
}

std::string V2Terminology::assigningAuthority(std::string_view namespaceId) const {
  auto it = assigningAuthorities_.find(namespaceId);
  return it == assigningAuthorities_.end() ? std::string() : it->second;
}

std::string V2Terminology::ucumFor(std::string_view written) const {
  if (auto it = units_.find(written); it != units_.end()) return it->second;
  if (auto it = unitsFolded_.find(core::asciiLower(written)); it != unitsFolded_.end()) {
    return it->second;
  }
  return {};
}

std::optional<V2Terminology::Target> V2Terminology::translate(std::string_view sourceSystem,
                                                              std::string_view code,
                                                              std::string_view targetSystem,
                                                              bool localSource) const {
  if (auto it = concepts_.find(lookupKey(targetSystem, sourceSystem, code));
      it != concepts_.end()) {
    return it->second;
  }
  if (localSource) {
    if (auto it = concepts_.find(lookupKey(targetSystem, "", code)); it != concepts_.end()) {
      return it->second;
    }
  }
  return std::nullopt;
}

}  // namespace trialbridge::mapping
