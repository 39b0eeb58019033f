#pragma once
// Changes: the caller's own appointments (SPEC §2 query-customer-appointments,
// cancel-appointment, reschedule-appointment) and the change policy that guards them. Which
// appointment the caller means, whether the policy lets it change, and what happened — as typed
// outcomes without wording: the agent module speaks them (agent/speech.hpp). Depends on the
// calendar, the appointment and callback repositories, the transaction runner, the clock and
// availability (a new time is checked exactly like check-availability checks it).
//
// Business outcomes are values of the outcome variants; only tenant violations and broken
// storage are errors:
//   kPermissionDenied  an appointment id of another company or another customer
//   kUnavailable       storage is down

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "booking/availability.hpp"
#include "booking/calendar_provider.hpp"
#include "booking/call_context.hpp"
#include "booking/model.hpp"
#include "booking/repositories.hpp"
#include "booking/settings.hpp"
#include "booking/tool_requests.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/transaction.hpp"
#include "observability/metrics.hpp"
#include "tenancy/repositories.hpp"

namespace callgate::booking {

// Why the change policy refuses a change.
enum class PolicyRefusal {
  kNone,
  kStarted,       // the appointment has begun or is over
  kMonthlyLimit,  // the caller's changes this month reached the company's limit
  kTooLate,       // less notice than the policy asks, and no fee tier applies
};

// The change policy's verdict on one change.
struct PolicyDecision {
  bool allowed = true;
  std::int64_t fee_cents = 0;
  PolicyRefusal refusal = PolicyRefusal::kNone;
  int notice_hours = 0;  // the policy's notice, for kTooLate
};

// Rules: the fee is that of the tier with the smallest within_hours still above the hours left;
// with less notice than notice_hours and no applicable fee tier the change is refused; so is
// one beyond the monthly limit.
PolicyDecision CheckChangePolicy(const tenancy::ChangePolicy& policy, SystemTimePoint start,
                                 SystemTimePoint now, int changes_this_month);

namespace changes {

// One of the caller's appointments, with the name of its service (empty when unknown).
struct Listed {
  Appointment appointment;
  std::string service;
};

// The caller's appointment could not be found, and why.
enum class Missing {
  kNotActive,     // the id names one already cancelled or moved
  kNoCustomer,    // the calling number belongs to no customer
  kNoneUpcoming,  // the customer has no upcoming appointment (on `day`, when one was said)
};
struct NotFound {
  Missing why = Missing::kNoCustomer;
  std::optional<CalendarDay> day = std::nullopt;  // the day said, for kNoneUpcoming
};

// Several appointments fit: which one? In time order.
struct Ambiguous {
  std::vector<Listed> candidates;
};

// The change policy says no.
struct Refused {
  PolicyDecision decision;
};

// The calendar could not be asked or refused the change for a reason of its own.
struct CalendarUnavailable {};

// A withheld caller asked to cancel: the appointment cannot be matched safely, so a callback
// request was noted instead.
struct CallbackNoted {
  CallbackRequestId id;
};

struct Cancelled {
  Appointment appointment;
  std::int64_t fee_cents = 0;
};

// The appointment has no calendar (its service was removed or is not bookable by phone).
struct NotMovable {};

// The new time is not possible as asked: the availability outcome says why (needs input, taken
// with alternatives, a day list when no time was said, calendar unavailable …).
struct NewTimeNotFree {
  AvailabilityOutcome availability;
};

// Without confirm: the move that would be made, and its fee.
struct Proposed {
  Listed from;
  Slot to;
  std::int64_t fee_cents = 0;
};

// The appointment is still being confirmed with the calendar and cannot move yet.
struct StillConfirming {
  Listed appointment;
};

// The new time was taken at the calendar between the check and the move.
struct JustTaken {
  SystemTimePoint requested;
};

struct Moved {
  Listed from;
  Appointment to;
  std::int64_t fee_cents = 0;
};

}  // namespace changes

// query-customer-appointments: the caller's upcoming appointments (maybe none), or why they
// cannot be looked up (no customer; `withheld` when the number is withheld).
struct AppointmentsOutcome {
  SystemTimePoint as_of;
  bool withheld = false;
  bool known_caller = false;
  std::vector<changes::Listed> appointments;  // in time order
  std::vector<changes::Listed> rejected;      // upcoming requests the practice turned down
};

struct CancelOutcome {
  SystemTimePoint as_of;
  std::variant<changes::NotFound, changes::Ambiguous, changes::Refused,
               changes::CalendarUnavailable, changes::CallbackNoted, changes::Cancelled>
      result;
};

struct RescheduleOutcome {
  SystemTimePoint as_of;
  std::variant<changes::NotFound, changes::Ambiguous, changes::Refused, changes::NotMovable,
               changes::NewTimeNotFree, changes::Proposed, changes::StillConfirming,
               changes::JustTaken, changes::CalendarUnavailable, changes::Moved>
      result;
};

class ChangeService {
 public:
  ChangeService(const BookingSettings& settings, CalendarProvider& calendar,
                tenancy::ServiceRepository& services, AppointmentRepository& appointments,
                CallbackRequestRepository& callbacks, AvailabilityService& availability,
                TransactionRunner& transactions, const Clock& clock,
                observability::Metrics& metrics)
      : settings_(settings),
        calendar_(calendar),
        services_(services),
        appointments_(appointments),
        callbacks_(callbacks),
        availability_(availability),
        transactions_(transactions),
        clock_(clock),
        metrics_(metrics) {}

  Result<AppointmentsOutcome> Upcoming(const CallContext& ctx);
  Result<CancelOutcome> Cancel(const CallContext& ctx, const CancelRequest& request);
  // Without confirm it proposes; with confirm it moves the appointment.
  Result<RescheduleOutcome> Reschedule(const CallContext& ctx, const RescheduleRequest& request);

 private:
  using Found = std::variant<changes::Listed, changes::NotFound, changes::Ambiguous>;
  // One try of Cancel; `changed_meanwhile` when the appointment changed between reading and
  // writing (nothing was written then, and the outcome is to be discarded).
  Result<CancelOutcome> CancelOnce(const CallContext& ctx, const CancelRequest& request,
                                   bool& changed_meanwhile);
  // The caller's appointment `choice` names: by id (only the caller's own), else the only
  // upcoming one (on the day said, when there are several).
  Result<Found> FindCallersAppointment(const CallContext& ctx, const AppointmentChoice& choice);
  changes::Listed Named(const CallContext& ctx, const Appointment& appointment);
  // Each with its service's name, in time order.
  std::vector<changes::Listed> AllNamed(const CallContext& ctx,
                                        const std::vector<Appointment>& appointments);
  Result<PolicyDecision> Policy(const CallContext& ctx, const tenancy::ChangePolicy& policy,
                                const Appointment& appointment, std::string_view change);
  void Count(std::string_view tool, std::string_view outcome);

  const BookingSettings& settings_;
  CalendarProvider& calendar_;
  tenancy::ServiceRepository& services_;
  AppointmentRepository& appointments_;
  CallbackRequestRepository& callbacks_;
  AvailabilityService& availability_;
  TransactionRunner& transactions_;
  const Clock& clock_;
  observability::Metrics& metrics_;
};

}  // namespace callgate::booking
