#include "observability/alerts.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/testing/fake_clock.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

namespace callgate::observability {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

struct Post {
  std::string channel;
  std::string text;
};

// A local stand-in for Slack's incoming webhooks: records every POST to /warning or /critical.
class FakeSlack {
 public:
  FakeSlack() {
    for (std::string channel : {"warning", "critical"}) {
      router_.Add(http::Method::kPost, "/" + channel, [this, channel](http::Request& r) {
        std::lock_guard lock(mutex_);
        posts_.push_back({channel, nlohmann::json::parse(r.body).at("text").get<std::string>()});
        return http::Response::Text(200, "ok");
      });
    }
    http::ServerSettings settings;
    settings.address = "127.0.0.1";
    settings.port = 0;
    settings.worker_threads = 1;
    server_ = std::make_unique<http::Server>(settings, router_);
    EXPECT_TRUE(server_->Start());
  }
  std::string Url(std::string_view channel) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/" + std::string(channel);
  }
  std::vector<Post> Posts() const {
    std::lock_guard lock(mutex_);
    return posts_;
  }

 private:
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  mutable std::mutex mutex_;
  std::vector<Post> posts_;
};

class AlertsTest : public ::testing::Test {
 protected:
  AlertsTest()
      : notifier_(SlackSettings{Secret(slack_.Url("warning")), Secret(slack_.Url("critical"))},
                  metrics_) {}

  std::unique_ptr<AlertEngine> Engine(AlertSettings settings = {}) {
    return std::make_unique<AlertEngine>(settings,
                                         MetricsAlertSampler(metrics_, [this] { return backlog_; }),
                                         notifier_, clock_, metrics_);
  }
  void Requests(int n, int status, double ms = 10, std::string route = "/health") {
    for (int i = 0; i < n; ++i) {
      metrics_.Increment(
          "callgate_http_requests_total",
          {{"route", route}, {"method", "POST"}, {"status", std::to_string(status)}});
      metrics_.Observe("callgate_http_request_duration_ms", {{"route", route}, {"method", "POST"}},
                       ms);
    }
  }
  void Calcom(int n, std::string status) {
    metrics_.Increment("callgate_calcom_requests_total",
                       {{"endpoint", "slots"}, {"status", status}}, n);
  }
  std::vector<Post> Delivered() {
    notifier_.Flush();
    return slack_.Posts();
  }

  FakeSlack slack_;
  Metrics metrics_;
  testing::FakeClock clock_;
  double backlog_ = 0;
  SlackNotifier notifier_;
};

TEST_F(AlertsTest, ErrorRateFiresOnceDoesNotRepeatAndResolves) {
  auto engine = Engine();
  Requests(190, 200);
  Requests(10, 500);  // 5 % is not above 5 %
  clock_.Advance(minutes(5));
  EXPECT_TRUE(engine->Check().empty());

  Requests(180, 200);
  Requests(20, 503);  // 10 %
  clock_.Advance(minutes(5));
  auto sent = engine->Check();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].rule, "http_error_rate");
  EXPECT_EQ(metrics_.Value("callgate_alert_firing", {{"rule", "http_error_rate"}}), 1);

  Requests(150, 200);
  Requests(50, 500);  // still firing: no repeat
  clock_.Advance(minutes(5));
  EXPECT_TRUE(engine->Check().empty());

  Requests(200, 200);
  clock_.Advance(minutes(5));
  sent = engine->Check();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].kind, AlertNotification::Kind::kResolved);

  const auto posts = Delivered();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].channel, "critical");
  EXPECT_NE(posts[0].text.find("[CRITICAL] callgate alert http_error_rate is FIRING"),
            std::string::npos)
      << posts[0].text;
  EXPECT_NE(posts[0].text.find("10.0 %"), std::string::npos) << posts[0].text;
  EXPECT_EQ(posts[1].channel, "critical");
  EXPECT_NE(posts[1].text.find("[RESOLVED]"), std::string::npos) << posts[1].text;
  EXPECT_EQ(metrics_.Value("callgate_slack_posts_total", {{"outcome", "ok"}}), 2);
}

TEST_F(AlertsTest, ErrorRateNeedsMoreThanHundredRequestsInTheWindow) {
  auto engine = Engine();
  Requests(50, 500);
  Requests(50, 200);
  clock_.Advance(minutes(5));
  EXPECT_TRUE(engine->Check().empty());
  Requests(1, 500);
  clock_.Advance(minutes(5));
  EXPECT_TRUE(engine->Check().empty()) << "the older requests left the 5-minute window";
  EXPECT_TRUE(Delivered().empty());
}

TEST_F(AlertsTest, WebhookLatencyFiresOnMeanAboveTwoSecondsAndResolves) {
  auto engine = Engine();
  Requests(10, 200, 1500, "/webhooks/retell");
  Requests(10, 200, 9000, "/admin/slow");  // not a Retell route
  clock_.Advance(minutes(5));
  EXPECT_TRUE(engine->Check().empty());
  Requests(10, 200, 2600, "/api/retell/{function}");
  clock_.Advance(minutes(5));
  auto sent = engine->Check();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].rule, "webhook_latency");
  EXPECT_EQ(sent[0].severity, AlertSeverity::kWarning);
  clock_.Advance(minutes(5));
  Requests(10, 200, 100, "/webhooks/retell");
  sent = engine->Check();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].kind, AlertNotification::Kind::kResolved);
  const auto posts = Delivered();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].channel, "warning");
  EXPECT_NE(posts[0].text.find("2600 ms"), std::string::npos) << posts[0].text;
}

TEST_F(AlertsTest, QueueBacklogFiresAboveThousandReadyJobs) {
  auto engine = Engine();
  backlog_ = 1000;
  EXPECT_TRUE(engine->Check().empty());
  backlog_ = 1001;
  clock_.Advance(minutes(5));
  ASSERT_EQ(engine->Check().size(), 1u);
  clock_.Advance(minutes(5));
  EXPECT_TRUE(engine->Check().empty());
  backlog_ = 3;
  clock_.Advance(minutes(5));
  ASSERT_EQ(engine->Check().size(), 1u);
  const auto posts = Delivered();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_NE(posts[0].text.find("queue_backlog is FIRING"), std::string::npos);
  EXPECT_NE(posts[1].text.find("queue_backlog cleared"), std::string::npos);
}

TEST_F(AlertsTest, CalcomFailureRateLooksAtTheLastHour) {
  auto engine = Engine();
  Calcom(80, "200");
  Calcom(5, "500");
  Calcom(3, "timeout");  // 8 of 88 = 9.1 %
  clock_.Advance(minutes(30));
  EXPECT_TRUE(engine->Check().empty());
  Calcom(4, "unavailable");  // 12 of 92 = 13 % within the hour
  clock_.Advance(minutes(5));
  auto sent = engine->Check();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].rule, "calcom_failure_rate");
  // An hour later the failures have left the window; no new traffic → resolved.
  clock_.Advance(minutes(65));
  Calcom(20, "201");
  sent = engine->Check();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].kind, AlertNotification::Kind::kResolved);
  EXPECT_EQ(Delivered().front().channel, "critical");
}

TEST_F(AlertsTest, RemindsOnlyAfterTheRenotifyInterval) {
  AlertSettings settings;
  settings.renotify_interval = minutes(30);
  auto engine = Engine(settings);
  backlog_ = 5000;
  ASSERT_EQ(engine->Check().size(), 1u);
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(minutes(5));
    EXPECT_TRUE(engine->Check().empty());
  }
  clock_.Advance(minutes(5));
  auto sent = engine->Check();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].kind, AlertNotification::Kind::kReminder);
  EXPECT_NE(Delivered().back().text.find("STILL FIRING"), std::string::npos);
  EXPECT_EQ(engine->Recent().size(), 2u);
  EXPECT_EQ(engine->Firing(), std::vector<std::string>{"queue_backlog"});
}

TEST_F(AlertsTest, CriticalGoesToTheWarningUrlWhenNoCriticalUrlIsSet) {
  Metrics metrics;
  SlackNotifier only_warning(SlackSettings{Secret(slack_.Url("warning")), Secret()}, metrics);
  only_warning.Notify({"x", AlertSeverity::kCritical, AlertNotification::Kind::kFiring, {}, "t"});
  only_warning.Flush();
  ASSERT_EQ(slack_.Posts().size(), 1u);
  EXPECT_EQ(slack_.Posts()[0].channel, "warning");
}

TEST(SlackNotifier, WithoutUrlsNothingIsSentAndNothingFails) {
  Metrics metrics;
  SlackNotifier none(SlackSettings{}, metrics);
  none.Notify({"x", AlertSeverity::kWarning, AlertNotification::Kind::kFiring, {}, "t"});
  none.Flush();
  EXPECT_EQ(metrics.Value("callgate_slack_posts_total", {{"outcome", "disabled"}}), 1);
}

TEST(SlackNotifier, UnreachableSlackOnlyCountsAFailedPost) {
  Metrics metrics;
  testing::FakeClock clock;
  // Nothing listens on port 1 of the loopback: the connection is refused at once.
  SlackSettings settings{Secret("http://127.0.0.1:1/hook"), Secret("http://127.0.0.1:1/hook")};
  settings.timeout = milliseconds(2000);
  SlackNotifier notifier(settings, metrics);
  double backlog = 5000;
  AlertEngine engine({}, MetricsAlertSampler(metrics, [&] { return backlog; }), notifier, clock,
                     metrics);
  // Check returns without waiting for Slack and the alert state moves on regardless.
  ASSERT_EQ(engine.Check().size(), 1u);
  notifier.Flush();
  EXPECT_EQ(metrics.Value("callgate_slack_posts_total", {{"outcome", "failed"}}), 1);
  EXPECT_EQ(engine.Firing(), std::vector<std::string>{"queue_backlog"});
  backlog = 0;
  clock.Advance(minutes(5));
  ASSERT_EQ(engine.Check().size(), 1u);
  notifier.Flush();
  EXPECT_EQ(metrics.Value("callgate_slack_posts_total", {{"outcome", "failed"}}), 2);
}

TEST(SlackNotifier, DropsPostsBeyondTheBoundedQueue) {
  Metrics metrics;
  SlackSettings settings{Secret("http://127.0.0.1:1/hook"), Secret()};
  settings.max_pending = 0;
  SlackNotifier notifier(settings, metrics);
  notifier.Notify({"x", AlertSeverity::kWarning, AlertNotification::Kind::kFiring, {}, "t"});
  notifier.Flush();
  EXPECT_EQ(metrics.Value("callgate_slack_posts_total", {{"outcome", "dropped"}}), 1);
}

}  // namespace
}  // namespace callgate::observability

namespace callgate::observability {
namespace {

class RecordingNotifier final : public AlertNotifier {
 public:
  void Notify(const AlertNotification& n) override { sent.push_back(n); }
  std::vector<AlertNotification> sent;
};

TEST(CallbackOverdueAlert, FiresWhileAnOpenCallbackIsOverdueAndResolves) {
  Metrics metrics;
  testing::FakeClock clock;
  RecordingNotifier notifier;
  CallbacksOverdue overdue;
  AlertEngine engine({}, MetricsAlertSampler(metrics, {}, [&] { return overdue; }), notifier, clock,
                     metrics);
  EXPECT_TRUE(engine.Check().empty());
  EXPECT_EQ(metrics.Value("callgate_alert_firing", {{"rule", "callback_overdue"}}), 0);

  overdue = {2, "company 1 branch 10: 2 (oldest due 2026-11-27T08:00:00.000Z)"};
  clock.Advance(std::chrono::minutes(5));
  auto sent = engine.Check();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].rule, "callback_overdue");
  EXPECT_EQ(sent[0].severity, AlertSeverity::kWarning);
  EXPECT_EQ(sent[0].kind, AlertNotification::Kind::kFiring);
  EXPECT_NE(sent[0].text.find("2 open callback request(s) overdue: company 1 branch 10"),
            std::string::npos);
  EXPECT_NE(sent[0].text.find("docs/operations.md#callback_overdue"), std::string::npos);
  EXPECT_EQ(engine.Firing(), std::vector<std::string>{"callback_overdue"});
  EXPECT_EQ(metrics.Value("callgate_alert_firing", {{"rule", "callback_overdue"}}), 1);

  clock.Advance(std::chrono::minutes(5));
  EXPECT_TRUE(engine.Check().empty());  // still firing: no repeat
  overdue = {};
  clock.Advance(std::chrono::minutes(5));
  sent = engine.Check();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].kind, AlertNotification::Kind::kResolved);
  EXPECT_TRUE(engine.Firing().empty());
  EXPECT_EQ(notifier.sent.size(), 2u);
}

TEST(HeldBookingStuckAlert, FiresCriticalWhileAHeldBookingIsStuckAndResolves) {
  Metrics metrics;
  testing::FakeClock clock;
  RecordingNotifier notifier;
  AlertLevel stuck;
  AlertEngine engine({}, MetricsAlertSampler(metrics, {}, {}, [&] { return stuck; }), notifier,
                     clock, metrics);
  EXPECT_TRUE(engine.Check().empty());
  EXPECT_EQ(metrics.Value("callgate_alert_firing", {{"rule", "held_booking_stuck"}}), 0);

  stuck = {1, "company 1: appointment 812 (held since 2026-11-26T07:00:00.000Z)"};
  clock.Advance(std::chrono::minutes(5));
  auto sent = engine.Check();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].rule, "held_booking_stuck");
  EXPECT_EQ(sent[0].severity, AlertSeverity::kCritical);
  EXPECT_NE(sent[0].text.find("1 appointment(s) held for a caller and not booked or released by "
                              "their job: company 1: appointment 812"),
            std::string::npos)
      << sent[0].text;
  EXPECT_NE(sent[0].text.find("docs/operations.md#held_booking_stuck"), std::string::npos);
  EXPECT_EQ(metrics.Value("callgate_alert_firing", {{"rule", "held_booking_stuck"}}), 1);

  stuck = {};
  clock.Advance(std::chrono::minutes(5));
  sent = engine.Check();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].kind, AlertNotification::Kind::kResolved);
  EXPECT_TRUE(engine.Firing().empty());
}

// A level that cannot be read (the database away) is not known: a firing alert stays firing
// without a "resolved" and a new "firing" when the read works again, and a quiet one stays
// quiet.
TEST(LevelAlerts, AFailedReadKeepsTheRulesState) {
  Metrics metrics;
  testing::FakeClock clock;
  RecordingNotifier notifier;
  std::optional<AlertLevel> stuck = AlertLevel{};
  std::optional<CallbacksOverdue> overdue = AlertLevel{};
  AlertEngine engine({},
                     MetricsAlertSampler(
                         metrics, {}, [&] { return overdue; }, [&] { return stuck; }),
                     notifier, clock, metrics);
  stuck = AlertLevel{1, "company 1: appointment 812"};
  clock.Advance(std::chrono::minutes(5));
  ASSERT_EQ(engine.Check().size(), 1u);  // held_booking_stuck fires

  stuck.reset();
  overdue.reset();
  for (int i = 0; i < 3; ++i) {
    clock.Advance(std::chrono::minutes(5));
    EXPECT_TRUE(engine.Check().empty());
    EXPECT_EQ(engine.Firing(), std::vector<std::string>{"held_booking_stuck"});
    EXPECT_EQ(metrics.Value("callgate_alert_firing", {{"rule", "held_booking_stuck"}}), 1);
    EXPECT_EQ(metrics.Value("callgate_alert_firing", {{"rule", "callback_overdue"}}), 0);
  }

  // Not knowing for longer than the reminder interval sends no reminder either.
  clock.Advance(std::chrono::hours(5));
  EXPECT_TRUE(engine.Check().empty());

  stuck = AlertLevel{1, "company 1: appointment 812"};
  overdue = AlertLevel{};
  clock.Advance(std::chrono::minutes(5));
  auto sent = engine.Check();
  ASSERT_EQ(sent.size(), 1u);  // the reminder that was due; not a second "firing"
  EXPECT_EQ(sent[0].kind, AlertNotification::Kind::kReminder);

  stuck = AlertLevel{};
  clock.Advance(std::chrono::minutes(5));
  sent = engine.Check();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].kind, AlertNotification::Kind::kResolved);
  EXPECT_EQ(notifier.sent.size(), 3u);
}

}  // namespace
}  // namespace callgate::observability
