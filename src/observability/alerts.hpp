#pragma once
// Alerting: six rules over this process's metrics, the callback queue and the held bookings,
// evaluated by a
// periodic check (the scheduler's `alert_check` job, every 5 minutes), with notifications to
// Slack incoming webhooks. Rules, thresholds and runbooks: docs/operations.md.
//
//   rule                 severity  fires when
//   http_error_rate      critical  5xx / requests > 5 % over 5 min, only with > 100 requests
//   webhook_latency      warning   mean latency of Retell routes (/webhooks/retell*,
//                                  /api/retell/*) > 2000 ms over 5 min
//   queue_backlog        warning   ready (due, unreserved) jobs over all queues > 1000 (now)
//   calcom_failure_rate  critical  non-2xx / Cal.com requests > 10 % over 1 h (≥ 10 requests)
//   callback_overdue     warning   any open callback request is overdue under the callback SLA
//                                  (now; CALLBACK_SLA_MINUTES, booking/callback_queue.hpp)
//   held_booking_stuck   critical  any appointment held for a caller (pending_sync) longer than
//                                  its job can take: no job will book or release it by itself
//                                  (now; app/observability_wiring.hpp)
//
// Windows are computed from cumulative counters: the engine keeps timestamped samples and
// compares the newest with the newest one at least `window` old (or the oldest one it has).
// An alert notifies once when it starts firing, again only every `renotify_interval` while it
// stays firing, and once more ("resolved") when it clears.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/secret.hpp"
#include "observability/metrics.hpp"

namespace callgate::observability {

enum class AlertSeverity { kWarning, kCritical };

// "warning" / "critical".
std::string_view AlertSeverityName(AlertSeverity severity) noexcept;

// A level read from outside the metrics, and where it is (companies, branches, ids, times;
// never a caller's name or number), for the message.
struct AlertLevel {
  double count = 0;
  std::string detail;
};
// Open callback requests overdue now.
using CallbacksOverdue = AlertLevel;

// Cumulative totals (since process start) and current levels the rules look at.
struct AlertSample {
  SystemTimePoint at;
  double http_requests = 0;
  double http_errors = 0;  // status ≥ 500
  double webhook_latency_sum_ms = 0;
  double webhook_latency_count = 0;
  double queue_backlog = 0;  // a level, not a total
  double calcom_requests = 0;
  double calcom_failures = 0;
  // Levels read from the database; none when they could not be read. A rule over a level it
  // does not know keeps its state: a failed read neither resolves a firing alert (to fire it
  // again at the next check) nor fires one.
  std::optional<CallbacksOverdue> callbacks_overdue = AlertLevel{};  // open ones overdue now
  std::optional<AlertLevel> held_bookings_stuck = AlertLevel{};      // held past their job's time
};

// Reads an AlertSample (without `at`) from the standard metric names:
// callgate_http_requests_total, callgate_http_request_duration_ms,
// callgate_calcom_requests_total; `queue_backlog` supplies the backlog and `callbacks_overdue`
// the overdue callback requests, `held_bookings_stuck` the appointments held too long (any may
// be empty → 0; a level may answer none: not known now).
std::function<AlertSample()> MetricsAlertSampler(
    const Metrics& metrics, std::function<double()> queue_backlog,
    std::function<std::optional<CallbacksOverdue>()> callbacks_overdue = {},
    std::function<std::optional<AlertLevel>()> held_bookings_stuck = {});

struct AlertSettings {
  double error_rate = 0.05;
  double error_min_requests = 100;  // strictly more than this many requests in the window
  std::chrono::milliseconds error_window = std::chrono::minutes(5);
  double webhook_latency_ms = 2000;
  std::chrono::milliseconds webhook_window = std::chrono::minutes(5);
  double queue_backlog = 1000;
  double calcom_failure_rate = 0.10;
  double calcom_min_requests = 10;
  std::chrono::milliseconds calcom_window = std::chrono::hours(1);
  double callbacks_overdue = 0;    // fires when more open callback requests than this are overdue
  double held_bookings_stuck = 0;  // fires when more held appointments than this are stuck
  // While an alert stays firing, a reminder goes out at most this often.
  std::chrono::milliseconds renotify_interval = std::chrono::hours(4);
};

// One message for the notifier.
struct AlertNotification {
  enum class Kind { kFiring, kReminder, kResolved };
  std::string rule;
  AlertSeverity severity = AlertSeverity::kWarning;
  Kind kind = Kind::kFiring;
  SystemTimePoint at;
  std::string text;  // readable, one or two lines
};

// Delivers notifications. Implementations must not block the caller on the network.
class AlertNotifier {
 public:
  virtual ~AlertNotifier() = default;
  virtual void Notify(const AlertNotification& notification) = 0;
};

class AlertEngine {
 public:
  // Every reference must outlive the engine. Takes a first sample now (the baseline).
  AlertEngine(AlertSettings settings, std::function<AlertSample()> sampler, AlertNotifier& notifier,
              const Clock& clock, Metrics& metrics);

  // Samples, evaluates every rule and notifies state changes; returns what was notified.
  // Exports callgate_alert_firing{rule} and callgate_alert_notifications_total{rule,kind}.
  // Thread-safe (serialised).
  std::vector<AlertNotification> Check();

  // The names of the rules firing after the last Check(). Thread-safe.
  std::vector<std::string> Firing() const;

  // The last (up to 50) notifications, newest first. Thread-safe.
  std::vector<AlertNotification> Recent() const;

 private:
  struct RuleState {
    bool firing = false;
    SystemTimePoint last_notified;
  };
  struct Evaluation {
    std::string rule;
    AlertSeverity severity;
    bool firing;
    std::string detail;
    bool known = true;  // false: what the rule looks at could not be read; its state stays
  };
  const AlertSample& Baseline(std::chrono::milliseconds window) const;
  std::vector<Evaluation> Evaluate() const;

  const AlertSettings settings_;
  std::function<AlertSample()> sampler_;
  AlertNotifier& notifier_;
  const Clock& clock_;
  Metrics& metrics_;

  mutable std::mutex mutex_;
  std::deque<AlertSample> history_;
  std::vector<std::pair<std::string, RuleState>> states_;
  std::deque<AlertNotification> recent_;
};

struct SlackSettings {
  Secret warning_url;   // SLACK_WEBHOOK_URL; empty → warnings are not sent
  Secret critical_url;  // SLACK_WEBHOOK_URL_CRITICAL; empty → critical go to warning_url
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds timeout{5000};  // whole POST
  std::size_t max_pending = 100;            // further notifications are dropped (and counted)
};

// Posts notifications to Slack incoming webhooks ({"text": …}) from its own thread with
// libcurl, so Notify() never waits for the network and Slack being down affects nothing but
// callgate_slack_posts_total{outcome="failed"}. Outcomes: ok, failed, dropped, disabled.
class SlackNotifier final : public AlertNotifier {
 public:
  // `metrics` must outlive the notifier.
  SlackNotifier(SlackSettings settings, Metrics& metrics);
  // Stops the thread after the post in progress; pending ones are dropped.
  ~SlackNotifier() override;
  SlackNotifier(const SlackNotifier&) = delete;
  SlackNotifier& operator=(const SlackNotifier&) = delete;

  // Queues the post and returns. Thread-safe.
  void Notify(const AlertNotification& notification) override;

  // Waits until every queued post has been attempted (for tests and shutdown). Thread-safe.
  void Flush();

 private:
  void Run();

  const SlackSettings settings_;
  Metrics& metrics_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<std::pair<std::string, std::string>> pending_;  // (url, JSON body)
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace callgate::observability
