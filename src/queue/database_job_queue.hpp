#pragma once
// DatabaseJobQueue: the default queue driver, on the `jobs` table of the application database
// (SQLite in embedded mode, PostgreSQL in production).
//
// Enqueue inside Database::WithTransaction on the same thread inserts the job in that
// transaction, so it exists exactly when the data that caused it was committed.
// Reservation is atomic per job: PostgreSQL selects with FOR UPDATE SKIP LOCKED (workers skip
// each other's candidate rows instead of waiting), SQLite reserves under BEGIN IMMEDIATE (one
// writer at a time). A reserved row gets reserved_until = available_at = now + lease, so a job
// whose worker died becomes due again when the lease ends, with no sweeper process.

#include <functional>
#include <mutex>

#include "core/clock.hpp"
#include "queue/common.hpp"
#include "queue/job_backend.hpp"

namespace callgate::storage {
class Database;
}

namespace callgate::queue {

class DatabaseJobQueue final : public JobBackend {
 public:
  // `db` and `clock` must outlive the queue.
  DatabaseJobQueue(storage::Database& db, const Clock& clock);

  Result<std::int64_t> Enqueue(const NewJob& job) override;
  Result<std::optional<Job>> Reserve(const ReserveOptions& options) override;
  Status Complete(const Job& job) override;
  Status Retry(const Job& job, std::chrono::milliseconds delay, std::string_view error) override;
  Status MoveToFailed(const Job& job, std::string_view error) override;
  Status Release(const Job& job) override;
  Result<QueueStats> Stats() override;
  void SetWakeCallback(std::function<void()> wake) override;

 private:
  void WakeWorkers();

  storage::Database& db_;
  const Clock& clock_;
  internal::WakeHook wake_;
};

}  // namespace callgate::queue
