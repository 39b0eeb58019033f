#include "observability/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>

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

}  // namespace
}  // namespace callgate::observability
