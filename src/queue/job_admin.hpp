#pragma once
// JobAdmin: the operator's view of the queue for `callgate jobs stats|failed|retry|forget`
// (and later the admin API / dashboard). Failed jobs live in the database's failed_jobs table
// with either driver, so these work the same for both.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "queue/job_backend.hpp"

namespace callgate::storage {
class Database;
}

namespace callgate::queue {

struct FailedJob {
  std::int64_t id = 0;      // failed_jobs.id: what retry/forget take
  std::int64_t job_id = 0;  // the job's id while it was queued
  std::string queue;
  std::string type;
  std::string payload_json;
  int attempts = 0;
  std::string error;
  std::string request_id;
  SystemTimePoint failed_at{};
};

class JobAdmin {
 public:
  // `backend` is the configured driver; retried jobs are enqueued through it. Everything must
  // outlive the admin.
  JobAdmin(storage::Database& db, JobBackend& backend);

  // Depth per queue and the failed count (JobBackend::Stats). Thread-safe.
  Result<QueueStats> Stats();

  // Failed jobs, newest first, at most `limit`. Thread-safe.
  Result<std::vector<FailedJob>> ListFailed(std::size_t limit = 100);

  // Enqueues failed job `failed_id` again as a new job (attempts start over; same queue, type,
  // payload and request id) and removes the failed record, in one transaction. Returns the new
  // job id. kNotFound for an unknown id. Thread-safe.
  Result<std::int64_t> Retry(std::int64_t failed_id);

  // Retry() for every failed job (each in its own transaction); returns how many. Stops at the
  // first error. Thread-safe.
  Result<std::size_t> RetryAll();

  // Deletes failed job `failed_id` without running it. kNotFound for an unknown id.
  // Thread-safe.
  Status Forget(std::int64_t failed_id);

 private:
  storage::Database& db_;
  JobBackend& backend_;
};

// Deletes the failed jobs that failed before `cutoff` (their retention: the daily privacy purge,
// CALLGATE_FAILED_JOB_RETENTION_DAYS) and returns how many. Thread-safe.
Result<std::int64_t> DeleteFailedJobsBefore(storage::Database& db, SystemTimePoint cutoff);

}  // namespace callgate::queue
