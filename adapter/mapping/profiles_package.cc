#include "mapping/profiles_package.h"

#include <string>
#include <vector>

#include "core/text.h"
#include "mapping/embedded_data.h"

namespace trialbridge::mapping {

namespace {

class EmbeddedProfiles : public conformance::Package {
 public:
  EmbeddedProfiles() {
    readManifest(embeddedFile(EmbeddedFile::ProfilesManifest));
    core::forEachLine(embeddedFile(EmbeddedFile::Profiles), [&](std::string_view line, uint32_t) {
      conformance::PackageResource r;
      if (!conformance::indexResource(line, r)) return;
      r.file = name_ + "#" + version_ + "/" + r.resourceType + "-" + r.id;
      resources_.push_back(std::move(r));
      lines_.push_back(line);
    });
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
