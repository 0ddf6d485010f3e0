#include "mapping/profiles_package.h"

#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "mapping/embedded_data.h"

namespace trialbridge::mapping {

namespace {

std::string member(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return {};
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString())
                                                     : std::string();
}

class EmbeddedProfiles : public conformance::Package {
 public:
  EmbeddedProfiles() {
    const std::string_view manifest = embeddedFile(EmbeddedFile::ProfilesManifest);
    rapidjson::Document m;
    m.Parse(manifest.data(), manifest.size());
    name_ = member(m, "name");
    version_ = member(m, "version");
    canonical_ = member(m, "canonical");
    if (m.IsObject() && m.HasMember("dependencies") && m["dependencies"].IsObject()) {
      for (auto& d : m["dependencies"].GetObject()) {
        if (d.value.IsString())
          dependencies_.push_back(std::string(d.name.GetString()) + "#" + d.value.GetString());
      }
    }
    const std::string_view data = embeddedFile(EmbeddedFile::Profiles);
    size_t pos = 0;
    while (pos < data.size()) {
      size_t eol = data.find('\n', pos);
      if (eol == std::string_view::npos) eol = data.size();
      const std::string_view line = data.substr(pos, eol - pos);
      if (!line.empty()) {
        rapidjson::Document d;
        d.Parse(line.data(), line.size());
        conformance::PackageResource r;
        r.resourceType = member(d, "resourceType");
        r.id = member(d, "id");
        r.url = member(d, "url");
        r.version = member(d, "version");
        if (r.resourceType == "StructureDefinition") {
          r.kind = member(d, "kind");
          r.type = member(d, "type");
        }
        r.file = name_ + "#" + version_ + "/" + r.resourceType + "-" + r.id;
        resources_.push_back(std::move(r));
        lines_.push_back(line);
      }
      pos = eol + 1;
    }
  }

  core::Result<std::string> json(size_t i) const override {
    if (i >= lines_.size()) return core::Result<std::string>::error("no such resource");
    return std::string(lines_[i]);
  }

 private:
  std::vector<std::string_view> lines_;
};

}  // namespace

std::unique_ptr<conformance::Package> profilesPackage() {
  return std::make_unique<EmbeddedProfiles>();
}

}  // namespace trialbridge::mapping
