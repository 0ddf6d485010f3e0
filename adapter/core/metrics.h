#pragma once
// Metrics in the Prometheus text exposition format (version 0.0.4): counters, gauges and
// histograms with fixed buckets, in families with labels, and callback metrics read at scrape
// time (process figures, queue lengths).
//
// Contract: families are registered at start (a mutex guards registration); recording is
// lock-free: a series is found or made by its label values in a fixed open-addressing table of
// atomic pointers (compare-and-swap on insert), and its values are atomics. A family holds at most
// kMaxSeries series; label values beyond that are counted under the values "other". Label values
// must never carry personal data (names, identifiers, addresses): use constants, codes and route
// templates.
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace trialbridge::core {

class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v);
  void add(double d);
  double value() const;

 private:
  std::atomic<uint64_t> bits_{0};  // the double's bits (0 is 0.0)
};

class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, increasing (+Inf is implied).
  explicit Histogram(const std::vector<double>& bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Observations <= bounds()[i] (not cumulative; the last is +Inf's own).
  uint64_t bucket(size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.value(); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> count_{0};
  Gauge sum_;
};

enum class MetricType { Counter, Gauge, Histogram };

class MetricFamily {
 public:
  static constexpr size_t kMaxSeries = 1024;
  MetricFamily(std::string name, std::string help, MetricType type, std::vector<std::string> labels,
               std::vector<double> bounds = {});
  ~MetricFamily();
  MetricFamily(const MetricFamily&) = delete;
  MetricFamily& operator=(const MetricFamily&) = delete;

  // The series of these label values (as many as the family's labels), made on first use.
  Counter& counter(std::initializer_list<std::string_view> values = {});
  Gauge& gauge(std::initializer_list<std::string_view> values = {});
  Histogram& histogram(std::initializer_list<std::string_view> values = {});

  void render(std::string& out) const;
  const std::string& name() const { return name_; }

  struct Series;

 private:
  Series& series(std::initializer_list<std::string_view> values);
  Series* make(std::initializer_list<std::string_view> values) const;

  std::string name_, help_;
  MetricType type_;
  std::vector<std::string> labels_;
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<Series*>[]> slots_;
  std::atomic<Series*> other_{nullptr};
};

class MetricsRegistry {
 public:
  // Registers a family (or returns the one of that name, which must have the same type).
  MetricFamily& counter(std::string name, std::string help, std::vector<std::string> labels = {});
  MetricFamily& gauge(std::string name, std::string help, std::vector<std::string> labels = {});
  MetricFamily& histogram(std::string name, std::string help, std::vector<double> bounds,
                          std::vector<std::string> labels = {});
  // A metric without labels whose value is read when scraped (`type` Counter or Gauge).
  void callback(std::string name, std::string help, MetricType type, std::function<double()> read);

  // Every family and callback, in the order registered.
  std::string render() const;
  // The exposition format's content type.
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  MetricFamily& family(std::string name, std::string help, MetricType type,
                       std::vector<std::string> labels, std::vector<double> bounds);
  struct Callback {
    std::string name, help;
    MetricType type;
    std::function<double()> read;
  };
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<MetricFamily>> families_;
  std::vector<Callback> callbacks_;
  std::vector<std::string> order_;  // names, families and callbacks mixed
};

// Buckets for latencies in seconds (0.5 ms to 10 s) and for sizes (1 to 1024, powers of 2).
const std::vector<double>& latencyBuckets();
const std::vector<double>& sizeBuckets();

}  // namespace trialbridge::core
