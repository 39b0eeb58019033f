#pragma once
// Housekeeping jobs run by the scheduler on one instance at a time:
//   cleanup_webhook_events (queue low, daily): deletes webhook_events rows older than the
//   retention whose processing is over (processed / ignored), and a company's sooner when its
//   retention_days are fewer (the raw bodies hold the transcripts the company's retention
//   clears from its calls). Their dedupe keys only guard against redeliveries, which Retell and
//   Cal.com make within hours, not weeks.

#include <chrono>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "queue/job_registry.hpp"
#include "queue/scheduler.hpp"

namespace callgate::storage {
class Database;
}

namespace callgate::queue {

inline constexpr std::string_view kCleanupWebhookEventsJob = "cleanup_webhook_events";

struct MaintenanceOptions {
  std::chrono::hours webhook_event_retention{24 * 30};
  std::chrono::milliseconds cleanup_period{std::chrono::hours(24)};
};

// The cleanup itself: deletes the webhook events received before `cutoff` whose processing is
// over (processed, ignored), `batch_size` rows per statement; returns how many. Other statuses
// (received, processing, failed) stay. Thread-safe.
Result<long long> DeleteFinishedWebhookEvents(storage::Database& db, SystemTimePoint cutoff,
                                              int batch_size = 5000);

// The same for the events of companies whose `retention_days` have passed since the event was
// received (a company keeping call content for fewer days than the general retention); events
// of no company keep the general retention. Returns how many. Thread-safe.
Result<long long> DeleteWebhookEventsPastCompanyRetention(storage::Database& db,
                                                          SystemTimePoint now,
                                                          int batch_size = 5000);

// Registers the handlers in `registry` and their periodic tasks in `scheduler`. `db` and
// `clock` must outlive both. Fails like JobRegistry::Register / Scheduler::Add.
Status RegisterMaintenanceJobs(JobRegistry& registry, Scheduler& scheduler, storage::Database& db,
                               const Clock& clock, MaintenanceOptions options = {});

}  // namespace callgate::queue
