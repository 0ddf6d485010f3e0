#include "validation/resource_files.h"

#include <memory>

#include "conformance/package.h"
#include "core/json.h"
#include "core/resource_io.h"
#include "validation/check_util.h"

namespace trialbridge::validation {

namespace {

// A package of resources held as JSON text in memory.
class TextPackage : public conformance::Package {
 public:
  explicit TextPackage(std::string name) { name_ = std::move(name); }
  core::Result<std::string> json(size_t i) const override {
    if (i >= texts_.size()) return core::Result<std::string>::error("no such resource");
    return texts_[i];
  }
  void add(conformance::PackageResource r, std::string json) {
    resources_.push_back(std::move(r));
    texts_.push_back(std::move(json));
  }
  bool empty() const { return texts_.empty(); }

 private:
  std::vector<std::string> texts_;
};

core::Status addText(const conformance::Context& context, TextPackage& pkg, const std::string& file,
                     const std::string& text) {
  core::Issues issues;
  auto doc = core::readResource(text, context, issues);
  if (doc == nullptr || doc->root() == nullptr) {
    std::string why = issues.empty() ? "not a FHIR resource" : issues.items().front().message;
    return core::Status::error(file + ": " + why);
  }
  const core::Element& root = *doc->root();
  auto add = [&](const core::Element& r) {
    conformance::PackageResource info;
    info.resourceType = std::string(r.type().name);
    info.id = std::string(childValue(r, "id"));
    info.url = std::string(childValue(r, "url"));
    info.version = std::string(childValue(r, "version"));
    if (info.resourceType == "StructureDefinition") {
      info.kind = std::string(childValue(r, "kind"));
      info.type = std::string(childValue(r, "type"));
    }
    info.file = file;
    pkg.add(std::move(info), core::writeJson(r));
  };
  if (root.type().name == "Bundle") {
    root.forEachChild("entry", [&](const core::Element& entry) {
      if (const core::Element* r = entry.child("resource")) add(*r);
    });
  } else {
    add(root);
  }
  return core::Status::ok();
}

}  // namespace

core::Status loadResourceTexts(conformance::Context& context, const std::string& name,
                               const std::vector<std::pair<std::string, std::string>>& files) {
  auto pkg = std::make_unique<TextPackage>(name);
  for (const auto& [file, text] : files) {
    if (auto st = addText(context, *pkg, file, text); !st) return st;
  }
  context.addPackage(std::move(pkg));
  return core::Status::ok();
}

core::Status loadResourceFile(conformance::Context& context, const std::string& path) {
  // Reading (JSON, or XML held as JSON) is the conformance layer's; a Bundle is split here into
  // the resources of its entries.
  auto pkg = conformance::openResourceFile(path);
  if (!pkg) return pkg.status();
  if (pkg.value()->resources().front().resourceType != "Bundle") {
    context.addPackage(std::move(pkg).value());
    return core::Status::ok();
  }
  auto json = pkg.value()->json(0);
  if (!json) return json.status();
  return loadResourceTexts(context, path, {{path, std::move(json).value()}});
}

}  // namespace trialbridge::validation
