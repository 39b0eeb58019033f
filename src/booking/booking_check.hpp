#pragma once
// The check value every booking callgate creates at Cal.com carries in its metadata, beside
// `callgate_appointment` (the appointment's id). A booking page's URL can set any metadata, and
// appointment ids are sequential, so `callgate_appointment` alone proves nothing: the check
// value is derived from the appointment's idempotency key (a digest of the call's id and the
// tool's arguments), which no one can compute without the call's id. The pending-booking
// reconciliation (BookingService::Reconcile) and the Cal.com webhook (CalendarSyncService)
// accept a booking as callgate's own only with it (docs/security.md F11).

#include <map>
#include <string>

#include "booking/model.hpp"

namespace callgate::booking {

inline constexpr const char* kBookingAppointmentKey = "callgate_appointment";
inline constexpr const char* kBookingCheckKey = "callgate_check";

// 32 hex digits; empty for an appointment without an idempotency key (none is held without one).
std::string BookingCheck(const Appointment& appointment);

// Whether a booking's metadata names `appointment` and carries its check value.
bool CarriesCheckOf(const std::map<std::string, std::string>& metadata,
                    const Appointment& appointment);

}  // namespace callgate::booking
