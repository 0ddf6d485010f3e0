// The cost of one lab result against the results a subject already has (issue 15, "Load";
// docs/PERFORMANCE.md, "A lab result's cost against the results stored").
//
// For each N of --stored (default 100,1000,10000,30000): a new store (durable commits: SQLite, or
// with --backend postgresql a new database in a throwaway PostgreSQL cluster with fsync on, the
// one the tests start, tests/store/pg_cluster.h) with the
// reference trial and the golden course's subject ITP-0001 (consent, enrolment, doses), then N
// stored Observations of that subject (half platelet counts, LOINC 777-3, half ALT, 1742-6; one
// pair an hour from 2025-02-20, written in transactions of 500), then --messages ORU^R01 (a
// count and an ALT each, a day apart after every stored result, each with its own MSH-10 and
// filler order number) through Pipeline::apply as the MLLP listener sends them: parse, map,
// study context (match, placement, platelet response, toxicity grade), store. Per N: the mean
// and median milliseconds of a whole message and of its study context alone (the directory's
// searches included), and the CPU milliseconds of the process per message.
//
// --counts cycling (the default) gives the stored counts 30 + n % 97 an hour apart: no level
// lasts, so no response is ever confirmed and the study context reads its most (resultsLimit,
// 1,000 counts) for each; --counts steady gives them 150 + n % 50, a complete response confirmed
// all along, as in a responder's years of weekly counts.
//
// Usage: lab_cost_bench [--stored 100,1000,10000,30000] [--messages 40] [--backend sqlite]
//                       [--counts cycling|steady]
//   TB_LAB_COST_KEEP=1   keep each SQLite store (its path on stderr), e.g. for EXPLAIN QUERY PLAN
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/context.h"
#include "core/json.h"
#include "mapping/oru_mapping.h"
#include "mapping/trial_mapping.h"
#include "pipeline/pipeline.h"
#include "pipeline/store_subject_directory.h"
#include "pipeline/study_context.h"
#include "pipeline/v2_study.h"
#include "store/store.h"
#include "study/entity_reader.h"
#include "study/ids.h"
#include "study/instant.h"
#include "study/trial_reader.h"
#ifdef TB_BENCH_PG
#include "pg_cluster.h"
#endif

#include "source_file.h"

namespace {

namespace tb = trialbridge;
using Clock = std::chrono::steady_clock;

using trialbridge::bench::readSourceFile;

double cpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Times each message's study context (the adapter the service uses, wrapped).
class TimedStudy final : public tb::pipeline::V2StudyContext {
 public:
  explicit TimedStudy(const tb::pipeline::V2StudyContext& inner) : inner_(inner) {}
  tb::pipeline::V2Decision decide(const tb::hl7v2::Message& message,
                                  const tb::core::Document& mapped) const override {
    const auto start = Clock::now();
    tb::pipeline::V2Decision d = inner_.decide(message, mapped);
    last = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    return d;
  }
  mutable double last = 0;

 private:
  const tb::pipeline::V2StudyContext& inner_;
};

// "YYYYMMDDHHMMSS+0000" of UTC seconds.
std::string v2Time(int64_t seconds) {
  const std::string iso = tb::study::formatSeconds(seconds, 0);  // YYYY-MM-DDThh:mm:ssZ
  std::string out;
  for (char c : iso.substr(0, 19)) {
    if (c >= '0' && c <= '9') out += c;
  }
  return out + "+0000";
}

std::string message(int i, int64_t at) {
  const std::string t = v2Time(at);
  const std::string n = std::to_string(i);
  return "MSH|^~\\&|TAIXIN-LIS|TAIXIN|TRIALBRIDGE|NCT06813157|" + t + "||ORU^R01^ORU_R01|BENCH" +
         n + "|P|2.5.1\r" +
         "PID|1||MRN0048213^^^TAIXIN&https://dongguan-taixin.example/sid/mrn&URI^MR||Wang^Li||"
         "19880412|F\r" +
         "OBR|1||L-BENCH-" + n + "|LAB^Lab panel^99TXL|||" + t + "|||||||||||||||" + t + "|||F\r" +
         "OBX|1|NM|777-3^Platelets^LN||" + std::to_string(40 + i % 90) +
         "|10*9/L^^UCUM|125-350||||F|||" + t + "\r" + "OBX|2|NM|1742-6^ALT^LN||" +
         std::to_string(20 + i % 150) + "|U/L^^UCUM|7-40||||F|||" + t + "\r";
}

std::string observation(const std::string& id, const std::string& patient, bool platelets,
                        int64_t at, int value) {
  return std::string(R"({"resourceType":"Observation","id":")") + id +
         R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":")" +
         (platelets ? "777-3" : "1742-6") + R"("}]},"subject":{"reference":")" + patient +
         R"("},"effectiveDateTime":")" + tb::study::formatSeconds(at, 0) +
         R"(","valueQuantity":{"value":)" + std::to_string(value) +
         R"(,"system":"http://unitsofmeasure.org","code":")" + (platelets ? "10*9/L" : "U/L") +
         R"("}})";
}

struct Figures {
  double meanMs = 0, medianMs = 0, studyMeanMs = 0, studyMedianMs = 0, cpuMs = 0;
  int failed = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Where a store for one run is: a new SQLite file in `dir`, or a new PostgreSQL database.
bool storeOptions(const std::string& backend, const std::string& dir, tb::store::StoreOptions& o) {
  o.backend = backend;
  if (backend == "sqlite") {
    o.database = dir + "/store.db";
    return true;
  }
#ifdef TB_BENCH_PG
  static tb::testing::PgCluster cluster;
  if (!cluster.running() && !cluster.start(/*fsync=*/true)) {
    std::fprintf(stderr, "lab_cost_bench: PostgreSQL: %s\n", cluster.error().c_str());
    return false;
  }
  o.database = cluster.createDatabase();
  return true;
#else
  std::fprintf(stderr, "lab_cost_bench: built without the tests' PostgreSQL cluster\n");
  return false;
#endif
}

int run(const std::string& backend, bool steady, size_t stored, int messages, Figures& f) {
  const tb::conformance::Context& context = tb::conformance::Context::r4();
  tb::core::Issues issues;
  const tb::study::Trial trial =
      *tb::study::readTrial(readSourceFile("samples/trials/NCT06813157.json"), issues);
  const auto entity = tb::study::readEntity(
      readSourceFile("tests/pipeline/golden/itp-0001-course-subject.json"), trial, issues);
  const tb::mapping::Pseudonymizer secret = *tb::mapping::Pseudonymizer::fromFile(
      std::string(TB_SOURCE_ROOT) + "/samples/entities/demo.secret");
  char tmpl[] = "/tmp/tb-lab-cost.XXXXXX";
  if (::mkdtemp(tmpl) == nullptr || !entity) return 2;
  const std::string dir = tmpl;
  int rc = 0;
  {
    tb::store::StoreOptions o;
    if (!storeOptions(backend, dir, o)) return 2;
    auto opened = tb::store::openStore(o);
    if (!opened) {
      std::fprintf(stderr, "lab_cost_bench: %s\n", opened.message().c_str());
      return 2;
    }
    std::unique_ptr<tb::store::Store> store = std::move(opened.value());
    const tb::mapping::V2Mapper mapper(context);
    tb::pipeline::StoreSubjectDirectory directory(*store);
    auto study = std::make_shared<const tb::pipeline::StudyContext>(
        std::vector<tb::pipeline::StudyTrial>{{&trial, &secret}}, directory, store->types());
    const tb::pipeline::V2StudyAdapter adapter([study](tb::core::Issues&) { return study; });
    const TimedStudy timed(adapter);
    tb::pipeline::Config config;
    config.v2Mapper = &mapper;
    config.v2Study = &timed;
    tb::pipeline::Pipeline pipeline(*store, nullptr, config);
    tb::pipeline::Options options;
    options.validation = tb::pipeline::ValidationPolicy::None;

    tb::mapping::MapOptions m;
    m.pseudonymizer = secret;
    auto bundle = tb::mapping::mapTrial(trial, {*entity}, m, store->types());
    if (!bundle || !pipeline.apply(tb::pipeline::Change::bundle(std::move(*bundle)), options).ok())
      return 2;
    auto subject = directory.findByPseudonym(
        trial, secret.pseudonym("https://dongguan-taixin.example/sid/mrn", "MRN0048213"));
    if (!subject || !subject->has_value()) return 2;
    const std::string patient = (*subject)->patient;

    const int64_t first = tb::study::parseInstant("2025-02-20T00:00:00Z")->seconds;
    for (size_t done = 0; done < stored;) {
      std::string json = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
      for (size_t k = 0; k < 500 && done < stored; ++k, ++done) {
        const std::string id = "pf-" + std::to_string(done);
        json +=
            (k == 0 ? "" : ",") + std::string(R"({"resource":)") +
            observation(id, patient, done % 2 == 0, first + static_cast<int64_t>(done / 2) * 3600,
                        done % 2 == 1 ? 25
                        : steady      ? 150 + static_cast<int>(done % 50)
                                      : 30 + static_cast<int>(done % 97)) +
            R"(,"request":{"method":"PUT","url":"Observation/)" + id + R"("}})";
      }
      json += "]}";
      tb::core::Issues is;
      auto doc = tb::core::readJson(json, store->types(), is);
      if (!doc || !pipeline.apply(tb::pipeline::Change::bundle(std::move(doc)), options).ok()) {
        std::fprintf(stderr, "lab_cost_bench: prefill failed\n");
        return 2;
      }
    }

    const int64_t after = first + static_cast<int64_t>(stored / 2 + 48) * 3600;
    std::vector<double> total, studyMs;
    const double cpu0 = cpuSeconds();
    for (int i = 0; i < messages; ++i) {
      const auto start = Clock::now();
      tb::pipeline::Result r = pipeline.apply(
          tb::pipeline::Change::v2Message(message(i, after + int64_t{i} * 86400)), options);
      total.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      studyMs.push_back(timed.last);
      if (!r.ok() || !r.v2 || r.v2->code != tb::hl7v2::AckCode::AA) f.failed++;
    }
    f.cpuMs = (cpuSeconds() - cpu0) * 1000 / messages;
    for (double t : total) f.meanMs += t / messages;
    for (double t : studyMs) f.studyMeanMs += t / messages;
    f.medianMs = median(total);
    f.studyMedianMs = median(studyMs);
    if (f.failed > 0) rc = 1;
  }
  if (std::getenv("TB_LAB_COST_KEEP") != nullptr) {
    std::fprintf(stderr, "lab_cost_bench: kept %s/store.db\n", dir.c_str());
  } else {
    std::filesystem::remove_all(dir);
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> stored = {100, 1000, 10000, 30000};
  int messages = 40;
  std::string backend = "sqlite";
  bool steady = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--messages") messages = std::max(1, std::atoi(argv[i + 1]));
    if (a == "--backend") backend = argv[i + 1];
    if (a == "--counts") steady = std::string(argv[i + 1]) == "steady";
    if (a == "--stored") {
      stored.clear();
      std::stringstream ss(argv[i + 1]);
      for (std::string n; std::getline(ss, n, ',');) stored.push_back(std::stoul(n));
    }
  }
  std::printf("%10s %10s %10s %10s %12s %12s %8s\n", "stored", "messages", "ms mean", "ms p50",
              "study mean", "study p50", "cpu ms");
  int rc = 0;
  for (size_t n : stored) {
    Figures f;
    const int r = run(backend, steady, n, messages, f);
    if (r == 2) {
      std::fprintf(stderr, "lab_cost_bench: setup failed at %zu stored\n", n);
      return 2;
    }
    std::printf("%10zu %10d %10.2f %10.2f %12.2f %12.2f %8.2f%s\n", n, messages, f.meanMs,
                f.medianMs, f.studyMeanMs, f.studyMedianMs, f.cpuMs,
                f.failed ? "  (some not AA)" : "");
    rc |= r;
  }
  return rc;
}
