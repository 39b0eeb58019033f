#include "app/pending_booking_job.hpp"

#include <nlohmann/json.hpp>

#include "observability/log.hpp"

namespace callgate::app {

using nlohmann::json;

std::string EncodePendingBooking(const booking::PendingBooking& pending) {
  return json{{"company_id", pending.company_id.value},
              {"appointment_id", pending.appointment_id.value},
              {"event_type_id", pending.event_type_id}}
      .dump();
}

Result<booking::PendingBooking> DecodePendingBooking(std::string_view payload_json) {
  auto j = json::parse(payload_json, nullptr, false);
  const auto integer = [&](const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_number_integer();
  };
  if (j.is_discarded() || !integer("company_id") || !integer("appointment_id") ||
      !integer("event_type_id")) {
    return Fail(ErrorCode::kInvalidArgument, "bad pending booking payload");
  }
  return booking::PendingBooking{tenancy::CompanyId(j["company_id"].get<std::int64_t>()),
                                 booking::AppointmentId(j["appointment_id"].get<std::int64_t>()),
                                 j["event_type_id"].get<std::int64_t>()};
}

Status QueuedPendingBookings::Enqueue(const booking::PendingBooking& pending,
                                      std::chrono::milliseconds delay) {
  queue::NewJob job;
  job.type = std::string(kPendingBookingJob);
  job.queue = std::string(queue::kHigh);
  job.request_id = std::string(observability::CurrentRequestId());  // logs of the job carry it
  job.payload_json = EncodePendingBooking(pending);
  job.delay = delay;
  auto enqueued = jobs_.Enqueue(job);
  if (!enqueued) return tl::unexpected(enqueued.error());
  return Ok();
}

}  // namespace callgate::app
