#include "conformance/package.h"
#include "conformance/package_tgz.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace trialbridge::conformance {
namespace {

namespace fs = std::filesystem;

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

// A tar entry (ustar header and content padded to 512 bytes); `type` '0' for a file.
std::string tarEntry(const std::string& name, const std::string& content, char type = '0',
                     uint64_t declaredSize = UINT64_MAX) {
  std::string h(512, '\0');
  h.replace(0, std::min<size_t>(name.size(), 100), name.substr(0, 100));
  char size[13];
  snprintf(
      size, sizeof size, "%011llo",
      static_cast<unsigned long long>(declaredSize == UINT64_MAX ? content.size() : declaredSize));
  h.replace(124, 11, size, 11);
  h[156] = type;
  h.replace(257, 5, "ustar");
  std::string padded = content;
  padded.resize((content.size() + 511) / 512 * 512, '\0');
  return h + padded;
}

const std::string kManifest = tarEntry("package/package.json", R"({"name":"x","version":"1"})");
const std::string kValueSet = tarEntry(
    "package/ValueSet-v.json", R"({"resourceType":"ValueSet","id":"v","url":"http://x/v"})");
const std::string kEnd(1024, '\0');

TEST(PackageLimits, ASmallPackageWithinEveryLimitOpens) {
  auto pkg = readTgz(gzipBytes(kManifest + kValueSet + kEnd), "small.tgz");
  ASSERT_TRUE(pkg) << pkg.message();
  ASSERT_EQ(pkg.value()->resources().size(), 1u);
  EXPECT_EQ(pkg.value()->resources()[0].file, "small.tgz#package/ValueSet-v.json");
}

// A decompression bomb: 300 MiB of zeros behind a manifest, about 1.3 MiB of gzip. It is refused
// with the default limits once 256 MiB are unpacked, not after unpacking it all.
TEST(PackageLimits, ADecompressionBombIsRefusedNamingTheFile) {
  std::string tar = kManifest + tarEntry("package/zeros.bin", "", '0', 300ull << 20);
  tar.resize(tar.size() + (300u << 20), '\0');
  const std::string bomb = gzipBytes(tar);
  tar.clear();
  tar.shrink_to_fit();
  EXPECT_LT(bomb.size(), 2u << 20);
  auto pkg = readTgz(bomb, "bomb.tgz");
  ASSERT_FALSE(pkg);
  EXPECT_EQ(pkg.message().rfind("bomb.tgz: unpacks to more than 268435456 bytes", 0), 0u)
      << pkg.message();
  // Just at the limit: accepted.
  const std::string exact = kManifest + kValueSet + kEnd;
  PackageLimits limits;
  limits.maxUnpackedBytes = exact.size();
  EXPECT_TRUE(readTgz(gzipBytes(exact), "exact.tgz", limits));
  limits.maxUnpackedBytes = exact.size() - 1;
  auto over = readTgz(gzipBytes(exact), "over.tgz", limits);
  ASSERT_FALSE(over);
  EXPECT_NE(over.message().find("over.tgz: unpacks to more than"), std::string::npos);
}

TEST(PackageLimits, AnEntryOverItsLimitIsRefused) {
  PackageLimits limits;
  limits.maxEntryBytes = 100;
  const std::string big = tarEntry("package/big.json", std::string(101, ' '));
  auto pkg = readTgz(gzipBytes(kManifest + big + kEnd), "big.tgz", limits);
  ASSERT_FALSE(pkg);
  EXPECT_NE(
      pkg.message().find("big.tgz: entry package/big.json is 101 bytes, over the limit of 100"),
      std::string::npos)
      << pkg.message();
  const std::string fits = tarEntry("package/big.json", std::string(100, ' '));
  EXPECT_TRUE(readTgz(gzipBytes(kManifest + fits + kEnd), "fits.tgz", limits));
  // A size in the header larger than what follows is a truncated archive, not a read past it.
  const std::string lying = tarEntry("package/l.json", "{}", '0', 90);
  auto truncated = readTgz(gzipBytes(kManifest + lying.substr(0, 514)), "lying.tgz", limits);
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.message().find("lying.tgz: truncated tar entry"), std::string::npos);
}

TEST(PackageLimits, TooManyEntriesAreRefused) {
  PackageLimits limits;
  limits.maxEntries = 10;
  std::string tar = kManifest;
  for (int i = 0; i < 9; ++i) tar += tarEntry("package/d" + std::to_string(i), "", '5');
  EXPECT_TRUE(readTgz(gzipBytes(tar + kEnd), "ten.tgz", limits));
  tar += tarEntry("package/d9", "", '5');
  auto pkg = readTgz(gzipBytes(tar + kEnd), "eleven.tgz", limits);
  ASSERT_FALSE(pkg);
  EXPECT_NE(pkg.message().find("eleven.tgz: more than 10 entries"), std::string::npos)
      << pkg.message();
}

TEST(PackageLimits, PathsOutsideThePackageAreRefused) {
  for (const std::string name : {"../evil.json", "package/../../etc/passwd", "/etc/passwd",
                                 "package/..", "package\\..\\..\\x.json"}) {
    auto pkg = readTgz(gzipBytes(kManifest + tarEntry(name, "{}") + kEnd), "escape.tgz");
    ASSERT_FALSE(pkg) << name;
    EXPECT_NE(pkg.message().find("escape.tgz: entry '" + name + "' has a path outside"),
              std::string::npos)
        << pkg.message();
  }
  // The same through a GNU long name, and a symbolic link's own name.
  const std::string longName = tarEntry("././@LongLink", "package/../../x.json", 'L');
  EXPECT_FALSE(readTgz(gzipBytes(kManifest + longName + tarEntry("x", "{}") + kEnd), "l.tgz"));
  EXPECT_FALSE(readTgz(gzipBytes(kManifest + tarEntry("../link", "", '2') + kEnd), "s.tgz"));
  // Dots inside a name are not a step up.
  EXPECT_TRUE(readTgz(gzipBytes(kManifest + tarEntry("package/a..b.json", "{}") + kEnd), "ok.tgz"));
}

TEST(PackageLimits, LimitsApplyToPackagesOpenedFromFiles) {
  const fs::path file = fs::temp_directory_path() / "tb_package_limits.tgz";
  {
    std::ofstream out(file, std::ios::binary);
    out << gzipBytes(kManifest + tarEntry("../x.json", "{}") + kEnd);
  }
  auto pkg = openPackage(file.string());
  ASSERT_FALSE(pkg);
  EXPECT_EQ(pkg.message().rfind(file.string() + ": entry '../x.json'", 0), 0u) << pkg.message();
  fs::remove(file);
}

}  // namespace
}  // namespace trialbridge::conformance
