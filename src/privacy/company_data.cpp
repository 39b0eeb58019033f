#include "privacy/company_data.hpp"

#include <ostream>
#include <vector>

#include "core/time_zone.hpp"
#include "observability/log.hpp"
#include "privacy/company_rows.hpp"
#include "privacy/export_rows.hpp"
#include "storage/session.hpp"

namespace callgate::privacy {
namespace {

using nlohmann::json;
using storage::Params;
using storage::Row;
using storage::Session;

// Deletes the rows of a job table that are the company's (IsCompanysRow).
std::int64_t DeleteJobsOf(Session& s, std::string_view table, bool has_company,
                          std::int64_t company_id) {
  std::vector<std::int64_t> ids;
  const std::string columns = has_company ? "id, company_id, payload" : "id, payload";
  const std::string where = has_company ? " WHERE company_id = :c OR company_id IS NULL" : "";
  Params params;
  if (has_company) params.Add(company_id);
  s.Query(
      columns, "FROM " + std::string(table) + where + " ORDER BY id", params, [&](const Row& r) {
        const auto column = has_company ? r.OptionalInt64("company_id") : std::nullopt;
        if (IsCompanysRow(column, json::parse(r.String("payload"), nullptr, false), company_id)) {
          ids.push_back(r.Int64("id"));
        }
      });
  std::int64_t n = 0;
  for (std::int64_t id : ids) {
    n += s.Execute("DELETE FROM " + std::string(table) + " WHERE id = :id", Params().Add(id));
  }
  return n;
}

}  // namespace

ReportLines CompanyPurgeReport::Lines() const {
  return {
      {"customers_deleted", "customers deleted", customers_deleted},
      ReportLine("calls_anonymised", "calls anonymised", calls_anonymised)
          .Note("content, number and customer link removed"),
      ReportLine("appointments_cleared", "appointments cleared", appointments_cleared)
          .Note("notes and customer link removed"),
      {"callback_requests_deleted", "callback requests deleted", callback_requests_deleted},
      {"users_deleted", "users deleted", users_deleted},
      {"api_tokens_deleted", "API tokens deleted", api_tokens_deleted},
      {"webhook_events_deleted", "raw webhook events deleted", webhook_events_deleted},
      {"jobs_deleted", "queued jobs deleted", jobs_deleted},
      {"failed_jobs_deleted", "failed jobs deleted", failed_jobs_deleted},
      ReportLine::YesNo("credentials_cleared", "platform credentials cleared", credentials_cleared),
  };
}

Result<CompanyPurgeReport> PurgeCompanyData(storage::Database& database, AuditLog& audit,
                                            const tenancy::Company& company,
                                            const Requester& requester, const Clock& clock) {
  const std::int64_t c = company.id.value;
  CompanyPurgeReport report;
  auto purged = database.WithTransaction([&](Session& s) -> Status {
    // Read inside the transaction: a company reactivated meanwhile keeps its data.
    // On PostgreSQL the row is locked, so that a reactivation waits for the purge (SQLite's
    // transaction holds the only write lock already).
    std::optional<bool> active;
    const std::string lock = s.dialect() == storage::Dialect::kPostgresql ? " FOR UPDATE" : "";
    s.Query("is_active", "FROM companies WHERE id = :c" + lock, Params().Add(c),
            [&](const Row& r) { active = r.Bool("is_active"); });
    if (!active) return Fail(ErrorCode::kNotFound, "no such company");
    if (*active) {
      return Fail(ErrorCode::kConflict,
                  "company \"" + company.slug + "\" is active: deactivate it first");
    }
    const auto now = clock.Now();
    report.calls_anonymised = s.Execute(
        "UPDATE calls SET customer_id = NULL, from_number = NULL, transcript = NULL, "
        "transcript_object = NULL, summary = NULL, analysis = NULL, recording_url = NULL, "
        "metadata = NULL, updated_at = :now WHERE company_id = :c AND (customer_id IS NOT NULL "
        "OR from_number IS NOT NULL OR transcript IS NOT NULL OR transcript_object IS NOT NULL "
        "OR summary IS NOT NULL OR analysis IS NOT NULL OR recording_url IS NOT NULL OR "
        "metadata IS NOT NULL)",
        Params().Add(now).Add(c));
    report.appointments_cleared = s.Execute(
        "UPDATE appointments SET customer_id = NULL, notes = '', updated_at = :now "
        "WHERE company_id = :c AND (customer_id IS NOT NULL OR notes <> '')",
        Params().Add(now).Add(c));
    // Marked erased, so that the platforms' late deliveries about them keep nothing
    // (CallEventService, CalendarSyncService).
    s.Execute("UPDATE calls SET erased_at = :now WHERE company_id = :c AND erased_at IS NULL",
              Params().Add(now).Add(c));
    s.Execute(
        "UPDATE appointments SET erased_at = :now WHERE company_id = :c AND erased_at IS NULL",
        Params().Add(now).Add(c));
    report.callback_requests_deleted =
        s.Execute("DELETE FROM callback_requests WHERE company_id = :c", Params().Add(c));
    report.customers_deleted =
        s.Execute("DELETE FROM customers WHERE company_id = :c", Params().Add(c));
    report.api_tokens_deleted = s.Execute(
        "DELETE FROM api_tokens WHERE user_id IN (SELECT id FROM users WHERE company_id = :c)",
        Params().Add(c));
    report.users_deleted = s.Execute("DELETE FROM users WHERE company_id = :c", Params().Add(c));
    report.webhook_events_deleted =
        s.Execute("DELETE FROM webhook_events WHERE company_id = :c", Params().Add(c));
    report.jobs_deleted =
        DeleteJobsOf(s, "jobs", true, c) + DeleteJobsOf(s, "job_outbox", false, c);
    report.failed_jobs_deleted = DeleteJobsOf(s, "failed_jobs", true, c);
    report.credentials_cleared =
        s.Execute(
            "UPDATE companies SET calcom_api_key = NULL, retell_api_key = NULL, "
            "calcom_webhook_secret = NULL, vapi_secret = NULL, updated_at = :now WHERE id = :c "
            "AND (calcom_api_key IS NOT NULL OR retell_api_key IS NOT NULL OR "
            "calcom_webhook_secret IS NOT NULL OR vapi_secret IS NOT NULL)",
            Params().Add(now).Add(c)) > 0;
    return Ok();
  });
  if (!purged) return tl::unexpected(purged.error());

  ForgetDeletedPageCopies(database);
  const ReportLines lines = report.Lines();
  AppendOrLog(audit, {0,
                      c,
                      requester.actor,
                      "company.purge",
                      "company:" + std::to_string(c),
                      ReportJson(lines).dump(),
                      requester.request_id,
                      {}});
  std::vector<observability::LogField> fields = {{"company_id", c}, {"actor", requester.actor}};
  for (auto& field : ReportLogFields(lines)) fields.push_back(std::move(field));
  observability::Log(observability::LogLevel::kInfo, "company_purged", fields);
  return report;
}

ReportLines CompanyExportReport::Lines() const {
  return {{"customers", "customers", customers},
          {"calls", "calls", calls},
          {"appointments", "appointments", appointments},
          {"callback_requests", "callback requests", callback_requests}};
}

Result<CompanyExportReport> ExportCompanyData(storage::Database& database, AuditLog& audit,
                                              const tenancy::Company& company,
                                              const CompanyExportOptions& options,
                                              std::ostream& out, const Requester& requester,
                                              const Clock& clock) {
  const std::int64_t c = company.id.value;
  const std::int64_t page_size = std::max(1, options.page_size);
  // The export is itself an access to personal data: recorded before anything is written.
  if (auto audited = audit.Append({0,
                                   c,
                                   requester.actor,
                                   "company.export",
                                   "company:" + std::to_string(c),
                                   "",
                                   requester.request_id,
                                   {}});
      !audited) {
    return tl::unexpected(audited.error());
  }
  const auto write = [&](const json& value) {
    // Stored text cut inside a character by an older version is written as U+FFFD.
    out << value.dump(-1, ' ', false, json::error_handler_t::replace);
  };
  out << "{\"company\":";
  write({{"id", c}, {"slug", company.slug}, {"name", company.name}});
  out << ",\"exported_at\":";
  write(FormatIso8601Utc(clock.Now()));
  CompanyExportReport report;
  // One snapshot for all four tables (Database::ReadSnapshot): rows written while the export
  // runs are in none of them, so an appointment never names a customer the export lacks.
  // Each table is read in pages by id, so memory stays bounded; writers are not held up.
  auto exported = database.ReadSnapshot([&](Session& s) -> Status {
    for (const auto& [table, count] :
         {std::pair{&kCustomersExport, &report.customers}, std::pair{&kCallsExport, &report.calls},
          std::pair{&kAppointmentsExport, &report.appointments},
          std::pair{&kCallbackRequestsExport, &report.callback_requests}}) {
      out << ",\"" << table->name << "\":[";
      const std::string sql = table->Where(std::string(table->id) + " > :after", "LIMIT :n");
      for (std::int64_t after = 0;;) {
        std::vector<json> rows;
        s.Query(table->columns, sql, Params().Add(c).Add(after).Add(page_size), [&](const Row& r) {
          rows.push_back(table->encode(r));
          after = r.Int64("id");
        });
        for (const json& row : rows) {
          out << (*count > 0 ? "," : "") << "\n";
          write(row);
          ++*count;
        }
        if (!out) return Fail(ErrorCode::kUnavailable, "writing the export failed");
        if (options.progress && !rows.empty()) options.progress(table->name, *count);
        if (static_cast<std::int64_t>(rows.size()) < page_size) break;
      }
      out << "]";
    }
    return Ok();
  });
  if (!exported) return tl::unexpected(exported.error());
  out << "}\n";
  out.flush();
  if (!out) return Fail(ErrorCode::kUnavailable, "writing the export failed");
  std::vector<observability::LogField> fields = {{"company_id", c}, {"actor", requester.actor}};
  for (auto& field : ReportLogFields(report.Lines())) fields.push_back(std::move(field));
  observability::Log(observability::LogLevel::kInfo, "company_exported", fields);
  return report;
}

}  // namespace callgate::privacy
