// Scheduler: one enqueue per period across instances, with the database lock and the Redis
// lock, on both drivers and both databases.

#include "queue/scheduler.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "queue/maintenance.hpp"
#include "queue/testing/queue_test_fixture.hpp"
#include "storage/database.hpp"
#include "storage/session.hpp"

namespace callgate::queue {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using testing::QueueTest;

class SchedulerTest : public QueueTest {
 protected:
  // Lock kinds to try: the database lock always, the Redis lock when Redis is configured.
  std::vector<std::unique_ptr<SchedulerLock>> Locks(const std::string& owner) {
    std::vector<std::unique_ptr<SchedulerLock>> out;
    out.push_back(std::make_unique<DatabaseSchedulerLock>(db(), clock_, owner));
    if (redis_) {
      out.push_back(
          std::make_unique<RedisSchedulerLock>(*redis_, clock_, owner, redis_options_.key_prefix));
    }
    return out;
  }

  // Reserves and completes every due job of `type`; returns how many.
  int Drain(std::string_view type) {
    Relay();
    int n = 0;
    ReserveOptions options;
    while (true) {
      auto job = backend().Reserve(options);
      EXPECT_TRUE(job.has_value()) << job.error().message;
      if (!job || !job->has_value()) return n;
      if ((*job)->type == type) ++n;
      EXPECT_TRUE(backend().Complete(**job).has_value());
    }
  }
};

TEST_P(SchedulerTest, FiresOncePerPeriodWithTwoInstances) {
  auto locks_a = Locks("instance-a");
  auto locks_b = Locks("instance-b");
  for (std::size_t kind = 0; kind < locks_a.size(); ++kind) {
    SCOPED_TRACE(kind == 0 ? "database lock" : "redis lock");
    const std::string name = "alert_check_" + std::to_string(kind);
    Scheduler a(*locks_a[kind], backend(), clock_);
    Scheduler b(*locks_b[kind], backend(), clock_);
    NewJob job;
    job.type = name;
    ASSERT_TRUE(a.Add({name, minutes(5), job}).has_value());
    ASSERT_TRUE(b.Add({name, minutes(5), job}).has_value());

    std::size_t fired = 0;
    for (int period = 0; period < 3; ++period) {
      // Both instances tick several times within the period, also at the same moment.
      for (int tick = 0; tick < 4; ++tick) {
        std::size_t from_a = 0;
        std::size_t from_b = 0;
        std::thread ta([&] { from_a = a.RunDue(); });
        std::thread tb([&] { from_b = b.RunDue(); });
        ta.join();
        tb.join();
        fired += from_a + from_b;
        clock_.Advance(seconds(30));
      }
      clock_.Advance(minutes(5) - seconds(120));
      EXPECT_EQ(Drain(name), 1) << "period " << period;
    }
    EXPECT_EQ(fired, 3u);
  }
}

TEST_P(SchedulerTest, FailedEnqueueReleasesTheClaimSoALaterTickRetries) {
  for (auto& lock : Locks("me")) {
    const auto start = clock_.Now();
    const auto end = start + minutes(5);
    auto failed = lock->ClaimAndRun(
        "t", start, end, [] { return Status(Fail(ErrorCode::kUnavailable, "database down")); });
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
    int fired = 0;
    auto retried = lock->ClaimAndRun("t", start, end, [&] {
      ++fired;
      return Ok();
    });
    ASSERT_TRUE(retried.has_value()) << retried.error().message;
    EXPECT_TRUE(*retried);
    EXPECT_EQ(fired, 1);
    auto again = lock->ClaimAndRun("t", start, end, [&] {
      ++fired;
      return Ok();
    });
    ASSERT_TRUE(again.has_value());
    EXPECT_FALSE(*again);
    EXPECT_EQ(fired, 1);
  }
}

TEST_P(SchedulerTest, RejectsBadTasks) {
  auto locks = Locks("me");
  Scheduler scheduler(*locks[0], backend(), clock_);
  NewJob job;
  job.type = "t";
  EXPECT_EQ(scheduler.Add({"", minutes(1), job}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(scheduler.Add({"t", std::chrono::milliseconds(10), job}).error().code,
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(scheduler.Add({"t", minutes(1), job}).has_value());
  EXPECT_EQ(scheduler.Add({"t", minutes(1), job}).error().code, ErrorCode::kAlreadyExists);
}

TEST_P(SchedulerTest, WebhookEventCleanupDeletesOnlyOldFinishedEvents) {
  const auto now = clock_.Now();
  const auto old = now - std::chrono::hours(24 * 31);
  int i = 0;
  for (auto [at, status] : std::vector<std::pair<SystemTimePoint, std::string>>{
           {old, "processed"}, {old, "ignored"}, {old, "failed"}, {now, "processed"}}) {
    ASSERT_TRUE(db().Run([&](storage::Session& s) -> Status {
                      s.Execute(
                          "INSERT INTO webhook_events (source, event, dedupe_key, payload, "
                          "received_at, status, created_at, updated_at) VALUES ('retell', "
                          "'call_ended', :k, '{}', :at, :status, 0, 0)",
                          storage::Params().Add("k" + std::to_string(i++)).Add(at).Add(status));
                      return Ok();
                    })
                    .has_value());
  }
  JobRegistry registry;
  auto locks = Locks("me");
  Scheduler scheduler(*locks[0], backend(), clock_);
  ASSERT_TRUE(RegisterMaintenanceJobs(registry, scheduler, db(), clock_).has_value());
  EXPECT_EQ(scheduler.RunDue(), 1u);
  Relay();
  auto job = backend().Reserve(ReserveOptions{});
  ASSERT_TRUE(job.has_value() && job->has_value());
  EXPECT_EQ((*job)->type, kCleanupWebhookEventsJob);
  EXPECT_EQ((*job)->queue, "low");
  ASSERT_TRUE(registry.Find(kCleanupWebhookEventsJob)->handler(**job).has_value());
  auto left = db().Run([&](storage::Session& s) -> Result<std::int64_t> {
    std::int64_t n = 0;
    s.Query("COUNT(*) AS n", "FROM webhook_events", {},
            [&](const storage::Row& r) { n = r.Int64("n"); });
    return n;
  });
  EXPECT_EQ(left.value(), 2);  // the failed one and the recent one stay
}

INSTANTIATE_TEST_SUITE_P(Drivers, SchedulerTest, testing::AllDrivers(), testing::DriverName);

}  // namespace
}  // namespace callgate::queue
