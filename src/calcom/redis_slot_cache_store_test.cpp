// RedisSlotCacheStore: entries shared through the test Redis, TTLs, per-event-type erasure,
// and Redis failures answered as misses / no-ops.

#include "calcom/redis_slot_cache_store.hpp"

#include <gtest/gtest.h>

#include "core/testing/fake_clock.hpp"
#include "redis/testing/private_redis.hpp"
#include "redis/testing/test_redis.hpp"

namespace callgate::calcom {
namespace {

using callgate::testing::FakeClock;
using std::chrono::milliseconds;
using std::chrono::minutes;

// A failed connect must not make later calls fail fast: the FakeClock never advances.
redis::ClientPoolOptions NoRetryWindow() {
  redis::ClientPoolOptions options;
  options.retry_after = milliseconds(0);
  return options;
}

std::vector<booking::Slot> ThreeSlots(SystemTimePoint base) {
  return {{base, base + minutes(30)},
          {base + minutes(30), base + minutes(60)},
          {base + minutes(120), base + minutes(165)}};
}

TEST(SlotEntryEncoding, RoundTripsSlotsAndExpiry) {
  const auto base = FromUnixMillis(1'767'261'600'000);
  const auto slots = ThreeSlots(base);
  const std::string text = EncodeSlotEntry(slots, base + minutes(5));
  EXPECT_EQ(text, "1|1767261900000|1767261600000+1800000,1800000+1800000,5400000+2700000");
  auto decoded = DecodeSlotEntry(text);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->slots, slots);
  EXPECT_EQ(decoded->expires_at, base + minutes(5));
}

TEST(SlotEntryEncoding, RoundTripsAnEmptyAnswer) {
  auto decoded = DecodeSlotEntry(EncodeSlotEntry({}, FromUnixMillis(42)));
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(decoded->slots.empty());
  EXPECT_EQ(decoded->expires_at, FromUnixMillis(42));
}

TEST(SlotEntryEncoding, RejectsAnythingElse) {
  for (std::string_view text : {"", "2|1|", "1|x|", "1|5|1+2,", "1|5|1+", "1|5|1,2", "1|5"}) {
    EXPECT_FALSE(DecodeSlotEntry(text)) << text;
  }
}

class RedisSlotCacheStoreTest : public redis::testing::RedisTest {
 protected:
  void SetUp() override {
    RedisTest::SetUp();
    if (IsSkipped() || HasFailure()) return;
    pool_ = std::make_unique<redis::ClientPool>(url_, redis::ClientPoolOptions{}, clock_);
  }

  RedisSlotCacheStore MakeStore() { return RedisSlotCacheStore(*pool_, metrics_, {prefix_}); }

  FakeClock clock_;
  observability::Metrics metrics_;
  std::unique_ptr<redis::ClientPool> pool_;
};

TEST_F(RedisSlotCacheStoreTest, AnEntryPutByOneInstanceIsReadByAnother) {
  auto writer = MakeStore();
  auto reader = MakeStore();
  const auto slots = ThreeSlots(clock_.Now() + minutes(60));
  writer.Put("slots|a", 7, slots, clock_.Now(), minutes(5));
  EXPECT_EQ(reader.Get("slots|a", clock_.Now()), slots);
  EXPECT_FALSE(reader.Get("slots|b", clock_.Now()));
  EXPECT_EQ(metrics_.Value("callgate_calcom_slot_cache_store_errors_total", {{"operation", "get"}}),
            0);
}

TEST_F(RedisSlotCacheStoreTest, KeepsEmptyAnswersApartFromMisses) {
  auto store = MakeStore();
  store.Put("slots|empty", 7, {}, clock_.Now(), minutes(1));
  auto got = store.Get("slots|empty", clock_.Now());
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->empty());
}

TEST_F(RedisSlotCacheStoreTest, ExpiresByTheCallersClockAndByRedisTtl) {
  auto store = MakeStore();
  store.Put("slots|a", 7, ThreeSlots(clock_.Now()), clock_.Now(), milliseconds(300'000));
  clock_.Advance(milliseconds(299'999));
  EXPECT_TRUE(store.Get("slots|a", clock_.Now()));
  clock_.Advance(milliseconds(1));
  EXPECT_FALSE(store.Get("slots|a", clock_.Now()));

  auto entry_ttl = pool_->Command({"PTTL", prefix_ + "e:slots|a"});
  auto index_ttl = pool_->Command({"PTTL", prefix_ + "et:7"});
  ASSERT_TRUE(entry_ttl && index_ttl);
  EXPECT_GT(entry_ttl->integer(), 290'000);
  EXPECT_LE(entry_ttl->integer(), 300'000);
  EXPECT_GT(index_ttl->integer(), 290'000);
  EXPECT_LE(index_ttl->integer(), 300'000);
}

TEST_F(RedisSlotCacheStoreTest, TheIndexLivesAsLongAsItsLongestEntry) {
  auto store = MakeStore();
  store.Put("slots|long", 7, ThreeSlots(clock_.Now()), clock_.Now(), minutes(5));
  store.Put("slots|short", 7, {}, clock_.Now(), minutes(1));
  auto index_ttl = pool_->Command({"PTTL", prefix_ + "et:7"});
  ASSERT_TRUE(index_ttl);
  EXPECT_GT(index_ttl->integer(), 290'000);
}

TEST_F(RedisSlotCacheStoreTest, EraseEventTypeDropsExactlyThatEventTypesEntries) {
  auto store = MakeStore();
  auto other_instance = MakeStore();
  const auto slots = ThreeSlots(clock_.Now());
  store.Put("slots|7a", 7, slots, clock_.Now(), minutes(5));
  store.Put("slots|7b", 7, {}, clock_.Now(), minutes(1));
  store.Put("slots|8a", 8, slots, clock_.Now(), minutes(5));

  EXPECT_EQ(other_instance.EraseEventType(7), 2u);
  EXPECT_FALSE(store.Get("slots|7a", clock_.Now()));
  EXPECT_FALSE(store.Get("slots|7b", clock_.Now()));
  EXPECT_EQ(store.Get("slots|8a", clock_.Now()), slots);
  auto index = pool_->Command({"EXISTS", prefix_ + "et:7"});
  ASSERT_TRUE(index);
  EXPECT_EQ(index->integer(), 0);
  EXPECT_EQ(store.EraseEventType(7), 0u);
}

TEST_F(RedisSlotCacheStoreTest, AnUnreadableEntryIsAMissAndCounted) {
  auto store = MakeStore();
  ASSERT_TRUE(pool_->Command({"SET", prefix_ + "e:slots|bad", "garbage", "PX", "60000"}));
  EXPECT_FALSE(store.Get("slots|bad", clock_.Now()));
  EXPECT_EQ(metrics_.Value("callgate_calcom_slot_cache_store_errors_total", {{"operation", "get"}}),
            1);
}

TEST(RedisSlotCacheStoreDown, UnreachableRedisIsAMissAndANoOpNeverAFailure) {
  FakeClock clock;
  observability::Metrics metrics;
  const int port = redis::testing::UnusedLoopbackPort();
  redis::ClientPool pool(redis::ParseRedisUrl("redis://127.0.0.1:" + std::to_string(port)).value(),
                         NoRetryWindow(), clock);
  RedisSlotCacheStore store(pool, metrics);

  store.Put("slots|a", 7, ThreeSlots(clock.Now()), clock.Now(), minutes(5));
  EXPECT_FALSE(store.Get("slots|a", clock.Now()));
  EXPECT_EQ(store.EraseEventType(7), 0u);
  EXPECT_TRUE(store.Degraded());
  for (const char* operation : {"get", "put", "erase"}) {
    EXPECT_EQ(
        metrics.Value("callgate_calcom_slot_cache_store_errors_total", {{"operation", operation}}),
        1)
        << operation;
  }
}

TEST(RedisSlotCacheStoreDown, RedisStoppedMidTestDegradesAndRecovers) {
  redis::testing::PrivateRedis server;
  if (!server.Start()) GTEST_SKIP() << "redis-server cannot be started";
  FakeClock clock;
  observability::Metrics metrics;
  redis::ClientPool pool(server.url(), NoRetryWindow(), clock);
  RedisSlotCacheStore store(pool, metrics);
  const auto slots = ThreeSlots(clock.Now());

  store.Put("slots|a", 7, slots, clock.Now(), minutes(5));
  EXPECT_EQ(store.Get("slots|a", clock.Now()), slots);
  server.Stop();
  EXPECT_FALSE(store.Get("slots|a", clock.Now()));
  EXPECT_TRUE(store.Degraded());
  ASSERT_TRUE(server.Start());
  store.Put("slots|a", 7, slots, clock.Now(), minutes(5));
  EXPECT_EQ(store.Get("slots|a", clock.Now()), slots);
  EXPECT_FALSE(store.Degraded());
}

}  // namespace
}  // namespace callgate::calcom
