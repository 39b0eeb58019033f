#include "observability/standard_metrics.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "observability/log.hpp"

namespace callgate::observability {
namespace {

constexpr std::string_view kHttpRequests = "callgate_http_requests_total";
constexpr std::string_view kHttpDuration = "callgate_http_request_duration_ms";
constexpr std::string_view kDbDuration = "callgate_db_query_duration_ms";
constexpr std::string_view kDbSlow = "callgate_db_slow_queries_total";

double ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long long size = 0;
  long long resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double OpenFds() {
  std::error_code ec;
  double n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++n;
  }
  // The iterator's own descriptor is one of the entries.
  return n > 0 ? n - 1 : 0;
}

constexpr std::array<std::string_view, 5> kOperations = {"select", "insert", "update", "delete",
                                                         "other"};

// The index in kOperations of the statement's operation (a WITH query counts as select).
std::size_t OperationIndex(std::string_view sql) {
  std::size_t i = 0;
  while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
  std::size_t end = i;
  while (end < sql.size() && std::isalpha(static_cast<unsigned char>(sql[end]))) ++end;
  const std::string_view word = sql.substr(i, end - i);
  const auto is = [word](std::string_view op) {
    return word.size() == op.size() &&
           std::equal(word.begin(), word.end(), op.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == b;
           });
  };
  for (std::size_t op = 0; op < 4; ++op) {
    if (is(kOperations[op])) return op;
  }
  if (is("with")) return 0;
  return 4;
}

}  // namespace

void RegisterProcessMetrics(Metrics& metrics) {
  metrics.SetGaugeCallback("callgate_process_resident_memory_bytes",
                           "Resident set size of this process in bytes", [] {
                             return std::vector<GaugeSample>{{{}, ResidentBytes()}};
                           });
  metrics.SetGaugeCallback("callgate_process_open_fds", "Open file descriptors of this process",
                           [] {
                             return std::vector<GaugeSample>{{{}, OpenFds()}};
                           });
}

void DescribeStandardMetrics(Metrics& metrics) {
  metrics.Describe(kHttpRequests, "HTTP requests by route pattern, method and status");
  metrics.DescribeHistogram(kHttpDuration,
                            "HTTP request latency in ms (handler queue to response)");
  metrics.DescribeHistogram(kDbDuration, "Database statement latency in ms by operation");
  metrics.Describe(kDbSlow, "Database statements slower than the slow-query threshold");
}

namespace {
std::atomic<std::uint64_t> http_request_metrics_ids{0};
}  // namespace

HttpRequestMetrics::HttpRequestMetrics(Metrics& metrics)
    : requests_(metrics, {"route", "method", "status"}),
      durations_(metrics, {"route", "method"}),
      id_(++http_request_metrics_ids) {}

void HttpRequestMetrics::Record(std::string_view method, std::string_view route, int status,
                                std::chrono::nanoseconds elapsed) {
  if (route.empty()) route = "unmatched";
  struct Last {
    std::uint64_t recorder = 0;
    std::string route;
    std::string method;
    int status = 0;
    Metrics::CounterHandle requests;
    Metrics::HistogramHandle durations;
  };
  thread_local Last last;
  if (last.recorder != id_ || last.status != status || last.route != route ||
      last.method != method) {
    const std::string status_text = std::to_string(status);  // three digits: no allocation
    last.requests = requests_.Get(kHttpRequests, {route, method, status_text});
    last.durations = durations_.Get(kHttpDuration, {route, method});
    last.recorder = id_;
    last.route.assign(route);
    last.method.assign(method);
    last.status = status;
  }
  last.requests.Add();
  last.durations.Observe(static_cast<double>(elapsed.count()) / 1e6);
}

std::string StatementLabel(std::string_view sql) {
  std::string out;
  bool space = false;
  for (char c : sql) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
    if (out.size() >= 60) break;
  }
  return out;
}

SlowQueryRecorder::SlowQueryRecorder(Metrics& metrics, std::chrono::milliseconds threshold)
    : threshold_(threshold) {
  // Resolving the slow-query counters exports them at 0 from the start: rate() over a counter
  // that appears only with its first slow query has no value before it (Prometheus rules and
  // dashboards would show nothing, not 0).
  for (std::size_t op = 0; op < kOperations.size(); ++op) {
    const Labels labels{{"operation", std::string(kOperations[op])}};
    operations_[op] = {kOperations[op], metrics.HistogramSeries(kDbDuration, labels),
                       metrics.CounterSeries(kDbSlow, labels)};
  }
}

void SlowQueryRecorder::Record(std::string_view sql, std::chrono::nanoseconds elapsed) noexcept {
  try {
    const OperationSeries& op = operations_[OperationIndex(sql)];
    const double ms = static_cast<double>(elapsed.count()) / 1e6;
    op.duration.Observe(ms);
    if (elapsed < threshold_) return;
    op.slow.Add();
    LogWarn("slow_query", {{"statement", StatementLabel(sql)},
                           {"operation", op.name},
                           {"duration_ms", ms},
                           {"threshold_ms", static_cast<long long>(threshold_.count())}});
  } catch (...) {
    // Observing must never fail a statement.
  }
}

}  // namespace callgate::observability
