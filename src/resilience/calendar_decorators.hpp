#pragma once
// Resilience decorators around booking::CalendarProvider (SPEC §3):
// - CircuitBreakerCalendarProvider: a circuit breaker per calendar account (API key hash);
// - OutboundBudgetCalendarProvider: a request budget per account below Cal.com's 120/minute.
//
// Recommended stack (outermost first), see docs/resilience.md:
//   calcom::CachingCalendarProvider → OutboundBudget → CircuitBreaker → calcom::CalcomClient
// The cache answers hits without spending budget or consulting the breaker; the budget sits
// outside the breaker so its own refusals (kRateLimited) are never mistaken for Cal.com failing;
// the breaker is next to the client so it sees exactly Cal.com's answers.
//
// Both answer slot reads they cannot forward with fallback slots (SlotSource::kFallback, see
// fallback_slots.hpp); caches must not store such answers.

#include <chrono>
#include <functional>
#include <string>

#include "booking/calendar_provider.hpp"
#include "core/clock.hpp"
#include "observability/metrics.hpp"
#include "ratelimit/rate_limiter.hpp"
#include "resilience/circuit_breaker.hpp"
#include "resilience/fallback_slots.hpp"

namespace callgate::resilience {

// A stable, non-reversible name for an account: "calcom:" + the first 16 hex digits of
// SHA-256(api key). Used as breaker and budget key and metric label; never the raw key. Pure.
std::string CalendarAccountKey(const booking::CalendarAccount& account);

// Counts slot answers replaced by fallback slots:
//   callgate_calendar_fallback_slots_total{reason}   reason = circuit_open | budget

// Fails fast while an account's breaker is open: every call answers kUnavailable "circuit open"
// without reaching `inner`, except slot reads, which answer fallback slots. Outcomes of the
// calls that do reach `inner` are reported to the breaker (CountsAsFailure decides; "slot
// taken", "not found", bad input and bad credentials are answers, not failures).
// Thread-safe when `inner` is; every reference must outlive this object.
class CircuitBreakerCalendarProvider final : public booking::CalendarProvider {
 public:
  CircuitBreakerCalendarProvider(booking::CalendarProvider& inner, CircuitBreaker& breaker,
                                 const Clock& clock, observability::Metrics& metrics,
                                 FallbackSlotRule fallback = {});

  Result<booking::SlotAnswer> GetSlots(const booking::SlotQuery& query) override;
  // Queries the breaker admits go to inner.GetSlotsMany together (still in parallel); the
  // others get fallback slots.
  std::vector<Result<booking::SlotAnswer>> GetSlotsMany(
      const std::vector<booking::SlotQuery>& queries) override;
  Result<booking::Booking> CreateBooking(const booking::BookingRequest& request) override;
  Result<booking::Booking> CancelBooking(const booking::CalendarAccount& account,
                                         const std::string& uid, const std::string& reason,
                                         const booking::BookingChange& change) override;
  Result<booking::Booking> RescheduleBooking(const booking::CalendarAccount& account,
                                             const std::string& uid, SystemTimePoint new_start,
                                             const std::string& reason,
                                             const booking::BookingChange& change) override;
  Result<booking::Booking> GetBooking(const booking::CalendarAccount& account,
                                      const std::string& uid) override;
  Result<std::vector<booking::Booking>> ListBookings(const booking::CalendarAccount& account,
                                                     const booking::BookingFilter& filter) override;
  Result<std::vector<booking::AccountEventType>> ListAccountEventTypes(
      const booking::CalendarAccount& account) override;
  void InvalidateEventType(std::int64_t event_type_id) override;

 private:
  template <typename T, typename Call>
  Result<T> Guarded(const booking::CalendarAccount& account, Call call);
  Result<booking::SlotAnswer> Fallback(const booking::SlotQuery& query, const Error& why);

  booking::CalendarProvider& inner_;
  CircuitBreaker& breaker_;
  const Clock& clock_;
  observability::Metrics& metrics_;
  const FallbackSlotRule fallback_;
};

// Waits for the duration given (production: std::this_thread::sleep_for; tests advance a
// FakeClock instead).
using Sleeper = std::function<void(std::chrono::milliseconds)>;

struct OutboundBudgetSettings {
  // Per account and across every instance sharing the limiter, at most max_calls calls reach
  // the provider in ANY window of `period` (Cal.com allows 120/minute; stay below it). With a
  // per-instance (local) limiter, divide by the number of instances.
  std::int64_t max_calls = 100;
  std::chrono::milliseconds period{std::chrono::minutes(1)};
  // Calls that may go out back to back. The steady rate is then max_calls - burst + 1 per
  // period, which keeps every window at or below max_calls (see ratelimit/rate_limiter.hpp).
  std::int64_t burst = 10;
  // How long a write (and a non-slot read) may wait for budget before failing kRateLimited.
  std::chrono::milliseconds max_wait{2000};
  // The part of max_calls (and of burst) that agent API clients (MCP, booking::Channel::
  // kAgentApi) may use together on one account, in percent (1–100); the rest is kept for the
  // phone line. Companies without a Cal.com key of their own share the platform's account, so
  // without it one company's API client could push every company's callers onto unconfirmed
  // fallback times.
  int agent_api_percent = 50;
  FallbackSlotRule fallback;
};

// Lets at most max_calls calls per account and period reach `inner`, of which agent API clients
// get at most agent_api_percent (they take from a bucket of their own first). Slot reads over
// budget answer fallback slots at once (a live caller cannot wait); other calls wait up to max_wait
// for budget, then fail with kRateLimited "outbound budget exhausted" — never a burst into
// Cal.com's 429. A failing limiter lets calls through (logged). Counts
//   callgate_calendar_budget_total{outcome}   outcome = allowed | waited | fallback | rejected
// Thread-safe when `inner` is; every reference must outlive this object.
class OutboundBudgetCalendarProvider final : public booking::CalendarProvider {
 public:
  OutboundBudgetCalendarProvider(booking::CalendarProvider& inner, ratelimit::RateLimiter& limiter,
                                 const Clock& clock, observability::Metrics& metrics,
                                 OutboundBudgetSettings settings = {}, Sleeper sleeper = {});

  Result<booking::SlotAnswer> GetSlots(const booking::SlotQuery& query) override;
  std::vector<Result<booking::SlotAnswer>> GetSlotsMany(
      const std::vector<booking::SlotQuery>& queries) override;
  Result<booking::Booking> CreateBooking(const booking::BookingRequest& request) override;
  Result<booking::Booking> CancelBooking(const booking::CalendarAccount& account,
                                         const std::string& uid, const std::string& reason,
                                         const booking::BookingChange& change) override;
  Result<booking::Booking> RescheduleBooking(const booking::CalendarAccount& account,
                                             const std::string& uid, SystemTimePoint new_start,
                                             const std::string& reason,
                                             const booking::BookingChange& change) override;
  Result<booking::Booking> GetBooking(const booking::CalendarAccount& account,
                                      const std::string& uid) override;
  Result<std::vector<booking::Booking>> ListBookings(const booking::CalendarAccount& account,
                                                     const booking::BookingFilter& filter) override;
  Result<std::vector<booking::AccountEventType>> ListAccountEventTypes(
      const booking::CalendarAccount& account) override;
  void InvalidateEventType(std::int64_t event_type_id) override;

 private:
  // One take of the account's budget: an agent API's call takes from its share first.
  Result<ratelimit::Decision> Acquire(const booking::CalendarAccount& account);
  // True when a slot read may go out now.
  bool TryTake(const booking::CalendarAccount& account);
  // Waits (bounded) for budget; kRateLimited when none comes in time.
  Status Take(const booking::CalendarAccount& account);
  Result<booking::SlotAnswer> Fallback(const booking::SlotQuery& query);

  booking::CalendarProvider& inner_;
  ratelimit::RateLimiter& limiter_;
  ratelimit::Limit limit_;
  ratelimit::Limit agent_api_limit_;
  const Clock& clock_;
  observability::Metrics& metrics_;
  const OutboundBudgetSettings settings_;
  Sleeper sleeper_;
};

}  // namespace callgate::resilience
