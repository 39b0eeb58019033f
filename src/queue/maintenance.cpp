#include "queue/maintenance.hpp"

#include "observability/log.hpp"
#include "storage/database.hpp"
#include "storage/session.hpp"

namespace callgate::queue {

Result<long long> DeleteFinishedWebhookEvents(storage::Database& db, SystemTimePoint cutoff,
                                              int batch_size) {
  if (batch_size < 1) batch_size = 1;
  // In batches, each its own short statement: a day of events at scale is hundreds of thousands
  // of rows, and one DELETE of them all would hold its locks (SQLite: the single writer) for
  // as long as it runs.
  long long total = 0;
  for (;;) {
    auto deleted = db.Run([&](storage::Session& s) -> Result<long long> {
      return s.Execute(
          "DELETE FROM webhook_events WHERE id IN (SELECT id FROM webhook_events WHERE "
          "received_at < :cutoff AND status IN ('processed', 'ignored') ORDER BY id LIMIT :n)",
          storage::Params().Add(cutoff).Add(batch_size));
    });
    if (!deleted) return tl::unexpected(deleted.error());
    total += *deleted;
    if (*deleted < batch_size) return total;
  }
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
