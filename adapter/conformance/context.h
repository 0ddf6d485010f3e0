#pragma once
// The loaded conformance resources: the R4 core, implementation guides and the project's
// profiles. Resolves resources by canonical URL (optionally "url|version"), and builds the
// element model's TypeInfo from StructureDefinitions on first use. Thread-safe.
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "conformance/package.h"
#include "conformance/structure_definition.h"
#include "core/result.h"
#include "core/type_info.h"

namespace trialbridge::conformance {

class Context : public core::TypeResolver {
 public:
  Context();
  ~Context() override;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // A context with the embedded R4 core loaded.
  static std::unique_ptr<Context> withCore();
  // A process-wide context with the R4 core only, built on first use.
  static const Context& r4();

  void addPackage(std::unique_ptr<Package> package);
  core::Status loadPackage(const std::string& path);
  core::Status loadResourceFile(const std::string& path);
  const std::vector<std::unique_ptr<Package>>& packages() const { return packages_; }

  struct Located {
    const Package* package = nullptr;
    size_t index = 0;
    const PackageResource* info = nullptr;
  };
  // By canonical URL, "url|version" or a bare url (latest loaded wins for equal urls).
  const Located* find(std::string_view canonical) const;
  // The JSON text of a resource by canonical URL.
  core::Result<std::string> resourceJson(std::string_view canonical) const;

  // StructureDefinitions, parsed on first use. `nameOrUrl` is a canonical URL or, for core
  // types, the type name ("Patient").
  const StructureDefinition* structureDefinition(std::string_view nameOrUrl) const;

  // core::TypeResolver: types by name ("Patient", "HumanName", "string", "Patient.contact").
  const core::TypeInfo* findType(std::string_view name) const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<std::unique_ptr<Package>> packages_;
};

}  // namespace trialbridge::conformance
