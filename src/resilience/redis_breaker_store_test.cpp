// RedisBreakerStore: breaker state shared by instances through the test Redis, atomic updates,
// and falling back to memory when Redis is unreachable or stopped mid-test.

#include "resilience/redis_breaker_store.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "core/testing/fake_clock.hpp"
#include "redis/testing/private_redis.hpp"
#include "redis/testing/test_redis.hpp"
#include "resilience/calendar_decorators.hpp"
#include "resilience/circuit_breaker.hpp"
#include "resilience/testing/fake_calendar_provider.hpp"

namespace callgate::resilience {
namespace {

using callgate::testing::FakeClock;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeCalendarProvider;

booking::CalendarAccount Account() {
  booking::CalendarAccount account;
  account.api_key = Secret("cal_live_shared");
  return account;
}

booking::BookingRequest BookingFor(const booking::CalendarAccount& account, const Clock& clock) {
  booking::BookingRequest request;
  request.account = account;
  request.event_type_id = 1001;
  request.start = clock.Now() + std::chrono::hours(24);
  request.attendee.name = "Erika Mustermann";
  request.attendee.email = "erika@example.com";
  return request;
}

booking::SlotQuery SlotsFor(const booking::CalendarAccount& account, const Clock& clock) {
  booking::SlotQuery query;
  query.account = account;
  query.event_type_id = 1001;
  query.from = clock.Now();
  query.to = clock.Now() + std::chrono::hours(48);
  return query;
}

// One callgate instance: its own Redis connections, store, breaker and Cal.com client.
struct Instance {
  Instance(const redis::RedisUrl& url, const std::string& prefix, const Clock& clock)
      : pool(url, {}, clock),
        store(pool, clock, metrics, {.key_prefix = prefix}),
        breaker({}, store, clock, metrics),
        calcom(clock),
        provider(calcom, breaker, clock, metrics) {}
  observability::Metrics metrics;
  redis::ClientPool pool;
  RedisBreakerStore store;
  CircuitBreaker breaker;
  FakeCalendarProvider calcom;
  CircuitBreakerCalendarProvider provider;
};

class RedisBreakerStoreTest : public redis::testing::RedisTest {
 protected:
  FakeClock clock_;
};

TEST_F(RedisBreakerStoreTest, AllInstancesSeeOneBreaker) {
  Instance a(url_, prefix_, clock_);
  Instance b(url_, prefix_, clock_);
  const auto account = Account();
  a.calcom.FailWith(ErrorCode::kUnavailable);
  for (int i = 0; i < 5; ++i) a.provider.CreateBooking(BookingFor(account, clock_));
  EXPECT_FALSE(a.store.Degraded());

  // B never saw a failure but fails fast too, and serves fallback slots.
  auto booked = b.provider.CreateBooking(BookingFor(account, clock_));
  ASSERT_FALSE(booked.has_value());
  EXPECT_EQ(booked.error().message, "circuit open");
  auto slots = b.provider.GetSlots(SlotsFor(account, clock_));
  ASSERT_TRUE(slots.has_value());
  EXPECT_EQ(slots->source, booking::SlotSource::kFallback);
  EXPECT_EQ(b.calcom.calls(), 0);

  // After 60 s one instance's trial calls close it for everyone.
  clock_.Advance(seconds(60));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(b.provider.CreateBooking(BookingFor(account, clock_)));
  EXPECT_EQ(a.breaker.CurrentState(CalendarAccountKey(account)), BreakerState::kClosed);
  a.calcom.FailWith(std::nullopt);
  EXPECT_TRUE(a.provider.CreateBooking(BookingFor(account, clock_)).has_value());
  EXPECT_EQ(b.metrics.Value("callgate_circuit_breaker_transitions_total",
                            {{"key", CalendarAccountKey(account)}, {"state", "closed"}}),
            1);
}

TEST_F(RedisBreakerStoreTest, ConcurrentUpdatesFromTwoInstancesAreNeverLost) {
  SystemClock clock;
  observability::Metrics metrics;
  redis::ClientPool pool_a(url_, {}, clock);
  redis::ClientPool pool_b(url_, {}, clock);
  RedisBreakerStore a(pool_a, clock, metrics, {.key_prefix = prefix_, .max_attempts = 1000});
  RedisBreakerStore b(pool_b, clock, metrics, {.key_prefix = prefix_, .max_attempts = 1000});
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      BreakerStateStore& store = t % 2 == 0 ? static_cast<BreakerStateStore&>(a) : b;
      for (int i = 0; i < 25; ++i) {
        auto updated = store.Update("counter", [](const BreakerRecord& r) {
          BreakerRecord next = r;
          ++next.consecutive_failures;
          return std::optional<BreakerRecord>(next);
        });
        if (!updated) ++failed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(a.Load("counter")->consecutive_failures, 100);
  EXPECT_FALSE(a.Degraded());
}

TEST(RedisBreakerStoreDown, UnreachableRedisFallsBackToMemory) {
  FakeClock clock;
  redis::RedisUrl url;
  url.port = redis::testing::UnusedLoopbackPort();
  Instance instance(url, "cb:", clock);
  const auto account = Account();
  instance.calcom.FailWith(ErrorCode::kTimeout);
  for (int i = 0; i < 5; ++i) {
    auto result = instance.provider.CreateBooking(BookingFor(account, clock));
    EXPECT_EQ(result.error().message, "scripted failure");
  }
  EXPECT_TRUE(instance.store.Degraded());
  EXPECT_EQ(instance.provider.CreateBooking(BookingFor(account, clock)).error().message,
            "circuit open");
  EXPECT_EQ(instance.calcom.calls(), 5);
  EXPECT_EQ(instance.metrics.Value("callgate_circuit_breaker_store_switches_total",
                                   {{"backend", "local"}}),
            1);
}

TEST(RedisBreakerStoreDown, RedisStoppedMidTestKeepsTheBreakerWorking) {
  redis::testing::PrivateRedis server;
  if (!server.Start()) {
    if (std::getenv("CI") != nullptr) GTEST_FAIL() << "cannot start redis-server";
    GTEST_SKIP() << "redis-server cannot be started";
  }
  FakeClock clock;
  Instance instance(server.url(), "cb:", clock);
  const auto account = Account();
  instance.calcom.FailWith(ErrorCode::kUnavailable);
  for (int i = 0; i < 2; ++i) instance.provider.CreateBooking(BookingFor(account, clock));
  EXPECT_FALSE(instance.store.Degraded());

  server.Stop();
  // Redis is gone: the count restarts in memory, and the breaker still opens after 5.
  for (int i = 0; i < 5; ++i) {
    auto result = instance.provider.CreateBooking(BookingFor(account, clock));
    EXPECT_EQ(result.error().message, "scripted failure") << i;
  }
  EXPECT_TRUE(instance.store.Degraded());
  EXPECT_EQ(instance.provider.CreateBooking(BookingFor(account, clock)).error().message,
            "circuit open");
  auto slots = instance.provider.GetSlots(SlotsFor(account, clock));
  ASSERT_TRUE(slots.has_value());
  EXPECT_EQ(slots->source, booking::SlotSource::kFallback);
  EXPECT_EQ(instance.calcom.calls(), 7);
}

}  // namespace
}  // namespace callgate::resilience
