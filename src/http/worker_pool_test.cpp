#include "http/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <thread>

namespace callgate::http {
namespace {

using std::chrono::seconds;

TEST(WorkerPool, RunsJobsOnItsThreads) {
  WorkerPool pool(2, 4);
  std::promise<std::thread::id> ran;
  ASSERT_TRUE(pool.TryPost([&] { ran.set_value(std::this_thread::get_id()); }));
  auto future = ran.get_future();
  ASSERT_EQ(future.wait_for(seconds(10)), std::future_status::ready);
  EXPECT_NE(future.get(), std::this_thread::get_id());
}

TEST(WorkerPool, RefusesJobsBeyondQueueCapacity) {
  WorkerPool pool(1, 1);
  std::promise<void> started;
  std::promise<void> release;
  auto release_future = release.get_future().share();
  ASSERT_TRUE(pool.TryPost([&, release_future] {
    started.set_value();
    release_future.wait_for(seconds(10));
  }));
  ASSERT_EQ(started.get_future().wait_for(seconds(10)), std::future_status::ready);
  EXPECT_TRUE(pool.TryPost([] {}));   // waits in the queue
  EXPECT_FALSE(pool.TryPost([] {}));  // queue full
  EXPECT_EQ(pool.queued(), 1u);
  EXPECT_EQ(pool.running(), 1u);
  release.set_value();
}

TEST(WorkerPool, ShutdownFinishesRunningJobAndDropsQueuedOnes) {
  auto pool = std::make_unique<WorkerPool>(1, 4);
  std::promise<void> started;
  std::promise<void> release;
  auto release_future = release.get_future().share();
  std::atomic<bool> first_done{false};
  std::atomic<bool> second_ran{false};
  auto token = std::make_shared<int>(0);
  ASSERT_TRUE(pool->TryPost([&, release_future] {
    started.set_value();
    release_future.wait_for(seconds(10));
    first_done = true;
  }));
  ASSERT_TRUE(pool->TryPost([&, token] { second_ran = true; }));
  ASSERT_EQ(started.get_future().wait_for(seconds(10)), std::future_status::ready);
  auto shutdown = std::async(std::launch::async, [&] { pool->Shutdown(); });
  // The only worker is blocked, so the queue empties only when Shutdown() drops the job.
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (pool->queued() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  release.set_value();
  ASSERT_EQ(shutdown.wait_for(seconds(10)), std::future_status::ready);
  EXPECT_TRUE(first_done);
  EXPECT_FALSE(second_ran);
  EXPECT_EQ(token.use_count(), 1);  // the dropped job released what it held
  EXPECT_FALSE(pool->TryPost([] {}));
}

TEST(WorkerPool, RejectsZeroSizes) {
  EXPECT_THROW(WorkerPool(0, 1), std::invalid_argument);
  EXPECT_THROW(WorkerPool(1, 0), std::invalid_argument);
}

}  // namespace
}  // namespace callgate::http
