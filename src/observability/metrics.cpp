#include "observability/metrics.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <span>
#include <type_traits>

namespace callgate::observability {
namespace {

enum Type { kCounter = 0, kGauge = 1, kHistogram = 2 };

void AppendEscapedLabelValue(std::string& out, std::string_view v) {
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
}

std::string EscapeHelp(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<long long>(v));
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string_view TypeName(int type) {
  switch (type) {
    case kGauge:
      return "gauge";
    case kHistogram:
      return "histogram";
    default:
      return "counter";
  }
}

std::string SeriesName(const std::string& name, const std::string& labels) {
  return labels.empty() ? name : name + "{" + labels + "}";
}

}  // namespace

struct Metrics::Series {
  Labels labels;
  std::atomic<double> value{0};
  // Histogram: non-cumulative, bounds.size() + 1 (fixed once created, as the bounds are).
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets;
  std::atomic<double> sum{0};
  std::atomic<std::uint64_t> count{0};
};

struct Metrics::Family {
  int type = kCounter;
  std::string help;
  std::vector<double> bounds;
  std::map<std::string, Series> series;  // canonical label string → series
};

const std::vector<double>& DefaultLatencyBucketsMs() {
  static const std::vector<double> buckets = {5,   10,   25,   50,   100,  250,
                                              500, 1000, 2500, 5000, 10000};
  return buckets;
}

double HistogramData::Quantile(double q) const {
  if (count == 0 || cumulative.empty()) return 0;
  const double rank = q * static_cast<double>(count);
  for (std::size_t i = 0; i < cumulative.size(); ++i) {
    if (static_cast<double>(cumulative[i]) < rank) continue;
    if (i == bounds.size()) return bounds.empty() ? 0 : bounds.back();
    const double lower = i == 0 ? 0 : bounds[i - 1];
    const double below = i == 0 ? 0 : static_cast<double>(cumulative[i - 1]);
    const double in_bucket = static_cast<double>(cumulative[i]) - below;
    if (in_bucket <= 0) return bounds[i];
    return lower + (bounds[i] - lower) * (rank - below) / in_bucket;
  }
  return bounds.empty() ? 0 : bounds.back();
}

Metrics::Metrics() = default;
Metrics::~Metrics() = default;

std::string Metrics::Key(const Labels& labels) {
  // Called on every increment: sort pointers instead of copying the labels, and write the key
  // in place instead of concatenating temporaries.
  std::array<const std::pair<std::string, std::string>*, 8> small{};
  std::vector<const std::pair<std::string, std::string>*> large;
  std::span<const std::pair<std::string, std::string>*> order;
  if (labels.size() <= small.size()) {
    order = std::span(small.data(), labels.size());
  } else {
    large.resize(labels.size());
    order = large;
  }
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    order[i] = &labels[i];
    bytes += labels[i].first.size() + labels[i].second.size() + 4;
  }
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) { return *a < *b; });
  std::string key;
  key.reserve(bytes);
  for (const auto* label : order) {
    if (!key.empty()) key.push_back(',');
    key += label->first;
    key += "=\"";
    AppendEscapedLabelValue(key, label->second);
    key.push_back('"');
  }
  return key;
}

Metrics::Family& Metrics::FamilyLocked(std::string_view name, int type) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto family = std::make_unique<Family>();
    family->type = type;
    if (type == kHistogram) family->bounds = DefaultLatencyBucketsMs();
    it = families_.emplace(std::string(name), std::move(family)).first;
  }
  return *it->second;
}

void Metrics::Describe(std::string_view name, std::string_view help) {
  std::lock_guard lock(mutex_);
  Family& f = FamilyLocked(name, kCounter);
  if (f.help.empty()) f.help = std::string(help);
}

void Metrics::DescribeGauge(std::string_view name, std::string_view help) {
  std::lock_guard lock(mutex_);
  Family& f = FamilyLocked(name, kGauge);
  if (f.help.empty()) f.help = std::string(help);
}

void Metrics::DescribeHistogram(std::string_view name, std::string_view help,
                                std::vector<double> bounds) {
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  std::erase_if(bounds, [](double b) { return !std::isfinite(b); });
  std::lock_guard lock(mutex_);
  const bool existed = families_.find(name) != families_.end();
  Family& f = FamilyLocked(name, kHistogram);
  if (f.help.empty()) f.help = std::string(help);
  if (!existed && !bounds.empty()) f.bounds = std::move(bounds);
}

Metrics::Series& Metrics::SeriesLocked(Family& f, std::string key, const Labels& labels) {
  auto [it, inserted] = f.series.try_emplace(std::move(key));
  Series& s = it->second;
  if (inserted) {
    s.labels = labels;
    if (f.type == kHistogram) {
      s.buckets = std::make_unique<std::atomic<std::uint64_t>[]>(f.bounds.size() + 1);
    }
  }
  return s;
}

void Metrics::Increment(std::string_view name, const Labels& labels, double by) {
  if (by < 0 || std::isnan(by)) return;
  std::string key = Key(labels);
  std::lock_guard lock(mutex_);
  Family& f = FamilyLocked(name, kCounter);
  if (f.type == kHistogram) return;
  SeriesLocked(f, std::move(key), labels).value.fetch_add(by, std::memory_order_relaxed);
}

Metrics::CounterHandle Metrics::CounterSeries(std::string_view name, const Labels& labels) {
  std::string key = Key(labels);
  std::lock_guard lock(mutex_);
  Family& f = FamilyLocked(name, kCounter);
  CounterHandle handle;
  if (f.type == kCounter) handle.series_ = &SeriesLocked(f, std::move(key), labels);
  return handle;
}

void Metrics::CounterHandle::Add(double by) const noexcept {
  if (series_ == nullptr || by < 0 || std::isnan(by)) return;
  series_->value.fetch_add(by, std::memory_order_relaxed);
}

void Metrics::SetGauge(std::string_view name, const Labels& labels, double value) {
  std::string key = Key(labels);
  std::lock_guard lock(mutex_);
  Family& f = FamilyLocked(name, kGauge);
  if (f.type != kGauge) return;
  SeriesLocked(f, std::move(key), labels).value.store(value, std::memory_order_relaxed);
}

void Metrics::AddGauge(std::string_view name, const Labels& labels, double delta) {
  std::string key = Key(labels);
  std::lock_guard lock(mutex_);
  Family& f = FamilyLocked(name, kGauge);
  if (f.type != kGauge) return;
  SeriesLocked(f, std::move(key), labels).value.fetch_add(delta, std::memory_order_relaxed);
}

void Metrics::SetGaugeCallback(std::string_view name, std::string_view help,
                               std::function<std::vector<GaugeSample>()> read) {
  std::lock_guard lock(mutex_);
  callbacks_[std::string(name)] = {std::string(help), std::move(read), false};
}

void Metrics::SetCounterCallback(std::string_view name, std::string_view help,
                                 std::function<std::vector<GaugeSample>()> read) {
  std::lock_guard lock(mutex_);
  callbacks_[std::string(name)] = {std::string(help), std::move(read), true};
}

void Metrics::ObserveInto(Series& s, const std::vector<double>& bounds, double value) noexcept {
  const auto slot = std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin();
  // Count and sum first, the bucket last (release): whoever reads a bucket (acquire) and then
  // the count never sees more in the buckets than in the count.
  s.count.fetch_add(1, std::memory_order_relaxed);
  s.sum.fetch_add(value, std::memory_order_relaxed);
  s.buckets[static_cast<std::size_t>(slot)].fetch_add(1, std::memory_order_release);
}

void Metrics::Observe(std::string_view name, const Labels& labels, double value) {
  if (std::isnan(value)) return;
  std::string key = Key(labels);
  std::lock_guard lock(mutex_);
  Family& f = FamilyLocked(name, kHistogram);
  if (f.type != kHistogram) return;
  ObserveInto(SeriesLocked(f, std::move(key), labels), f.bounds, value);
}

Metrics::HistogramHandle Metrics::HistogramSeries(std::string_view name, const Labels& labels) {
  std::string key = Key(labels);
  std::lock_guard lock(mutex_);
  Family& f = FamilyLocked(name, kHistogram);
  HistogramHandle handle;
  if (f.type != kHistogram) return handle;
  handle.series_ = &SeriesLocked(f, std::move(key), labels);
  handle.bounds_ = &f.bounds;
  return handle;
}

void Metrics::HistogramHandle::Observe(double value) const noexcept {
  if (series_ == nullptr || std::isnan(value)) return;
  ObserveInto(*series_, *bounds_, value);
}

std::map<std::string, std::vector<GaugeSample>, std::less<>> Metrics::EvaluateCallbacks() const {
  std::vector<std::pair<std::string, std::function<std::vector<GaugeSample>()>>> copies;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, entry] : callbacks_) copies.emplace_back(name, entry.read);
  }
  std::map<std::string, std::vector<GaugeSample>, std::less<>> out;
  for (auto& [name, read] : copies) out[name] = read ? read() : std::vector<GaugeSample>{};
  return out;
}

double Metrics::Value(std::string_view name, const Labels& labels) const {
  const std::string key = Key(labels);
  {
    std::lock_guard lock(mutex_);
    if (auto it = families_.find(name); it != families_.end()) {
      auto s = it->second->series.find(key);
      if (s == it->second->series.end()) return 0;
      return it->second->type == kHistogram ? static_cast<double>(s->second.count.load())
                                            : s->second.value.load();
    }
    if (callbacks_.find(name) == callbacks_.end()) return 0;
  }
  const auto evaluated = EvaluateCallbacks();
  auto it = evaluated.find(name);
  if (it == evaluated.end()) return 0;
  for (const auto& sample : it->second) {
    if (Key(sample.labels) == key) return sample.value;
  }
  return 0;
}

namespace {
// Reads the buckets before the sum and count (see ObserveInto).
void AddInto(HistogramData& into, const std::vector<double>& bounds,
             const std::atomic<std::uint64_t>* buckets, const std::atomic<double>& sum,
             const std::atomic<std::uint64_t>& count) {
  if (into.cumulative.empty()) {
    into.bounds = bounds;
    into.cumulative.assign(bounds.size() + 1, 0);
  }
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds.size() && i < into.cumulative.size(); ++i) {
    running += buckets[i].load(std::memory_order_acquire);
    into.cumulative[i] += running;
  }
  into.sum += sum.load(std::memory_order_relaxed);
  into.count += count.load(std::memory_order_relaxed);
}
}  // namespace

HistogramData Metrics::Histogram(std::string_view name, const Labels& labels) const {
  const std::string key = Key(labels);
  return SumHistograms(name, [&key](const Labels& l) { return Key(l) == key; });
}

HistogramData Metrics::SumHistograms(std::string_view name,
                                     const std::function<bool(const Labels&)>& match) const {
  HistogramData out;
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end() || it->second->type != kHistogram) return out;
  out.bounds = it->second->bounds;
  out.cumulative.assign(out.bounds.size() + 1, 0);
  for (const auto& [key, s] : it->second->series) {
    if (match(s.labels)) {
      AddInto(out, it->second->bounds, s.buckets.get(), s.sum, s.count);
    }
  }
  return out;
}

double Metrics::Sum(std::string_view name, const std::function<bool(const Labels&)>& match) const {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end() || it->second->type == kHistogram) return 0;
  double total = 0;
  for (const auto& [key, s] : it->second->series) {
    if (match(s.labels)) total += s.value.load();
  }
  return total;
}

std::string Metrics::RenderPrometheus() const {
  const auto evaluated = EvaluateCallbacks();
  std::string out;
  std::lock_guard lock(mutex_);
  // Families and callback gauges, merged in name order.
  std::vector<std::string> names;
  for (const auto& [name, f] : families_) names.push_back(name);
  for (const auto& [name, entry] : callbacks_) {
    if (families_.find(name) == families_.end()) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    if (auto f = families_.find(name); f != families_.end()) {
      const Family& family = *f->second;
      if (!family.help.empty()) out += "# HELP " + name + " " + EscapeHelp(family.help) + "\n";
      out += "# TYPE " + name + " " + std::string(TypeName(family.type)) + "\n";
      for (const auto& [labels, s] : family.series) {
        if (family.type != kHistogram) {
          out += SeriesName(name, labels) + " " + FormatValue(s.value.load()) + "\n";
          continue;
        }
        std::uint64_t running = 0;
        const std::string prefix = labels.empty() ? "" : labels + ",";
        for (std::size_t i = 0; i <= family.bounds.size(); ++i) {
          running += s.buckets[i].load(std::memory_order_acquire);
          const std::string le = i == family.bounds.size() ? "+Inf" : FormatValue(family.bounds[i]);
          out += name + "_bucket{" + prefix + "le=\"" + le + "\"} " +
                 FormatValue(static_cast<double>(running)) + "\n";
        }
        // Observations through a handle do not take the lock: read after the buckets, the
        // count may include an observation the buckets do not show yet, never the reverse.
        out += SeriesName(name + "_sum", labels) + " " + FormatValue(s.sum.load()) + "\n";
        out += SeriesName(name + "_count", labels) + " " +
               FormatValue(static_cast<double>(s.count.load())) + "\n";
      }
      continue;
    }
    const auto& entry = callbacks_.find(name)->second;
    if (!entry.help.empty()) out += "# HELP " + name + " " + EscapeHelp(entry.help) + "\n";
    out += "# TYPE " + name + (entry.counter ? " counter\n" : " gauge\n");
    auto samples = evaluated.find(name);
    if (samples == evaluated.end()) continue;
    std::map<std::string, double> sorted;
    for (const auto& sample : samples->second) sorted[Key(sample.labels)] = sample.value;
    for (const auto& [labels, value] : sorted) {
      out += SeriesName(name, labels) + " " + FormatValue(value) + "\n";
    }
  }
  return out;
}

template <typename Handle>
SeriesCache<Handle>::SeriesCache(Metrics& metrics, std::vector<std::string> label_names)
    : metrics_(metrics), label_names_(std::move(label_names)) {}

template <typename Handle>
Handle SeriesCache<Handle>::Get(std::string_view name,
                                std::initializer_list<std::string_view> values) const {
  if (values.size() != label_names_.size()) return Handle{};
  // Each part with its length first, so no two combinations share a key. Reused: no allocation
  // once it is long enough.
  thread_local std::string key;
  key.clear();
  const auto append = [](std::string_view part) {
    key.append(std::to_string(part.size())).push_back(':');
    key.append(part);
  };
  append(name);
  for (std::string_view value : values) append(value);
  {
    std::shared_lock lock(mutex_);
    if (auto it = handles_.find(std::string_view(key)); it != handles_.end()) return it->second;
  }
  Labels labels;
  labels.reserve(values.size());
  auto value = values.begin();
  for (const std::string& label : label_names_) labels.emplace_back(label, *value++);
  Handle handle;
  if constexpr (std::is_same_v<Handle, Metrics::CounterHandle>) {
    handle = metrics_.CounterSeries(name, labels);
  } else {
    handle = metrics_.HistogramSeries(name, labels);
  }
  std::unique_lock lock(mutex_);
  handles_.try_emplace(key, handle);
  return handle;
}

template class SeriesCache<Metrics::CounterHandle>;
template class SeriesCache<Metrics::HistogramHandle>;

}  // namespace callgate::observability
