#include "observability/standard_metrics.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

namespace callgate::observability {
namespace {

using std::chrono::milliseconds;

TEST(SlowQueryRecorder, TimesEveryStatementByOperation) {
  Metrics m;
  SlowQueryRecorder recorder(m, milliseconds(100));
  recorder.Record("  SELECT id FROM calls", milliseconds(3));
  recorder.Record("insert into calls VALUES (1)", milliseconds(4));
  recorder.Record("WITH x AS (SELECT 1) SELECT * FROM x", milliseconds(5));
  recorder.Record("PRAGMA foreign_keys = ON", milliseconds(1));
  EXPECT_EQ(m.Value("callgate_db_query_duration_ms", {{"operation", "select"}}), 2);
  EXPECT_EQ(m.Value("callgate_db_query_duration_ms", {{"operation", "insert"}}), 1);
  EXPECT_EQ(m.Value("callgate_db_query_duration_ms", {{"operation", "other"}}), 1);
  EXPECT_EQ(m.Value("callgate_db_slow_queries_total", {{"operation", "select"}}), 0);
}

TEST(SlowQueryRecorder, CountsStatementsAtOrAboveTheThresholdAsSlow) {
  Metrics m;
  SlowQueryRecorder recorder(m, milliseconds(100));
  recorder.Record("UPDATE jobs SET x = 1", milliseconds(99));
  recorder.Record("UPDATE jobs SET x = 1", milliseconds(100));
  recorder.Record("DELETE FROM jobs", milliseconds(2500));
  EXPECT_EQ(m.Value("callgate_db_slow_queries_total", {{"operation", "update"}}), 1);
  EXPECT_EQ(m.Value("callgate_db_slow_queries_total", {{"operation", "delete"}}), 1);
  EXPECT_EQ(m.Histogram("callgate_db_query_duration_ms", {{"operation", "delete"}}).sum, 2500);
}

TEST(SlowQueryRecorder, ExportsTheSlowQueryCountersAtZeroBeforeAnyStatement) {
  Metrics m;
  SlowQueryRecorder recorder(m, milliseconds(100));
  const std::string text = m.RenderPrometheus();
  for (const char* op : {"select", "insert", "update", "delete", "other"}) {
    EXPECT_NE(text.find("callgate_db_slow_queries_total{operation=\"" + std::string(op) + "\"} 0"),
              std::string::npos)
        << op << " in:\n"
        << text;
  }
}

TEST(SlowQueryRecorder, ThresholdIsConfigurable) {
  Metrics m;
  SlowQueryRecorder recorder(m, milliseconds(5));
  recorder.Record("SELECT 1", milliseconds(6));
  EXPECT_EQ(m.Value("callgate_db_slow_queries_total", {{"operation", "select"}}), 1);
}

TEST(StatementLabel, CollapsesWhitespaceAndCutsAtSixtyCharacters) {
  EXPECT_EQ(StatementLabel("  SELECT  a,\n   b FROM t  "), "SELECT a, b FROM t");
  const std::string label = StatementLabel(std::string(200, 'x'));
  EXPECT_EQ(label.size(), 60u);
}

TEST(HttpRequestMetrics, CountsByRoutePatternMethodAndStatus) {
  Metrics m;
  HttpRequestMetrics requests(m);
  requests.Record("POST", "/api/retell/{function}", 200, milliseconds(30));
  requests.Record("POST", "/api/retell/{function}", 200, milliseconds(70));
  requests.Record("POST", "/api/retell/{function}", 503, milliseconds(5));
  requests.Record("GET", "", 404, milliseconds(1));
  EXPECT_EQ(m.Value("callgate_http_requests_total",
                    {{"route", "/api/retell/{function}"}, {"method", "POST"}, {"status", "200"}}),
            2);
  EXPECT_EQ(m.Value("callgate_http_requests_total",
                    {{"route", "/api/retell/{function}"}, {"method", "POST"}, {"status", "503"}}),
            1);
  const HistogramData h = m.Histogram("callgate_http_request_duration_ms",
                                      {{"route", "/api/retell/{function}"}, {"method", "POST"}});
  EXPECT_EQ(h.count, 3u);
  EXPECT_DOUBLE_EQ(h.sum, 105);
  EXPECT_EQ(m.Value("callgate_http_requests_total",
                    {{"route", "unmatched"}, {"method", "GET"}, {"status", "404"}}),
            1);
}

TEST(HttpRequestMetrics, ARecorderMadeAfterAnotherCountsInItsOwnRegistry) {
  // Each thread remembers the series it recorded last: a new recorder (and registry), even at
  // the address of one destroyed before, must count in its own series.
  for (int round = 0; round < 3; ++round) {
    auto m = std::make_unique<Metrics>();
    auto requests = std::make_unique<HttpRequestMetrics>(*m);
    requests->Record("GET", "/health", 200, milliseconds(1));
    requests->Record("GET", "/health", 200, milliseconds(1));
    requests->Record("GET", "/ready", 200, milliseconds(1));
    requests->Record("GET", "/health", 200, milliseconds(1));
    requests->Record("POST", "/health", 200, milliseconds(1));
    requests->Record("GET", "/health", 503, milliseconds(1));
    EXPECT_EQ(m->Value("callgate_http_requests_total",
                       {{"route", "/health"}, {"method", "GET"}, {"status", "200"}}),
              3);
    EXPECT_EQ(m->Value("callgate_http_requests_total",
                       {{"route", "/ready"}, {"method", "GET"}, {"status", "200"}}),
              1);
    EXPECT_EQ(m->Value("callgate_http_requests_total",
                       {{"route", "/health"}, {"method", "POST"}, {"status", "200"}}),
              1);
    EXPECT_EQ(m->Value("callgate_http_requests_total",
                       {{"route", "/health"}, {"method", "GET"}, {"status", "503"}}),
              1);
    EXPECT_EQ(
        m->Histogram("callgate_http_request_duration_ms", {{"route", "/health"}, {"method", "GET"}})
            .count,
        4u);
    requests.reset();
    m.reset();
  }
}

TEST(HttpRequestMetrics, ConcurrentRequestsAreEachCountedOnce) {
  Metrics m;
  HttpRequestMetrics requests(m);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&requests, t] {
      for (int i = 0; i < 2000; ++i) {
        requests.Record("GET", "/r/{n}", 200 + (i + t) % 3, milliseconds(2));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  double total = 0;
  for (int status : {200, 201, 202}) {
    total += m.Value("callgate_http_requests_total",
                     {{"route", "/r/{n}"}, {"method", "GET"}, {"status", std::to_string(status)}});
  }
  EXPECT_EQ(total, 8000);
  const HistogramData h =
      m.Histogram("callgate_http_request_duration_ms", {{"route", "/r/{n}"}, {"method", "GET"}});
  EXPECT_EQ(h.count, 8000u);
  EXPECT_DOUBLE_EQ(h.sum, 16000);
}

}  // namespace
}  // namespace callgate::observability
