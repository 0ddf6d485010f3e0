// JSON parse rate over the official R4 examples package, in one run:
//   BM_RapidJsonParse   RapidJSON's bare DOM parse (kParseNumbersAsStringsFlag), the floor;
//   BM_ReadJson         core::readJson into the element model with the R4 core context (warm);
//   BM_WriteJson        core::writeJson of the models read above.
// Every iteration goes over all resources; bytes/s and resources/s are reported per benchmark.
//
// Usage: json_parse_bench [PACKAGE.tgz] [--benchmark_* options]
//   PACKAGE defaults to tests/data/fhir-packages/hl7.fhir.r4.examples-4.0.1.tgz.
//   For figures: --benchmark_min_time=2 --benchmark_repetitions=3 (docs/PERFORMANCE.md);
//   deploy/test.sh runs it once with --benchmark_min_time=0 as a smoke test.
#include <benchmark/benchmark.h>
#include <rapidjson/document.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "conformance/context.h"
#include "conformance/package.h"
#include "core/json.h"

namespace {

namespace core = trialbridge::core;
namespace conformance = trialbridge::conformance;

struct Corpus {
  std::vector<std::string> texts;
  size_t bytes = 0;
};

Corpus& corpus() {
  static Corpus c;
  return c;
}

void setCounters(benchmark::State& state) {
  const Corpus& c = corpus();
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(c.bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(c.texts.size()));
  state.counters["resources"] = benchmark::Counter(static_cast<double>(c.texts.size()),
                                                   benchmark::Counter::kIsIterationInvariantRate);
  state.counters["MB"] = benchmark::Counter(static_cast<double>(c.bytes) / 1e6,
                                            benchmark::Counter::kIsIterationInvariantRate);
}

void BM_RapidJsonParse(benchmark::State& state) {
  for (auto _ : state) {
    for (const std::string& text : corpus().texts) {
      rapidjson::Document document;
      document.Parse<rapidjson::kParseNumbersAsStringsFlag>(text.data(), text.size());
      benchmark::DoNotOptimize(document.HasParseError());
    }
  }
  setCounters(state);
}

void BM_ReadJson(benchmark::State& state) {
  const conformance::Context& context = conformance::Context::r4();
  for (auto _ : state) {
    for (const std::string& text : corpus().texts) {
      core::Issues issues;
      auto document = core::readJson(text, context, issues);
      benchmark::DoNotOptimize(document.get());
    }
  }
  setCounters(state);
}

void BM_WriteJson(benchmark::State& state) {
  const conformance::Context& context = conformance::Context::r4();
  std::vector<std::unique_ptr<core::Document>> documents;
  documents.reserve(corpus().texts.size());
  for (const std::string& text : corpus().texts) {
    core::Issues issues;
    if (auto document = core::readJson(text, context, issues)) {
      documents.push_back(std::move(document));
    }
  }
  for (auto _ : state) {
    for (const auto& document : documents) {
      std::string out = core::writeJson(*document->root());
      benchmark::DoNotOptimize(out.data());
    }
  }
  setCounters(state);
}

bool loadCorpus(const std::string& path) {
  auto package = conformance::openPackage(path);
  if (!package) {
    std::fprintf(stderr, "json_parse_bench: cannot open %s: %s\n", path.c_str(),
                 package.message().c_str());
    return false;
  }
  Corpus& c = corpus();
  const size_t count = (*package)->resources().size();
  c.texts.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    auto text = (*package)->json(i);
    if (!text) continue;
    c.bytes += text->size();
    c.texts.push_back(std::move(*text));
  }
  if (c.texts.empty()) {
    std::fprintf(stderr, "json_parse_bench: no JSON resources in %s\n", path.c_str());
    return false;
  }
  return true;
}

// Builds the R4 type information for every resource type met, outside the timed loops.
void warmUp() {
  const conformance::Context& context = conformance::Context::r4();
  size_t failed = 0;
  for (const std::string& text : corpus().texts) {
    core::Issues issues;
    if (!core::readJson(text, context, issues)) ++failed;
  }
  if (failed != 0) {
    std::fprintf(stderr, "json_parse_bench: note: %zu resources did not read (counted anyway)\n",
                 failed);
  }
}

}  // namespace

BENCHMARK(BM_RapidJsonParse)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadJson)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WriteJson)->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  std::string path = TB_TEST_DATA "/fhir-packages/hl7.fhir.r4.examples-4.0.1.tgz";
  // A first argument that is not a --benchmark option names the package.
  if (argc > 1 && std::strncmp(argv[1], "--", 2) != 0) {
    path = argv[1];
    for (int i = 1; i + 1 < argc; ++i) argv[i] = argv[i + 1];
    --argc;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  if (!loadCorpus(path)) return 1;
  benchmark::AddCustomContext("package", path);
  benchmark::AddCustomContext("resources", std::to_string(corpus().texts.size()));
  benchmark::AddCustomContext("bytes", std::to_string(corpus().bytes));
  warmUp();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
