#include "conformance/profiles_package.h"

#include <string>
#include <vector>

#include "core/text.h"

extern "C" {
extern const char tb_profiles_ndjson_begin[];
extern const char tb_profiles_ndjson_end[];
extern const char tb_profiles_manifest_begin[];
extern const char tb_profiles_manifest_end[];
}

namespace trialbridge::conformance {

namespace {

std::string_view span(const char* begin, const char* end) {
  return {begin, static_cast<size_t>(end - begin)};
}

class EmbeddedProfiles : public Package {
 public:
  EmbeddedProfiles() {
    readManifest(span(tb_profiles_manifest_begin, tb_profiles_manifest_end));
    core::forEachLine(span(tb_profiles_ndjson_begin, tb_profiles_ndjson_end),
                      [&](std::string_view line, uint32_t) {
                        PackageResource r;
                        if (!indexResource(line, r)) return;
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

std::unique_ptr<Package> profilesPackage() { return std::make_unique<EmbeddedProfiles>(); }

}  // namespace trialbridge::conformance
