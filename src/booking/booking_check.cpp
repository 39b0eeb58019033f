#include "booking/booking_check.hpp"

#include "core/digest.hpp"

namespace callgate::booking {

std::string BookingCheck(const Appointment& appointment) {
  if (!appointment.idempotency_key || appointment.idempotency_key->empty()) return {};
  return Sha256Hex("callgate booking check\n" + *appointment.idempotency_key, 16);
}

bool CarriesCheckOf(const std::map<std::string, std::string>& metadata,
                    const Appointment& appointment) {
  const std::string check = BookingCheck(appointment);
  if (check.empty()) return false;
  auto named = metadata.find(kBookingAppointmentKey);
  auto carried = metadata.find(kBookingCheckKey);
  return named != metadata.end() && named->second == std::to_string(appointment.id.value) &&
         carried != metadata.end() && carried->second == check;
}

}  // namespace callgate::booking
