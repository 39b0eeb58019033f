#include "storage/retention.hpp"

#include <vector>

#include "storage/session.hpp"

namespace callgate::storage {
namespace {

// CAST keeps PostgreSQL from guessing the parameter's type from INTEGER * BIGINT.
constexpr std::string_view kCallDue =
    "COALESCE(c.ended_at, c.started_at, c.created_at) < CAST(:now AS BIGINT) - "
    "CAST(co.retention_days AS BIGINT) * 86400000";
constexpr std::string_view kHasContent =
    "(c.transcript IS NOT NULL OR c.transcript_object IS NOT NULL OR c.summary IS NOT NULL OR "
    "c.analysis IS NOT NULL OR c.recording_url IS NOT NULL)";

Result<std::int64_t> ClearCallContent(Database& database, std::int64_t now, int batch_size) {
  std::int64_t total = 0;
  for (;;) {
    auto cleared = database.WithTransaction([&](Session& s) -> Result<std::int64_t> {
      std::vector<std::int64_t> ids;
      s.Query("c.id",
              "FROM calls c JOIN companies co ON co.id = c.company_id WHERE " +
                  std::string(kCallDue) + " AND " + std::string(kHasContent) +
                  " ORDER BY c.id LIMIT " + std::to_string(batch_size),
              Params().Add(now), [&](const Row& r) { ids.push_back(r.Int64("id")); });
      std::int64_t n = 0;
      for (std::int64_t id : ids) {
        n += s.Execute(
            "UPDATE calls SET transcript = NULL, transcript_object = NULL, summary = NULL, "
            "analysis = NULL, recording_url = NULL, updated_at = :now WHERE id = :id",
            Params().Add(now).Add(id));
      }
      return n;
    });
    if (!cleared) return tl::unexpected(cleared.error());
    total += *cleared;
    if (*cleared < batch_size) return total;
  }
}

Result<std::int64_t> DeleteStaleCustomers(Database& database, std::int64_t now, int batch_size) {
  // Three placeholders with distinct names: SQLite binds equal names once.
  auto cutoff_at = [](int n) {
    return "CAST(:now" + std::to_string(n) +
           " AS BIGINT) - CAST(co.customer_retention_days AS BIGINT) * 86400000";
  };
  std::int64_t total = 0;
  for (;;) {
    auto deleted = database.WithTransaction([&](Session& s) -> Result<std::int64_t> {
      struct Due {
        std::int64_t id, company_id;
      };
      std::vector<Due> due;
      s.Query(
          "cu.id, cu.company_id",
          "FROM customers cu JOIN companies co ON co.id = cu.company_id WHERE cu.created_at < " +
              cutoff_at(1) + " AND COALESCE(cu.last_call_at, 0) < " + cutoff_at(2) +
              " AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.company_id = "
              "cu.company_id AND a.customer_id = cu.id AND a.starts_at >= " +
              cutoff_at(3) + ") ORDER BY cu.id LIMIT " + std::to_string(batch_size),
          Params().Add(now).Add(now).Add(now), [&](const Row& r) {
            due.push_back({r.Int64("id"), r.Int64("company_id")});
          });
      std::int64_t n = 0;
      for (const Due& d : due) {
        for (std::string_view table : {"calls", "appointments", "callback_requests"}) {
          s.Execute("UPDATE " + std::string(table) +
                        " SET customer_id = NULL WHERE company_id = :c AND customer_id = :id",
                    Params().Add(d.company_id).Add(d.id));
        }
        n += s.Execute("DELETE FROM customers WHERE company_id = :c AND id = :id",
                       Params().Add(d.company_id).Add(d.id));
      }
      return n;
    });
    if (!deleted) return tl::unexpected(deleted.error());
    total += *deleted;
    if (*deleted < batch_size) return total;
  }
}

}  // namespace

Result<PurgeReport> PurgeExpired(Database& database, SystemTimePoint now, int batch_size) {
  if (batch_size < 1) batch_size = 1;
  const std::int64_t now_ms = ToUnixMillis(now);
  PurgeReport report;
  auto calls = ClearCallContent(database, now_ms, batch_size);
  if (!calls) return tl::unexpected(calls.error());
  report.calls_cleared = *calls;
  auto customers = DeleteStaleCustomers(database, now_ms, batch_size);
  if (!customers) return tl::unexpected(customers.error());
  report.customers_deleted = *customers;
  return report;
}

}  // namespace callgate::storage
