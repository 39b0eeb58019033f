#pragma once
// The operations dashboard (docs/operations.md, "Dashboard"): GET /dashboard serves one static
// HTML page (inline CSS/JS, no external resources) that asks for an admin API token, keeps it in
// sessionStorage and polls the JSON endpoints below every few seconds.
//
//   GET  /api/admin/dashboard/overview            any admin; calls and bookings today (UTC) per
//                                                 company, the recent calls with outcome, and the
//                                                 open callbacks per branch with the overdue ones
//                                                 (company users: also the next ones to call) —
//                                                 company users see only their own company
//   GET  /api/admin/dashboard/system              platform admins; request rate, p50/p95/p99
//                                                 latency, error rate, queue depths, circuit
//                                                 breakers, recent alerts
//   GET  /api/admin/dashboard/failed-jobs         platform admins; newest failed jobs
//   POST /api/admin/dashboard/failed-jobs/{id}/retry  platform admins; enqueue it again
//
// The guards (admin token, roles) are on the routes in app/application.cpp. The overview (it
// lists callers' numbers) and the retry write audit entries (docs/privacy.md).

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "observability/metrics.hpp"

namespace callgate::storage {
class Database;
}
namespace callgate::queue {
class JobAdmin;
}
namespace callgate::resilience {
class CircuitBreaker;
}
namespace callgate::observability {
class AlertEngine;
}
namespace callgate::privacy {
class AuditLog;
}
namespace callgate::booking {
class CallbackQueue;
}

namespace callgate::app {

// The dashboard page (dashboard_page.cpp).
std::string_view DashboardHtml() noexcept;

struct DashboardSources {
  storage::Database* database = nullptr;
  observability::Metrics* metrics = nullptr;
  queue::JobAdmin* jobs = nullptr;
  std::function<resilience::CircuitBreaker*()> breaker;  // may return null
  std::function<observability::AlertEngine*()> alerts;   // may return null
  privacy::AuditLog* audit = nullptr;                    // none: nothing is audited
  booking::CallbackQueue* callbacks = nullptr;           // none: no callback section
};

class DashboardApi {
 public:
  // Everything the sources point to must outlive the API.
  DashboardApi(DashboardSources sources, const Clock& clock);

  http::Response Page(http::Request& request) const;
  http::Response Overview(http::Request& request);
  http::Response System(http::Request& request);
  http::Response FailedJobs(http::Request& request);
  http::Response RetryFailedJob(http::Request& request);

 private:
  // Appends an audit entry for the request's admin user (when an audit log is configured);
  // false when it could not be written (logged as audit_write_failed).
  bool Audit(const http::Request& request, std::optional<std::int64_t> company_id,
             std::string action, std::string target);

  // Request totals remembered between polls, so rates and quantiles cover the last minutes
  // rather than the whole process lifetime.
  struct TrafficSample {
    SystemTimePoint at;
    double requests = 0;
    double errors = 0;
    observability::HistogramData latency;
  };

  DashboardSources sources_;
  const Clock& clock_;
  std::mutex mutex_;
  std::deque<TrafficSample> samples_;  // oldest first, at most kTrafficWindow old
};

}  // namespace callgate::app
