// core/metrics.h: the exposition text of each kind of metric, label escaping, the "other" series
// past kMaxSeries, and increments from many threads at once.
#include "core/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace trialbridge::core {
namespace {

TEST(Metrics, CountersGaugesAndHistogramsInTheTextFormat) {
  MetricsRegistry r;
  MetricFamily& acks = r.counter("acks_total", "ACKs sent", {"code"});
  acks.counter({"AA"}).inc(3);
  acks.counter({"AE"}).inc();
  r.gauge("queue", "queued\nunits").gauge().set(2.5);
  Histogram& h = r.histogram("ack_seconds", "ACK time", {0.125, 1}).histogram();
  h.observe(0.0625);
  h.observe(0.125);  // a bound is in its own bucket (le: less or equal)
  h.observe(0.5);
  h.observe(7);
  r.callback("cpu_seconds_total", "cpu", MetricType::Counter, [] { return 1.25; });
  EXPECT_EQ(r.render(),
            "# HELP acks_total ACKs sent\n# TYPE acks_total counter\n"
            "acks_total{code=\"AA\"} 3\nacks_total{code=\"AE\"} 1\n"
            "# HELP queue queued units\n# TYPE queue gauge\nqueue 2.5\n"
            "# HELP ack_seconds ACK time\n# TYPE ack_seconds histogram\n"
            "ack_seconds_bucket{le=\"0.125\"} 2\nack_seconds_bucket{le=\"1\"} 3\n"
            "ack_seconds_bucket{le=\"+Inf\"} 4\nack_seconds_sum 7.6875\nack_seconds_count 4\n"
            "# HELP cpu_seconds_total cpu\n# TYPE cpu_seconds_total counter\n"
            "cpu_seconds_total 1.25\n");
  // The same name gives the same family.
  EXPECT_EQ(&r.counter("acks_total", "ACKs sent", {"code"}), &acks);
}

TEST(Metrics, LabelValuesAreEscaped) {
  MetricsRegistry r;
  r.counter("c_total", "c", {"route"}).counter({"a\"b\\c\nd"}).inc();
  EXPECT_NE(r.render().find("c_total{route=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos)
      << r.render();
}

TEST(Metrics, SeriesPastTheLimitAreCountedAsOther) {
  MetricsRegistry r;
  MetricFamily& f = r.counter("many_total", "many", {"k"});
  for (size_t i = 0; i < MetricFamily::kMaxSeries + 10; ++i) {
    f.counter({std::to_string(i)}).inc();
  }
  EXPECT_NE(r.render().find("many_total{k=\"other\"} 10\n"), std::string::npos);
}

TEST(Metrics, ConcurrentIncrementsAreAllCounted) {
  MetricsRegistry r;
  MetricFamily& f = r.counter("req_total", "requests", {"route", "status"});
  Histogram& h = r.histogram("t_seconds", "t", latencyBuckets()).histogram();
  constexpr int kThreads = 8, kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        f.counter({"/fhir/Patient", (i + t) % 2 == 0 ? "200" : "404"}).inc();
        h.observe(0.001);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(
      f.counter({"/fhir/Patient", "200"}).value() + f.counter({"/fhir/Patient", "404"}).value(),
      static_cast<uint64_t>(kThreads * kEach));
  EXPECT_EQ(h.count(), static_cast<uint64_t>(kThreads * kEach));
  EXPECT_NEAR(h.sum(), kThreads * kEach * 0.001, 1e-6);
}

}  // namespace
}  // namespace trialbridge::core
