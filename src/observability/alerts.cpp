#include "observability/alerts.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "observability/log.hpp"

namespace callgate::observability {
namespace {

constexpr std::size_t kRecentLimit = 50;

std::string Percent(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %%", ratio * 100);
  return buf;
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

std::string Minutes(std::chrono::milliseconds d) {
  const auto m = std::chrono::duration_cast<std::chrono::minutes>(d).count();
  return m % 60 == 0 && m >= 60 ? std::to_string(m / 60) + " h" : std::to_string(m) + " min";
}

bool IsRetellRoute(const Labels& labels) {
  for (const auto& [k, v] : labels) {
    if (k == "route") return v.starts_with("/webhooks/retell") || v.starts_with("/api/retell/");
  }
  return false;
}

std::string_view LabelValue(const Labels& labels, std::string_view key) {
  for (const auto& [k, v] : labels) {
    if (k == key) return v;
  }
  return {};
}

std::string_view KindName(AlertNotification::Kind kind) {
  switch (kind) {
    case AlertNotification::Kind::kFiring:
      return "firing";
    case AlertNotification::Kind::kReminder:
      return "reminder";
    case AlertNotification::Kind::kResolved:
      return "resolved";
  }
  return "firing";
}

}  // namespace

std::string_view AlertSeverityName(AlertSeverity severity) noexcept {
  return severity == AlertSeverity::kCritical ? "critical" : "warning";
}

std::function<AlertSample()> MetricsAlertSampler(
    const Metrics& metrics, std::function<double()> queue_backlog,
    std::function<std::optional<CallbacksOverdue>()> callbacks_overdue,
    std::function<std::optional<AlertLevel>()> held_bookings_stuck) {
  return [&metrics, queue_backlog = std::move(queue_backlog),
          callbacks_overdue = std::move(callbacks_overdue),
          held_bookings_stuck = std::move(held_bookings_stuck)] {
    AlertSample s;
    s.http_requests =
        metrics.Sum("callgate_http_requests_total", [](const Labels&) { return true; });
    s.http_errors = metrics.Sum("callgate_http_requests_total", [](const Labels& l) {
      return LabelValue(l, "status").starts_with('5');
    });
    const HistogramData webhook =
        metrics.SumHistograms("callgate_http_request_duration_ms", IsRetellRoute);
    s.webhook_latency_sum_ms = webhook.sum;
    s.webhook_latency_count = static_cast<double>(webhook.count);
    s.queue_backlog = queue_backlog ? queue_backlog() : 0;
    s.calcom_requests =
        metrics.Sum("callgate_calcom_requests_total", [](const Labels&) { return true; });
    s.calcom_failures = metrics.Sum("callgate_calcom_requests_total", [](const Labels& l) {
      return !LabelValue(l, "status").starts_with('2');
    });
    if (callbacks_overdue) s.callbacks_overdue = callbacks_overdue();
    if (held_bookings_stuck) s.held_bookings_stuck = held_bookings_stuck();
    return s;
  };
}

AlertEngine::AlertEngine(AlertSettings settings, std::function<AlertSample()> sampler,
                         AlertNotifier& notifier, const Clock& clock, Metrics& metrics)
    : settings_(settings),
      sampler_(std::move(sampler)),
      notifier_(notifier),
      clock_(clock),
      metrics_(metrics) {
  AlertSample first = sampler_();
  first.at = clock_.Now();
  history_.push_back(first);
  for (const char* rule : {"http_error_rate", "webhook_latency", "queue_backlog",
                           "calcom_failure_rate", "callback_overdue", "held_booking_stuck"}) {
    states_.emplace_back(rule, RuleState{});
    metrics_.SetGauge("callgate_alert_firing", {{"rule", rule}}, 0);
  }
}

const AlertSample& AlertEngine::Baseline(std::chrono::milliseconds window) const {
  const SystemTimePoint cutoff = history_.back().at - window;
  const AlertSample* best = &history_.front();
  for (const AlertSample& s : history_) {
    if (s.at <= cutoff) best = &s;
  }
  return *best;
}

std::vector<AlertEngine::Evaluation> AlertEngine::Evaluate() const {
  const AlertSample& now = history_.back();
  std::vector<Evaluation> out;
  {
    const AlertSample& base = Baseline(settings_.error_window);
    const double requests = now.http_requests - base.http_requests;
    const double errors = now.http_errors - base.http_errors;
    const double rate = requests > 0 ? errors / requests : 0;
    out.push_back({"http_error_rate", AlertSeverity::kCritical,
                   requests > settings_.error_min_requests && rate > settings_.error_rate,
                   "HTTP error rate " + Percent(rate) + " over " + Minutes(settings_.error_window) +
                       " (" + Number(errors) + " of " + Number(requests) +
                       " requests answered 5xx; threshold " + Percent(settings_.error_rate) + ")"});
  }
  {
    const AlertSample& base = Baseline(settings_.webhook_window);
    const double count = now.webhook_latency_count - base.webhook_latency_count;
    const double mean =
        count > 0 ? (now.webhook_latency_sum_ms - base.webhook_latency_sum_ms) / count : 0;
    out.push_back({"webhook_latency", AlertSeverity::kWarning,
                   count > 0 && mean > settings_.webhook_latency_ms,
                   "Retell webhook/function mean latency " + Number(mean) + " ms over " +
                       Minutes(settings_.webhook_window) + " (" + Number(count) +
                       " requests; threshold " + Number(settings_.webhook_latency_ms) + " ms)"});
  }
  out.push_back({"queue_backlog", AlertSeverity::kWarning,
                 now.queue_backlog > settings_.queue_backlog,
                 "Job queue backlog " + Number(now.queue_backlog) + " ready jobs (threshold " +
                     Number(settings_.queue_backlog) + ")"});
  {
    const AlertSample& base = Baseline(settings_.calcom_window);
    const double requests = now.calcom_requests - base.calcom_requests;
    const double failures = now.calcom_failures - base.calcom_failures;
    const double rate = requests > 0 ? failures / requests : 0;
    out.push_back(
        {"calcom_failure_rate", AlertSeverity::kCritical,
         requests >= settings_.calcom_min_requests && rate > settings_.calcom_failure_rate,
         "Cal.com failure rate " + Percent(rate) + " over " + Minutes(settings_.calcom_window) +
             " (" + Number(failures) + " of " + Number(requests) + " requests failed; threshold " +
             Percent(settings_.calcom_failure_rate) + ")"});
  }
  const auto level = [&](const char* rule, AlertSeverity severity,
                         const std::optional<AlertLevel>& read, double threshold,
                         const std::string& what) {
    if (!read) {
      out.push_back({rule, severity, false, "not known: could not be read", false});
      return;
    }
    out.push_back({rule, severity, read->count > threshold,
                   Number(read->count) + " " + what +
                       (read->detail.empty() ? std::string() : ": " + read->detail) +
                       " (threshold " + Number(threshold) + ")"});
  };
  level("callback_overdue", AlertSeverity::kWarning, now.callbacks_overdue,
        settings_.callbacks_overdue, "open callback request(s) overdue");
  level("held_booking_stuck", AlertSeverity::kCritical, now.held_bookings_stuck,
        settings_.held_bookings_stuck,
        "appointment(s) held for a caller and not booked or released by their job");
  return out;
}

std::vector<AlertNotification> AlertEngine::Check() {
  std::vector<AlertNotification> sent;
  {
    std::lock_guard lock(mutex_);
    AlertSample sample = sampler_();
    sample.at = clock_.Now();
    history_.push_back(sample);
    // Keep one sample at least the longest window old; drop older ones.
    const auto longest =
        std::max({settings_.error_window, settings_.webhook_window, settings_.calcom_window});
    while (history_.size() > 2 && history_[1].at <= sample.at - longest) history_.pop_front();

    for (const Evaluation& e : Evaluate()) {
      auto state = std::find_if(states_.begin(), states_.end(),
                                [&](const auto& s) { return s.first == e.rule; });
      RuleState& st = state->second;
      if (!e.known) continue;  // as it was: no fire, reminder or resolve on not knowing
      std::optional<AlertNotification::Kind> kind;
      if (e.firing && !st.firing) {
        kind = AlertNotification::Kind::kFiring;
      } else if (e.firing && sample.at - st.last_notified >= settings_.renotify_interval) {
        kind = AlertNotification::Kind::kReminder;
      } else if (!e.firing && st.firing) {
        kind = AlertNotification::Kind::kResolved;
      }
      st.firing = e.firing;
      metrics_.SetGauge("callgate_alert_firing", {{"rule", e.rule}}, e.firing ? 1 : 0);
      if (!kind) continue;
      st.last_notified = sample.at;
      AlertNotification n;
      n.rule = e.rule;
      n.severity = e.severity;
      n.kind = *kind;
      n.at = sample.at;
      const std::string severity(AlertSeverityName(e.severity));
      std::string upper = severity;
      std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
      switch (*kind) {
        case AlertNotification::Kind::kFiring:
          n.text = ":rotating_light: [" + upper + "] callgate alert " + e.rule + " is FIRING\n" +
                   e.detail + "\nRunbook: docs/operations.md#" + e.rule;
          break;
        case AlertNotification::Kind::kReminder:
          n.text = ":rotating_light: [" + upper + "] callgate alert " + e.rule +
                   " is STILL FIRING\n" + e.detail + "\nRunbook: docs/operations.md#" + e.rule;
          break;
        case AlertNotification::Kind::kResolved:
          n.text =
              ":white_check_mark: [RESOLVED] callgate alert " + e.rule + " cleared\n" + e.detail;
          break;
      }
      metrics_.Increment("callgate_alert_notifications_total",
                         {{"rule", e.rule}, {"kind", std::string(KindName(*kind))}});
      LogWarn("alert", {{"rule", e.rule},
                        {"severity", severity},
                        {"kind", KindName(*kind)},
                        {"detail", e.detail}});
      recent_.push_front(n);
      if (recent_.size() > kRecentLimit) recent_.pop_back();
      sent.push_back(std::move(n));
    }
  }
  // Outside the lock: a notifier is quick, but never hold the engine while it runs.
  for (const AlertNotification& n : sent) notifier_.Notify(n);
  return sent;
}

std::vector<std::string> AlertEngine::Firing() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [rule, st] : states_) {
    if (st.firing) out.push_back(rule);
  }
  return out;
}

std::vector<AlertNotification> AlertEngine::Recent() const {
  std::lock_guard lock(mutex_);
  return {recent_.begin(), recent_.end()};
}

// ---------------------------------------------------------------------------------------------

SlackNotifier::SlackNotifier(SlackSettings settings, Metrics& metrics)
    : settings_(std::move(settings)), metrics_(metrics) {
  metrics_.Describe("callgate_slack_posts_total",
                    "Slack alert posts by outcome (ok, failed, dropped, disabled)");
  thread_ = std::thread([this] { Run(); });
}

SlackNotifier::~SlackNotifier() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SlackNotifier::Notify(const AlertNotification& notification) {
  const Secret& url =
      notification.severity == AlertSeverity::kCritical && !settings_.critical_url.empty()
          ? settings_.critical_url
          : settings_.warning_url;
  if (url.empty()) {
    metrics_.Increment("callgate_slack_posts_total", {{"outcome", "disabled"}});
    return;
  }
  std::string body = nlohmann::json{{"text", notification.text}}.dump();
  {
    std::lock_guard lock(mutex_);
    if (pending_.size() >= settings_.max_pending || stopping_) {
      metrics_.Increment("callgate_slack_posts_total", {{"outcome", "dropped"}});
      return;
    }
    pending_.emplace_back(url.Reveal(), std::move(body));
  }
  wake_.notify_one();
}

void SlackNotifier::Flush() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return (pending_.empty() && !busy_) || stopping_; });
}

namespace {
std::size_t Discard(char*, std::size_t size, std::size_t n, void*) { return size * n; }
}  // namespace

void SlackNotifier::Run() {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  for (;;) {
    std::pair<std::string, std::string> post;
    {
      std::unique_lock lock(mutex_);
      busy_ = false;
      idle_.notify_all();
      wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (stopping_) {
        pending_.clear();
        idle_.notify_all();
        return;
      }
      post = std::move(pending_.front());
      pending_.pop_front();
      busy_ = true;
    }
    long status = 0;
    CURLcode rc = CURLE_FAILED_INIT;
    if (curl) {
      CURL* h = curl.get();
      curl_easy_reset(h);
      curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
      curl_easy_setopt(h, CURLOPT_URL, post.first.c_str());
      curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, post.second.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(post.second.size()));
      curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                       static_cast<long>(settings_.connect_timeout.count()));
      curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
      curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
      curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Discard);
      rc = curl_easy_perform(h);
      if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
      curl_slist_free_all(headers);
    }
    const bool ok = rc == CURLE_OK && status >= 200 && status < 300;
    metrics_.Increment("callgate_slack_posts_total", {{"outcome", ok ? "ok" : "failed"}});
    if (!ok) {
      // The URL is a secret: log only the outcome.
      LogWarn("slack_post_failed",
              {{"curl", curl_easy_strerror(rc)}, {"status", static_cast<long long>(status)}});
    }
  }
}

}  // namespace callgate::observability
