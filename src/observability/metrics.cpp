#include "observability/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace callgate::observability {
namespace {

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<long long>(v));
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

std::string Metrics::Key(const Labels& labels) {
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  std::string key;
  for (const auto& [k, v] : sorted) {
    if (!key.empty()) key.push_back(',');
    key += k + "=\"" + EscapeLabelValue(v) + "\"";
  }
  return key;
}

void Metrics::Describe(std::string_view name, std::string_view help) {
  std::lock_guard lock(mutex_);
  help_.try_emplace(std::string(name), std::string(help));
  counters_.try_emplace(std::string(name));
}

void Metrics::Increment(std::string_view name, const Labels& labels, double by) {
  if (by < 0) return;
  const std::string key = Key(labels);
  std::lock_guard lock(mutex_);
  auto it = counters_.find(name);
  if (it == counters_.end())
    it = counters_.emplace(std::string(name), std::map<std::string, double>{}).first;
  it->second[key] += by;
}

double Metrics::Value(std::string_view name, const Labels& labels) const {
  const std::string key = Key(labels);
  std::lock_guard lock(mutex_);
  auto it = counters_.find(name);
  if (it == counters_.end()) return 0;
  auto v = it->second.find(key);
  return v == it->second.end() ? 0 : v->second;
}

std::string Metrics::RenderPrometheus() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, series] : counters_) {
    if (auto h = help_.find(name); h != help_.end()) {
      out += "# HELP " + name + " " + h->second + "\n";
    }
    out += "# TYPE " + name + " counter\n";
    for (const auto& [labels, value] : series) {
      out += name;
      if (!labels.empty()) out += "{" + labels + "}";
      out += " " + FormatValue(value) + "\n";
    }
  }
  return out;
}

}  // namespace callgate::observability
