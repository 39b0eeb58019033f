#include "resilience/calendar_decorators.hpp"

#include <algorithm>
#include <thread>

#include "core/digest.hpp"
#include "observability/log.hpp"

namespace callgate::resilience {
namespace {

using booking::Booking;
using booking::BookingChange;
using booking::CalendarAccount;
using booking::SlotAnswer;
using booking::SlotQuery;

void CountFallback(observability::Metrics& metrics, std::string_view reason) {
  metrics.Increment("callgate_calendar_fallback_slots_total", {{"reason", std::string(reason)}});
}

Result<SlotAnswer> FallbackAnswer(const SlotQuery& query, SystemTimePoint now,
                                  const FallbackSlotRule& rule) {
  auto slots = GenerateFallbackSlots(query, now, rule);
  if (!slots) return tl::unexpected(slots.error());
  return SlotAnswer{std::move(*slots), booking::SlotSource::kFallback};
}

}  // namespace

std::string CalendarAccountKey(const CalendarAccount& account) {
  return "calcom:" + Sha256Hex(account.api_key.Reveal(), 8);
}

// ---- CircuitBreakerCalendarProvider ----

CircuitBreakerCalendarProvider::CircuitBreakerCalendarProvider(booking::CalendarProvider& inner,
                                                               CircuitBreaker& breaker,
                                                               const Clock& clock,
                                                               observability::Metrics& metrics,
                                                               FallbackSlotRule fallback)
    : inner_(inner), breaker_(breaker), clock_(clock), metrics_(metrics), fallback_(fallback) {
  metrics_.Describe("callgate_calendar_fallback_slots_total",
                    "Slot answers replaced by unconfirmed fallback slots, by reason.");
}

template <typename T, typename Call>
Result<T> CircuitBreakerCalendarProvider::Guarded(const CalendarAccount& account, Call call) {
  auto permit = breaker_.Acquire(CalendarAccountKey(account));
  if (!permit) return tl::unexpected(permit.error());
  Result<T> result = call();
  breaker_.RecordResult(*permit, result);
  return result;
}

Result<SlotAnswer> CircuitBreakerCalendarProvider::Fallback(const SlotQuery& query,
                                                            const Error& why) {
  auto answer = FallbackAnswer(query, clock_.Now(), fallback_);
  if (!answer) return tl::unexpected(why);
  CountFallback(metrics_, "circuit_open");
  return answer;
}

Result<SlotAnswer> CircuitBreakerCalendarProvider::GetSlots(const SlotQuery& query) {
  auto permit = breaker_.Acquire(CalendarAccountKey(query.account));
  if (!permit) return Fallback(query, permit.error());
  auto result = inner_.GetSlots(query);
  breaker_.RecordResult(*permit, result);
  return result;
}

std::vector<Result<SlotAnswer>> CircuitBreakerCalendarProvider::GetSlotsMany(
    const std::vector<SlotQuery>& queries) {
  std::vector<Result<SlotAnswer>> answers(queries.size(), Fail(ErrorCode::kInternal, "unset"));
  std::vector<SlotQuery> admitted;
  std::vector<std::size_t> positions;
  std::vector<CircuitBreaker::Permit> permits;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    auto permit = breaker_.Acquire(CalendarAccountKey(queries[i].account));
    if (!permit) {
      answers[i] = Fallback(queries[i], permit.error());
      continue;
    }
    admitted.push_back(queries[i]);
    positions.push_back(i);
    permits.push_back(std::move(*permit));
  }
  if (admitted.empty()) return answers;
  auto results = inner_.GetSlotsMany(admitted);
  for (std::size_t j = 0; j < positions.size(); ++j) {
    Result<SlotAnswer> result = j < results.size()
                                    ? std::move(results[j])
                                    : Fail(ErrorCode::kInternal, "provider lost an answer");
    breaker_.RecordResult(permits[j], result);
    answers[positions[j]] = std::move(result);
  }
  return answers;
}

Result<Booking> CircuitBreakerCalendarProvider::CreateBooking(
    const booking::BookingRequest& request) {
  return Guarded<Booking>(request.account, [&] { return inner_.CreateBooking(request); });
}

Result<Booking> CircuitBreakerCalendarProvider::CancelBooking(const CalendarAccount& account,
                                                              const std::string& uid,
                                                              const std::string& reason,
                                                              const BookingChange& change) {
  return Guarded<Booking>(account,
                          [&] { return inner_.CancelBooking(account, uid, reason, change); });
}

Result<Booking> CircuitBreakerCalendarProvider::RescheduleBooking(const CalendarAccount& account,
                                                                  const std::string& uid,
                                                                  SystemTimePoint new_start,
                                                                  const std::string& reason,
                                                                  const BookingChange& change) {
  return Guarded<Booking>(
      account, [&] { return inner_.RescheduleBooking(account, uid, new_start, reason, change); });
}

Result<Booking> CircuitBreakerCalendarProvider::GetBooking(const CalendarAccount& account,
                                                           const std::string& uid) {
  return Guarded<Booking>(account, [&] { return inner_.GetBooking(account, uid); });
}

Result<std::vector<Booking>> CircuitBreakerCalendarProvider::ListBookings(
    const CalendarAccount& account, const booking::BookingFilter& filter) {
  return Guarded<std::vector<Booking>>(account,
                                       [&] { return inner_.ListBookings(account, filter); });
}

Result<std::vector<booking::AccountEventType>>
CircuitBreakerCalendarProvider::ListAccountEventTypes(const CalendarAccount& account) {
  return Guarded<std::vector<booking::AccountEventType>>(
      account, [&] { return inner_.ListAccountEventTypes(account); });
}

void CircuitBreakerCalendarProvider::InvalidateEventType(std::int64_t event_type_id) {
  inner_.InvalidateEventType(event_type_id);
}

// ---- OutboundBudgetCalendarProvider ----

OutboundBudgetCalendarProvider::OutboundBudgetCalendarProvider(
    booking::CalendarProvider& inner, ratelimit::RateLimiter& limiter, const Clock& clock,
    observability::Metrics& metrics, OutboundBudgetSettings settings, Sleeper sleeper)
    : inner_(inner),
      limiter_(limiter),
      clock_(clock),
      metrics_(metrics),
      settings_(std::move(settings)),
      sleeper_(std::move(sleeper)) {
  const std::int64_t max_calls = std::max<std::int64_t>(1, settings_.max_calls);
  const std::int64_t burst = std::clamp<std::int64_t>(settings_.burst, 1, max_calls);
  limit_ = ratelimit::Limit{max_calls - burst + 1, settings_.period, burst};
  const std::int64_t percent = std::clamp(settings_.agent_api_percent, 1, 100);
  const std::int64_t api_calls = std::max<std::int64_t>(1, max_calls * percent / 100);
  const std::int64_t api_burst = std::clamp<std::int64_t>(burst * percent / 100, 1, api_calls);
  agent_api_limit_ = ratelimit::Limit{api_calls - api_burst + 1, settings_.period, api_burst};
  if (!sleeper_) sleeper_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  metrics_.Describe("callgate_calendar_budget_total",
                    "Outbound Cal.com calls by budget outcome (allowed, waited, fallback, "
                    "rejected).");
  metrics_.Describe("callgate_calendar_fallback_slots_total",
                    "Slot answers replaced by unconfirmed fallback slots, by reason.");
}

namespace {

std::string BudgetKey(const CalendarAccount& account) {
  return "calcom_budget:" + CalendarAccountKey(account);
}

std::string AgentApiBudgetKey(const CalendarAccount& account) {
  return "calcom_budget_api:" + CalendarAccountKey(account);
}

void CountBudget(observability::Metrics& metrics, std::string_view outcome) {
  metrics.Increment("callgate_calendar_budget_total", {{"outcome", std::string(outcome)}});
}

}  // namespace

Result<ratelimit::Decision> OutboundBudgetCalendarProvider::Acquire(
    const CalendarAccount& account) {
  if (account.channel == booking::Channel::kAgentApi) {
    auto share = limiter_.Acquire(AgentApiBudgetKey(account), agent_api_limit_);
    if (!share || !share->allowed) return share;
  }
  return limiter_.Acquire(BudgetKey(account), limit_);
}

bool OutboundBudgetCalendarProvider::TryTake(const CalendarAccount& account) {
  auto decision = Acquire(account);
  if (!decision) {
    observability::LogWarn("calendar_budget_error", {{"message", decision.error().message}});
    CountBudget(metrics_, "allowed");
    return true;
  }
  CountBudget(metrics_, decision->allowed ? "allowed" : "fallback");
  return decision->allowed;
}

Status OutboundBudgetCalendarProvider::Take(const CalendarAccount& account) {
  // Bounded by the time slept, not by the clock, so a stuck clock cannot make this spin.
  std::chrono::milliseconds slept{0};
  while (true) {
    auto decision = Acquire(account);
    if (!decision) {
      observability::LogWarn("calendar_budget_error", {{"message", decision.error().message}});
      CountBudget(metrics_, "allowed");
      return Ok();
    }
    if (decision->allowed) {
      CountBudget(metrics_, slept.count() > 0 ? "waited" : "allowed");
      return Ok();
    }
    const auto wait = std::max(decision->retry_after, std::chrono::milliseconds(1));
    if (slept + wait > settings_.max_wait) {
      CountBudget(metrics_, "rejected");
      return Fail(ErrorCode::kRateLimited, "outbound budget exhausted");
    }
    sleeper_(wait);
    slept += wait;
  }
}

Result<SlotAnswer> OutboundBudgetCalendarProvider::Fallback(const SlotQuery& query) {
  auto answer = FallbackAnswer(query, clock_.Now(), settings_.fallback);
  if (!answer) return Fail(ErrorCode::kRateLimited, "outbound budget exhausted");
  CountFallback(metrics_, "budget");
  return answer;
}

Result<SlotAnswer> OutboundBudgetCalendarProvider::GetSlots(const SlotQuery& query) {
  if (!TryTake(query.account)) return Fallback(query);
  return inner_.GetSlots(query);
}

std::vector<Result<SlotAnswer>> OutboundBudgetCalendarProvider::GetSlotsMany(
    const std::vector<SlotQuery>& queries) {
  std::vector<Result<SlotAnswer>> answers(queries.size(), Fail(ErrorCode::kInternal, "unset"));
  std::vector<SlotQuery> admitted;
  std::vector<std::size_t> positions;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    if (!TryTake(queries[i].account)) {
      answers[i] = Fallback(queries[i]);
      continue;
    }
    admitted.push_back(queries[i]);
    positions.push_back(i);
  }
  if (admitted.empty()) return answers;
  auto results = inner_.GetSlotsMany(admitted);
  for (std::size_t j = 0; j < positions.size(); ++j) {
    answers[positions[j]] = j < results.size()
                                ? std::move(results[j])
                                : Fail(ErrorCode::kInternal, "provider lost an answer");
  }
  return answers;
}

Result<Booking> OutboundBudgetCalendarProvider::CreateBooking(
    const booking::BookingRequest& request) {
  if (auto taken = Take(request.account); !taken) return tl::unexpected(taken.error());
  return inner_.CreateBooking(request);
}

Result<Booking> OutboundBudgetCalendarProvider::CancelBooking(const CalendarAccount& account,
                                                              const std::string& uid,
                                                              const std::string& reason,
                                                              const BookingChange& change) {
  if (auto taken = Take(account); !taken) return tl::unexpected(taken.error());
  return inner_.CancelBooking(account, uid, reason, change);
}

Result<Booking> OutboundBudgetCalendarProvider::RescheduleBooking(const CalendarAccount& account,
                                                                  const std::string& uid,
                                                                  SystemTimePoint new_start,
                                                                  const std::string& reason,
                                                                  const BookingChange& change) {
  if (auto taken = Take(account); !taken) return tl::unexpected(taken.error());
  return inner_.RescheduleBooking(account, uid, new_start, reason, change);
}

Result<Booking> OutboundBudgetCalendarProvider::GetBooking(const CalendarAccount& account,
                                                           const std::string& uid) {
  if (auto taken = Take(account); !taken) return tl::unexpected(taken.error());
  return inner_.GetBooking(account, uid);
}

Result<std::vector<Booking>> OutboundBudgetCalendarProvider::ListBookings(
    const CalendarAccount& account, const booking::BookingFilter& filter) {
  if (auto taken = Take(account); !taken) return tl::unexpected(taken.error());
  return inner_.ListBookings(account, filter);
}

Result<std::vector<booking::AccountEventType>>
OutboundBudgetCalendarProvider::ListAccountEventTypes(const CalendarAccount& account) {
  if (auto taken = Take(account); !taken) return tl::unexpected(taken.error());
  return inner_.ListAccountEventTypes(account);
}

void OutboundBudgetCalendarProvider::InvalidateEventType(std::int64_t event_type_id) {
  inner_.InvalidateEventType(event_type_id);
}

}  // namespace callgate::resilience
