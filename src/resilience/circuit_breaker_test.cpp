// CircuitBreaker and CircuitBreakerCalendarProvider against a scripted fake provider, with a
// FakeClock (no sleeps).

#include "resilience/circuit_breaker.hpp"

#include <gtest/gtest.h>

#include "core/testing/fake_clock.hpp"
#include "resilience/calendar_decorators.hpp"
#include "resilience/testing/fake_calendar_provider.hpp"

namespace callgate::resilience {
namespace {

using callgate::testing::FakeClock;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeCalendarProvider;
using State = CircuitBreaker::State;

booking::CalendarAccount Account(std::string key = "cal_live_s3cr3t_key") {
  booking::CalendarAccount account;
  account.api_key = Secret(std::move(key));
  return account;
}

booking::BookingRequest BookingFor(const booking::CalendarAccount& account) {
  booking::BookingRequest request;
  request.account = account;
  request.event_type_id = 1001;
  request.start = FromUnixMillis(1795683600000LL + 86'400'000LL);
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

class CircuitBreakerTest : public ::testing::Test {
 protected:
  CircuitBreakerTest() { Build({}); }

  void Build(CircuitBreakerSettings settings) {
    provider_.reset();
    breaker_ = std::make_unique<CircuitBreaker>(settings, store_, clock_, metrics_);
    provider_ =
        std::make_unique<CircuitBreakerCalendarProvider>(fake_, *breaker_, clock_, metrics_);
  }

  Result<booking::Booking> Book() { return provider_->CreateBooking(BookingFor(account_)); }
  State StateOf(const booking::CalendarAccount& account) {
    return breaker_->CurrentState(CalendarAccountKey(account));
  }
  void Open() {
    fake_.FailWith(ErrorCode::kUnavailable);
    for (int i = 0; i < 5; ++i) Book();
    ASSERT_EQ(StateOf(account_), State::kOpen);
  }
  double Transitions(std::string_view state) {
    return metrics_.Value("callgate_circuit_breaker_transitions_total",
                          {{"key", CalendarAccountKey(account_)}, {"state", std::string(state)}});
  }

  FakeClock clock_;
  observability::Metrics metrics_;
  InProcessBreakerStore store_;
  FakeCalendarProvider fake_{clock_};
  booking::CalendarAccount account_ = Account();
  std::unique_ptr<CircuitBreaker> breaker_;
  std::unique_ptr<CircuitBreakerCalendarProvider> provider_;
};

TEST_F(CircuitBreakerTest, OpensAfterExactlyFiveConsecutiveFailures) {
  fake_.FailWith(ErrorCode::kUnavailable);
  for (int i = 0; i < 4; ++i) {
    auto result = Book();
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().message, "scripted failure");
    EXPECT_EQ(StateOf(account_), State::kClosed) << i;
  }
  EXPECT_FALSE(Book().has_value());
  EXPECT_EQ(StateOf(account_), State::kOpen);
  EXPECT_EQ(fake_.calls(), 5);
  EXPECT_EQ(Transitions("open"), 1);
}

TEST_F(CircuitBreakerTest, FailsFastWhileOpenWithoutCallingTheProvider) {
  Open();
  fake_.FailWith(std::nullopt);
  const int before = fake_.calls();
  auto booked = Book();
  ASSERT_FALSE(booked.has_value());
  EXPECT_EQ(booked.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(booked.error().message, "circuit open");
  EXPECT_EQ(provider_->CancelBooking(account_, "uid", "r", {}).error().message, "circuit open");
  EXPECT_EQ(provider_->RescheduleBooking(account_, "uid", clock_.Now(), "r", {}).error().message,
            "circuit open");
  EXPECT_EQ(provider_->GetBooking(account_, "uid").error().message, "circuit open");
  EXPECT_EQ(provider_->ListBookings(account_, {}).error().message, "circuit open");
  EXPECT_EQ(provider_->ListAccountEventTypes(account_).error().message, "circuit open");
  EXPECT_EQ(fake_.calls(), before);
  EXPECT_EQ(metrics_.Value("callgate_circuit_breaker_rejected_total",
                           {{"key", CalendarAccountKey(account_)}}),
            6);
}

TEST_F(CircuitBreakerTest, ServesFallbackSlotsWhileOpen) {
  Open();
  const int before = fake_.calls();
  auto answer = provider_->GetSlots(SlotsFor(account_, clock_));
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_EQ(answer->source, booking::SlotSource::kFallback);
  EXPECT_FALSE(answer->slots.empty());
  auto many = provider_->GetSlotsMany({SlotsFor(account_, clock_), SlotsFor(account_, clock_)});
  ASSERT_EQ(many.size(), 2u);
  for (const auto& one : many) {
    ASSERT_TRUE(one.has_value());
    EXPECT_EQ(one->source, booking::SlotSource::kFallback);
  }
  EXPECT_EQ(fake_.calls(), before);
  EXPECT_EQ(fake_.many_calls(), 0);
  EXPECT_EQ(metrics_.Value("callgate_calendar_fallback_slots_total", {{"reason", "circuit_open"}}),
            3);
}

TEST_F(CircuitBreakerTest, HalfOpensAfterSixtySecondsAndClosesAfterThreeSuccesses) {
  Open();
  fake_.FailWith(std::nullopt);
  clock_.Advance(milliseconds(59'999));
  EXPECT_EQ(Book().error().message, "circuit open");
  clock_.Advance(milliseconds(1));
  const int before = fake_.calls();
  ASSERT_TRUE(Book().has_value());
  EXPECT_EQ(fake_.calls(), before + 1);
  EXPECT_EQ(StateOf(account_), State::kHalfOpen);
  ASSERT_TRUE(Book().has_value());
  EXPECT_EQ(StateOf(account_), State::kHalfOpen);
  ASSERT_TRUE(Book().has_value());
  EXPECT_EQ(StateOf(account_), State::kClosed);
  EXPECT_EQ(Transitions("half_open"), 1);
  EXPECT_EQ(Transitions("closed"), 1);
  // Closed again: failures count from zero.
  fake_.FailWith(ErrorCode::kTimeout);
  for (int i = 0; i < 4; ++i) Book();
  EXPECT_EQ(StateOf(account_), State::kClosed);
}

TEST_F(CircuitBreakerTest, ReopensOnAFailureInHalfOpen) {
  Open();
  clock_.Advance(seconds(60));
  const int before = fake_.calls();
  EXPECT_EQ(Book().error().message, "scripted failure");  // the trial call reached Cal.com
  EXPECT_EQ(fake_.calls(), before + 1);
  EXPECT_EQ(StateOf(account_), State::kOpen);
  EXPECT_EQ(Book().error().message, "circuit open");
  // A full open period again, counted from the failed trial.
  clock_.Advance(seconds(59));
  EXPECT_EQ(Book().error().message, "circuit open");
  clock_.Advance(seconds(1));
  fake_.FailWith(std::nullopt);
  EXPECT_TRUE(Book().has_value());
  EXPECT_EQ(Transitions("open"), 2);
}

TEST_F(CircuitBreakerTest, HalfOpenAdmitsOneTrialAtATime) {
  Open();
  clock_.Advance(seconds(60));
  const std::string key = CalendarAccountKey(account_);
  auto trial = breaker_->Acquire(key);
  ASSERT_TRUE(trial.has_value());
  EXPECT_TRUE(trial->trial);
  auto second = breaker_->Acquire(key);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().message, "circuit open");
  breaker_->Record(*trial, CallOutcome::kSuccess);
  EXPECT_TRUE(breaker_->Acquire(key).has_value());
}

TEST_F(CircuitBreakerTest, ALostTrialIsReplacedAfterTheTrialTimeout) {
  Open();
  clock_.Advance(seconds(60));
  const std::string key = CalendarAccountKey(account_);
  ASSERT_TRUE(breaker_->Acquire(key).has_value());  // never reported (the caller crashed)
  EXPECT_FALSE(breaker_->Acquire(key).has_value());
  clock_.Advance(seconds(30));
  EXPECT_TRUE(breaker_->Acquire(key).has_value());
}

TEST_F(CircuitBreakerTest, AnswersDoNotCountAsFailures) {
  for (ErrorCode answer : {ErrorCode::kConflict, ErrorCode::kNotFound, ErrorCode::kInvalidArgument,
                           ErrorCode::kUnauthenticated}) {
    fake_.FailWith(answer);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(Book().error().code, answer);
    EXPECT_EQ(StateOf(account_), State::kClosed);
  }
  EXPECT_EQ(fake_.calls(), 40);
}

TEST_F(CircuitBreakerTest, AnAnswerBetweenFailuresResetsTheCount) {
  fake_.FailWith(ErrorCode::kUnavailable);
  for (int i = 0; i < 4; ++i) Book();
  fake_.FailWith(ErrorCode::kConflict);  // Cal.com answered: it is up
  Book();
  fake_.FailWith(ErrorCode::kUnavailable);
  for (int i = 0; i < 4; ++i) Book();
  EXPECT_EQ(StateOf(account_), State::kClosed);
  Book();
  EXPECT_EQ(StateOf(account_), State::kOpen);
}

TEST_F(CircuitBreakerTest, TimeoutsRateLimitsAndBadAnswersCountAsFailures) {
  int n = 0;
  for (ErrorCode failure : {ErrorCode::kTimeout, ErrorCode::kRateLimited, ErrorCode::kInternal}) {
    const auto account = Account("key-" + std::to_string(n++));
    fake_.FailWith(failure);
    for (int i = 0; i < 5; ++i) provider_->CreateBooking(BookingFor(account));
    EXPECT_EQ(StateOf(account), State::kOpen) << ErrorCodeName(failure);
  }
  // Slot reads count too.
  const auto account = Account("slots");
  fake_.FailWith(ErrorCode::kUnavailable);
  for (int i = 0; i < 5; ++i) {
    auto failed = provider_->GetSlots(SlotsFor(account, clock_));
    ASSERT_FALSE(failed.has_value());  // a failing live read is reported, not replaced
  }
  EXPECT_EQ(StateOf(account), State::kOpen);
}

TEST_F(CircuitBreakerTest, BreakersArePerAccount) {
  Open();
  fake_.FailWith(std::nullopt);
  const auto other = Account("another-company-key");
  EXPECT_TRUE(provider_->CreateBooking(BookingFor(other)).has_value());
  EXPECT_EQ(StateOf(other), State::kClosed);
}

TEST_F(CircuitBreakerTest, TheRawApiKeyAppearsNowhere) {
  Open();
  const std::string key = CalendarAccountKey(account_);
  EXPECT_EQ(key.rfind("calcom:", 0), 0u);
  EXPECT_EQ(key.size(), 7u + 16u);
  EXPECT_EQ(key.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(metrics_.RenderPrometheus().find("s3cr3t"), std::string::npos);
  auto snapshot = breaker_->Snapshot();
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_EQ(snapshot[0].key, key);
  EXPECT_EQ(snapshot[0].state, State::kOpen);
  EXPECT_EQ(snapshot[0].consecutive_failures, 5);
  EXPECT_EQ(snapshot[0].opened_at, clock_.Now());
  EXPECT_NE(CalendarAccountKey(Account("other")), key);
}

TEST_F(CircuitBreakerTest, EverythingIsConfigurable) {
  Build({.failure_threshold = 2,
         .open_duration = seconds(10),
         .half_open_max_calls = 2,
         .success_threshold = 1,
         .trial_timeout = seconds(5)});
  fake_.FailWith(ErrorCode::kUnavailable);
  Book();
  EXPECT_EQ(StateOf(account_), State::kClosed);
  Book();
  EXPECT_EQ(StateOf(account_), State::kOpen);
  clock_.Advance(seconds(10));
  const std::string key = CalendarAccountKey(account_);
  auto first = breaker_->Acquire(key);
  auto second = breaker_->Acquire(key);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(breaker_->Acquire(key).has_value());
  breaker_->Record(*first, CallOutcome::kSuccess);
  EXPECT_EQ(StateOf(account_), State::kClosed);
}

TEST_F(CircuitBreakerTest, ReportsFromAnEarlierStateAreIgnored) {
  const std::string key = CalendarAccountKey(account_);
  auto slow_call = breaker_->Acquire(key);  // started while closed, answers much later
  ASSERT_TRUE(slow_call.has_value());
  Open();
  breaker_->Record(*slow_call, CallOutcome::kSuccess);
  EXPECT_EQ(StateOf(account_), State::kOpen);
  clock_.Advance(seconds(60));
  auto trial = breaker_->Acquire(key);
  ASSERT_TRUE(trial.has_value());
  breaker_->Record(*slow_call, CallOutcome::kFailure);  // must not re-open the half-open breaker
  EXPECT_EQ(StateOf(account_), State::kHalfOpen);
}

TEST_F(CircuitBreakerTest, HalfOpenBatchSendsOnlyTheTrialQuery) {
  Open();
  fake_.FailWith(std::nullopt);
  clock_.Advance(seconds(60));
  const int before = fake_.calls();
  auto answers = provider_->GetSlotsMany(
      {SlotsFor(account_, clock_), SlotsFor(account_, clock_), SlotsFor(account_, clock_)});
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0]->source, booking::SlotSource::kLive);
  EXPECT_EQ(answers[1]->source, booking::SlotSource::kFallback);
  EXPECT_EQ(answers[2]->source, booking::SlotSource::kFallback);
  EXPECT_EQ(fake_.calls(), before + 1);
}

TEST_F(CircuitBreakerTest, ForwardsCacheInvalidation) {
  Open();
  provider_->InvalidateEventType(1001);
  EXPECT_EQ(fake_.invalidated(), std::vector<std::int64_t>{1001});
}

TEST(BreakerRecord, SerializesAndRejectsGarbage) {
  BreakerRecord record;
  record.state = BreakerState::kHalfOpen;
  record.consecutive_failures = 5;
  record.half_open_successes = 2;
  record.half_open_in_flight = 1;
  record.opened_at_ms = 1795683600000LL;
  record.last_trial_at_ms = 1795683660000LL;
  record.generation = 7;
  EXPECT_EQ(ParseBreakerRecord(SerializeBreakerRecord(record)).value(), record);
  EXPECT_FALSE(ParseBreakerRecord("v1|9|0|0|0|0|0|0").has_value());
  EXPECT_FALSE(ParseBreakerRecord("garbage").has_value());
  EXPECT_FALSE(ParseBreakerRecord("v1|0|0|0|0|0|0|x").has_value());
}

}  // namespace
}  // namespace callgate::resilience
