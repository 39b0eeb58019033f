#include "app/observability_wiring.hpp"

#include "booking/callback_queue.hpp"
#include "booking/repositories.hpp"
#include "core/time_zone.hpp"
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

// "company 4 / branch 7: 2, company 5 (no branch): 1; oldest due …; SLA 120 min in opening
// hours" — ids and counts only, never a caller's name or number.
std::string OverdueDetail(const booking::CallbackOverdueReport& report,
                          const booking::CallbackSla& sla) {
  constexpr std::size_t kListed = 5;
  std::string out;
  std::optional<SystemTimePoint> oldest;
  for (std::size_t i = 0; i < report.branches.size(); ++i) {
    const auto& b = report.branches[i];
    if (b.oldest_overdue_due && (!oldest || *b.oldest_overdue_due < *oldest)) {
      oldest = b.oldest_overdue_due;
    }
    if (i == kListed) {
      out += ", and " + std::to_string(report.branches.size() - kListed) + " more branches";
    }
    if (i >= kListed) continue;
    out += (i ? ", " : "") + std::string("company ") + std::to_string(b.company_id.value) +
           (b.branch_id ? " / branch " + std::to_string(b.branch_id->value) : " (no branch)") +
           ": " + std::to_string(b.overdue);
  }
  if (oldest) out += "; oldest due " + FormatIso8601Utc(*oldest);
  out += "; SLA " + std::to_string(sla.minutes.count()) + " min" +
         (sla.business_hours ? " in opening hours" : "");
  if (report.truncated) out += "; stopped reading: at least this many";
  return out;
}

// The number of held appointments and "company 4: appointment 812 (held since …), …" for the
// oldest — ids and times only, never the caller.
observability::AlertLevel StuckDetail(const booking::HeldAppointments& held) {
  observability::AlertLevel out;
  out.count = held.count;
  for (const auto& a : held.oldest) {
    out.detail += (out.detail.empty() ? "" : ", ") + std::string("company ") +
                  std::to_string(a.company_id.value) + ": appointment " +
                  std::to_string(a.id.value) + " (held since " + FormatIso8601Utc(a.since) + ")";
  }
  if (static_cast<std::size_t>(held.count) > held.oldest.size()) out.detail += ", …";
  if (out.count > 0) {
    out.detail +=
        "; their jobs retry the release (log job_failed_hook_failed) or gave up "
        "(`callgate jobs failed`, then `callgate jobs retry`); `callgate jobs resume-booking` "
        "queues a job that is gone";
  }
  return out;
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
                                         std::function<resilience::CircuitBreaker*()> breaker,
                                         booking::CallbackQueue* callbacks,
                                         booking::AppointmentRepository* appointments)
    : metrics_(metrics),
      clock_(clock),
      queue_(queue),
      callbacks_(callbacks),
      appointments_(appointments),
      held_booking_stuck_after_(settings.held_booking_stuck_after),
      slow_queries_(metrics, settings.slow_query_threshold),
      http_requests_(metrics),
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
  if (callbacks_ != nullptr) {
    // Platform-wide and read at scrape time; a failing database yields no series.
    metrics_.SetGaugeCallback(
        "callgate_callbacks_overdue",
        "Open callback requests overdue under the callback SLA (CALLBACK_SLA_MINUTES), all "
        "companies",
        [this] {
          auto report = callbacks_->Overdue();
          if (!report) return std::vector<GaugeSample>{};
          return std::vector<GaugeSample>{{{}, static_cast<double>(report->overdue)}};
        });
  }
  if (appointments_ != nullptr) {
    metrics_.SetGaugeCallback(
        "callgate_held_bookings_stuck",
        "Appointments held for a caller (pending_sync) for longer than their job can take, all "
        "companies",
        [this] {
          auto stuck = HeldBookingsStuck();
          if (!stuck) return std::vector<GaugeSample>{};
          return std::vector<GaugeSample>{{{}, stuck->count}};
        });
  }
  storage::SetStatementObserver([this](std::string_view sql, std::chrono::nanoseconds elapsed) {
    slow_queries_.Record(sql, elapsed);
  });
  slack_ = std::make_unique<observability::SlackNotifier>(settings.slack, metrics_);
  alerts_ = std::make_unique<observability::AlertEngine>(
      settings.alerts,
      observability::MetricsAlertSampler(
          metrics_, [this] { return QueueBacklog(); }, [this] { return CallbacksOverdue(); },
          [this] { return HeldBookingsStuck(); }),
      *slack_, clock, metrics_);
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

std::optional<observability::CallbacksOverdue> ObservabilityWiring::CallbacksOverdue() const {
  if (callbacks_ == nullptr) return observability::AlertLevel{};
  auto report = callbacks_->Overdue();
  if (!report) {
    // Not knowing is no alert of its own: the database's failures show elsewhere.
    observability::LogWarn("callback_overdue_unread", {{"error", report.error().message}});
    return std::nullopt;
  }
  if (report->overdue == 0) return observability::AlertLevel{};
  return observability::AlertLevel{static_cast<double>(report->overdue),
                                   OverdueDetail(*report, callbacks_->sla())};
}

std::optional<observability::AlertLevel> ObservabilityWiring::HeldBookingsStuck() const {
  if (appointments_ == nullptr) return observability::AlertLevel{};
  constexpr int kListed = 5;
  auto held = appointments_->HeldSince(clock_.Now() - held_booking_stuck_after_, kListed);
  if (!held) {
    // Not knowing is no alert of its own: the database's failures show elsewhere.
    observability::LogWarn("held_bookings_unread", {{"error", held.error().message}});
    return std::nullopt;
  }
  return StuckDetail(*held);
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
  http_requests_.Record(http::MethodName(request.method), request.route_pattern, response.status,
                        elapsed);
}

http::Response ObservabilityWiring::MetricsEndpoint(http::Request&) const {
  return http::Response::Text(200, metrics_.RenderPrometheus(), "text/plain; version=0.0.4");
}

std::vector<observability::AlertNotification> ObservabilityWiring::CheckAlerts() {
  return alerts_->Check();
}

}  // namespace callgate::app
