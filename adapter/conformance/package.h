#pragma once
// FHIR packages in the NPM package format: a .tgz, or a folder holding package/package.json,
// and the R4 core pack embedded in the binary (fhir-profiles/r4-core, made by
// tools/gen_core_pack.py). A package is indexed when opened (type, id, canonical URL, version of
// each resource) and each resource's JSON is parsed only when asked for.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace trialbridge::conformance {

struct PackageResource {
  std::string resourceType;
  std::string id;
  std::string url;
  std::string version;
  std::string kind;  // StructureDefinition.kind
  std::string type;  // StructureDefinition.type
  std::string file;  // where it came from, for messages
};

class Package {
 public:
  virtual ~Package() = default;
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  const std::string& canonical() const { return canonical_; }
  const std::vector<std::string>& dependencies() const { return dependencies_; }
  const std::vector<PackageResource>& resources() const { return resources_; }
  // The JSON text of resources()[i].
  virtual core::Result<std::string> json(size_t i) const = 0;

 protected:
  // Sets name, version, canonical and dependencies from package.json text; false when the text
  // is not a JSON object (nothing is set then).
  bool readManifest(std::string_view text);

  std::string name_;
  std::string version_;
  std::string canonical_;
  std::vector<std::string> dependencies_;  // "name#version"
  std::vector<PackageResource> resources_;
};

// The index entry (type, id, url, version; kind and type of a StructureDefinition) of a
// resource's JSON text; false when the text is not a FHIR resource.
bool indexResource(std::string_view json, PackageResource& out);

// Opens a .tgz package, a folder with package/package.json (or a folder that is the package/
// directory itself), or a folder of loose conformance resource files.
core::Result<std::unique_ptr<Package>> openPackage(const std::string& path);
// A package made of one resource file (StructureDefinition, ValueSet, CodeSystem...) in JSON or
// XML; an XML file is read with the R4 model and held as JSON.
core::Result<std::unique_ptr<Package>> openResourceFile(const std::string& path);
// The hl7.fhir.r4.core 4.0.1 definitions carried in the binary.
std::unique_ptr<Package> embeddedCorePackage();

}  // namespace trialbridge::conformance
