#include <algorithm>
#include <string>

#include "admin/admin_store.hpp"
#include "storage/query_helpers.hpp"
#include "storage/session.hpp"

namespace callgate::admin {
namespace {

using storage::Params;
using storage::Row;
using storage::Session;

constexpr std::string_view kCallColumns =
    "id, branch_id, customer_id, retell_call_id, direction, from_number, to_number, status, "
    "started_at, ended_at, duration_ms, disconnection_reason, summary, sentiment, "
    "call_successful, customer_cost_cents, retell_cost_cents, base_cost_cents, "
    "reseller_cost_cents, platform_profit_cents, reseller_profit_cents, total_profit_cents, "
    "created_at";

CallSummary DecodeCall(const Row& row) {
  CallSummary c;
  c.id = row.Int64("id");
  c.branch_id = row.OptionalInt64("branch_id");
  c.customer_id = row.OptionalInt64("customer_id");
  c.retell_call_id = row.String("retell_call_id");
  c.direction = row.String("direction");
  c.from_number = row.OptionalString("from_number").value_or("");
  c.to_number = row.OptionalString("to_number").value_or("");
  c.status = row.String("status");
  c.started_at = row.OptionalTime("started_at");
  c.ended_at = row.OptionalTime("ended_at");
  c.duration_ms = row.OptionalInt64("duration_ms");
  c.disconnection_reason = row.OptionalString("disconnection_reason");
  c.summary = row.OptionalOpened("summary", "calls.summary");
  c.sentiment = row.OptionalString("sentiment");
  if (auto ok = row.OptionalInt("call_successful")) c.call_successful = *ok != 0;
  c.customer_cost_cents = row.OptionalInt64("customer_cost_cents");
  c.retell_cost_cents = row.OptionalInt64("retell_cost_cents");
  c.base_cost_cents = row.OptionalInt64("base_cost_cents");
  c.reseller_cost_cents = row.OptionalInt64("reseller_cost_cents");
  c.platform_profit_cents = row.OptionalInt64("platform_profit_cents");
  c.reseller_profit_cents = row.OptionalInt64("reseller_profit_cents");
  c.total_profit_cents = row.OptionalInt64("total_profit_cents");
  c.created_at = row.Time("created_at");
  return c;
}

constexpr std::string_view kAppointmentColumns =
    "id, branch_id, service_id, customer_id, call_id, starts_at, ends_at, timezone, status, "
    "source, calcom_booking_uid, cancelled_at, notes, created_at";

AppointmentSummary DecodeAppointment(const Row& row) {
  AppointmentSummary a;
  a.id = row.Int64("id");
  a.branch_id = row.OptionalInt64("branch_id");
  a.service_id = row.OptionalInt64("service_id");
  a.customer_id = row.OptionalInt64("customer_id");
  a.call_id = row.OptionalInt64("call_id");
  a.starts_at = row.Time("starts_at");
  a.ends_at = row.Time("ends_at");
  a.timezone = row.String("timezone");
  a.status = row.String("status");
  a.source = row.String("source");
  a.calcom_booking_uid = row.OptionalString("calcom_booking_uid");
  a.cancelled_at = row.OptionalTime("cancelled_at");
  a.notes = row.Opened("notes", "appointments.notes");
  a.created_at = row.Time("created_at");
  return a;
}

// "FROM <table> WHERE company_id = :company_id [AND id < :before_id] ORDER BY id DESC LIMIT n".
// The limit is an integer clamped here, so it is safe to write into the statement.
std::string PagedRest(std::string_view table, const PageRequest& page, Params& params,
                      tenancy::CompanyId company_id) {
  std::string rest = "FROM " + std::string(table) + " WHERE company_id = :company_id";
  params.Add(company_id.value);
  if (page.before_id) {
    rest += " AND id < :before_id";
    params.Add(*page.before_id);
  }
  rest += " ORDER BY id DESC LIMIT " + std::to_string(std::clamp(page.limit, 1, 200));
  return rest;
}

}  // namespace

Result<std::vector<CallSummary>> SqlAdminStore::ListCalls(tenancy::CompanyId company_id,
                                                          const PageRequest& page) {
  return database_.Run([&](Session& s) -> Result<std::vector<CallSummary>> {
    Params params;
    const std::string rest = PagedRest("calls", page, params, company_id);
    return storage::internal::QueryAll(s, kCallColumns, rest, params, DecodeCall);
  });
}

Result<std::vector<AppointmentSummary>> SqlAdminStore::ListAppointments(
    tenancy::CompanyId company_id, const PageRequest& page) {
  return database_.Run([&](Session& s) -> Result<std::vector<AppointmentSummary>> {
    Params params;
    const std::string rest = PagedRest("appointments", page, params, company_id);
    return storage::internal::QueryAll(s, kAppointmentColumns, rest, params, DecodeAppointment);
  });
}

Status SqlAdminStore::UpdatePhoneNumber(tenancy::CompanyId company_id,
                                        const tenancy::PhoneNumber& number) {
  std::optional<std::int64_t> branch;
  if (number.branch_id) branch = number.branch_id->value;
  return database_.Run([&](Session& s) -> Status {
    // The composite foreign key (company_id, branch_id) refuses a branch of another company.
    const long long changed = s.Execute(
        "UPDATE phone_numbers SET branch_id = :branch_id, retell_agent_id = :retell_agent_id, "
        "updated_at = :updated_at WHERE company_id = :company_id AND id = :id",
        Params()
            .Add(branch)
            .Add(number.retell_agent_id)
            .Add(clock_.Now())
            .Add(company_id.value)
            .Add(number.id.value));
    if (changed == 0) return Fail(ErrorCode::kNotFound, "phone number not found");
    return Ok();
  });
}

Status SqlAdminStore::DeletePhoneNumber(tenancy::CompanyId company_id, tenancy::PhoneNumberId id) {
  return database_.WithTransaction([&](Session& s) -> Status {
    long long calls = 0;
    s.Query("COUNT(*) AS n", "FROM calls WHERE company_id = :company_id AND phone_number_id = :id",
            Params().Add(company_id.value).Add(id.value),
            [&](const Row& row) { calls = row.Int64("n"); });
    if (calls > 0) {
      return Fail(ErrorCode::kConflict,
                  "calls refer to this number; reassign it to another branch instead");
    }
    const long long deleted =
        s.Execute("DELETE FROM phone_numbers WHERE company_id = :company_id AND id = :id",
                  Params().Add(company_id.value).Add(id.value));
    if (deleted == 0) return Fail(ErrorCode::kNotFound, "phone number not found");
    return Ok();
  });
}

}  // namespace callgate::admin
