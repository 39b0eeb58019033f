#pragma once
// Retention (docs/privacy.md): what is due for deletion under each company's retention_days and
// customer_retention_days, deleted in batches on SQLite and PostgreSQL. Run daily by the
// privacy_purge job (app/privacy_commands.hpp) and by `callgate privacy purge`.
//
//   call content   transcript, transcript_object, summary, analysis and recording_url of calls
//                  that ended (or started, or were created) more than retention_days ago are
//                  set to NULL; the call row with its times, duration and costs stays (billing).
//   customers      customers created and last called more than customer_retention_days ago
//                  with no appointment starting after that cutoff are deleted; their calls,
//                  past appointments and callback requests are unlinked (customer_id NULL).

#include <cstdint>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace callgate::storage {

struct PurgeReport {
  std::int64_t calls_cleared = 0;      // calls whose content was removed
  std::int64_t customers_deleted = 0;  // customers deleted
};

// Purges what is due at `now`, `batch_size` rows per transaction. Idempotent; safe to run on
// several instances at once (a row is cleared or deleted once). Thread-safe.
Result<PurgeReport> PurgeExpired(Database& database, SystemTimePoint now, int batch_size = 500);

}  // namespace callgate::storage
