// HL7 v2 parse and ORU^R01 -> FHIR mapping rate, against Medplum's Hl7Message.parse in the same
// run (docs/PERFORMANCE.md).
//
// The messages: every message of samples/hl7v2/*.hl7 and the ORU^R01 ELR samples of
// tests/data/hl7v2-elr/, held in memory. Over them, for at least --seconds each, on one thread:
//   parse          hl7v2::parseMessage (delimiters, charset, segments and fields located)
//   parse + map    parseMessage, then mapping::V2Mapper::map: the transaction Bundle in the
//                  element model, as the pipeline receives it (no store)
//   ... + JSON     and the Bundle written as JSON text
// and parse + map on --threads threads. Medplum: bench/v2_bench.mjs runs @medplum/core's
// Hl7Message.parse over the same messages (it splits segments, fields, repetitions and
// components into arrays; no escapes, character sets or validation).
//
// Usage: v2_bench [--seconds S] [--threads N] [--node NODE] [--no-js] [--only map]
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "conformance/context.h"
#include "conformance/profiles_package.h"
#include "core/json.h"
#include "core/text.h"
#include "hl7v2/batch.h"
#include "hl7v2/encoding.h"
#include "hl7v2/message.h"
#include "mapping/oru_mapping.h"

namespace {

namespace core = trialbridge::core;
namespace hl7v2 = trialbridge::hl7v2;
namespace mapping = trialbridge::mapping;
using Clock = std::chrono::steady_clock;

struct Options {
  double seconds = 3;
  unsigned threads = 2;
  std::string node = "node";
  bool js = true;
  std::string only;  // "map": parse + map alone, --seconds rounds, on one thread (for profilers)
};

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

std::vector<std::string> loadMessages() {
  std::vector<std::string> out;
  for (const char* dir : {"samples/hl7v2", "tests/data/hl7v2-elr"}) {
    std::vector<std::filesystem::path> files;
    for (const auto& e :
         std::filesystem::directory_iterator(std::string(TB_SOURCE_ROOT) + "/" + dir)) {
      const std::string name = e.path().filename().string();
      if (e.path().extension() == ".hl7" && name.rfind("invalid", 0) != 0)
        files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      const std::string text = readFile(f);
      core::Issues issues;
      auto batch = hl7v2::readBatch(text, issues);
      for (const auto& part : batch->messages) out.emplace_back(part.text);
    }
  }
  return out;
}

// Messages per second of `work` over all messages, for at least `seconds`, on `threads` threads.
template <typename Work>
double rate(const std::vector<std::string>& messages, double seconds, unsigned threads, Work work) {
  std::atomic<size_t> done{0};
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      size_t n = 0;
      do {
        for (const std::string& m : messages) work(m);
        n += messages.size();
      } while (std::chrono::duration<double>(Clock::now() - start).count() < seconds);
      done += n;
    });
  }
  for (auto& t : pool) t.join();
  return static_cast<double>(done) / std::chrono::duration<double>(Clock::now() - start).count();
}

std::string jsonNumber(const std::string& json, const std::string& key) {
  const size_t k = json.find("\"" + key + "\":");
  if (k == std::string::npos) return "0";
  size_t p = k + key.size() + 3;
  size_t e = json.find_first_of(",}", p);
  std::string v = json.substr(p, e - p);
  if (!v.empty() && v.front() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--seconds")
      o.seconds = std::atof(next().c_str());
    else if (a == "--threads")
      o.threads = static_cast<unsigned>(std::atoi(next().c_str()));
    else if (a == "--node")
      o.node = next();
    else if (a == "--no-js")
      o.js = false;
    else if (a == "--only")
      o.only = next();
    else {
      std::fprintf(stderr, "usage: v2_bench [--seconds S] [--threads N] [--node NODE] [--no-js]\n");
      return 2;
    }
  }
  const std::vector<std::string> messages = loadMessages();
  size_t bytes = 0;
  for (const std::string& m : messages) bytes += m.size();
  auto context = trialbridge::conformance::Context::withCore();
  context->addPackage(trialbridge::conformance::profilesPackage());
  const mapping::V2Mapper mapper(*context);

  // Every message must map: a benchmark of failures would measure nothing.
  size_t resources = 0;
  for (const std::string& m : messages) {
    core::Issues issues;
    auto message = hl7v2::parseMessage(m, issues);
    auto bundle = message ? mapper.map(*message, issues) : nullptr;
    if (!bundle) {
      std::fprintf(stderr, "v2_bench: a message does not map:\n%s\n", m.c_str());
      return 1;
    }
    resources += bundle->root()->childCount("entry");
  }

  const auto parseOnly = [&](const std::string& m) {
    core::Issues issues;
    auto message = hl7v2::parseMessage(m, issues);
    if (!message) std::abort();
  };
  const auto parseMap = [&](const std::string& m) {
    core::Issues issues;
    auto message = hl7v2::parseMessage(m, issues);
    auto bundle = mapper.map(*message, issues);
    if (!bundle) std::abort();
  };
  const auto parseMapJson = [&](const std::string& m) {
    core::Issues issues;
    auto message = hl7v2::parseMessage(m, issues);
    auto bundle = mapper.map(*message, issues);
    if (core::writeJson(*bundle->root()).empty()) std::abort();
  };
  if (o.only == "map") {
    // A fixed number of rounds (--seconds is read as rounds of all messages), for counters.
    const auto start = Clock::now();
    const size_t rounds = static_cast<size_t>(o.seconds);
    for (size_t r = 0; r < rounds; ++r) {
      for (const std::string& m : messages) parseMap(m);
    }
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("parse + map: %zu messages in %.2f s, %.0f messages/s\n", rounds * messages.size(),
                s, static_cast<double>(rounds * messages.size()) / s);
    return 0;
  }
  rate(messages, 0.3, 1, parseMap);  // warm-up
  const double parse = rate(messages, o.seconds, 1, parseOnly);
  const double map1 = rate(messages, o.seconds, 1, parseMap);
  const double json1 = rate(messages, o.seconds, 1, parseMapJson);
  const double mapN = rate(messages, o.seconds, o.threads, parseMap);
  const double mb = static_cast<double>(bytes) / static_cast<double>(messages.size()) / 1e6;

  std::printf("v2 benchmark: %zu ORU^R01 messages, %.1f kB, %zu FHIR resources made\n",
              messages.size(), static_cast<double>(bytes) / 1e3, resources);
  std::printf("%-52s %12s %10s\n", "", "messages/s", "MB/s");
  std::printf("%-52s %12.0f %10.1f\n", "trialbridge parse (hl7v2::parseMessage)", parse,
              parse * mb);
  std::printf("%-52s %12.0f %10.1f\n", "trialbridge parse + map (V2Mapper::map, 1 thread)", map1,
              map1 * mb);
  std::printf("%-52s %12.0f %10.1f\n", "trialbridge parse + map + JSON (1 thread)", json1,
              json1 * mb);
  std::printf("%-52s %12.0f %10.1f\n",
              ("trialbridge parse + map (" + std::to_string(o.threads) + " threads)").c_str(), mapN,
              mapN * mb);
  if (!o.js) return 0;

  const std::string file = "/tmp/tb-v2-bench-" + std::to_string(::getpid()) + ".ndjson";
  {
    std::ofstream out(file, std::ios::binary);
    for (const std::string& m : messages) {
      // JSON text must be UTF-8: an ISO 8859-1 message goes as its characters.
      const bool utf8 = hl7v2::findInvalidUtf8(m) == std::string::npos;
      out << core::jsonString(utf8 ? m : hl7v2::latin1ToUtf8(m)) << "\n";
    }
  }
  const std::string cmd = o.node + " " + std::string(TB_SOURCE_ROOT) + "/bench/v2_bench.mjs " +
                          file + " " + std::to_string(o.seconds);
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  if (p != nullptr) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
  }
  std::filesystem::remove(file);
  if (out.find("perSecond") == std::string::npos) {
    std::printf("Medplum: not run (%s)\n",
                out.empty() ? "no output; npm ci in tests/peers?" : out.c_str());
    return 0;
  }
  const double medplum = std::atof(jsonNumber(out, "perSecond").c_str());
  std::printf("%-52s %12.0f %10.1f\n",
              ("@medplum/core " + jsonNumber(out, "medplum") + " Hl7Message.parse").c_str(),
              medplum, std::atof(jsonNumber(out, "mbPerSecond").c_str()));
  std::printf("  (Medplum refused %s messages a round; %s)\n", jsonNumber(out, "refused").c_str(),
              jsonNumber(out, "node").c_str());
  std::printf("ratio trialbridge parse + map / Medplum parse: %.1fx (parse alone: %.1fx)\n",
              map1 / medplum, parse / medplum);
  return 0;
}
