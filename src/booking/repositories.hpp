#pragma once
// Ports for booking data. Same contract as tenancy/repositories.hpp: never throw, every method
// scoped by company id (except the documented tenant routers), thread-safe, joins the caller's
// transaction on this thread.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "booking/model.hpp"
#include "core/result.hpp"

namespace callgate::booking {

// Appointments held for a caller past a time: how many, and the oldest few by id, company and
// since when (nothing of the caller).
struct HeldAppointments {
  struct Held {
    AppointmentId id;
    tenancy::CompanyId company_id;
    SystemTimePoint since;  // created_at
  };
  int count = 0;
  std::vector<Held> oldest;  // oldest first
};

class AppointmentRepository {
 public:
  virtual ~AppointmentRepository() = default;

  // Stores a new appointment. kAlreadyExists when the company already has an appointment with
  // this idempotency key; kConflict when an active appointment holds the same slot (company,
  // branch, service, start).
  virtual Result<Appointment> Create(tenancy::CompanyId company_id,
                                     const Appointment& appointment) = 0;

  // Overwrites status, calcom uid and seat, times, cancelled_at, notes and customer of
  // appointment `a.id`; an erased one (erased_at set) keeps no notes and no customer.
  // kConflict when the new times collide with another active appointment.
  virtual Result<Appointment> Update(tenancy::CompanyId company_id, const Appointment& a) = 0;

  virtual Result<Appointment> FindById(tenancy::CompanyId company_id, AppointmentId id) = 0;
  // FindById for a read that decides a write: inside a transaction the row stays locked until
  // it ends (PostgreSQL: FOR UPDATE; SQLite's write transactions run one at a time), so a
  // change committed meanwhile by a caller or an erasure is read, not overwritten.
  virtual Result<Appointment> LockById(tenancy::CompanyId company_id, AppointmentId id) = 0;
  virtual Result<Appointment> FindByIdempotencyKey(tenancy::CompanyId company_id,
                                                   std::string_view key) = 0;
  virtual Result<Appointment> FindByCalcomUid(tenancy::CompanyId company_id,
                                              std::string_view uid) = 0;

  // Which company a Cal.com booking belongs to (Cal.com webhooks name only the booking). Inside a
  // transaction the row stays locked until it ends, where the database locks rows.
  virtual Result<Appointment> ResolveByCalcomUid(std::string_view uid) = 0;

  // The customer's appointments holding a slot and starting at or after `from`, by start.
  virtual Result<std::vector<Appointment>> ListUpcomingForCustomer(tenancy::CompanyId company_id,
                                                                   tenancy::CustomerId customer_id,
                                                                   SystemTimePoint from) = 0;
  // The customer's requests the practice rejected (status rejected) that would have started at
  // or after `from`, by start: what the caller is told on their next call.
  virtual Result<std::vector<Appointment>> ListUpcomingRejectedForCustomer(
      tenancy::CompanyId company_id, tenancy::CustomerId customer_id, SystemTimePoint from) = 0;

  // Appointments held for a caller (status pending_sync) created before `created_before`, all
  // companies: their number and the oldest `listed` of them. Reads no column about the caller
  // (for the held_booking_stuck alert and gauge).
  virtual Result<HeldAppointments> HeldSince(SystemTimePoint created_before, int listed) = 0;

  // How many of the customer's appointments were cancelled (or rescheduled) in [from, to).
  virtual Result<int> CountChanges(tenancy::CompanyId company_id, tenancy::CustomerId customer_id,
                                   std::string_view status, SystemTimePoint from,
                                   SystemTimePoint to) = 0;
};

// When a callback request is due: its due time, or its creation for a request without one.
inline SystemTimePoint DueOf(const CallbackRequest& request) {
  return request.due_at.value_or(request.created_at);
}

// A position in due order (DueOf, then id): a page of the queue starts after it.
struct CallbackCursor {
  SystemTimePoint due;
  CallbackRequestId id;
};

// Which of a company's callback requests to read, in due order.
struct CallbackQuery {
  std::optional<tenancy::BranchId> branch_id;  // empty: every branch (and none)
  std::vector<std::string> statuses;           // empty: any status
  std::optional<SystemTimePoint> due_until;    // only requests due at or before this
  std::optional<CallbackCursor> after;         // only requests after this position
  int limit = 50;                              // at most this many (1..1000)
};

// Open requests of one branch (or of none) of a company.
struct OpenCallbackCount {
  tenancy::CompanyId company_id;
  std::optional<tenancy::BranchId> branch_id;
  int open = 0;
};

class CallbackRequestRepository {
 public:
  virtual ~CallbackRequestRepository() = default;
  virtual Result<CallbackRequest> Create(tenancy::CompanyId company_id,
                                         const CallbackRequest& request) = 0;
  virtual Result<std::vector<CallbackRequest>> ListOpen(tenancy::CompanyId company_id) = 0;
  // The company's requests matching `query`, in due order (DueOf, then id).
  virtual Result<std::vector<CallbackRequest>> List(tenancy::CompanyId company_id,
                                                    const CallbackQuery& query) = 0;
  // kNotFound when the request is not the company's.
  virtual Result<CallbackRequest> FindById(tenancy::CompanyId company_id, CallbackRequestId id) = 0;
  // Sets the status (and updated_at) when it is still `from`: kNotFound when the request is not
  // the company's, kConflict when its status is no longer `from`.
  virtual Result<CallbackRequest> SetStatus(tenancy::CompanyId company_id, CallbackRequestId id,
                                            std::string_view from, std::string_view to) = 0;
  // Platform-wide, for the overdue alert and the platform's dashboard: open requests of every
  // company due at or before `until`, in due order, at most `limit`.
  virtual Result<std::vector<CallbackRequest>> ListOpenDueUntil(SystemTimePoint until,
                                                                int limit) = 0;
  // Open requests per branch: of `company_id`, or of every company when empty.
  virtual Result<std::vector<OpenCallbackCount>> CountOpen(
      std::optional<tenancy::CompanyId> company_id) = 0;
  // The requests noted during one call of the company (any status), oldest first.
  virtual Result<std::vector<CallbackRequest>> ListForCall(tenancy::CompanyId company_id,
                                                           calls::CallId call_id) = 0;
};

}  // namespace callgate::booking
