// FHIRPath evaluation rate on real expressions, against fhirpath.js in the same run.
//
// The workload is what a validator does: for every resource of the official R4 examples package,
// every invariant (constraint with a FHIRPath expression) in the snapshot of its resource type's
// StructureDefinition (ele-1 on each element, dom-2..6, the resource's own), evaluated on every
// node its element path selects, with %resource set to the resource. Expressions are compiled
// once (trialbridge: fhirpath::ExpressionCache; fhirpath.js: fhirpath.compile) and the context
// nodes selected once, outside the timing; only evaluations are timed, repeated over the whole
// workload for at least --seconds. Then bench/fhirpath_bench.js does the same with fhirpath.js
// (tests/peers, `npm ci` there) on the same resources and expressions, and the outcome of every
// evaluation (true / false / empty / error) is compared between the two engines.
//
// Usage: fhirpath_bench [--package PATH.tgz] [--seconds S] [--limit N] [--node NODE]
//                       [--no-js] [--threads N] [--show-disagreements N]
#include <rapidjson/document.h>
#include <unistd.h>

#include <cinttypes>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "conformance/context.h"
#include "conformance/package.h"
#include "conformance/structure_definition.h"
#include "core/json.h"
#include "core/text.h"
#include "fhirpath/fhirpath.h"

namespace {

namespace core = trialbridge::core;
namespace conformance = trialbridge::conformance;
namespace fhirpath = trialbridge::fhirpath;

struct Check {
  size_t resource;
  std::string path;        // element path with [x] removed
  std::string expression;  // the invariant
  std::string key;         // "pat-1"
  std::shared_ptr<const fhirpath::Expression> compiled;
  std::vector<const core::Element*> nodes;
};

struct Options {
  std::string package = std::string(TB_TEST_DATA) + "/fhir-packages/hl7.fhir.r4.examples-4.0.1.tgz";
  double seconds = 3;
  size_t limit = 0;
  std::string node = "node";
  bool js = true;
  int threads = 1;
  size_t showDisagreements = 10;
};

char outcomeOf(fhirpath::Evaluation& eval, bool ok) {
  if (!ok) return 'X';
  auto r = eval.results();
  if (r.empty()) return 'E';
  if (r.size() == 1 && r[0].kind == fhirpath::Kind::Boolean) return r[0].boolean ? 'T' : 'F';
  return 'M';
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : std::string(); };
    if (a == "--package") {
      o.package = next();
    } else if (a == "--seconds") {
      o.seconds = std::atof(next().c_str());
    } else if (a == "--limit") {
      o.limit = static_cast<size_t>(std::atol(next().c_str()));
    } else if (a == "--node") {
      o.node = next();
    } else if (a == "--no-js") {
      o.js = false;
    } else if (a == "--threads") {
      o.threads = std::max(1, std::atoi(next().c_str()));
    } else if (a == "--show-disagreements") {
      o.showDisagreements = static_cast<size_t>(std::atol(next().c_str()));
    } else {
      std::cerr << "usage: fhirpath_bench [--package PATH.tgz] [--seconds S] [--limit N] "
                   "[--node NODE] [--no-js] [--threads N] [--show-disagreements N]\n";
      return 2;
    }
  }

  const conformance::Context& ctx = conformance::Context::r4();
  auto pkg = conformance::openPackage(o.package);
  if (!pkg) {
    std::cerr << "cannot open " << o.package << ": " << pkg.message() << "\n";
    return 2;
  }
  std::vector<std::string> texts;
  std::vector<std::unique_ptr<core::Document>> docs;
  for (size_t i = 0; i < pkg.value()->resources().size(); ++i) {
    if (o.limit != 0 && docs.size() >= o.limit) break;
    auto json = pkg.value()->json(i);
    if (!json) continue;
    core::Issues issues;
    auto doc = core::readJson(json.value(), ctx, issues);
    if (doc == nullptr || doc->root() == nullptr) continue;
    texts.push_back(std::move(json.value()));
    docs.push_back(std::move(doc));
  }

  // The checks: invariants of each resource's type, with their context nodes.
  std::vector<Check> checks;
  size_t compileErrors = 0, evaluations = 0;
  std::map<std::string, std::string> compileErrorSamples;
  fhirpath::Evaluation select;
  for (size_t r = 0; r < docs.size(); ++r) {
    const core::Element* root = docs[r]->root();
    const conformance::StructureDefinition* sd = ctx.structureDefinition(root->type().name);
    if (sd == nullptr) continue;
    for (const conformance::ElementDefinition& e : sd->snapshot) {
      if (e.constraints.empty() || !e.sliceName.empty()) continue;
      std::string path = e.path;
      if (path.size() > 3 && path.compare(path.size() - 3, 3, "[x]") == 0)
        path.resize(path.size() - 3);
      auto pathExpr = fhirpath::ExpressionCache::global().get(path);
      const bool choice = e.path.size() > 3 && e.path.compare(e.path.size() - 3, 3, "[x]") == 0;
      if (!pathExpr || !select.run(*pathExpr.expression(), root)) continue;
      std::vector<const core::Element*> nodes;
      for (const fhirpath::Value& v : select.results()) {
        if (v.kind == fhirpath::Kind::Element) nodes.push_back(v.element);
      }
      if (nodes.empty()) continue;
      // Context type for static checks: the element's type (backbone types by path).
      for (const conformance::Constraint& c : e.constraints) {
        if (c.expression.empty()) continue;
        Check k;
        k.resource = r;
        k.path = path;
        k.expression = c.expression;
        k.key = c.key;
        fhirpath::CompileOptions co;
        if (!choice) co.contextType = nodes[0]->type().name;  // a choice: any of its types
        auto compiled = fhirpath::ExpressionCache::global().get(c.expression, co);
        if (!compiled) {
          ++compileErrors;
          compileErrorSamples.emplace(c.key, compiled.error().toString() + ": " + c.expression);
          continue;
        }
        k.compiled = compiled.expression();
        k.nodes = nodes;
        evaluations += nodes.size();
        checks.push_back(std::move(k));
      }
    }
  }
  std::printf(
      "workload: %zu resources, %zu checks, %zu evaluations a pass, %zu distinct "
      "expressions compiled (%zu checks did not compile)\n",
      docs.size(), checks.size(), evaluations, fhirpath::ExpressionCache::global().size(),
      compileErrors);
  for (const auto& [key, msg] : compileErrorSamples)
    std::printf("  not compiled: %s %s\n", key.c_str(), msg.c_str());

  // First pass: outcomes.
  std::vector<std::string> outcomes(checks.size());
  fhirpath::Evaluation eval;
  std::map<char, size_t> counts;
  for (size_t i = 0; i < checks.size(); ++i) {
    const Check& k = checks[i];
    fhirpath::Environment env;
    env.resource = docs[k.resource]->root();
    env.enforceAsSingleton = false;
    for (const core::Element* node : k.nodes) {
      char c = outcomeOf(eval, eval.run(*k.compiled, node, env));
      outcomes[i] += c;
      ++counts[c];
    }
  }

  // Where the time goes, by invariant (one more pass, timed per check).
  if (std::getenv("TB_BENCH_BY_KEY") != nullptr) {
    std::map<std::string, std::pair<double, size_t>> byKey;
    for (const Check& k : checks) {
      fhirpath::Environment env;
      env.resource = docs[k.resource]->root();
      env.enforceAsSingleton = false;
      const double t0 = now();
      for (int rep = 0; rep < 5; ++rep) {
        for (const core::Element* node : k.nodes) eval.run(*k.compiled, node, env);
      }
      auto& e = byKey[k.key];
      e.first += now() - t0;
      e.second += 5 * k.nodes.size();
    }
    std::vector<std::pair<double, std::string>> top;
    for (const auto& [key, v] : byKey)
      top.push_back({v.first, key + " (" + std::to_string(v.second) + " evaluations)"});
    std::sort(top.rbegin(), top.rend());
    for (size_t i = 0; i < top.size() && i < 25; ++i)
      std::printf("  %8.3f s  %s\n", top[i].first, top[i].second.c_str());
  }

  // Timed passes (optionally on several threads, each over the whole workload).
  auto runPasses = [&](double seconds, size_t& total, double& elapsed) {
    fhirpath::Evaluation ev;
    total = 0;
    const double start = now();
    do {
      for (const Check& k : checks) {
        fhirpath::Environment env;
        env.resource = docs[k.resource]->root();
        env.enforceAsSingleton = false;
        for (const core::Element* node : k.nodes) {
          ev.run(*k.compiled, node, env);
          ++total;
        }
      }
      elapsed = now() - start;
    } while (elapsed < seconds);
  };
  size_t total = 0;
  double elapsed = 0;
  runPasses(o.seconds, total, elapsed);
  const double tbRate = static_cast<double>(total) / elapsed;
  std::printf(
      "trialbridge: %.0f evaluations/s (%zu in %.2f s, 1 thread); outcomes: %zu true, "
      "%zu false, %zu empty, %zu other, %zu errors\n",
      tbRate, total, elapsed, counts['T'], counts['F'], counts['E'], counts['M'], counts['X']);
  if (o.threads > 1) {
    std::vector<std::thread> ts;
    std::vector<size_t> totals(static_cast<size_t>(o.threads));
    std::vector<double> times(static_cast<size_t>(o.threads));
    for (int t = 0; t < o.threads; ++t) {
      ts.emplace_back([&, t] {
        runPasses(o.seconds, totals[static_cast<size_t>(t)], times[static_cast<size_t>(t)]);
      });
    }
    double rate = 0;
    for (int t = 0; t < o.threads; ++t) {
      ts[static_cast<size_t>(t)].join();
      rate += static_cast<double>(totals[static_cast<size_t>(t)]) / times[static_cast<size_t>(t)];
    }
    std::printf("trialbridge: %.0f evaluations/s on %d threads\n", rate, o.threads);
  }
  if (!o.js) return 0;

  // The same workload for fhirpath.js.
  std::string work = "{\"resources\":[";
  for (size_t i = 0; i < texts.size(); ++i) {
    if (i) work += ',';
    core::appendJsonString(work, texts[i]);
  }
  work += "],\"checks\":[";
  for (size_t i = 0; i < checks.size(); ++i) {
    if (i) work += ',';
    work += "{\"r\":" + std::to_string(checks[i].resource) + ",\"path\":";
    core::appendJsonString(work, checks[i].path);
    work += ",\"expr\":";
    core::appendJsonString(work, checks[i].expression);
    work += '}';
  }
  work += "]}";
  char tmpl[] = "/tmp/fhirpath_bench_XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) {
    std::cerr << "cannot create a temporary file\n";
    return 2;
  }
  close(fd);
  const std::string workFile = tmpl;
  std::ofstream(workFile, std::ios::binary) << work;
  const std::string cmd = o.node + " " + std::string(TB_SOURCE_ROOT) + "/bench/fhirpath_bench.js " +
                          workFile + " " + std::to_string(o.seconds);
  std::string output;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
    if (pclose(p) != 0) output.clear();
  }
  if (std::getenv("TB_KEEP_WORKLOAD") == nullptr) std::remove(workFile.c_str());
  rapidjson::Document js;
  js.Parse(output.c_str());
  if (output.empty() || js.HasParseError() || !js.IsObject()) {
    std::cerr << "fhirpath.js run failed (is node installed and tests/peers set up with npm ci?)\n";
    return 1;
  }
  const double jsRate = js["evaluationsPerSecond"].GetDouble();
  std::printf("%s (node %s): %.0f evaluations/s (%" PRId64 " a pass, %d passes in %.2f s)\n",
              js["engine"].GetString(), js["node"].GetString(), jsRate,
              js["evaluationsPerPass"].GetInt64(), js["passes"].GetInt(),
              js["seconds"].GetDouble());

  // Agreement between the engines, evaluation by evaluation.
  size_t same = 0, compared = 0, nodeMismatch = 0;
  std::map<std::string, std::pair<size_t, std::string>> disagreements;  // by key
  const auto& jo = js["outcomes"];
  for (size_t i = 0; i < checks.size() && i < jo.Size(); ++i) {
    std::string theirs = jo[static_cast<rapidjson::SizeType>(i)].GetString();
    const std::string& ours = outcomes[i];
    if (theirs.size() != ours.size()) {
      ++nodeMismatch;
      continue;
    }
    for (size_t j = 0; j < ours.size(); ++j) {
      ++compared;
      if (ours[j] == theirs[j]) {
        ++same;
      } else {
        auto& d = disagreements[checks[i].key + " " + ours[j] + "/" + theirs[j]];
        if (d.first++ == 0)
          d.second = checks[i].expression + "  [" + checks[i].path + " in resource #" +
                     std::to_string(checks[i].resource) + "]";
      }
    }
  }
  std::printf(
      "agreement: %zu of %zu evaluations give the same outcome (%.2f%%); %zu checks "
      "select a different number of nodes in fhirpath.js\n",
      same, compared,
      compared ? 100.0 * static_cast<double>(same) / static_cast<double>(compared) : 0.0,
      nodeMismatch);
  std::vector<std::pair<size_t, std::string>> top;
  for (const auto& [k, v] : disagreements)
    top.push_back({v.first, k + " x" + std::to_string(v.first) + ": " + v.second});
  std::sort(top.rbegin(), top.rend());
  for (size_t i = 0; i < top.size() && i < o.showDisagreements; ++i) {
    std::printf("  differs (trialbridge/fhirpath.js) %s\n", top[i].second.c_str());
  }
  std::printf("ratio: trialbridge is %.1fx fhirpath.js\n", tbRate / jsRate);
  return 0;
}
