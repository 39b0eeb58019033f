#include "app/pending_booking_job.hpp"

#include <gtest/gtest.h>

#include <vector>

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

}  // namespace
}  // namespace callgate::app
