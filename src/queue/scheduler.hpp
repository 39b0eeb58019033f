#pragma once
// Scheduler: enqueues periodic jobs (alert checks every 5 minutes, daily cleanups) exactly
// once per period across all running instances.
//
// Periods are aligned to the Unix epoch in UTC (a 5-minute task's periods start at :00, :05,
// …; a daily one at 00:00 UTC). On each tick every instance computes the current period of each
// task and tries to claim it through a SchedulerLock; the one claim that succeeds enqueues the
// task's job. An instance that was down for a whole period does not make it up later: periodic
// jobs look at "now", so one run per live period is what matters.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "queue/job_queue.hpp"

namespace callgate::storage {
class Database;
}
namespace callgate::redis {
class ClientPool;
}

namespace callgate::queue {

struct PeriodicTask {
  std::string name;                  // unique; names the lock, e.g. "alert_check"
  std::chrono::milliseconds period;  // ≥ 1 s
  NewJob job;                        // enqueued once per period
};

// Decides which instance fires a task's period.
class SchedulerLock {
 public:
  virtual ~SchedulerLock() = default;
  // Claims period [start, end) of task `name` and, when this call wins the claim, runs `fire`.
  // true: claimed here and `fire` succeeded; false: the period was already claimed (by any
  // instance). When `fire` fails, the claim is undone and fire's error returned, so a later
  // tick tries again. kUnavailable when the lock store is down. Thread-safe.
  virtual Result<bool> ClaimAndRun(std::string_view name, SystemTimePoint start,
                                   SystemTimePoint end, const std::function<Status()>& fire) = 0;
};

// Lock rows in the `scheduler_locks` table: the claim moves locked_until from ≤ start to end.
// The claim and `fire` share one transaction, so with the database queue driver (or the Redis
// driver's outbox) the job exists exactly when the period is claimed.
class DatabaseSchedulerLock final : public SchedulerLock {
 public:
  // `owner` (e.g. "host:pid") is stored for operators. `db` and `clock` must outlive the lock.
  DatabaseSchedulerLock(storage::Database& db, const Clock& clock, std::string owner);
  Result<bool> ClaimAndRun(std::string_view name, SystemTimePoint start, SystemTimePoint end,
                           const std::function<Status()>& fire) override;

 private:
  storage::Database& db_;
  const Clock& clock_;
  std::string owner_;
};

// `SET <prefix>sched:<name>:<start> <owner> NX PX <until end + 1 min>` in Redis; deleted again
// when `fire` fails.
class RedisSchedulerLock final : public SchedulerLock {
 public:
  RedisSchedulerLock(redis::ClientPool& redis, const Clock& clock, std::string owner,
                     std::string key_prefix = "callgate:");
  Result<bool> ClaimAndRun(std::string_view name, SystemTimePoint start, SystemTimePoint end,
                           const std::function<Status()>& fire) override;

 private:
  redis::ClientPool& redis_;
  const Clock& clock_;
  std::string owner_;
  std::string key_prefix_;
};

struct SchedulerOptions {
  // How often the background thread checks for due tasks (real time).
  std::chrono::milliseconds tick{std::chrono::seconds(1)};
};

class Scheduler {
 public:
  // Everything passed by reference must outlive the scheduler.
  Scheduler(SchedulerLock& lock, JobQueue& queue, const Clock& clock,
            SchedulerOptions options = {});
  // Stop().
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Adds a task. kInvalidArgument for an empty name or a period under one second;
  // kAlreadyExists for a duplicate name. Thread-safe.
  Status Add(PeriodicTask task);

  // Claims and enqueues every task whose current period has not been claimed yet; returns how
  // many jobs this call enqueued. Errors of single tasks are logged and retried on the next
  // call. Thread-safe.
  std::size_t RunDue();

  // Runs RunDue every tick on a background thread. Idempotent.
  Status Start();
  // Stops the thread. Idempotent.
  void Stop();

 private:
  struct Entry {
    PeriodicTask task;
    long long done_period_start = -1;  // ms; the period this instance knows is claimed
  };

  SchedulerLock& lock_;
  JobQueue& queue_;
  const Clock& clock_;
  const SchedulerOptions options_;

  std::mutex mutex_;  // guards entries_ and serialises RunDue
  std::vector<Entry> entries_;

  std::mutex thread_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by thread_mutex_
  std::thread thread_;
};

}  // namespace callgate::queue
