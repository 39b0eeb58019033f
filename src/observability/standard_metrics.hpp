#pragma once
// The metrics every callgate process exports besides the per-module counters: process
// resources, HTTP requests per route, database statement latency and slow queries.
// Names are listed in docs/operations.md.

#include <array>
#include <chrono>
#include <string>
#include <string_view>

#include "observability/metrics.hpp"

namespace callgate::observability {

// Registers callback gauges read from /proc at render time:
//   callgate_process_resident_memory_bytes (RSS, /proc/self/statm × page size),
//   callgate_process_open_fds (entries of /proc/self/fd).
// A value that cannot be read is reported as 0. Thread-safe.
void RegisterProcessMetrics(Metrics& metrics);

// Declares the HTTP, database and alerting families (help texts, latency buckets), so they
// appear in the output before the first request. Thread-safe.
void DescribeStandardMetrics(Metrics& metrics);

// Counts answered HTTP requests: callgate_http_requests_total{route,method,status} and
// callgate_http_request_duration_ms{route,method} (histogram). `route` is the matched route
// pattern (never the raw path, to bound cardinality); pass "" for unmatched requests, which are
// recorded as route="unmatched". Every request is counted, so the series are resolved once and
// kept (SeriesCache): no label strings built, no registry lock. Thread-safe.
class HttpRequestMetrics {
 public:
  explicit HttpRequestMetrics(Metrics& metrics);
  // Each thread remembers the series of the last (route, method, status) it recorded here, so
  // a run of one kind of request (a balancer's /health, an agent's tool calls) finds them
  // without building a key or taking a lock.
  void Record(std::string_view method, std::string_view route, int status,
              std::chrono::nanoseconds elapsed);

 private:
  CounterCache requests_;
  SeriesCache<Metrics::HistogramHandle> durations_;
  // Tells this recorder's remembered series from those of a recorder destroyed before (the
  // same address may be used again); unique over the process.
  const std::uint64_t id_;
};

// A short, single-line name for a SQL statement: whitespace collapsed, at most 60 characters.
std::string StatementLabel(std::string_view sql);

// Records database statement timings: callgate_db_query_duration_ms{operation} (histogram;
// operation = select/insert/update/delete/other) for every statement, and for statements that
// took at least `threshold`, a `slow_query` warning log line (statement label, duration_ms)
// and callgate_db_slow_queries_total{operation}. Thread-safe.
class SlowQueryRecorder {
 public:
  // `metrics` must outlive the recorder.
  SlowQueryRecorder(Metrics& metrics, std::chrono::milliseconds threshold);

  // Records one statement. Never throws.
  void Record(std::string_view sql, std::chrono::nanoseconds elapsed) noexcept;

  std::chrono::milliseconds threshold() const noexcept { return threshold_; }

 private:
  // The series of each operation (select, insert, update, delete, other), resolved once: every
  // statement is recorded.
  struct OperationSeries {
    std::string_view name;
    Metrics::HistogramHandle duration;
    Metrics::CounterHandle slow;
  };
  std::chrono::milliseconds threshold_;
  std::array<OperationSeries, 5> operations_;
};

}  // namespace callgate::observability
