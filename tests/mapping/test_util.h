#pragma once
// Helpers for the mapping tests: those of the study tests (files of the source tree, the samples
// read, JSON), plus mapping them and looking into the Bundle.
#include <rapidjson/document.h>

#include <memory>
#include <string>
#include <vector>

#include "../study/test_util.h"
#include "conformance/context.h"
#include "conformance/profiles_package.h"
#include "core/json.h"
#include "mapping/trial_mapping.h"

namespace trialbridge::mapping::test {

using study::Entity;
using study::SubjectRecord;
using study::Trial;
using study::test::at;
using study::test::describe;
using study::test::parse;
using study::test::readFile;
using study::test::readSource;
using study::test::sampleEntity;
using study::test::sampleTrial;
using study::test::sourcePath;
using study::test::str;
using study::test::toJson;

// R4 core plus the embedded trialbridge package; built once.
inline const conformance::Context& context() {
  static const std::unique_ptr<conformance::Context> ctx = [] {
    auto c = conformance::Context::withCore();
    c->addPackage(conformance::profilesPackage());
    return c;
  }();
  return *ctx;
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

// The resource of the Bundle entry with this type and id, or nullptr.
inline const rapidjson::Value* resource(const rapidjson::Document& bundle, const std::string& type,
                                        const std::string& id) {
  for (auto& e : bundle["entry"].GetArray()) {
    const rapidjson::Value& r = e["resource"];
    if (r["resourceType"] == type.c_str() && r["id"] == id.c_str()) return &r;
  }
  return nullptr;
}

}  // namespace trialbridge::mapping::test
