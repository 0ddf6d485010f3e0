#pragma once
// .tgz FHIR packages read from memory, and the limits that every .tgz package opened (also by
// openPackage() of conformance/package.h) is held to, so that a hostile archive (a decompression
// bomb, a flood of entries, paths that climb out) is refused with an error naming the file
// before it takes the memory or time of the process. docs/validation.md ("Packages: limits").
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "conformance/package.h"
#include "core/result.h"

namespace trialbridge::conformance {

struct PackageLimits {
  uint64_t maxUnpackedBytes = 256u * 1024u * 1024u;  // the whole tar after gunzip
  uint64_t maxEntryBytes = 64u * 1024u * 1024u;      // one file of the archive
  size_t maxEntries = 50000;                         // tar entries of any kind
};

// A .tgz package held in memory; `name` (the file it came from) starts every error message.
// Refused: input that is not gzip, a tar that unpacks beyond limits.maxUnpackedBytes (found
// while unpacking), an entry over limits.maxEntryBytes or running past the end, more than
// limits.maxEntries entries, an entry whose path is absolute or climbs out of the archive ("..")
// and an archive without package/package.json. Links are never followed.
core::Result<std::unique_ptr<Package>> readTgz(const std::string& compressed,
                                               const std::string& name,
                                               const PackageLimits& limits = {});

// `data` compressed as gzip (RFC 1952), as a .tgz holds its tar; for tools and tests that build
// packages.
std::string gzipBytes(std::string_view data);

}  // namespace trialbridge::conformance
