#include "app/privacy_commands.hpp"

#include <algorithm>
#include <optional>
#include <ostream>

#include "app/command_database.hpp"
#include "calcom/calcom_client.hpp"
#include "core/masking.hpp"
#include "core/phone.hpp"
#include "core/private_file.hpp"
#include "crypto/keyring.hpp"
#include "observability/log.hpp"
#include "observability/metrics.hpp"
#include "privacy/audit_log.hpp"
#include "privacy/company_data.hpp"
#include "privacy/personal_data.hpp"
#include "queue/job_admin.hpp"
#include "queue/queue_runtime.hpp"
#include "storage/database.hpp"
#include "storage/migrator.hpp"
#include "storage/retention.hpp"
#include "storage/sealed_columns.hpp"
#include "storage/sql_tenancy_repositories.hpp"

namespace callgate::app {
namespace {

int Die(std::ostream& err, std::string_view what, const Error& error) {
  err << "callgate: " << what << ": " << error.message << "\n";
  return error.code == ErrorCode::kInvalidArgument ? 2 : 1;
}

}  // namespace

privacy::ReportLines PrivacyPurgeCounts::Lines() const {
  using privacy::ReportLine;
  return {
      ReportLine("calls_cleared", "calls whose content was cleared", calls_cleared)
          .Kind("call_content"),
      ReportLine("appointment_notes_cleared", "appointment notes cleared",
                 appointment_notes_cleared)
          .Kind("appointment_notes"),
      ReportLine("customers_deleted", "customers deleted", customers_deleted).Kind("customers"),
      ReportLine("caller_numbers_cleared", "caller numbers cleared", caller_numbers_cleared)
          .Kind("caller_numbers"),
      ReportLine("callback_requests_deleted", "callback requests deleted",
                 callback_requests_deleted)
          .Kind("callback_requests"),
      ReportLine("audit_events_deleted", "audit entries deleted", audit_events_deleted)
          .Kind("audit_events"),
      ReportLine("failed_jobs_deleted", "failed jobs deleted", failed_jobs_deleted)
          .Kind("failed_jobs"),
  };
}

Result<PrivacyPurgeCounts> PurgePersonalData(storage::Database& db, privacy::AuditLog& audit,
                                             const Clock& clock,
                                             const PrivacyPurgeSettings& settings,
                                             observability::Metrics* metrics) {
  PrivacyPurgeCounts counts;
  auto report = storage::PurgeExpired(db, clock.Now());
  if (!report) return tl::unexpected(report.error());
  counts.calls_cleared = report->calls_cleared;
  counts.appointment_notes_cleared = report->appointment_notes_cleared;
  counts.customers_deleted = report->customers_deleted;
  counts.caller_numbers_cleared = report->caller_numbers_cleared;
  counts.callback_requests_deleted = report->callback_requests_deleted;
  auto audited = audit.PurgeBefore(clock.Now() - std::chrono::hours(24) *
                                                     std::max(1, settings.audit_retention_days));
  if (!audited) return tl::unexpected(audited.error());
  counts.audit_events_deleted = *audited;
  auto failed = queue::DeleteFailedJobsBefore(
      db, clock.Now() - std::chrono::hours(24) * std::max(1, settings.failed_job_retention_days));
  if (!failed) return tl::unexpected(failed.error());
  counts.failed_jobs_deleted = *failed;
  if (counts.calls_cleared + counts.appointment_notes_cleared + counts.customers_deleted +
          counts.caller_numbers_cleared + counts.callback_requests_deleted +
          counts.failed_jobs_deleted >
      0) {
    // Numbers are stored in clear text (and failed jobs' payloads may name one): SQLite's log
    // still holds the pages as they were.
    privacy::ForgetDeletedPageCopies(db);
  }
  const privacy::ReportLines lines = counts.Lines();
  if (metrics != nullptr) {
    for (const privacy::ReportLine& line : lines) {
      metrics->Increment(kPrivacyPurgedMetric, {{"kind", std::string(line.metric_kind)}},
                         static_cast<double>(line.count));
    }
  }
  observability::Log(observability::LogLevel::kInfo, "privacy_purged",
                     privacy::ReportLogFields(lines));
  const std::string detail = privacy::ReportJson(lines).dump();
  privacy::AppendOrLog(audit, {0,
                               std::nullopt,
                               std::string(privacy::kSystemActor),
                               "privacy.purge",
                               "",
                               detail,
                               std::nullopt,
                               {}});
  return counts;
}

Status RegisterPrivacyPurgeJob(queue::QueueRuntime& queue, storage::Database& db,
                               privacy::AuditLog& audit, const Clock& clock,
                               PrivacyPurgeSettings settings, observability::Metrics& metrics) {
  queue::JobOptions options;
  options.queue = std::string(queue::kLow);
  options.tries = 1;
  auto registered = queue.registry().Register(
      std::string(kPrivacyPurgeJob),
      [&db, &audit, &clock, settings, &metrics](const queue::Job&) -> Status {
        auto counts = PurgePersonalData(db, audit, clock, settings, &metrics);
        if (!counts) return tl::unexpected(counts.error());
        return Ok();
      },
      options);
  if (!registered) return registered;
  return queue.scheduler().Add(
      queue::PeriodicTask{std::string(kPrivacyPurgeJob), std::chrono::hours(24),
                          queue.registry().MakeJob(kPrivacyPurgeJob, "{}")});
}

int RunPrivacyPurge(const Config& config, const Clock& clock, std::ostream& out,
                    std::ostream& err) {
  auto db = OpenMigratedDatabase(config, clock);
  if (!db) return Die(err, "cannot open the database", db.error());
  privacy::SqlAuditLog audit(**db, clock);
  auto counts = PurgePersonalData(
      **db, audit, clock, {config.audit_retention_days, config.failed_job_retention_days}, nullptr);
  if (!counts) return Die(err, "privacy purge", counts.error());
  out << "privacy purge:\n" << privacy::ReportText(counts->Lines());
  return 0;
}

namespace {

// The company of a privacy request, or an exit code.
Result<tenancy::Company> CompanyBySlug(storage::Database& db, const Clock& clock,
                                       const std::string& slug) {
  storage::SqlCompanyRepository companies(db, clock);
  auto company = companies.FindBySlug(slug);
  if (!company && company.error().code == ErrorCode::kNotFound) {
    return Fail(ErrorCode::kNotFound, "no company with slug \"" + slug + "\"");
  }
  return company;
}

}  // namespace

int RunPrivacyExport(const Config& config, const Clock& clock, const PrivacyRequestOptions& options,
                     std::ostream& out, std::ostream& err) {
  auto db = OpenMigratedDatabase(config, clock);
  if (!db) return Die(err, "cannot open the database", db.error());
  auto company = CompanyBySlug(**db, clock, options.company_slug);
  if (!company) return Die(err, "privacy export", company.error());
  privacy::SqlAuditLog audit(**db, clock);
  privacy::PersonalData data({config.phone_region}, **db, audit, {}, clock);
  auto document = data.Export(*company, options.phone, {});
  if (!document) return Die(err, "privacy export", document.error());
  // Stored text that ends in half a character (cut by an older version) must not abort the
  // answer to an access request: such bytes are written as U+FFFD.
  out << document->dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  return 0;
}

int RunPrivacyPurgeCompany(const Config& config, const Clock& clock,
                           const CompanyPurgeOptions& options, std::ostream& out,
                           std::ostream& err) {
  if (options.confirm != options.company_slug) {
    err << "callgate: privacy purge-company: --confirm must repeat the company's slug\n";
    return 1;
  }
  auto db = OpenMigratedDatabase(config, clock);
  if (!db) return Die(err, "cannot open the database", db.error());
  auto company = CompanyBySlug(**db, clock, options.company_slug);
  if (!company) return Die(err, "privacy purge-company", company.error());
  privacy::SqlAuditLog audit(**db, clock);
  auto report = privacy::PurgeCompanyData(**db, audit, *company, {}, clock);
  if (!report) {
    if (report.error().code == ErrorCode::kConflict) {
      err << "callgate: privacy purge-company: " << report.error().message << "\n";
      return 1;
    }
    return Die(err, "privacy purge-company", report.error());
  }
  out << "purged the personal data of " << company->slug << ":\n" << report->Describe();
  if ((*db)->dialect() == storage::Dialect::kPostgresql) {
    out << "PostgreSQL keeps old row versions until VACUUM: run `VACUUM` on the database "
           "(docs/privacy.md).\n";
  }
  return 0;
}

namespace {

// An export names a file that must not exist; says how to go on when it does.
Error ExportFileError(Error error) {
  if (error.code == ErrorCode::kAlreadyExists) {
    error.message += " (an export is never overwritten; choose another file)";
  }
  return error;
}

}  // namespace

int RunPrivacyExportCompany(const Config& config, const Clock& clock,
                            const CompanyExportCommand& options, std::ostream& out,
                            std::ostream& err) {
  const std::string what = "privacy export-company";
  const bool to_file = !options.file.empty();
  auto db = OpenMigratedDatabase(config, clock);
  if (!db) return Die(err, "cannot open the database", db.error());
  auto company = CompanyBySlug(**db, clock, options.company_slug);
  if (!company) return Die(err, what, company.error());
  // Mode 0600 from the start, complete and synced before it is named, never replacing a file.
  std::optional<PrivateFile> file;
  if (to_file) {
    file.emplace(options.file, PrivateFile::Existing::kRefuse);
    if (auto created = file->Create(); !created) {
      return Die(err, what, ExportFileError(created.error()));
    }
  }
  std::ostream& document = to_file ? file->stream() : out;
  std::ostream& progress = to_file ? out : err;
  privacy::CompanyExportOptions export_options;
  export_options.page_size = options.page_size;
  export_options.progress = [&progress](std::string_view table, std::int64_t rows) {
    progress << "  " << table << ": " << rows << std::endl;
  };
  privacy::SqlAuditLog audit(**db, clock);
  auto report =
      privacy::ExportCompanyData(**db, audit, *company, export_options, document, {}, clock);
  if (!report) return Die(err, what, report.error());
  if (to_file) {
    if (auto published = file->Publish(); !published) {
      return Die(err, what, ExportFileError(published.error()));
    }
  }
  progress << "exported the personal data of " << company->slug
           << (to_file ? " to " + options.file : std::string()) << ":\n"
           << privacy::ReportText(report->Lines());
  return 0;
}

int RunPrivacyErase(const Config& config, const Clock& clock, const PrivacyRequestOptions& options,
                    std::ostream& out, std::ostream& err) {
  auto db = OpenMigratedDatabase(config, clock);
  if (!db) return Die(err, "cannot open the database", db.error());
  auto company = CompanyBySlug(**db, clock, options.company_slug);
  if (!company) return Die(err, "privacy erase", company.error());
  privacy::SqlAuditLog audit(**db, clock);
  observability::Metrics metrics;
  calcom::CalcomSettings calcom_settings;
  calcom_settings.connect_timeout = std::chrono::milliseconds(config.calcom_connect_timeout_ms);
  calcom_settings.bookings_timeout = std::chrono::milliseconds(config.calcom_bookings_timeout_ms);
  calcom::CalcomClient calcom(calcom_settings, metrics);
  auto cancel = [&](const tenancy::Company& c, const std::string& uid,
                    const std::string& seat_uid) -> Status {
    booking::CalendarAccount account;
    account.api_key = c.calcom_api_key.empty() ? config.calcom_api_key : c.calcom_api_key;
    account.base_url = config.calcom_base_url;
    auto cancelled =
        calcom.CancelBooking(account, uid, "Erasure requested by the customer", {seat_uid, ""});
    if (!cancelled) return tl::unexpected(cancelled.error());
    return Ok();
  };
  privacy::PersonalData data({config.phone_region}, **db, audit, cancel, clock);
  auto report = data.Erase(*company, options.phone, {options.cancel_future}, {});
  if (!report) {
    if (report.error().code == ErrorCode::kConflict) {
      err << "callgate: privacy erase: " << report.error().message << "\n";
      return 1;
    }
    return Die(err, "privacy erase", report.error());
  }
  out << "erased " << MaskPhone(*NormalizeE164(options.phone, config.phone_region)) << " at "
      << company->slug << ":\n"
      << report->Describe();
  if ((*db)->dialect() == storage::Dialect::kPostgresql) {
    out << "PostgreSQL keeps old row versions until VACUUM: run `VACUUM` on the database "
           "(docs/privacy.md).\n";
  }
  return 0;
}

int RunKeysGenerate(const std::string& file, bool add, std::ostream& out, std::ostream& err) {
  auto id = add ? crypto::AddKeyToFile(file) : crypto::WriteNewKeyFile(file);
  if (!id) return Die(err, "keys generate", id.error());
  if (add) {
    out << "added key " << *id << " to " << file
        << " as the current key; older keys stay for reading.\n"
        << "Restart callgate, then run `callgate keys rotate` to re-encrypt everything under it.\n";
  } else {
    out << "wrote key " << *id << " to " << file << " (mode 0600)\n"
        << "Set CALLGATE_MASTER_KEY_FILE=" << file
        << " and keep a copy somewhere safe: without it the encrypted data is lost.\n";
  }
  return 0;
}

int RunKeysRotate(const Config& config, const Clock& clock, int batch_size, std::ostream& out,
                  std::ostream& err) {
  auto db = OpenMigratedDatabase(config, clock);
  if (!db) return Die(err, "cannot open the database", db.error());
  out << "re-encrypting under key " << (*db)->keyring()->current_key_id() << std::endl;
  storage::ResealOptions options;
  options.batch_size = batch_size;
  options.progress = [&out](const std::string& line) { out << "  " << line << std::endl; };
  auto report = storage::ResealAll(**db, options);
  if (!report) return Die(err, "keys rotate", report.error());
  out << "checked " << report->checked << " values, re-encrypted " << report->resealed << "\n";
  privacy::SqlAuditLog audit(**db, clock);
  privacy::AppendOrLog(audit, {0,
                               std::nullopt,
                               std::string(privacy::kSystemActor),
                               "keys.rotate",
                               "key:" + std::string((*db)->keyring()->current_key_id()),
                               "checked=" + std::to_string(report->checked) +
                                   " resealed=" + std::to_string(report->resealed) +
                                   " unreadable=" + std::to_string(report->unreadable),
                               std::nullopt,
                               {}});
  if (report->unreadable > 0) {
    err << "callgate: keys rotate: " << report->unreadable
        << " values did not decrypt and were left as they are:\n";
    for (const auto& problem : report->problems) err << "  " << problem << "\n";
    return 1;
  }
  return 0;
}

}  // namespace callgate::app
