// libFuzzer target: the service's configuration reader (service::parseConfig, what
// `trialbridge serve --config FILE` reads; docs/configuration.md).
//
// Contract checked: no input crashes, hangs, leaks or trips a sanitizer; a configuration is
// returned, or an error message naming the source, never both or neither; an accepted
// configuration keeps the invariants start-up relies on (a backend it knows, a base path that
// starts with '/', a JWKS file when authentication is on, certificate and key when TLS is on).
// Seed corpus: fuzz/corpus/config/ (the example configuration, the documented snippets and
// broken variants).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "service/service.h"

namespace {

[[noreturn]] void fail(const std::string& what, std::string_view input) {
  std::fprintf(stderr, "config_fuzz: %s\n--- input:\n%.*s\n", what.c_str(),
               static_cast<int>(input.size()), input.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trialbridge;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = service::parseConfig(text, "fuzz.json");
  if (!config) {
    if (config.message().rfind("fuzz.json: ", 0) != 0) {
      fail("the error does not name the source: " + config.message(), text);
    }
    return 0;
  }
  const service::ServiceConfig& c = config.value();
  if (c.store.backend != "sqlite" && c.store.backend != "postgresql") {
    fail("an unknown backend was accepted", text);
  }
  if (c.api.basePath.empty() || c.api.basePath[0] != '/' || c.api.basePath.back() == '/') {
    fail("a bad base path was accepted", text);
  }
  if (c.authEnabled && c.auth.jwksFile.empty()) fail("auth without a JWKS was accepted", text);
  if (c.http.tls && (c.http.certificateFile.empty() || c.http.privateKeyFile.empty())) {
    fail("TLS without certificate and key was accepted", text);
  }
  return 0;
}
