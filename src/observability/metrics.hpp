#pragma once
// Metrics: counters, gauges (set/add, or callbacks evaluated at render time) and histograms
// with fixed buckets, all with labels, exported in Prometheus text format 0.0.4. Every branch of
// a middleware or service bumps exactly one counter per outcome; tests assert metrics by their
// exported names, e.g.
//   metrics.Value("callgate_retell_signature_total", {{"outcome", "stale"}}).
// Values are atomics: Increment/Observe look the series up under the registry's lock and add
// without it; a hot path resolves its series once (CounterSeries, HistogramSeries) and then adds
// with no label key, lookup or lock at all.

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace callgate::observability {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Upper bounds (ms) used by histograms that are not declared with their own buckets:
// 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000 (+Inf is implicit).
const std::vector<double>& DefaultLatencyBucketsMs();

// One histogram series (or several added up): cumulative bucket counts per upper bound.
struct HistogramData {
  std::vector<double> bounds;             // ascending upper bounds, without +Inf
  std::vector<std::uint64_t> cumulative;  // bounds.size() + 1 entries; the last is +Inf
  double sum = 0;
  std::uint64_t count = 0;

  // Estimated q-quantile (0 < q ≤ 1) by linear interpolation inside the bucket, as Prometheus'
  // histogram_quantile does; 0 when empty; the largest finite bound when it falls into +Inf.
  double Quantile(double q) const;
};

// One series of a callback gauge.
struct GaugeSample {
  Labels labels;
  double value = 0;
};

class Metrics {
  struct Series;

 public:
  // A counter series resolved once: Add is one atomic addition. Valid while the Metrics lives;
  // a default-constructed handle adds nothing.
  class CounterHandle {
   public:
    // Adds `by` (≥ 0; others are ignored). Thread-safe.
    void Add(double by = 1) const noexcept;

   private:
    friend class Metrics;
    Series* series_ = nullptr;
  };
  // A histogram series resolved once: Observe is a few atomic additions. Valid while the
  // Metrics lives; a default-constructed handle records nothing.
  class HistogramHandle {
   public:
    // Records one observation (NaN is ignored). Thread-safe.
    void Observe(double value) const noexcept;

   private:
    friend class Metrics;
    Series* series_ = nullptr;
    const std::vector<double>* bounds_ = nullptr;
  };

  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Declares a counter family with its help text (first declaration wins). Optional: families
  // are created on first use, but declared ones appear in the output even before first use.
  void Describe(std::string_view name, std::string_view help);
  // Declares a gauge family. Thread-safe.
  void DescribeGauge(std::string_view name, std::string_view help);
  // Declares a histogram family with ascending upper bounds (empty = DefaultLatencyBucketsMs).
  // The first declaration's buckets stay. Thread-safe.
  void DescribeHistogram(std::string_view name, std::string_view help,
                         std::vector<double> bounds = {});

  // Adds `by` (≥ 0) to the counter `name{labels}`. Label order does not matter. Thread-safe.
  void Increment(std::string_view name, const Labels& labels = {}, double by = 1);

  // The counter `name{labels}`, created (at 0, so it is exported from now on) when new; a
  // handle that adds nothing when `name` is another kind of family. Thread-safe.
  CounterHandle CounterSeries(std::string_view name, const Labels& labels = {});
  // The histogram `name{labels}`, created when new (a family with the default buckets when
  // `name` is); a handle that records nothing when `name` is another kind. Thread-safe.
  HistogramHandle HistogramSeries(std::string_view name, const Labels& labels);

  // Sets / adds to the gauge `name{labels}` (creating a gauge family on first use). Thread-safe.
  void SetGauge(std::string_view name, const Labels& labels, double value);
  void AddGauge(std::string_view name, const Labels& labels, double delta);

  // Registers a gauge family whose series come from `read` each time the metrics are rendered
  // or read with Value(). `read` runs without the registry lock held (it may use this registry)
  // and must be thread-safe and quick. Replaces an earlier callback of the same name.
  void SetGaugeCallback(std::string_view name, std::string_view help,
                        std::function<std::vector<GaugeSample>()> read);
  // The same for a counter family: `read` reports totals another component keeps (they only
  // grow while the process runs), rendered as a Prometheus counter.
  void SetCounterCallback(std::string_view name, std::string_view help,
                          std::function<std::vector<GaugeSample>()> read);

  // Records one observation into the histogram `name{labels}` (a family with the default
  // buckets is created on first use). NaN is ignored. Thread-safe.
  void Observe(std::string_view name, const Labels& labels, double value);

  // The current value of the counter or gauge `name{labels}` (callback gauges are evaluated);
  // for a histogram its observation count; 0 when unknown. Thread-safe.
  double Value(std::string_view name, const Labels& labels = {}) const;

  // The histogram `name{labels}` (empty data when unknown). Thread-safe.
  HistogramData Histogram(std::string_view name, const Labels& labels = {}) const;

  // The histograms of family `name` whose labels satisfy `match`, added up. Thread-safe.
  HistogramData SumHistograms(std::string_view name,
                              const std::function<bool(const Labels&)>& match) const;

  // The sum of counter/gauge series of family `name` whose labels satisfy `match`. Thread-safe.
  double Sum(std::string_view name, const std::function<bool(const Labels&)>& match) const;

  // Prometheus text exposition format 0.0.4 of every metric, sorted by name and labels.
  std::string RenderPrometheus() const;

 private:
  struct Family;
  static std::string Key(const Labels& labels);
  // The series `key` of `f`, created with `labels` when new. Under mutex_.
  static Series& SeriesLocked(Family& f, std::string key, const Labels& labels);
  static void ObserveInto(Series& s, const std::vector<double>& bounds, double value) noexcept;
  Family& FamilyLocked(std::string_view name, int type);
  std::map<std::string, std::vector<GaugeSample>, std::less<>> EvaluateCallbacks() const;

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;
  struct CallbackFamily {
    std::string help;
    std::function<std::vector<GaugeSample>()> read;
    bool counter = false;  // rendered as a counter, else as a gauge
  };
  std::map<std::string, CallbackFamily, std::less<>> callbacks_;
};

// Series of one kind (Metrics::CounterHandle or Metrics::HistogramHandle) keyed by family name and
// label values, each resolved on first use and kept: finding one is a lookup under a shared lock,
// with no label strings built and no registry lock. For hot paths that count or time by a few
// values from small sets (routes, platforms, events, tools, outcomes); the values must not come
// from callers unchecked (each combination is kept for good). Thread-safe; `metrics` must
// outlive it.
template <typename Handle>
class SeriesCache {
 public:
  SeriesCache(Metrics& metrics, std::vector<std::string> label_names);
  // The series name{label_names[i]=values[i], …}; an inert handle unless `values` has one value
  // per label name. Const: what it keeps is a cache of the registry's series.
  Handle Get(std::string_view name, std::initializer_list<std::string_view> values) const;

 private:
  Metrics& metrics_;
  const std::vector<std::string> label_names_;
  mutable std::shared_mutex mutex_;
  // By name and values, each with its length first.
  mutable std::map<std::string, Handle, std::less<>> handles_;
};

extern template class SeriesCache<Metrics::CounterHandle>;
extern template class SeriesCache<Metrics::HistogramHandle>;

// Counters by family name and label values (SeriesCache): counting is a lookup under a shared
// lock and one atomic addition.
class CounterCache : public SeriesCache<Metrics::CounterHandle> {
 public:
  using SeriesCache::SeriesCache;
  // Adds `by` (≥ 0) to name{label_names[i]=values[i], …}; one value per label name.
  void Add(std::string_view name, std::initializer_list<std::string_view> values,
           double by = 1) const {
    Get(name, values).Add(by);
  }
};

}  // namespace callgate::observability
