#pragma once
// BookingService: booking (book-appointment, collect-appointment-data with confirm), the
// caller's contact details (collect-customer-info), the offer (list-services, get-branches) and
// the pending-booking job (SPEC.md §2 "Functions"). The availability questions are
// AvailabilityService's (booking/availability.hpp), the caller's own appointments
// ChangeService's (booking/changes.hpp) and callbacks CallbackService's; all are reached through
// this class. Every use case answers a typed outcome without wording: the agent module speaks
// it (agent/speech.hpp). Business outcomes (time taken, something missing) are values; only
// tenant violations and broken dependencies are errors:
//   kPermissionDenied  a service id unknown to the caller's company (a service of the company
//                      offered only at its other branches is the OtherBranch outcome)
//   kUnavailable       storage is down

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "booking/alternatives.hpp"
#include "booking/availability.hpp"
#include "booking/calendar_provider.hpp"
#include "booking/call_context.hpp"
#include "booking/callbacks.hpp"
#include "booking/changes.hpp"
#include "booking/repositories.hpp"
#include "booking/settings.hpp"
#include "booking/tool_requests.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/secret.hpp"
#include "core/transaction.hpp"
#include "observability/metrics.hpp"
#include "tenancy/repositories.hpp"

namespace callgate::booking {

// A booking held for a caller, and the job that finishes it: it is queued in the transaction that
// holds the slot, to run once `BookingSettings::pending_job_after` has passed. By then the call's
// own request to the calendar has long ended: the job finds the appointment booked (nothing to
// do), or still pending because the calendar was out of reach, its answer was lost or the
// process stopped meanwhile, and then finds the booking the calendar made or makes it.
struct PendingBooking {
  tenancy::CompanyId company_id;
  AppointmentId appointment_id;
  std::int64_t event_type_id = 0;
};

// Port: hands a pending booking to the job queue (app/pending_booking_job.hpp keeps it there).
// Joins the caller's transaction, so the job exists exactly when the held appointment does.
class PendingBookingQueue {
 public:
  virtual ~PendingBookingQueue() = default;
  virtual Status Enqueue(const PendingBooking& pending, std::chrono::milliseconds delay) = 0;
};

namespace book {

// The appointment is held under the caller's name. Its status says how far it got: kBooked at
// the calendar; kRequested at the calendar but awaiting the practice's confirmation (an event
// type that requires it); kPendingSync held while the calendar is out of reach, booked by the
// pending-booking job as soon as it answers again.
struct Booked {
  Appointment appointment;
  std::string service;
  std::string branch;   // the branch's name, when the call has one
  bool replay = false;  // a retry of a booking already made: nothing was done again
};

// The time cannot be booked: why (kBooked, kTooSoon, kOutsideHours, kHoliday, kClosing in
// `taken.why`), and the best
// alternatives. `calendar` says when the calendar itself refused it.
enum class CalendarSaid { kNothing, kJustTaken, kRefused };
struct NotFree {
  availability::Taken taken;
  CalendarSaid calendar = CalendarSaid::kNothing;
};

// Not booked: a retry of a booking that did not succeed the first time (`replay`), or an
// appointment let go (cancelled, erased) while the calendar booked it, whose booking went again.
struct NotBooked {
  bool replay = true;
};

// The service's event type is recurring: the calendar booked a whole series, which phone
// booking does not do; the series was cancelled at once.
struct SeriesRefused {};

// The calendar refused for a reason of the configuration (key, event type): nothing is held,
// and a callback request was noted for the team.
struct Failed {
  CallbackRequestId callback;
};

}  // namespace book

// book-appointment (and collect-appointment-data with confirm).
struct BookOutcome {
  std::optional<tenancy::Service> service;
  SystemTimePoint as_of;
  std::variant<availability::ServiceUnknown, availability::OtherBranch,
               availability::NotBookableOnline, availability::NeedsInput, book::NotFree,
               book::Booked, book::NotBooked, book::SeriesRefused, book::Failed>
      result;
};

namespace contact {

enum class Field { kName, kEmail, kPhone };
// Something to ask for: nothing said (kName), an e-mail that cannot be one, a number not
// understood, or no number from a withheld caller.
struct NeedsInput {
  Field field = Field::kName;
  bool unreadable = false;  // said, but not usable
};

// The details are noted: stored on the caller's customer record (`customer`), or, for a
// withheld caller, only echoed for the booking or callback to carry.
struct Noted {
  std::optional<tenancy::Customer> customer;
  std::string name;
  std::string email;
  std::string contact_phone;  // a number said that is not the calling one (E.164)
};

}  // namespace contact

// collect-customer-info.
struct ContactOutcome {
  std::variant<contact::NeedsInput, contact::Noted> result;
};

// get-branches: the company's active branches, and which one the caller called.
struct BranchesOutcome {
  std::vector<tenancy::Branch> branches;
  std::optional<tenancy::BranchId> callers;
};

class BookingService {
 public:
  BookingService(BookingSettings settings, CalendarProvider& calendar,
                 tenancy::CompanyRepository& companies, tenancy::ServiceRepository& services,
                 tenancy::BranchRepository& branches, tenancy::CustomerRepository& customers,
                 AppointmentRepository& appointments, CallbackRequestRepository& callbacks,
                 PendingBookingQueue& pending, TransactionRunner& transactions, const Clock& clock,
                 observability::Metrics& metrics)
      : settings_(std::move(settings)),
        calendar_(calendar),
        companies_(companies),
        services_(services),
        branches_(branches),
        customers_(customers),
        appointments_(appointments),
        callbacks_(callbacks),
        pending_(pending),
        transactions_(transactions),
        clock_(clock),
        metrics_(metrics),
        availability_(settings_, calendar, services, branches, clock),
        changes_(settings_, calendar, services, appointments, callbacks, availability_,
                 transactions, clock, metrics),
        callback_requests_(CallbackSettings{settings_.phone_region}, callbacks, clock) {}

  // check-availability, get-alternatives and the booking summary, as typed outcomes.
  AvailabilityService& Availability() { return availability_; }
  const BookingSettings& Settings() const { return settings_; }
  // query-customer-appointments, cancel-appointment and reschedule-appointment, as typed
  // outcomes.
  ChangeService& Changes() { return changes_; }
  // request-callback, as a typed outcome.
  CallbackService& Callbacks() { return callback_requests_; }

  // list-services: the services bookable at the caller's branch.
  Result<std::vector<tenancy::Service>> Services(const CallContext& ctx);
  Result<BranchesOutcome> Branches(const CallContext& ctx);
  // A spoken phone number is a contact number only; the caller is who the network says.
  Result<ContactOutcome> CollectCustomerInfo(const CallContext& ctx, const ContactDetails& details);
  // Holds the slot in the database, then books it at the calendar; keeps it for the
  // pending-booking job while the calendar is out of reach. A retry with the same key answers
  // the first booking.
  Result<BookOutcome> BookAppointment(const CallContext& ctx, const AppointmentRequest& request,
                                      const std::string& idempotency_key);

  // Today's and tomorrow's first free slots of the default service at the tenant's branch
  // (none on a public holiday or closing day there), fetched in parallel: {service, today[],
  // tomorrow[], source}. For quick availability and the inbound greeting.
  struct QuickAvailability {
    tenancy::Service service;
    std::vector<Slot> today;
    std::vector<Slot> tomorrow;
    SlotSource source = SlotSource::kLive;
  };
  Result<QuickAvailability> QuickSlots(const tenancy::Company& company,
                                       const std::optional<tenancy::Branch>& branch,
                                       std::optional<tenancy::ServiceId> service_id);

  // The pending-booking job: books the held appointment at Cal.com, after checking whether an
  // earlier attempt made it after all. Idempotent.
  Status RunPendingBooking(const PendingBooking& pending);
  // Failed for good: the appointment is released and a callback request is created, both in one
  // transaction that reads the appointment locked (a cancel or an erasure committed meanwhile is
  // kept, and gets no callback or no name in it). An error leaves the appointment held and noted
  // nowhere else; the job's failed hook returns it, and the worker runs the hook again later.
  // Idempotent: a slot no longer held is left alone.
  Status PendingBookingFailed(const PendingBooking& pending, const Error& error);

  CalendarAccount AccountFor(const tenancy::Company& company) const;

  // The service `choice` names for this call, if it resolves to one offered here; nullopt
  // otherwise. For rate-limit keys.
  std::optional<tenancy::ServiceId> ServiceFor(const CallContext& ctx, const ServiceChoice& choice);

 private:
  tenancy::WeeklyHours Hours(const CallContext& ctx) const;
  // `start` cannot be booked for `why`: the outcome with the best alternatives around it.
  BookOutcome NotFree(BookOutcome out, const CallContext& ctx, const tenancy::Service& service,
                      SystemTimePoint start, availability::NotFree why,
                      book::CalendarSaid calendar = book::CalendarSaid::kNothing);
  Result<std::optional<Booking>> Reconcile(const CalendarAccount& account,
                                           const Appointment& appointment,
                                           std::int64_t event_type_id);
  // Stores `appointment` (pending) together with the job that finishes its booking, in one
  // transaction: a slot is never held without its job. With `caller`, the caller becomes (or
  // stays) a customer in that same transaction and the appointment is theirs: the customer row
  // cannot be purged between the two, and a refused hold stores no personal data. kConflict
  // when the slot is taken, kAlreadyExists for a duplicate idempotency key; then nothing is
  // stored.
  Result<Appointment> HoldSlot(tenancy::CompanyId company, Appointment appointment,
                               const std::optional<tenancy::CustomerDetails>& caller,
                               std::int64_t event_type_id);
  // A held appointment's row after a write that happens only while it is still held.
  struct HeldWrite {
    std::optional<Appointment> row;  // as it is afterwards; none when it is gone (erased)
    bool written = false;            // false: changed meanwhile, and left as it was
  };
  // Applies `change` to held appointment `id` and writes it, from its row read locked and only
  // while it is still held (pending_sync).
  Result<HeldWrite> WriteIfHeld(tenancy::CompanyId company, AppointmentId id,
                                const std::function<void(Appointment&)>& change);
  // Writes `booking` (made or found at Cal.com) to held appointment `id` from its row read
  // locked, only while it is still held (pending_sync); a change committed meanwhile (a
  // cancel, an erasure, another run that finished it) stays. The booking is the appointment's
  // when the row carries its uid.
  Result<HeldWrite> RecordBooking(tenancy::CompanyId company, AppointmentId id,
                                  const Booking& booking);
  // Releases held appointment `id` (cancelled, with `note` when not empty) the same way.
  Result<HeldWrite> ReleaseHeld(tenancy::CompanyId company, AppointmentId id,
                                const std::string& note);
  // Cancels at Cal.com a booking whose appointment was let go while it was made; a failure is
  // logged (the practice sees the booking in Cal.com; the appointment says what was decided).
  void CancelUnwanted(const CalendarAccount& account, const Booking& booking, AppointmentId id);
  void Count(std::string_view tool, std::string_view outcome);

  BookingSettings settings_;
  CalendarProvider& calendar_;
  tenancy::CompanyRepository& companies_;
  tenancy::ServiceRepository& services_;
  tenancy::BranchRepository& branches_;
  tenancy::CustomerRepository& customers_;
  AppointmentRepository& appointments_;
  CallbackRequestRepository& callbacks_;
  PendingBookingQueue& pending_;
  TransactionRunner& transactions_;
  const Clock& clock_;
  observability::Metrics& metrics_;
  AvailabilityService availability_;
  ChangeService changes_;
  CallbackService callback_requests_;
};

}  // namespace callgate::booking
