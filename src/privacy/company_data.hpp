#pragma once
// The end of a company's contract (GDPR Art. 28(3)(g); docs/privacy.md): every personal datum
// callgate holds for the company, exported as one document (ExportCompanyData, below), and
// deleted in one step once the company is deactivated.
//
// Deleted: its customers, callback requests, users (staff accounts) with their API tokens, raw
// webhook events, queued, outbox and failed jobs (by company column or, where it has none, by
// the company its JSON names). Cleared: the content of its calls (transcripts, summaries,
// analysis, recording URL, metadata) with the caller number and the customer link, the notes
// and customer link of its appointments, and its platform credentials (Cal.com and Retell API
// keys, Cal.com webhook secret, Vapi secret). Its calls and appointments are marked erased, so
// that the platforms' late deliveries about them keep nothing. What stays is what is not about a
// person and that billing and accountability need: the company, branch and service rows, call
// times, durations and costs, appointment times, its phone numbers, and the audit log (expired by
// its own retention). Another company's rows are never touched.
//
// Refuses (kConflict) while the company is active. Writes an audit entry `company.purge` with
// the counts and a log line. SQLite's WAL is checkpointed (TRUNCATE) afterwards, as after an
// erase. Thread-safe; never throws.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "privacy/audit_log.hpp"
#include "privacy/personal_data.hpp"
#include "privacy/report.hpp"
#include "storage/database.hpp"
#include "tenancy/model.hpp"

namespace callgate::privacy {

struct CompanyPurgeReport {
  std::int64_t customers_deleted = 0;
  std::int64_t calls_anonymised = 0;
  std::int64_t appointments_cleared = 0;
  std::int64_t callback_requests_deleted = 0;
  std::int64_t users_deleted = 0;
  std::int64_t api_tokens_deleted = 0;
  std::int64_t webhook_events_deleted = 0;
  std::int64_t jobs_deleted = 0;  // queued jobs and outbox entries
  std::int64_t failed_jobs_deleted = 0;
  bool credentials_cleared = false;

  // The counts, named once: ToJson, Describe and the log line derive from them.
  ReportLines Lines() const;
  nlohmann::json ToJson() const { return ReportJson(Lines()); }
  // One line per item, for the CLI.
  std::string Describe() const { return ReportText(Lines()); }
};

// See the header comment. kConflict while `company` is active; kNotFound when it is gone.
Result<CompanyPurgeReport> PurgeCompanyData(storage::Database& database, AuditLog& audit,
                                            const tenancy::Company& company,
                                            const Requester& requester, const Clock& clock);

// What ExportCompanyData wrote: rows per table.
struct CompanyExportReport {
  std::int64_t customers = 0;
  std::int64_t calls = 0;
  std::int64_t appointments = 0;
  std::int64_t callback_requests = 0;

  ReportLines Lines() const;
};

struct CompanyExportOptions {
  int page_size = 500;  // rows read per statement
  // Called after each page with the table's name and its rows written so far.
  std::function<void(std::string_view table, std::int64_t rows)> progress;
};

// The company's personal data handed back before its purge (GDPR Art. 28(3)(g): the controller
// gets its data back at the end of the contract), or whenever it asks: writes one JSON document
// to `out`, {"company":{"id","slug","name"}, "exported_at", "customers":[…], "calls":[…],
// "appointments":[…], "callback_requests":[…]}, with the fields of a person's export
// (export_rows.hpp: sealed columns opened). Each table is read in pages of `page_size` rows in
// id order, so memory stays bounded for any size, all of them in one read snapshot
// (Database::ReadSnapshot): a company still taking calls gains rows meanwhile, and none of them
// is in the export, so its rows agree with each other. Raw webhook bodies (copies of what the
// tables hold, kept to recognise redeliveries), jobs and the audit log are not part of it. Appends
// an audit entry `company.export` (target company:<id>) before writing and a log line with the
// counts after. kUnavailable when `out` fails; the document is then incomplete.
Result<CompanyExportReport> ExportCompanyData(storage::Database& database, AuditLog& audit,
                                              const tenancy::Company& company,
                                              const CompanyExportOptions& options,
                                              std::ostream& out, const Requester& requester,
                                              const Clock& clock);

}  // namespace callgate::privacy
