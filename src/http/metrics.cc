#include "http/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace duet::http {

namespace {

bool valid_name(std::string_view n, bool allow_colon) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (allow_colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "duet::http::MetricsRegistry: %s\n", msg.c_str());
  std::abort();
}

void escape_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

std::string escape_help(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  char buf[32];
  for (int precision = 6; precision <= 17; ++precision) {  // shortest exact form
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string render_labels(const Labels& labels) {
  if (labels.empty()) return {};
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  std::string out = "{";
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (!valid_name(sorted[i].first, false) || sorted[i].first == "le")
      die("invalid label name: " + sorted[i].first);
    if (i) out += ',';
    out += sorted[i].first;
    out += "=\"";
    escape_label_value(out, sorted[i].second);
    out += '"';
  }
  out += '}';
  return out;
}

// Inserts an extra label (le="…") into a rendered label set.
std::string with_le(const std::string& labels, const std::string& le) {
  std::string extra = "le=\"" + le + "\"";
  if (labels.empty()) return "{" + extra + "}";
  return labels.substr(0, labels.size() - 1) + "," + extra + "}";
}

const char* type_name(MetricsRegistry::Type t) {
  switch (t) {
    case MetricsRegistry::Type::kCounter: return "counter";
    case MetricsRegistry::Type::kGauge: return "gauge";
    case MetricsRegistry::Type::kHistogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  std::erase_if(bounds_, [](double b) { return std::isinf(b) || std::isnan(b); });
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) {
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::bucket_counts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}

const std::vector<double>& default_latency_buckets() {
  static const std::vector<double> b = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                        0.25,  0.5,    1.0,   2.5,  3.0,   5.0,  10.0};
  return b;
}

void MetricsRegistry::declare(std::string_view name, Type type, std::string_view help,
                              std::vector<double> buckets) {
  if (!valid_name(name, true)) die("invalid metric name: " + std::string(name));
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    if (it->second.type != type) die("metric redeclared with another type: " + std::string(name));
    if (it->second.help.empty()) it->second.help = std::string(help);
    return;
  }
  Family f;
  f.type = type;
  f.help = std::string(help);
  if (type == Type::kHistogram) f.buckets = buckets.empty() ? default_latency_buckets() : std::move(buckets);
  families_.emplace(std::string(name), std::move(f));
}

MetricsRegistry::Series& MetricsRegistry::series(std::string_view name, Type type,
                                                 const Labels& labels) {
  std::string key = render_labels(labels);
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    if (!valid_name(name, true)) die("invalid metric name: " + std::string(name));
    Family f;
    f.type = type;
    if (type == Type::kHistogram) f.buckets = default_latency_buckets();
    it = families_.emplace(std::string(name), std::move(f)).first;
  } else if (it->second.type != type) {
    die("metric used with another type: " + std::string(name));
  }
  Series& s = it->second.series[key];
  switch (type) {
    case Type::kCounter:
      if (!s.counter) s.counter = std::make_unique<Counter>();
      break;
    case Type::kGauge:
      if (!s.gauge) s.gauge = std::make_unique<Gauge>();
      break;
    case Type::kHistogram:
      if (!s.histogram) s.histogram = std::make_unique<Histogram>(it->second.buckets);
      break;
  }
  return s;
}

Counter& MetricsRegistry::counter(std::string_view name, const Labels& labels) {
  return *series(name, Type::kCounter, labels).counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, const Labels& labels) {
  return *series(name, Type::kGauge, labels).gauge;
}

Histogram& MetricsRegistry::histogram(std::string_view name, const Labels& labels) {
  return *series(name, Type::kHistogram, labels).histogram;
}

std::string MetricsRegistry::render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& [name, f] : families_) {
    if (!f.help.empty()) out += "# HELP " + name + " " + escape_help(f.help) + "\n";
    out += "# TYPE " + name + " " + type_name(f.type) + "\n";
    for (const auto& [labels, s] : f.series) {
      switch (f.type) {
        case Type::kCounter:
          out += name + labels + " " + format_value(s.counter->value()) + "\n";
          break;
        case Type::kGauge:
          out += name + labels + " " + format_value(s.gauge->value()) + "\n";
          break;
        case Type::kHistogram: {
          const Histogram& h = *s.histogram;
          std::vector<uint64_t> counts = h.bucket_counts();
          uint64_t cumulative = 0;
          for (size_t i = 0; i < h.upper_bounds().size(); ++i) {
            cumulative += counts[i];
            out += name + "_bucket" + with_le(labels, format_value(h.upper_bounds()[i])) + " " +
                   std::to_string(cumulative) + "\n";
          }
          cumulative += counts.back();
          out += name + "_bucket" + with_le(labels, "+Inf") + " " + std::to_string(cumulative) + "\n";
          out += name + "_sum" + labels + " " + format_value(h.sum()) + "\n";
          // _count equals the +Inf bucket (consistent even while observations race).
          out += name + "_count" + labels + " " + std::to_string(cumulative) + "\n";
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace duet::http
