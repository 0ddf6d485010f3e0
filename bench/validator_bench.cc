// Validation rate over the official R4 examples package, against Medplum's validateResource in
// the same run.
//
// trialbridge: every resource of the package, held in memory as JSON text, is read into the
// element model and validated (structure, terminology, invariants, profiles in meta.profile) by
// one Validator shared by all threads, over and over for at least --seconds, on 1 thread and on
// --threads threads. Start-up is the time to build the R4 context, a Validator, and validate one
// small Patient in a fresh process (this one, before anything else is loaded); peak memory is
// the process's maximum resident set size after the runs.
// Medplum: bench/validator_bench.mjs does the same with @medplum/core's validateResource
// (tests/peers, `npm ci` there), given the StructureDefinitions of the same R4 core package.
//
// --passes N instead validates every resource N times on one thread after the warm-up and gives
// the CPU time a pass takes (no timed runs, no Medplum): on a machine that other jobs load, CPU
// time varies less than throughput, so two builds compare better by it.
//
// --bundle-mb N instead makes one Bundle (type collection) of about N MB out of the examples
// (each example that is not itself a Bundle, as an entry with a urn:uuid fullUrl, over and over),
// validates it once on one thread, and gives the time, the time per entry, the resident memory
// before and the peak while validating: a large Bundle must take time linear in its entries and
// memory proportional to its size.
//
// Usage: validator_bench [--package PATH.tgz] [--seconds S] [--threads N] [--node NODE]
//                        [--no-js] [--limit N] [--passes N] [--bundle-mb N]
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "conformance/context.h"
#include "conformance/package.h"
#include "validation/validator.h"

namespace {

namespace core = trialbridge::core;
namespace conformance = trialbridge::conformance;
namespace validation = trialbridge::validation;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string package = std::string(TB_TEST_DATA) + "/fhir-packages/hl7.fhir.r4.examples-4.0.1.tgz";
  double seconds = 3;
  unsigned threads = 2;
  std::string node = "node";
  bool js = true;
  size_t limit = 0;
  unsigned passes = 0;
  double bundleMb = 0;
};

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// CPU time of the calling thread, user and system.
double threadCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_THREAD, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double peakRssMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

// A field of /proc/self/status in MiB ("VmRSS", "VmHWM"), 0 where there is none.
double statusMiB(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atof(line.c_str() + field.size() + 1) / 1024;
  }
  return 0;
}

// Resources per second over `texts` on `threads` threads for at least `seconds`.
double rate(const validation::Validator& v, const std::vector<std::string>& texts, unsigned threads,
            double seconds) {
  std::atomic<size_t> done{0};
  const auto start = Clock::now();
  auto worker = [&](unsigned t) {
    size_t k = t * texts.size() / std::max(1u, threads);  // threads start at different places
    while (true) {
      const std::string& text = texts[k % texts.size()];
      core::Issues issues;
      v.validateText(text, issues);
      ++done;
      ++k;
      if (k % 64 == 0 && std::chrono::duration<double>(Clock::now() - start).count() >= seconds) {
        break;
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker, t);
  worker(0);
  for (auto& t : pool) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(done.load()) / elapsed;
}

// One Bundle of about `mb` MB made of the examples that are not Bundles, as entries with
// urn:uuid fullUrls; `entries` is set to their number.
std::string makeBundle(const std::vector<std::string>& texts, double mb, size_t& entries) {
  const size_t target = static_cast<size_t>(mb * 1e6);
  std::string out = R"({"resourceType":"Bundle","type":"collection","entry":[)";
  out.reserve(target + (1u << 20));
  entries = 0;
  char uuid[64];
  while (out.size() < target) {
    for (const std::string& t : texts) {
      if (out.size() >= target) break;
      if (t.find("\"resourceType\":\"Bundle\"") != std::string::npos ||
          t.find("\"resourceType\" : \"Bundle\"") != std::string::npos) {
        continue;
      }
      std::snprintf(uuid, sizeof uuid, "00000000-0000-4000-8000-%012zx", entries);
      out += entries == 0 ? "" : ",";
      out += R"({"fullUrl":"urn:uuid:)";
      out += uuid;
      out += R"(","resource":)";
      out += t;
      out += "}";
      ++entries;
    }
  }
  out += "]}";
  return out;
}

std::string jsonNumber(const std::string& json, const std::string& key) {
  const size_t k = json.find("\"" + key + "\":");
  if (k == std::string::npos) return "?";
  const size_t s = k + key.size() + 3;
  const size_t e = json.find_first_of(",}", s);
  return json.substr(s, e - s);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--package") {
      o.package = next();
    } else if (a == "--seconds") {
      o.seconds = std::atof(next().c_str());
    } else if (a == "--threads") {
      o.threads = static_cast<unsigned>(std::atoi(next().c_str()));
    } else if (a == "--node") {
      o.node = next();
    } else if (a == "--no-js") {
      o.js = false;
    } else if (a == "--limit") {
      o.limit = static_cast<size_t>(std::atol(next().c_str()));
    } else if (a == "--passes") {
      o.passes = static_cast<unsigned>(std::atoi(next().c_str()));
    } else if (a == "--bundle-mb") {
      o.bundleMb = std::atof(next().c_str());
    } else {
      std::cerr << "usage: validator_bench [--package PATH.tgz] [--seconds S] [--threads N] "
                   "[--node NODE] [--no-js] [--limit N] [--passes N] [--bundle-mb N]\n";
      return 2;
    }
  }

  // Start-up: a fresh R4 context and validator, one small resource.
  const auto t0 = Clock::now();
  auto context = conformance::Context::withCore();
  validation::Validator validator(*context);
  {
    core::Issues issues;
    validator.validateText(
        R"({"resourceType":"Patient","id":"example","gender":"female","birthDate":"1990-02-28"})",
        issues);
  }
  const double startupMs = ms(Clock::now() - t0);

  auto pkg = conformance::openPackage(o.package);
  if (!pkg) {
    std::cerr << pkg.message() << "\n";
    return 2;
  }
  std::vector<std::string> texts;
  size_t bytes = 0;
  for (size_t i = 0; i < pkg.value()->resources().size(); ++i) {
    if (o.limit != 0 && texts.size() >= o.limit) break;
    auto json = pkg.value()->json(i);
    if (!json) continue;
    bytes += json.value().size();
    texts.push_back(std::move(json.value()));
  }
  // Warm-up (every type's definitions are prepared once), counting the resources with errors.
  size_t withErrors = 0;
  for (const std::string& t : texts) {
    core::Issues issues;
    validator.validateText(t, issues);
    if (issues.hasErrors()) ++withErrors;
  }
  if (o.bundleMb > 0) {  // after the warm-up: definitions are prepared once, as in a long run
    size_t entries = 0;
    std::string bundle = makeBundle(texts, o.bundleMb, entries);
    texts.clear();
    texts.shrink_to_fit();
    // The peak is reset to what is resident now (glibc, Linux: clear_refs 5), so the peak after is
    // the most this validation held at once.
    malloc_trim(0);  // the examples' texts, freed above, go back to the system
    std::ofstream("/proc/self/clear_refs") << "5";
    const double rssBefore = statusMiB("VmRSS");
    const double cpu0 = threadCpuSeconds();
    const auto wall0 = Clock::now();
    core::Issues issues;
    validator.validateText(bundle, issues);
    const double cpuMs = (threadCpuSeconds() - cpu0) * 1000;
    std::printf(
        "trialbridge Validator::validateText, one Bundle of %.1f MB with %zu entries, 1 thread: "
        "%.0f ms CPU (%.1f us an entry), %.0f ms wall, %zu issues; resident %.0f MiB before "
        "validating (the Bundle's text, the R4 context), peak %.0f MiB while validating\n",
        static_cast<double>(bundle.size()) / 1e6, entries, cpuMs,
        cpuMs * 1000 / static_cast<double>(entries), ms(Clock::now() - wall0), issues.size(),
        rssBefore, statusMiB("VmHWM"));
    return 0;
  }
  if (o.passes > 0) {
    const double cpu0 = threadCpuSeconds();
    const auto wall0 = Clock::now();
    for (unsigned p = 0; p < o.passes; ++p) {
      for (const std::string& t : texts) {
        core::Issues issues;
        validator.validateText(t, issues);
      }
    }
    const double cpuMs = (threadCpuSeconds() - cpu0) * 1000 / o.passes;
    std::printf(
        "trialbridge Validator::validateText, %zu resources (%.1f MB), %u passes on 1 "
        "thread: %.0f ms CPU a pass (%.0f resources per CPU second), %.0f ms wall a pass\n",
        texts.size(), static_cast<double>(bytes) / 1e6, o.passes, cpuMs,
        static_cast<double>(texts.size()) * 1000 / cpuMs, ms(Clock::now() - wall0) / o.passes);
    return 0;
  }
  const double one = rate(validator, texts, 1, o.seconds);
  const double many = rate(validator, texts, o.threads, o.seconds);
  const double rss = peakRssMiB();

  std::printf("validator benchmark: %zu resources (%.1f MB of JSON) from %s\n", texts.size(),
              static_cast<double>(bytes) / 1e6, o.package.c_str());
  std::printf("%-46s %14s %14s %12s %12s %10s\n", "validator", "res/s 1 thread", "res/s threads",
              "threads", "start-up ms", "peak MiB");
  std::printf("%-46s %14.0f %14.0f %12u %12.1f %10.1f\n", "trialbridge Validator::validateText",
              one, many, o.threads, startupMs, rss);
  std::printf("  (trialbridge: %zu resources with errors: the known-wrong examples)\n", withErrors);

  if (!o.js) return 0;
  // Medplum, in the same run: the R4 StructureDefinitions as a Bundle, the resources as NDJSON.
  const std::string dir = "/tmp/tb-validator-bench-" + std::to_string(::getpid());
  std::system(("mkdir -p " + dir).c_str());
  {
    std::ofstream defs(dir + "/definitions.json");
    defs << R"({"resourceType":"Bundle","type":"collection","entry":[)";
    bool first = true;
    for (const auto& p : context->packages()) {
      for (size_t i = 0; i < p->resources().size(); ++i) {
        const conformance::PackageResource& r = p->resources()[i];
        if (r.resourceType != "StructureDefinition") continue;
        auto json = p->json(i);
        if (!json) continue;
        defs << (first ? "" : ",") << R"({"resource":)" << json.value() << "}";
        first = false;
      }
    }
    defs << "]}";
    std::ofstream nd(dir + "/resources.ndjson");
    for (const std::string& t : texts) {
      std::string line = t;
      for (char& c : line) {
        if (c == '\n' || c == '\r') c = ' ';
      }
      nd << line << "\n";
    }
  }
  const std::string script = std::string(TB_SOURCE_ROOT) + "/bench/validator_bench.mjs";
  const std::string cmd = o.node + " " + script + " " + dir + "/definitions.json " + dir +
                          "/resources.ndjson " + std::to_string(o.seconds) + " " +
                          std::to_string(o.threads);
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  if (p != nullptr) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
  }
  std::system(("rm -rf " + dir).c_str());
  if (out.find("perSecond1") == std::string::npos) {
    std::printf("Medplum: not run (%s)\n",
                out.empty() ? "no output; npm ci in tests/peers?" : out.c_str());
    return 0;
  }
  const double m1 = std::atof(jsonNumber(out, "perSecond1").c_str());
  const double mn = std::atof(jsonNumber(out, "perSecondN").c_str());
  std::printf("%-46s %14.0f %14.0f %12u %12.1f %10.1f\n", "@medplum/core 4.5.2 validateResource",
              m1, mn, o.threads, std::atof(jsonNumber(out, "startupMs").c_str()),
              std::atof(jsonNumber(out, "peakRssMiB").c_str()));
  std::printf("  (Medplum: %s resources rejected; %s)\n", jsonNumber(out, "rejected").c_str(),
              jsonNumber(out, "node").c_str());
  std::printf("ratio trialbridge / Medplum: %.1fx on 1 thread, %.1fx on %u threads\n", one / m1,
              many / mn, o.threads);
  return 0;
}
