#pragma once
// Observability glue of the composition root (docs/operations.md): HTTP request metrics from
// the server's access-log hook, the GET /metrics endpoint, queue depth, circuit breaker and
// overdue callback gauges, process metrics, the slow-query hook on storage::Session, and the alert
// engine with its Slack notifier, checked by the scheduler's `alert_check` job every 5 minutes.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "app/config.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/secret.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "observability/alerts.hpp"
#include "observability/metrics.hpp"
#include "observability/standard_metrics.hpp"

namespace callgate::queue {
class QueueRuntime;
}
namespace callgate::resilience {
class CircuitBreaker;
}
namespace callgate::booking {
class CallbackQueue;
class AppointmentRepository;
}  // namespace callgate::booking

namespace callgate::app {

struct ObservabilitySettings {
  // Statements at least this slow are logged as `slow_query` and counted.
  std::chrono::milliseconds slow_query_threshold{100};
  observability::AlertSettings alerts;
  observability::SlackSettings slack;  // SLACK_WEBHOOK_URL / SLACK_WEBHOOK_URL_CRITICAL
  std::chrono::milliseconds alert_check_period = std::chrono::minutes(5);
  // An appointment held for a caller (pending_sync) longer than this is stuck: its job books or
  // releases it within ~35 minutes (ten tries, docs/adr/0005-booking-flow.md), so one still
  // held after an hour has no job that will (its failure could not be recorded, or the job was
  // lost). The held_booking_stuck alert and the callgate_held_bookings_stuck gauge.
  std::chrono::milliseconds held_booking_stuck_after = std::chrono::hours(1);
};

// Defaults plus the Slack URLs from `config` (SLACK_WEBHOOK_URL, SLACK_WEBHOOK_URL_CRITICAL).
ObservabilitySettings ObservabilitySettingsFromConfig(const Config& config);

// The name of the periodic job that evaluates the alert rules.
inline constexpr std::string_view kAlertCheckJob = "alert_check";

class ObservabilityWiring {
 public:
  // Registers process, queue, breaker, overdue-callback and stuck-booking gauges and installs
  // the process-wide statement observer (storage::SetStatementObserver). `queue`, `breaker`,
  // `callbacks` and `appointments` may be null (no such gauges, and no callback_overdue or
  // held_booking_stuck alert, then); every non-null reference must outlive this object.
  ObservabilityWiring(ObservabilitySettings settings, observability::Metrics& metrics,
                      const Clock& clock, queue::QueueRuntime* queue,
                      std::function<resilience::CircuitBreaker*()> breaker,
                      booking::CallbackQueue* callbacks = nullptr,
                      booking::AppointmentRepository* appointments = nullptr);
  // Removes the statement observer.
  ~ObservabilityWiring();
  ObservabilityWiring(const ObservabilityWiring&) = delete;
  ObservabilityWiring& operator=(const ObservabilityWiring&) = delete;

  // Registers the alert_check job and its 5-minute scheduler task. Call before the queue
  // starts. kAlreadyExists when called twice.
  Status RegisterAlertCheck(queue::QueueRuntime& queue);

  // The access-log hook: request count and latency per route pattern, method and status.
  // Thread-safe.
  void RecordRequest(const http::Request& request, const http::Response& response,
                     std::chrono::nanoseconds elapsed);

  // GET /metrics: Prometheus text format 0.0.4 ("text/plain; version=0.0.4"). Thread-safe.
  http::Response MetricsEndpoint(http::Request& request) const;

  // Runs the alert rules now (what the alert_check job does). Thread-safe.
  std::vector<observability::AlertNotification> CheckAlerts();

  observability::AlertEngine& alerts() noexcept { return *alerts_; }
  observability::SlackNotifier& slack() noexcept { return *slack_; }

 private:
  double QueueBacklog() const;
  // The platform's overdue callback requests for the callback_overdue alert. None when the
  // database could not be read (the alert keeps its state).
  std::optional<observability::CallbacksOverdue> CallbacksOverdue() const;
  // The appointments held longer than held_booking_stuck_after (all companies), for the
  // held_booking_stuck alert and gauge: ids and companies, never the caller. None when the
  // database could not be read (no gauge series; the alert keeps its state).
  std::optional<observability::AlertLevel> HeldBookingsStuck() const;

  observability::Metrics& metrics_;
  const Clock& clock_;
  queue::QueueRuntime* queue_;
  booking::CallbackQueue* callbacks_;
  booking::AppointmentRepository* appointments_;
  const std::chrono::milliseconds held_booking_stuck_after_;
  observability::SlowQueryRecorder slow_queries_;
  observability::HttpRequestMetrics http_requests_;
  std::unique_ptr<observability::SlackNotifier> slack_;
  std::unique_ptr<observability::AlertEngine> alerts_;
  const std::chrono::milliseconds alert_check_period_;
};

}  // namespace callgate::app
