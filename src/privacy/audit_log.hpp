#pragma once
// The audit log (docs/privacy.md, "Audit"): an append-only record of who did what to which
// company's data, and when. Entries are written for admin API reads of personal data
// (customers, calls, appointments) and every admin write, for export and erasure of a person,
// the retention purge, key rotation and token creation. They hold ids, action names and masked
// phone numbers only, never personal data itself. The only deletion is the retention purge
// (PurgeBefore, run by the daily privacy_purge job).
//
// SqlAuditLog stores them in audit_events (migration 0007). Never throws; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace callgate::privacy {

// The actor of work nobody asked for through the admin API: jobs and operator commands.
inline constexpr std::string_view kSystemActor = "system";

// "user:<id>" for an admin API user.
std::string UserActor(std::int64_t user_id);

struct AuditEvent {
  std::int64_t id = 0;                     // set by Append
  std::optional<std::int64_t> company_id;  // none for platform-wide work (key rotation, purge)
  std::string actor;                       // "user:<id>" or "system"
  std::string action;                      // "customers.get", "privacy.erase", "keys.rotate", ...
  std::string target;                      // "customer:7", "phone:+49151****678", a path, or ""
  std::string detail;                      // counts and field names, never personal data
  std::optional<std::string> request_id;
  SystemTimePoint created_at;  // set by Append
};

// Newest first; keyset paging like the other admin lists.
struct AuditQuery {
  std::optional<std::int64_t> company_id;  // none: every company (platform admins)
  std::optional<std::string> action;       // exact action name
  std::optional<std::string> target;       // exact target
  std::optional<SystemTimePoint> since;    // created_at >= since
  std::optional<SystemTimePoint> until;    // created_at < until
  std::optional<std::int64_t> before_id;
  int limit = 50;  // 1..1000
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  // Appends one entry stamped with the current time; returns it with id and time.
  virtual Result<AuditEvent> Append(AuditEvent event) = 0;
  virtual Result<std::vector<AuditEvent>> List(const AuditQuery& query) = 0;
  // Deletes entries older than `cutoff`; returns how many.
  virtual Result<std::int64_t> PurgeBefore(SystemTimePoint cutoff) = 0;
};

class SqlAuditLog final : public AuditLog {
 public:
  // Both must outlive the log.
  SqlAuditLog(storage::Database& database, const Clock& clock)
      : database_(database), clock_(clock) {}

  Result<AuditEvent> Append(AuditEvent event) override;
  Result<std::vector<AuditEvent>> List(const AuditQuery& query) override;
  Result<std::int64_t> PurgeBefore(SystemTimePoint cutoff) override;

 private:
  storage::Database& database_;
  const Clock& clock_;
};

// Appends and logs a failure instead of returning it: for callers whose own work is done and
// must not fail because the audit write did (the failure is logged as audit_write_failed).
// Returns whether the entry was written: a read of personal data whose access could not be
// recorded is not answered (the dashboard and the admin API answer 503 then).
bool AppendOrLog(AuditLog& log, AuditEvent event);

}  // namespace callgate::privacy
