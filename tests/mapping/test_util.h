#pragma once
// Helpers for the mapping tests: files of the source tree, mapping them, and looking into the
// Bundle's JSON.
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/context.h"
#include "core/json.h"
#include "mapping/entity_reader.h"
#include "mapping/profiles_package.h"
#include "mapping/trial_mapping.h"
#include "mapping/trial_reader.h"

namespace trialbridge::mapping::test {

inline std::string sourcePath(const std::string& relative) {
  return std::string(TB_SOURCE_ROOT) + "/" + relative;
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

inline std::string readSource(const std::string& relative) {
  return readFile(sourcePath(relative));
}

// R4 core plus the embedded trialbridge package; built once.
inline const conformance::Context& context() {
  static const std::unique_ptr<conformance::Context> ctx = [] {
    auto c = conformance::Context::withCore();
    c->addPackage(profilesPackage());
    return c;
  }();
  return *ctx;
}

inline std::string describe(const core::Issues& issues) {
  std::string out;
  for (const core::Issue& i : issues.items()) {
    out += std::to_string(i.line) + ":" + std::to_string(i.column) + ": " +
           std::string(core::severityCode(i.severity)) + ": " + i.location + ": " + i.message +
           "\n";
  }
  return out;
}

inline Trial sampleTrial(const std::string& file = "samples/trials/NCT06813157.json") {
  core::Issues issues;
  auto t = readTrial(readSource(file), issues);
  if (!t) throw std::runtime_error("sample trial does not read: " + file + "\n" + describe(issues));
  return *t;
}

inline Entity sampleEntity(const Trial& trial, const std::string& file) {
  core::Issues issues;
  auto e = readEntity(readSource(file), trial, issues);
  if (!e)
    throw std::runtime_error("sample entity does not read: " + file + "\n" + describe(issues));
  e->file = file;
  return *e;
}

inline Pseudonymizer demoPseudonymizer() {
  return Pseudonymizer::fromFile(sourcePath("samples/entities/demo.secret")).value();
}

// Maps and returns the Bundle as JSON text (pretty).
inline std::string mapToJson(const Trial& trial, const std::vector<Entity>& entities) {
  MapOptions options;
  options.pseudonymizer = demoPseudonymizer();
  auto doc = mapTrial(trial, entities, options, context());
  if (!doc) throw std::runtime_error(doc.message());
  return core::writeJson(*doc.value()->root(), core::WriteOptions{true});
}

inline rapidjson::Document parse(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str());
  return d;
}

// The resource of the Bundle entry with this type and id, or nullptr.
inline const rapidjson::Value* resource(const rapidjson::Document& bundle, const std::string& type,
                                        const std::string& id) {
  for (auto& e : bundle["entry"].GetArray()) {
    const rapidjson::Value& r = e["resource"];
    if (r["resourceType"] == type.c_str() && r["id"] == id.c_str()) return &r;
  }
  return nullptr;
}

inline const rapidjson::Value* at(const rapidjson::Value& v, const char* pointer) {
  return rapidjson::Pointer(pointer).Get(v);
}

inline std::string str(const rapidjson::Value* v) {
  return v != nullptr && v->IsString() ? std::string(v->GetString()) : std::string("<missing>");
}

inline std::string toJson(const rapidjson::Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return sb.GetString();
}

}  // namespace trialbridge::mapping::test
