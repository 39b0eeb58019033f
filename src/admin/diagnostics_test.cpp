#include "admin/diagnostics.hpp"

#include <gtest/gtest.h>

namespace callgate::admin {
namespace {

TEST(Diagnostics, IsOffInProductionUnlessEnabled) {
  EXPECT_TRUE((DiagnosticsSettings{"1", "local", false}).Enabled());
  EXPECT_TRUE((DiagnosticsSettings{"1", "staging", false}).Enabled());
  EXPECT_FALSE((DiagnosticsSettings{"1", "production", false}).Enabled());
  EXPECT_TRUE((DiagnosticsSettings{"1", "production", true}).Enabled());

  Diagnostics off({"1", "production", false}, {});
  http::Request request;
  EXPECT_EQ(off.Handle(request).status, 404);
  Diagnostics on({"1", "production", true}, {});
  EXPECT_EQ(on.Handle(request).status, 200);
}

TEST(Diagnostics, ReportsProbesAndMarksFailuresUnavailable) {
  observability::Metrics metrics;
  metrics.Increment("callgate_admin_auth_total", {{"outcome", "ok"}}, 3);
  DiagnosticsSources sources;
  sources.metrics = &metrics;
  sources.queues = []() -> Result<nlohmann::json> { return nlohmann::json{{"default", 2}}; };
  sources.migrations = []() -> Result<std::vector<storage::MigrationState>> {
    return Fail(ErrorCode::kUnavailable, "down");
  };
  sources.sections.emplace_back("breakers", [] { return nlohmann::json{{"cal_1", "closed"}}; });
  Diagnostics diagnostics({"0.1.0", "local", false}, sources);
  const auto doc = diagnostics.Collect();
  EXPECT_EQ(doc["version"], "0.1.0");
  EXPECT_EQ(doc["queues"]["default"], 2);
  EXPECT_EQ(doc["migrations"], "unavailable");
  EXPECT_EQ(doc["breakers"]["cal_1"], "closed");
  EXPECT_EQ(doc["counters"]["callgate_admin_auth_total{outcome=\"ok\"}"], 3);
}

TEST(CountersFromPrometheus, ParsesSamplesAndSkipsComments) {
  const auto counters = CountersFromPrometheus(
      "# HELP a_total things\n# TYPE a_total counter\na_total{x=\"1\"} 2\nb_total 0.5\n\nbad\n");
  EXPECT_EQ(counters.size(), 2u);
  EXPECT_EQ(counters["a_total{x=\"1\"}"], 2);
  EXPECT_EQ(counters["b_total"], 0.5);
}

}  // namespace
}  // namespace callgate::admin
