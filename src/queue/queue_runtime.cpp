#include "queue/queue_runtime.hpp"

#include <unistd.h>

#include "storage/database.hpp"

namespace callgate::queue {

Result<std::unique_ptr<QueueRuntime>> QueueRuntime::Create(QueueRuntimeSettings settings,
                                                           storage::Database& db,
                                                           redis::ClientPool* redis,
                                                           const Clock& clock,
                                                           observability::Metrics* metrics) {
  std::unique_ptr<QueueRuntime> runtime(new QueueRuntime());
  if (settings.driver == Driver::kRedis) {
    if (redis == nullptr) {
      return Fail(ErrorCode::kInvalidArgument,
                  "the redis queue driver needs CALLGATE_REDIS_URL to be set");
    }
    runtime->backend_ = std::make_unique<RedisJobQueue>(db, *redis, clock, settings.redis);
  } else {
    runtime->backend_ = std::make_unique<DatabaseJobQueue>(db, clock);
  }
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  const std::string owner = std::string(host) + ":" + std::to_string(::getpid());
  runtime->lock_ = std::make_unique<DatabaseSchedulerLock>(db, clock, owner);
  runtime->scheduler_ =
      std::make_unique<Scheduler>(*runtime->lock_, *runtime->backend_, clock, settings.scheduler);
  runtime->admin_ = std::make_unique<JobAdmin>(db, *runtime->backend_);
  if (settings.maintenance_jobs) {
    auto registered = RegisterMaintenanceJobs(runtime->registry_, *runtime->scheduler_, db, clock,
                                              settings.maintenance);
    if (!registered) return tl::unexpected(registered.error());
  }
  runtime->settings_ = std::move(settings);
  runtime->clock_ = &clock;
  runtime->metrics_ = metrics;
  return runtime;
}

QueueRuntime::~QueueRuntime() { Stop(); }

Status QueueRuntime::Start() {
  if (started_) return Fail(ErrorCode::kConflict, "queue runtime already started");
  if (auto started = backend_->Start(); !started) return started;
  if (settings_.workers.concurrency > 0) {
    workers_ =
        std::make_unique<WorkerPool>(*backend_, registry_, *clock_, settings_.workers, metrics_);
    if (auto started = workers_->Start(); !started) {
      workers_.reset();
      backend_->Stop();
      return started;
    }
  }
  if (settings_.run_scheduler) {
    if (auto started = scheduler_->Start(); !started) {
      Stop();
      return started;
    }
  }
  started_ = true;
  return Ok();
}

void QueueRuntime::Stop() {
  if (scheduler_) scheduler_->Stop();
  if (workers_) workers_->Stop();
  if (backend_) backend_->Stop();
  started_ = false;
}

}  // namespace callgate::queue
