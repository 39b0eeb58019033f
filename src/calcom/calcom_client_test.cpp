// CalcomClient against the local fake Cal.com over loopback: every endpoint, every error kind,
// parallelism, connection reuse, and the slot cache stacked on top.

#include "calcom/calcom_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "calcom/fake/fake_calcom.hpp"
#include "calcom/slot_cache.hpp"
#include "core/testing/fake_clock.hpp"
#include "core/time_zone.hpp"

namespace callgate::calcom {
namespace {

using booking::SlotSource;
using namespace std::chrono_literals;

// Test dates lie in 2036: far enough ahead to stay bookable, and before 2038, after which the
// date/tz library over the system tzdata knows no DST transitions (Berlin would stay at +01:00).
constexpr const char* kKey = "cal_test_5ecret_key_4711";

SystemTimePoint T(const char* iso) { return *ParseIso8601(iso); }

std::chrono::milliseconds Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

// A loopback port nobody listens on.
std::uint16_t ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class CalcomClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fake_.Start()); }

  booking::CalendarAccount Account(const char* key = kKey) const {
    return {Secret(key), fake_.base_url()};
  }

  booking::SlotQuery Day(const char* day, std::int64_t event_type = 1001) const {
    booking::SlotQuery q;
    q.account = Account();
    q.event_type_id = event_type;
    q.from = T((std::string(day) + "T00:00:00Z").c_str());
    q.to = q.from + 24h;
    return q;
  }

  booking::BookingRequest Booking(const char* start_utc) const {
    booking::BookingRequest r;
    r.account = Account();
    r.event_type_id = 1001;
    r.start = T(start_utc);
    r.attendee.name = "Erika Mustermann";
    r.attendee.email = "erika@example.org";
    r.attendee.phone_e164 = "+4915112345678";
    r.metadata = {{"callgate_appointment", "42"}};
    return r;
  }

  void SetBehavior(const std::function<void(fake::FakeCalcomBehavior&)>& change) {
    auto b = fake_.behavior();
    change(b);
    fake_.SetBehavior(b);
  }

  double Requests(const char* endpoint, const char* status) const {
    return metrics_.Value("callgate_calcom_requests_total",
                          {{"endpoint", endpoint}, {"status", status}});
  }

  // Every error message a test saw; checked for the key at teardown.
  // The call failed with `code`, and its message gives no secret away.
  template <typename T>
  void Expect(const Result<T>& result, ErrorCode code) {
    ASSERT_FALSE(result.has_value()) << "expected an error";
    const Error& e = result.error();
    EXPECT_EQ(e.code, code) << e.message;
    EXPECT_EQ(e.message.find(kKey), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find("5ecret"), std::string::npos) << e.message;
  }

  fake::FakeCalcom fake_;
  observability::Metrics metrics_;
  CalcomSettings settings_;
  CalcomClient client_{settings_, metrics_};
};

// ---- endpoints ------------------------------------------------------------------------------

TEST_F(CalcomClientTest, GetSlotsReturnsTheWorkingDayInUtcWithEnds) {
  auto answer = client_.GetSlots(Day("2036-09-01"));  // a Monday, CEST
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->source, SlotSource::kLive);
  // 09:00–18:00 Berlin = 07:00–16:00Z in 30-minute slots; the day window is 00:00–24:00Z.
  ASSERT_EQ(answer->slots.size(), 18u);
  EXPECT_EQ(answer->slots.front().start, T("2036-09-01T07:00:00Z"));
  EXPECT_EQ(answer->slots.front().end, T("2036-09-01T07:30:00Z"));
  EXPECT_EQ(answer->slots.back().start, T("2036-09-01T15:30:00Z"));
  EXPECT_EQ(fake_.Stats().last_api_version.at("slots"), "2024-09-04");
  EXPECT_EQ(Requests("slots", "200"), 1);
  EXPECT_GE(metrics_.Value("callgate_calcom_request_duration_ms_total", {{"endpoint", "slots"}}),
            0);
}

TEST_F(CalcomClientTest, GetSlotsHonoursDurationAndEmptyDays) {
  auto q = Day("2036-09-01", 1003);
  q.duration_minutes = 60;
  auto answer = client_.GetSlots(q);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->slots.size(), 9u);
  EXPECT_EQ(answer->slots[0].end - answer->slots[0].start, 60min);
  auto sunday = client_.GetSlots(Day("2036-08-31"));
  ASSERT_TRUE(sunday);
  EXPECT_TRUE(sunday->slots.empty());
}

TEST_F(CalcomClientTest, CreateGetListCancelAndRescheduleRoundTrip) {
  auto created = client_.CreateBooking(Booking("2036-09-01T07:00:00Z"));
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_FALSE(created->uid.empty());
  EXPECT_EQ(created->status, "accepted");
  EXPECT_EQ(created->event_type_id, 1001);
  EXPECT_EQ(created->start, T("2036-09-01T07:00:00Z"));
  EXPECT_EQ(created->end, T("2036-09-01T07:30:00Z"));
  EXPECT_EQ(created->metadata.at("callgate_appointment"), "42");
  EXPECT_EQ(fake_.Stats().last_api_version.at("bookings_create"), "2024-08-13");
  EXPECT_EQ(fake_.Bookings().at(0).attendee_phone, "+4915112345678");

  auto slots = client_.GetSlots(Day("2036-09-01"));
  ASSERT_TRUE(slots);
  EXPECT_EQ(slots->slots.size(), 17u);
  EXPECT_NE(slots->slots.front().start, T("2036-09-01T07:00:00Z"));

  auto fetched = client_.GetBooking(Account(), created->uid);
  ASSERT_TRUE(fetched);
  EXPECT_EQ(fetched->uid, created->uid);

  booking::BookingFilter filter;
  filter.attendee_email = "erika@example.org";
  filter.event_type_id = 1001;
  auto listed = client_.ListBookings(Account(), filter);
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].uid, created->uid);

  auto moved = client_.RescheduleBooking(Account(), created->uid, T("2036-09-01T09:00:00Z"),
                                         "Kunde verhindert", {});
  ASSERT_TRUE(moved) << moved.error().message;
  EXPECT_NE(moved->uid, created->uid);
  EXPECT_EQ(moved->rescheduled_from_uid, created->uid);
  EXPECT_EQ(moved->start, T("2036-09-01T09:00:00Z"));
  auto old = client_.GetBooking(Account(), created->uid);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->status, "cancelled");

  auto cancelled = client_.CancelBooking(Account(), moved->uid, "krank", {});
  ASSERT_TRUE(cancelled) << cancelled.error().message;
  EXPECT_EQ(cancelled->status, "cancelled");
  filter.status = "cancelled";
  auto gone = client_.ListBookings(Account(), filter);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->size(), 2u);
  filter.status = "upcoming";
  EXPECT_TRUE(client_.ListBookings(Account(), filter)->empty());
}

TEST_F(CalcomClientTest, ListBookingsFollowsPagination) {
  // More than one page of 250 (the fake does not check availability for AddBooking).
  for (int i = 0; i < 260; ++i) {
    ASSERT_TRUE(fake_.AddBooking(1002, T("2036-09-01T07:00:00Z") + std::chrono::minutes(15 * i)));
  }
  booking::BookingFilter filter;
  filter.take = 3;
  auto three = client_.ListBookings(Account(), filter);
  ASSERT_TRUE(three);
  EXPECT_EQ(three->size(), 3u);
  fake_.ResetStats();
  filter.take = 1000;
  auto all = client_.ListBookings(Account(), filter);
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 260u);
  EXPECT_EQ(fake_.Stats().Count("bookings_list"), 2u);
  EXPECT_LT((*all)[0].start, (*all)[259].start);
}

TEST_F(CalcomClientTest, ListEventTypes) {
  auto types = client_.ListEventTypes(Account());
  ASSERT_TRUE(types) << types.error().message;
  ASSERT_EQ(types->size(), 3u);
  EXPECT_EQ((*types)[0].id, 1001);
  EXPECT_EQ((*types)[0].length_minutes, 30);
  EXPECT_EQ((*types)[1].length_minutes, 15);
  EXPECT_EQ((*types)[2].length_minutes, 60);
  EXPECT_EQ(fake_.Stats().last_api_version.at("event_types"), "2024-06-14");
}

TEST_F(CalcomClientTest, SelfHostedBaseUrlWithTrailingSlashWorks) {
  auto q = Day("2036-09-01");
  q.account.base_url += "/";
  EXPECT_TRUE(client_.GetSlots(q));
}

// ---- errors ---------------------------------------------------------------------------------

TEST_F(CalcomClientTest, TakenSlotIsAConflictWith409) {
  ASSERT_TRUE(client_.CreateBooking(Booking("2036-09-01T07:00:00Z")));
  auto again = client_.CreateBooking(Booking("2036-09-01T07:00:00Z"));
  ASSERT_FALSE(again);
  Expect(again, ErrorCode::kConflict);
  EXPECT_NE(again.error().message.find("409"), std::string::npos);
  EXPECT_EQ(Requests("bookings_create", "409"), 1);
}

TEST_F(CalcomClientTest, TakenSlotIsAConflictWithOlder400) {
  SetBehavior([](auto& b) { b.conflict_status = 400; });
  ASSERT_TRUE(client_.CreateBooking(Booking("2036-09-01T07:00:00Z")));
  auto again = client_.CreateBooking(Booking("2036-09-01T07:00:00Z"));
  ASSERT_FALSE(again);
  Expect(again, ErrorCode::kConflict);
  EXPECT_EQ(Requests("bookings_create", "400"), 1);
}

TEST_F(CalcomClientTest, SlotTakenRaceSwitchConflictsAlthoughFree) {
  SetBehavior([](auto& b) { b.next_conflicts = 1; });
  auto raced = client_.CreateBooking(Booking("2036-09-01T07:00:00Z"));
  ASSERT_FALSE(raced);
  Expect(raced, ErrorCode::kConflict);
  EXPECT_TRUE(client_.CreateBooking(Booking("2036-09-01T07:00:00Z")));
}

TEST_F(CalcomClientTest, OtherBadRequestIsInvalidArgument) {
  auto past = client_.CreateBooking(Booking("2001-01-01T07:00:00Z"));
  ASSERT_FALSE(past);
  Expect(past, ErrorCode::kInvalidArgument);
  EXPECT_NE(past.error().message.find("past"), std::string::npos);
}

TEST_F(CalcomClientTest, BadKeyIsUnauthenticatedAndNeverEchoed) {
  booking::CalendarAccount bad{Secret("wrong_5ecret_key"), fake_.base_url()};
  auto types = client_.ListEventTypes(bad);
  ASSERT_FALSE(types);
  Expect(types, ErrorCode::kUnauthenticated);
  EXPECT_EQ(types.error().message.find("wrong_5ecret_key"), std::string::npos);
  auto r = Booking("2036-09-01T07:00:00Z");
  r.account = bad;
  Expect(client_.CreateBooking(r), ErrorCode::kUnauthenticated);
  auto q = Day("2036-09-01");
  q.account = bad;
  Expect(client_.GetSlots(q), ErrorCode::kUnauthenticated);
}

TEST_F(CalcomClientTest, MissingKeyFailsBeforeAnyRequestButSlotsNeedNone) {
  booking::CalendarAccount none{Secret(), fake_.base_url()};
  Expect(client_.ListEventTypes(none), ErrorCode::kUnauthenticated);
  EXPECT_EQ(fake_.Stats().Count("event_types"), 0u);
  auto q = Day("2036-09-01");
  q.account = none;
  EXPECT_TRUE(client_.GetSlots(q));
}

TEST_F(CalcomClientTest, UnknownThingsAreNotFound) {
  Expect(client_.GetBooking(Account(), "no-such-uid"), ErrorCode::kNotFound);
  Expect(client_.CancelBooking(Account(), "no-such-uid", "", {}), ErrorCode::kNotFound);
  Expect(client_.GetSlots(Day("2036-09-01", 4242)), ErrorCode::kNotFound);
  auto r = Booking("2036-09-01T07:00:00Z");
  r.event_type_id = 4242;
  Expect(client_.CreateBooking(r), ErrorCode::kNotFound);
}

TEST_F(CalcomClientTest, TooManyRequestsIsRateLimited) {
  SetBehavior([](auto& b) { b.next_429 = 1; });
  Expect(client_.GetSlots(Day("2036-09-01")), ErrorCode::kRateLimited);
  EXPECT_EQ(Requests("slots", "429"), 1);
  EXPECT_TRUE(client_.GetSlots(Day("2036-09-01")));
}

TEST_F(CalcomClientTest, ServerErrorIsUnavailable) {
  SetBehavior([](auto& b) { b.forced_status = 500; });
  Expect(client_.GetSlots(Day("2036-09-01")), ErrorCode::kUnavailable);
  Expect(client_.CreateBooking(Booking("2036-09-01T07:00:00Z")), ErrorCode::kUnavailable);
  EXPECT_EQ(Requests("slots", "500"), 1);
}

TEST_F(CalcomClientTest, FaultsCanTargetOneEndpoint) {
  SetBehavior([](auto& b) {
    b.forced_status = 503;
    b.fault_endpoint = "slots";
  });
  Expect(client_.GetSlots(Day("2036-09-01")), ErrorCode::kUnavailable);
  EXPECT_TRUE(client_.CreateBooking(Booking("2036-09-01T07:00:00Z")));
}

TEST_F(CalcomClientTest, RefusedConnectionIsUnavailable) {
  auto q = Day("2036-09-01");
  q.account.base_url = "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/v2";
  auto answer = client_.GetSlots(q);
  ASSERT_FALSE(answer);
  Expect(answer, ErrorCode::kUnavailable);
  EXPECT_EQ(Requests("slots", "unavailable"), 1);
}

TEST_F(CalcomClientTest, HangingServerIsATimeoutWithinTheBudget) {
  CalcomSettings s;
  s.slots_timeout = 200ms;
  CalcomClient quick(s, metrics_);
  SetBehavior([](auto& b) { b.hang_ms = 5000; });
  const auto start = std::chrono::steady_clock::now();
  auto answer = quick.GetSlots(Day("2036-09-01"));
  const auto took = Since(start);
  ASSERT_FALSE(answer);
  Expect(answer, ErrorCode::kTimeout);
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 2000ms);
  EXPECT_EQ(Requests("slots", "timeout"), 1);
}

TEST_F(CalcomClientTest, MalformedAnswerIsInternal) {
  SetBehavior([](auto& b) { b.next_malformed = 1; });
  Expect(client_.GetSlots(Day("2036-09-01")), ErrorCode::kInternal);
  SetBehavior([](auto& b) { b.next_malformed = 1; });
  Expect(client_.CreateBooking(Booking("2036-09-01T07:00:00Z")), ErrorCode::kInternal);
}

TEST_F(CalcomClientTest, CommitThenTimeOutLeavesABookingToReconcile) {
  CalcomSettings s;
  s.bookings_timeout = 300ms;
  CalcomClient quick(s, metrics_);
  SetBehavior([](auto& b) { b.commit_delay_ms = 3000; });
  auto created = quick.CreateBooking(Booking("2036-09-01T07:00:00Z"));
  ASSERT_FALSE(created);
  Expect(created, ErrorCode::kTimeout);
  SetBehavior([](auto& b) { b.commit_delay_ms = 0; });
  booking::BookingFilter filter;
  filter.event_type_id = 1001;
  filter.after_start = T("2036-09-01T07:00:00Z");
  filter.before_end = T("2036-09-01T07:30:00Z");
  auto found = client_.ListBookings(Account(), filter);
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().metadata.at("callgate_appointment"), "42");
}

TEST_F(CalcomClientTest, InvalidInputFailsWithoutARequest) {
  auto r = Booking("2036-09-01T07:00:00Z");
  r.attendee.email.clear();
  r.attendee.phone_e164.clear();
  Expect(client_.CreateBooking(r), ErrorCode::kInvalidArgument);
  auto q = Day("2036-09-01");
  q.to = q.from;
  Expect(client_.GetSlots(q), ErrorCode::kInvalidArgument);
  q = Day("2036-09-01");
  q.account.base_url = "ftp://example.org";
  Expect(client_.GetSlots(q), ErrorCode::kInvalidArgument);
  Expect(client_.GetBooking(Account(), ""), ErrorCode::kInvalidArgument);
  EXPECT_EQ(fake_.Stats().total, 0u);
}

// ---- concurrency ----------------------------------------------------------------------------

TEST_F(CalcomClientTest, GetSlotsManyRunsQueriesInParallel) {
  SetBehavior([](auto& b) { b.latency_ms = 300; });
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client_.GetSlots(Day("2036-09-01")));
  ASSERT_TRUE(client_.GetSlots(Day("2036-09-02")));
  const auto sequential = Since(start);
  EXPECT_GE(sequential, 600ms);

  start = std::chrono::steady_clock::now();
  auto answers = client_.GetSlotsMany({Day("2036-09-03"), Day("2036-09-04")});
  const auto parallel = Since(start);
  ASSERT_EQ(answers.size(), 2u);
  ASSERT_TRUE(answers[0]) << answers[0].error().message;
  ASSERT_TRUE(answers[1]) << answers[1].error().message;
  EXPECT_EQ(answers[0]->slots.front().start, T("2036-09-03T07:00:00Z"));
  EXPECT_EQ(answers[1]->slots.front().start, T("2036-09-04T07:00:00Z"));
  EXPECT_GE(parallel, 300ms);
  EXPECT_LT(parallel, 550ms) << "sequential took " << sequential.count() << " ms";
}

TEST_F(CalcomClientTest, GetSlotsManyKeepsPerQueryErrors) {
  auto answers = client_.GetSlotsMany({Day("2036-09-01"), Day("2036-09-01", 4242)});
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_TRUE(answers[0]);
  Expect(answers[1], ErrorCode::kNotFound);
  EXPECT_TRUE(client_.GetSlotsMany({}).empty());
}

TEST_F(CalcomClientTest, ReusesOneConnectionForSequentialRequests) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client_.GetSlots(Day("2036-09-01")));
  EXPECT_EQ(metrics_.Value("callgate_calcom_connections_opened_total"), 1);
}

TEST_F(CalcomClientTest, BlockingCallsFromManyThreadsAreSafe) {
  constexpr int kThreads = 8;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 5; ++k) {
        if (client_.GetSlots(Day(i % 2 == 0 ? "2036-09-01" : "2036-09-02"))) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, kThreads * 5);
  EXPECT_EQ(fake_.Stats().Count("slots"), static_cast<std::uint64_t>(kThreads * 5));
}

TEST_F(CalcomClientTest, ConcurrentCreatesOfOneSlotBookItOnce) {
  constexpr int kThreads = 6;
  std::atomic<int> booked{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto r = client_.CreateBooking(Booking("2036-09-01T10:00:00Z"));
      if (r) ++booked;
      if (!r && r.error().code == ErrorCode::kConflict) ++conflicts;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(booked, 1);
  EXPECT_EQ(conflicts, kThreads - 1);
}

// ---- cache on top of the client -------------------------------------------------------------

class CachedCalcomTest : public CalcomClientTest {
 protected:
  InProcessSlotCacheStore store_;
  testing::FakeClock clock_;
  CachingCalendarProvider cache_{client_, store_, clock_, metrics_};
};

TEST_F(CachedCalcomTest, AHitMakesNoUpstreamRequest) {
  ASSERT_TRUE(cache_.GetSlots(Day("2036-09-01")));
  auto cached = cache_.GetSlots(Day("2036-09-01"));
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->source, SlotSource::kCache);
  EXPECT_EQ(fake_.Stats().Count("slots"), 1u);
}

TEST_F(CachedCalcomTest, TtlExpiryGoesUpstreamAgain) {
  ASSERT_TRUE(cache_.GetSlots(Day("2036-09-01")));
  clock_.Advance(300s);
  ASSERT_TRUE(cache_.GetSlots(Day("2036-09-01")));
  EXPECT_EQ(fake_.Stats().Count("slots"), 2u);
  ASSERT_TRUE(cache_.GetSlots(Day("2036-08-31")));  // Sunday: empty, 60 s
  clock_.Advance(60s);
  ASSERT_TRUE(cache_.GetSlots(Day("2036-08-31")));
  EXPECT_EQ(fake_.Stats().Count("slots"), 4u);
}

TEST_F(CachedCalcomTest, ABookingInvalidatesSoTheNextQueryGoesUpstream) {
  auto before = cache_.GetSlots(Day("2036-09-01"));
  ASSERT_TRUE(before);
  ASSERT_EQ(before->slots.size(), 18u);
  ASSERT_TRUE(cache_.CreateBooking(Booking("2036-09-01T07:00:00Z")));
  auto after = cache_.GetSlots(Day("2036-09-01"));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->source, SlotSource::kLive);
  EXPECT_EQ(after->slots.size(), 17u);
  EXPECT_EQ(fake_.Stats().Count("slots"), 2u);
}

TEST_F(CachedCalcomTest, EightConcurrentMissesMakeOneUpstreamRequest) {
  SetBehavior([](auto& b) { b.latency_ms = 300; });
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (cache_.GetSlots(Day("2036-09-01"))) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(fake_.Stats().Count("slots"), 1u);
}

TEST_F(CachedCalcomTest, GetSlotsManyFetchesMissesInParallel) {
  ASSERT_TRUE(cache_.GetSlots(Day("2036-09-01")));
  SetBehavior([](auto& b) { b.latency_ms = 300; });
  const auto start = std::chrono::steady_clock::now();
  auto answers = cache_.GetSlotsMany({Day("2036-09-01"), Day("2036-09-02"), Day("2036-09-03")});
  const auto took = Since(start);
  ASSERT_TRUE(answers[0] && answers[1] && answers[2]);
  EXPECT_EQ(answers[0]->source, SlotSource::kCache);
  EXPECT_EQ(fake_.Stats().Count("slots"), 3u);
  EXPECT_LT(took, 550ms);
}

}  // namespace
}  // namespace callgate::calcom
