// libFuzzer target: batch and transaction Bundles posted to the REST API (service::FhirApi,
// POST /fhir: fhir_bundle.cc's entry parsing, URL splitting, conditional references and
// operations, urn:uuid rewriting, and the search and write paths each entry takes), over a
// SQLite store in a temporary folder. No validator is attached, so writes are only parsed: the
// validator has its own target.
//
// The store is replaced every kInputsPerStore inputs (and its folder removed), so that it stays
// small and what an input does depends on few earlier ones.
//
// Contract checked: no input crashes, hangs, leaks or trips a sanitizer; every answer has a
// status the API documents (docs/rest.md), never 500 (the database does not fail here), and a
// body.
// Seed corpus: fuzz/corpus/bundle/ (transactions and batches as the REST tests and `trialbridge
// map` send them, and broken variants).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "service/fhir_api.h"
#include "store/store.h"

namespace {

using namespace trialbridge;

constexpr size_t kInputsPerStore = 500;

[[noreturn]] void fail(const std::string& what, std::string_view input) {
  std::fprintf(stderr, "bundle_fuzz: %s\n--- input:\n%.*s\n", what.c_str(),
               static_cast<int>(input.size()), input.data());
  std::abort();
}

class Server {
 public:
  Server() : dir_("/tmp/bundle_fuzz." + std::to_string(getpid())) { open(); }
  ~Server() { close(); }

  const service::FhirApi& api() {
    if (++inputs_ % kInputsPerStore == 0) {
      close();
      open();
    }
    return *api_;
  }

 private:
  void open() {
    std::filesystem::create_directories(dir_);
    store::StoreOptions options;
    options.database = dir_ + "/fuzz.db";
    auto opened = store::openStore(options);
    if (!opened) fail("cannot open the store: " + opened.message(), "");
    store_ = std::move(opened.value());
    service::ApiOptions api;
    api.publicBase = "http://fuzz.local/fhir";
    api.maxBundleEntries = 100;
    api.maxBodyBytes = 1u << 20;
    api.validateWrites = false;
    api_ = std::make_unique<service::FhirApi>(*store_, nullptr, nullptr, api);
  }
  void close() {
    api_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  size_t inputs_ = 0;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<service::FhirApi> api_;
};

bool documented(int status) {
  switch (status) {
    case 200:
    case 201:
    case 204:
    case 304:
    case 400:
    case 403:
    case 404:
    case 405:
    case 409:
    case 410:
    case 412:
    case 413:
    case 415:
    case 422: return true;
    default: return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Server server;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  service::HttpRequest request;
  request.method = "POST";
  request.path = "/fhir";
  request.headers = {{"content-type", "application/fhir+json"},
                     {"host", "fuzz.local"},
                     {"prefer", "return=representation"}};
  request.body = std::string(body);
  request.remoteAddress = "fuzz";
  service::HttpResponse response;
  server.api().handle(request, response);
  if (!documented(response.status)) {
    fail("status " + std::to_string(response.status) + ": " + response.body, body);
  }
  if (response.body.empty()) fail("an answer without a body", body);
  return 0;
}
