#pragma once
// AdminStore: the reads and writes the admin API needs beyond the tenancy repositories — paged
// call and appointment lists (newest first) and phone number changes. Every method takes the
// company id and filters by it (structural tenant scoping); SqlAdminStore implements it over
// storage::Database. Never throws; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"
#include "tenancy/model.hpp"

namespace callgate::admin {

// Keyset paging, newest first: rows with id < before_id (all when empty), at most `limit`.
struct PageRequest {
  int limit = 50;  // 1..200
  std::optional<std::int64_t> before_id;
};

// One row of the call list (no transcript; money in cents).
struct CallSummary {
  std::int64_t id = 0;
  std::optional<std::int64_t> branch_id;
  std::optional<std::int64_t> customer_id;
  std::string retell_call_id;
  std::string direction;
  std::string from_number;
  std::string to_number;
  std::string status;
  std::optional<SystemTimePoint> started_at;
  std::optional<SystemTimePoint> ended_at;
  std::optional<std::int64_t> duration_ms;
  std::optional<std::string> disconnection_reason;
  std::optional<std::string> summary;
  std::optional<std::string> sentiment;
  std::optional<bool> call_successful;
  std::optional<std::int64_t> customer_cost_cents;
  // Platform economics, shown to platform admins only.
  std::optional<std::int64_t> retell_cost_cents;
  std::optional<std::int64_t> base_cost_cents;
  std::optional<std::int64_t> reseller_cost_cents;
  std::optional<std::int64_t> platform_profit_cents;
  std::optional<std::int64_t> reseller_profit_cents;
  std::optional<std::int64_t> total_profit_cents;
  SystemTimePoint created_at;
};

// One row of the appointment list.
struct AppointmentSummary {
  std::int64_t id = 0;
  std::optional<std::int64_t> branch_id;
  std::optional<std::int64_t> service_id;
  std::optional<std::int64_t> customer_id;
  std::optional<std::int64_t> call_id;
  SystemTimePoint starts_at;
  SystemTimePoint ends_at;
  std::string timezone;
  std::string status;
  std::string source;
  std::optional<std::string> calcom_booking_uid;
  std::optional<SystemTimePoint> cancelled_at;
  std::string notes;
  SystemTimePoint created_at;
};

class AdminStore {
 public:
  virtual ~AdminStore() = default;

  // The company's calls, newest (highest id) first.
  virtual Result<std::vector<CallSummary>> ListCalls(tenancy::CompanyId company_id,
                                                     const PageRequest& page) = 0;
  // The company's appointments, newest (highest id) first.
  virtual Result<std::vector<AppointmentSummary>> ListAppointments(tenancy::CompanyId company_id,
                                                                   const PageRequest& page) = 0;

  // Sets branch_id and retell_agent_id of phone number `number.id` of the company. kNotFound
  // when the number is not the company's or the branch is not (check with FindById first to
  // tell them apart).
  virtual Status UpdatePhoneNumber(tenancy::CompanyId company_id,
                                   const tenancy::PhoneNumber& number) = 0;

  // Releases a number. kNotFound when it is not the company's; kConflict when calls refer to
  // it (history stays intact).
  virtual Status DeletePhoneNumber(tenancy::CompanyId company_id, tenancy::PhoneNumberId id) = 0;
};

class SqlAdminStore final : public AdminStore {
 public:
  SqlAdminStore(storage::Database& database, const Clock& clock)
      : database_(database), clock_(clock) {}

  Result<std::vector<CallSummary>> ListCalls(tenancy::CompanyId company_id,
                                             const PageRequest& page) override;
  Result<std::vector<AppointmentSummary>> ListAppointments(tenancy::CompanyId company_id,
                                                           const PageRequest& page) override;
  Status UpdatePhoneNumber(tenancy::CompanyId company_id,
                           const tenancy::PhoneNumber& number) override;
  Status DeletePhoneNumber(tenancy::CompanyId company_id, tenancy::PhoneNumberId id) override;

 private:
  storage::Database& database_;
  const Clock& clock_;
};

}  // namespace callgate::admin
