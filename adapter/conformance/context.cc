#include "conformance/context.h"

#include "conformance/type_model.h"
#include "core/string_map.h"

namespace trialbridge::conformance {

using core::StringMap;

namespace {

constexpr std::string_view kCoreSdPrefix = "http://hl7.org/fhir/StructureDefinition/";

}  // namespace

struct Context::Impl {
  mutable std::shared_mutex mutex;
  StringMap<Located> byUrl;                                     // url -> last loaded
  StringMap<Located> byUrlVersion;                              // url|version
  mutable StringMap<std::unique_ptr<StructureDefinition>> sds;  // by url; null = failed
  mutable StringMap<std::unique_ptr<core::TypeInfo>> types;     // by type name
  mutable StringMap<bool> typesTried;
};

Context::Context() : impl_(std::make_unique<Impl>()) {}
Context::~Context() = default;

std::unique_ptr<Context> Context::withCore() {
  auto ctx = std::make_unique<Context>();
  ctx->addPackage(embeddedCorePackage());
  return ctx;
}

const Context& Context::r4() {
  static const std::unique_ptr<Context> instance = withCore();
  return *instance;
}

void Context::addPackage(std::unique_ptr<Package> package) {
  std::unique_lock lock(impl_->mutex);
  const Package* p = package.get();
  for (size_t i = 0; i < p->resources().size(); ++i) {
    const PackageResource& r = p->resources()[i];
    if (r.url.empty()) continue;
    Located loc{p, i, &r};
    impl_->byUrl[r.url] = loc;
    if (!r.version.empty()) impl_->byUrlVersion[r.url + "|" + r.version] = loc;
    impl_->sds.erase(r.url);
  }
  packages_.push_back(std::move(package));
}

core::Status Context::loadPackage(const std::string& path) {
  auto pkg = openPackage(path);
  if (!pkg) return pkg.status();
  addPackage(std::move(pkg.value()));
  return core::Status::ok();
}

core::Status Context::loadResourceFile(const std::string& path) {
  auto pkg = openResourceFile(path);
  if (!pkg) return pkg.status();
  addPackage(std::move(pkg.value()));
  return core::Status::ok();
}

const Context::Located* Context::find(std::string_view canonical) const {
  std::shared_lock lock(impl_->mutex);
  const size_t bar = canonical.find('|');
  if (bar != std::string_view::npos) {
    auto it = impl_->byUrlVersion.find(canonical);
    if (it != impl_->byUrlVersion.end()) return &it->second;
    canonical = canonical.substr(0, bar);  // unknown version: fall back to the url
  }
  auto it = impl_->byUrl.find(canonical);
  return it == impl_->byUrl.end() ? nullptr : &it->second;
}

core::Result<std::string> Context::resourceJson(std::string_view canonical) const {
  const Located* loc = find(canonical);
  if (loc == nullptr) {
    return core::Result<std::string>::error("unknown canonical " + std::string(canonical));
  }
  return loc->package->json(loc->index);
}

const StructureDefinition* Context::structureDefinition(std::string_view nameOrUrl) const {
  std::string url(nameOrUrl);
  if (url.find('/') == std::string::npos && url.find(':') == std::string::npos) {
    url = std::string(kCoreSdPrefix) + url;
  }
  {
    std::shared_lock lock(impl_->mutex);
    auto it = impl_->sds.find(url);
    if (it != impl_->sds.end()) return it->second.get();
  }
  const Located* loc = find(url);
  std::unique_ptr<StructureDefinition> sd;
  if (loc != nullptr && loc->info->resourceType == "StructureDefinition") {
    auto json = loc->package->json(loc->index);
    if (json) {
      auto parsed = parseStructureDefinition(json.value());
      if (parsed) {
        sd = std::make_unique<StructureDefinition>(std::move(parsed.value()));
        sd->file = loc->info->file;
      }
    }
  }
  std::unique_lock lock(impl_->mutex);
  auto [it, inserted] = impl_->sds.try_emplace(std::string(url), std::move(sd));
  return it->second.get();
}

const core::TypeInfo* Context::findType(std::string_view name) const {
  {
    std::shared_lock lock(impl_->mutex);
    auto it = impl_->types.find(name);
    if (it != impl_->types.end()) return it->second.get();
    if (impl_->typesTried.find(name) != impl_->typesTried.end()) return nullptr;
  }
  // A backbone type ("Patient.contact") comes with the type that defines it.
  const std::string_view rootName = name.substr(0, name.find('.'));
  const StructureDefinition* sd = structureDefinition(rootName);
  std::vector<std::unique_ptr<core::TypeInfo>> built;
  if (sd != nullptr && sd->derivation != "constraint" && sd->type == rootName) {
    built = buildTypes(*sd, this);
  }
  std::unique_lock lock(impl_->mutex);
  for (auto& t : built) {
    const std::string key = t->name;
    impl_->types.try_emplace(key, std::move(t));  // another thread may have built it first
  }
  impl_->typesTried.try_emplace(std::string(rootName), true);
  impl_->typesTried.try_emplace(std::string(name), true);
  auto it = impl_->types.find(name);
  return it == impl_->types.end() ? nullptr : it->second.get();
}

}  // namespace trialbridge::conformance
