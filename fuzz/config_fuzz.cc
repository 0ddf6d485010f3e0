// libFuzzer target: the service's configuration reader (service::parseConfig, what
// `trialbridge serve --config FILE` reads; docs/configuration.md), with environment variables over
// the file (core/json_overrides.h).
//
// Input: the configuration text, optionally followed by a line "--env--" and then NAME=VALUE lines
// (each NAME gets the prefix TRIALBRIDGE_ when it lacks it).
//
// Contract checked: no input crashes, hangs, leaks or trips a sanitizer; a configuration is
// returned, or an error message whose every line names the source file or an environment
// variable, never both or neither; an accepted configuration keeps the invariants start-up relies
// on (a backend it knows, a base path that starts with '/', a JWKS file when authentication is on,
// certificate and key when TLS is on, a database for PostgreSQL).
// Seed corpus: fuzz/corpus/config/ (the example configuration, the documented snippets and
// broken variants, and some with variables; fuzz/make_seeds.py).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "core/json_overrides.h"
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
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kMarker = "\n--env--\n";
  const size_t split = input.find(kMarker);
  const std::string_view text = input.substr(0, split);
  std::map<std::string, std::string> vars;
  if (split != std::string_view::npos) {
    std::string_view rest = input.substr(split + kMarker.size());
    while (!rest.empty()) {
      const size_t eol = rest.find('\n');
      const std::string_view line = rest.substr(0, eol);
      rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
      const size_t eq = line.find('=');
      if (eq == std::string_view::npos) continue;
      std::string name(line.substr(0, eq));
      if (name.rfind("TRIALBRIDGE_", 0) != 0) name = "TRIALBRIDGE_" + name;
      vars[name] = std::string(line.substr(eq + 1));
    }
  }
  core::JsonOverrides env("TRIALBRIDGE_", vars);
  auto config = service::parseConfig(text, "fuzz.json", &env);
  if (!config) {
    const std::string& m = config.message();
    size_t start = 0;
    while (start <= m.size()) {
      const size_t end = std::min(m.find('\n', start), m.size());
      const std::string_view line(m.data() + start, end - start);
      if (line.rfind("fuzz.json: ", 0) != 0 &&
          line.rfind("environment variable TRIALBRIDGE_", 0) != 0) {
        fail("an error line names neither the source nor a variable: " + std::string(line), input);
      }
      start = end + 1;
    }
    return 0;
  }
  const service::ServiceConfig& c = config.value();
  if (c.store.backend != "sqlite" && c.store.backend != "postgresql") {
    fail("an unknown backend was accepted", input);
  }
  if (c.api.basePath.empty() || c.api.basePath[0] != '/' || c.api.basePath.back() == '/') {
    fail("a bad base path was accepted", input);
  }
  if (c.authEnabled && c.auth.jwksFile.empty()) fail("auth without a JWKS was accepted", input);
  if (c.http.tls && (c.http.certificateFile.empty() || c.http.privateKeyFile.empty())) {
    fail("TLS without certificate and key was accepted", input);
  }
  if (c.store.backend == "postgresql" && c.store.database == "trialbridge.db") {
    fail("PostgreSQL without a database was accepted", input);
  }
  return 0;
}
