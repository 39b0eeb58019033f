#include "app/pending_booking_job.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "booking/testing/in_memory.hpp"

namespace callgate::app {
namespace {

class RecordingJobs final : public queue::JobQueue {
 public:
  std::vector<queue::NewJob> enqueued;
  Result<std::int64_t> Enqueue(const queue::NewJob& job) override {
    enqueued.push_back(job);
    return static_cast<std::int64_t>(enqueued.size());
  }
};

TEST(PendingBookingJob, KeepsTheHeldBookingOnTheHighQueueUntilItsDelayAndReadsItBack) {
  RecordingJobs jobs;
  QueuedPendingBookings queue(jobs);
  const booking::PendingBooking held{tenancy::CompanyId(7), booking::AppointmentId(42), 1001};
  ASSERT_TRUE(queue.Enqueue(held, std::chrono::seconds(75)));
  ASSERT_EQ(jobs.enqueued.size(), 1u);
  EXPECT_EQ(jobs.enqueued[0].type, kPendingBookingJob);
  EXPECT_EQ(jobs.enqueued[0].queue, queue::kHigh);
  EXPECT_EQ(jobs.enqueued[0].delay, std::chrono::seconds(75));
  auto back = DecodePendingBooking(jobs.enqueued[0].payload_json);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->company_id, held.company_id);
  EXPECT_EQ(back->appointment_id, held.appointment_id);
  EXPECT_EQ(back->event_type_id, 1001);
}

TEST(PendingBookingJob, ReadsThePayloadEarlierVersionsWrote) {
  auto job = DecodePendingBooking(R"({"company_id":1,"appointment_id":5,"event_type_id":1001})");
  ASSERT_TRUE(job);
  EXPECT_EQ(job->company_id, tenancy::CompanyId(1));
  EXPECT_EQ(job->appointment_id, booking::AppointmentId(5));
}

TEST(PendingBookingJob, RefusesAMalformedPayload) {
  for (const char* bad :
       {"", "[]", "{}", R"({"company_id":"1","appointment_id":5,"event_type_id":1})",
        R"({"company_id":1,"appointment_id":5})", "{not json"}) {
    auto job = DecodePendingBooking(bad);
    ASSERT_FALSE(job) << bad;
    EXPECT_EQ(job.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

// `callgate jobs resume-booking`: a held appointment whose job is gone gets it again, due now;
// only within its company, and only while it is held.
TEST(PendingBookingJob, AHeldAppointmentWhoseJobIsGoneIsQueuedAgainWithinItsCompanyOnly) {
  booking::testing::TwoCompanyWorld world;
  booking::Appointment held = world.appointments.rows[0];
  held.calcom_booking_uid.reset();
  held.idempotency_key = "held";
  held.status = std::string(booking::kPendingSync);
  held.starts_at += std::chrono::hours(1);
  const auto id = world.appointments.Create(tenancy::CompanyId(1), held).value().id;
  RecordingJobs jobs;
  QueuedPendingBookings queue(jobs);

  // Another company's id for it, an unknown one, one that is booked: nothing is queued.
  auto foreign =
      ResumeHeldBooking(world.appointments, world.services, queue, tenancy::CompanyId(2), id);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::kNotFound);
  auto unknown = ResumeHeldBooking(world.appointments, world.services, queue, tenancy::CompanyId(1),
                                   booking::AppointmentId(9999));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  auto booked = ResumeHeldBooking(world.appointments, world.services, queue, tenancy::CompanyId(1),
                                  world.appointments.rows[0].id);
  ASSERT_FALSE(booked);
  EXPECT_EQ(booked.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(jobs.enqueued.empty());

  ASSERT_TRUE(
      ResumeHeldBooking(world.appointments, world.services, queue, tenancy::CompanyId(1), id));
  ASSERT_EQ(jobs.enqueued.size(), 1u);
  EXPECT_EQ(jobs.enqueued[0].type, kPendingBookingJob);
  EXPECT_EQ(jobs.enqueued[0].delay, std::chrono::milliseconds(0));
  auto job = DecodePendingBooking(jobs.enqueued[0].payload_json);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->company_id, tenancy::CompanyId(1));
  EXPECT_EQ(job->appointment_id, id);
  EXPECT_EQ(job->event_type_id, 1000);  // its service's event type

  // Its service lost its event type meanwhile: said, not queued with none.
  world.services.rows[0].calcom_event_type_id.reset();
  auto no_event_type =
      ResumeHeldBooking(world.appointments, world.services, queue, tenancy::CompanyId(1), id);
  ASSERT_FALSE(no_event_type);
  EXPECT_EQ(no_event_type.error().code, ErrorCode::kConflict);
  EXPECT_EQ(jobs.enqueued.size(), 1u);
}

}  // namespace
}  // namespace callgate::app
