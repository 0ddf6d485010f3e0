#pragma once
// GET /metrics: the service's metrics in the Prometheus text exposition format 0.0.4
// (core/metrics.h; docs/rest.md#metrics lists them), beside the FHIR API and without
// authentication, like the probes. No label holds personal data.
#include "service/http_types.h"

namespace trialbridge::core {
class MetricsRegistry;
}
namespace trialbridge::store {
class Store;
}

namespace trialbridge::service {

class MetricsView final : public HttpView {
 public:
  static constexpr std::string_view kPath = "/metrics";
  explicit MetricsView(const core::MetricsRegistry& registry) : registry_(registry) {}
  bool handles(const HttpRequest& request) const override { return request.path == kPath; }
  bool open() const override { return true; }
  void handle(const HttpRequest& request, HttpResponse& response) const override;

 private:
  const core::MetricsRegistry& registry_;
};

// Registers the process's own figures, read from /proc at each scrape: resident memory, open file
// descriptors, CPU seconds, start time (the names Prometheus clients use: process_*); and the
// C library's heap, in use and held free (glibc's mallinfo2), which tells live memory from
// memory kept for reuse when the resident size grows.
void registerProcessMetrics(core::MetricsRegistry& registry);

// Registers the store's figures, read from Store::stats() at each scrape: the version cache's
// entries, bytes, hits and misses, SQLite's heap, and SQLite's write-ahead log checkpoints.
// `store` must outlive every scrape of `registry`.
void registerStoreMetrics(core::MetricsRegistry& registry, const store::Store& store);

}  // namespace trialbridge::service
