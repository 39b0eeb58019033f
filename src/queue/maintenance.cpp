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

Result<long long> DeleteWebhookEventsPastCompanyRetention(storage::Database& db,
                                                          SystemTimePoint now, int batch_size) {
  if (batch_size < 1) batch_size = 1;
  long long total = 0;
  for (;;) {
    auto deleted = db.Run([&](storage::Session& s) -> Result<long long> {
      // CAST keeps PostgreSQL from guessing the parameter's type from INTEGER * BIGINT.
      return s.Execute(
          "DELETE FROM webhook_events WHERE id IN (SELECT w.id FROM webhook_events w JOIN "
          "companies co ON co.id = w.company_id WHERE w.received_at < CAST(:now AS BIGINT) - "
          "CAST(co.retention_days AS BIGINT) * 86400000 AND w.status IN ('processed', "
          "'ignored') ORDER BY w.id LIMIT :n)",
          storage::Params().Add(ToUnixMillis(now)).Add(batch_size));
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
        const auto now = clock.Now();
        auto deleted = DeleteFinishedWebhookEvents(db, now - retention);
        if (!deleted) return tl::unexpected(deleted.error());
        auto sooner = DeleteWebhookEventsPastCompanyRetention(db, now);
        if (!sooner) return tl::unexpected(sooner.error());
        observability::LogInfo("webhook_events_pruned", {{"deleted", *deleted + *sooner},
                                                         {"by_company_retention", *sooner}});
        return Ok();
      },
      job_options);
  if (!registered) return registered;
  return scheduler.Add(PeriodicTask{std::string(kCleanupWebhookEventsJob), options.cleanup_period,
                                    registry.MakeJob(kCleanupWebhookEventsJob, "{}")});
}

}  // namespace callgate::queue
