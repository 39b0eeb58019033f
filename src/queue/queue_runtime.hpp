#pragma once
// QueueRuntime: everything a process needs for background jobs, built in one place so `serve`
// and `worker` wire it the same way:
//   backend   DatabaseJobQueue or RedisJobQueue (JobQueue for producers, JobBackend for workers)
//   registry  job types and handlers (register before Start)
//   scheduler periodic tasks, claimed through DatabaseSchedulerLock (one instance per period)
//   admin     stats, failed jobs, retry, forget
//   workers   a WorkerPool, created by Start() when workers.concurrency > 0
//
//   auto queue = queue::QueueRuntime::Create(settings, db, redis_pool_or_null, clock, &metrics);
//   (*queue)->registry().Register("call_analysis", handler, options);
//   calls::CallEventService events(..., (*queue)->jobs(), ...);
//   (*queue)->Start();   ...   (*queue)->Stop();

#include <memory>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "queue/database_job_queue.hpp"
#include "queue/job_admin.hpp"
#include "queue/job_backend.hpp"
#include "queue/job_registry.hpp"
#include "queue/maintenance.hpp"
#include "queue/redis_job_queue.hpp"
#include "queue/scheduler.hpp"
#include "queue/worker_pool.hpp"

namespace callgate::storage {
class Database;
}
namespace callgate::redis {
class ClientPool;
}
namespace callgate::observability {
class Metrics;
}

namespace callgate::queue {

enum class Driver { kDatabase, kRedis };

struct QueueRuntimeSettings {
  Driver driver = Driver::kDatabase;
  RedisQueueOptions redis;    // Redis driver only
  WorkerPoolOptions workers;  // concurrency 0: this process only enqueues (and relays)
  bool run_scheduler = true;  // safe on every instance: periods are claimed once globally
  SchedulerOptions scheduler;
  bool maintenance_jobs = true;  // RegisterMaintenanceJobs (webhook event cleanup)
  MaintenanceOptions maintenance;
};

class QueueRuntime {
 public:
  // Builds the driver and the parts around it; starts nothing. kInvalidArgument when the Redis
  // driver is chosen without a Redis pool. `db`, `redis`, `clock`, `metrics` must outlive it.
  static Result<std::unique_ptr<QueueRuntime>> Create(QueueRuntimeSettings settings,
                                                      storage::Database& db,
                                                      redis::ClientPool* redis, const Clock& clock,
                                                      observability::Metrics* metrics = nullptr);
  // Stop().
  ~QueueRuntime();
  QueueRuntime(const QueueRuntime&) = delete;
  QueueRuntime& operator=(const QueueRuntime&) = delete;

  JobQueue& jobs() noexcept { return *backend_; }
  JobBackend& backend() noexcept { return *backend_; }
  JobRegistry& registry() noexcept { return registry_; }
  Scheduler& scheduler() noexcept { return *scheduler_; }
  JobAdmin& admin() noexcept { return *admin_; }
  // The running pool, or nullptr before Start() / with concurrency 0.
  WorkerPool* workers() noexcept { return workers_.get(); }

  // Starts the driver's background work (Redis outbox relay), the workers (registry must be
  // complete by now) and the scheduler. Fails like WorkerPool::Start. Call once.
  Status Start();
  // Stops the scheduler, then the workers (running jobs finish, see WorkerPool::Stop), then
  // the relay (after one last relay round). Idempotent.
  void Stop();

 private:
  QueueRuntime() = default;

  QueueRuntimeSettings settings_;
  const Clock* clock_ = nullptr;
  observability::Metrics* metrics_ = nullptr;
  std::unique_ptr<JobBackend> backend_;
  JobRegistry registry_;
  std::unique_ptr<DatabaseSchedulerLock> lock_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<JobAdmin> admin_;
  std::unique_ptr<WorkerPool> workers_;
  bool started_ = false;
};

}  // namespace callgate::queue
