#include "app/observability_wiring.hpp"

#include "observability/log.hpp"
#include "queue/queue_runtime.hpp"
#include "resilience/circuit_breaker.hpp"
#include "storage/session.hpp"

namespace callgate::app {
namespace {

using observability::GaugeSample;

double BreakerStateValue(resilience::BreakerState state) {
  switch (state) {
    case resilience::BreakerState::kClosed:
      return 0;
    case resilience::BreakerState::kHalfOpen:
      return 1;
    case resilience::BreakerState::kOpen:
      return 2;
  }
  return 0;
}

}  // namespace

ObservabilitySettings ObservabilitySettingsFromConfig(const Config& config) {
  ObservabilitySettings settings;
  settings.slack.warning_url = config.slack_webhook_url;
  settings.slack.critical_url = config.slack_webhook_url_critical;
  return settings;
}

ObservabilityWiring::ObservabilityWiring(ObservabilitySettings settings,
                                         observability::Metrics& metrics, const Clock& clock,
                                         queue::QueueRuntime* queue,
                                         std::function<resilience::CircuitBreaker*()> breaker)
    : metrics_(metrics),
      queue_(queue),
      slow_queries_(metrics, settings.slow_query_threshold),
      alert_check_period_(settings.alert_check_period) {
  observability::DescribeStandardMetrics(metrics_);
  observability::RegisterProcessMetrics(metrics_);
  if (queue_ != nullptr) {
    // Read at scrape time; a failing queue store yields no series rather than a failed scrape.
    metrics_.SetGaugeCallback(
        "callgate_queue_jobs", "Jobs per queue and state (ready, delayed, reserved)", [this] {
          std::vector<GaugeSample> out;
          auto stats = queue_->admin().Stats();
          if (!stats) return out;
          for (const auto& q : stats->queues) {
            out.push_back({{{"queue", q.queue}, {"state", "ready"}}, static_cast<double>(q.ready)});
            out.push_back(
                {{{"queue", q.queue}, {"state", "delayed"}}, static_cast<double>(q.delayed)});
            out.push_back(
                {{{"queue", q.queue}, {"state", "reserved"}}, static_cast<double>(q.reserved)});
          }
          return out;
        });
    metrics_.SetGaugeCallback("callgate_queue_failed_jobs", "Jobs in failed_jobs", [this] {
      auto stats = queue_->admin().Stats();
      if (!stats) return std::vector<GaugeSample>{};
      return std::vector<GaugeSample>{{{}, static_cast<double>(stats->failed)}};
    });
  }
  if (breaker) {
    metrics_.SetGaugeCallback("callgate_circuit_breaker_state",
                              "Circuit breaker state per key: 0 closed, 1 half-open, 2 open",
                              [breaker = std::move(breaker)] {
                                std::vector<GaugeSample> out;
                                resilience::CircuitBreaker* b = breaker();
                                if (b == nullptr) return out;
                                for (const auto& key : b->Snapshot()) {
                                  out.push_back({{{"key", key.key}}, BreakerStateValue(key.state)});
                                }
                                return out;
                              });
  }
  storage::SetStatementObserver([this](std::string_view sql, std::chrono::nanoseconds elapsed) {
    slow_queries_.Record(sql, elapsed);
  });
  slack_ = std::make_unique<observability::SlackNotifier>(settings.slack, metrics_);
  alerts_ = std::make_unique<observability::AlertEngine>(
      settings.alerts,
      observability::MetricsAlertSampler(metrics_, [this] { return QueueBacklog(); }), *slack_,
      clock, metrics_);
}

ObservabilityWiring::~ObservabilityWiring() { storage::SetStatementObserver({}); }

double ObservabilityWiring::QueueBacklog() const {
  if (queue_ == nullptr) return 0;
  auto stats = queue_->admin().Stats();
  if (!stats) return 0;
  double ready = 0;
  for (const auto& q : stats->queues) ready += static_cast<double>(q.ready);
  return ready;
}

Status ObservabilityWiring::RegisterAlertCheck(queue::QueueRuntime& queue) {
  queue::JobOptions options;
  options.tries = 1;  // the next period checks again
  auto registered = queue.registry().Register(
      std::string(kAlertCheckJob),
      [this](const queue::Job&) -> Status {
        CheckAlerts();
        return Ok();
      },
      options);
  if (!registered) return registered;
  return queue.scheduler().Add(queue::PeriodicTask{std::string(kAlertCheckJob), alert_check_period_,
                                                   queue.registry().MakeJob(kAlertCheckJob, "{}")});
}

void ObservabilityWiring::RecordRequest(const http::Request& request,
                                        const http::Response& response,
                                        std::chrono::nanoseconds elapsed) {
  observability::RecordHttpRequest(metrics_, http::MethodName(request.method),
                                   request.route_pattern, response.status, elapsed);
}

http::Response ObservabilityWiring::MetricsEndpoint(http::Request&) const {
  return http::Response::Text(200, metrics_.RenderPrometheus(), "text/plain; version=0.0.4");
}

std::vector<observability::AlertNotification> ObservabilityWiring::CheckAlerts() {
  return alerts_->Check();
}

}  // namespace callgate::app
