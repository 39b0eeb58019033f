#pragma once
// The pending-booking job: a booking held while Cal.com was out of reach waits in the queue as
// {"company_id","appointment_id","event_type_id"} (the format every version has written) until
// the worker books it (booking::BookingService::RunPendingBooking). This adapter is the only
// place that knows the job's JSON; booking sees the typed booking::PendingBooking.

#include <string>
#include <string_view>

#include "booking/booking_service.hpp"
#include "core/result.hpp"
#include "queue/job_queue.hpp"

namespace callgate::queue {
class JobRegistry;
}

namespace callgate::app {

// Job type that books a pending appointment once Cal.com answers again.
inline constexpr std::string_view kPendingBookingJob = "calcom_pending_booking";

std::string EncodePendingBooking(const booking::PendingBooking& pending);
// kInvalidArgument for anything but an object with the three integer fields.
Result<booking::PendingBooking> DecodePendingBooking(std::string_view payload_json);

// Enqueues on the high queue, due after `delay`, carrying the current request id into the job's
// logs; inside a database transaction it joins it.
class QueuedPendingBookings final : public booking::PendingBookingQueue {
 public:
  explicit QueuedPendingBookings(queue::JobQueue& jobs) : jobs_(jobs) {}
  Status Enqueue(const booking::PendingBooking& pending, std::chrono::milliseconds delay) override;

 private:
  queue::JobQueue& jobs_;
};

// Registers the job type on the high queue: ten tries over about half an hour (Cal.com may come
// back), then the failed hook releases the slot with a callback for the caller
// (BookingService::PendingBookingFailed). When that release cannot be written, the hook's error
// keeps the job queued, so it comes back to the release until it is written. `booking` must
// outlive the registry's use.
Status RegisterPendingBookingJob(queue::JobRegistry& registry, booking::BookingService& booking);

// `callgate jobs resume-booking <appointment> --company <id>`: queues the pending-booking job of
// an appointment still held for a caller (pending_sync) again, due now, for one whose job is
// gone (its failed job purged, or lost; the held_booking_stuck alert, docs/operations.md). The
// job reconciles first, so a booking Cal.com made meanwhile is found, not made twice.
// kNotFound when the company has no such appointment, kConflict when it is not held (booked,
// released, …) or its service has no Cal.com event type any more.
Status ResumeHeldBooking(booking::AppointmentRepository& appointments,
                         tenancy::ServiceRepository& services, booking::PendingBookingQueue& queue,
                         tenancy::CompanyId company, booking::AppointmentId appointment);

}  // namespace callgate::app
