#include "conformance/package.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace trialbridge::conformance {
namespace {

const std::string kData = TB_TEST_DATA;

const PackageResource* findByUrl(const Package& p, const std::string& url) {
  for (const auto& r : p.resources()) {
    if (r.url == url) return &r;
  }
  return nullptr;
}

TEST(Package, EmbeddedCoreIsComplete) {
  auto core = embeddedCorePackage();
  EXPECT_EQ(core->name(), "hl7.fhir.r4.core");
  EXPECT_EQ(core->version(), "4.0.1");
  EXPECT_EQ(core->resources().size(), 4581u);
  const size_t sds =
      std::count_if(core->resources().begin(), core->resources().end(),
                    [](const auto& r) { return r.resourceType == "StructureDefinition"; });
  EXPECT_EQ(sds, 658u);
  const PackageResource* patient =
      findByUrl(*core, "http://hl7.org/fhir/StructureDefinition/Patient");
  ASSERT_NE(patient, nullptr);
  EXPECT_EQ(patient->kind, "resource");
  EXPECT_EQ(patient->type, "Patient");
  const size_t i = static_cast<size_t>(patient - core->resources().data());
  auto json = core->json(i);
  ASSERT_TRUE(json);
  EXPECT_EQ(json.value().rfind("{\"resourceType\":\"StructureDefinition\"", 0), 0u);
  EXPECT_EQ(json.value().back(), '}');
}

TEST(Package, OpensTgzWithManifestAndDependencies) {
  auto pkg = openPackage(kData + "/fhir-packages/hl7.fhir.us.core-3.1.0.tgz");
  ASSERT_TRUE(pkg) << pkg.message();
  EXPECT_EQ(pkg.value()->name(), "hl7.fhir.us.core");
  EXPECT_EQ(pkg.value()->version(), "3.1.0");
  EXPECT_EQ(pkg.value()->canonical(), "http://hl7.org/fhir/us/core");
  EXPECT_EQ(pkg.value()->dependencies(), std::vector<std::string>{"hl7.fhir.r4.core#4.0.1"});
  const PackageResource* p =
      findByUrl(*pkg.value(), "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->type, "Patient");
  EXPECT_GT(pkg.value()->resources().size(), 100u);
}

TEST(Package, OpensFolderAndSingleFile) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("tb_pkg_test_" + std::to_string(::getpid()));
  fs::create_directories(dir / "package");
  std::ofstream(dir / "package" / "package.json")
      << R"({"name":"example.local","version":"0.0.1","canonical":"http://example.org"})";
  std::ofstream(dir / "package" / "ValueSet-a.json")
      << R"({"resourceType":"ValueSet","id":"a","url":"http://example.org/ValueSet/a","version":"1","status":"draft"})";
  std::ofstream(dir / "package" / "notes.json") << "not json";
  auto pkg = openPackage(dir.string());
  ASSERT_TRUE(pkg) << pkg.message();
  EXPECT_EQ(pkg.value()->name(), "example.local");
  ASSERT_EQ(pkg.value()->resources().size(), 1u);
  EXPECT_EQ(pkg.value()->resources()[0].version, "1");
  auto one = openResourceFile((dir / "package" / "ValueSet-a.json").string());
  ASSERT_TRUE(one) << one.message();
  EXPECT_EQ(one.value()->resources()[0].url, "http://example.org/ValueSet/a");
  EXPECT_FALSE(openResourceFile((dir / "package" / "notes.json").string()));
  // XML conformance resources load too (held as JSON).
  const std::string xml = kData + "/conformance/validator/ext-ctxt-defn.xml";
  auto fromXml = openResourceFile(xml);
  ASSERT_TRUE(fromXml) << fromXml.message();
  EXPECT_EQ(fromXml.value()->resources()[0].resourceType, "StructureDefinition");
  EXPECT_FALSE(fromXml.value()->resources()[0].url.empty());
  auto json = fromXml.value()->json(0);
  ASSERT_TRUE(json);
  EXPECT_EQ(json.value().rfind("{\"resourceType\":\"StructureDefinition\"", 0), 0u);
  fs::remove_all(dir);
}

TEST(Package, ErrorsNameThePath) {
  auto missing = openPackage("/nonexistent/pkg.tgz");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.message().find("/nonexistent/pkg.tgz"), std::string::npos);
  const std::string notGzip = kData + "/README.md";
  auto bad = openPackage(notGzip);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find("not a valid gzip file"), std::string::npos) << bad.message();
}

}  // namespace
}  // namespace trialbridge::conformance
