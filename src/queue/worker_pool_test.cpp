// WorkerPool on both drivers and both databases: retries with backoff under a fake clock,
// failed jobs with the failed hook, `jobs retry`, request ids, concurrency, graceful stop.

#include "queue/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <stdexcept>

#include "observability/log.hpp"
#include "observability/metrics.hpp"
#include "queue/job_admin.hpp"
#include "queue/testing/queue_test_fixture.hpp"

namespace callgate::queue {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::QueueTest;

class WorkerPoolTest : public QueueTest {
 protected:
  // A pool for RunOnce() on the test thread.
  std::unique_ptr<WorkerPool> Pool(WorkerPoolOptions options = {}) {
    return std::make_unique<WorkerPool>(backend(), registry_, clock_, options, &metrics_);
  }

  std::optional<JobOutcome> RunOnce(WorkerPool& pool) {
    auto outcome = pool.RunOnce();
    EXPECT_TRUE(outcome.has_value()) << outcome.error().message;
    return outcome.value_or(std::nullopt);
  }

  double Count(std::string_view type, std::string_view outcome) {
    return metrics_.Value("callgate_jobs_total",
                          {{"type", std::string(type)}, {"outcome", std::string(outcome)}});
  }

  JobRegistry registry_;
  observability::Metrics metrics_;
};

TEST_P(WorkerPoolTest, RetriesWithBackoffThenFailsAfterThreeTriesAndRunsTheFailedHook) {
  int runs = 0;
  std::vector<std::string> hook_calls;
  ASSERT_TRUE(registry_
                  .Register(
                      "flaky",
                      [&](const Job& job) -> Status {
                        ++runs;
                        return Fail(ErrorCode::kUnavailable,
                                    "Cal.com down (run " + std::to_string(job.attempts) + ")");
                      },
                      {},
                      [&](const Job& job, const Error& error) -> Status {
                        hook_calls.push_back(std::to_string(job.id) + ": " + error.message);
                        return Ok();
                      })
                  .has_value());
  const auto id = Enqueue("flaky", "default", R"({"call_id": 9})");
  auto pool = Pool();

  EXPECT_EQ(RunOnce(*pool), JobOutcome::kRetried);  // run 1 → wait 10 s
  EXPECT_EQ(RunOnce(*pool), std::nullopt);
  clock_.Advance(milliseconds(9999));
  EXPECT_EQ(RunOnce(*pool), std::nullopt);
  clock_.Advance(milliseconds(1));
  EXPECT_EQ(RunOnce(*pool), JobOutcome::kRetried);  // run 2 → wait 30 s
  clock_.Advance(milliseconds(29999));
  EXPECT_EQ(RunOnce(*pool), std::nullopt);
  clock_.Advance(milliseconds(1));
  EXPECT_TRUE(hook_calls.empty());
  EXPECT_EQ(RunOnce(*pool), JobOutcome::kFailed);  // run 3 → failed
  EXPECT_EQ(runs, 3);
  ASSERT_EQ(hook_calls.size(), 1u);
  EXPECT_EQ(hook_calls[0], std::to_string(id) + ": Cal.com down (run 3)");
  clock_.Advance(seconds(3600));
  EXPECT_EQ(RunOnce(*pool), std::nullopt);

  JobAdmin admin(db(), backend());
  auto failed = admin.ListFailed();
  ASSERT_TRUE(failed.has_value()) << failed.error().message;
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ((*failed)[0].job_id, id);
  EXPECT_EQ((*failed)[0].type, "flaky");
  EXPECT_EQ((*failed)[0].attempts, 3);
  EXPECT_EQ((*failed)[0].error, "unavailable: Cal.com down (run 3)");
  EXPECT_NE((*failed)[0].payload_json.find("call_id"), std::string::npos);
  EXPECT_EQ(Count("flaky", "retried"), 2);
  EXPECT_EQ(Count("flaky", "failed"), 1);
  EXPECT_EQ(backend().Stats()->failed, 1);
}

TEST_P(WorkerPoolTest, JobsRetryRerunsAFailedJob) {
  bool healthy = false;
  std::vector<std::string> seen_payloads;
  JobOptions once;
  once.tries = 1;
  ASSERT_TRUE(registry_
                  .Register(
                      "sync",
                      [&](const Job& job) -> Status {
                        seen_payloads.push_back(job.payload_json);
                        if (!healthy) return Fail(ErrorCode::kTimeout, "slow");
                        return Ok();
                      },
                      once)
                  .has_value());
  Enqueue("sync", "high", R"({"booking": "abc"})");
  auto pool = Pool();
  EXPECT_EQ(RunOnce(*pool), JobOutcome::kFailed);

  JobAdmin admin(db(), backend());
  auto failed = admin.ListFailed();
  ASSERT_TRUE(failed.has_value());
  ASSERT_EQ(failed->size(), 1u);
  healthy = true;
  auto retried = admin.Retry((*failed)[0].id);
  ASSERT_TRUE(retried.has_value()) << retried.error().message;
  Relay();
  EXPECT_EQ(admin.ListFailed()->size(), 0u);
  EXPECT_EQ(RunOnce(*pool), JobOutcome::kCompleted);
  ASSERT_EQ(seen_payloads.size(), 2u);
  EXPECT_EQ(seen_payloads[0], seen_payloads[1]);
  EXPECT_EQ(admin.Retry((*failed)[0].id).error().code, ErrorCode::kNotFound);
}

TEST_P(WorkerPoolTest, RetryAllAndForget) {
  JobOptions once;
  once.tries = 1;
  std::atomic<bool> healthy{false};
  int completed = 0;
  ASSERT_TRUE(registry_
                  .Register(
                      "t",
                      [&](const Job&) -> Status {
                        if (!healthy) return Fail(ErrorCode::kInternal, "no");
                        ++completed;
                        return Ok();
                      },
                      once)
                  .has_value());
  for (int i = 0; i < 3; ++i) Enqueue("t");
  auto pool = Pool();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(RunOnce(*pool), JobOutcome::kFailed);
  JobAdmin admin(db(), backend());
  auto failed = admin.ListFailed();
  ASSERT_EQ(failed->size(), 3u);
  ASSERT_TRUE(admin.Forget((*failed)[0].id).has_value());
  EXPECT_EQ(admin.Forget((*failed)[0].id).error().code, ErrorCode::kNotFound);
  healthy = true;
  EXPECT_EQ(admin.RetryAll().value(), 2u);
  Relay();
  while (RunOnce(*pool)) {
  }
  EXPECT_EQ(completed, 2);
  EXPECT_EQ(admin.Stats()->failed, 0);
}

TEST_P(WorkerPoolTest, UnknownTypeAndThrowingHandlerEndInFailedJobs) {
  JobOptions once;
  once.tries = 1;
  ASSERT_TRUE(registry_
                  .Register(
                      "throws", [](const Job&) -> Status { throw std::runtime_error("bug"); }, once)
                  .has_value());
  Enqueue("throws");
  Enqueue("nobody_handles_this");
  auto pool = Pool();
  EXPECT_EQ(RunOnce(*pool), JobOutcome::kFailed);
  // Unknown types get the default three tries.
  EXPECT_EQ(RunOnce(*pool), JobOutcome::kRetried);
  clock_.Advance(seconds(10));
  EXPECT_EQ(RunOnce(*pool), JobOutcome::kRetried);
  clock_.Advance(seconds(30));
  EXPECT_EQ(RunOnce(*pool), JobOutcome::kFailed);
  JobAdmin admin(db(), backend());
  auto failed = admin.ListFailed();
  ASSERT_EQ(failed->size(), 2u);
  std::set<std::string> errors = {(*failed)[0].error, (*failed)[1].error};
  EXPECT_TRUE(errors.contains("internal: handler threw: bug"));
  EXPECT_TRUE(
      errors.contains("internal: no handler registered for job type \"nobody_handles_this\""));
}

TEST_P(WorkerPoolTest, LastTryThatOutlivesItsLeaseEndsInFailedJobs) {
  JobOptions options;
  options.tries = 1;
  options.lease = seconds(20);
  int hook_calls = 0;
  ASSERT_TRUE(registry_
                  .Register(
                      "t", [](const Job&) -> Status { return Ok(); }, options,
                      [&](const Job&, const Error& error) -> Status {
                        ++hook_calls;
                        EXPECT_EQ(error.code, ErrorCode::kTimeout);
                        return Ok();
                      })
                  .has_value());
  Enqueue("t");
  // A worker reserved the only try and died.
  ReserveOptions reserve;
  reserve.lease = seconds(20);
  ASSERT_TRUE(backend().Reserve(reserve)->has_value());
  clock_.Advance(seconds(20));
  auto pool = Pool();
  EXPECT_EQ(RunOnce(*pool), JobOutcome::kFailed);
  EXPECT_EQ(hook_calls, 1);
  JobAdmin admin(db(), backend());
  auto failed = admin.ListFailed();
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_NE((*failed)[0].error.find("ended without a recorded outcome"), std::string::npos);
}

// The failed hook writes what a job held (a pending booking's slot) back: it runs before the
// job moves to failed_jobs, and a hook that cannot write keeps the job queued until it can.
TEST_P(WorkerPoolTest, AFailedHookThatCannotWriteKeepsTheJobQueuedUntilItCan) {
  JobOptions options;
  options.tries = 2;
  options.backoff = {seconds(10), seconds(300)};
  int runs = 0;
  int hook_runs = 0;
  std::vector<std::string> hook_errors;
  std::vector<std::size_t> failed_seen_by_hook;
  JobAdmin admin(db(), backend());
  ASSERT_TRUE(registry_
                  .Register(
                      "hold",
                      [&](const Job& job) -> Status {
                        ++runs;
                        return Fail(ErrorCode::kUnavailable,
                                    "Cal.com down (run " + std::to_string(job.attempts) + ")");
                      },
                      options,
                      [&](const Job&, const Error& error) -> Status {
                        ++hook_runs;
                        hook_errors.push_back(error.message);
                        auto failed = admin.ListFailed();
                        failed_seen_by_hook.push_back(failed ? failed->size() : 99);
                        if (hook_runs == 1) return Fail(ErrorCode::kUnavailable, "database down");
                        if (hook_runs == 2) throw std::runtime_error("database still down");
                        return Ok();
                      })
                  .has_value());
  const auto id = Enqueue("hold");
  auto pool = Pool();
  EXPECT_EQ(RunOnce(*pool), JobOutcome::kRetried);
  clock_.Advance(seconds(10));
  EXPECT_EQ(RunOnce(*pool), JobOutcome::kHookFailed);  // the last try; the hook fails
  EXPECT_EQ(runs, 2);
  ASSERT_EQ(hook_runs, 1);
  EXPECT_EQ(hook_errors[0], "Cal.com down (run 2)");
  EXPECT_EQ(failed_seen_by_hook[0], 0u) << "the hook runs before the job is in failed_jobs";
  EXPECT_EQ(admin.ListFailed()->size(), 0u);

  // Due again after the last backoff: the hook again, not the handler; it throws.
  clock_.Advance(seconds(299));
  EXPECT_EQ(RunOnce(*pool), std::nullopt);
  clock_.Advance(seconds(1));
  EXPECT_EQ(RunOnce(*pool), JobOutcome::kHookFailed);
  EXPECT_EQ(runs, 2);
  ASSERT_EQ(hook_runs, 2);
  EXPECT_EQ(admin.ListFailed()->size(), 0u);

  // The hook writes at last; the job moves to failed_jobs with the handler's error, once.
  clock_.Advance(seconds(300));
  EXPECT_EQ(RunOnce(*pool), JobOutcome::kFailed);
  EXPECT_EQ(runs, 2);
  ASSERT_EQ(hook_runs, 3);
  EXPECT_EQ(failed_seen_by_hook[2], 0u);
  EXPECT_EQ(hook_errors[1], "Cal.com down (run 2)") << "the handler's error, not the worker's";
  EXPECT_EQ(hook_errors[2], "Cal.com down (run 2)");
  auto failed = admin.ListFailed();
  ASSERT_TRUE(failed.has_value()) << failed.error().message;
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ((*failed)[0].job_id, id);
  const std::string& error = (*failed)[0].error;
  EXPECT_NE(error.find("Cal.com down (run 2)"), std::string::npos) << error;
  const std::string lost = "ended without a recorded outcome";
  const auto first = error.find(lost);
  ASSERT_NE(first, std::string::npos) << error;
  EXPECT_EQ(error.find(lost, first + 1), std::string::npos)
      << "grew with each failed hook: " << error;
  clock_.Advance(seconds(3600));
  EXPECT_EQ(RunOnce(*pool), std::nullopt);
  EXPECT_EQ(hook_runs, 3);
  EXPECT_EQ(Count("hold", "hook_failed"), 2);
  EXPECT_EQ(Count("hold", "failed"), 1);
}

// A failed hook that can never write does not keep its job forever: after ten runs the job
// moves to failed_jobs, its error naming the hook's, for an operator.
TEST_P(WorkerPoolTest, AFailedHookThatNeverWritesGivesUpAfterTenRuns) {
  JobOptions once;
  once.tries = 1;
  once.backoff = {seconds(60)};
  int hook_runs = 0;
  ASSERT_TRUE(registry_
                  .Register(
                      "stuck",
                      [](const Job&) -> Status { return Fail(ErrorCode::kConflict, "slot taken"); },
                      once,
                      [&](const Job&, const Error& error) -> Status {
                        ++hook_runs;
                        EXPECT_EQ(error.code, ErrorCode::kConflict);
                        EXPECT_EQ(error.message, "slot taken");
                        return Fail(ErrorCode::kInternal, "appointment unreadable");
                      })
                  .has_value());
  Enqueue("stuck");
  auto pool = Pool();
  for (int run = 1; run < 10; ++run) {
    ASSERT_EQ(RunOnce(*pool), JobOutcome::kHookFailed) << "run " << run;
    clock_.Advance(seconds(60));
  }
  EXPECT_EQ(RunOnce(*pool), JobOutcome::kFailed);
  EXPECT_EQ(hook_runs, 10);
  JobAdmin admin(db(), backend());
  auto failed = admin.ListFailed();
  ASSERT_TRUE(failed.has_value()) << failed.error().message;
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_NE((*failed)[0].error.find("slot taken"), std::string::npos) << (*failed)[0].error;
  EXPECT_NE((*failed)[0].error.find("gave up after 10 runs: internal: appointment unreadable"),
            std::string::npos)
      << (*failed)[0].error;
  clock_.Advance(seconds(3600));
  EXPECT_EQ(RunOnce(*pool), std::nullopt);
  EXPECT_EQ(hook_runs, 10);
}

TEST_P(WorkerPoolTest, HandlerRunsWithTheJobsRequestId) {
  std::string seen;
  ASSERT_TRUE(registry_
                  .Register("t",
                            [&](const Job&) -> Status {
                              seen = std::string(observability::CurrentRequestId());
                              return Ok();
                            })
                  .has_value());
  NewJob job;
  job.type = "t";
  job.request_id = "req-7f3a";
  ASSERT_TRUE(backend().Enqueue(job).has_value());
  Relay();
  auto pool = Pool();
  EXPECT_EQ(RunOnce(*pool), JobOutcome::kCompleted);
  EXPECT_EQ(seen, "req-7f3a");
  EXPECT_EQ(observability::CurrentRequestId(), "");
  EXPECT_EQ(Count("t", "completed"), 1);
}

TEST_P(WorkerPoolTest, ThreadedWorkersRunEveryJobOnceAndNeverTwoAtATime) {
  constexpr int kJobs = 80;
  std::mutex mutex;
  std::set<std::int64_t> running;
  std::map<std::int64_t, int> runs;
  std::atomic<int> overlaps{0};
  std::atomic<int> done{0};
  ASSERT_TRUE(registry_
                  .Register("t",
                            [&](const Job& job) -> Status {
                              {
                                std::lock_guard lock(mutex);
                                if (!running.insert(job.id).second) ++overlaps;
                                ++runs[job.id];
                              }
                              std::this_thread::yield();
                              {
                                std::lock_guard lock(mutex);
                                running.erase(job.id);
                              }
                              ++done;
                              return Ok();
                            })
                  .has_value());
  WorkerPoolOptions options;
  options.concurrency = 4;
  options.poll_interval = milliseconds(20);
  auto pool = Pool(options);
  ASSERT_TRUE(backend().Start().has_value());
  ASSERT_TRUE(pool->Start().has_value());
  for (int i = 0; i < kJobs; ++i) {
    NewJob job;
    job.type = "t";
    job.queue = i % 3 == 0 ? "high" : "low";
    ASSERT_TRUE(backend().Enqueue(job).has_value());
  }
  const auto deadline = std::chrono::steady_clock::now() + seconds(60);
  while (done.load() < kJobs && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));  // bounded wait for real threads
  }
  pool->Stop();
  backend().Stop();
  EXPECT_EQ(done.load(), kJobs);
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(runs.size(), static_cast<std::size_t>(kJobs));
  for (const auto& [id, n] : runs) EXPECT_EQ(n, 1) << "job " << id;
}

TEST_P(WorkerPoolTest, StopLetsTheRunningJobFinish) {
  std::mutex mutex;
  std::condition_variable changed;
  bool started = false;
  bool release = false;
  ASSERT_TRUE(registry_
                  .Register("slow",
                            [&](const Job&) -> Status {
                              std::unique_lock lock(mutex);
                              started = true;
                              changed.notify_all();
                              changed.wait(lock, [&] { return release; });
                              return Ok();
                            })
                  .has_value());
  WorkerPoolOptions options;
  options.concurrency = 2;
  options.poll_interval = milliseconds(20);
  auto pool = Pool(options);
  ASSERT_TRUE(backend().Start().has_value());
  ASSERT_TRUE(pool->Start().has_value());
  Enqueue("slow");
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, seconds(30), [&] { return started; }));
  }
  std::thread stopper([&] { pool->Stop(); });
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  changed.notify_all();
  stopper.join();
  backend().Stop();
  EXPECT_EQ(Count("slow", "completed"), 1);
  EXPECT_EQ(backend().Stats()->queues[1].reserved, 0);
  EXPECT_EQ(backend().Stats()->queues[1].ready, 0);
}

INSTANTIATE_TEST_SUITE_P(Drivers, WorkerPoolTest, testing::AllDrivers(), testing::DriverName);

TEST(JobRegistry, ValidatesRegistrations) {
  JobRegistry registry;
  auto ok = [](const Job&) -> Status { return Ok(); };
  EXPECT_TRUE(registry.Register("a", ok).has_value());
  EXPECT_EQ(registry.Register("a", ok).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(registry.Register("", ok).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(registry.Register("b", {}).error().code, ErrorCode::kInvalidArgument);
  JobOptions bad;
  bad.tries = 0;
  EXPECT_EQ(registry.Register("c", ok, bad).error().code, ErrorCode::kInvalidArgument);
  bad = {};
  bad.queue = "urgent";
  EXPECT_EQ(registry.Register("d", ok, bad).error().code, ErrorCode::kInvalidArgument);
  bad = {};
  bad.backoff.clear();
  EXPECT_EQ(registry.Register("e", ok, bad).error().code, ErrorCode::kInvalidArgument);
}

TEST(JobRegistry, BackoffAndLeaseDefaults) {
  JobOptions options;
  EXPECT_EQ(options.tries, 3);
  EXPECT_EQ(options.BackoffAfter(1), seconds(10));
  EXPECT_EQ(options.BackoffAfter(2), seconds(30));
  EXPECT_EQ(options.BackoffAfter(3), seconds(60));
  EXPECT_EQ(options.BackoffAfter(7), seconds(60));
  EXPECT_EQ(options.EffectiveLease(), seconds(90));
  JobRegistry registry;
  JobOptions high;
  high.queue = "high";
  high.lease = seconds(300);
  ASSERT_TRUE(registry.Register(
      "pending_booking", [](const Job&) { return Ok(); }, high));
  EXPECT_EQ(registry.MakeJob("pending_booking", "{}").queue, "high");
  EXPECT_EQ(registry.MakeJob("unknown", "{}").queue, "default");
  EXPECT_EQ(registry.LongestLease(), seconds(300));
  EXPECT_EQ(registry.LeaseByType().at("pending_booking"), seconds(300));
}

}  // namespace
}  // namespace callgate::queue
