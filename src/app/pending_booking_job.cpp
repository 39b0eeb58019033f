#include "app/pending_booking_job.hpp"

#include <nlohmann/json.hpp>

#include "observability/log.hpp"
#include "queue/job_registry.hpp"

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

Status RegisterPendingBookingJob(queue::JobRegistry& registry, booking::BookingService& booking) {
  queue::JobOptions options;
  options.queue = std::string(queue::kHigh);
  options.tries = 10;
  options.backoff = {std::chrono::seconds(10), std::chrono::seconds(30), std::chrono::seconds(60),
                     std::chrono::minutes(2), std::chrono::minutes(5)};
  options.timeout = std::chrono::seconds(30);
  return registry.Register(
      std::string(kPendingBookingJob),
      [&booking](const queue::Job& job) -> Status {
        auto held = DecodePendingBooking(job.payload_json);
        if (!held) return tl::unexpected(held.error());
        return booking.RunPendingBooking(*held);
      },
      options,
      [&booking](const queue::Job& job, const Error& error) -> Status {
        auto held = DecodePendingBooking(job.payload_json);
        if (!held) return Ok();  // it names no slot; its handler failed on that too
        // An error keeps the job queued: the slot stays held until its release and the
        // caller's callback are written together.
        return booking.PendingBookingFailed(*held, error);
      });
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

Status ResumeHeldBooking(booking::AppointmentRepository& appointments,
                         tenancy::ServiceRepository& services, booking::PendingBookingQueue& queue,
                         tenancy::CompanyId company, booking::AppointmentId appointment) {
  const std::string which = "appointment " + std::to_string(appointment.value) + " of company " +
                            std::to_string(company.value);
  auto held = appointments.FindById(company, appointment);
  if (!held) {
    if (held.error().code == ErrorCode::kNotFound) return Fail(ErrorCode::kNotFound, "no " + which);
    return tl::unexpected(held.error());
  }
  if (held->status != booking::kPendingSync) {
    return Fail(ErrorCode::kConflict,
                which + " is " + held->status + ", not held for a caller: nothing to resume");
  }
  std::optional<std::int64_t> event_type;
  if (held->service_id) {
    auto service = services.FindById(company, *held->service_id);
    if (!service && service.error().code != ErrorCode::kNotFound) {
      return tl::unexpected(service.error());
    }
    if (service) event_type = service->calcom_event_type_id;
  }
  if (!event_type) {
    return Fail(ErrorCode::kConflict, which + ": its service has no Cal.com event type");
  }
  if (auto queued = queue.Enqueue({company, appointment, *event_type}, {}); !queued) {
    return queued;
  }
  observability::LogInfo("held_booking_resumed",
                         {{"company_id", company.value}, {"appointment_id", appointment.value}});
  return Ok();
}

}  // namespace callgate::app
