#include <algorithm>

#include "storage/query_helpers.hpp"
#include "storage/session.hpp"
#include "storage/sql_booking_repositories.hpp"

namespace callgate::storage {
namespace {

using booking::Appointment;
using booking::AppointmentId;
using tenancy::CompanyId;

constexpr std::string_view kAppointmentColumns =
    "id, company_id, branch_id, service_id, customer_id, call_id, starts_at, ends_at, timezone, "
    "status, calcom_booking_uid, source, idempotency_key, rescheduled_from_id, cancelled_at, "
    "notes, created_at, updated_at, calcom_seat_uid, erased_at";

// NULL for an absent id, and for Id() (0): ids start at 1, and a tool run without a call (an
// MCP session, docs/agents.md) carries the empty call id.
template <typename T>
std::optional<std::int64_t> IdOrNull(const std::optional<T>& id) {
  if (!id || id->value == 0) return std::nullopt;
  return id->value;
}

template <typename T>
std::optional<T> OptId(const Row& r, std::string_view column) {
  if (auto v = r.OptionalInt64(column)) return T(*v);
  return std::nullopt;
}

Appointment DecodeAppointment(const Row& r) {
  Appointment a;
  a.id = AppointmentId(r.Int64("id"));
  a.company_id = CompanyId(r.Int64("company_id"));
  a.branch_id = OptId<tenancy::BranchId>(r, "branch_id");
  a.service_id = OptId<tenancy::ServiceId>(r, "service_id");
  a.customer_id = OptId<tenancy::CustomerId>(r, "customer_id");
  a.call_id = OptId<calls::CallId>(r, "call_id");
  a.starts_at = r.Time("starts_at");
  a.ends_at = r.Time("ends_at");
  a.timezone = r.String("timezone");
  a.status = r.String("status");
  a.calcom_booking_uid = r.OptionalString("calcom_booking_uid");
  a.calcom_seat_uid = r.OptionalString("calcom_seat_uid");
  a.source = r.String("source");
  a.idempotency_key = r.OptionalString("idempotency_key");
  a.rescheduled_from_id = OptId<AppointmentId>(r, "rescheduled_from_id");
  a.cancelled_at = r.OptionalTime("cancelled_at");
  a.erased_at = r.OptionalTime("erased_at");
  a.notes = r.Opened("notes", "appointments.notes");
  a.created_at = r.Time("created_at");
  a.updated_at = r.Time("updated_at");
  return a;
}

// The customer's appointments with one of `statuses` (an SQL list literal) starting at or after
// `from`, by start.
Result<std::vector<Appointment>> ListForCustomer(Database& db, CompanyId company_id,
                                                 tenancy::CustomerId customer_id,
                                                 SystemTimePoint from, std::string_view statuses) {
  return db.Run([&](Session& s) -> Result<std::vector<Appointment>> {
    return internal::QueryAll(
        s, kAppointmentColumns,
        "FROM appointments WHERE company_id = :c AND customer_id = :cu AND starts_at >= :from "
        "AND status IN " +
            std::string(statuses) + " ORDER BY starts_at, id",
        Params().Add(company_id.value).Add(customer_id.value).Add(from), DecodeAppointment);
  });
}

enum class Lock { kNone, kForUpdate };

// The one appointment matching `where`. kForUpdate: on PostgreSQL the row stays locked until the
// caller's transaction ends; SQLite's write transactions run one at a time already.
Result<Appointment> FindWhere(Database& db, std::string_view where, const Params& params,
                              Lock lock = Lock::kNone) {
  return db.Run([&](Session& s) {
    const bool for_update = lock == Lock::kForUpdate && s.dialect() == Dialect::kPostgresql;
    return internal::QueryOne(
        s, kAppointmentColumns,
        "FROM appointments WHERE " + std::string(where) + (for_update ? " FOR UPDATE" : ""), params,
        DecodeAppointment, "appointment not found");
  });
}

}  // namespace

Result<Appointment> SqlAppointmentRepository::Create(CompanyId company_id, const Appointment& a) {
  auto created = database_.Run([&](Session& s) -> Result<Appointment> {
    Appointment stored = a;
    stored.company_id = company_id;
    stored.created_at = stored.updated_at = clock_.Now();
    stored.id = AppointmentId(s.InsertReturningId(
        "INSERT INTO appointments (company_id, branch_id, service_id, customer_id, call_id, "
        "starts_at, ends_at, timezone, status, calcom_booking_uid, source, idempotency_key, "
        "rescheduled_from_id, cancelled_at, notes, created_at, updated_at, calcom_seat_uid, "
        "erased_at) VALUES (:c, :b, :s, :cu, :call, :st, :en, :tz, :status, :uid, :source, :key, "
        ":from, :cancelled, :notes, :created, :updated, :seat, :erased) RETURNING id",
        Params()
            .Add(company_id.value)
            .Add(IdOrNull(stored.branch_id))
            .Add(IdOrNull(stored.service_id))
            .Add(IdOrNull(stored.customer_id))
            .Add(IdOrNull(stored.call_id))
            .Add(stored.starts_at)
            .Add(stored.ends_at)
            .Add(stored.timezone)
            .Add(stored.status)
            .Add(stored.calcom_booking_uid)
            .Add(stored.source)
            .Add(stored.idempotency_key)
            .Add(IdOrNull(stored.rescheduled_from_id))
            .Add(stored.cancelled_at)
            .Add(s.Seal(stored.notes, "appointments.notes"))
            .Add(stored.created_at)
            .Add(stored.updated_at)
            .Add(stored.calcom_seat_uid)
            .Add(stored.erased_at)));
    return stored;
  });
  if (created || created.error().code != ErrorCode::kAlreadyExists) return created;
  // Two unique rules can refuse the row: tell them apart.
  if (a.idempotency_key) {
    auto same_key = FindByIdempotencyKey(company_id, *a.idempotency_key);
    if (same_key) return Fail(ErrorCode::kAlreadyExists, "idempotency key already used");
  }
  return Fail(ErrorCode::kConflict, "the slot is already taken");
}

Result<Appointment> SqlAppointmentRepository::Update(CompanyId company_id, const Appointment& a) {
  auto updated = database_.Run([&](Session& s) -> Result<Appointment> {
    const auto changed = s.Execute(
        "UPDATE appointments SET status = :status, calcom_booking_uid = :uid, "
        "calcom_seat_uid = :seat, starts_at = :st, ends_at = :en, cancelled_at = :cancelled, "
        // An erased appointment keeps no notes and no customer, whatever is written to it: a
        // change from a row read before the erasure cannot link the person again.
        "notes = CASE WHEN erased_at IS NULL THEN :notes ELSE '' END, "
        "customer_id = CASE WHEN erased_at IS NULL THEN CAST(:cu AS BIGINT) END, "
        "updated_at = :now WHERE company_id = :c AND id = :id",
        Params()
            .Add(a.status)
            .Add(a.calcom_booking_uid)
            .Add(a.calcom_seat_uid)
            .Add(a.starts_at)
            .Add(a.ends_at)
            .Add(a.cancelled_at)
            .Add(s.Seal(a.notes, "appointments.notes"))
            .Add(IdOrNull(a.customer_id))
            .Add(clock_.Now())
            .Add(company_id.value)
            .Add(a.id.value));
    if (changed == 0) return Fail(ErrorCode::kNotFound, "appointment not found");
    return internal::QueryOne(
        s, kAppointmentColumns, "FROM appointments WHERE company_id = :c AND id = :id",
        Params().Add(company_id.value).Add(a.id.value), DecodeAppointment, "appointment not found");
  });
  if (!updated && updated.error().code == ErrorCode::kAlreadyExists) {
    return Fail(ErrorCode::kConflict, "the slot is already taken");
  }
  return updated;
}

Result<Appointment> SqlAppointmentRepository::FindById(CompanyId company_id, AppointmentId id) {
  return FindWhere(database_, "company_id = :c AND id = :id",
                   Params().Add(company_id.value).Add(id.value));
}

Result<Appointment> SqlAppointmentRepository::LockById(CompanyId company_id, AppointmentId id) {
  return FindWhere(database_, "company_id = :c AND id = :id",
                   Params().Add(company_id.value).Add(id.value), Lock::kForUpdate);
}

Result<Appointment> SqlAppointmentRepository::FindByIdempotencyKey(CompanyId company_id,
                                                                   std::string_view key) {
  return FindWhere(database_, "company_id = :c AND idempotency_key = :k",
                   Params().Add(company_id.value).Add(key));
}

Result<Appointment> SqlAppointmentRepository::FindByCalcomUid(CompanyId company_id,
                                                              std::string_view uid) {
  return FindWhere(database_, "company_id = :c AND calcom_booking_uid = :u",
                   Params().Add(company_id.value).Add(uid));
}

Result<Appointment> SqlAppointmentRepository::ResolveByCalcomUid(std::string_view uid) {
  // Locked until the caller's transaction ends: an erase marking the row
  // (privacy::PersonalData::Erase) waits for a delivery that read it, and then finds the
  // delivery's stored body; a delivery waits for an erase that marked it, and then reads the
  // mark.
  return FindWhere(database_, "calcom_booking_uid = :u", Params().Add(uid), Lock::kForUpdate);
}

Result<std::vector<Appointment>> SqlAppointmentRepository::ListUpcomingForCustomer(
    CompanyId company_id, tenancy::CustomerId customer_id, SystemTimePoint from) {
  return ListForCustomer(database_, company_id, customer_id, from,
                         "('booked', 'pending_sync', 'requested')");
}

Result<std::vector<Appointment>> SqlAppointmentRepository::ListUpcomingRejectedForCustomer(
    CompanyId company_id, tenancy::CustomerId customer_id, SystemTimePoint from) {
  return ListForCustomer(database_, company_id, customer_id, from, "('rejected')");
}

Result<booking::HeldAppointments> SqlAppointmentRepository::HeldSince(
    SystemTimePoint created_before, int listed) {
  return database_.Run([&](Session& s) -> Result<booking::HeldAppointments> {
    booking::HeldAppointments out;
    // Both through appointments_pending_sync_idx: held rows are few.
    s.Query("COUNT(*) AS n", "FROM appointments WHERE status = 'pending_sync' AND created_at < :t",
            Params().Add(created_before), [&](const Row& r) { out.count = r.Int("n"); });
    if (out.count == 0 || listed <= 0) return out;
    s.Query("id, company_id, created_at",
            "FROM appointments WHERE status = 'pending_sync' AND created_at < :t "
            "ORDER BY created_at, id LIMIT " +
                std::to_string(listed),
            Params().Add(created_before), [&](const Row& r) {
              out.oldest.push_back({AppointmentId(r.Int64("id")), CompanyId(r.Int64("company_id")),
                                    r.Time("created_at")});
            });
    return out;
  });
}

Result<int> SqlAppointmentRepository::CountChanges(CompanyId company_id,
                                                   tenancy::CustomerId customer_id,
                                                   std::string_view status, SystemTimePoint from,
                                                   SystemTimePoint to) {
  return database_.Run([&](Session& s) -> Result<int> {
    int n = 0;
    s.Query("COUNT(*) AS n",
            "FROM appointments WHERE company_id = :c AND customer_id = :cu AND status = :st AND "
            "COALESCE(cancelled_at, updated_at) >= :from AND COALESCE(cancelled_at, updated_at) "
            "< :to",
            Params().Add(company_id.value).Add(customer_id.value).Add(status).Add(from).Add(to),
            [&](const Row& r) { n = r.Int("n"); });
    return n;
  });
}

Result<booking::CallbackRequest> SqlCallbackRequestRepository::Create(
    CompanyId company_id, const booking::CallbackRequest& request) {
  return database_.Run([&](Session& s) -> Result<booking::CallbackRequest> {
    booking::CallbackRequest stored = request;
    stored.company_id = company_id;
    stored.created_at = stored.updated_at = clock_.Now();
    stored.id = booking::CallbackRequestId(s.InsertReturningId(
        "INSERT INTO callback_requests (company_id, branch_id, customer_id, call_id, phone, name, "
        "reason, status, due_at, created_at, updated_at) VALUES (:c, :b, :cu, :call, :phone, "
        ":name, :reason, :status, :due, :created, :updated) RETURNING id",
        Params()
            .Add(company_id.value)
            .Add(IdOrNull(stored.branch_id))
            .Add(IdOrNull(stored.customer_id))
            .Add(IdOrNull(stored.call_id))
            .Add(stored.phone)
            .Add(s.Seal(stored.name, "callback_requests.name"))
            .Add(s.Seal(stored.reason, "callback_requests.reason"))
            .Add(stored.status)
            .Add(stored.due_at)
            .Add(stored.created_at)
            .Add(stored.updated_at)));
    return stored;
  });
}

namespace {

constexpr std::string_view kCallbackColumns =
    "id, company_id, branch_id, customer_id, call_id, phone, name, reason, status, due_at, "
    "created_at, updated_at";

booking::CallbackRequest DecodeCallback(const Row& r) {
  booking::CallbackRequest c;
  c.id = booking::CallbackRequestId(r.Int64("id"));
  c.company_id = CompanyId(r.Int64("company_id"));
  c.branch_id = OptId<tenancy::BranchId>(r, "branch_id");
  c.customer_id = OptId<tenancy::CustomerId>(r, "customer_id");
  c.call_id = OptId<calls::CallId>(r, "call_id");
  c.phone = r.OptionalString("phone").value_or("");
  c.name = r.Opened("name", "callback_requests.name");
  c.reason = r.Opened("reason", "callback_requests.reason");
  c.status = r.String("status");
  c.due_at = r.OptionalTime("due_at");
  c.created_at = r.Time("created_at");
  c.updated_at = r.Time("updated_at");
  return c;
}

}  // namespace

Result<std::vector<booking::CallbackRequest>> SqlCallbackRequestRepository::ListOpen(
    CompanyId company_id) {
  return database_.Run([&](Session& s) -> Result<std::vector<booking::CallbackRequest>> {
    return internal::QueryAll(
        s, kCallbackColumns,
        "FROM callback_requests WHERE company_id = :c AND status = 'open' ORDER BY id",
        Params().Add(company_id.value), DecodeCallback);
  });
}

Result<std::vector<booking::CallbackRequest>> SqlCallbackRequestRepository::ListForCall(
    CompanyId company_id, calls::CallId call_id) {
  return database_.Run([&](Session& s) -> Result<std::vector<booking::CallbackRequest>> {
    return internal::QueryAll(
        s, kCallbackColumns,
        "FROM callback_requests WHERE company_id = :c AND call_id = :call ORDER BY id",
        Params().Add(company_id.value).Add(call_id.value), DecodeCallback);
  });
}

namespace {

// Due order: a request without a due time counts from its creation (booking::DueOf).
constexpr std::string_view kDue = "COALESCE(due_at, created_at)";

std::string DueOrder(int limit) {
  return " ORDER BY " + std::string(kDue) + ", id LIMIT " +
         std::to_string(std::clamp(limit, 1, 5001));
}

}  // namespace

Result<std::vector<booking::CallbackRequest>> SqlCallbackRequestRepository::List(
    CompanyId company_id, const booking::CallbackQuery& query) {
  return database_.Run([&](Session& s) -> Result<std::vector<booking::CallbackRequest>> {
    Params params;
    std::string rest = "FROM callback_requests WHERE company_id = :c";
    params.Add(company_id.value);
    if (query.branch_id) {
      rest += " AND branch_id = :b";
      params.Add(query.branch_id->value);
    }
    if (!query.statuses.empty()) {
      rest += " AND status IN (";
      for (std::size_t i = 0; i < query.statuses.size(); ++i) {
        rest += (i ? ", :s" : ":s") + std::to_string(i);
        params.Add(query.statuses[i]);
      }
      rest += ")";
    }
    if (query.due_until) {
      rest += " AND " + std::string(kDue) + " <= :until";
      params.Add(*query.due_until);
    }
    if (query.after) {
      rest += " AND (" + std::string(kDue) + " > :after_due OR (" + std::string(kDue) +
              " = :after_due2 AND id > :after_id))";
      params.Add(query.after->due).Add(query.after->due).Add(query.after->id.value);
    }
    rest += DueOrder(query.limit);
    return internal::QueryAll(s, kCallbackColumns, rest, params, DecodeCallback);
  });
}

Result<booking::CallbackRequest> SqlCallbackRequestRepository::FindById(
    CompanyId company_id, booking::CallbackRequestId id) {
  return database_.Run([&](Session& s) -> Result<booking::CallbackRequest> {
    return internal::QueryOne(
        s, kCallbackColumns, "FROM callback_requests WHERE company_id = :c AND id = :id",
        Params().Add(company_id.value).Add(id.value), DecodeCallback, "callback request not found");
  });
}

Result<booking::CallbackRequest> SqlCallbackRequestRepository::SetStatus(
    CompanyId company_id, booking::CallbackRequestId id, std::string_view from,
    std::string_view to) {
  return database_.Run([&](Session& s) -> Result<booking::CallbackRequest> {
    const long long changed = s.Execute(
        "UPDATE callback_requests SET status = :to, updated_at = :updated WHERE company_id = :c "
        "AND id = :id AND status = :from",
        Params().Add(to).Add(clock_.Now()).Add(company_id.value).Add(id.value).Add(from));
    auto row = internal::QueryOne(
        s, kCallbackColumns, "FROM callback_requests WHERE company_id = :c AND id = :id",
        Params().Add(company_id.value).Add(id.value), DecodeCallback, "callback request not found");
    if (row && changed == 0) {
      return Fail(ErrorCode::kConflict, "the callback request is " + row->status + " meanwhile");
    }
    return row;
  });
}

Result<std::vector<booking::CallbackRequest>> SqlCallbackRequestRepository::ListOpenDueUntil(
    SystemTimePoint until, int limit) {
  return database_.Run([&](Session& s) -> Result<std::vector<booking::CallbackRequest>> {
    return internal::QueryAll(s, kCallbackColumns,
                              "FROM callback_requests WHERE status = 'open' AND " +
                                  std::string(kDue) + " <= :until" + DueOrder(limit),
                              Params().Add(until), DecodeCallback);
  });
}

Result<std::vector<booking::OpenCallbackCount>> SqlCallbackRequestRepository::CountOpen(
    std::optional<CompanyId> company_id) {
  return database_.Run([&](Session& s) -> Result<std::vector<booking::OpenCallbackCount>> {
    Params params;
    std::string rest = "FROM callback_requests WHERE status = 'open'";
    if (company_id) {
      rest += " AND company_id = :c";
      params.Add(company_id->value);
    }
    rest += " GROUP BY company_id, branch_id ORDER BY company_id, branch_id";
    return internal::QueryAll(
        s, "company_id, branch_id, COUNT(*) AS n", rest, params, [](const Row& r) {
          return booking::OpenCallbackCount{CompanyId(r.Int64("company_id")),
                                            OptId<tenancy::BranchId>(r, "branch_id"),
                                            static_cast<int>(r.Int64("n"))};
        });
  });
}

}  // namespace callgate::storage
