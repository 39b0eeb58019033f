#include "app/observability_wiring.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "app/application.hpp"
#include "auth/auth_service.hpp"
#include "auth/sql_repositories.hpp"
#include "booking/callback_queue.hpp"
#include "booking/testing/in_memory.hpp"
#include "core/testing/fake_clock.hpp"
#include "http/testing/test_client.hpp"
#include "observability/metrics.hpp"
#include "storage/database.hpp"

namespace callgate::app {
namespace {

namespace fs = std::filesystem;
using http::testing::TestClient;

class ObservabilityEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cg-obs-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    Config config;
    config.listen_port = 0;
    config.database_url = "sqlite://" + (dir_ / "callgate.db").string();
    auto app = Application::Create(config, clock_);
    ASSERT_TRUE(app.has_value()) << app.error().message;
    app_ = std::move(*app);
    ASSERT_TRUE(app_->Start().has_value());
  }
  void TearDown() override {
    if (app_) app_->Stop();
    app_.reset();
    fs::remove_all(dir_);
  }
  std::string PlatformAdminToken() {
    auth::SqlUserRepository users(app_->database(), clock_);
    auth::SqlTokenRepository tokens(app_->database(), clock_);
    auth::AuthService auth(auth::AuthSettings{}, users, tokens, clock_);
    auth::NewUser user;
    user.email = "ops@example.com";
    user.name = "Ops";
    user.role = auth::Role::kPlatformAdmin;
    auto created = auth.CreateUser(user);
    EXPECT_TRUE(created.has_value());
    auto token = auth.CreateToken(created->id, auth::TokenRequest{"metrics", {}, {}});
    EXPECT_TRUE(token.has_value());
    return token->text.Reveal();
  }

  fs::path dir_;
  callgate::testing::FakeClock clock_;
  std::unique_ptr<Application> app_;
};

TEST_F(ObservabilityEndToEnd, MetricsNeedAnAdminTokenAndCountRequestsPerRoutePattern) {
  TestClient client(app_->port());
  for (int i = 0; i < 3; ++i) ASSERT_EQ(client.Get("/health")->status, 200);
  ASSERT_EQ(client.Get("/no/such/route")->status, 404);
  EXPECT_EQ(client.Get("/metrics")->status, 401);

  http::Headers auth;
  auth.Add("Authorization", "Bearer " + PlatformAdminToken());
  auto metrics = client.Get("/metrics", auth);
  ASSERT_TRUE(metrics.has_value());
  EXPECT_EQ(metrics->status, 200) << metrics->body;
  EXPECT_EQ(metrics->headers.Get("Content-Type").value_or(""), "text/plain; version=0.0.4");
  const std::string& body = metrics->body;
  EXPECT_NE(body.find("callgate_http_requests_total{method=\"GET\",route=\"/health\","
                      "status=\"200\"} 3"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("callgate_http_requests_total{method=\"GET\",route=\"unmatched\","
                      "status=\"404\"} 1"),
            std::string::npos);
  EXPECT_NE(body.find("callgate_http_request_duration_ms_count{method=\"GET\",route=\"/health\"}"),
            std::string::npos);
  EXPECT_NE(body.find("callgate_queue_jobs{queue=\"default\",state=\"ready\"} 0"),
            std::string::npos);
  EXPECT_NE(body.find("callgate_process_resident_memory_bytes "), std::string::npos);
  EXPECT_NE(body.find("callgate_process_open_fds "), std::string::npos);
  // Every statement the requests ran (token lookup, queue stats) is timed.
  EXPECT_GT(app_->metrics().Value("callgate_db_query_duration_ms", {{"operation", "select"}}), 0);
}

TEST_F(ObservabilityEndToEnd, StatementsAreTimedThroughTheSessionHook) {
  const double before =
      app_->metrics().Value("callgate_db_query_duration_ms", {{"operation", "select"}});
  ASSERT_EQ(TestClient(app_->port()).Get("/ready")->status, 200);
  EXPECT_GT(app_->metrics().Value("callgate_db_query_duration_ms", {{"operation", "select"}}),
            before);
}

TEST(ObservabilityWiring, SlowStatementThresholdComesFromSettings) {
  observability::Metrics metrics;
  callgate::testing::FakeClock clock;
  ObservabilitySettings settings;
  settings.slow_query_threshold = std::chrono::milliseconds(0);
  ObservabilityWiring wiring(settings, metrics, clock, nullptr, {});
  auto db = storage::Database::Open(*storage::ParseDatabaseUrl("sqlite://:memory:"));
  ASSERT_TRUE(db.has_value());
  ASSERT_TRUE((*db)->Ping().has_value());
  EXPECT_GE(metrics.Sum("callgate_db_slow_queries_total", [](const auto&) { return true; }), 1);
}

TEST(ObservabilityWiring, OverdueCallbacksAreAGaugeAndAnAlertThatNamesNoCaller) {
  booking::testing::TwoCompanyWorld world;  // Thursday 26.11.2026 10:00 Berlin
  booking::CallbackQueue queue({}, world.callbacks, world.companies, world.branches, world.clock);
  observability::Metrics metrics;
  ObservabilityWiring wiring({}, metrics, world.clock, nullptr, {}, &queue);
  EXPECT_NE(metrics.RenderPrometheus().find("callgate_callbacks_overdue 0"), std::string::npos);
  EXPECT_TRUE(wiring.CheckAlerts().empty());

  booking::CallbackRequest request;
  request.branch_id = tenancy::BranchId(10);
  request.phone = "+4915112345678";
  request.name = "Jürgen Weiß";
  request.reason = "Befund";
  request.due_at = world.clock.Now() - std::chrono::hours(24);  // Wednesday 10:00
  ASSERT_TRUE(world.callbacks.Create(tenancy::CompanyId(1), request).has_value());
  EXPECT_NE(metrics.RenderPrometheus().find("callgate_callbacks_overdue 1"), std::string::npos);
  world.clock.Advance(std::chrono::minutes(5));
  auto sent = wiring.CheckAlerts();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].rule, "callback_overdue");
  EXPECT_NE(sent[0].text.find("company 1 / branch 10: 1"), std::string::npos) << sent[0].text;
  EXPECT_NE(sent[0].text.find("SLA 120 min in opening hours"), std::string::npos);
  EXPECT_EQ(sent[0].text.find("Weiß"), std::string::npos);
  EXPECT_EQ(sent[0].text.find("+49"), std::string::npos);
}

// A slot held for a caller whose job can no longer book or release it (its failure could not be
// recorded, or the job was lost) is a gauge and a critical alert, naming ids, never the caller.
TEST(ObservabilityWiring, AHeldBookingNoJobFinishesIsAGaugeAndAnAlertThatNamesNoCaller) {
  booking::testing::TwoCompanyWorld world;  // Thursday 26.11.2026 10:00 Berlin
  observability::Metrics metrics;
  ObservabilityWiring wiring({}, metrics, world.clock, nullptr, {}, nullptr, &world.appointments);
  EXPECT_NE(metrics.RenderPrometheus().find("callgate_held_bookings_stuck 0"), std::string::npos);

  booking::Appointment held = world.appointments.rows[0];  // Jürgen Weiß's, company 1
  held.calcom_booking_uid.reset();
  held.idempotency_key = "held";
  held.status = std::string(booking::kPendingSync);
  held.starts_at += std::chrono::hours(1);
  held.created_at = world.clock.Now();
  const auto id = world.appointments.Create(tenancy::CompanyId(1), held).value().id;
  // Within its job's time it is not stuck.
  world.clock.Advance(std::chrono::minutes(55));
  EXPECT_NE(metrics.RenderPrometheus().find("callgate_held_bookings_stuck 0"), std::string::npos);
  EXPECT_TRUE(wiring.CheckAlerts().empty());

  world.clock.Advance(std::chrono::minutes(10));
  EXPECT_NE(metrics.RenderPrometheus().find("callgate_held_bookings_stuck 1"), std::string::npos);
  auto sent = wiring.CheckAlerts();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].rule, "held_booking_stuck");
  EXPECT_EQ(sent[0].severity, observability::AlertSeverity::kCritical);
  EXPECT_NE(sent[0].text.find("company 1: appointment " + std::to_string(id.value) +
                              " (held since 2026-11-26T09:00:00.000Z)"),
            std::string::npos)
      << sent[0].text;
  EXPECT_EQ(sent[0].text.find("Weiß"), std::string::npos);
  EXPECT_EQ(sent[0].text.find("+49"), std::string::npos);

  // Its job books or releases it: resolved.
  world.appointments.rows.back().status = std::string(booking::kBooked);
  world.clock.Advance(std::chrono::minutes(5));
  sent = wiring.CheckAlerts();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].kind, observability::AlertNotification::Kind::kResolved);
}

}  // namespace
}  // namespace callgate::app
