// RedisRateLimiter against the test Redis (scripts/services), and FallbackRateLimiter when the
// connection is killed or a private Redis is stopped mid-test.

#include "ratelimit/redis_rate_limiter.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "core/testing/fake_clock.hpp"
#include "observability/metrics.hpp"
#include "ratelimit/fallback_rate_limiter.hpp"
#include "ratelimit/local_rate_limiter.hpp"
#include "redis/testing/private_redis.hpp"
#include "redis/testing/test_redis.hpp"

namespace callgate::ratelimit {
namespace {

using callgate::testing::FakeClock;
using std::chrono::milliseconds;
using std::chrono::seconds;

class RedisRateLimiterTest : public redis::testing::RedisTest {
 protected:
  RedisRateLimiterOptions Options() const { return {.key_prefix = prefix_ + "rl:"}; }
  FakeClock clock_;
};

TEST_F(RedisRateLimiterTest, TripsAtTheConfiguredCountAndRecoversAfterThePeriod) {
  redis::ClientPool pool(url_, {}, clock_);
  RedisRateLimiter limiter(pool, clock_, Options());
  const Limit limit{3, seconds(60)};
  for (int i = 0; i < 3; ++i) {
    auto decision = limiter.Acquire("k", limit);
    ASSERT_TRUE(decision.has_value()) << decision.error().message;
    EXPECT_TRUE(decision->allowed) << i;
    EXPECT_EQ(decision->remaining, 2 - i);
  }
  auto denied = limiter.Acquire("k", limit);
  ASSERT_TRUE(denied.has_value());
  EXPECT_FALSE(denied->allowed);
  EXPECT_EQ(denied->retry_after, seconds(20));
  EXPECT_FALSE(limiter.Peek("k", limit)->allowed);
  clock_.Advance(seconds(20));
  EXPECT_TRUE(limiter.Peek("k", limit)->allowed);
  EXPECT_TRUE(limiter.Acquire("k", limit)->allowed);
  EXPECT_FALSE(limiter.Acquire("k", limit)->allowed);
  clock_.Advance(seconds(60));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Acquire("k", limit)->allowed) << i;
  EXPECT_FALSE(limiter.Acquire("k", limit)->allowed);
}

TEST_F(RedisRateLimiterTest, KeysCarryATtlSoIdleLimitsDisappear) {
  redis::ClientPool pool(url_, {}, clock_);
  RedisRateLimiter limiter(pool, clock_, Options());
  ASSERT_TRUE(limiter.Acquire("ttl", Limit{10, seconds(60)})->allowed);
  auto ttl = pool.Command({"PTTL", prefix_ + "rl:ttl"});
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(ttl->integer(), 0);
  EXPECT_LE(ttl->integer(), 6000);
}

TEST_F(RedisRateLimiterTest, TwoInstancesOnOneRedisShareTheLimit) {
  // Two callgate processes: separate pools (connections) and limiters, one Redis.
  redis::ClientPool pool_a(url_, {}, clock_);
  redis::ClientPool pool_b(url_, {}, clock_);
  RedisRateLimiter a(pool_a, clock_, Options());
  RedisRateLimiter b(pool_b, clock_, Options());
  const Limit limit{4, seconds(60)};
  int allowed = 0;
  for (int i = 0; i < 10; ++i) {
    RateLimiter& limiter = i % 2 == 0 ? static_cast<RateLimiter&>(a) : b;
    auto decision = limiter.Acquire("company:1:book-appointment", limit);
    ASSERT_TRUE(decision.has_value()) << decision.error().message;
    if (decision->allowed) ++allowed;
  }
  EXPECT_EQ(allowed, 4);
}

TEST_F(RedisRateLimiterTest, ConcurrentInstancesNeverExceedTheLimit) {
  SystemClock clock;
  redis::ClientPool pool_a(url_, {}, clock);
  redis::ClientPool pool_b(url_, {}, clock);
  RedisRateLimiter a(pool_a, clock, Options());
  RedisRateLimiter b(pool_b, clock, Options());
  const Limit limit{50, seconds(3600)};
  std::atomic<int> allowed{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      RateLimiter& limiter = t % 2 == 0 ? static_cast<RateLimiter&>(a) : b;
      for (int i = 0; i < 40; ++i) {
        auto decision = limiter.Acquire("race", limit);
        if (!decision) {
          ++failed;
        } else if (decision->allowed) {
          ++allowed;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(allowed.load(), 50);
}

TEST_F(RedisRateLimiterTest, ServerTimeModeTripsWithoutTheCallersClock) {
  redis::ClientPool pool(url_, {}, clock_);
  RedisRateLimiterOptions options = Options();
  options.use_server_time = true;
  RedisRateLimiter limiter(pool, clock_, options);
  const Limit limit{2, seconds(3600)};
  EXPECT_TRUE(limiter.Acquire("server", limit)->allowed);
  EXPECT_TRUE(limiter.Acquire("server", limit)->allowed);
  auto denied = limiter.Acquire("server", limit);
  ASSERT_TRUE(denied.has_value()) << denied.error().message;
  EXPECT_FALSE(denied->allowed);
  EXPECT_GT(denied->retry_after, seconds(1700));
}

TEST_F(RedisRateLimiterTest, KilledConnectionIsReplacedAndLimitsStillHold) {
  observability::Metrics metrics;
  redis::ClientPoolOptions pool_options;
  pool_options.size = 1;
  redis::ClientPool pool(url_, pool_options, clock_);
  RedisRateLimiter shared(pool, clock_, Options());
  LocalRateLimiter local(clock_);
  FallbackRateLimiter limiter(shared, local, clock_, metrics);
  const Limit limit{3, seconds(60)};
  ASSERT_TRUE(limiter.Acquire("kill", limit)->allowed);

  auto id = pool.Command({"CLIENT", "ID"});
  ASSERT_TRUE(id.has_value());
  redis::Client admin(url_);
  auto killed = admin.Command({"CLIENT", "KILL", "ID", std::to_string(id->integer())});
  ASSERT_TRUE(killed.has_value()) << killed.error().message;
  for (int i = 0; i < 200; ++i) {
    auto list = admin.Command({"CLIENT", "LIST", "ID", std::to_string(id->integer())});
    if (list && list->IsString() && list->string().empty()) break;
    std::this_thread::sleep_for(milliseconds(5));
  }
  // Whether the client reconnects transparently or the limiter falls back, the request is
  // answered and the count continues.
  for (int i = 0; i < 2; ++i) {
    auto decision = limiter.Acquire("kill", limit);
    ASSERT_TRUE(decision.has_value()) << decision.error().message;
    EXPECT_TRUE(decision->allowed);
  }
  auto denied = limiter.Acquire("kill", limit);
  ASSERT_TRUE(denied.has_value());
  EXPECT_FALSE(denied->allowed);
  EXPECT_FALSE(limiter.Degraded());
}

TEST(RedisStoppedMidTest, FallbackAnswersLocallyAndReturnsToRedisWhenItIsBack) {
  redis::testing::PrivateRedis server;
  if (!server.Start()) {
    if (std::getenv("CI") != nullptr) GTEST_FAIL() << "cannot start redis-server";
    GTEST_SKIP() << "redis-server cannot be started";
  }
  FakeClock clock;
  observability::Metrics metrics;
  redis::ClientPoolOptions pool_options;
  pool_options.client.connect_timeout = milliseconds(500);
  pool_options.client.command_timeout = milliseconds(500);
  redis::ClientPool pool(server.url(), pool_options, clock);
  RedisRateLimiter shared(pool, clock);
  LocalRateLimiter local(clock);
  FallbackRateLimiter limiter(shared, local, clock, metrics, {.retry_interval = seconds(1)});
  const Limit limit{2, seconds(60)};
  ASSERT_TRUE(limiter.Acquire("k", limit)->allowed);
  EXPECT_FALSE(limiter.Degraded());

  server.Stop();
  for (int i = 0; i < 2; ++i) {
    auto decision = limiter.Acquire("k", limit);
    ASSERT_TRUE(decision.has_value()) << decision.error().message;
    EXPECT_TRUE(decision->allowed) << i;  // the local limiter starts its own count
  }
  EXPECT_TRUE(limiter.Degraded());
  EXPECT_FALSE(limiter.Acquire("k", limit)->allowed);
  EXPECT_EQ(metrics.Value("callgate_ratelimit_backend_switches_total", {{"backend", "local"}}), 1);

  ASSERT_TRUE(server.Start());
  clock.Advance(seconds(2));  // past the limiter's retry interval and the pool's fail-fast window
  auto back = limiter.Acquire("k", limit);
  ASSERT_TRUE(back.has_value());
  EXPECT_FALSE(limiter.Degraded());
  EXPECT_EQ(metrics.Value("callgate_ratelimit_backend_switches_total", {{"backend", "redis"}}), 1);
}

}  // namespace
}  // namespace callgate::ratelimit
