#pragma once
// BookingService: the agent's tools that read the offer or change calendars and customers
// (SPEC.md §2 "Functions"); the availability questions are AvailabilityService's
// (booking/availability.hpp), reached through Availability(). Each method here takes the call's
// context and the tool's arguments and answers a ToolAnswer: a German sentence for the agent
// to speak plus structured data. Business outcomes (slot taken, nothing found, policy says no)
// are answers with success=false; only tenant violations and broken dependencies are errors:
//   kPermissionDenied  another company's service/appointment, or a service not offered at the
//                      caller's branch ("not available at your branch")
//   kUnavailable       storage is down

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

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
#include "queue/job_queue.hpp"
#include "tenancy/repositories.hpp"

namespace callgate::booking {

// Job type that books a pending appointment once Cal.com answers again.
inline constexpr std::string_view kPendingBookingJob = "calcom_pending_booking";

struct ToolAnswer {
  bool success = true;
  std::string message;  // German, to be spoken
  nlohmann::json data = nlohmann::json::object();
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
                 queue::JobQueue& jobs, TransactionRunner& transactions, const Clock& clock,
                 observability::Metrics& metrics)
      : settings_(std::move(settings)),
        calendar_(calendar),
        companies_(companies),
        services_(services),
        branches_(branches),
        customers_(customers),
        appointments_(appointments),
        callbacks_(callbacks),
        jobs_(jobs),
        transactions_(transactions),
        clock_(clock),
        metrics_(metrics),
        availability_(settings_, calendar, services, clock),
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
  Result<ToolAnswer> CollectCustomerInfo(const CallContext& ctx, const ContactDetails& details,
                                         std::optional<tenancy::Customer>* updated = nullptr);
  Result<ToolAnswer> BookAppointment(const CallContext& ctx, const AppointmentRequest& request,
                                     const std::string& idempotency_key);

  // Today's and tomorrow's first free slots of the default service at the tenant's branch,
  // fetched in parallel: {service, today[], tomorrow[], source}. For quick availability and
  // the inbound greeting.
  struct QuickAvailability {
    tenancy::Service service;
    std::vector<Slot> today;
    std::vector<Slot> tomorrow;
    SlotSource source = SlotSource::kLive;
  };
  Result<QuickAvailability> QuickSlots(const tenancy::Company& company,
                                       const std::optional<tenancy::Branch>& branch,
                                       std::optional<tenancy::ServiceId> service_id);
  // "heute um 14:00 und 15:30 Uhr, morgen um 9:00 Uhr" — for the inbound greeting.
  std::string DescribeQuickSlots(const QuickAvailability& quick, const std::string& zone);

  // The pending-booking job: books appointment {company_id, appointment_id} at Cal.com, after
  // checking whether an earlier attempt made it after all. Idempotent.
  Status RunPendingBooking(std::string_view payload_json);
  // Failed for good: the appointment is released and a callback request is created.
  void PendingBookingFailed(std::string_view payload_json, const Error& error);

  CalendarAccount AccountFor(const tenancy::Company& company) const;

  // The service `choice` names for this call, if it resolves to one offered here; nullopt
  // otherwise. For rate-limit keys.
  std::optional<tenancy::ServiceId> ServiceFor(const CallContext& ctx, const ServiceChoice& choice);

 private:
  Result<tenancy::Service> ResolveService(const CallContext& ctx, const ServiceChoice& choice,
                                          ToolAnswer* not_found_answer);
  nlohmann::json SlotJson(const Slot& slot, const std::string& zone) const;
  std::string Speak(SystemTimePoint t, const std::string& zone) const;
  tenancy::WeeklyHours Hours(const CallContext& ctx) const;
  Result<std::optional<Booking>> Reconcile(const CalendarAccount& account,
                                           const Appointment& appointment,
                                           std::int64_t event_type_id);
  void Count(std::string_view tool, std::string_view outcome);

  BookingSettings settings_;
  CalendarProvider& calendar_;
  tenancy::CompanyRepository& companies_;
  tenancy::ServiceRepository& services_;
  tenancy::BranchRepository& branches_;
  tenancy::CustomerRepository& customers_;
  AppointmentRepository& appointments_;
  CallbackRequestRepository& callbacks_;
  queue::JobQueue& jobs_;
  TransactionRunner& transactions_;
  const Clock& clock_;
  observability::Metrics& metrics_;
  AvailabilityService availability_;
  ChangeService changes_;
  CallbackService callback_requests_;
};

}  // namespace callgate::booking
