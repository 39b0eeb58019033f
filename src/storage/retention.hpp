#pragma once
// Retention (docs/privacy.md): what is due for deletion under each company's retention_days and
// customer_retention_days, deleted in batches on SQLite and PostgreSQL. Run daily by the
// privacy_purge job (app/privacy_commands.hpp) and by `callgate privacy purge`.
//
//   call content   transcript, transcript_object, summary, analysis, recording_url and metadata
//                  of calls that ended (or started, or were created) more than retention_days
//                  ago are set to NULL; the call row with its times, duration and costs stays
//                  (billing).
//   appointment    notes (sealed) of appointments that ended more than retention_days ago are
//   notes          cleared ('': the column is NOT NULL).
//   customers      customers created and last called more than customer_retention_days ago
//                  with no appointment starting after that cutoff are deleted; their calls,
//                  past appointments and callback requests are unlinked (customer_id NULL).
//                  Each customer in a transaction of its own, checked again under its lock.
//   caller numbers from_number of every call older than customer_retention_days is set to NULL,
//                  with or without a customer row (withheld and never-linked callers too).
//   callback       callback requests made more than customer_retention_days ago are deleted
//   requests       (name, number and reason), whatever their status.
// Every step picks only rows that still hold what it removes, so a second run changes nothing.

#include <cstdint>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace callgate::storage {

struct PurgeReport {
  std::int64_t calls_cleared = 0;              // calls whose content (and metadata) was removed
  std::int64_t appointment_notes_cleared = 0;  // appointments whose notes were cleared
  std::int64_t customers_deleted = 0;          // customers deleted
  std::int64_t caller_numbers_cleared = 0;     // calls whose from_number was set to NULL
  std::int64_t callback_requests_deleted = 0;  // callback requests deleted
};

// Purges what is due at `now`, `batch_size` rows per transaction. Idempotent; safe to run on
// several instances at once (a row is cleared or deleted once). Thread-safe.
Result<PurgeReport> PurgeExpired(Database& database, SystemTimePoint now, int batch_size = 500);

}  // namespace callgate::storage
