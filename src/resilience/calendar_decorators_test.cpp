// OutboundBudgetCalendarProvider: never more than the budget reaches Cal.com; slot reads fall
// back, writes wait briefly or fail with kRateLimited; the budget and the breaker stacked.

#include "resilience/calendar_decorators.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/testing/fake_clock.hpp"
#include "ratelimit/local_rate_limiter.hpp"
#include "resilience/testing/fake_calendar_provider.hpp"

namespace callgate::resilience {
namespace {

using callgate::testing::FakeClock;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeCalendarProvider;

booking::CalendarAccount Account(std::string key) {
  booking::CalendarAccount account;
  account.api_key = Secret(std::move(key));
  return account;
}

booking::SlotQuery SlotsFor(const booking::CalendarAccount& account, const Clock& clock) {
  booking::SlotQuery query;
  query.account = account;
  query.event_type_id = 1001;
  query.from = clock.Now();
  query.to = clock.Now() + std::chrono::hours(48);
  return query;
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

// The largest number of calls that fall into any window of `window` length.
std::size_t MaxCallsInAnyWindow(const std::vector<SystemTimePoint>& times,
                                std::chrono::milliseconds window) {
  std::size_t best = 0;
  for (std::size_t i = 0; i < times.size(); ++i) {
    const auto in_window =
        static_cast<std::size_t>(std::count_if(times.begin(), times.end(), [&](SystemTimePoint t) {
          return t >= times[i] && t < times[i] + window;
        }));
    best = std::max(best, in_window);
  }
  return best;
}

OutboundBudgetSettings Budget(std::int64_t max_calls, std::int64_t burst,
                              milliseconds max_wait = milliseconds(2000)) {
  OutboundBudgetSettings settings;
  settings.max_calls = max_calls;
  settings.burst = burst;
  settings.max_wait = max_wait;
  return settings;
}

class BudgetTest : public ::testing::Test {
 protected:
  void Build(OutboundBudgetSettings settings) {
    budget_ = std::make_unique<OutboundBudgetCalendarProvider>(fake_, limiter_, clock_, metrics_,
                                                               settings, [this](milliseconds d) {
                                                                 slept_.push_back(d);
                                                                 clock_.Advance(d);
                                                               });
  }

  FakeClock clock_;
  observability::Metrics metrics_;
  ratelimit::LocalRateLimiter limiter_{clock_};
  FakeCalendarProvider fake_{clock_};
  std::vector<milliseconds> slept_;
  std::unique_ptr<OutboundBudgetCalendarProvider> budget_;
  const booking::CalendarAccount account_ = Account("cal_live_budget");
};

TEST_F(BudgetTest, NeverLetsMoreThanTheBudgetReachTheProviderPerMinute) {
  Build(Budget(5, 2));
  int fallback = 0;
  for (int i = 0; i < 90; ++i) {  // 90 reads over 3 minutes
    auto answer = budget_->GetSlots(SlotsFor(account_, clock_));
    ASSERT_TRUE(answer.has_value()) << answer.error().message;
    if (answer->source == booking::SlotSource::kFallback) ++fallback;
    clock_.Advance(seconds(2));
  }
  const auto times = fake_.call_times();
  EXPECT_LE(MaxCallsInAnyWindow(times, seconds(60)), 5u);
  EXPECT_GE(times.size(), 12u);  // and the budget is actually used
  EXPECT_EQ(fallback + static_cast<int>(times.size()), 90);
  EXPECT_EQ(metrics_.Value("callgate_calendar_fallback_slots_total", {{"reason", "budget"}}),
            fallback);
}

TEST_F(BudgetTest, SlotReadsOverBudgetAnswerFallbackSlotsAtOnce) {
  Build(Budget(2, 2));
  auto answers = budget_->GetSlotsMany(
      {SlotsFor(account_, clock_), SlotsFor(account_, clock_), SlotsFor(account_, clock_)});
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0]->source, booking::SlotSource::kLive);
  EXPECT_EQ(answers[1]->source, booking::SlotSource::kLive);
  EXPECT_EQ(answers[2]->source, booking::SlotSource::kFallback);
  EXPECT_EQ(fake_.many_calls(), 1);
  EXPECT_EQ(fake_.calls(), 2);
  EXPECT_TRUE(slept_.empty());
}

TEST_F(BudgetTest, WritesWaitBrieflyForBudget) {
  Build({});  // defaults: at most 100 per minute, 10 back to back, wait up to 2 s
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(budget_->CreateBooking(BookingFor(account_, clock_)));
  EXPECT_TRUE(slept_.empty());
  // The 11th waits one interval (60 s / 91, rounded up) instead of bursting into Cal.com's 429.
  ASSERT_TRUE(budget_->CreateBooking(BookingFor(account_, clock_)).has_value());
  EXPECT_EQ(slept_, std::vector<milliseconds>{milliseconds(660)});
  EXPECT_EQ(metrics_.Value("callgate_calendar_budget_total", {{"outcome", "waited"}}), 1);
  // A long stream of writes all succeeds, and no minute ever sees more than 100 of them.
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(budget_->CreateBooking(BookingFor(account_, clock_)).has_value()) << i;
  }
  EXPECT_EQ(fake_.calls(), 311);
  EXPECT_LE(MaxCallsInAnyWindow(fake_.call_times(), seconds(60)), 100u);
}

TEST_F(BudgetTest, WritesFailWithRateLimitedWhenTheWaitWouldBeTooLong) {
  Build(Budget(5, 5));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(budget_->CreateBooking(BookingFor(account_, clock_)));
  auto refused = budget_->CreateBooking(BookingFor(account_, clock_));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(refused.error().message, "outbound budget exhausted");
  EXPECT_TRUE(slept_.empty());  // 60 s to the next token: not worth waiting for
  EXPECT_EQ(budget_->CancelBooking(account_, "uid", "r", {}).error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(budget_->ListBookings(account_, {}).error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(budget_->ListAccountEventTypes(account_).error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(fake_.calls(), 5);
  EXPECT_EQ(metrics_.Value("callgate_calendar_budget_total", {{"outcome", "rejected"}}), 4);
}

TEST_F(BudgetTest, EachAccountHasItsOwnBudget) {
  Build(Budget(1, 1));
  EXPECT_TRUE(budget_->CreateBooking(BookingFor(account_, clock_)).has_value());
  EXPECT_FALSE(budget_->CreateBooking(BookingFor(account_, clock_)).has_value());
  EXPECT_TRUE(budget_->CreateBooking(BookingFor(Account("other"), clock_)).has_value());
}

// Agent API clients (MCP) of every company on one account use at most their share of its
// budget together; the phone line keeps the rest, so an API client that asks without pause
// never pushes the callers on the phone onto unconfirmed fallback times.
TEST_F(BudgetTest, AgentApiClientsLeaveThePhoneLineItsShareOfTheBudget) {
  Build(Budget(20, 10));  // agent API: 50 %, i.e. 10 a minute, 5 back to back
  booking::CalendarAccount api = account_;
  api.channel = booking::Channel::kAgentApi;
  int api_live = 0, phone_live = 0;
  for (int second = 0; second < 120; ++second) {  // two minutes, an API read every second
    auto answer = budget_->GetSlots(SlotsFor(api, clock_));
    ASSERT_TRUE(answer.has_value()) << answer.error().message;
    if (answer->source == booking::SlotSource::kLive) ++api_live;
    if (second % 10 == 0) {  // a caller's read every ten seconds
      auto caller = budget_->GetSlots(SlotsFor(account_, clock_));
      ASSERT_TRUE(caller.has_value()) << caller.error().message;
      if (caller->source == booking::SlotSource::kLive) ++phone_live;
    }
    clock_.Advance(seconds(1));
  }
  EXPECT_EQ(phone_live, 12) << "every caller's read went out";
  EXPECT_GE(api_live, 10);         // the API's share is used
  EXPECT_LE(api_live, 5 + 2 * 6);  // and no more: its burst, then 6 a minute
  EXPECT_LE(MaxCallsInAnyWindow(fake_.call_times(), seconds(60)), 20u);
  // Writes of an API client wait for its share like any other write.
  EXPECT_EQ(budget_->CreateBooking(BookingFor(api, clock_)).has_value(), true);
}

TEST_F(BudgetTest, BudgetRefusalsNeverTripTheBreaker) {
  // The recommended order: Budget(Breaker(client)).
  observability::Metrics breaker_metrics;
  InProcessBreakerStore store;
  CircuitBreaker breaker({}, store, clock_, breaker_metrics);
  CircuitBreakerCalendarProvider guarded(fake_, breaker, clock_, breaker_metrics);
  OutboundBudgetCalendarProvider budget(guarded, limiter_, clock_, metrics_,
                                        Budget(2, 2, milliseconds(0)));
  int refused = 0;
  for (int i = 0; i < 10; ++i) {
    auto result = budget.CreateBooking(BookingFor(account_, clock_));
    if (!result && result.error().code == ErrorCode::kRateLimited) ++refused;
  }
  EXPECT_EQ(refused, 8);
  EXPECT_EQ(fake_.calls(), 2);
  EXPECT_EQ(breaker.CurrentState(CalendarAccountKey(account_)), BreakerState::kClosed);
}

}  // namespace
}  // namespace callgate::resilience
