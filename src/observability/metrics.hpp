#pragma once
// Metrics: counters (and, later, gauges and histograms) with labels, exported in Prometheus text
// format. Every branch of a middleware or service bumps exactly one counter per outcome; tests
// assert counters by their exported names, e.g.
//   metrics.Value("callgate_retell_signature_total", {{"outcome", "stale"}}).

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace callgate::observability {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  // Declares a metric family with its help text (first declaration wins). Optional: families
  // are created on first use, but declared ones appear in the output even before first use.
  void Describe(std::string_view name, std::string_view help);

  // Adds `by` (≥ 0) to the counter `name{labels}`. Label order does not matter. Thread-safe.
  void Increment(std::string_view name, const Labels& labels = {}, double by = 1);

  // The current value of `name{labels}` (0 when never incremented). Thread-safe.
  double Value(std::string_view name, const Labels& labels = {}) const;

  // Prometheus text exposition format 0.0.4 of every metric, sorted by name and labels.
  std::string RenderPrometheus() const;

 private:
  static std::string Key(const Labels& labels);

  mutable std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> help_;
  // name → (canonical label string → value)
  std::map<std::string, std::map<std::string, double>, std::less<>> counters_;
};

}  // namespace callgate::observability
