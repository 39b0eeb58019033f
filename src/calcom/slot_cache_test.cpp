#include "calcom/slot_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/testing/fake_clock.hpp"
#include "core/time_zone.hpp"

namespace callgate::calcom {
namespace {

using booking::Slot;
using booking::SlotAnswer;
using booking::SlotQuery;
using booking::SlotSource;
using namespace std::chrono_literals;

SystemTimePoint T(const char* iso) { return *ParseIso8601(iso); }

// Waits (spinning, no sleep) until `pred` holds; false after 10 s.
template <typename Pred>
bool WaitUntil(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

// A CalendarProvider whose answers the test scripts and whose slot requests can be held at a
// gate until the test opens it.
class ScriptedProvider final : public booking::CalendarProvider {
 public:
  Result<SlotAnswer> GetSlots(const SlotQuery& query) override {
    ++slot_calls;
    ++queries_fetched;
    Gate();
    return Answer(query);
  }

  std::vector<Result<SlotAnswer>> GetSlotsMany(const std::vector<SlotQuery>& queries) override {
    ++many_calls;
    queries_fetched += static_cast<int>(queries.size());
    Gate();
    std::vector<Result<SlotAnswer>> out;
    for (const auto& q : queries) out.push_back(Answer(q));
    return out;
  }

  Result<booking::Booking> CreateBooking(const booking::BookingRequest& request) override {
    if (create_error) return tl::unexpected(*create_error);
    booking::Booking b;
    b.uid = "new";
    b.event_type_id = request.event_type_id;
    return b;
  }
  Result<booking::Booking> CancelBooking(const booking::CalendarAccount&, const std::string& uid,
                                         const std::string&,
                                         const booking::BookingChange&) override {
    booking::Booking b;
    b.uid = uid;
    b.status = "cancelled";
    b.event_type_id = 1001;
    return b;
  }
  Result<booking::Booking> RescheduleBooking(const booking::CalendarAccount&,
                                             const std::string& uid, SystemTimePoint,
                                             const std::string&,
                                             const booking::BookingChange&) override {
    booking::Booking b;
    b.uid = "moved";
    b.rescheduled_from_uid = uid;
    b.event_type_id = 1001;
    return b;
  }
  Result<booking::Booking> GetBooking(const booking::CalendarAccount&,
                                      const std::string&) override {
    return Fail(ErrorCode::kNotFound, "none");
  }
  Result<std::vector<booking::Booking>> ListBookings(const booking::CalendarAccount&,
                                                     const booking::BookingFilter&) override {
    return std::vector<booking::Booking>{};
  }
  Result<std::vector<booking::AccountEventType>> ListAccountEventTypes(
      const booking::CalendarAccount&) override {
    return std::vector<booking::AccountEventType>{};
  }

  void CloseGate() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }
  void OpenGate() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }

  std::atomic<int> slot_calls{0};
  std::atomic<int> many_calls{0};
  std::atomic<int> queries_fetched{0};
  std::atomic<int> at_gate{0};
  std::vector<Slot> slots = {{T("2050-09-05T07:00:00Z"), T("2050-09-05T07:30:00Z")}};
  std::optional<Error> slots_error;
  SlotSource source = SlotSource::kLive;
  std::optional<Error> create_error;

 private:
  void Gate() {
    std::unique_lock lock(mutex_);
    ++at_gate;
    cv_.wait(lock, [this] { return open_; });
  }
  Result<SlotAnswer> Answer(const SlotQuery&) const {
    if (slots_error) return tl::unexpected(*slots_error);
    return SlotAnswer{slots, source};
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = true;
};

class SlotCacheTest : public ::testing::Test {
 protected:
  SlotQuery Query(std::int64_t event_type = 1001, const char* day = "2050-09-05") const {
    SlotQuery q;
    q.account = {Secret("cal_test_abc"), "http://calcom.test/v2"};
    q.event_type_id = event_type;
    q.from = T((std::string(day) + "T00:00:00Z").c_str());
    q.to = q.from + 24h;
    return q;
  }
  double Outcome(const char* outcome) const {
    return metrics_.Value("callgate_calcom_slot_cache_total", {{"outcome", outcome}});
  }

  ScriptedProvider inner_;
  InProcessSlotCacheStore store_;
  testing::FakeClock clock_;
  observability::Metrics metrics_;
  CachingCalendarProvider cache_{inner_, store_, clock_, metrics_};
};

TEST_F(SlotCacheTest, AHitMakesNoUpstreamRequestAndIsMarkedAsCached) {
  auto first = cache_.GetSlots(Query());
  ASSERT_TRUE(first);
  EXPECT_EQ(first->source, SlotSource::kLive);
  auto second = cache_.GetSlots(Query());
  ASSERT_TRUE(second);
  EXPECT_EQ(second->source, SlotSource::kCache);
  EXPECT_EQ(second->slots, first->slots);
  EXPECT_EQ(inner_.slot_calls, 1);
  EXPECT_EQ(Outcome("hit"), 1);
  EXPECT_EQ(Outcome("miss"), 1);
}

TEST_F(SlotCacheTest, NonEmptyAnswersExpireAfter300Seconds) {
  ASSERT_TRUE(cache_.GetSlots(Query()));
  clock_.Advance(299s);
  ASSERT_TRUE(cache_.GetSlots(Query()));
  EXPECT_EQ(inner_.slot_calls, 1);
  clock_.Advance(1s);
  ASSERT_TRUE(cache_.GetSlots(Query()));
  EXPECT_EQ(inner_.slot_calls, 2);
}

TEST_F(SlotCacheTest, EmptyAnswersExpireAfter60Seconds) {
  inner_.slots.clear();
  ASSERT_TRUE(cache_.GetSlots(Query()));
  clock_.Advance(59s);
  auto cached = cache_.GetSlots(Query());
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->source, SlotSource::kCache);
  EXPECT_EQ(inner_.slot_calls, 1);
  clock_.Advance(1s);
  ASSERT_TRUE(cache_.GetSlots(Query()));
  EXPECT_EQ(inner_.slot_calls, 2);
}

TEST_F(SlotCacheTest, TtlsAreConfigurable) {
  CachingCalendarProvider short_cache(inner_, store_, clock_, metrics_, {10s, 5s});
  ASSERT_TRUE(short_cache.GetSlots(Query()));
  clock_.Advance(10s);
  ASSERT_TRUE(short_cache.GetSlots(Query()));
  EXPECT_EQ(inner_.slot_calls, 2);
}

TEST_F(SlotCacheTest, ErrorsAndFallbackAnswersAreNotCached) {
  inner_.slots_error = Error{ErrorCode::kUnavailable, "down"};
  EXPECT_FALSE(cache_.GetSlots(Query()));
  EXPECT_FALSE(cache_.GetSlots(Query()));
  EXPECT_EQ(inner_.slot_calls, 2);
  inner_.slots_error.reset();
  inner_.source = SlotSource::kFallback;
  ASSERT_TRUE(cache_.GetSlots(Query()));
  auto again = cache_.GetSlots(Query());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->source, SlotSource::kFallback);
  EXPECT_EQ(inner_.slot_calls, 4);
}

TEST_F(SlotCacheTest, KeysSeparateAccountsRangesAndZonesWithoutTheRawKey) {
  const SlotQuery a = Query();
  SlotQuery other_key = a;
  other_key.account.api_key = Secret("cal_other");
  SlotQuery other_zone = a;
  other_zone.time_zone = "UTC";
  SlotQuery other_duration = a;
  other_duration.duration_minutes = 15;
  const auto key = SlotCacheKey(a);
  EXPECT_EQ(key.find("cal_test_abc"), std::string::npos);
  EXPECT_NE(key, SlotCacheKey(other_key));
  EXPECT_EQ(key, SlotCacheKey(a));  // alternating accounts: each key's own fingerprint
  EXPECT_NE(SlotCacheKey(other_key), key);
  EXPECT_NE(key, SlotCacheKey(other_zone));
  EXPECT_NE(key, SlotCacheKey(other_duration));
  EXPECT_NE(key, SlotCacheKey(Query(1001, "2050-09-06")));
  EXPECT_NE(key, SlotCacheKey(Query(1002)));
  for (const auto& q : {a, other_key, other_zone, other_duration}) ASSERT_TRUE(cache_.GetSlots(q));
  EXPECT_EQ(inner_.slot_calls, 4);
}

TEST_F(SlotCacheTest, InvalidateEventTypeDropsOnlyThatEventType) {
  ASSERT_TRUE(cache_.GetSlots(Query(1001)));
  ASSERT_TRUE(cache_.GetSlots(Query(1001, "2050-09-06")));
  ASSERT_TRUE(cache_.GetSlots(Query(1002)));
  cache_.InvalidateEventType(1001);
  EXPECT_EQ(store_.size(), 1u);
  ASSERT_TRUE(cache_.GetSlots(Query(1002)));
  EXPECT_EQ(inner_.slot_calls, 3);
  ASSERT_TRUE(cache_.GetSlots(Query(1001)));
  EXPECT_EQ(inner_.slot_calls, 4);
}

TEST_F(SlotCacheTest, SuccessfulBookingChangesInvalidateTheirEventType) {
  booking::BookingRequest request;
  request.event_type_id = 1001;
  ASSERT_TRUE(cache_.GetSlots(Query()));
  ASSERT_TRUE(cache_.CreateBooking(request));
  ASSERT_TRUE(cache_.GetSlots(Query()));
  EXPECT_EQ(inner_.slot_calls, 2);
  ASSERT_TRUE(cache_.CancelBooking(Query().account, "u1", "r", {}));
  ASSERT_TRUE(cache_.GetSlots(Query()));
  EXPECT_EQ(inner_.slot_calls, 3);
  ASSERT_TRUE(cache_.RescheduleBooking(Query().account, "u1", T("2050-09-05T08:00:00Z"), "r", {}));
  ASSERT_TRUE(cache_.GetSlots(Query()));
  EXPECT_EQ(inner_.slot_calls, 4);
}

TEST_F(SlotCacheTest, SlotTakenInvalidatesButOtherBookingErrorsDoNot) {
  booking::BookingRequest request;
  request.event_type_id = 1001;
  ASSERT_TRUE(cache_.GetSlots(Query()));
  inner_.create_error = Error{ErrorCode::kInvalidArgument, "past"};
  EXPECT_FALSE(cache_.CreateBooking(request));
  ASSERT_TRUE(cache_.GetSlots(Query()));
  EXPECT_EQ(inner_.slot_calls, 1);
  inner_.create_error = Error{ErrorCode::kConflict, "taken"};
  EXPECT_FALSE(cache_.CreateBooking(request));
  ASSERT_TRUE(cache_.GetSlots(Query()));
  EXPECT_EQ(inner_.slot_calls, 2);
}

TEST_F(SlotCacheTest, ConcurrentMissesMakeOneUpstreamRequest) {
  inner_.CloseGate();
  constexpr int kThreads = 8;
  std::vector<Result<SlotAnswer>> answers(kThreads, Fail(ErrorCode::kInternal, "unset"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { answers[static_cast<size_t>(i)] = cache_.GetSlots(Query()); });
  }
  // One leader at the gate, seven followers waiting for it.
  ASSERT_TRUE(WaitUntil([&] { return inner_.at_gate == 1 && Outcome("coalesced") == 7; }));
  inner_.OpenGate();
  for (auto& t : threads) t.join();
  EXPECT_EQ(inner_.slot_calls, 1);
  for (const auto& a : answers) {
    ASSERT_TRUE(a);
    EXPECT_EQ(a->slots, inner_.slots);
  }
}

TEST_F(SlotCacheTest, FollowersShareTheLeadersErrorWithoutCachingIt) {
  inner_.slots_error = Error{ErrorCode::kTimeout, "slow"};
  inner_.CloseGate();
  std::vector<Result<SlotAnswer>> answers(3, Fail(ErrorCode::kInternal, "unset"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < answers.size(); ++i) {
    threads.emplace_back([&, i] { answers[i] = cache_.GetSlots(Query()); });
  }
  ASSERT_TRUE(WaitUntil([&] { return inner_.at_gate == 1 && Outcome("coalesced") == 2; }));
  inner_.OpenGate();
  for (auto& t : threads) t.join();
  for (const auto& a : answers) EXPECT_EQ(a.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(store_.size(), 0u);
}

TEST_F(SlotCacheTest, AnAnswerInFlightDuringInvalidationIsNotStored) {
  inner_.CloseGate();
  std::optional<Result<SlotAnswer>> early;
  std::thread leader([&] { early = cache_.GetSlots(Query()); });
  ASSERT_TRUE(WaitUntil([&] { return inner_.at_gate == 1; }));
  cache_.InvalidateEventType(1001);
  // A miss after the invalidation must not join the stale request: it starts its own.
  std::optional<Result<SlotAnswer>> late;
  std::thread fresh([&] { late = cache_.GetSlots(Query()); });
  ASSERT_TRUE(WaitUntil([&] { return inner_.at_gate == 2; }));
  inner_.OpenGate();
  leader.join();
  fresh.join();
  ASSERT_TRUE(early && *early);
  ASSERT_TRUE(late && *late);
  EXPECT_EQ(inner_.slot_calls, 2);
  // The fresh request started after the invalidation, so its answer was stored.
  ASSERT_TRUE(cache_.GetSlots(Query()));
  EXPECT_EQ(inner_.slot_calls, 2);
}

TEST_F(SlotCacheTest, InvalidationDuringTheOnlyFlightLeavesNothingCached) {
  inner_.CloseGate();
  std::thread leader([&] { ASSERT_TRUE(cache_.GetSlots(Query())); });
  ASSERT_TRUE(WaitUntil([&] { return inner_.at_gate == 1; }));
  cache_.InvalidateEventType(1001);
  inner_.OpenGate();
  leader.join();
  EXPECT_EQ(store_.size(), 0u);
  ASSERT_TRUE(cache_.GetSlots(Query()));
  EXPECT_EQ(inner_.slot_calls, 2);
}

TEST_F(SlotCacheTest, GetSlotsManyFetchesOnlyTheMissesInOneInnerCall) {
  ASSERT_TRUE(cache_.GetSlots(Query(1001, "2050-09-05")));
  auto answers = cache_.GetSlotsMany(
      {Query(1001, "2050-09-05"), Query(1001, "2050-09-06"), Query(1001, "2050-09-07")});
  ASSERT_EQ(answers.size(), 3u);
  ASSERT_TRUE(answers[0] && answers[1] && answers[2]);
  EXPECT_EQ(answers[0]->source, SlotSource::kCache);
  EXPECT_EQ(answers[1]->source, SlotSource::kLive);
  EXPECT_EQ(answers[2]->source, SlotSource::kLive);
  EXPECT_EQ(inner_.many_calls, 1);
  EXPECT_EQ(inner_.queries_fetched, 3);  // 1 by GetSlots + the 2 misses
  auto again = cache_.GetSlotsMany({Query(1001, "2050-09-06"), Query(1001, "2050-09-07")});
  EXPECT_EQ(again[0]->source, SlotSource::kCache);
  EXPECT_EQ(again[1]->source, SlotSource::kCache);
  EXPECT_EQ(inner_.many_calls, 1);
}

TEST_F(SlotCacheTest, GetSlotsManyWithDuplicateKeysFetchesOnce) {
  auto answers = cache_.GetSlotsMany({Query(), Query()});
  ASSERT_TRUE(answers[0] && answers[1]);
  EXPECT_EQ(answers[0]->slots, answers[1]->slots);
  EXPECT_EQ(inner_.queries_fetched, 1);
}

TEST(InProcessSlotCacheStore, EvictsTheEntryClosestToExpiryWhenFull) {
  InProcessSlotCacheStore store(2);
  const auto now = T("2050-01-01T00:00:00Z");
  store.Put("a", 1, {}, now, 10s);
  store.Put("b", 1, {}, now, 100s);
  store.Put("c", 2, {}, now, 50s);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_FALSE(store.Get("a", now));
  EXPECT_TRUE(store.Get("b", now));
  EXPECT_TRUE(store.Get("c", now));
  EXPECT_FALSE(store.Get("c", now + 50s));
  EXPECT_EQ(store.EraseEventType(1), 1u);
  EXPECT_EQ(store.size(), 0u);
}

}  // namespace
}  // namespace callgate::calcom
