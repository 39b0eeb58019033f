#pragma once
// Operator commands for data protection (docs/privacy.md):
//   callgate keys generate <file> [--add]   new master key file (or a new current key in it)
//   callgate keys rotate [--batch N]        re-encrypt every sealed column under the current key
//   callgate privacy purge                  delete what each company's retention makes due now
//   callgate privacy export --company <slug> --phone <number>
//                                           everything stored about a number, as JSON (Art. 15)
//   callgate privacy erase --company <slug> --phone <number> [--cancel-future]
//                                           erase it (Art. 17; privacy/personal_data.hpp)
//   callgate privacy export-company --company <slug> [--out <file>]
//                                           the company's personal data, as JSON (Art. 28(3)(g))
//   callgate privacy purge-company --company <slug> --confirm <slug>
//                                           delete it once the company is deactivated
// and the daily privacy_purge job on the scheduler (same work as `privacy purge`, plus the audit
// log's retention). Each command writes an audit entry (actor "system").

#include <cstdint>
#include <iosfwd>
#include <string>

#include "app/config.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "privacy/report.hpp"

namespace callgate::observability {
class Metrics;
}
namespace callgate::privacy {
class AuditLog;
}
namespace callgate::queue {
class QueueRuntime;
}
namespace callgate::storage {
class Database;
}

namespace callgate::app {

inline constexpr std::string_view kPrivacyPurgeJob = "privacy_purge";

// Counter of what the purge deleted: callgate_privacy_purged_total{kind} with kind =
// call_content | appointment_notes | customers | caller_numbers | callback_requests |
// audit_events | failed_jobs.
inline constexpr std::string_view kPrivacyPurgedMetric = "callgate_privacy_purged_total";

struct PrivacyPurgeSettings {
  int audit_retention_days = 730;      // CALLGATE_AUDIT_RETENTION_DAYS
  int failed_job_retention_days = 30;  // CALLGATE_FAILED_JOB_RETENTION_DAYS
};

// What one purge deleted.
struct PrivacyPurgeCounts {
  std::int64_t calls_cleared = 0;
  std::int64_t appointment_notes_cleared = 0;
  std::int64_t customers_deleted = 0;
  std::int64_t caller_numbers_cleared = 0;
  std::int64_t callback_requests_deleted = 0;
  std::int64_t audit_events_deleted = 0;
  std::int64_t failed_jobs_deleted = 0;

  // The counts, named once (with the `kind` of kPrivacyPurgedMetric each is counted under): the
  // log line, the counters, the audit entry and the CLI text derive from them.
  privacy::ReportLines Lines() const;
};

// One purge: storage::PurgeExpired at clock.Now(), the audit entries older than the audit
// retention and the failed jobs older than theirs, then the `privacy_purged` log line, the counters
// (when `metrics` is given) and a `privacy.purge` audit entry. The work of the job and of `callgate
// privacy purge`.
Result<PrivacyPurgeCounts> PurgePersonalData(storage::Database& db, privacy::AuditLog& audit,
                                             const Clock& clock,
                                             const PrivacyPurgeSettings& settings,
                                             observability::Metrics* metrics);

// Registers the privacy_purge job (queue low, one try: the next day runs again) and its daily
// periodic task: storage::PurgeExpired and the audit log's retention, then a `privacy_purged`
// log line, the counters and an audit entry with the counts. Every reference must outlive the
// queue runtime.
Status RegisterPrivacyPurgeJob(queue::QueueRuntime& queue, storage::Database& db,
                               privacy::AuditLog& audit, const Clock& clock,
                               PrivacyPurgeSettings settings, observability::Metrics& metrics);

// Runs the purge now and prints what it deleted.
int RunPrivacyPurge(const Config& config, const Clock& clock, std::ostream& out, std::ostream& err);

// `privacy export` / `privacy erase` (privacy::PersonalData). The erase cancels future
// appointments through Cal.com (the company's key, else CALCOM_API_KEY) with `cancel_future`.
// Exit code 0; 1 when the company is unknown, the database or Cal.com fails, or (erase) future
// appointments exist without --cancel-future; 2 for a malformed number.
struct PrivacyRequestOptions {
  std::string company_slug;
  std::string phone;
  bool cancel_future = false;
};
int RunPrivacyExport(const Config& config, const Clock& clock, const PrivacyRequestOptions& options,
                     std::ostream& out, std::ostream& err);
int RunPrivacyErase(const Config& config, const Clock& clock, const PrivacyRequestOptions& options,
                    std::ostream& out, std::ostream& err);

// `privacy purge-company`: the end of a company's contract (privacy::PurgeCompanyData). The slug
// must be given twice (`confirm`), and the company must be deactivated. Exit code 0; 1 when the
// company is unknown or active, the confirmation differs, or the database fails.
struct CompanyPurgeOptions {
  std::string company_slug;
  std::string confirm;
};
int RunPrivacyPurgeCompany(const Config& config, const Clock& clock,
                           const CompanyPurgeOptions& options, std::ostream& out,
                           std::ostream& err);

// `privacy export-company`: the company's personal data as one JSON document
// (privacy::ExportCompanyData), for the company before its purge or whenever it asks. Written to
// `file`: created as `<file>.partial` with mode 0600 (never an existing file, never through a
// link), synced, and published under `file` only when complete; an existing `file` is refused,
// never overwritten, and a failed run removes its partial file. Progress and a summary go to
// `out`. Without a file the document goes to `out` and progress to `err`. Exit code 0; 1 when
// the company is unknown, a file exists or cannot be written, or the database fails.
struct CompanyExportCommand {
  std::string company_slug;
  std::string file;  // empty: `out`
  int page_size = 500;
};
int RunPrivacyExportCompany(const Config& config, const Clock& clock,
                            const CompanyExportCommand& options, std::ostream& out,
                            std::ostream& err);

// Writes a new key file (base64 of 32 random bytes, mode 0600) and prints its key id and the
// variable to set; with `add`, prepends a new current key to an existing file instead. Needs no
// configuration. Exit code: 0, 1 when the file exists (without --add) or cannot be written.
int RunKeysGenerate(const std::string& file, bool add, std::ostream& out, std::ostream& err);

// Re-encrypts everything under the configured current key (storage::ResealAll), printing one
// progress line per batch. Safe to interrupt and run again. Exit code 1 when some values did
// not decrypt (they are listed and left alone) or the database fails.
int RunKeysRotate(const Config& config, const Clock& clock, int batch_size, std::ostream& out,
                  std::ostream& err);

}  // namespace callgate::app
