#pragma once
// Test support: a fresh migrated database per test, and the queue driver under test, for every
// combination of driver (database, redis) and database backend (sqlite, postgresql):
//
//   class MyQueueTest : public queue::testing::QueueTest {};
//   TEST_P(MyQueueTest, Works) { Enqueue("t"); auto job = backend().Reserve({}); ... }
//   INSTANTIATE_TEST_SUITE_P(Drivers, MyQueueTest, queue::testing::AllDrivers(),
//                            queue::testing::DriverName);
//
// Test names end in /database_sqlite, /database_postgresql, /database_pgbouncer, /redis_sqlite, …
// Unconfigured services skip the test (fail under CI), like storage::testing::DatabaseTest.
// The Redis driver's relay does not run in the background: Enqueue() relays synchronously.

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <tuple>

#include "core/testing/fake_clock.hpp"
#include "queue/database_job_queue.hpp"
#include "queue/redis_job_queue.hpp"
#include "redis/client_pool.hpp"
#include "redis/testing/test_redis.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::queue::testing {

using DriverParam = std::tuple<std::string, std::string>;  // driver, database backend

class QueueTest : public ::testing::TestWithParam<DriverParam> {
 protected:
  void SetUp() override {
    const auto& [driver, backend] = GetParam();
    std::string reason = storage::testing::BackendUnavailableReason(backend);
    if (reason.empty() && driver == "redis") reason = redis::testing::RedisUnavailableReason();
    if (!reason.empty()) {
      if (std::getenv("CI") != nullptr) GTEST_FAIL() << "must run under CI: " << reason;
      GTEST_SKIP() << reason;
    }
    auto created = storage::testing::TestDatabase::Create(backend);
    ASSERT_TRUE(created.has_value()) << created.error().message;
    test_database_ = std::move(*created);
    auto migrated = test_database_->Migrate(clock_);
    ASSERT_TRUE(migrated.has_value()) << migrated.error().message;
    if (driver == "redis") {
      redis_url_ = redis::testing::TestRedisUrl();
      redis_options_.key_prefix = redis::testing::UniqueKeyPrefix();
      redis_ = std::make_unique<redis::ClientPool>(redis_url_, redis::ClientPoolOptions{},
                                                   system_clock_);
      backend_ = std::make_unique<RedisJobQueue>(db(), *redis_, clock_, redis_options_);
    } else {
      backend_ = std::make_unique<DatabaseJobQueue>(db(), clock_);
    }
  }

  void TearDown() override {
    backend_.reset();
    if (redis_) {
      // Remove this test's keys (the server is shared with other test processes).
      std::string cursor = "0";
      do {
        auto page = redis_->Command(
            {"SCAN", cursor, "MATCH", redis_options_.key_prefix + "*", "COUNT", "1000"});
        if (!page) break;
        cursor = page->array().at(0).string();
        for (const auto& key : page->array().at(1).array()) redis_->Command({"DEL", key.string()});
      } while (cursor != "0");
      redis_.reset();
    }
    test_database_.reset();
  }

  bool IsRedis() const { return std::get<0>(GetParam()) == "redis"; }
  storage::Database& db() { return test_database_->database(); }
  storage::testing::TestDatabase& test_database() { return *test_database_; }
  JobBackend& backend() { return *backend_; }

  // Copies committed outbox rows to Redis (no-op for the database driver).
  void Relay() {
    if (!IsRedis()) return;
    auto* queue = static_cast<RedisJobQueue*>(backend_.get());
    for (int i = 0; i < 1000; ++i) {
      auto relayed = queue->RelayOnce();
      ASSERT_TRUE(relayed.has_value()) << relayed.error().message;
      if (*relayed == 0) return;
    }
  }

  // Enqueues (and relays) a job; returns its id.
  std::int64_t Enqueue(std::string type, std::string queue = "default", std::string payload = "{}",
                       std::chrono::milliseconds delay = std::chrono::milliseconds(0)) {
    NewJob job;
    job.type = std::move(type);
    job.queue = std::move(queue);
    job.payload_json = std::move(payload);
    job.delay = delay;
    auto id = backend_->Enqueue(job);
    EXPECT_TRUE(id.has_value()) << id.error().message;
    Relay();
    return id.value_or(-1);
  }

  callgate::testing::FakeClock clock_;
  SystemClock system_clock_;
  redis::RedisUrl redis_url_;
  RedisQueueOptions redis_options_;
  std::unique_ptr<redis::ClientPool> redis_;

 private:
  std::unique_ptr<storage::testing::TestDatabase> test_database_;
  std::unique_ptr<JobBackend> backend_;
};

// Both drivers on both databases, plus both drivers on PostgreSQL through PgBouncer in
// transaction pool mode (as deployed): SKIP LOCKED reservations and outbox relays must hold there.
inline auto AllDrivers() {
  return ::testing::Combine(::testing::Values(std::string("database"), std::string("redis")),
                            ::testing::Values(std::string("sqlite"), std::string("postgresql"),
                                              std::string("pgbouncer")));
}

// The Redis driver on both databases.
inline auto RedisDrivers() {
  return ::testing::Combine(::testing::Values(std::string("redis")),
                            ::testing::Values(std::string("sqlite"), std::string("postgresql")));
}

inline std::string DriverName(const ::testing::TestParamInfo<DriverParam>& info) {
  return std::get<0>(info.param) + "_" + std::get<1>(info.param);
}

}  // namespace callgate::queue::testing
