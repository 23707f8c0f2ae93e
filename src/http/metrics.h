// A small metrics registry rendered in the Prometheus text exposition format
// (version 0.0.4). Families are declared once (name, help, type, histogram
// buckets); series are created on first use per label set. Handles returned by
// counter()/gauge()/histogram() stay valid for the registry's lifetime and are
// thread-safe; keep them for hot paths to skip the lookup.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace duet::http {

// Label name -> value. Names must match [a-zA-Z_][a-zA-Z0-9_]*; values are escaped.
using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(double v = 1.0) { if (v > 0) value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);
  // Per-bucket (non-cumulative) counts, the +Inf bucket last.
  std::vector<uint64_t> bucket_counts() const;
  const std::vector<double>& upper_bounds() const { return bounds_; }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

// Latency buckets in seconds, 1 ms … 10 s (the SLA's 100 ms average and 3 s
// maximum fall on bucket edges).
const std::vector<double>& default_latency_buckets();

class MetricsRegistry {
 public:
  enum class Type { kCounter, kGauge, kHistogram };

  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Declares a family. Re-declaring with the same type is a no-op; the first
  // help text and buckets win. A different type for a known name aborts
  // (programming error), as do invalid metric or label names.
  void declare(std::string_view name, Type type, std::string_view help,
               std::vector<double> buckets = {});

  // The series for `labels` (declared on the fly with empty help if needed;
  // histograms then get default_latency_buckets()).
  Counter& counter(std::string_view name, const Labels& labels = {});
  Gauge& gauge(std::string_view name, const Labels& labels = {});
  Histogram& histogram(std::string_view name, const Labels& labels = {});

  // Prometheus text format, families sorted by name, series by label set.
  std::string render() const;

 private:
  struct Series {
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    Type type = Type::kCounter;
    std::string help;
    std::vector<double> buckets;
    std::map<std::string, Series> series;  // key: rendered label set "{a="x",b="y"}" or ""
  };
  Series& series(std::string_view name, Type type, const Labels& labels);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
};

}  // namespace duet::http
