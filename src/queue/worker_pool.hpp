#pragma once
// WorkerPool: N threads that take jobs from a JobBackend in queue priority order and run their
// handlers from a JobRegistry, with retries, backoff and failed-job handling.
//
// Each thread reserves one job at a time. Outcomes:
//   handler Ok                       → Complete (job removed)
//   handler error, tries left        → Retry after JobOptions::BackoffAfter(attempt)
//   handler error, no tries left     → the failed hook, then MoveToFailed with the error
//   lease expired after the last try → the same ("ended without a recorded outcome")
//   failed hook error                → Retry after the last backoff; the next run is the line
//                                      above (the hook again, no handler run); after ten
//                                      failed hook runs, MoveToFailed with the hook's error
//   no handler for the type          → treated like a handler error (ends in failed_jobs)
// Handlers run with the job's request id set (observability::ScopedRequestId); every outcome
// is logged and counted as callgate_jobs_total{type,outcome} when a Metrics is given.
//
// Idle threads wait for Wake() (the backend calls it after an in-process enqueue) or at most
// `poll_interval`, so jobs enqueued by other processes start within one poll interval. Lease
// and backoff times come from the Clock; the idle wait is real time.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "queue/job_backend.hpp"
#include "queue/job_registry.hpp"

namespace callgate::observability {
class Metrics;
}

namespace callgate::queue {

struct WorkerPoolOptions {
  // Served in this order (a strict priority: a lower queue waits while a higher one has jobs).
  std::vector<std::string> queues = {std::string(kHigh), std::string(kDefault), std::string(kLow)};
  std::size_t concurrency = 2;
  // Longest idle wait between polls when nothing wakes the pool (real time).
  std::chrono::milliseconds poll_interval{1000};
  // Wait after the store failed (database or Redis down) before polling again (real time).
  std::chrono::milliseconds error_backoff{2000};
  // Worker id prefix stored with reservations; empty: "<hostname>:<pid>".
  std::string name;
};

// kHookFailed: the job failed for good, but its failed hook could not record that; it is queued
// again for the hook. kLeaseLost: the job finished after its lease expired and was handed to
// another worker; kUnrecorded: the store failed while recording the outcome (the lease hands the
// job out again).
enum class JobOutcome {
  kCompleted,
  kRetried,
  kFailed,
  kHookFailed,
  kReleased,
  kLeaseLost,
  kUnrecorded
};

// "completed", "retried", "failed", "hook_failed", "released", "lease_lost", "unrecorded"
// (metric labels).
std::string_view JobOutcomeName(JobOutcome outcome) noexcept;

class WorkerPool {
 public:
  // Everything passed by reference (and `metrics`, when given) must outlive the pool. The
  // registry must be complete: the leases of its types are read here.
  WorkerPool(JobBackend& backend, const JobRegistry& registry, const Clock& clock,
             WorkerPoolOptions options = {}, observability::Metrics* metrics = nullptr);
  // Stop().
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Starts `concurrency` threads and subscribes to the backend's wake-ups. kInvalidArgument
  // for zero concurrency, an empty or unknown queue list; kConflict when already started.
  Status Start();

  // Graceful shutdown: idle threads stop at once, running handlers finish their job (and record
  // its outcome), a job reserved while stopping is released unrun; then joins. Blocks as long as
  // the slowest running handler. Idempotent; thread-safe; not callable from a handler.
  void Stop();

  // New work may be available: wakes one idle thread. Thread-safe, cheap, never blocks long.
  void Wake();

  // Reserves and runs at most one job on the calling thread (tests, benchmarks, `jobs work`):
  // its outcome, or nullopt when nothing was due. Fails only when the store fails.
  Result<std::optional<JobOutcome>> RunOnce();

  const WorkerPoolOptions& options() const noexcept { return options_; }

 private:
  Result<std::optional<JobOutcome>> RunOne(const std::string& worker_id, bool releasing_on_stop);
  JobOutcome Finish(const Job& job, const JobRegistry::Entry* entry, const JobOptions& options,
                    const Status& result, std::chrono::milliseconds elapsed);
  void Count(const Job& job, JobOutcome outcome);
  void Loop(std::size_t index);
  bool stopping() const;

  JobBackend& backend_;
  const JobRegistry& registry_;
  const Clock& clock_;
  WorkerPoolOptions options_;
  observability::Metrics* metrics_;
  ReserveOptions reserve_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;        // guarded by mutex_
  std::size_t wake_tokens_ = 0;  // guarded by mutex_
  std::mutex lifecycle_mutex_;   // serialises Start/Stop
  std::vector<std::thread> threads_;
};

}  // namespace callgate::queue
