#include "app/dashboard_api.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "auth/admin_token_guard.hpp"
#include "booking/callback_queue.hpp"
#include "core/encoding.hpp"
#include "core/masking.hpp"
#include "core/phone.hpp"
#include "core/time_zone.hpp"
#include "observability/alerts.hpp"
#include "privacy/audit_log.hpp"
#include "queue/job_admin.hpp"
#include "resilience/circuit_breaker.hpp"
#include "storage/database.hpp"
#include "storage/session.hpp"

namespace callgate::app {
namespace {

using http::Request;
using http::Response;
using nlohmann::json;

constexpr std::chrono::minutes kTrafficWindow{5};
constexpr int kRecentCalls = 20;
constexpr std::size_t kFailedJobs = 50;
constexpr std::size_t kRecentAlerts = 20;
constexpr int kNextCallbacks = 10;

constexpr std::string_view kRequests = "callgate_http_requests_total";
constexpr std::string_view kLatency = "callgate_http_request_duration_ms";

std::string LabelOf(const observability::Labels& labels, std::string_view name) {
  for (const auto& [k, v] : labels) {
    if (k == name) return v;
  }
  return {};
}

// The dashboard's own polling is not traffic worth showing.
bool CountsAsTraffic(const observability::Labels& labels) {
  const std::string route = LabelOf(labels, "route");
  return route.rfind("/api/admin/dashboard", 0) != 0 && route != "/dashboard";
}

bool IsServerError(const observability::Labels& labels) {
  const std::string status = LabelOf(labels, "status");
  return !status.empty() && status[0] == '5';
}

// `now` minus `before`, bucket by bucket (same bounds), for quantiles over a window.
observability::HistogramData Delta(const observability::HistogramData& now,
                                   const observability::HistogramData& before) {
  if (now.bounds != before.bounds || now.cumulative.size() != before.cumulative.size() ||
      now.count < before.count) {
    return now;
  }
  observability::HistogramData out = now;
  for (std::size_t i = 0; i < out.cumulative.size(); ++i) {
    out.cumulative[i] -= std::min(out.cumulative[i], before.cumulative[i]);
  }
  out.count -= before.count;
  out.sum -= before.sum;
  return out;
}

double Round(double value, double scale = 100.0) { return std::round(value * scale) / scale; }

SystemTimePoint StartOfUtcDay(SystemTimePoint now) {
  return std::chrono::floor<std::chrono::days>(now);
}

template <typename T>
json Opt(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

// A caller's number as the platform's staff see it: masked; a withheld one as it is.
std::optional<std::string> MaskedOrNull(const std::optional<std::string>& number) {
  if (!number || IsWithheldNumber(*number)) return number;
  return MaskPhone(*number);
}

json OptionalTime(const std::optional<SystemTimePoint>& t) {
  return t ? json(FormatIso8601Utc(*t)) : json(nullptr);
}

std::string Outcome(const storage::Row& r) {
  if (r.Int64("bookings") > 0) return "booked";
  const std::string status = r.String("status");
  const auto successful = r.OptionalInt("call_successful");
  if (successful) return *successful ? "successful" : "unsuccessful";
  return status;
}

Response Unauthenticated() {
  return Response::Error(ErrorCode::kUnauthenticated, "authentication required");
}

}  // namespace

DashboardApi::DashboardApi(DashboardSources sources, const Clock& clock)
    : sources_(std::move(sources)), clock_(clock) {}

Response DashboardApi::Page(Request&) const {
  Response response = Response::Text(200, std::string(DashboardHtml()), "text/html; charset=utf-8");
  response.headers.Set("Cache-Control", "no-store");
  response.headers.Set("X-Frame-Options", "DENY");
  response.headers.Set("X-Content-Type-Options", "nosniff");
  response.headers.Set("Referrer-Policy", "no-referrer");
  // Inline script and style only; the page talks to this origin and nothing else.
  response.headers.Set("Content-Security-Policy",
                       "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                       "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
                       "form-action 'none'; frame-ancestors 'none'");
  return response;
}

Response DashboardApi::Overview(Request& request) {
  auto actor = auth::ActorOf(request);
  if (!actor) return Unauthenticated();
  std::optional<std::int64_t> only;  // company users see their own company only
  if (actor->role != auth::Role::kPlatformAdmin) {
    if (!actor->company_id) return Response::Error(ErrorCode::kPermissionDenied, "no company");
    only = actor->company_id->value;
  }
  const SystemTimePoint now = clock_.Now();
  const SystemTimePoint since = StartOfUtcDay(now);
  // The callback queue reads through its own repository: before the statements below, never
  // inside their session.
  std::optional<std::vector<booking::CallbackBranchSummary>> callback_branches;
  json next_callbacks = json::array();
  if (sources_.callbacks != nullptr) {
    auto summary = sources_.callbacks->Summary(
        only ? std::optional<tenancy::CompanyId>(tenancy::CompanyId(*only)) : std::nullopt);
    if (!summary) return Response::Error(summary.error());
    callback_branches = std::move(*summary);
    if (only) {
      booking::CallbackQueueQuery next;
      next.filter = booking::CallbackFilter::kActive;
      next.limit = kNextCallbacks;
      auto page = sources_.callbacks->List(tenancy::CompanyId(*only), next);
      if (!page) return Response::Error(page.error());
      for (const auto& e : page->items) {
        next_callbacks.push_back(
            {{"id", e.request.id.value},
             {"branch_id", e.request.branch_id ? json(e.request.branch_id->value) : json(nullptr)},
             {"name", e.request.name},
             {"phone", e.request.phone.empty() ? json(nullptr) : json(e.request.phone)},
             {"reason", e.request.reason},
             {"status", e.request.status},
             {"due_at", FormatIso8601Utc(e.due)},
             {"overdue_at", FormatIso8601Utc(e.overdue_at)},
             {"overdue", e.overdue}});
      }
    }
  }
  auto result = sources_.database->Run([&](storage::Session& s) -> Result<json> {
    std::map<std::int64_t, json> companies;
    {
      storage::Params p;
      std::string rest = "FROM companies";
      if (only) {
        rest += " WHERE id = :id";
        p.Add(*only);
      }
      rest += " ORDER BY name, id";
      s.Query("id, name", rest, p, [&](const storage::Row& r) {
        companies[r.Int64("id")] = {{"company_id", r.Int64("id")},
                                    {"name", r.String("name")},
                                    {"calls_today", 0},
                                    {"bookings_today", 0}};
      });
    }
    auto count = [&](const std::string& table, const std::string& extra, const char* field) {
      storage::Params p;
      p.Add(since);
      std::string rest = "FROM " + table + " WHERE created_at >= :since" + extra;
      if (only) {
        rest += " AND company_id = :company_id";
        p.Add(*only);
      }
      rest += " GROUP BY company_id";
      s.Query("company_id, COUNT(*) AS n", rest, p, [&](const storage::Row& r) {
        auto it = companies.find(r.Int64("company_id"));
        if (it != companies.end()) it->second[field] = r.Int64("n");
      });
    };
    count("calls", "", "calls_today");
    count("appointments", " AND status <> 'cancelled'", "bookings_today");

    json rows = json::array();
    for (auto& [id, c] : companies) rows.push_back(c);  // copied: the callbacks name them too
    json totals = {{"calls_today", 0}, {"bookings_today", 0}};
    for (const auto& c : rows) {
      totals["calls_today"] =
          totals["calls_today"].get<std::int64_t>() + c["calls_today"].get<std::int64_t>();
      totals["bookings_today"] =
          totals["bookings_today"].get<std::int64_t>() + c["bookings_today"].get<std::int64_t>();
    }

    json calls = json::array();
    {
      storage::Params p;
      std::string rest = "FROM calls c JOIN companies co ON co.id = c.company_id";
      if (only) {
        rest += " WHERE c.company_id = :company_id";
        p.Add(*only);
      }
      rest += " ORDER BY c.id DESC LIMIT " + std::to_string(kRecentCalls);
      s.Query(
          "c.id, c.company_id, co.name AS company_name, c.retell_call_id, c.direction, "
          "c.from_number, c.to_number, c.status, c.call_successful, c.disconnection_reason, "
          "c.duration_ms, c.started_at, c.created_at, "
          "(SELECT COUNT(*) FROM appointments a WHERE a.company_id = c.company_id AND "
          "a.call_id = c.id) AS bookings",
          rest, p, [&](const storage::Row& r) {
            calls.push_back(
                {{"id", r.Int64("id")},
                 {"company_id", r.Int64("company_id")},
                 {"company_name", r.String("company_name")},
                 {"retell_call_id", r.String("retell_call_id")},
                 {"direction", r.String("direction")},
                 // The platform's staff see every company's calls: callers' numbers masked
                 // (the companies' own users see theirs, to call back).
                 {"from_number", only ? Opt(r.OptionalString("from_number"))
                                      : Opt(MaskedOrNull(r.OptionalString("from_number")))},
                 {"to_number", Opt(r.OptionalString("to_number"))},
                 {"status", r.String("status")},
                 {"outcome", Outcome(r)},
                 {"disconnection_reason", Opt(r.OptionalString("disconnection_reason"))},
                 {"duration_ms", Opt(r.OptionalInt64("duration_ms"))},
                 {"started_at", OptionalTime(r.OptionalTime("started_at"))},
                 {"created_at", FormatIso8601Utc(r.Time("created_at"))}});
          });
    }
    json out{{"generated_at", FormatIso8601Utc(now)},
             {"day_start", FormatIso8601Utc(since)},
             {"role", std::string(auth::RoleName(actor->role))},
             {"company_id", only ? json(*only) : json(nullptr)},
             {"totals", totals},
             {"companies", rows},
             {"recent_calls", calls}};
    if (callback_branches) {
      std::map<std::int64_t, std::string> branch_names;
      {
        storage::Params p;
        std::string rest = "FROM branches";
        if (only) {
          rest += " WHERE company_id = :company_id";
          p.Add(*only);
        }
        s.Query("id, name", rest, p,
                [&](const storage::Row& r) { branch_names[r.Int64("id")] = r.String("name"); });
      }
      json branches = json::array();
      std::int64_t open = 0, overdue = 0;
      for (const auto& b : *callback_branches) {
        open += b.open;
        overdue += b.overdue;
        auto company = companies.find(b.company_id.value);
        branches.push_back(
            {{"company_id", b.company_id.value},
             {"company_name", company != companies.end() ? company->second["name"] : json("")},
             {"branch_id", b.branch_id ? json(b.branch_id->value) : json(nullptr)},
             {"branch_name", b.branch_id ? json(branch_names[b.branch_id->value]) : json(nullptr)},
             {"open", b.open},
             {"overdue", b.overdue},
             {"oldest_overdue_due", OptionalTime(b.oldest_overdue_due)}});
      }
      const booking::CallbackSla& sla = sources_.callbacks->sla();
      out["callbacks"] = {
          {"sla", {{"minutes", sla.minutes.count()}, {"business_hours", sla.business_hours}}},
          {"open", open},
          {"overdue", overdue},
          {"branches", branches},
          {"next", next_callbacks}};
    }
    return out;
  });
  if (!result) return Response::Error(result.error());
  // Answered only once the access is on record.
  if (!Audit(request, only, "dashboard.overview", "")) {
    return Response::Error(ErrorCode::kUnavailable, "the access could not be recorded; try again");
  }
  return Response::Json(200, *result);
}

bool DashboardApi::Audit(const Request& request, std::optional<std::int64_t> company_id,
                         std::string action, std::string target) {
  auto actor = auth::ActorOf(request);
  if (sources_.audit == nullptr || !actor) return true;  // nobody to record (tests, tools)
  return privacy::AppendOrLog(
      *sources_.audit,
      {0,
       company_id,
       privacy::UserActor(actor->user_id.value),
       std::move(action),
       std::move(target),
       "",
       request.request_id.empty() ? std::nullopt : std::optional<std::string>(request.request_id),
       {}});
}

Response DashboardApi::System(Request&) {
  const SystemTimePoint now = clock_.Now();
  observability::Metrics& metrics = *sources_.metrics;
  TrafficSample current;
  current.at = now;
  current.requests = metrics.Sum(kRequests, CountsAsTraffic);
  current.errors = metrics.Sum(kRequests, [](const observability::Labels& l) {
    return CountsAsTraffic(l) && IsServerError(l);
  });
  current.latency = metrics.SumHistograms(kLatency, CountsAsTraffic);

  json traffic;
  {
    std::lock_guard lock(mutex_);
    while (!samples_.empty() && now - samples_.front().at > kTrafficWindow) samples_.pop_front();
    const TrafficSample* base = samples_.empty() ? nullptr : &samples_.front();
    double seconds = base ? std::chrono::duration<double>(now - base->at).count() : 0;
    const bool windowed = base && seconds >= 1.0;
    const double requests = windowed ? current.requests - base->requests : current.requests;
    const double errors = windowed ? current.errors - base->errors : current.errors;
    const observability::HistogramData latency =
        windowed ? Delta(current.latency, base->latency) : current.latency;
    traffic = {{"window_seconds", windowed ? Round(seconds, 1) : 0},
               {"requests_total", current.requests},
               {"errors_total", current.errors},
               {"requests", requests},
               {"request_rate_per_s", windowed ? json(Round(requests / seconds)) : json(nullptr)},
               {"error_rate", requests > 0 ? json(Round(errors / requests, 10000)) : json(nullptr)},
               {"latency_ms",
                {{"p50", Round(latency.Quantile(0.50))},
                 {"p95", Round(latency.Quantile(0.95))},
                 {"p99", Round(latency.Quantile(0.99))},
                 {"count", latency.count}}}};
    samples_.push_back(std::move(current));
  }

  json queues = json::array();
  json failed = nullptr;
  if (auto stats = sources_.jobs->Stats()) {
    for (const auto& q : stats->queues) {
      queues.push_back({{"queue", q.queue},
                        {"ready", q.ready},
                        {"delayed", q.delayed},
                        {"reserved", q.reserved}});
    }
    failed = stats->failed;
  }

  json breakers = json::array();
  if (auto* breaker = sources_.breaker ? sources_.breaker() : nullptr) {
    for (const auto& k : breaker->Snapshot()) {
      breakers.push_back({{"key", k.key},
                          {"state", std::string(resilience::BreakerStateName(k.state))},
                          {"consecutive_failures", k.consecutive_failures},
                          {"opened_at", OptionalTime(k.opened_at)}});
    }
  }

  json alerts = json::array();
  json firing = json::array();
  if (auto* engine = sources_.alerts ? sources_.alerts() : nullptr) {
    for (const auto& rule : engine->Firing()) firing.push_back(rule);
    for (const auto& n : engine->Recent()) {
      if (alerts.size() >= kRecentAlerts) break;
      const char* kind = n.kind == observability::AlertNotification::Kind::kFiring     ? "firing"
                         : n.kind == observability::AlertNotification::Kind::kReminder ? "reminder"
                                                                                       : "resolved";
      alerts.push_back({{"rule", n.rule},
                        {"severity", std::string(observability::AlertSeverityName(n.severity))},
                        {"kind", kind},
                        {"at", FormatIso8601Utc(n.at)},
                        {"text", n.text}});
    }
  }
  return Response::Json(200, {{"generated_at", FormatIso8601Utc(now)},
                              {"traffic", traffic},
                              {"queues", queues},
                              {"failed_jobs", failed},
                              {"circuit_breakers", breakers},
                              {"alerts_firing", firing},
                              {"alerts", alerts}});
}

Response DashboardApi::FailedJobs(Request&) {
  auto jobs = sources_.jobs->ListFailed(kFailedJobs);
  if (!jobs) return Response::Error(jobs.error());
  json items = json::array();
  // The payload stays out: it may carry customer data; `callgate jobs failed` shows it.
  for (const auto& j : *jobs) {
    items.push_back({{"id", j.id},
                     {"job_id", j.job_id},
                     {"queue", j.queue},
                     {"type", j.type},
                     {"attempts", j.attempts},
                     {"error", j.error},
                     {"request_id", j.request_id},
                     {"failed_at", FormatIso8601Utc(j.failed_at)}});
  }
  return Response::Json(200, {{"items", items}});
}

Response DashboardApi::RetryFailedJob(Request& request) {
  const auto id = ParsePositiveId(request.RouteParam("id"));
  if (!id) {
    return Response::Error(ErrorCode::kInvalidArgument, "the failed job id must be a positive id");
  }
  auto job = sources_.jobs->Retry(*id);
  if (!job) return Response::Error(job.error());
  Audit(request, std::nullopt, "failed_jobs.retry", "failed_job:" + std::to_string(*id));
  return Response::Json(200, {{"retried", *id}, {"job_id", *job}});
}

}  // namespace callgate::app
