#include "observability/standard_metrics.hpp"

#include <gtest/gtest.h>

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

TEST(RecordHttpRequest, CountsByRoutePatternMethodAndStatus) {
  Metrics m;
  RecordHttpRequest(m, "POST", "/api/retell/{function}", 200, milliseconds(30));
  RecordHttpRequest(m, "POST", "/api/retell/{function}", 200, milliseconds(70));
  RecordHttpRequest(m, "POST", "/api/retell/{function}", 503, milliseconds(5));
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
}

}  // namespace
}  // namespace callgate::observability
