#include "core/metrics.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <functional>

namespace trialbridge::core {

namespace {

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// A label value as the exposition format writes it: backslash, quote and newline escaped.
void appendEscaped(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

const char* typeName(MetricType t) {
  switch (t) {
    case MetricType::Counter: return "counter";
    case MetricType::Gauge: return "gauge";
    case MetricType::Histogram: return "histogram";
  }
  return "untyped";
}

void header(std::string& out, const std::string& name, const std::string& help, MetricType t) {
  out += "# HELP " + name + " ";
  for (char c : help) out += c == '\n' ? ' ' : c;  // help text: one line
  out += "\n# TYPE " + name + " " + typeName(t) + "\n";
}

}  // namespace

void Gauge::set(double v) { bits_.store(std::bit_cast<uint64_t>(v), std::memory_order_relaxed); }

void Gauge::add(double d) {
  uint64_t old = bits_.load(std::memory_order_relaxed);
  while (!bits_.compare_exchange_weak(old, std::bit_cast<uint64_t>(std::bit_cast<double>(old) + d),
                                      std::memory_order_relaxed)) {
  }
}

double Gauge::value() const { return std::bit_cast<double>(bits_.load(std::memory_order_relaxed)); }

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), counts_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::observe(double v) {
  const size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                       bounds_.begin());  // the first bound >= v
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.add(v);
}

struct MetricFamily::Series {
  std::vector<std::string> values;
  Counter counter;
  Gauge gauge;
  std::unique_ptr<Histogram> histogram;
};

MetricFamily::MetricFamily(std::string name, std::string help, MetricType type,
                           std::vector<std::string> labels, std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      labels_(std::move(labels)),
      bounds_(std::move(bounds)),
      slots_(new std::atomic<Series*>[kMaxSeries]) {
  for (size_t i = 0; i < kMaxSeries; ++i) slots_[i].store(nullptr);
}

MetricFamily::~MetricFamily() {
  for (size_t i = 0; i < kMaxSeries; ++i) delete slots_[i].load();
  delete other_.load();
}

MetricFamily::Series* MetricFamily::make(std::initializer_list<std::string_view> values) const {
  auto* s = new Series();
  for (std::string_view v : values) s->values.emplace_back(v);
  s->values.resize(labels_.size());
  if (type_ == MetricType::Histogram) s->histogram = std::make_unique<Histogram>(bounds_);
  return s;
}

MetricFamily::Series& MetricFamily::series(std::initializer_list<std::string_view> values) {
  size_t h = 0;
  for (std::string_view v : values) h = h * 1000003u ^ std::hash<std::string_view>{}(v);
  const auto matches = [&](const Series* s) {
    size_t i = 0;
    for (std::string_view v : values) {
      if (i >= s->values.size() || s->values[i] != v) return false;
      ++i;
    }
    return true;
  };
  for (size_t probe = 0; probe < kMaxSeries; ++probe) {
    std::atomic<Series*>& slot = slots_[(h + probe) % kMaxSeries];
    Series* s = slot.load(std::memory_order_acquire);
    if (s == nullptr) {
      Series* made = make(values);
      if (slot.compare_exchange_strong(s, made, std::memory_order_acq_rel)) return *made;
      delete made;  // another thread filled the slot first: `s` is its series
    }
    if (matches(s)) return *s;
  }
  // Full: everything else is counted under "other".
  Series* o = other_.load(std::memory_order_acquire);
  if (o == nullptr) {
    std::vector<std::string_view> others(labels_.size(), "other");
    Series* made = new Series();
    made->values.assign(others.begin(), others.end());
    if (type_ == MetricType::Histogram) made->histogram = std::make_unique<Histogram>(bounds_);
    if (other_.compare_exchange_strong(o, made, std::memory_order_acq_rel)) return *made;
    delete made;
  }
  return *o;
}

Counter& MetricFamily::counter(std::initializer_list<std::string_view> values) {
  return series(values).counter;
}
Gauge& MetricFamily::gauge(std::initializer_list<std::string_view> values) {
  return series(values).gauge;
}
Histogram& MetricFamily::histogram(std::initializer_list<std::string_view> values) {
  return *series(values).histogram;
}

void MetricFamily::render(std::string& out) const {
  header(out, name_, help_, type_);
  std::vector<const Series*> all;
  for (size_t i = 0; i < kMaxSeries; ++i) {
    if (const Series* s = slots_[i].load(std::memory_order_acquire)) all.push_back(s);
  }
  if (const Series* o = other_.load(std::memory_order_acquire)) all.push_back(o);
  std::sort(all.begin(), all.end(),
            [](const Series* a, const Series* b) { return a->values < b->values; });
  const auto labels = [&](const Series& s, std::string_view extraName, std::string_view extra) {
    std::string l;
    for (size_t i = 0; i < labels_.size(); ++i) {
      l += (l.empty() ? "" : ",") + labels_[i] + "=\"";
      appendEscaped(l, s.values[i]);
      l += '"';
    }
    if (!extraName.empty())
      l += (l.empty() ? "" : ",") + std::string(extraName) + "=\"" + std::string(extra) + "\"";
    return l.empty() ? l : "{" + l + "}";
  };
  for (const Series* s : all) {
    if (type_ == MetricType::Counter) {
      out += name_ + labels(*s, "", "") + " " + std::to_string(s->counter.value()) + "\n";
    } else if (type_ == MetricType::Gauge) {
      out += name_ + labels(*s, "", "") + " " + number(s->gauge.value()) + "\n";
    } else {
      const Histogram& h = *s->histogram;
      uint64_t cumulative = 0;
      for (size_t i = 0; i < h.bounds().size(); ++i) {
        cumulative += h.bucket(i);
        out += name_ + "_bucket" + labels(*s, "le", number(h.bounds()[i])) + " " +
               std::to_string(cumulative) + "\n";
      }
      // The count is read once: +Inf and _count agree even while observations come in.
      const uint64_t count = std::max(h.count(), cumulative + h.bucket(h.bounds().size()));
      out += name_ + "_bucket" + labels(*s, "le", "+Inf") + " " + std::to_string(count) + "\n";
      out += name_ + "_sum" + labels(*s, "", "") + " " + number(h.sum()) + "\n";
      out += name_ + "_count" + labels(*s, "", "") + " " + std::to_string(count) + "\n";
    }
  }
}

MetricFamily& MetricsRegistry::family(std::string name, std::string help, MetricType type,
                                      std::vector<std::string> labels, std::vector<double> bounds) {
  std::lock_guard lock(mutex_);
  for (auto& f : families_) {
    if (f->name() == name) return *f;
  }
  order_.push_back(name);
  families_.push_back(std::make_unique<MetricFamily>(std::move(name), std::move(help), type,
                                                     std::move(labels), std::move(bounds)));
  return *families_.back();
}

MetricFamily& MetricsRegistry::counter(std::string name, std::string help,
                                       std::vector<std::string> labels) {
  return family(std::move(name), std::move(help), MetricType::Counter, std::move(labels), {});
}
MetricFamily& MetricsRegistry::gauge(std::string name, std::string help,
                                     std::vector<std::string> labels) {
  return family(std::move(name), std::move(help), MetricType::Gauge, std::move(labels), {});
}
MetricFamily& MetricsRegistry::histogram(std::string name, std::string help,
                                         std::vector<double> bounds,
                                         std::vector<std::string> labels) {
  return family(std::move(name), std::move(help), MetricType::Histogram, std::move(labels),
                std::move(bounds));
}

void MetricsRegistry::callback(std::string name, std::string help, MetricType type,
                               std::function<double()> read) {
  std::lock_guard lock(mutex_);
  order_.push_back(name);
  callbacks_.push_back({std::move(name), std::move(help), type, std::move(read)});
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const std::string& name : order_) {
    for (const auto& f : families_) {
      if (f->name() == name) f->render(out);
    }
    for (const Callback& c : callbacks_) {
      if (c.name != name) continue;
      header(out, c.name, c.help, c.type);
      out += c.name + " " + number(c.read()) + "\n";
    }
  }
  return out;
}

const std::vector<double>& latencyBuckets() {
  static const std::vector<double> k = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return k;
}

const std::vector<double>& sizeBuckets() {
  static const std::vector<double> k = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
  return k;
}

}  // namespace trialbridge::core
