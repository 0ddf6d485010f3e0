// libFuzzer target: the .tgz FHIR package reader (conformance::readTgz).
//
// Contract checked: no input crashes or trips a sanitizer; an input is either refused with an
// error that starts with the file's name, or opens as a package whose every resource's JSON can
// be asked for, each a slice of what was unpacked (so never longer than the entry limit), and
// whose index never holds more resources than the archive has entries.
// Input: a gzip stream (starting 1f 8b) is read as it is; anything else is taken as the tar and
// gzipped first, so that the fuzzer reaches the tar reader without having to find valid deflate.
// Seed corpus: fuzz/corpus/package/ (small packages, a long name, a pax path, a link, an escaping
// path, a bomb; fuzz/make_seeds.py).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "conformance/package.h"
#include "conformance/package_tgz.h"

namespace {

using namespace trialbridge::conformance;

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "package_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const bool gzipped = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  PackageLimits limits;
  limits.maxUnpackedBytes = 1u << 20;
  limits.maxEntryBytes = 64u * 1024u;
  limits.maxEntries = 200;
  auto pkg = readTgz(gzipped ? input : gzipBytes(input), "fuzz.tgz", limits);
  if (!pkg) {
    if (pkg.message().rfind("fuzz.tgz: ", 0) != 0) fail("error without the name", pkg.message());
    return 0;
  }
  const Package& p = *pkg.value();
  if (p.resources().size() > limits.maxEntries) fail("more resources than entries", p.name());
  for (size_t i = 0; i < p.resources().size(); ++i) {
    auto json = p.json(i);
    if (!json) fail("an indexed resource cannot be read", json.message());
    if (json.value().size() > limits.maxEntryBytes) fail("a resource over the limit", p.name());
    if (p.resources()[i].file.rfind("fuzz.tgz#package/", 0) != 0)
      fail("a resource from outside package/", p.resources()[i].file);
  }
  if (p.json(p.resources().size())) fail("a resource past the end", p.name());
  return 0;
}
