#include "observability/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "observability/standard_metrics.hpp"

namespace callgate::observability {
namespace {

TEST(Metrics, CountsPerLabelSetRegardlessOfLabelOrder) {
  Metrics m;
  m.Increment("callgate_x_total", {{"a", "1"}, {"b", "2"}});
  m.Increment("callgate_x_total", {{"b", "2"}, {"a", "1"}}, 2);
  m.Increment("callgate_x_total", {{"a", "other"}});
  EXPECT_EQ(m.Value("callgate_x_total", {{"a", "1"}, {"b", "2"}}), 3);
  EXPECT_EQ(m.Value("callgate_x_total", {{"a", "other"}}), 1);
  EXPECT_EQ(m.Value("callgate_x_total", {{"a", "none"}}), 0);
  EXPECT_EQ(m.Value("callgate_unknown_total"), 0);
  // More labels than the key builder sorts on the stack, in two orders.
  Labels many;
  for (char c = 'a'; c <= 'k'; ++c) many.emplace_back(std::string(1, c), std::string(2, c));
  Labels reversed(many.rbegin(), many.rend());
  m.Increment("callgate_many_total", many);
  m.Increment("callgate_many_total", reversed);
  EXPECT_EQ(m.Value("callgate_many_total", many), 2);
  // A value with a quote is its own series, not a prefix of another.
  m.Increment("callgate_x_total", {{"a", "1\",b=\"2"}});
  EXPECT_EQ(m.Value("callgate_x_total", {{"a", "1"}, {"b", "2"}}), 3);
}

TEST(Metrics, RendersPrometheusText) {
  Metrics m;
  m.Describe("callgate_requests_total", "HTTP requests");
  m.Increment("callgate_requests_total", {{"route", "/health"}, {"status", "200"}});
  m.Increment("callgate_weird_total", {{"v", "a\"b\\c"}});
  EXPECT_EQ(m.RenderPrometheus(),
            "# HELP callgate_requests_total HTTP requests\n"
            "# TYPE callgate_requests_total counter\n"
            "callgate_requests_total{route=\"/health\",status=\"200\"} 1\n"
            "# TYPE callgate_weird_total counter\n"
            "callgate_weird_total{v=\"a\\\"b\\\\c\"} 1\n");
}

// A strict parser of the Prometheus text exposition format 0.0.4, enough to validate our
// output line by line: comments, TYPE before samples, sample names belonging to the current
// family, label syntax and escapes, values, no duplicate series, cumulative histogram buckets
// ending in +Inf equal to _count.
struct Exposition {
  std::map<std::string, std::string> types;  // family → type
  std::map<std::string, double> samples;     // "name{labels}" → value
  std::vector<std::string> errors;
};

Exposition ParseExposition(const std::string& text) {
  Exposition out;
  static const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static const std::regex kHelp("# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)");
  static const std::regex kType(
      "# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? )"
      R"(([-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf)|NaN))");
  static const std::regex kLabel(R"(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)\")");
  std::string family;
  std::string type;
  std::set<std::string> seen_families;
  // histogram series (labels without le) → bucket values in order, and _count
  std::map<std::string, std::vector<std::pair<std::string, double>>> buckets;
  std::map<std::string, double> counts;
  if (!text.empty() && text.back() != '\n') out.errors.push_back("no final newline");
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const std::string where = "line " + std::to_string(n) + ": " + line;
    std::smatch m;
    if (line.empty()) {
      out.errors.push_back(where + " (empty)");
    } else if (line.starts_with("# HELP")) {
      if (!std::regex_match(line, m, kHelp)) out.errors.push_back(where + " (bad HELP)");
    } else if (line.starts_with("# TYPE")) {
      if (!std::regex_match(line, m, kType)) {
        out.errors.push_back(where + " (bad TYPE)");
        continue;
      }
      family = m[1];
      type = m[2];
      if (!seen_families.insert(family).second) out.errors.push_back(where + " (TYPE twice)");
      out.types[family] = type;
    } else if (line.starts_with("#")) {
      // other comments are allowed
    } else if (std::regex_match(line, m, kSample)) {
      const std::string name = m[1];
      const std::string labels = m[3];
      const double value =
          std::stod(m[4].str() == "+Inf" || m[4].str() == "Inf" ? std::string("inf") : m[4].str());
      const std::string series = name + "{" + labels + "}";
      if (!out.samples.emplace(series, value).second)
        out.errors.push_back(where + " (duplicate series)");
      std::string base = name;
      if (type == "histogram") {
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
          if (name == family + suffix) base = family;
        }
      }
      if (base != family) out.errors.push_back(where + " (sample outside its family)");
      std::set<std::string> names;
      std::string le;
      std::string rest;
      for (std::sregex_iterator it(labels.begin(), labels.end(), kLabel), end; it != end; ++it) {
        if (!names.insert((*it)[1]).second) out.errors.push_back(where + " (label twice)");
        if ((*it)[1] == "le") {
          le = (*it)[2];
        } else {
          rest += (*it)[0].str() + ",";
        }
      }
      if (type == "histogram" && name == family + "_bucket") {
        if (le.empty()) out.errors.push_back(where + " (bucket without le)");
        buckets[family + "{" + rest + "}"].emplace_back(le, value);
      }
      if (type == "histogram" && name == family + "_count") {
        std::string key = labels.empty() ? "" : labels + ",";
        counts[family + "{" + key + "}"] = value;
      }
    } else {
      out.errors.push_back(where + " (unparseable)");
    }
  }
  for (const auto& [series, list] : buckets) {
    double prev = -1;
    double prev_le = -1e300;
    for (const auto& [le, value] : list) {
      const double bound = le == "+Inf" ? 1e308 : std::stod(le);
      if (bound <= prev_le) out.errors.push_back(series + " buckets not ascending");
      if (value < prev) out.errors.push_back(series + " buckets not cumulative");
      prev = value;
      prev_le = bound;
    }
    if (list.empty() || list.back().first != "+Inf") {
      out.errors.push_back(series + " without +Inf bucket");
    } else if (counts.count(series) == 0 || counts[series] != list.back().second) {
      out.errors.push_back(series + " +Inf bucket differs from _count");
    }
  }
  return out;
}

TEST(ExpositionParser, RejectsMalformedText) {
  EXPECT_FALSE(ParseExposition("callgate_x{a=\"1\"} one\n").errors.empty());
  EXPECT_FALSE(ParseExposition("# TYPE x counter\ny 1\n").errors.empty());
  EXPECT_FALSE(ParseExposition("# TYPE x counter\nx{a=\"unterminated} 1\n").errors.empty());
  EXPECT_FALSE(ParseExposition("# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                               "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n")
                   .errors.empty());
  EXPECT_TRUE(
      ParseExposition("# HELP x X.\n# TYPE x counter\nx{a=\"q\\\"\"} 1.5\n").errors.empty());
}

TEST(Metrics, HistogramCountsObservationsIntoCumulativeBuckets) {
  Metrics m;
  m.DescribeHistogram("callgate_latency_ms", "Latency", {10, 100});
  for (double v : {1.0, 10.0, 50.0, 500.0}) m.Observe("callgate_latency_ms", {{"r", "a"}}, v);
  const HistogramData h = m.Histogram("callgate_latency_ms", {{"r", "a"}});
  EXPECT_EQ(h.cumulative, (std::vector<std::uint64_t>{2, 3, 4}));
  EXPECT_EQ(h.count, 4u);
  EXPECT_DOUBLE_EQ(h.sum, 561);
  EXPECT_EQ(m.Value("callgate_latency_ms", {{"r", "a"}}), 4);
  const Exposition e = ParseExposition(m.RenderPrometheus());
  EXPECT_TRUE(e.errors.empty()) << ::testing::PrintToString(e.errors);
  EXPECT_EQ(e.types.at("callgate_latency_ms"), "histogram");
  EXPECT_EQ(e.samples.at("callgate_latency_ms_bucket{r=\"a\",le=\"10\"}"), 2);
  EXPECT_EQ(e.samples.at("callgate_latency_ms_bucket{r=\"a\",le=\"+Inf\"}"), 4);
  EXPECT_EQ(e.samples.at("callgate_latency_ms_sum{r=\"a\"}"), 561);
  EXPECT_EQ(e.samples.at("callgate_latency_ms_count{r=\"a\"}"), 4);
}

TEST(Metrics, HistogramUsesDefaultMillisecondBucketsWhenUndeclared) {
  Metrics m;
  m.Observe("callgate_t_ms", {}, 7);
  const HistogramData h = m.Histogram("callgate_t_ms");
  EXPECT_EQ(h.bounds, DefaultLatencyBucketsMs());
  EXPECT_EQ(h.cumulative.front(), 0u);
  EXPECT_EQ(h.cumulative[1], 1u);
}

TEST(Metrics, QuantileInterpolatesInsideTheBucket) {
  Metrics m;
  m.DescribeHistogram("callgate_q_ms", "q", {100, 200});
  for (int i = 0; i < 50; ++i) m.Observe("callgate_q_ms", {}, 50);
  for (int i = 0; i < 50; ++i) m.Observe("callgate_q_ms", {}, 150);
  const HistogramData h = m.Histogram("callgate_q_ms");
  EXPECT_DOUBLE_EQ(h.Quantile(0.5), 100);
  EXPECT_DOUBLE_EQ(h.Quantile(0.75), 150);
  EXPECT_EQ(HistogramData{}.Quantile(0.5), 0);
}

TEST(Metrics, SumsHistogramsAndCountersAcrossMatchingLabels) {
  Metrics m;
  m.Observe("callgate_h_ms", {{"route", "/a"}}, 10);
  m.Observe("callgate_h_ms", {{"route", "/b"}}, 30);
  m.Observe("callgate_h_ms", {{"route", "/c"}}, 1000);
  auto not_c = [](const Labels& l) { return l[0].second != "/c"; };
  EXPECT_EQ(m.SumHistograms("callgate_h_ms", not_c).count, 2u);
  EXPECT_EQ(m.SumHistograms("callgate_h_ms", not_c).sum, 40);
  m.Increment("callgate_c_total", {{"route", "/a"}}, 2);
  m.Increment("callgate_c_total", {{"route", "/c"}}, 5);
  EXPECT_EQ(m.Sum("callgate_c_total", not_c), 2);
}

TEST(Metrics, GaugesSetAddAndRender) {
  Metrics m;
  m.DescribeGauge("callgate_depth", "Depth");
  m.SetGauge("callgate_depth", {{"queue", "high"}}, 5);
  m.AddGauge("callgate_depth", {{"queue", "high"}}, -2);
  m.AddGauge("callgate_depth", {{"queue", "low"}}, 1.5);
  EXPECT_EQ(m.Value("callgate_depth", {{"queue", "high"}}), 3);
  const Exposition e = ParseExposition(m.RenderPrometheus());
  EXPECT_TRUE(e.errors.empty()) << ::testing::PrintToString(e.errors);
  EXPECT_EQ(e.types.at("callgate_depth"), "gauge");
  EXPECT_EQ(e.samples.at("callgate_depth{queue=\"low\"}"), 1.5);
}

TEST(Metrics, CallbackGaugesAreEvaluatedAtRenderTime) {
  Metrics m;
  double level = 1;
  m.SetGaugeCallback("callgate_level", "Level", [&] {
    // A callback may read the registry it belongs to.
    return std::vector<GaugeSample>{{{{"k", "v"}}, level + m.Value("callgate_other_total")}};
  });
  m.Increment("callgate_other_total");
  EXPECT_EQ(m.Value("callgate_level", {{"k", "v"}}), 2);
  level = 10;
  const Exposition e = ParseExposition(m.RenderPrometheus());
  EXPECT_TRUE(e.errors.empty()) << ::testing::PrintToString(e.errors);
  EXPECT_EQ(e.types.at("callgate_level"), "gauge");
  EXPECT_EQ(e.samples.at("callgate_level{k=\"v\"}"), 11);
}

TEST(Metrics, CallbackCountersRenderAsCounters) {
  Metrics m;
  std::uint64_t written = 3;
  m.SetCounterCallback("callgate_written_total", "Written", [&] {
    return std::vector<GaugeSample>{{{{"kind", "a"}}, static_cast<double>(written)}};
  });
  EXPECT_EQ(m.Value("callgate_written_total", {{"kind", "a"}}), 3);
  written = 7;
  const Exposition e = ParseExposition(m.RenderPrometheus());
  EXPECT_TRUE(e.errors.empty()) << ::testing::PrintToString(e.errors);
  EXPECT_EQ(e.types.at("callgate_written_total"), "counter");
  EXPECT_EQ(e.samples.at("callgate_written_total{kind=\"a\"}"), 7);
}

TEST(Metrics, ProcessMetricsReportResidentMemoryAndOpenFds) {
  Metrics m;
  RegisterProcessMetrics(m);
  EXPECT_GT(m.Value("callgate_process_resident_memory_bytes"), 1024 * 1024);
  EXPECT_GE(m.Value("callgate_process_open_fds"), 3);
  const Exposition e = ParseExposition(m.RenderPrometheus());
  EXPECT_TRUE(e.errors.empty()) << ::testing::PrintToString(e.errors);
}

TEST(Metrics, WholeRegistryWithEveryKindRendersValidExposition) {
  Metrics m;
  DescribeStandardMetrics(m);
  RegisterProcessMetrics(m);
  HttpRequestMetrics requests(m);
  requests.Record("POST", "/webhooks/retell", 200, std::chrono::milliseconds(12));
  requests.Record("GET", "", 404, std::chrono::microseconds(300));
  m.Increment("callgate_weird_total", {{"v", "a\"b\\c\nd"}});
  m.SetGauge("callgate_g", {}, -0.25);
  m.Describe("callgate_help_total", "Help with \\ backslash\nand newline");
  const std::string text = m.RenderPrometheus();
  const Exposition e = ParseExposition(text);
  EXPECT_TRUE(e.errors.empty()) << ::testing::PrintToString(e.errors) << text;
  EXPECT_EQ(e.samples.at("callgate_http_requests_total{method=\"POST\",route=\"/webhooks/"
                         "retell\",status=\"200\"}"),
            1);
  EXPECT_EQ(e.samples.at("callgate_http_requests_total{method=\"GET\",route=\"unmatched\","
                         "status=\"404\"}"),
            1);
  EXPECT_EQ(e.samples.at("callgate_http_request_duration_ms_bucket{method=\"POST\",route=\"/"
                         "webhooks/retell\",le=\"25\"}"),
            1);
  EXPECT_EQ(e.samples.at("callgate_http_request_duration_ms_bucket{method=\"POST\",route=\"/"
                         "webhooks/retell\",le=\"10\"}"),
            0);
  EXPECT_EQ(e.types.at("callgate_db_query_duration_ms"), "histogram");
}

TEST(Metrics, IsThreadSafe) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) m.Increment("callgate_n_total");
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(m.Value("callgate_n_total"), 4000);
}

TEST(Metrics, ResolvedSeriesAddToTheSameSeriesAsLookedUpOnes) {
  Metrics m;
  m.DescribeHistogram("callgate_h_ms", "h", {10, 100});
  const auto counter = m.CounterSeries("callgate_c_total", {{"b", "2"}, {"a", "1"}});
  EXPECT_EQ(m.Value("callgate_c_total", {{"a", "1"}, {"b", "2"}}), 0);  // exported from now on
  EXPECT_NE(m.RenderPrometheus().find("callgate_c_total{a=\"1\",b=\"2\"} 0"), std::string::npos);
  counter.Add();
  counter.Add(2.5);
  counter.Add(-1);  // counters only grow
  m.Increment("callgate_c_total", {{"a", "1"}, {"b", "2"}});
  EXPECT_EQ(m.Value("callgate_c_total", {{"a", "1"}, {"b", "2"}}), 4.5);

  const auto histogram = m.HistogramSeries("callgate_h_ms", {{"route", "/x"}});
  histogram.Observe(5);
  histogram.Observe(50);
  histogram.Observe(std::nan(""));
  m.Observe("callgate_h_ms", {{"route", "/x"}}, 500);
  const HistogramData h = m.Histogram("callgate_h_ms", {{"route", "/x"}});
  EXPECT_EQ(h.cumulative, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(h.count, 3u);
  EXPECT_DOUBLE_EQ(h.sum, 555);
}

TEST(Metrics, ASeriesOfAnotherKindGivesAHandleThatRecordsNothing) {
  Metrics m;
  m.SetGauge("callgate_g", {}, 7);
  m.Observe("callgate_h_ms", {}, 1);
  const auto counter = m.CounterSeries("callgate_g");
  counter.Add(5);
  EXPECT_EQ(m.Value("callgate_g"), 7);
  const auto histogram = m.HistogramSeries("callgate_g", {});
  histogram.Observe(5);
  EXPECT_EQ(m.Value("callgate_g"), 7);
  m.CounterSeries("callgate_h_ms").Add(3);
  EXPECT_EQ(m.Histogram("callgate_h_ms").count, 1u);
  Metrics::CounterHandle unresolved;
  unresolved.Add();  // a default handle is harmless
  Metrics::HistogramHandle none;
  none.Observe(1);
}

TEST(CounterCache, CountsEachNameAndValuesInTheSeriesIncrementUses) {
  Metrics m;
  const CounterCache counts(m, {"tool", "outcome"});
  counts.Add("callgate_tool_total", {"book", "ok"});
  counts.Add("callgate_tool_total", {"book", "ok"}, 2);
  counts.Add("callgate_tool_total", {"book", "failed"});
  counts.Add("callgate_other_total", {"book", "ok"});
  counts.Add("callgate_tool_total", {"book"});        // one value short: not counted
  counts.Add("callgate_tool_total", {"bo", "okok"});  // the same characters, split elsewhere
  m.Increment("callgate_tool_total", {{"outcome", "ok"}, {"tool", "book"}});
  EXPECT_EQ(m.Value("callgate_tool_total", {{"tool", "book"}, {"outcome", "ok"}}), 4);
  EXPECT_EQ(m.Value("callgate_tool_total", {{"tool", "book"}, {"outcome", "failed"}}), 1);
  EXPECT_EQ(m.Value("callgate_other_total", {{"tool", "book"}, {"outcome", "ok"}}), 1);
  EXPECT_EQ(m.Value("callgate_tool_total", {{"tool", "bo"}, {"outcome", "okok"}}), 1);
  EXPECT_EQ(m.Sum("callgate_tool_total", [](const Labels&) { return true; }), 6);
}

TEST(CounterCache, ConcurrentCountsAreEachCountedOnce) {
  Metrics m;
  const CounterCache counts(m, {"n"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&counts, t] {
      for (int i = 0; i < 3000; ++i) {
        counts.Add("callgate_c_total", {std::to_string((i + t) % 5)});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(m.Sum("callgate_c_total", [](const Labels&) { return true; }), 12000);
  EXPECT_EQ(m.Value("callgate_c_total", {{"n", "3"}}), 2400);
}

TEST(Metrics, ResolvedSeriesAreThreadSafe) {
  Metrics m;
  const auto counter = m.CounterSeries("callgate_n_total");
  const auto histogram = m.HistogramSeries("callgate_d_ms", {});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) {
        counter.Add();
        histogram.Observe(1);
        m.Increment("callgate_n_total");
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(m.Value("callgate_n_total"), 40000);
  const HistogramData h = m.Histogram("callgate_d_ms");
  EXPECT_EQ(h.count, 20000u);
  EXPECT_EQ(h.cumulative.front(), 20000u);
  EXPECT_DOUBLE_EQ(h.sum, 20000);
}

}  // namespace
}  // namespace callgate::observability
