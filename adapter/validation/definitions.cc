#include "validation/definitions.h"

#include <rapidjson/document.h>

#include <atomic>
#include <unordered_map>

namespace trialbridge::validation {

namespace {

uint64_t nextId() {
  static std::atomic<uint64_t> counter{0};
  return ++counter;
}

// ImplementationGuide.global of the guides in the loaded packages.
std::vector<std::pair<std::string, std::string>> readGlobalProfiles(const conformance::Context& c) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& pkg : c.packages()) {
    for (size_t i = 0; i < pkg->resources().size(); ++i) {
      if (pkg->resources()[i].resourceType != "ImplementationGuide") continue;
      auto json = pkg->json(i);
      if (!json) continue;
      rapidjson::Document d;
      d.Parse(json.value().data(), json.value().size());
      if (d.HasParseError() || !d.IsObject() || !d.HasMember("global") || !d["global"].IsArray()) {
        continue;
      }
      for (const auto& g : d["global"].GetArray()) {
        if (g.IsObject() && g.HasMember("type") && g["type"].IsString() && g.HasMember("profile") &&
            g["profile"].IsString()) {
          out.emplace_back(g["type"].GetString(), g["profile"].GetString());
        }
      }
    }
  }
  return out;
}

}  // namespace

Definitions::Definitions(const conformance::Context& context, bool compileInvariants)
    : context_(context),
      id_(nextId()),
      snapshots_(context),
      terminology_(context),
      models_(context, snapshots_, compileInvariants),
      globalProfiles_(readGlobalProfiles(context)) {}

const StructureModel* Definitions::typeModel(const core::TypeInfo& type) const {
  struct Cache {
    uint64_t owner = 0;
    std::unordered_map<const core::TypeInfo*, const StructureModel*> byType;
  };
  thread_local Cache cache;
  if (cache.owner != id_) {
    cache.byType.clear();
    cache.owner = id_;
  }
  auto [it, inserted] = cache.byType.try_emplace(&type, nullptr);
  if (inserted) it->second = models_.get(type.name);
  return it->second;
}

}  // namespace trialbridge::validation
