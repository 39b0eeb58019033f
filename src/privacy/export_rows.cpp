#include "privacy/export_rows.hpp"

#include "core/time_zone.hpp"

namespace callgate::privacy {
namespace {

using nlohmann::json;
using storage::Row;

json CustomerRow(const Row& r) {
  return {{"id", r.Int64("id")},
          {"name", r.Opened("name", "customers.name")},
          {"phone_e164", r.String("phone_e164")},
          {"email", ExportOptional(r.OptionalOpened("email", "customers.email"))},
          {"notes", r.Opened("notes", "customers.notes")},
          {"last_call_at", ExportTime(r.OptionalTime("last_call_at"))},
          {"created_at", ExportTime(r.Time("created_at"))},
          {"updated_at", ExportTime(r.Time("updated_at"))}};
}

json CallRow(const Row& r) {
  json successful = nullptr;
  if (!r.IsNull("call_successful")) successful = r.Bool("call_successful");
  return {
      {"id", r.Int64("id")},
      {"branch_id", ExportOptional(r.OptionalInt64("branch_id"))},
      {"retell_call_id", r.String("retell_call_id")},
      {"agent_id", ExportOptional(r.OptionalString("agent_id"))},
      {"direction", r.String("direction")},
      {"from_number", ExportOptional(r.OptionalString("from_number"))},
      {"to_number", ExportOptional(r.OptionalString("to_number"))},
      {"status", r.String("status")},
      {"started_at", ExportTime(r.OptionalTime("started_at"))},
      {"ended_at", ExportTime(r.OptionalTime("ended_at"))},
      {"duration_ms", ExportOptional(r.OptionalInt64("duration_ms"))},
      {"disconnection_reason", ExportOptional(r.OptionalString("disconnection_reason"))},
      {"transcript", ExportOptional(r.OptionalOpened("transcript", "calls.transcript"))},
      {"transcript_object",
       ExportEmbedded(r.OptionalOpened("transcript_object", "calls.transcript_object"))},
      {"recording_url", ExportOptional(r.OptionalOpened("recording_url", "calls.recording_url"))},
      {"summary", ExportOptional(r.OptionalOpened("summary", "calls.summary"))},
      {"sentiment", ExportOptional(r.OptionalString("sentiment"))},
      {"call_successful", successful},
      {"analysis", ExportEmbedded(r.OptionalOpened("analysis", "calls.analysis"))},
      {"metadata", ExportEmbedded(r.OptionalOpened("metadata", "calls.metadata"))},
      {"customer_cost_cents", ExportOptional(r.OptionalInt64("customer_cost_cents"))},
      {"created_at", ExportTime(r.Time("created_at"))}};
}

json AppointmentRow(const Row& r) {
  return {{"id", r.Int64("id")},
          {"branch_id", ExportOptional(r.OptionalInt64("branch_id"))},
          {"service_id", ExportOptional(r.OptionalInt64("service_id"))},
          {"service_name", ExportOptional(r.OptionalString("service_name"))},
          {"customer_id", ExportOptional(r.OptionalInt64("customer_id"))},
          {"call_id", ExportOptional(r.OptionalInt64("call_id"))},
          {"starts_at", ExportTime(r.Time("starts_at"))},
          {"ends_at", ExportTime(r.Time("ends_at"))},
          {"timezone", r.String("timezone")},
          {"status", r.String("status")},
          {"source", r.String("source")},
          {"calcom_booking_uid", ExportOptional(r.OptionalString("calcom_booking_uid"))},
          {"cancelled_at", ExportTime(r.OptionalTime("cancelled_at"))},
          {"notes", r.Opened("notes", "appointments.notes")},
          {"created_at", ExportTime(r.Time("created_at"))}};
}

json CallbackRequestRow(const Row& r) {
  return {{"id", r.Int64("id")},
          {"branch_id", ExportOptional(r.OptionalInt64("branch_id"))},
          {"customer_id", ExportOptional(r.OptionalInt64("customer_id"))},
          {"call_id", ExportOptional(r.OptionalInt64("call_id"))},
          {"phone", ExportOptional(r.OptionalString("phone"))},
          {"name", r.Opened("name", "callback_requests.name")},
          {"reason", r.Opened("reason", "callback_requests.reason")},
          {"status", r.String("status")},
          {"due_at", ExportTime(r.OptionalTime("due_at"))},
          {"created_at", ExportTime(r.Time("created_at"))}};
}

}  // namespace

json ExportTime(const std::optional<SystemTimePoint>& t) {
  return t ? json(FormatIso8601Utc(*t)) : json(nullptr);
}

json ExportEmbedded(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  json parsed = json::parse(*text, nullptr, false);
  return parsed.is_discarded() ? json(*text) : parsed;
}

std::string ExportTable::Where(std::string_view condition, std::string_view suffix) const {
  std::string out(from);
  out += " WHERE ";
  out += company;
  out += " = :c AND (";
  out += condition;
  out += ") ORDER BY ";
  out += id;
  if (!suffix.empty()) out += " " + std::string(suffix);
  return out;
}

const ExportTable kCustomersExport{
    "customers",
    "id, name, phone_e164, email, notes, last_call_at, created_at, updated_at",
    "FROM customers",
    "company_id",
    "id",
    &CustomerRow};

const ExportTable kCallsExport{
    "calls",
    "id, branch_id, retell_call_id, agent_id, direction, from_number, to_number, status, "
    "started_at, ended_at, duration_ms, disconnection_reason, transcript, transcript_object, "
    "recording_url, summary, sentiment, call_successful, analysis, metadata, "
    "customer_cost_cents, created_at",
    "FROM calls",
    "company_id",
    "id",
    &CallRow};

const ExportTable kAppointmentsExport{
    "appointments",
    "a.id, a.branch_id, a.service_id, sv.name AS service_name, a.customer_id, a.call_id, "
    "a.starts_at, a.ends_at, a.timezone, a.status, a.source, a.calcom_booking_uid, "
    "a.cancelled_at, a.notes, a.created_at",
    "FROM appointments a LEFT JOIN services sv ON sv.company_id = a.company_id AND sv.id = "
    "a.service_id",
    "a.company_id",
    "a.id",
    &AppointmentRow};

const ExportTable kCallbackRequestsExport{
    "callback_requests",
    "id, branch_id, customer_id, call_id, phone, name, reason, status, due_at, created_at",
    "FROM callback_requests",
    "company_id",
    "id",
    &CallbackRequestRow};

}  // namespace callgate::privacy
