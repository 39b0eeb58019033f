// GCRA arithmetic, LocalRateLimiter and FallbackRateLimiter (with a scripted primary and with a
// Redis nobody listens on). No Redis server needed.

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "core/testing/fake_clock.hpp"
#include "observability/metrics.hpp"
#include "ratelimit/fallback_rate_limiter.hpp"
#include "ratelimit/local_rate_limiter.hpp"
#include "ratelimit/redis_rate_limiter.hpp"
#include "redis/testing/private_redis.hpp"

namespace callgate::ratelimit {
namespace {

using callgate::testing::FakeClock;
using redis::testing::UnusedLoopbackPort;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr Limit kTenPerMinute{10, seconds(60)};

TEST(Gcra, AdmitsTheWholeBurstThenOnePerInterval) {
  const std::int64_t now = 1'000'000'000;
  std::optional<std::int64_t> tat;
  for (int i = 0; i < 10; ++i) {
    GcraStep step = ComputeGcra(tat, now, kTenPerMinute, true);
    ASSERT_TRUE(step.decision.allowed) << i;
    EXPECT_EQ(step.decision.remaining, 9 - i);
    tat = step.new_tat_us;
  }
  GcraStep denied = ComputeGcra(tat, now, kTenPerMinute, true);
  EXPECT_FALSE(denied.decision.allowed);
  EXPECT_FALSE(denied.store);
  EXPECT_EQ(denied.decision.retry_after, seconds(6));
  EXPECT_TRUE(ComputeGcra(tat, now + 6'000'000, kTenPerMinute, true).decision.allowed);
}

TEST(Gcra, PeekNeverStores) {
  GcraStep step = ComputeGcra(std::nullopt, 5, kTenPerMinute, false);
  EXPECT_TRUE(step.decision.allowed);
  EXPECT_FALSE(step.store);
}

TEST(Gcra, UnevenIntervalsStillAdmitExactlyCount) {
  const Limit seven{7, milliseconds(1000)};
  std::optional<std::int64_t> tat;
  int allowed = 0;
  for (int i = 0; i < 20; ++i) {
    GcraStep step = ComputeGcra(tat, 0, seven, true);
    if (step.decision.allowed) {
      ++allowed;
      tat = step.new_tat_us;
    }
  }
  EXPECT_EQ(allowed, 7);
}

TEST(Gcra, ASmallerBurstAdmitsFewerBackToBack) {
  const Limit limit{10, seconds(60), 2};
  std::optional<std::int64_t> tat;
  int allowed = 0;
  for (int i = 0; i < 5; ++i) {
    GcraStep step = ComputeGcra(tat, 0, limit, true);
    if (step.decision.allowed) {
      ++allowed;
      tat = step.new_tat_us;
    }
  }
  EXPECT_EQ(allowed, 2);
}

// In any window of one period at most burst + count - 1 requests pass (documented bound).
TEST(Gcra, AnyWindowOfOnePeriodHoldsAtMostBurstPlusCountMinusOne) {
  const Limit limit{4, seconds(60), 2};
  std::optional<std::int64_t> tat;
  std::vector<std::int64_t> admitted;
  for (std::int64_t now = 0; now < 600'000'000; now += 1'000'000) {  // one try per second
    GcraStep step = ComputeGcra(tat, now, limit, true);
    if (step.decision.allowed) {
      admitted.push_back(now);
      tat = step.new_tat_us;
    }
  }
  for (std::size_t i = 0; i < admitted.size(); ++i) {
    const auto in_window = std::count_if(admitted.begin(), admitted.end(), [&](std::int64_t t) {
      return t >= admitted[i] && t < admitted[i] + 60'000'000;
    });
    EXPECT_LE(in_window, 5) << "window starting at " << admitted[i];
  }
}

class LocalRateLimiterTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  LocalRateLimiter limiter_{clock_};
};

TEST_F(LocalRateLimiterTest, TripsAtTheConfiguredCountAndRecoversAfterThePeriod) {
  const Limit limit{3, seconds(60)};
  for (int i = 0; i < 3; ++i) {
    auto decision = limiter_.Acquire("k", limit);
    ASSERT_TRUE(decision.has_value());
    EXPECT_TRUE(decision->allowed) << i;
    EXPECT_EQ(decision->remaining, 2 - i);
  }
  auto denied = limiter_.Acquire("k", limit);
  ASSERT_TRUE(denied.has_value());
  EXPECT_FALSE(denied->allowed);
  EXPECT_EQ(denied->retry_after, seconds(20));
  // A denied request consumes nothing: after one interval exactly one more is admitted.
  clock_.Advance(seconds(20));
  EXPECT_TRUE(limiter_.Acquire("k", limit)->allowed);
  EXPECT_FALSE(limiter_.Acquire("k", limit)->allowed);
  // After a whole period the full burst is back.
  clock_.Advance(seconds(60));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter_.Acquire("k", limit)->allowed) << i;
  EXPECT_FALSE(limiter_.Acquire("k", limit)->allowed);
}

TEST_F(LocalRateLimiterTest, KeysAreIndependent) {
  const Limit one{1, seconds(60)};
  EXPECT_TRUE(limiter_.Acquire("a", one)->allowed);
  EXPECT_FALSE(limiter_.Acquire("a", one)->allowed);
  EXPECT_TRUE(limiter_.Acquire("b", one)->allowed);
}

TEST_F(LocalRateLimiterTest, PeekConsumesNothing) {
  const Limit one{1, seconds(60)};
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter_.Peek("a", one)->allowed);
  EXPECT_TRUE(limiter_.Acquire("a", one)->allowed);
  EXPECT_FALSE(limiter_.Peek("a", one)->allowed);
}

TEST_F(LocalRateLimiterTest, RejectsInvalidLimits) {
  auto zero = limiter_.Acquire("a", Limit{0, seconds(60)});
  ASSERT_FALSE(zero.has_value());
  EXPECT_EQ(zero.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(limiter_.Acquire("a", Limit{5, milliseconds(0)}).has_value());
}

TEST_F(LocalRateLimiterTest, EntriesExpireOnceTheAllowanceIsFullAgain) {
  for (int i = 0; i < 100; ++i) limiter_.Acquire("key" + std::to_string(i), kTenPerMinute);
  EXPECT_EQ(limiter_.Size(), 100u);
  clock_.Advance(seconds(5));
  limiter_.Sweep();
  EXPECT_EQ(limiter_.Size(), 100u);  // each key used 1/10 of a minute: 6 s to recover
  clock_.Advance(seconds(1));
  limiter_.Sweep();
  EXPECT_EQ(limiter_.Size(), 0u);
}

TEST(LocalRateLimiterBounds, MemoryStaysBoundedUnderAFloodOfKeys) {
  FakeClock clock;
  LocalRateLimiter limiter(clock, {.shards = 2, .max_keys_per_shard = 50});
  for (int i = 0; i < 10'000; ++i) limiter.Acquire("ip:" + std::to_string(i), kTenPerMinute);
  EXPECT_LE(limiter.Size(), 100u);
}

TEST(LocalRateLimiterThreads, ConcurrentCallersNeverExceedTheLimit) {
  FakeClock clock;
  LocalRateLimiter limiter(clock);
  const Limit limit{100, seconds(60)};
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (limiter.Acquire("shared", limit)->allowed) ++allowed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 100);
}

// A primary whose availability the test switches.
class ScriptedLimiter final : public RateLimiter {
 public:
  explicit ScriptedLimiter(const Clock& clock) : inner_(clock) {}
  Result<Decision> Acquire(std::string_view key, const Limit& limit) override {
    ++calls;
    if (down) return Fail(ErrorCode::kUnavailable, "redis: down");
    return inner_.Acquire(key, limit);
  }
  Result<Decision> Peek(std::string_view key, const Limit& limit) override {
    ++calls;
    if (down) return Fail(ErrorCode::kUnavailable, "redis: down");
    return inner_.Peek(key, limit);
  }
  std::atomic<bool> down{false};
  std::atomic<int> calls{0};

 private:
  LocalRateLimiter inner_;
};

TEST(FallbackRateLimiter, DegradesToLocalLimitsAndSwitchesBackWhenThePrimaryRecovers) {
  FakeClock clock;
  observability::Metrics metrics;
  ScriptedLimiter primary(clock);
  LocalRateLimiter local(clock);
  FallbackRateLimiter limiter(primary, local, clock, metrics, {.retry_interval = seconds(1)});
  const Limit limit{2, seconds(60)};

  EXPECT_TRUE(limiter.Acquire("k", limit)->allowed);
  EXPECT_EQ(limiter.ActiveBackend(), "redis");
  primary.down = true;
  // Never fails the request: the local limiter answers, with its own count.
  auto first = limiter.Acquire("k", limit);
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->allowed);
  EXPECT_TRUE(limiter.Degraded());
  EXPECT_EQ(limiter.ActiveBackend(), "local");
  EXPECT_TRUE(limiter.Acquire("k", limit)->allowed);
  EXPECT_FALSE(limiter.Acquire("k", limit)->allowed);  // local limits still hold
  // Inside the retry interval the primary is not asked at all.
  EXPECT_EQ(primary.calls.load(), 2);
  EXPECT_EQ(metrics.Value("callgate_ratelimit_backend_switches_total", {{"backend", "local"}}), 1);
  EXPECT_EQ(metrics.Value("callgate_ratelimit_fallback_total"), 3);

  // Still down after the interval: one probe, still local, no second switch.
  clock.Advance(seconds(1));
  EXPECT_TRUE(limiter.Acquire("other", limit)->allowed);
  EXPECT_EQ(primary.calls.load(), 3);
  EXPECT_EQ(metrics.Value("callgate_ratelimit_backend_switches_total", {{"backend", "local"}}), 1);

  primary.down = false;
  clock.Advance(seconds(1));
  EXPECT_TRUE(limiter.Acquire("other", limit)->allowed);
  EXPECT_FALSE(limiter.Degraded());
  EXPECT_EQ(metrics.Value("callgate_ratelimit_backend_switches_total", {{"backend", "redis"}}), 1);
}

TEST(FallbackRateLimiter, InvalidLimitIsNotMistakenForAnOutage) {
  FakeClock clock;
  observability::Metrics metrics;
  ScriptedLimiter primary(clock);
  LocalRateLimiter local(clock);
  FallbackRateLimiter limiter(primary, local, clock, metrics);
  auto bad = limiter.Acquire("k", Limit{0, seconds(1)});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(limiter.Degraded());
}

TEST(FallbackRateLimiter, AnswersFromLocalLimitsWhenNothingListensOnTheRedisPort) {
  FakeClock clock;
  observability::Metrics metrics;
  redis::RedisUrl url;
  url.port = UnusedLoopbackPort();
  redis::ClientPool pool(url, {}, clock);
  RedisRateLimiter redis_limiter(pool, clock);
  LocalRateLimiter local(clock);
  FallbackRateLimiter limiter(redis_limiter, local, clock, metrics);
  const Limit limit{3, seconds(60)};
  for (int i = 0; i < 3; ++i) {
    auto decision = limiter.Acquire("ip:192.0.2.1", limit);
    ASSERT_TRUE(decision.has_value()) << decision.error().message;
    EXPECT_TRUE(decision->allowed);
  }
  EXPECT_FALSE(limiter.Acquire("ip:192.0.2.1", limit)->allowed);
  EXPECT_TRUE(limiter.Degraded());
  EXPECT_EQ(metrics.Value("callgate_ratelimit_backend_switches_total", {{"backend", "local"}}), 1);
}

}  // namespace
}  // namespace callgate::ratelimit
