// libFuzzer target: batch and transaction Bundles given to the pipeline (pipeline::apply:
// entry parsing, url splitting, conditions, conditional references, urn:uuid rewriting, the
// store units, idempotency keys), over a SQLite store in a temporary folder. No validator is
// attached, so resources are only read: the validator has its own target.
//
// The store is replaced every kInputsPerStore inputs (and its folder removed), so that it stays
// small and what an input does depends on few earlier ones. Every other input carries an
// idempotency key taken from its first bytes, so that replays and key conflicts are exercised.
//
// Contract checked: no input crashes, hangs, leaks or trips a sanitizer; the result is never
// Internal or Unavailable (the database does not fail here); a result that failed has issues;
// a transaction that failed reports no entry as written.
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

#include "core/json.h"
#include "pipeline/pipeline.h"
#include "store/store.h"

namespace {

using namespace trialbridge;

constexpr size_t kInputsPerStore = 500;

[[noreturn]] void fail(const std::string& what, std::string_view input) {
  std::fprintf(stderr, "bundle_fuzz: %s\n--- input:\n%.*s\n", what.c_str(),
               static_cast<int>(input.size()), input.data());
  std::abort();
}

class Harness {
 public:
  Harness() : dir_("/tmp/bundle_fuzz." + std::to_string(getpid())) { open(); }
  ~Harness() { close(); }

  const pipeline::Pipeline& pipeline() {
    if (++inputs_ % kInputsPerStore == 0) {
      close();
      open();
    }
    return *pipeline_;
  }
  size_t inputs() const { return inputs_; }
  const core::TypeResolver& types() const { return store_->types(); }

 private:
  void open() {
    std::filesystem::create_directories(dir_);
    store::StoreOptions options;
    options.database = dir_ + "/fuzz.db";
    options.outboxTopics = {{"ResearchStudy", {"registry"}}};
    auto opened = store::openStore(options);
    if (!opened) fail("cannot open the store: " + opened.message(), "");
    store_ = std::move(opened.value());
    pipeline::Config config;
    config.maxBundleEntries = 100;
    pipeline_ = std::make_unique<pipeline::Pipeline>(*store_, nullptr, config);
  }
  void close() {
    pipeline_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  size_t inputs_ = 0;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<pipeline::Pipeline> pipeline_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Harness harness;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const pipeline::Pipeline& p = harness.pipeline();
  core::Issues issues;
  core::ReadOptions ro;
  ro.maxBytes = 1u << 20;
  auto doc = core::readJson(body, harness.types(), issues, ro);
  if (doc == nullptr) return 0;
  pipeline::Options options;
  options.baseUrl = "http://fuzz.local/fhir";
  options.actor = {"fuzz", "local"};
  options.validation = pipeline::ValidationPolicy::None;
  if (harness.inputs() % 2 == 0) options.idempotencyKey = std::string(body.substr(0, 8));
  const bool transaction = doc->root() != nullptr && doc->root()->child("type") != nullptr &&
                           doc->root()->child("type")->value() == "transaction";
  const pipeline::Result r =
      p.apply(pipeline::Change::bundle(std::move(doc), std::move(issues)), options);
  if (r.status == pipeline::Status::Internal || r.status == pipeline::Status::Unavailable) {
    fail(std::string("status ") + std::string(pipeline::statusName(r.status)), body);
  }
  if (!r.ok() && r.issues.empty()) fail("a failure without issues", body);
  for (const auto& e : r.entries) {
    if (e.status == pipeline::Status::Internal) fail("an entry failed inside", body);
    if (transaction && !r.ok() && e.outcome != pipeline::Outcome::None) {
      fail("a failed transaction reports an entry as done", body);
    }
  }
  return 0;
}
