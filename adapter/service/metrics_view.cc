#include "service/metrics_view.h"

#include <malloc.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "store/store.h"

namespace trialbridge::service {

namespace {

// The fields of /proc/self/stat after the command name (field 3 onwards), or none.
std::vector<std::string> statFields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  const size_t close = line.rfind(')');
  std::vector<std::string> out;
  if (close == std::string::npos) return out;
  std::istringstream rest(line.substr(close + 2));
  for (std::string f; rest >> f;) out.push_back(f);
  return out;
}

double field(const std::vector<std::string>& f, size_t number) {  // number as in proc(5)
  return number >= 3 && number - 3 < f.size() ? std::stod(f[number - 3]) : 0;
}

double bootTime() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double t = 0;
      in >> t;
      return t;
    }
  }
  return 0;
}

}  // namespace

void MetricsView::handle(const HttpRequest& request, HttpResponse& response) const {
  if (request.method != "GET" && request.method != "HEAD") {
    response.status = 405;
    response.setHeader("Allow", "GET, HEAD");
    response.contentType = "text/plain; charset=utf-8";
    response.body = "/metrics answers GET and HEAD only\n";
    return;
  }
  response.status = 200;
  response.contentType = std::string(core::MetricsRegistry::kContentType);
  response.setHeader("Cache-Control", "no-store");
  response.body = registry_.render();
}

void registerProcessMetrics(core::MetricsRegistry& registry) {
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  const double started = bootTime() + field(statFields(), 22) / ticks;
  registry.callback("process_cpu_seconds_total", "user and system CPU time spent, in seconds",
                    core::MetricType::Counter, [ticks] {
                      const auto f = statFields();
                      return (field(f, 14) + field(f, 15)) / ticks;
                    });
  registry.callback("process_resident_memory_bytes", "resident memory size, in bytes",
                    core::MetricType::Gauge, [page] { return field(statFields(), 24) * page; });
  registry.callback("process_open_fds", "open file descriptors", core::MetricType::Gauge, [] {
    std::error_code ec;
    double n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++n;
    }
    return n;
  });
  registry.callback("process_start_time_seconds",
                    "the process's start time, in seconds since the Unix epoch",
                    core::MetricType::Gauge, [started] { return started; });
  registry.callback("trialbridge_malloc_in_use_bytes",
                    "bytes the C library's heap has handed out and not had back (live memory)",
                    core::MetricType::Gauge, [] {
                      const struct mallinfo2 m = ::mallinfo2();
                      return static_cast<double>(m.uordblks + m.hblkhd);
                    });
  registry.callback("trialbridge_malloc_free_bytes",
                    "bytes the C library's heap holds free for reuse (not returned to the system)",
                    core::MetricType::Gauge, [] {
                      const struct mallinfo2 m = ::mallinfo2();
                      return static_cast<double>(m.fordblks);
                    });
}

void registerStoreMetrics(core::MetricsRegistry& registry, const store::Store& store) {
  struct Figure {
    const char* name;
    const char* help;
    core::MetricType type;
    double (*read)(const store::StoreStats&);
  };
  static constexpr Figure kFigures[] = {
      {"trialbridge_store_cache_entries", "current versions held in the store's cache",
       core::MetricType::Gauge,
       [](const store::StoreStats& s) { return static_cast<double>(s.cacheEntries); }},
      {"trialbridge_store_cache_bytes",
       "bytes of the versions held in the store's cache (store.cacheMegabytes bounds it)",
       core::MetricType::Gauge,
       [](const store::StoreStats& s) { return static_cast<double>(s.cacheBytes); }},
      {"trialbridge_store_cache_hits_total", "reads answered from the store's cache",
       core::MetricType::Counter,
       [](const store::StoreStats& s) { return static_cast<double>(s.cacheHits); }},
      {"trialbridge_store_cache_misses_total", "reads the store's cache could not answer",
       core::MetricType::Counter,
       [](const store::StoreStats& s) { return static_cast<double>(s.cacheMisses); }},
      {"trialbridge_store_sqlite_heap_bytes",
       "bytes SQLite holds on the heap (store.sqliteHeapLimitMegabytes bounds it; 0 on "
       "PostgreSQL)",
       core::MetricType::Gauge,
       [](const store::StoreStats& s) { return static_cast<double>(s.sqliteHeapBytes); }},
      {"trialbridge_store_wal_checkpoints_total",
       "times SQLite's write-ahead log was emptied past its bound", core::MetricType::Counter,
       [](const store::StoreStats& s) { return static_cast<double>(s.walCheckpoints); }},
  };
  for (const Figure& f : kFigures) {
    registry.callback(f.name, f.help, f.type,
                      [&store, read = f.read] { return read(store.stats()); });
  }
}

}  // namespace trialbridge::service
