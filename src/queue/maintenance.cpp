#include "queue/maintenance.hpp"

#include "observability/log.hpp"
#include "storage/database.hpp"
#include "storage/session.hpp"

namespace callgate::queue {

Result<long long> DeleteFinishedWebhookEvents(storage::Database& db, SystemTimePoint cutoff) {
  return db.Run([&](storage::Session& s) -> Result<long long> {
    return s.Execute(
        "DELETE FROM webhook_events WHERE received_at < :cutoff AND "
        "status IN ('processed', 'ignored')",
        storage::Params().Add(cutoff));
  });
}

Status RegisterMaintenanceJobs(JobRegistry& registry, Scheduler& scheduler, storage::Database& db,
                               const Clock& clock, MaintenanceOptions options) {
  const auto retention = options.webhook_event_retention;
  JobOptions job_options;
  job_options.queue = std::string(kLow);
  auto registered = registry.Register(
      std::string(kCleanupWebhookEventsJob),
      [&db, &clock, retention](const Job&) -> Status {
        auto deleted = DeleteFinishedWebhookEvents(db, clock.Now() - retention);
        if (!deleted) return tl::unexpected(deleted.error());
        observability::LogInfo("webhook_events_pruned", {{"deleted", *deleted}});
        return Ok();
      },
      job_options);
  if (!registered) return registered;
  return scheduler.Add(PeriodicTask{std::string(kCleanupWebhookEventsJob), options.cleanup_period,
                                    registry.MakeJob(kCleanupWebhookEventsJob, "{}")});
}

}  // namespace callgate::queue
