// libFuzzer target: what the registry publisher reads from a registry server (service/
// publish_json.h, registry_client.h): answers as JSON (a record, a search Bundle, an
// OperationOutcome), Retry-After values and ETags. A registry is a peer on the network: its
// answers are untrusted input.
//
// Contract checked: no input crashes, hangs, leaks or trips a sanitizer; JSON that parses has a
// canonical form that reads back as itself (so that a hash of it is stable), no differences
// from itself, and references that can be rewritten; a Retry-After is never negative; an ETag's
// version is a part of it.
// Seed corpus: fuzz/corpus/registry_reply/ (fuzz/make_seeds.py).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "service/publish_json.h"
#include "service/registry_client.h"

namespace {

[[noreturn]] void fail(const std::string& what, std::string_view input) {
  std::fprintf(stderr, "registry_reply_fuzz: %s\n--- input:\n%.*s\n", what.c_str(),
               static_cast<int>(input.size()), input.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trialbridge::service;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto delay = parseRetryAfter(text, 1767225600000); delay && *delay < 0) {
    fail("a negative Retry-After", text);
  }
  if (etagVersion(text).size() > text.size()) fail("an ETag version longer than the ETag", text);
  std::string error;
  std::optional<JsonTree> tree = parseJsonTree(text, error);
  if (!tree) {
    if (error.empty()) fail("refused without a reason", text);
    return 0;
  }
  const std::string canonical = writeJsonTree(*tree, true);
  std::optional<JsonTree> again = parseJsonTree(canonical, error);
  if (!again) fail("the canonical form does not read: " + error, text);
  if (writeJsonTree(*again, true) != canonical) fail("the canonical form is not stable", text);
  if (!diffJson(*tree, *again).empty()) fail("a value differs from its canonical form", text);
  if (sha256Hex(canonicalContent(*tree)) != sha256Hex(canonicalContent(*again))) {
    fail("the content hash is not stable", text);
  }
  forEachReference(*tree, [](std::string& ref) { ref = "Organization/x"; });
  if (!parseJsonTree(writeJsonTree(*tree), error)) fail("rewritten JSON does not read", text);
  return 0;
}
