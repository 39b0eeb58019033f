#pragma once
// In-memory fakes of every port the booking use cases need, and a small two-company world built
// from them, for unit tests (booking, agent, platform adapters) and the fuzz targets. Company
// scoping is modelled like the SQL adapters: rows of another company are not found. Header-only;
// nothing here touches a database, the network or the real clock.

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "booking/booking_service.hpp"
#include "booking/calendar_provider.hpp"
#include "booking/call_context.hpp"
#include "booking/repositories.hpp"
#include "calls/repositories.hpp"
#include "core/blocking.hpp"
#include "core/testing/fake_clock.hpp"
#include "observability/metrics.hpp"
#include "tenancy/repositories.hpp"
#include "tenancy/tenant_directory.hpp"

namespace callgate::booking::testing {

using booking::Appointment;
using booking::AppointmentId;
using tenancy::BranchId;
using tenancy::CompanyId;
using tenancy::CustomerId;
using tenancy::ServiceId;

inline tl::unexpected<Error> NotFound() { return Fail(ErrorCode::kNotFound, "not found"); }

// Observes every write the fakes take, with the company it is for (tests and the fuzz target
// check tenant isolation with it), and every call the resolver looks up by its platform id.
struct WriteObserver {
  std::function<void(CompanyId)> on_write;
  std::function<void(CompanyId)> on_call_resolved;
  void Write(CompanyId id) const {
    if (on_write) on_write(id);
  }
  void Resolved(CompanyId id) const {
    if (on_call_resolved) on_call_resolved(id);
  }
};

template <typename Row, typename Id>
Result<Row> FindIn(const std::vector<Row>& rows, CompanyId company, Id id) {
  for (const auto& r : rows) {
    if (r.company_id == company && r.id == id) return r;
  }
  return NotFound();
}

class Companies final : public tenancy::CompanyRepository {
 public:
  std::vector<tenancy::Company> rows;
  Result<tenancy::Company> Create(const tenancy::Company&) override { return NotFound(); }
  Result<tenancy::Company> Update(CompanyId, const tenancy::Change<tenancy::Company>&) override {
    return NotFound();
  }
  Result<tenancy::Company> FindById(CompanyId id) override {
    for (const auto& c : rows) {
      if (c.id == id) return c;
    }
    return NotFound();
  }
  Result<tenancy::Company> FindBySlug(std::string_view slug) override {
    for (const auto& c : rows) {
      if (c.slug == slug) return c;
    }
    return NotFound();
  }
  Result<std::vector<tenancy::Company>> List() override { return rows; }
};

class Branches final : public tenancy::BranchRepository {
 public:
  std::vector<tenancy::Branch> rows;
  Result<tenancy::Branch> Create(CompanyId, const tenancy::Branch&) override { return NotFound(); }
  Result<tenancy::Branch> Update(CompanyId, BranchId,
                                 const tenancy::Change<tenancy::Branch>&) override {
    return NotFound();
  }
  Result<tenancy::Branch> FindById(CompanyId company, BranchId id) override {
    return FindIn(rows, company, id);
  }
  Result<tenancy::Branch> FindByName(CompanyId company, std::string_view name) override {
    for (const auto& b : rows) {
      if (b.company_id == company && b.name == name) return b;
    }
    return NotFound();
  }
  Result<std::vector<tenancy::Branch>> ListForCompany(CompanyId company) override {
    std::vector<tenancy::Branch> out;
    for (const auto& b : rows) {
      if (b.company_id == company) out.push_back(b);
    }
    return out;
  }
};

class Services final : public tenancy::ServiceRepository {
 public:
  std::vector<tenancy::Service> rows;
  Result<tenancy::Service> Create(CompanyId, const tenancy::Service&) override {
    return NotFound();
  }
  Result<tenancy::Service> Update(CompanyId, ServiceId,
                                  const tenancy::Change<tenancy::Service>&) override {
    return NotFound();
  }
  Result<tenancy::Service> FindById(CompanyId company, ServiceId id) override {
    return FindIn(rows, company, id);
  }
  Result<std::vector<tenancy::Service>> ListForCompany(CompanyId company) override {
    std::vector<tenancy::Service> out;
    for (const auto& s : rows) {
      if (s.company_id == company) out.push_back(s);
    }
    return out;
  }
  Result<std::vector<tenancy::Service>> ListForBranch(CompanyId company, BranchId branch) override {
    std::vector<tenancy::Service> out;
    for (const auto& s : rows) {
      if (s.company_id == company && s.is_active && (!s.branch_id || *s.branch_id == branch)) {
        out.push_back(s);
      }
    }
    return out;
  }
  Result<std::vector<tenancy::Service>> ListByCalcomEventType(std::int64_t type) override {
    std::vector<tenancy::Service> out;
    for (const auto& s : rows) {
      if (s.calcom_event_type_id == type) out.push_back(s);
    }
    return out;
  }
};

class Numbers final : public tenancy::PhoneNumberRepository {
 public:
  std::vector<tenancy::PhoneNumber> rows;
  Result<tenancy::PhoneNumber> Create(CompanyId, const tenancy::PhoneNumber&) override {
    return NotFound();
  }
  Result<tenancy::PhoneNumber> FindByNumber(std::string_view e164) override {
    for (const auto& n : rows) {
      if (n.number_e164 == e164) return n;
    }
    return NotFound();
  }
  Result<std::vector<tenancy::PhoneNumber>> FindByAgentId(std::string_view agent) override {
    std::vector<tenancy::PhoneNumber> out;
    for (const auto& n : rows) {
      if (n.retell_agent_id == agent) out.push_back(n);
    }
    return out;
  }
  Result<tenancy::PhoneNumber> FindById(CompanyId company, tenancy::PhoneNumberId id) override {
    return FindIn(rows, company, id);
  }
  Result<std::vector<tenancy::PhoneNumber>> ListForCompany(CompanyId company) override {
    std::vector<tenancy::PhoneNumber> out;
    for (const auto& n : rows) {
      if (n.company_id == company) out.push_back(n);
    }
    return out;
  }
};

class Customers final : public tenancy::CustomerRepository {
 public:
  explicit Customers(WriteObserver& scope) : scope_(scope) {}
  std::vector<tenancy::Customer> rows;
  std::optional<Error> write_error;  // every write fails with it (a storage failure)
  Result<tenancy::Customer> Create(CompanyId company, const tenancy::Customer& c) override {
    if (write_error) return tl::unexpected(*write_error);
    scope_.Write(company);
    for (const auto& existing : rows) {
      if (existing.company_id == company && existing.phone_e164 == c.phone_e164) {
        return Fail(ErrorCode::kAlreadyExists, "the company has a customer with this number");
      }
    }
    tenancy::Customer row = c;
    row.id = CustomerId(static_cast<std::int64_t>(1000 + rows.size()));
    row.company_id = company;
    rows.push_back(row);
    return row;
  }
  Result<tenancy::Customer> Upsert(CompanyId company, const tenancy::CustomerDetails& d) override {
    if (write_error) return tl::unexpected(*write_error);
    scope_.Write(company);
    if (d.phone_e164.empty()) return Fail(ErrorCode::kInvalidArgument, "no phone number");
    for (auto& c : rows) {
      if (c.company_id == company && c.phone_e164 == d.phone_e164) {
        if (d.name) c.name = *d.name;
        if (d.email) c.email = d.email;
        if (d.notes) c.notes = *d.notes;
        return c;
      }
    }
    tenancy::Customer c;
    c.phone_e164 = d.phone_e164;
    c.name = d.name.value_or("");
    c.email = d.email;
    c.notes = d.notes.value_or("");
    return Create(company, c);
  }
  Status TouchLastCall(CompanyId company, CustomerId, SystemTimePoint) override {
    scope_.Write(company);
    return Ok();
  }
  Result<tenancy::Customer> FindById(CompanyId company, CustomerId id) override {
    return FindIn(rows, company, id);
  }
  Result<tenancy::Customer> FindByPhone(CompanyId company, std::string_view phone) override {
    for (const auto& c : rows) {
      if (c.company_id == company && c.phone_e164 == phone) return c;
    }
    return NotFound();
  }
  Result<std::vector<tenancy::Customer>> ListForCompany(CompanyId company) override {
    std::vector<tenancy::Customer> out;
    for (const auto& c : rows) {
      if (c.company_id == company) out.push_back(c);
    }
    return out;
  }

 private:
  WriteObserver& scope_;
};

class Calls final : public calls::CallRepository {
 public:
  explicit Calls(WriteObserver& scope) : scope_(scope) {}
  std::vector<calls::Call> rows;
  Result<calls::Call> Upsert(CompanyId company, const calls::CallUpdate& u) override {
    for (auto& c : rows) {
      if (c.retell_call_id == u.retell_call_id) {
        if (c.company_id != company) return Fail(ErrorCode::kPermissionDenied, "other company");
        scope_.Write(company);
        return c;
      }
    }
    scope_.Resolved(company);  // the call is created now: it decides
    scope_.Write(company);
    calls::Call c;
    c.id = calls::CallId(static_cast<std::int64_t>(1 + rows.size()));
    c.company_id = company;
    c.retell_call_id = u.retell_call_id;
    c.branch_id = u.branch_id;
    c.phone_number_id = u.phone_number_id;
    c.from_number = u.from_number.value_or("");
    c.to_number = u.to_number.value_or("");
    rows.push_back(c);
    return c;
  }
  Result<calls::Call> FindById(CompanyId company, calls::CallId id) override {
    return FindIn(rows, company, id);
  }
  Result<calls::Call> FindByRetellId(CompanyId company, std::string_view id) override {
    for (const auto& c : rows) {
      if (c.company_id == company && c.retell_call_id == id) return c;
    }
    return NotFound();
  }
  Result<calls::Call> ResolveByRetellId(std::string_view id) override {
    for (const auto& c : rows) {
      if (c.retell_call_id == id) {
        scope_.Resolved(c.company_id);
        return c;
      }
    }
    return NotFound();
  }
  Status SetAnalysis(CompanyId company, calls::CallId, std::optional<CustomerId>,
                     const calls::CallCosts&) override {
    scope_.Write(company);
    return Ok();
  }
  Result<std::int64_t> MinutesUsed(CompanyId, SystemTimePoint, SystemTimePoint,
                                   calls::CallId) override {
    return 0;
  }

 private:
  WriteObserver& scope_;
};

class Appointments final : public booking::AppointmentRepository {
 public:
  explicit Appointments(WriteObserver& scope) : scope_(scope) {}
  std::vector<Appointment> rows;
  Result<Appointment> Create(CompanyId company, const Appointment& a) override {
    scope_.Write(company);
    for (const auto& r : rows) {
      if (r.company_id == company && a.idempotency_key && r.idempotency_key == a.idempotency_key) {
        return Fail(ErrorCode::kAlreadyExists, "idempotency key taken");
      }
      if (r.company_id == company && r.HoldsSlot() && a.HoldsSlot() && r.branch_id == a.branch_id &&
          r.service_id == a.service_id && r.starts_at == a.starts_at) {
        return Fail(ErrorCode::kConflict, "slot taken");
      }
    }
    Appointment row = a;
    row.id = AppointmentId(static_cast<std::int64_t>(800 + rows.size()));
    row.company_id = company;
    rows.push_back(row);
    return row;
  }
  Result<Appointment> Update(CompanyId company, const Appointment& a) override {
    scope_.Write(company);
    for (auto& r : rows) {
      if (r.company_id == company && r.id == a.id) {
        r.status = a.status;
        r.calcom_booking_uid = a.calcom_booking_uid;
        r.calcom_seat_uid = a.calcom_seat_uid;
        r.starts_at = a.starts_at;
        r.ends_at = a.ends_at;
        r.cancelled_at = a.cancelled_at;
        // As the SQL repository does: an erased appointment keeps no notes and no customer.
        r.notes = r.erased_at ? std::string() : a.notes;
        r.customer_id = r.erased_at ? std::nullopt : a.customer_id;
        return r;
      }
    }
    return NotFound();
  }
  Result<Appointment> FindById(CompanyId company, AppointmentId id) override {
    return FindIn(rows, company, id);
  }
  Result<Appointment> LockById(CompanyId company, AppointmentId id) override {
    if (before_lock) std::exchange(before_lock, nullptr)();
    return FindById(company, id);
  }
  // Runs once, at the next LockById: what another transaction commits between a read and the
  // locked read before a write.
  std::function<void()> before_lock;
  Result<Appointment> FindByIdempotencyKey(CompanyId company, std::string_view key) override {
    for (const auto& r : rows) {
      if (r.company_id == company && r.idempotency_key == key) return r;
    }
    return NotFound();
  }
  Result<Appointment> FindByCalcomUid(CompanyId company, std::string_view uid) override {
    for (const auto& r : rows) {
      if (r.company_id == company && r.calcom_booking_uid == uid) return r;
    }
    return NotFound();
  }
  Result<Appointment> ResolveByCalcomUid(std::string_view uid) override {
    for (const auto& r : rows) {
      if (r.calcom_booking_uid == uid) return r;
    }
    return NotFound();
  }
  Result<std::vector<Appointment>> ListUpcomingForCustomer(CompanyId company, CustomerId customer,
                                                           SystemTimePoint from) override {
    std::vector<Appointment> out;
    for (const auto& r : rows) {
      if (r.company_id == company && r.customer_id == customer && r.HoldsSlot() &&
          r.starts_at >= from) {
        out.push_back(r);
      }
    }
    std::sort(out.begin(), out.end(),
              [](const Appointment& a, const Appointment& b) { return a.starts_at < b.starts_at; });
    return out;
  }
  Result<std::vector<Appointment>> ListUpcomingRejectedForCustomer(CompanyId company,
                                                                   CustomerId customer,
                                                                   SystemTimePoint from) override {
    std::vector<Appointment> out;
    for (const auto& r : rows) {
      if (r.company_id == company && r.customer_id == customer && r.status == booking::kRejected &&
          r.starts_at >= from) {
        out.push_back(r);
      }
    }
    std::sort(out.begin(), out.end(),
              [](const Appointment& a, const Appointment& b) { return a.starts_at < b.starts_at; });
    return out;
  }
  Result<booking::HeldAppointments> HeldSince(SystemTimePoint created_before, int listed) override {
    booking::HeldAppointments out;
    for (const auto& r : rows) {
      if (r.status != booking::kPendingSync || r.created_at >= created_before) continue;
      ++out.count;
      out.oldest.push_back({r.id, r.company_id, r.created_at});
    }
    std::stable_sort(out.oldest.begin(), out.oldest.end(),
                     [](const auto& a, const auto& b) { return a.since < b.since; });
    if (out.oldest.size() > static_cast<std::size_t>(std::max(0, listed))) {
      out.oldest.resize(static_cast<std::size_t>(std::max(0, listed)));
    }
    return out;
  }
  Result<int> CountChanges(CompanyId, CustomerId, std::string_view, SystemTimePoint,
                           SystemTimePoint) override {
    return 0;
  }

 private:
  WriteObserver& scope_;
};

class Callbacks final : public booking::CallbackRequestRepository {
 public:
  explicit Callbacks(WriteObserver& scope) : scope_(scope) {}
  std::vector<booking::CallbackRequest> rows;
  std::optional<Error> create_error;  // the next Create fails with it
  Result<booking::CallbackRequest> Create(CompanyId company,
                                          const booking::CallbackRequest& r) override {
    scope_.Write(company);
    if (create_error) {
      Error e = *create_error;
      create_error.reset();
      return tl::unexpected(e);
    }
    booking::CallbackRequest row = r;
    row.id = booking::CallbackRequestId(static_cast<std::int64_t>(300 + rows.size()));
    row.company_id = company;
    rows.push_back(row);
    return row;
  }
  Result<std::vector<booking::CallbackRequest>> ListOpen(CompanyId company) override {
    ++list_open_calls;
    std::vector<booking::CallbackRequest> out;
    for (const auto& r : rows) {
      if (r.company_id == company && r.status == "open") out.push_back(r);
    }
    return out;
  }
  Result<std::vector<booking::CallbackRequest>> ListForCall(CompanyId company,
                                                            calls::CallId call) override {
    std::vector<booking::CallbackRequest> out;
    for (const auto& r : rows) {
      if (r.company_id == company && r.call_id == call) out.push_back(r);
    }
    return out;
  }
  Result<std::vector<booking::CallbackRequest>> List(CompanyId company,
                                                     const booking::CallbackQuery& q) override {
    std::vector<booking::CallbackRequest> out;
    for (const auto& r : rows) {
      if (r.company_id != company) continue;
      if (q.branch_id && r.branch_id != q.branch_id) continue;
      if (!q.statuses.empty() &&
          std::find(q.statuses.begin(), q.statuses.end(), r.status) == q.statuses.end()) {
        continue;
      }
      if (q.due_until && booking::DueOf(r) > *q.due_until) continue;
      if (q.after && !Later(r, *q.after)) continue;
      out.push_back(r);
    }
    return InDueOrder(std::move(out), q.limit);
  }
  Result<booking::CallbackRequest> FindById(CompanyId company,
                                            booking::CallbackRequestId id) override {
    for (const auto& r : rows) {
      if (r.company_id == company && r.id == id) return r;
    }
    return NotFound();
  }
  Result<booking::CallbackRequest> SetStatus(CompanyId company, booking::CallbackRequestId id,
                                             std::string_view from, std::string_view to) override {
    for (auto& r : rows) {
      if (r.company_id != company || r.id != id) continue;
      if (r.status != from) return Fail(ErrorCode::kConflict, "status changed");
      scope_.Write(company);
      r.status = std::string(to);
      return r;
    }
    return NotFound();
  }
  Result<std::vector<booking::CallbackRequest>> ListOpenDueUntil(SystemTimePoint until,
                                                                 int limit) override {
    std::vector<booking::CallbackRequest> out;
    for (const auto& r : rows) {
      if (r.status == "open" && booking::DueOf(r) <= until) out.push_back(r);
    }
    return InDueOrder(std::move(out), limit);
  }
  Result<std::vector<booking::OpenCallbackCount>> CountOpen(
      std::optional<CompanyId> company) override {
    std::vector<booking::OpenCallbackCount> out;
    for (const auto& r : rows) {
      if (r.status != "open" || (company && r.company_id != *company)) continue;
      auto it = std::find_if(out.begin(), out.end(), [&](const auto& c) {
        return c.company_id == r.company_id && c.branch_id == r.branch_id;
      });
      if (it == out.end()) it = out.insert(out.end(), {r.company_id, r.branch_id, 0});
      ++it->open;
    }
    return out;
  }
  int list_open_calls = 0;  // how often every open request of a company was read

 private:
  static bool Later(const booking::CallbackRequest& r, const booking::CallbackCursor& c) {
    const SystemTimePoint due = booking::DueOf(r);
    return due > c.due || (due == c.due && r.id.value > c.id.value);
  }
  static std::vector<booking::CallbackRequest> InDueOrder(std::vector<booking::CallbackRequest> v,
                                                          int limit) {
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
      const SystemTimePoint da = booking::DueOf(a), db = booking::DueOf(b);
      return da != db ? da < db : a.id.value < b.id.value;
    });
    if (static_cast<int>(v.size()) > limit) v.resize(static_cast<std::size_t>(limit));
    return v;
  }
  WriteObserver& scope_;
};

// Keeps what would go to the job queue (a write for its company).
class PendingBookings final : public booking::PendingBookingQueue {
 public:
  explicit PendingBookings(WriteObserver& scope) : scope_(scope) {}
  std::vector<booking::PendingBooking> held;
  std::vector<std::chrono::milliseconds> delays;  // of each held one
  std::optional<Error> enqueue_error;             // the next Enqueue fails with it
  Status Enqueue(const booking::PendingBooking& pending, std::chrono::milliseconds delay) override {
    scope_.Write(pending.company_id);
    if (enqueue_error) {
      Error e = *enqueue_error;
      enqueue_error.reset();
      return tl::unexpected(std::move(e));
    }
    held.push_back(pending);
    delays.push_back(delay);
    return Ok();
  }

 private:
  WriteObserver& scope_;
};

// Neutral record texts for the tests (the product's German ones are agent::RecordWording()).
inline booking::BookingSettings TestBookingSettings() {
  booking::BookingSettings settings;
  settings.records.unnamed_attendee = "caller";
  settings.records.series_refused = "series refused";
  settings.records.cancelled_by_caller = "cancelled by the caller";
  settings.records.released_while_booking = "released while booking";
  settings.records.released_while_moving = "released while moving";
  settings.records.moved_by_caller = "moved by the caller";
  settings.records.cancellation_wished = [](std::string_view reason) {
    return "cancellation wished: " + std::string(reason);
  };
  settings.records.booking_failed = [](const booking::FailedBookingNote& note) {
    return "not booked: " + note.service;
  };
  return settings;
}

class Transactions final : public TransactionRunner {
 public:
  Status Run(const std::function<Status()>& fn) override { return fn(); }
};

// Free half-hour slots 09:00–17:00 Berlin (08:00–16:00 UTC in winter) on every day of the query,
// minus `taken`; `slots_error`, `create_error`, `cancel_error` and `reschedule_error` make those
// calls fail (an outage, a conflict); `answer_status` is the status of every create and
// reschedule answer ("pending" for an event type that requires confirmation); cancels and
// reschedules record how they were addressed.
class Calendar final : public booking::CalendarProvider {
 public:
  std::vector<SystemTimePoint> taken;
  std::optional<Error> slots_error;
  std::optional<Error> create_error;
  std::optional<Error> cancel_error;
  std::optional<Error> reschedule_error;
  std::vector<booking::BookingRequest> created;
  std::vector<std::string> cancelled;
  std::vector<booking::BookingChange> changes;  // of every cancel and reschedule, in order
  std::vector<std::string> moved_to;            // each reschedule's new booking uid
  std::string answer_status = "accepted";
  bool seated = false;  // answers carry a seatUid ("seat-<id>")
  int occurrences = 1;  // > 1: creates answer a series (a recurring event type)
  std::vector<booking::SlotQuery> queries;
  booking::SlotSource source = booking::SlotSource::kLive;  // how every answer says it was got
  int rounds_many = 0;  // GetSlotsMany calls (each is one round of parallel questions)
  bool waits = false;   // every question waits, like a Cal.com request (core/blocking.hpp)
  Result<booking::SlotAnswer> GetSlots(const booking::SlotQuery& q) override {
    if (waits) MayBlock("calendar");
    queries.push_back(q);
    if (slots_error) return tl::unexpected(*slots_error);
    booking::SlotAnswer answer;
    answer.source = source;
    if (q.to <= q.from) return answer;
    if (q.to - q.from > std::chrono::days(400)) {
      return Fail(ErrorCode::kInvalidArgument, "a slot query over more than 400 days");
    }
    auto day = std::chrono::floor<std::chrono::days>(q.from);
    for (; day < q.to && answer.slots.size() < 2000; day += std::chrono::days(1)) {
      for (int m = 8 * 60; m < 16 * 60; m += 30) {
        const SystemTimePoint start = day + std::chrono::minutes(m);
        if (start >= q.from && start < q.to &&
            std::find(taken.begin(), taken.end(), start) == taken.end()) {
          answer.slots.push_back({start, start + std::chrono::minutes(30)});
        }
      }
    }
    return answer;
  }
  std::vector<Result<booking::SlotAnswer>> GetSlotsMany(
      const std::vector<booking::SlotQuery>& queries) override {
    ++rounds_many;
    std::vector<Result<booking::SlotAnswer>> out;
    for (const auto& q : queries) out.push_back(GetSlots(q));
    return out;
  }
  Result<booking::Booking> CreateBooking(const booking::BookingRequest& r) override {
    if (create_error) return tl::unexpected(*create_error);
    created.push_back(r);
    booking::Booking b;
    b.id = ++bookings_;
    b.uid = "uid-" + std::to_string(b.id);
    b.status = answer_status;
    if (seated) b.seat_uid = "seat-" + std::to_string(b.id);
    b.occurrences = occurrences;
    b.start = r.start;
    b.end = r.start + std::chrono::minutes(30);
    b.event_type_id = r.event_type_id;
    return b;
  }
  Result<booking::Booking> CancelBooking(const booking::CalendarAccount&, const std::string& uid,
                                         const std::string&,
                                         const booking::BookingChange& change) override {
    if (cancel_error) return tl::unexpected(*cancel_error);
    cancelled.push_back(uid);
    changes.push_back(change);
    booking::Booking b;
    b.uid = uid;
    b.status = "cancelled";
    return b;
  }
  Result<booking::Booking> RescheduleBooking(const booking::CalendarAccount&,
                                             const std::string& uid, SystemTimePoint start,
                                             const std::string&,
                                             const booking::BookingChange& change) override {
    if (reschedule_error) return tl::unexpected(*reschedule_error);
    changes.push_back(change);
    booking::Booking b;
    b.id = ++bookings_;
    b.uid = "uid-" + std::to_string(b.id);
    b.status = answer_status;
    if (seated) b.seat_uid = "seat-" + std::to_string(b.id);
    b.start = start;
    b.end = start + std::chrono::minutes(30);
    b.rescheduled_from_uid = uid;
    moved_to.push_back(b.uid);
    return b;
  }
  Result<booking::Booking> GetBooking(const booking::CalendarAccount&,
                                      const std::string&) override {
    return NotFound();
  }
  Result<std::vector<booking::Booking>> ListBookings(const booking::CalendarAccount&,
                                                     const booking::BookingFilter&) override {
    return std::vector<booking::Booking>{};
  }
  Result<std::vector<booking::AccountEventType>> ListAccountEventTypes(
      const booking::CalendarAccount&) override {
    return std::vector<booking::AccountEventType>{};
  }

 private:
  std::int64_t bookings_ = 0;
};

inline tenancy::WeeklyHours Hours() {
  tenancy::WeeklyHours h;
  for (int d = 1; d <= 5; ++d) h[static_cast<std::size_t>(d)] = tenancy::OpeningHours{540, 1080};
  h[6] = tenancy::OpeningHours{540, 780};
  return h;
}

// Two companies, fresh for each test: a fake clock at Thursday 26.11.2026 10:00 Berlin;
// company 1 ("Praxis Sonnenschein", branch Mitte, services Beratung and Zahnreinigung, the
// caller +4915112345678 as known customer Jürgen Weiß with one appointment on Tuesday 10:00, call
// "call_fuzz_1"); company 2 ("Nordlicht…", its own branch, service, customer, appointment and
// call "call_fuzz_2"). Every name of company 2 contains "Nordlicht".
struct TwoCompanyWorld {
  WriteObserver scope;
  callgate::testing::FakeClock clock;  // Thursday 2026-11-26 10:00 Berlin
  Companies companies;
  Branches branches;
  Services services;
  Numbers numbers;
  Customers customers{scope};
  Calls calls{scope};
  Appointments appointments{scope};
  Callbacks callbacks{scope};
  PendingBookings pending{scope};
  Transactions transactions;
  Calendar calendar;
  observability::Metrics metrics;
  tenancy::TenantDirectory tenants{companies, branches, numbers};
  booking::CallContextResolver contexts{tenants, branches, customers, calls, clock};
  booking::BookingService booking{
      TestBookingSettings(), calendar,  companies, services,     branches, customers,
      appointments,          callbacks, pending,   transactions, clock,    metrics};

  TwoCompanyWorld() {
    for (int n : {1, 2}) {
      const bool other = n == 2;
      const CompanyId company(n);
      tenancy::Company c;
      c.id = company;
      c.name = other ? "Nordlicht Salon" : "Praxis Sonnenschein";
      c.slug = other ? "nordlicht" : "sonnenschein";
      c.calcom_api_key = Secret(other ? "cal_Nordlicht" : "cal_sonnenschein");
      c.cancellation_policy.fee_tiers = {{12, 1500}};
      companies.rows.push_back(c);

      tenancy::Branch b;
      b.id = BranchId(10 * n);
      b.company_id = company;
      b.name = other ? "Nordlicht Hafen" : "Mitte";
      b.address = other ? "Nordlichtweg 1, Hamburg" : "Friedrichstraße 1, Berlin";
      b.business_hours = Hours();
      branches.rows.push_back(b);

      tenancy::Service s;
      s.id = ServiceId(100 * n);
      s.company_id = company;
      s.name = other ? "Nordlicht-Haarschnitt" : "Beratung";
      s.synonyms = {other ? "Nordlicht-Schnitt" : "Erstgespräch"};
      s.calcom_event_type_id = 1000 * n;
      s.price_cents = 6000;
      s.is_default = true;
      services.rows.push_back(s);
      if (!other) {
        tenancy::Service cleaning = s;
        cleaning.id = ServiceId(101);
        cleaning.branch_id = BranchId(10);
        cleaning.name = "Zahnreinigung";
        cleaning.synonyms = {"Prophylaxe", "PZR"};
        cleaning.duration_minutes = 60;
        cleaning.calcom_event_type_id = 1001;
        cleaning.is_default = false;
        cleaning.minimum_notice_minutes = 120;
        services.rows.push_back(cleaning);
      }

      tenancy::PhoneNumber number;
      number.id = tenancy::PhoneNumberId(n);
      number.company_id = company;
      number.branch_id = BranchId(10 * n);
      number.number_e164 = other ? "+494012345678" : "+493083793369";
      number.retell_agent_id = other ? "agent_nordlicht" : "agent_sonnenschein";
      numbers.rows.push_back(number);

      tenancy::Customer customer;
      customer.id = CustomerId(500 * n);
      customer.company_id = company;
      customer.name = other ? "Erika Nordlicht" : "Jürgen Weiß";
      customer.phone_e164 = other ? "+4917099999999" : "+4915112345678";
      customers.rows.push_back(customer);

      calls::Call call;
      call.id = calls::CallId(n);
      call.company_id = company;
      call.branch_id = BranchId(10 * n);
      call.phone_number_id = tenancy::PhoneNumberId(n);
      call.retell_call_id = "call_fuzz_" + std::to_string(n);
      call.from_number = customer.phone_e164;
      call.to_number = number.number_e164;
      call.customer_id = customer.id;
      calls.rows.push_back(call);

      Appointment a;
      a.id = AppointmentId(699 + n);
      a.company_id = company;
      a.branch_id = b.id;
      a.service_id = s.id;
      a.customer_id = customer.id;
      a.starts_at = clock.Now() + std::chrono::hours(24 * 5);  // Tuesday 10:00 local
      a.ends_at = a.starts_at + std::chrono::minutes(30);
      a.status = std::string(booking::kBooked);
      a.calcom_booking_uid = other ? "uid-Nordlicht" : "uid-sonnenschein";
      appointments.rows.push_back(a);
    }
  }
};

}  // namespace callgate::booking::testing
