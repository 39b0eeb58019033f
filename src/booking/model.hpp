#pragma once
// The booking domain: appointments and callback requests.

#include <cstdint>
#include <optional>
#include <string>

#include "calls/model.hpp"
#include "core/clock.hpp"
#include "tenancy/model.hpp"

namespace callgate::booking {

using AppointmentId = tenancy::Id<struct AppointmentTag>;
using CallbackRequestId = tenancy::Id<struct CallbackRequestTag>;

// Appointment status. booked, pending_sync and requested hold their slot (a unique index
// prevents two such appointments for one company, branch, service and start).
inline constexpr std::string_view kBooked = "booked";
inline constexpr std::string_view kPendingSync = "pending_sync";  // accepted, Cal.com not yet
// Booked at Cal.com on an event type that requires confirmation: the practice has not
// confirmed it yet (Cal.com status "pending"). Confirmed → booked, rejected → rejected.
inline constexpr std::string_view kRequested = "requested";
inline constexpr std::string_view kRejected = "rejected";  // the practice turned the request down
inline constexpr std::string_view kCancelled = "cancelled";
inline constexpr std::string_view kRescheduled = "rescheduled";  // replaced by a newer one
inline constexpr std::string_view kCompleted = "completed";

struct Appointment {
  AppointmentId id;
  tenancy::CompanyId company_id;
  std::optional<tenancy::BranchId> branch_id;
  std::optional<tenancy::ServiceId> service_id;
  std::optional<tenancy::CustomerId> customer_id;
  std::optional<calls::CallId> call_id;
  SystemTimePoint starts_at;
  SystemTimePoint ends_at;
  std::string timezone = "Europe/Berlin";
  std::string status = std::string(kPendingSync);
  std::optional<std::string> calcom_booking_uid;
  // Seated event types: the attendee's seat in the booking (Cal.com's seatUid; not personal).
  // Cancels and reschedules address this seat only.
  std::optional<std::string> calcom_seat_uid;
  std::string source = "phone_agent";  // phone_agent | calcom | admin
  std::optional<std::string> idempotency_key;
  std::optional<AppointmentId> rescheduled_from_id;
  std::optional<SystemTimePoint> cancelled_at;
  // When the attendee's data was erased (privacy::PersonalData::Erase). Set by the erase only;
  // Create keeps it (a booking rescheduled from an erased one is the same person's), Update
  // leaves it alone.
  std::optional<SystemTimePoint> erased_at;
  std::string notes;
  SystemTimePoint created_at;
  SystemTimePoint updated_at;

  bool HoldsSlot() const {
    return status == kBooked || status == kPendingSync || status == kRequested;
  }
};

struct CallbackRequest {
  CallbackRequestId id;
  tenancy::CompanyId company_id;
  std::optional<tenancy::BranchId> branch_id;
  std::optional<tenancy::CustomerId> customer_id;
  std::optional<calls::CallId> call_id;
  std::string phone;  // may be empty (withheld)
  std::string name;
  std::string reason;
  std::string status = "open";
  std::optional<SystemTimePoint> due_at;
  SystemTimePoint created_at;
  SystemTimePoint updated_at;
};

}  // namespace callgate::booking
