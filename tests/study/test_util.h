#pragma once
// Helpers for the study tests (and, through tests/mapping/test_util.h, the mapping tests): files
// of the source tree, the sample trial and entities read, and looking into JSON.
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "core/issue.h"
#include "study/entity_reader.h"
#include "study/trial_reader.h"

namespace trialbridge::study::test {

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

inline rapidjson::Document parse(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str());
  return d;
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

}  // namespace trialbridge::study::test
