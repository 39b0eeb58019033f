// Driver semantics, identical for both drivers on both databases: priority, delays, leases,
// release, transactional enqueue, stats.

#include <gtest/gtest.h>

#include <thread>

#include "observability/log.hpp"
#include "queue/testing/queue_test_fixture.hpp"
#include "storage/database.hpp"
#include "storage/session.hpp"

namespace callgate::queue {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::QueueTest;

class JobBackendTest : public QueueTest {
 protected:
  std::optional<Job> Reserve(milliseconds lease = seconds(60), std::string worker = "w1") {
    ReserveOptions options;
    options.lease = lease;
    options.worker_id = std::move(worker);
    auto job = backend().Reserve(options);
    EXPECT_TRUE(job.has_value()) << job.error().message;
    return job.value_or(std::nullopt);
  }
};

TEST_P(JobBackendTest, ServesQueuesInPriorityOrderOldestFirst) {
  const auto low = Enqueue("t", "low");
  const auto def = Enqueue("t", "default");
  const auto high1 = Enqueue("t", "high");
  clock_.Advance(milliseconds(1));
  const auto high2 = Enqueue("t", "high");
  std::vector<std::int64_t> order;
  while (auto job = Reserve()) order.push_back(job->id);
  EXPECT_EQ(order, (std::vector<std::int64_t>{high1, high2, def, low}));
}

TEST_P(JobBackendTest, ReservedJobCarriesItsFields) {
  NewJob job;
  job.type = "call_analysis";
  job.queue = "high";
  job.payload_json = R"({"call_id": 7})";
  job.request_id = "req-42";
  auto id = backend().Enqueue(job);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  Relay();
  auto reserved = Reserve(seconds(45));
  ASSERT_TRUE(reserved);
  EXPECT_EQ(reserved->id, *id);
  EXPECT_EQ(reserved->type, "call_analysis");
  EXPECT_EQ(reserved->queue, "high");
  EXPECT_EQ(reserved->request_id, "req-42");
  EXPECT_EQ(reserved->attempts, 1);
  EXPECT_EQ(reserved->created_at, clock_.Now());
  EXPECT_EQ(reserved->reserved_until, clock_.Now() + seconds(45));
  EXPECT_NE(reserved->payload_json.find("\"call_id\""), std::string::npos);
  EXPECT_NE(reserved->payload_json.find('7'), std::string::npos);
}

TEST_P(JobBackendTest, TakesTheRequestIdOfTheEnqueuingThread) {
  {
    observability::ScopedRequestId scope("req-from-webhook");
    Enqueue("t");
  }
  auto job = Reserve();
  ASSERT_TRUE(job);
  EXPECT_EQ(job->request_id, "req-from-webhook");
}

TEST_P(JobBackendTest, RejectsUnknownQueueAndEmptyType) {
  NewJob job;
  job.type = "t";
  job.queue = "urgent";
  EXPECT_EQ(backend().Enqueue(job).error().code, ErrorCode::kInvalidArgument);
  job.queue = "default";
  job.type = "";
  EXPECT_EQ(backend().Enqueue(job).error().code, ErrorCode::kInvalidArgument);
}

TEST_P(JobBackendTest, DelayedJobBecomesDueAtItsTime) {
  const auto id = Enqueue("t", "default", "{}", seconds(30));
  EXPECT_FALSE(Reserve());
  clock_.Advance(seconds(29));
  EXPECT_FALSE(Reserve());
  clock_.Advance(seconds(1));
  auto job = Reserve();
  ASSERT_TRUE(job);
  EXPECT_EQ(job->id, id);
}

TEST_P(JobBackendTest, ExpiredLeaseIsReclaimedByAnotherWorker) {
  const auto id = Enqueue("t");
  auto first = Reserve(seconds(30), "crashed-worker");
  ASSERT_TRUE(first);
  EXPECT_FALSE(Reserve(seconds(30), "other"));
  clock_.Advance(seconds(29));
  EXPECT_FALSE(Reserve(seconds(30), "other"));
  clock_.Advance(seconds(1));
  auto second = Reserve(seconds(30), "other");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->id, id);
  EXPECT_EQ(second->attempts, 2);
  // The first worker comes back late: its reservation is gone and changes nothing.
  EXPECT_EQ(backend().Complete(*first).error().code, ErrorCode::kConflict);
  EXPECT_EQ(backend().Retry(*first, seconds(1), "x").error().code, ErrorCode::kConflict);
  EXPECT_EQ(backend().MoveToFailed(*first, "x").error().code, ErrorCode::kConflict);
  EXPECT_EQ(backend().Release(*first).error().code, ErrorCode::kConflict);
  ASSERT_TRUE(backend().Complete(*second).has_value());
  clock_.Advance(seconds(60));
  EXPECT_FALSE(Reserve());
  EXPECT_EQ(backend().Stats()->failed, 0);
}

TEST_P(JobBackendTest, PerTypeLeaseOverridesTheDefault) {
  Enqueue("short");
  ReserveOptions options;
  options.lease = seconds(300);
  options.lease_by_type["short"] = seconds(5);
  auto job = backend().Reserve(options);
  ASSERT_TRUE(job.has_value() && job->has_value());
  EXPECT_EQ((*job)->reserved_until, clock_.Now() + seconds(5));
  clock_.Advance(seconds(5));
  auto again = backend().Reserve(options);
  ASSERT_TRUE(again.has_value() && again->has_value());
  EXPECT_EQ((*again)->attempts, 2);
}

TEST_P(JobBackendTest, RetryKeepsTheErrorAndWaitsForTheDelay) {
  Enqueue("t");
  auto job = Reserve();
  ASSERT_TRUE(job);
  ASSERT_TRUE(backend().Retry(*job, seconds(10), "internal: boom").has_value());
  clock_.Advance(milliseconds(9999));
  EXPECT_FALSE(Reserve());
  clock_.Advance(milliseconds(1));
  auto again = Reserve();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->attempts, 2);
  EXPECT_EQ(again->last_error, "internal: boom");
}

TEST_P(JobBackendTest, ReleaseGivesTheJobBackWithoutCountingTheAttempt) {
  const auto id = Enqueue("t");
  auto job = Reserve();
  ASSERT_TRUE(job);
  ASSERT_TRUE(backend().Release(*job).has_value());
  auto again = Reserve();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, id);
  EXPECT_EQ(again->attempts, 1);
}

TEST_P(JobBackendTest, MoveToFailedRecordsTheJobInTheDatabase) {
  const auto id = Enqueue("t", "low", R"({"x": 1})");
  auto job = Reserve();
  ASSERT_TRUE(job);
  ASSERT_TRUE(backend().MoveToFailed(*job, "timeout: Cal.com did not answer").has_value());
  EXPECT_FALSE(Reserve());
  auto failed = db().Run([&](storage::Session& s) -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    s.Query("job_id, queue, type, error, attempts", "FROM failed_jobs", {},
            [&](const storage::Row& r) {
              out.push_back(std::to_string(r.Int64("job_id")) + "|" + r.String("queue") + "|" +
                            r.String("type") + "|" + r.String("error") + "|" +
                            std::to_string(r.Int("attempts")));
            });
    return out;
  });
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(*failed, (std::vector<std::string>{std::to_string(id) +
                                               "|low|t|timeout: Cal.com did not answer|1"}));
}

// Error texts come from third parties (Cal.com's messages) and are shown in the dashboard: the
// stored last_error and failed_jobs.error carry no phone number or e-mail address.
TEST_P(JobBackendTest, StoredErrorsAreMaskedLikeLogLines) {
  const std::string error =
      "unavailable: cal.com bookings answered 400: attendee +4915112345678 "
      "(erika.muster@example.org) already booked, call back on 0151 12345678";
  const std::string masked =
      "unavailable: cal.com bookings answered 400: attendee +49151****678 "
      "(e***@example.org) already booked, call back on 0151****678";
  Enqueue("t");
  auto job = Reserve();
  ASSERT_TRUE(job);
  ASSERT_TRUE(backend().Retry(*job, seconds(0), error).has_value());
  auto again = Reserve();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->last_error, masked);
  ASSERT_TRUE(backend().MoveToFailed(*again, error).has_value());
  auto stored = db().Run([&](storage::Session& s) -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    s.Query("error", "FROM failed_jobs", {},
            [&](const storage::Row& r) { out.push_back(r.String("error")); });
    return out;
  });
  ASSERT_TRUE(stored.has_value()) << stored.error().message;
  EXPECT_EQ(*stored, std::vector<std::string>{masked});
}

TEST_P(JobBackendTest, EnqueueInARolledBackTransactionLeavesNoJob) {
  auto rolled_back = db().WithTransaction([&](storage::Session&) -> Status {
    NewJob job;
    job.type = "call_analysis";
    auto id = backend().Enqueue(job);
    EXPECT_TRUE(id.has_value());
    return Fail(ErrorCode::kConflict, "the webhook's write failed");
  });
  ASSERT_FALSE(rolled_back.has_value());
  Relay();
  EXPECT_FALSE(Reserve());

  auto committed = db().WithTransaction([&](storage::Session&) -> Result<std::int64_t> {
    NewJob job;
    job.type = "call_analysis";
    return backend().Enqueue(job);
  });
  ASSERT_TRUE(committed.has_value());
  Relay();
  auto job = Reserve();
  ASSERT_TRUE(job);
  EXPECT_EQ(job->id, *committed);
  auto stats = backend().Stats();
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->outbox, 0);
}

TEST_P(JobBackendTest, StatsCountReadyDelayedReservedAndFailed) {
  Enqueue("t", "high");
  Enqueue("t", "high");
  Enqueue("t", "low", "{}", seconds(60));
  Enqueue("t", "default");
  ReserveOptions high_only;
  high_only.queues = {"high"};
  auto reserved = backend().Reserve(high_only);
  ASSERT_TRUE(reserved.has_value() && reserved->has_value());
  auto stats = backend().Stats();
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(stats->queues.size(), 3u);
  EXPECT_EQ(stats->queues[0].queue, "high");
  EXPECT_EQ(stats->queues[0].ready, 1);
  EXPECT_EQ(stats->queues[0].reserved, 1);
  EXPECT_EQ(stats->queues[1].ready, 1);
  EXPECT_EQ(stats->queues[2].delayed, 1);
  EXPECT_EQ(stats->queues[2].ready, 0);
  EXPECT_EQ(stats->failed, 0);
}

TEST_P(JobBackendTest, ConcurrentReserversNeverShareAJob) {
  constexpr int kJobs = 60;
  std::set<std::int64_t> enqueued;
  for (int i = 0; i < kJobs; ++i) enqueued.insert(Enqueue("t", i % 2 ? "high" : "low"));
  std::mutex mutex;
  std::multiset<std::int64_t> reserved;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      ReserveOptions options;
      options.worker_id = "w" + std::to_string(t);
      while (true) {
        auto job = backend().Reserve(options);
        if (!job) {
          ++errors;
          continue;
        }
        if (!job->has_value()) return;
        {
          std::lock_guard lock(mutex);
          reserved.insert((*job)->id);
        }
        if (!backend().Complete(**job)) ++errors;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(reserved.size(), static_cast<std::size_t>(kJobs));
  EXPECT_EQ(std::set<std::int64_t>(reserved.begin(), reserved.end()), enqueued);
}

INSTANTIATE_TEST_SUITE_P(Drivers, JobBackendTest, testing::AllDrivers(), testing::DriverName);

// ---- Redis driver only: the outbox relay ------------------------------------------------------

class RedisOutboxTest : public QueueTest {
 protected:
  RedisJobQueue& redis_queue() { return static_cast<RedisJobQueue&>(backend()); }
};

TEST_P(RedisOutboxTest, RelayingTheSameOutboxRowTwiceCreatesOneJob) {
  const auto id = Enqueue("t");
  // A relay that died after pushing but before deleting leaves the row behind.
  ASSERT_TRUE(db().Run([&](storage::Session& s) -> Status {
                    s.Execute(
                        "INSERT INTO job_outbox (id, queue, type, payload, available_at, "
                        "created_at) VALUES (:id, 'default', 't', '{}', :at, :at2)",
                        storage::Params().Add(id).Add(clock_.Now()).Add(clock_.Now()));
                    return Ok();
                  })
                  .has_value());
  EXPECT_EQ(redis_queue().RelayOnce().value(), 1u);  // handled (deleted), not pushed again
  ReserveOptions options;
  auto job = backend().Reserve(options);
  ASSERT_TRUE(job.has_value() && job->has_value());
  EXPECT_EQ((*job)->id, id);
  EXPECT_FALSE(backend().Reserve(options)->has_value());
  EXPECT_EQ(backend().Stats()->outbox, 0);
}

TEST_P(RedisOutboxTest, EnqueueSucceedsWhileRedisIsDownAndTheJobArrivesLater) {
  redis::RedisUrl down = redis_url_;
  down.port = 1;  // nothing listens there
  redis::ClientPool down_pool(down, {}, system_clock_);
  RedisJobQueue cut_off(db(), down_pool, clock_, redis_options_);
  NewJob job;
  job.type = "call_analysis";
  auto id = cut_off.Enqueue(job);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  auto relayed = cut_off.RelayOnce();
  ASSERT_FALSE(relayed.has_value());
  EXPECT_EQ(relayed.error().code, ErrorCode::kUnavailable);
  // Redis is back (here: another process with a working connection relays).
  Relay();
  auto reserved = backend().Reserve(ReserveOptions{});
  ASSERT_TRUE(reserved.has_value() && reserved->has_value());
  EXPECT_EQ((*reserved)->id, *id);
}

// When Redis cannot say whether it removed a failed job (no connection, or one that broke: the
// script may or may not have run), the job's record in failed_jobs stays. If the job is still
// in Redis, its lease brings it back and it may be recorded twice; it is never lost.
TEST_P(RedisOutboxTest, AFailedJobStaysRecordedWhenRedisCannotSayItRemovedIt) {
  Enqueue("t");
  auto reserved = backend().Reserve(ReserveOptions{});
  ASSERT_TRUE(reserved.has_value() && reserved->has_value());
  const Job job = **reserved;
  redis::RedisUrl down = redis_url_;
  down.port = 1;  // nothing listens there
  redis::ClientPool down_pool(down, {}, system_clock_);
  RedisJobQueue cut_off(db(), down_pool, clock_, redis_options_);
  auto moved = cut_off.MoveToFailed(job, "timeout: Cal.com did not answer");
  ASSERT_FALSE(moved.has_value());
  EXPECT_EQ(moved.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(backend().Stats()->failed, 1);
  // A reservation that is really gone is a lease lost: then nothing is recorded.
  clock_.Advance(std::chrono::hours(1));
  auto again = backend().Reserve(ReserveOptions{});
  ASSERT_TRUE(again.has_value() && again->has_value());
  EXPECT_EQ(backend().MoveToFailed(job, "x").error().code, ErrorCode::kConflict);
  EXPECT_EQ(backend().Stats()->failed, 1);
}

TEST_P(RedisOutboxTest, BackgroundRelayDeliversCommittedJobsAndWakesWorkers) {
  std::mutex mutex;
  std::condition_variable woke;
  int wakes = 0;
  backend().SetWakeCallback([&] {
    std::lock_guard lock(mutex);
    ++wakes;
    woke.notify_all();
  });
  ASSERT_TRUE(backend().Start().has_value());
  auto id = db().WithTransaction([&](storage::Session&) -> Result<std::int64_t> {
    NewJob job;
    job.type = "t";
    return backend().Enqueue(job);
  });
  ASSERT_TRUE(id.has_value());
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(woke.wait_for(lock, seconds(10), [&] { return wakes > 0; }));
  }
  backend().Stop();
  backend().SetWakeCallback({});
  auto job = backend().Reserve(ReserveOptions{});
  ASSERT_TRUE(job.has_value() && job->has_value());
  EXPECT_EQ((*job)->id, *id);
}

TEST_P(RedisOutboxTest, WakeWithNothingToRelayEndsItsQuickRetries) {
  // Several processes relay one outbox, so a wake-up often finds its row gone already. The quick
  // retries after it (1 … 64 ms) must end; they used to double on every later empty round until
  // the interval overflowed (UBSan stops the test then), about 63 polls after the wake.
  RedisQueueOptions options = redis_options_;
  options.relay_interval = std::chrono::milliseconds(1);
  RedisJobQueue quick(db(), *redis_, clock_, options);
  NewJob job;
  job.type = "t";
  ASSERT_TRUE(quick.Enqueue(job).has_value());  // wakes the relay …
  ASSERT_EQ(quick.RelayOnce().value(), 1u);     // … but another relay took the row
  ASSERT_TRUE(quick.Start().has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // hundreds of empty polls
  auto id = quick.Enqueue(job);
  ASSERT_TRUE(id.has_value());
  bool relayed = false;
  for (int i = 0; i < 500 && !relayed; ++i) {
    relayed = quick.Stats()->outbox == 0;
    if (!relayed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  quick.Stop();
  EXPECT_TRUE(relayed) << "the relay stopped relaying";
}

INSTANTIATE_TEST_SUITE_P(Drivers, RedisOutboxTest, testing::RedisDrivers(), testing::DriverName);

}  // namespace
}  // namespace callgate::queue
